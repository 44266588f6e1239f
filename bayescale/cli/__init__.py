"""Layer ``cli``: the ``bayescale`` command. May import every layer; nothing imports it.

``main`` (:mod:`bayescale.cli.main`) parses the command line with the options of the command
it names only; the commands are a lazy registry (:mod:`bayescale.cli.commands`), one module per
command with ``add_parser`` and ``run``; shared options live in :mod:`bayescale.cli.options`
and everything the CLI writes (tables, warnings, figures, the check of output paths, library
messages turned into flags) in :mod:`bayescale.cli.output`.
"""

from .commands import COMMANDS
from .main import main

__all__ = ["COMMANDS", "main"]
