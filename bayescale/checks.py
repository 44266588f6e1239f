"""Deprecated alias of :mod:`bayescale.diagnostics.checks` (removed in the next release)."""

from ._deprecated import alias

__getattr__, __dir__ = alias("checks")
