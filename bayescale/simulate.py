"""Deprecated alias of :mod:`bayescale.data.simulate` (removed in the next release)."""

from ._deprecated import alias

__getattr__, __dir__ = alias("simulate")
