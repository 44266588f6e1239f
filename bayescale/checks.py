"""Checks of inference quality, run after every fit; each problem becomes one warning line.

Thresholds (Vehtari et al. 2021; modeling.md §4.1):

* any divergent transition after tuning;
* R-hat above :data:`RHAT_MAX` (1.01) for any parameter;
* bulk or tail ESS below :data:`ESS_MIN` (400) for any parameter;
* more than 1% of transitions at the maximum tree depth;
* a posterior pressed against a bound of its range: more than :data:`PRESSED_FRACTION` of the
  draws in the outer 1% of the range (E against 0 or the lowest observed loss, or a parameter
  against a bound of a bounded prior);
* a prediction beyond :data:`EXTRAPOLATION_FACTOR` × the largest observed N, D or C
  (checked by ``predict``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .data import Runs
from .model import ModelSpec

RHAT_MAX = 1.01
ESS_MIN = 400
PRESSED_FRACTION = 0.05
EXTRAPOLATION_FACTOR = 30.0


def _names(items: list[tuple[str, float]], fmt: str) -> str:
    return ", ".join(f"{k} ({v:{fmt}})" for k, v in items)


def convergence_warnings(table: pd.DataFrame, stats: Mapping[str, np.ndarray],
                         n_draws: int) -> list[str]:
    """Warnings from a summary table (r_hat, ess_bulk, ess_tail) and the sampler stats."""
    out: list[str] = []
    chains = int(np.shape(stats["diverging"])[0]) if "diverging" in stats else 0
    if chains == 1:
        out.append("R-hat needs at least 2 chains, so convergence was not checked; "
                   "fit with --chains 4")
    elif len(table) and table["ess_bulk"].isna().all():
        out.append("too few draws to check convergence (R-hat, ESS); increase --draws")
    div = int(np.sum(stats["diverging"])) if "diverging" in stats else 0
    if div:
        out.append(
            f"{div} divergent transitions ({100 * div / n_draws:.1f}% of draws): the posterior "
            "may be biased; refit with a higher target_accept (--target-accept 0.95 or 0.99) "
            "or tighter priors on the parameters the data do not pin down"
        )
    if "maxdepth_reached" in stats:
        frac = float(np.mean(stats["maxdepth_reached"]))
        if frac > 0.01:
            out.append(
                f"{100 * frac:.0f}% of transitions hit the maximum tree depth: sampling is "
                "inefficient and may not have explored the posterior; check for strongly "
                "correlated parameters or fix weakly identified ones"
            )
    rhat = [(k, v) for k, v in table["r_hat"].items() if np.isfinite(v) and v > RHAT_MAX]
    if rhat:
        out.append(
            f"R-hat > {RHAT_MAX} for {_names(rhat, '.3f')}: the chains disagree; run longer "
            "(--tune/--draws) and look for several modes before trusting the intervals"
        )
    ess = [(k, min(b, t)) for k, b, t in zip(table.index, table["ess_bulk"], table["ess_tail"],
                                             strict=True)
           if np.isfinite(b) and min(b, t) < ESS_MIN]
    if ess:
        out.append(
            f"effective sample size < {ESS_MIN} for {_names(ess, '.0f')}: the interval ends "
            "are noisy; increase --draws (or --chains)"
        )
    return out


def design_warnings(spec: ModelSpec, runs: Runs) -> list[str]:
    """Warn when the runs cannot separate the terms of the law."""
    inputs = list(spec.law.inputs)
    if len(inputs) < 2 or runs.n < 3:
        return []
    x = np.vstack([runs.log(k) for k in inputs])
    corr = np.corrcoef(x)
    pairs = [(inputs[i], inputs[j], corr[i, j]) for i in range(len(inputs))
             for j in range(i + 1, len(inputs)) if abs(corr[i, j]) > 0.995]
    return [
        f"log {a} and log {b} move together in the runs (correlation {c:.3f}): the data "
        f"cannot separate the {a} and {b} terms of the law, so their split comes from the "
        f"priors; add runs with other {b}/{a} ratios"
        for a, b, c in pairs
    ]


def bound_warnings(spec: ModelSpec, draws: Mapping[str, np.ndarray]) -> list[str]:
    """Warn when a parameter's posterior piles up at a bound of its range."""
    out: list[str] = []
    for p in spec.sampled():
        c = spec.coordinate(p)
        if not c.bounded or p.name not in draws:
            continue
        base = np.asarray(draws[p.name], dtype=float)
        if p.kind == "amplitude":
            base = base * spec.reference[p.input] ** (-np.asarray(draws[p.exponent]))
        u = (base - c.lo) / (c.hi - c.lo)
        for side, frac in (("lower", np.mean(u < 0.01)), ("upper", np.mean(u > 0.99))):
            if frac <= PRESSED_FRACTION:
                continue
            bound = c.lo if side == "lower" else c.hi
            what = (
                "the lowest observed loss" if p.kind == "floor" and side == "upper"
                else f"its {side} bound {bound:.4g}"
            )
            hint = (
                "the data do not constrain the floor: the runs may be far from saturation "
                "(put an informative prior on E) or the law may be wrong for these runs"
                if p.kind == "floor" else "the prior's range may be too narrow"
            )
            out.append(
                f"{p.base_name} is pressed against {what} ({100 * frac:.0f}% of draws within "
                f"1% of it): {hint}"
            )
    return out


def extrapolation_warning(points: pd.DataFrame, maxima: Mapping[str, float]) -> str | None:
    """One warning line if any point lies beyond ``EXTRAPOLATION_FACTOR`` × the data."""
    parts = []
    for k, v in maxima.items():
        if k not in points:
            continue
        ratio = float(np.max(points[k].to_numpy(dtype=float))) / v
        if ratio > EXTRAPOLATION_FACTOR:
            parts.append(f"{k} {ratio:,.0f}x")
    if not parts:
        return None
    return (
        f"extrapolating far beyond the largest observed run ({', '.join(parts)} the largest "
        f"observed; warning above {EXTRAPOLATION_FACTOR:g}x): the bands assume the law holds "
        "out there, which the runs cannot confirm"
    )
