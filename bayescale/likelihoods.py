"""Deprecated alias of :mod:`bayescale.model.likelihoods` (removed in the next release)."""

from ._deprecated import alias

__getattr__, __dir__ = alias("likelihoods")
