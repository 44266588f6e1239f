"""The only module that calls ArviZ. Every call states its settings explicitly.

ArviZ 1.x changed its global defaults (``ci_prob=0.89``) and its high-level tail-ESS silently
follows that global (quantiles 0.055/0.945). Here tail-ESS uses Stan's definition, the 5% and
95% quantiles, whatever the global settings say.
"""

from __future__ import annotations

import numpy as np

#: Quantiles of the tail effective sample size (Vehtari et al. 2021).
TAIL_ESS_PROB = (0.05, 0.95)


def convergence(draws: np.ndarray) -> dict[str, float]:
    """Rank-normalised split R-hat, bulk and tail ESS of one scalar's (chain, draw) array."""
    from arviz_stats.base import array_stats

    a = np.asarray(draws, dtype=float)
    if a.ndim != 2 or a.shape[1] < 4 or not np.isfinite(a).all() or np.ptp(a) == 0:
        return {"r_hat": float("nan"), "ess_bulk": float("nan"), "ess_tail": float("nan")}
    return {
        "r_hat": float(array_stats.rhat(a, method="rank")),
        "ess_bulk": float(array_stats.ess(a, method="bulk")),
        "ess_tail": float(array_stats.ess(a, method="tail", prob=TAIL_ESS_PROB)),
    }


def bfmi(energy: np.ndarray) -> np.ndarray:
    """E-BFMI of each chain from the sampler's energy, shape (chain, draw) (Betancourt 2016):
    the mean squared change of the energy between draws over its variance. NaN for a chain too
    short, constant or not finite."""
    from arviz_stats.base import array_stats

    a = np.asarray(energy, dtype=float)
    if a.ndim != 2:
        raise ValueError(f"energy must have shape (chain, draw), got {a.shape}")
    out = np.full(a.shape[0], np.nan)
    if a.shape[1] < 3:
        return out
    ok = np.isfinite(a).all(axis=1) & (np.ptp(a, axis=1) > 0)
    if ok.any():
        out[ok] = np.asarray(array_stats.bfmi(a[ok]), dtype=float)
    return out
