"""bayescale: Bayesian inference on neural scaling laws.

>>> import bayescale as bs
>>> fit = bs.fit(df, law="chinchilla", random_seed=0)          # doctest: +SKIP
>>> fit.summary(prob=0.95)                                      # doctest: +SKIP
>>> fit.predict({"N": [7e10], "D": [1.4e12]}, prob=0.95)        # doctest: +SKIP

``import bayescale`` is light: every name below is imported on first use, and PyMC, nutpie,
ArviZ and matplotlib only when a function that needs them is called. The layers
(``ARCHITECTURE.md``) are subpackages: ``laws``, ``data``, ``model``, ``diagnostics``,
``results``, ``decisions``, ``inference``, ``evaluation``, ``plot``; ``workflow`` holds
:func:`fit`.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from ._version import __version__

#: The public API: name → (module, attribute).
_LAZY = {
    # workflow
    "fit": ("workflow", "fit"),
    "fit_many": ("workflow", "fit_many"),
    "prior_predictive": ("workflow", "prior_predictive"),
    "configure": ("workflow", "configure"),
    "ModelConfig": ("model.config", "ModelConfig"),
    "SamplerSettings": ("inference.samplers", "SamplerSettings"),
    # results
    "ScalingFit": ("results.fit", "ScalingFit"),
    "load": ("results.fit", "load"),
    "two_step": ("results.twostep", "two_step"),
    # decisions
    "Cost": ("decisions.cost", "Cost"),
    # evaluation
    "backtest": ("evaluation.backtest", "backtest"),
    "compare": ("evaluation.compare", "compare"),
    "lfo": ("evaluation.compare", "lfo"),
    "ModelAverage": ("evaluation.compare", "ModelAverage"),
    "learn_discrepancy": ("evaluation.discrepancy", "learn_discrepancy"),
    # model, data, laws
    "Prior": ("priors", "Prior"),
    "Runs": ("data.runs", "Runs"),
    "ModelSpec": ("model.spec", "ModelSpec"),
    "simulate_runs": ("data.simulate", "simulate_runs"),
    "get_law": ("laws", "get_law"),
    "available_laws": ("laws", "available_laws"),
    # errors and warnings
    "BayescaleError": ("errors", "BayescaleError"),
    "DataError": ("errors", "DataError"),
    "SpecError": ("errors", "SpecError"),
    "FileFormatError": ("errors", "FileFormatError"),
    "InferenceWarning": ("errors", "InferenceWarning"),
    "ExtrapolationWarning": ("errors", "ExtrapolationWarning"),
}
#: Subpackages and modules reachable as attributes (``bs.plot``, ``bs.datasets``...).
_SUBMODULES = {
    "laws": "laws", "data": "data", "model": "model", "diagnostics": "diagnostics",
    "results": "results", "decisions": "decisions", "inference": "inference",
    "evaluation": "evaluation", "workflow": "workflow", "plot": "plot", "report": "report",
    "testing": "testing", "errors": "errors", "priors": "priors", "datasets": "data.datasets",
}
#: Old flat modules, kept one release as deprecated aliases (see ``bayescale._deprecated``).
_OLD = {"fitting", "checks", "likelihoods", "predict", "io", "discrepancy", "twostep", "optimal",
        "laplace", "evaluate", "baselines", "simulate"}

__all__ = ["__version__", *_LAZY, *sorted(_SUBMODULES)]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attr = _LAZY[name]
        value = getattr(import_module(f".{module}", __name__), attr)
    elif name in _SUBMODULES:
        value = import_module(f".{_SUBMODULES[name]}", __name__)
    elif name in _OLD:
        value = import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module 'bayescale' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
