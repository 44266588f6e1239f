"""Posterior pair plot: the joint draws of the sampled parameters, two by two.

Data twin: :meth:`bayescale.ScalingFit.draws` (the same draws).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def pairs(fit: Any, *, params: Sequence[str] | None = None, max_draws: int = 1500,
          seed: int = 0, axes: Any = None) -> Any:
    """Scatter matrix of the posterior draws (histograms on the diagonal). Amplitudes and
    other positive parameters spanning more than a decade are shown on log axes; ridges (e.g.
    A against alpha) show which combinations the data pin down. Returns the Axes grid."""
    import matplotlib.pyplot as plt

    draws = fit.draws()
    names = list(params or [n for n in fit.spec.free_params if n in draws])
    rng = np.random.default_rng(seed)
    n = fit.n_draws
    pick = rng.choice(n, size=min(n, max_draws), replace=False)
    data = {k: np.asarray(draws[k], dtype=float)[pick] for k in names}
    finite = np.all([np.isfinite(v) for v in data.values()], axis=0)
    if not finite.any():
        raise ValueError("no draw has finite values of every parameter")
    data = {k: v[finite] for k, v in data.items()}  # e.g. overflowing Laplace draws
    logs = {k: bool(np.all(data[k] > 0) and np.ptp(np.log10(data[k])) > 1.0) for k in names}
    size = len(names)
    if axes is None:
        _, axes = plt.subplots(size, size, figsize=(1.9 * size, 1.9 * size),
                               layout="constrained", squeeze=False)
    axes = np.asarray(axes).reshape(size, size)
    for i, yi in enumerate(names):
        for j, xj in enumerate(names):
            ax = axes[i, j]
            if j > i:
                ax.set_visible(False)
                continue
            x = np.log10(data[xj]) if logs[xj] else data[xj]
            if i == j:
                ax.hist(x, bins=30, color="C0", alpha=0.7)
                ax.set_yticks([])
            else:
                y = np.log10(data[yi]) if logs[yi] else data[yi]
                ax.scatter(x, y, s=2, alpha=0.25, color="C0", rasterized=True)
                if j == 0:
                    ax.set_ylabel(f"log10 {yi}" if logs[yi] else yi)
            if i == size - 1:
                ax.set_xlabel(f"log10 {xj}" if logs[xj] else xj)
            ax.tick_params(labelsize=6)
    axes[0, 0].set_title(f"{fit.law.name}: posterior draws ({int(finite.sum())} shown)",
                         fontsize=8,
                         loc="left")
    return axes
