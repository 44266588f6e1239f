"""Deprecated alias of :mod:`bayescale.results.predict` (removed in the next release)."""

from ._deprecated import alias

__getattr__, __dir__ = alias("predict")
