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

δ is estimated by **leave-future-out on the fitted runs themselves** (empirical Bayes): for
each split holding out the largest 10%, 20% and 30% of the runs (at least two), refit on the
rest (MAP + Laplace by default; MCMC in backtests of MCMC fits), and pick the δ on a grid that
maximises the held-out log predictive density summed over the splits. δ = 0 when the runs'
own future is predicted as well as the law claims, so the remedy costs nothing where it is not
needed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .errors import SpecError

#: Held-out shares of the runs (largest by the distance input) used to learn δ.
SPLITS = (0.1, 0.2, 0.3)
#: δ grid (sd of log loss per e-fold of extrapolation).
GRID = np.concatenate([[0.0], np.geomspace(1e-4, 0.3, 120)])
#: Seed of the standard-normal draws of the discrepancy (fixed: reproducible bands).
SEED = 20241129


@dataclass(frozen=True)
class Discrepancy:
    """``delta``: sd of the extra log-loss error per e-fold beyond ``reference`` (the largest
    fitted value of ``input``). ``splits``: what the estimate was learned from."""

    delta: float
    input: str
    reference: float
    source: str = "given"
    splits: list[dict[str, float]] = field(default_factory=list)

    def distance(self, points: pd.DataFrame) -> np.ndarray:
        if self.input not in points:
            raise SpecError(f"discrepancy: points need {self.input} (the distance input)")
        x = points[self.input].to_numpy(dtype=float)
        return np.maximum(0.0, np.log(x / self.reference))

    def offsets(self, points: pd.DataFrame, n_draws: int) -> np.ndarray:
        """(draws, points) additions to the location: ``δ·d(x)·z`` with one z per draw."""
        z = np.random.default_rng(SEED).standard_normal((n_draws, 1))
        return self.delta * self.distance(points)[None, :] * z

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Discrepancy:
        return cls(**dict(data))


def distance_input(table: pd.DataFrame, law: Any) -> str:
    """Compute C when the runs have it, else the law's only input."""
    if "C" in table:
        return "C"
    if len(law.inputs) == 1:
        return law.inputs[0]
    raise SpecError(f"discrepancy: no compute C and law {law.name!r} has several inputs")


def lpd_curve(fit: Any, held_out: pd.DataFrame, observed: np.ndarray, reference: float,
              key: str, grid: np.ndarray = GRID) -> np.ndarray:
    """Summed held-out log predictive density for each δ of ``grid`` (common random numbers,
    so the curve is smooth in δ)."""
    from .evaluate import _locations, _logmeanexp

    draws = fit.draws()
    location = _locations(fit, held_out, draws, new_runs=True)
    theta = {k: np.asarray(v, dtype=float)[:, None] for k, v in draws.items()}
    d = np.maximum(0.0, np.log(held_out[key].to_numpy(dtype=float) / reference))[None, :]
    z = np.random.default_rng(SEED).standard_normal((location.shape[0], 1))
    y = fit.likelihood.link(np.asarray(observed, dtype=float))[None, :]
    out = np.empty(len(grid))
    for i, delta in enumerate(grid):
        ll = fit.likelihood.logpdf(y, location + delta * d * z, theta)
        out[i] = float(np.sum(_logmeanexp(ll, axis=0)))
    return out


def estimate(table: pd.DataFrame, law: Any, *, splits: tuple[float, ...] = SPLITS,
             **fit_kwargs: Any) -> Discrepancy:
    """Learn δ by leave-future-out on the runs in ``table`` (canonical columns, as
    ``Runs.table``). ``fit_kwargs`` go to :func:`bayescale.fit` (likelihood, priors,
    law_options, method...); the refits use ``method="map"`` unless told otherwise (MCMC
    refits reuse the compiled model, so they cost a few seconds each)."""
    import warnings

    from .fitting import fit as run_fit

    key = distance_input(table, law)
    x = table[key].to_numpy(dtype=float)
    reference_all = float(x.max())
    response = law.response
    order = np.argsort(-x, kind="stable")
    curves, used = [], []
    method = fit_kwargs.get("method") or "map"
    settings = {k: v for k, v in fit_kwargs.items()
                if k not in ("method", "law_options") and v is not None}
    if method == "map":
        settings.update(draws=500, chains=2)
    options = dict(fit_kwargs.get("law_options") or law.options() or {})
    if "x" in options:  # the input of a one-input law travels as x=
        settings["x"] = options.pop("x")
    options = options or None
    columns = {"run": "run_id"} if law.grouped else None
    for share in splits:
        k = max(2, round(share * len(table)))
        if len(table) - k < 5:
            continue
        hold = np.zeros(len(table), dtype=bool)
        hold[order[:k]] = True
        kept, out = table[~hold].reset_index(drop=True), table[hold].reset_index(drop=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            inner = run_fit(kept, law.name, method=method, columns=columns,
                            law_options=options, **settings)
        ref = float(kept[key].max())
        curve = lpd_curve(inner, out, out[response].to_numpy(dtype=float), ref, key)
        curves.append(curve)
        used.append({"held_out": k, "reference": ref,
                     "max_distance": float(np.log(out[key].max() / ref)),
                     "lpd_gain": float(curve.max() - curve[0])})
    if not curves:
        return Discrepancy(0.0, key, reference_all, source="too few runs to learn it")
    total = np.sum(curves, axis=0)
    best = float(GRID[int(np.argmax(total))])
    return Discrepancy(best, key, reference_all, source="leave-future-out", splits=used)


def resolve(setting: Any, table: pd.DataFrame, law: Any, **fit_kwargs: Any
            ) -> Discrepancy | None:
    """``"none"``/None → None; ``"auto"`` → :func:`estimate`; a number → that δ."""
    if setting is None or (isinstance(setting, str) and setting.lower() == "none"):
        return None
    key = distance_input(table, law)
    if isinstance(setting, str) and setting.lower() == "auto":
        return estimate(table, law, **fit_kwargs)
    try:
        delta = float(setting)
    except (TypeError, ValueError):
        raise SpecError(f"discrepancy must be 'none', 'auto' or a number ≥ 0, got "
                        f"{setting!r}") from None
    if not (np.isfinite(delta) and delta >= 0):
        raise SpecError(f"discrepancy must be ≥ 0, got {setting!r}")
    return Discrepancy(delta, key, float(table[key].max()))
