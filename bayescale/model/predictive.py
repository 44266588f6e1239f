"""A law and a likelihood evaluated on draws in numpy: the location (e.g. the log mean loss)
at points, and simulated observations around it.

Layer: ``model``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..laws import Law
from .likelihoods import Likelihood

#: Seed of the observation-noise draws of the posterior predictive.
PREDICTIVE_SEED = 20240601

def location_draws(law: Law, theta: Mapping[str, np.ndarray],
                   points: pd.DataFrame) -> np.ndarray:
    """The law's location (e.g. log mean loss), shape (draws, points)."""
    logx = {k: np.log(points[k].to_numpy(dtype=float))[None, :] for k in law.inputs}
    th = {k: np.asarray(v, dtype=float)[:, None] for k, v in theta.items()}
    return np.asarray(law.location(np, logx, th))


def predictive_draws(likelihood: Likelihood, location: np.ndarray,
                     theta: Mapping[str, np.ndarray], *, seed: int = PREDICTIVE_SEED,
                     new_run_sd: np.ndarray | None = None) -> np.ndarray:
    """One observed response per posterior draw and point (draws, points): the likelihood's
    noise around ``location`` and, where ``new_run_sd`` > 0, a new run's effect."""
    rng = np.random.default_rng(seed)
    if new_run_sd is not None:
        run_noise = rng.standard_normal((location.shape[0], 1))
        return likelihood.simulate(rng, location + new_run_sd * run_noise, theta)
    return likelihood.simulate(rng, location, theta)
