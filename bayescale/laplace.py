"""Deprecated alias of :mod:`bayescale.inference.laplace` (removed in the next release)."""

from ._deprecated import alias

__getattr__, __dir__ = alias("laplace")
