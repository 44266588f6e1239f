"""Deprecated alias of :mod:`bayescale.evaluation.backtest` (removed in the next release)."""

from ._deprecated import alias

__getattr__, __dir__ = alias("evaluate")
