"""Old module paths (bayescale 0.x flat layout), kept for one release as thin aliases.

``bayescale.fitting`` → :mod:`bayescale.workflow`, ``bayescale.optimal`` →
:mod:`bayescale.decisions`, and so on (:data:`MOVED`). Importing an old path warns
(``DeprecationWarning``) and resolves each name from its new home on first use.
"""

from __future__ import annotations

import warnings
from importlib import import_module
from typing import Any

#: Old module → the modules its names now live in (searched in order).
MOVED: dict[str, tuple[str, ...]] = {
    "fitting": ("bayescale.workflow", "bayescale.model.config", "bayescale.inference.run",
                "bayescale.data.runs"),
    "checks": ("bayescale.diagnostics.checks",),
    "likelihoods": ("bayescale.model.likelihoods",),
    "predict": ("bayescale.results.predict", "bayescale.data.points"),
    "io": ("bayescale.results.io", "bayescale.results.fit"),
    "discrepancy": ("bayescale.results.discrepancy", "bayescale.evaluation.discrepancy"),
    "twostep": ("bayescale.results.twostep",),
    "optimal": ("bayescale.decisions.tables", "bayescale.decisions.allocation",
                "bayescale.decisions.cost"),
    "laplace": ("bayescale.inference.laplace",),
    "evaluate": ("bayescale.evaluation.backtest", "bayescale.evaluation.compare"),
    "baselines": ("bayescale.evaluation.baselines",),
    "datasets": ("bayescale.data.datasets",),
    "simulate": ("bayescale.data.simulate", "bayescale.decisions.design"),
}


def alias(old: str) -> tuple[Any, Any]:
    """``(__getattr__, __dir__)`` for the deprecated module ``bayescale.<old>``."""
    targets = MOVED[old]
    warnings.warn(f"bayescale.{old} is deprecated and will be removed in the next release; "
                  f"import from {targets[0]} (or the top-level bayescale API) instead",
                  DeprecationWarning, stacklevel=3)

    def __getattr__(name: str) -> Any:
        for target in targets:
            module = import_module(target)
            if hasattr(module, name):
                return getattr(module, name)
        raise AttributeError(f"module 'bayescale.{old}' has no attribute {name!r}")

    def __dir__() -> list[str]:
        names: set[str] = set()
        for target in targets:
            names.update(n for n in dir(import_module(target)) if not n.startswith("__"))
        return sorted(names)

    return __getattr__, __dir__
