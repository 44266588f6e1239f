"""Layer ``results``: the fit object (:class:`ScalingFit`), predictions and bands, the one
predictive-location function (:mod:`~bayescale.results.location`), save/load, the discrepancy
value and two-step forecasts. Everything here is a pure function of draws and spec: nothing
refits and nothing samples.

May import: ``errors``, ``priors``, ``laws``, ``data``, ``model``, ``diagnostics``.
"""

from .fit import SUMMARY_COLUMNS, ScalingFit, make_datatree

__all__ = ["SUMMARY_COLUMNS", "ScalingFit", "make_datatree"]
