"""Deprecated alias of :mod:`bayescale.results.twostep` (removed in the next release)."""

from ._deprecated import alias

__getattr__, __dir__ = alias("twostep")
