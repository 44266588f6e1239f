"""Downstream accuracy laws: bounded responses in (0, 1), fitted with Beta or logit-normal
likelihoods (never a Gaussian on raw accuracy)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ..errors import SpecError
from ..priors import Prior
from .base import Law, Param, Scales


def _chance(value: Any) -> float:
    try:
        c = float(value)
    except (TypeError, ValueError):
        raise SpecError(f"chance must be a number in [0, 1), got {value!r}") from None
    if not 0 <= c < 1:
        raise SpecError(f"chance must be in [0, 1), got {c:g}")
    return c


def _input(x: str) -> str:
    if x not in ("N", "D", "C"):
        raise SpecError(f"x must be one of N, D, C, got {x!r}")
    return x


def _sigmoid(xp: Any, u: Any) -> Any:
    return 1.0 / (1.0 + xp.exp(-u))


class LogLinear(Law):
    r"""``acc = a + b · log10 X`` (the founding document's "ViT accuracy ~ log N").

    Only a local approximation: it leaves [chance, 1] when extrapolated, which ``predict``
    reports as a warning. ``a`` is the accuracy at X = 1 (far outside any data), ``b`` the gain
    per decade.

    Default priors: ``b ~ Normal(0, 0.2)`` per decade; ``a ~ Normal(median accuracy − 0·…,
    sd 2 + 0.2·|log10 X_ref|)``, centred so that the line passes near the median accuracy at the
    reference scale whatever ``b`` is, and wide.
    """

    name = "loglinear"
    formula = "acc = a + b * log10(X)"
    description = "accuracy linear in log10 X (a local approximation)"
    response = "accuracy"

    def __init__(self, x: str = "C", chance: float = 0.0) -> None:
        self.x, self.chance = _input(x), _chance(chance)
        self.inputs = (self.x,)
        self.params = (Param("a", "real", "accuracy at X = 1 (intercept)"),
                       Param("b", "real", f"accuracy gained per decade of {x}"))

    def options(self) -> dict[str, Any]:
        return {"x": self.x, "chance": self.chance}

    def location(self, xp: Any, logx: Mapping[str, Any], theta: Mapping[str, Any]) -> Any:
        return theta["a"] + theta["b"] * logx[self.x] / math.log(10.0)

    def default_priors(self, scales: Scales) -> dict[str, Prior]:
        ref = math.log10(scales.reference[self.x])
        return {"a": Prior("Normal", mu=scales.loss_median, sigma=2.0 + 0.2 * abs(ref)),
                "b": Prior("Normal", mu=0.0, sigma=0.2)}

    def prediction_checks(self, table: Any, location: Any) -> list[str]:
        import numpy as np

        lo, hi = np.quantile(location, [0.025, 0.975], axis=0)
        outside = (lo < self.chance) | (hi > 1.0)
        if not outside.any():
            return []
        return [f"the log-linear law leaves [chance = {self.chance:g}, 1] at "
                f"{int(outside.sum())} of {len(table)} points (its 95% band; predictions are "
                "clipped to (0, 1)): a straight line in log X cannot saturate; use law "
                "'sigmoid' to extrapolate accuracy"]


class Sigmoid(Law):
    r"""``acc = chance + (ceiling − chance) · sigmoid(slope · (log10 X − midpoint))``.

    Accuracy rises from the chance floor (an option: 0.25 for four-way multiple choice) to a
    ceiling below 1 along a logistic curve in log X (observational scaling laws, Ruan et al.
    2024, use the same form with a ceiling in [0.8, 1]). ``midpoint`` is the log10 X where
    accuracy is half-way, ``slope`` the steepness per decade.

    Default priors: ``ceiling ~ Beta(3, 1.2)`` on (chance, 1) (high ceilings likelier);
    ``slope ~ LogNormal(log 1.5, 0.7)`` per decade; ``midpoint ~ Normal(`` the middle of the
    observed log10 X range ``+ 0.5, sd`` half the range + 1.5 ``)``, so it may lie beyond the data.
    """

    name = "sigmoid"
    formula = "acc = chance + (ceiling - chance) * sigmoid(slope * (log10(X) - midpoint))"
    description = "accuracy as a logistic curve in log10 X, from chance to a ceiling"
    response = "accuracy"

    def __init__(self, x: str = "C", chance: float = 0.0) -> None:
        self.x, self.chance = _input(x), _chance(chance)
        self.inputs = (self.x,)
        self.params = (
            Param("ceiling", "unit", "accuracy the curve saturates at", lower=self.chance),
            Param("slope", "positive", f"steepness per decade of {x}"),
            Param("midpoint", "real", f"log10 {x} at which accuracy is half-way"),
        )

    def options(self) -> dict[str, Any]:
        return {"x": self.x, "chance": self.chance}

    def location(self, xp: Any, logx: Mapping[str, Any], theta: Mapping[str, Any]) -> Any:
        u = theta["slope"] * (logx[self.x] / math.log(10.0) - theta["midpoint"])
        return self.chance + (theta["ceiling"] - self.chance) * _sigmoid(xp, u)

    def default_priors(self, scales: Scales) -> dict[str, Prior]:
        lo, hi = (v / math.log(10.0) for v in scales.log_range[self.x])
        return {"ceiling": Prior("Beta", alpha=3.0, beta=1.2, lower=self.chance, upper=1.0),
                "slope": Prior("LogNormal", mu=math.log(1.5), sigma=0.7),
                "midpoint": Prior("Normal", mu=(lo + hi) / 2 + 0.5, sigma=(hi - lo) / 2 + 1.5)}


class AccuracyFromLoss(Law):
    r"""``acc = chance + (ceiling − chance) · sigmoid(slope · (L0 − loss))``: the second step of
    a two-step forecast (Llama 3 §3.2.1; OLMo ladder), mapping a model's loss to its accuracy.

    Fit it to (loss, accuracy) pairs; :func:`bayescale.two_step` then carries a fitted loss law's
    posterior through it, so the accuracy bands at a new (N, D) include the loss uncertainty.

    Default priors: ``ceiling ~ Beta(3, 1.2)`` on (chance, 1); ``slope ~ LogNormal(log 5, 1)``
    per nat; ``L0 ~ LogNormal(log median loss, 0.3)``.
    """

    name = "accuracy_from_loss"
    formula = "acc = chance + (ceiling - chance) * sigmoid(slope * (L0 - loss))"
    description = "accuracy as a logistic function of the loss (two-step forecasts)"
    response = "accuracy"
    inputs = ("loss",)

    def __init__(self, chance: float = 0.0) -> None:
        self.chance = _chance(chance)
        self.params = (
            Param("ceiling", "unit", "accuracy at very low loss", lower=self.chance),
            Param("slope", "positive", "steepness per nat of loss"),
            Param("L0", "positive", "loss at which accuracy is half-way"),
        )

    def options(self) -> dict[str, Any]:
        return {"chance": self.chance}

    def location(self, xp: Any, logx: Mapping[str, Any], theta: Mapping[str, Any]) -> Any:
        u = theta["slope"] * (theta["L0"] - xp.exp(logx["loss"]))
        return self.chance + (theta["ceiling"] - self.chance) * _sigmoid(xp, u)

    def default_priors(self, scales: Scales) -> dict[str, Prior]:
        lo, hi = (math.exp(v) for v in scales.log_range["loss"])
        return {"ceiling": Prior("Beta", alpha=3.0, beta=1.2, lower=self.chance, upper=1.0),
                "slope": Prior("LogNormal", mu=math.log(5.0), sigma=1.0),
                "L0": Prior("LogNormal", mu=math.log(math.sqrt(lo * hi)), sigma=0.3)}


__all__ = ["AccuracyFromLoss", "LogLinear", "Sigmoid"]
