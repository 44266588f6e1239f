"""Scaling-law families: pure math (numpy, or PyTensor inside the model) and a registry.

>>> from bayescale.laws import get_law
>>> law = get_law("chinchilla")
>>> round(float(law.loss({"N": 7e10, "D": 1.4e12},
...     {"E": 1.8172, "A": 482.01, "B": 2085.43, "alpha": 0.3478, "beta": 0.3658})), 4)
1.9739
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..errors import SpecError
from .accuracy import AccuracyFromLoss, LogLinear, Sigmoid
from .base import INPUT_DOC, INPUTS, Law, Param, Scales
from .broken import BrokenPowerLaw
from .chinchilla import Chinchilla, LearningCurve
from .custom import CustomLaw
from .datacon import DataConstrained
from .kaplan import Kaplan, KaplanSingle
from .power import Compute, PowerLaw

#: name -> factory(**options); laws taking one input of several choose it with ``x``
_REGISTRY: dict[str, Callable[..., Law]] = {
    "power": PowerLaw,
    "chinchilla": Chinchilla,
    "compute": Compute,
    "kaplan": Kaplan,
    "kaplan_n": lambda: KaplanSingle("N"),
    "kaplan_d": lambda: KaplanSingle("D"),
    "kaplan_c": lambda: KaplanSingle("C"),
    "data_constrained": DataConstrained,
    "bnsl": BrokenPowerLaw,
    "loglinear": LogLinear,
    "sigmoid": Sigmoid,
    "accuracy_from_loss": AccuracyFromLoss,
    "custom": CustomLaw,
    "learning_curve": LearningCurve,
}
#: laws whose single input is chosen from the data (or with ``x``), and their default
_CHOOSE_X = {"power": ("N", "D", "C"), "bnsl": ("N", "D", "C"), "loglinear": ("N", "D", "C"),
             "sigmoid": ("N", "D", "C")}
_DEFAULT_X = {"power": "N"}

__all__ = [
    "INPUTS",
    "INPUT_DOC",
    "AccuracyFromLoss",
    "BrokenPowerLaw",
    "Chinchilla",
    "Compute",
    "CustomLaw",
    "DataConstrained",
    "Kaplan",
    "KaplanSingle",
    "Law",
    "LearningCurve",
    "LogLinear",
    "Param",
    "PowerLaw",
    "Scales",
    "Sigmoid",
    "available_laws",
    "describe_laws",
    "get_law",
    "infer_law",
    "law_from_dict",
]


def available_laws() -> list[str]:
    return list(_REGISTRY)


#: options each law takes (CLI flags of the same names), for the listing
LAW_OPTIONS = {"power": "x", "bnsl": "x, breaks", "loglinear": "x, chance",
               "sigmoid": "x, chance", "accuracy_from_loss": "chance", "compute": "k",
               "custom": "expression (required), response"}


def describe_laws() -> list[dict[str, str]]:
    """One row per law: name, formula, inputs, parameters, response, options, description."""
    rows = []
    for name in _REGISTRY:
        law = get_law(name, expression="E + A * N**(-alpha)") if name == "custom" else \
            get_law(name)
        if name == "custom":
            formula, inputs, params = "L = your expression (or acc = ...)", "any of N, D, C, U", \
                "the expression's other names"
        else:
            formula = law.formula
            inputs = ("one of N, D, C" if name in _CHOOSE_X else ", ".join(law.inputs))
            params = ", ".join(law.param_names)
        rows.append({"name": name, "formula": formula, "inputs": inputs, "parameters": params,
                     "response": law.response, "options": LAW_OPTIONS.get(name, ""),
                     "description": law.description})
    return rows


def get_law(name: str | Law, *, available: Iterable[str] | None = None, **options: Any) -> Law:
    """Look up a law by name.

    ``available`` (the input columns present in the data) lets ``power`` and ``bnsl`` pick
    their input when ``x`` is not given and exactly one of N, D, C is present.
    """
    if isinstance(name, Law):
        return name
    factory = _REGISTRY.get(str(name))
    if factory is None:
        raise SpecError(f"unknown law {name!r}; available: {', '.join(_REGISTRY)}")
    options = {k: v for k, v in options.items() if v is not None}
    if "x" in options and name not in _CHOOSE_X:
        # x names the input of laws that can take any; a law with a fixed input accepts the
        # one it has (so one --x serves several laws in 'bayescale compare')
        try:
            fixed = tuple(factory().inputs) if not options.keys() - {"x"} else ()
        except (TypeError, SpecError):  # a law that needs options (custom)
            fixed = ()
        if fixed == (options["x"],):
            options.pop("x")
    if name in _CHOOSE_X and "x" not in options:
        have = [x for x in _CHOOSE_X[name] if available is not None and x in set(available)]
        if available is None or len(have) == 1:
            options["x"] = have[0] if have else _DEFAULT_X.get(str(name), "C")
        else:
            raise SpecError(
                f"law {name!r} uses one input: choose N, D or C with x=; "
                f"the data has {', '.join(have) if have else 'none of N, D, C'}"
            )
    try:
        return factory(**options)
    except TypeError:
        extra = ", ".join(sorted(options))
        raise SpecError(f"law {name!r} has no option {extra}") from None


def infer_law(available: Iterable[str], *, response: str = "loss",
              x: str | None = None) -> str:
    """The law a table calls for when none is named: ``chinchilla`` for losses with N and D
    (or N and C),
    ``power`` for losses with one input (N, D or C, or the one ``x`` names), ``sigmoid`` for
    accuracies. A table that fits none of these is an error naming the laws to choose from."""
    have = [k for k in INPUTS if k in set(available) and k in ("N", "D", "C")]
    if response == "accuracy":
        return "sigmoid"
    if x is not None:
        return "power"
    if "N" in have and ("D" in have or "C" in have):  # D = C/(6N) is derived from N and C
        return "chinchilla"
    if len(have) == 1:
        return "power"
    raise SpecError("cannot tell which law to fit: the table has "
                    f"{', '.join(have) if have else 'none of N, D, C'}; give the law (chinchilla "
                    "needs N and D; power one of N, D or C with x; see 'bayescale laws')")


def law_from_dict(data: Mapping[str, Any]) -> Law:
    """Inverse of :meth:`Law.to_dict`."""
    data = dict(data)
    return get_law(data.pop("name"), **data)
