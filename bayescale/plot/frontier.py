"""The compute-optimal frontier: N* and D* against compute with credible bands, and iso-loss
contours of the fitted law in the (N, D) plane with the frontier drawn through them.

Data twin: :func:`bayescale.optimal.frontier_bands`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..data.points import percent
from ..decisions.allocation import has_allocation
from ..decisions.tables import frontier_bands
from ..diagnostics.checks import extrapolation_warning
from ..errors import ExtrapolationWarning, SpecError


def compute_range(fit: Any, compute: Sequence[float] | None, n: int = 80) -> np.ndarray:
    """Budgets from the smallest observed compute to beyond the largest requested one."""
    observed = fit.runs.table["C"].to_numpy(dtype=float)
    hi = max([float(observed.max())] + [float(c) for c in (compute or [])]) * 3.0
    return np.geomspace(float(observed.min()), hi, n)


def frontier(
    fit: Any,
    *,
    compute: Sequence[float] | None = None,
    probs: Sequence[float] = (0.5, 0.95),
    k: float | None = None,
    unique: float | None = None,
    axes: Any = None,
    contours: int = 6,
) -> Any:
    """Plot the compute-optimal allocation of a fitted (N, D) law.

    Parameters
    ----------
    fit : ScalingFit with a law in N and D.
    compute : budgets to mark (e.g. a planned run); the curves run from the smallest observed
        compute to 3x the largest of these.
    probs : probabilities of the bands (default 50% and 95%, equal-tailed).
    axes : two matplotlib Axes (left: N* and D* vs C; right: the (N, D) plane); a new figure
        is made when omitted.
    contours : number of iso-loss contours (drawn through the frontier at as many budgets).

    Returns
    -------
    numpy array of the two Axes.
    """
    import matplotlib.pyplot as plt

    if not has_allocation(fit.law):
        raise SpecError(f"frontier plot: law {fit.law.name!r} has no N and D inputs")
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(11.5, 4.6), layout="constrained")
    axes = np.asarray(axes).reshape(-1)
    ax, plane = axes[0], axes[1]
    budgets = compute_range(fit, compute)
    bands = frontier_bands(fit, budgets, probs=probs, k=k, unique=unique)
    k_used = bands.attrs["k"]
    runs = fit.runs.table
    colors = {"N_opt": "C0", "D_opt": "C3"}
    labels = {"N_opt": "parameters N*", "D_opt": "tokens D*"}
    for name, color in colors.items():
        for i, prob in enumerate(sorted(probs, reverse=True)):
            tag = percent(prob)
            ax.fill_between(bands["C"], bands[f"{name}_lower_{tag}"],
                            bands[f"{name}_upper_{tag}"], color=color, alpha=0.15 + 0.15 * i,
                            lw=0, label=f"{labels[name]}: {tag}% interval")
        ax.plot(bands["C"], bands[name], color=color, lw=2, label=f"{labels[name]}: median")
    ax.scatter(runs["C"], runs["N"], s=10, color="C0", alpha=0.35, label="runs: N")
    ax.scatter(runs["C"], runs["D"], s=10, color="C3", alpha=0.35, marker="s", label="runs: D")
    for c in compute or []:
        ax.axvline(float(c), color="0.4", lw=0.8, ls=":")
    ax.set(xscale="log", yscale="log", xlabel=f"training compute C = {k_used:g}·N·D (FLOPs)",
           ylabel="N* (parameters), D* (tokens)",
           title=f"compute-optimal allocation ({fit.law.name})")
    ax.legend(fontsize=7, loc="upper left")

    # the (N, D) plane: iso-loss contours of the posterior-median law, iso-FLOP lines
    tag_hi = percent(max(probs))
    n_lo, n_hi = float(min(runs["N"].min(), bands["N_opt"].min())), float(
        max(runs["N"].max(), bands[f"N_opt_upper_{tag_hi}"].max()))
    d_lo, d_hi = float(min(runs["D"].min(), bands["D_opt"].min())), float(
        max(runs["D"].max(), bands[f"D_opt_upper_{tag_hi}"].max()))
    n_grid = np.geomspace(n_lo / 2, n_hi * 2, 90)
    d_grid = np.geomspace(d_lo / 2, d_hi * 2, 90)
    nn, dd = np.meshgrid(n_grid, d_grid)
    points = {"N": nn.ravel(), "D": dd.ravel()}
    if "U" in fit.law.inputs:
        points["U"] = np.full(nn.size, float(unique))
    draws = fit.draws()
    median_params = {key: np.median(v) for key, v in draws.items()}
    loss = fit.law.evaluate(points, median_params).reshape(nn.shape)
    # contours through the frontier at a few budgets: each is tangent there to that budget's
    # iso-FLOP line (the optimum spends the compute where the loss is lowest)
    at = np.unique(np.linspace(0, len(budgets) - 1, contours).round().astype(int))
    tangent = frontier_bands(fit, budgets[at], probs=probs, k=k, unique=unique)
    levels = np.sort(fit.law.evaluate(
        {"N": tangent["N_opt"].to_numpy(), "D": tangent["D_opt"].to_numpy(),
         **({"U": np.full(len(at), float(unique))} if "U" in fit.law.inputs else {})},
        median_params))
    cs = plane.contour(nn, dd, loss, levels=np.unique(levels), cmap="viridis", linewidths=1)
    plane.clabel(cs, fontsize=7, fmt="%.3g")
    for c in budgets[at]:
        plane.plot(n_grid, c / (k_used * n_grid), color="0.75", lw=0.7, ls="--")
    plane.plot(bands["N_opt"], bands["D_opt"], color="k", lw=2,
               label="frontier (median N*, D*)")
    plane.scatter(runs["N"], runs["D"], s=12, color="C1", zorder=3, label="runs")
    if compute:
        marks = frontier_bands(fit, list(compute), probs=probs, k=k, unique=unique)
        message = extrapolation_warning(
            marks.rename(columns={"N_opt": "N", "D_opt": "D"})[["C", "N", "D"]],
            fit.runs.maxima(), hint=fit.discrepancy is None)
        if message:
            warnings.warn(message, ExtrapolationWarning, stacklevel=2)
        tag = percent(max(probs))
        plane.errorbar(marks["N_opt"], marks["D_opt"],
                       xerr=[marks["N_opt"] - marks[f"N_opt_lower_{tag}"],
                             marks[f"N_opt_upper_{tag}"] - marks["N_opt"]],
                       yerr=[marks["D_opt"] - marks[f"D_opt_lower_{tag}"],
                             marks[f"D_opt_upper_{tag}"] - marks["D_opt"]],
                       fmt="D", color="C3", ms=5, capsize=3, zorder=4,
                       label=f"requested budgets: N*, D* ({tag}% intervals)")
    plane.plot([], [], color="0.75", lw=0.7, ls="--", label="iso-FLOP lines")
    plane.set(xscale="log", yscale="log", xlim=(n_grid[0], n_grid[-1]),
              ylim=(d_grid[0], d_grid[-1]), xlabel="parameters N", ylabel="training tokens D",
              title="iso-loss contours through the frontier (posterior-median law)")
    plane.legend(fontsize=7, loc="upper left")
    return axes
