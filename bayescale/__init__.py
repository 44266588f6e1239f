"""bayescale: Bayesian inference on neural scaling laws.

>>> import bayescale as bs
>>> fit = bs.fit(df, law="chinchilla", random_seed=0)          # doctest: +SKIP
>>> fit.summary(prob=0.95)                                      # doctest: +SKIP
>>> fit.predict({"N": [7e10], "D": [1.4e12]}, prob=0.95)        # doctest: +SKIP

``import bayescale`` is light: PyMC, nutpie, ArviZ and matplotlib are imported only when a
function that needs them is called.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from ._version import __version__

_LAZY = {
    "fit": ("fitting", "fit"),
    "fit_many": ("fitting", "fit_many"),
    "prior_predictive": ("fitting", "prior_predictive"),
    "two_step": ("twostep", "two_step"),
    "load": ("io", "load"),
    "Cost": ("optimal", "Cost"),
    "ScalingFit": ("results", "ScalingFit"),
    "Prior": ("priors", "Prior"),
    "Runs": ("data", "Runs"),
    "ModelSpec": ("model", "ModelSpec"),
    "get_law": ("laws", "get_law"),
    "available_laws": ("laws", "available_laws"),
    "BayescaleError": ("errors", "BayescaleError"),
    "DataError": ("errors", "DataError"),
    "SpecError": ("errors", "SpecError"),
    "FileFormatError": ("errors", "FileFormatError"),
    "InferenceWarning": ("errors", "InferenceWarning"),
    "ExtrapolationWarning": ("errors", "ExtrapolationWarning"),
}
_SUBMODULES = {"laws", "plot", "testing", "priors", "data", "model", "inference", "checks",
               "fitting", "simulate", "optimal", "baselines", "evaluate", "discrepancy",
               "report", "datasets",
               "predict", "results", "io", "likelihoods", "errors"}

__all__ = ["__version__", *_LAZY, *sorted(_SUBMODULES)]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attr = _LAZY[name]
        value = getattr(import_module(f".{module}", __name__), attr)
    elif name in _SUBMODULES:
        value = import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module 'bayescale' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
