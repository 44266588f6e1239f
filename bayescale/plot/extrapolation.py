"""Extrapolation fan chart: observed runs, the posterior median law and its bands.

Data twin: :meth:`bayescale.ScalingFit.bands` (same numbers as a DataFrame).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..data.points import parse_point, percent
from ..results.predict import path_axis

_INPUT_LABEL = {"N": "parameters N", "D": "training tokens D", "C": "training compute C (FLOPs)",
                "U": "unique tokens U", "loss": "loss"}


def _fmt(x: float) -> str:
    return f"{x:.3g}"


def _plain_log_ticks(axis: Any) -> None:
    """Label a log axis that spans about one decade with plain numbers (2, 3, 4 ...)."""
    from matplotlib.ticker import FuncFormatter, NullFormatter

    lo, hi = axis.get_view_interval()
    plain = FuncFormatter(lambda v, _: f"{v:g}")
    axis.set_major_formatter(plain)
    axis.set_minor_formatter(plain if hi / max(lo, 1e-300) < 30 else NullFormatter())


def extrapolation(
    fit: Any,
    *,
    to: Sequence[Mapping[str, float] | str] | None = None,
    probs: Sequence[float] = (0.5, 0.95),
    target_prob: float = 0.95,
    predictive: bool = True,
    ax: Any = None,
    n: int = 120,
    line_kwargs: Mapping[str, Any] | None = None,
    band_kwargs: Mapping[str, Any] | None = None,
    scatter_kwargs: Mapping[str, Any] | None = None,
) -> Any:
    """Plot the fitted law from the observed runs out to the targets, on log-log axes.

    Parameters
    ----------
    fit : ScalingFit
        A fit (or a prior predictive).
    to : list of points (dicts or ``"N=7e10,D=1.4e12"``), optional
        Targets, marked with their ``target_prob`` interval. For an (N, D) law the x-axis is
        compute C = 6ND and each curve holds the targets' tokens per parameter fixed.
    probs : probabilities of the credible bands of the law's mean (default 50% and 95%).
    predictive : also draw the widest band of the posterior predictive (dashed edges).
    ax : matplotlib Axes, optional; a new figure is made when omitted.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    targets = [parse_point(t) if isinstance(t, str) else dict(t) for t in (to or [])]
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 5.0), layout="constrained")
    table = fit.bands(to=targets, probs=probs, n=n)
    runs = fit.runs.table
    x = path_axis(fit.law)
    what = {"mcmc": "posterior", "prior": "prior",
            "laplace": "approximate (Laplace) posterior"}[fit.method]

    sc_kw = {"s": 22, "edgecolor": "white", "linewidth": 0.4, "zorder": 3,
             **(scatter_kwargs or {})}
    if len(fit.law.inputs) > 1:
        points = ax.scatter(runs["C"], runs[fit.runs.response], c=np.log10(runs["N"]),
                            cmap="viridis",
                            label=f"observed runs ({len(runs)})", **sc_kw)
        cbar = ax.figure.colorbar(points, ax=ax, pad=0.01)
        cbar.set_label("log10 N (parameters)")
    else:
        ax.scatter(runs[x], runs[fit.runs.response], color="black",
                   label=f"observed runs ({len(runs)})",
                   **sc_kw)

    ax.axvline(float(runs[x].max()), color="0.45", linestyle=":", linewidth=1,
               label=f"largest observed {x}")
    paths = list(dict.fromkeys(table["path"]))
    palette = ["tab:red", "tab:blue", "tab:orange", "tab:purple", "tab:brown"]
    sorted_probs = sorted(probs, reverse=True)
    several = len(paths) > 1 or len(fit.law.inputs) > 1
    for i, path in enumerate(paths):
        part = table[table["path"] == path]
        colour = palette[i % len(palette)]
        suffix = f" ({path})" if several else ""
        for j, prob in enumerate(sorted_probs):
            tag = percent(prob)
            ax.fill_between(part[x], part[f"lower_{tag}"], part[f"upper_{tag}"],
                            color=colour, linewidth=0,
                            **{"alpha": 0.15 + 0.15 * j, **(band_kwargs or {})},
                            label=f"{tag}% credible band of the mean{suffix}")
        if predictive:
            tag = percent(sorted_probs[0])
            for col in ("pp_lower", "pp_upper"):
                ax.plot(part[x], part[f"{col}_{tag}"], color=colour, linestyle="--",
                        linewidth=0.9, label=(f"{tag}% {what} predictive, new run{suffix}"
                                              if col == "pp_lower" else None))
        ax.plot(part[x], part["median"], color=colour,
                **{"linewidth": 1.8, **(line_kwargs or {})},
                label=f"{what} median{suffix}")

    if targets:
        pred = fit.predict(targets, prob=target_prob)  # warns when extrapolating far
        tag = percent(target_prob)
        lines = [f"targets: median [{tag}% interval of the mean]"]
        for k, row in pred.iterrows():
            xv, med = row[x], row["median"]
            ax.errorbar([xv], [med], yerr=[[med - row["lower"]], [row["upper"] - med]],
                        fmt="D", color="black", markersize=5, capsize=4, zorder=5,
                        label=f"target, {tag}% interval" if k == 0 else None)
            ax.annotate(str(k + 1), (xv, row["upper"]), textcoords="offset points",
                        xytext=(0, 4), ha="center", va="bottom", fontsize=8, weight="bold")
            name = ", ".join(f"{key}={_fmt(row[key])}" for key in fit.law.inputs)
            lines.append(f"{k + 1}: {name}: {row['median']:.3f} "
                         f"[{row['lower']:.3f}, {row['upper']:.3f}]")
        ax.text(0.02, 0.03, "\n".join(lines), transform=ax.transAxes, fontsize=7.5,
                va="bottom", ha="left", family="monospace",
                bbox={"boxstyle": "round,pad=0.3", "fc": "white", "ec": "0.7", "alpha": 0.9})

    ax.set_xscale("log")
    if fit.runs.response == "loss":
        ax.set_yscale("log")
        _plain_log_ticks(ax.yaxis)
    ax.set_xlabel(_INPUT_LABEL[x])
    ax.set_ylabel(fit.runs.response)
    bands = " and ".join(f"{percent(p)}%" for p in sorted(probs))
    ax.set_title(f"{fit.law.name}: {what} median with {bands} equal-tailed bands",
                 fontsize=10)
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(fontsize=7.5, loc="upper right" if fit.runs.response == "loss" else "best")
    return ax
