"""Model discrepancy that grows with extrapolation distance, learned from the user's own runs.

A law is only approximately right. Inside the data its misfit hides in the noise term, but
beyond the largest run the posterior of an approximately-right law stays narrow while the truth
drifts off: on the Chinchilla points, fitting C ≤ 1e21 and predicting the 23 larger runs (up to
13× further), 95% predictive intervals cover only 70% of them (80% ones, 30%).

The remedy: an extra error on the log-loss (likelihood) scale,

    log L_true(x) = location(x) + δ · d(x) · z,     z ~ Normal(0, 1) per posterior draw,
    d(x) = max(0, ln(x / x_max)),

where ``x`` is compute C (or the law's only input) and ``x_max`` the largest fitted value: zero
inside the data, growing with each e-fold of extrapolation. It widens the law's mean band and
the predictive alike (it is uncertainty about the law, not observation noise), shared by all
points of one draw (a systematic drift, as observed).

δ is a number here (this module never refits). It is estimated by
:mod:`bayescale.evaluation.discrepancy` with **leave-future-out on the fitted runs
themselves** (empirical Bayes): for each split holding out the largest 10%, 20% and 30% of
the runs (at least two), refit on the rest (MAP + Laplace by default; MCMC in backtests of
MCMC fits), and pick the δ on a grid that maximises the held-out log predictive density
summed over the splits. δ = 0 when the runs' own future is predicted as well as the law
claims, so the remedy costs nothing where it is not needed.

Layer: ``results``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import SpecError

#: Seed of the standard-normal draws of the discrepancy (fixed: reproducible bands).
SEED = 20241129
#: δ per e-fold from which the law is probably wrong for the runs (the top of the grid δ is
#: learned on), and the probability beyond it that draws a warning.
HUGE = 2.0
HUGE_MASS = 0.01


@dataclass(frozen=True)
class Discrepancy:
    """The model discrepancy: sd ``δ`` of the extra log-loss error per e-fold beyond
    ``reference`` (the largest fitted value of ``input``).

    δ is a distribution: ``values`` with probabilities ``weights`` (its posterior given the
    runs, or a single given value); each posterior draw gets its own δ, so predictions integrate
    over it. ``delta`` is its median (for display). ``source`` says where it came from;
    ``splits``, what the runs' own future showed."""

    delta: float
    input: str
    reference: float
    source: str = "given"
    splits: list[dict[str, float]] = field(default_factory=list)
    values: tuple[float, ...] = ()
    weights: tuple[float, ...] = ()
    #: the prior δ had (its dict form), when it was learned with one
    prior: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if not self.values:
            object.__setattr__(self, "values", (float(self.delta),))
            object.__setattr__(self, "weights", (1.0,))
        if len(self.values) != len(self.weights):
            raise SpecError("discrepancy: values and weights differ in length")
        w = np.asarray(self.weights, dtype=float)
        v = np.asarray(self.values, dtype=float)
        if not (np.all(np.isfinite(v)) and np.all(v >= 0) and np.all(np.isfinite(w))
                and np.all(w >= 0) and w.sum() > 0):
            raise SpecError("discrepancy: values must be finite δ ≥ 0 with weights ≥ 0")

    @classmethod
    def from_weights(cls, values: np.ndarray, weights: np.ndarray, input: str,
                     reference: float, **kwargs: Any) -> Discrepancy:
        """δ with probabilities ``weights`` on ``values`` (normalised here; negligible ones
        dropped); ``delta`` is the median."""
        w = np.asarray(weights, dtype=float)
        w = w / w.sum()
        keep = w > 1e-6 * w.max()
        v, w = np.asarray(values, dtype=float)[keep], w[keep] / w[keep].sum()
        median = float(v[int(np.searchsorted(np.cumsum(w), 0.5))])
        return cls(median, input, float(reference), values=tuple(map(float, v)),
                   weights=tuple(map(float, w)), **kwargs)

    def quantile(self, q: float) -> float:
        cdf = np.cumsum(self.weights)
        return float(self.values[min(int(np.searchsorted(cdf, q)), len(cdf) - 1)])

    def warning(self) -> str | None:
        """A warning when δ is huge (the runs' own future is far off the law), else None."""
        mass = float(np.sum(np.asarray(self.weights)[np.asarray(self.values) >= HUGE])
                     / np.sum(self.weights))
        if mass <= HUGE_MASS:
            return None
        return (f"the model discrepancy is huge (δ ≥ {HUGE:.2g} per e-fold has probability "
                f"{mass:.0%}): the runs' own largest ones are far off the law, so the law is "
                "probably wrong for these runs; compare laws before extrapolating")

    def distance(self, points: pd.DataFrame) -> np.ndarray:
        if self.input not in points:
            raise SpecError(f"discrepancy: points need {self.input} (the distance input)")
        x = points[self.input].to_numpy(dtype=float)
        return np.maximum(0.0, np.log(x / self.reference))

    def scales(self, n_draws: int) -> np.ndarray:
        """(draws, 1) draws of ``δ·z``: δ from its distribution, z standard normal."""
        rng = np.random.default_rng(SEED)
        z = rng.standard_normal((n_draws, 1))
        if len(self.values) == 1:
            return self.values[0] * z
        delta = rng.choice(np.asarray(self.values), size=(n_draws, 1),
                           p=np.asarray(self.weights) / np.sum(self.weights))
        return delta * z

    def offsets(self, points: pd.DataFrame, n_draws: int) -> np.ndarray:
        """(draws, points) additions to the location: ``δ·d(x)·z`` with one (δ, z) per
        draw."""
        return self.scales(n_draws) * self.distance(points)[None, :]

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["values"], out["weights"] = list(self.values), list(self.weights)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Discrepancy:
        values = dict(data)
        for key in ("values", "weights"):
            if key in values:
                values[key] = tuple(float(v) for v in values[key])
        return cls(**values)


def distance_input(table: pd.DataFrame, law: Any) -> str:
    """Compute C when the runs have it, else the law's only input."""
    if "C" in table:
        return "C"
    if len(law.inputs) == 1:
        return law.inputs[0]
    raise SpecError(f"discrepancy: no compute C and law {law.name!r} has several inputs")


def resolve(setting: Any, table: pd.DataFrame, law: Any) -> Discrepancy | None:
    """``"none"``/None → None; a number → that δ. ``"auto"`` (learning δ refits the law) is
    :func:`bayescale.evaluation.discrepancy.estimate`'s job, not a result's."""
    value = parse_setting(setting)
    if value is None:
        return None
    if value in ("auto", "default"):
        raise SpecError("discrepancy 'auto' learns delta by refitting the law: use "
                        "bayescale.fit(..., discrepancy='auto') or "
                        "bayescale.evaluation.learn_discrepancy(fit)")
    key = distance_input(table, law)
    return Discrepancy(float(value), key, float(table[key].max()))


def parse_setting(setting: Any) -> str | float | None:
    """Validate a discrepancy setting without data: None (``None``/``"none"``), ``"auto"``,
    ``"default"`` (``"auto"`` for losses, none otherwise) or a number δ ≥ 0. Raises
    :class:`SpecError` naming the bad value."""
    if setting is None or (isinstance(setting, str) and setting.strip().lower() == "none"):
        return None
    if isinstance(setting, str) and setting.strip().lower() in ("auto", "default"):
        return setting.strip().lower()
    if isinstance(setting, bool):
        raise SpecError(f"discrepancy={setting!r}: use 'none', 'auto', 'default' or a number ≥ 0")
    try:
        delta = float(setting)
    except (TypeError, ValueError):
        raise SpecError(f"discrepancy={setting!r}: use 'none', 'auto', 'default' or a number ≥ 0"
                        ) from None
    if not (np.isfinite(delta) and delta >= 0):
        raise SpecError(f"discrepancy={setting!r}: must be a finite number ≥ 0")
    return delta
