"""Deprecated alias of :mod:`bayescale.data.datasets` (removed in the next release)."""

from ._deprecated import alias

__getattr__, __dir__ = alias("datasets")
