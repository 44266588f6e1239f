"""Layer ``cli``: the ``bayescale`` command. May import every layer; nothing imports it."""

from .main import main

__all__ = ["main"]
