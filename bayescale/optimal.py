"""Deprecated alias of :mod:`bayescale.decisions.tables` (removed in the next release)."""

from ._deprecated import alias

__getattr__, __dir__ = alias("optimal")
