"""Where a fit puts new observations: the one predictive-location function.

The law's location (e.g. the log mean loss) at some points, per draw, plus what a fit adds on
top of the law:

* **run effects** (laws with a run-level random effect, e.g. learning curves): a point labelled
  with a fitted run (a ``run`` or ``run_id`` column) gets that run's effect; any other point is
  a new run, whose effect has sd ``tau`` (in the predictive only);
* **model discrepancy** (:mod:`bayescale.results.discrepancy`): ``δ·d(x)·z``, zero inside the
  data and growing with each e-fold of extrapolation.

Predictions (:meth:`ScalingFit.predict`, bands), evaluation (scores, LOO, LFO) and decisions
(``probability_below``) all call these functions.

Layer: ``results``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..model.predictive import location_draws

#: Columns that name the run a prediction point belongs to.
RUN_COLUMNS = ("run", "run_id")


def _n(draws: Mapping[str, np.ndarray]) -> int:
    return len(next(iter(draws.values())))


def run_offsets(fit: Any, points: pd.DataFrame, draws: Mapping[str, np.ndarray]
                ) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Run effects at ``points``: (offset of fitted runs' own effects, sd of a new run's
    effect), each (draws, points); (None, None) for laws without run effects."""
    if not fit.spec.n_groups:
        return None, None
    n = _n(draws)
    known = np.full(len(points), -1)
    effects = fit.run_effects()
    column = next((c for c in RUN_COLUMNS if c in points.columns), None)
    if column and effects is not None:
        labels = {lab: i for i, lab in enumerate(fit.runs.groups[1])}
        known = np.array([labels.get(str(r), -1) for r in points[column]])
    offset = np.zeros((n, len(points)))
    if effects is not None and (known >= 0).any():
        offset[:, known >= 0] = effects[:, known[known >= 0]]
    new_run_sd = np.asarray(draws["tau"], dtype=float)[:, None] * (known < 0)[None, :]
    return offset, new_run_sd


def predictive_offsets(fit: Any, points: pd.DataFrame, draws: Mapping[str, np.ndarray]
                       ) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Everything a fit adds to the law's location at ``points``: (offset, new_run_sd), each
    (draws, points) or None. ``offset`` = fitted runs' effects + model discrepancy (part of the
    mean); ``new_run_sd`` = sd of a new run's effect (part of the predictive only)."""
    offset, new_run_sd = run_offsets(fit, points, draws)
    disc = fit.discrepancy
    if disc is not None and disc.delta > 0 and disc.input in points:
        extra = disc.offsets(points, _n(draws))
        offset = extra if offset is None else offset + extra
    return offset, new_run_sd


def location_sample(fit: Any, points: pd.DataFrame, draws: Mapping[str, np.ndarray], *,
                    new_runs: bool = False, seed: int = 0) -> np.ndarray:
    """One location per draw and point, (draws, points), with :func:`predictive_offsets`
    applied: a new run's effect is drawn (one per draw, seeded) instead of kept as an sd.

    ``new_runs=True`` treats every point as a new run (held-out runs in backtests), even one
    that carries a fitted run's label."""
    location = location_draws(fit.law, draws, points)
    if new_runs and fit.spec.n_groups:
        unlabelled = points.drop(columns=[c for c in RUN_COLUMNS if c in points.columns])
        offset, new_run_sd = predictive_offsets(fit, unlabelled, draws)
    else:
        offset, new_run_sd = predictive_offsets(fit, points, draws)
    if offset is not None:
        location = location + offset
    if new_run_sd is not None and (new_run_sd > 0).any():
        z = np.random.default_rng(seed).standard_normal((location.shape[0], 1))
        location = location + new_run_sd * z
    return location
