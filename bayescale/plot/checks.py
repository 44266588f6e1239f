"""Plots of how far to trust a fit: backtest calibration and posterior predictive checks.

Data twins: :class:`bayescale.evaluate.Backtest` (``points``, ``summary``) and
:meth:`bayescale.ScalingFit.residuals`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..evaluation.backtest import COVERAGE_PROBS


def calibration(result: Any, *, ax: Any = None) -> Any:
    """Nominal vs empirical coverage of the held-out runs' predictive intervals, one line per
    method, with the ideal diagonal. Returns the Axes."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5.2, 4.6), layout="constrained")
    nominal = [100 * p for p in COVERAGE_PROBS]
    ax.plot([0, 100], [0, 100], color="0.6", ls="--", lw=1, label="calibrated")
    for i, (method, row) in enumerate(result.summary.iterrows()):
        cover = [100 * row[f"coverage_{round(p)}"] for p in nominal]
        ax.plot(nominal, cover, marker="o", color=f"C{i}",
                label=f"{method} (mean ARE {row['ARE_mean']:.1%})")
    n = int(result.summary["n"].iloc[0])
    ax.set(xlim=(0, 100), ylim=(0, 102), xlabel="nominal interval probability (%)",
           ylabel=f"held-out runs inside the interval (%, n = {n})",
           title=f"backtest calibration ({result.holdout}, up to {result.scale_up:.3g}x)")
    ax.legend(fontsize=8, loc="upper left")
    return ax


def ppc(fit: Any, *, axes: Any = None) -> Any:
    """Posterior predictive check of the fitted runs: residuals (observed − fitted, on the
    likelihood's scale) against each log input, and the PIT histogram (flat when the noise model
    is right; U-shaped: intervals too narrow; a hump: too wide). Returns the Axes."""
    import matplotlib.pyplot as plt

    table = fit.residuals()
    inputs = [k for k in ("N", "D", "C") if k in table and table[k].nunique() > 1]
    if axes is None:
        _, axes = plt.subplots(1, len(inputs) + 1, figsize=(3.6 * (len(inputs) + 1), 3.4),
                               layout="constrained", squeeze=False)
    axes = np.asarray(axes).reshape(-1)
    scale = "log loss" if fit.law.response == "loss" else "accuracy"
    for ax, k in zip(axes, inputs, strict=False):
        ax.axhline(0.0, color="0.6", lw=1)
        ax.scatter(table[k], table["residual"], s=14, color="C0")
        ax.set(xscale="log", xlabel=k, ylabel=f"residual ({scale})")
    last = axes[len(inputs)]
    bins = max(5, min(20, len(table) // 4))
    last.hist(table["pit"], bins=bins, range=(0, 1), color="C1", alpha=0.8)
    last.axhline(len(table) / bins, color="0.4", ls="--", lw=1, label="uniform")
    last.set(xlabel="PIT (predictive CDF at the observation)", ylabel="runs",
             title="PIT histogram")
    last.legend(fontsize=8)
    axes[0].set_title(f"residuals of {fit.law.name} ({len(table)} runs)")
    return axes
