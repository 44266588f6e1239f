"""Checks of inference quality, run after every fit; each problem becomes one warning line.

Thresholds (Vehtari et al. 2021; modeling.md §4.1):

* any divergent transition after tuning;
* R-hat above :data:`RHAT_MAX` (1.01) for any parameter;
* bulk or tail ESS below :data:`ESS_MIN` (400) for any parameter;
* more than 1% of transitions at the maximum tree depth;
* an E-BFMI below :data:`BFMI_MIN` (0.3) in any chain (Betancourt 2016), from the sampler's
  ``energy``;
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

from ..data.runs import Runs
from ..model.spec import ModelSpec
from ._arviz import bfmi

RHAT_MAX = 1.01
ESS_MIN = 400
BFMI_MIN = 0.3
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
                   "fit with chains=4")
    elif len(table) and table["ess_bulk"].isna().all():
        out.append("too few draws to check convergence (R-hat, ESS); increase draws=")
    div = int(np.sum(stats["diverging"])) if "diverging" in stats else 0
    if div:
        out.append(
            f"{div} divergent transitions ({100 * div / n_draws:.1f}% of draws): the posterior "
            "may be biased; refit with a higher target_accept (target_accept=0.95 or 0.99) "
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
    if "energy" in stats:
        low = [(str(c), v) for c, v in enumerate(bfmi(stats["energy"]))
               if np.isfinite(v) and v < BFMI_MIN]
        if low:
            where = (f"E-BFMI {low[0][1]:.2f} < {BFMI_MIN} in chain {low[0][0]}" if len(low) == 1
                     else f"E-BFMI < {BFMI_MIN} in chains {_names(low, '.2f')}")
            out.append(
                f"{where}: the sampler explores the tails poorly, so the intervals may be too "
                "narrow; give the parameters the data do not pin down tighter priors (or fix "
                "them) and refit"
            )
    rhat = [(k, v) for k, v in table["r_hat"].items() if np.isfinite(v) and v > RHAT_MAX]
    if rhat:
        out.append(
            f"R-hat > {RHAT_MAX} for {_names(rhat, '.3f')}: the chains disagree; run longer "
            "(tune=, draws=) and look for several modes before trusting the intervals"
        )
    ess = [(k, min(b, t)) for k, b, t in zip(table.index, table["ess_bulk"], table["ess_tail"],
                                             strict=True)
           if np.isfinite(b) and min(b, t) < ESS_MIN]
    if ess:
        out.append(
            f"effective sample size < {ESS_MIN} for {_names(ess, '.0f')}: the interval ends "
            "are noisy; increase draws= (or chains=)"
        )
    return out


def design_warnings(spec: ModelSpec, runs: Runs) -> list[str]:
    """Warn when the runs cannot separate the terms of the law, or are fewer than its free
    parameters."""
    out = []
    free = [p.name for p in spec.sampled()]
    if runs.n < len(free):
        out.append(f"{runs.n} runs for {len(free)} free parameters: the priors decide what "
                   "the runs cannot (see the shrinkage in 'bayescale summary'); the "
                   "intervals are honest about it, but report derived quantities rather than "
                   "the parameters")
    return out + _separation_warnings(spec, runs)


def _separation_warnings(spec: ModelSpec, runs: Runs) -> list[str]:
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


def extrapolation_warning(points: pd.DataFrame, maxima: Mapping[str, float],
                          hint: bool = True) -> str | None:
    """One warning line if any point lies beyond ``EXTRAPOLATION_FACTOR`` × the data
    (``hint``: suggest the model-discrepancy term, for fits without one)."""
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
        + (" (a fit with discrepancy='auto' widens them by what the runs' own future shows)"
           if hint else "")
    )


# -- what the data taught: prior → posterior ------------------------------------------------------
#: Below this shrinkage a parameter is reported as set by its prior rather than the data.
SHRINKAGE_MIN = 0.1
#: Kinds compared on the log scale (the floor is compared on its natural scale: its range
#: starts at 0, where a log exaggerates the spread of a floor the data push down).
_LOG_KINDS = ("exponent", "amplitude", "positive", "scale")


def shrinkage(spec: ModelSpec, draws: Mapping[str, np.ndarray], n_prior: int = 4000,
              seed: int = 0) -> pd.DataFrame:
    """Prior vs posterior spread of each sampled parameter (Betancourt's posterior
    contraction): ``shrinkage = 1 − var(posterior)/var(prior)``, on the log scale for positive
    parameters. Near 1: learned from the data; near 0: the prior speaks. Prior draws come from
    the spec's priors in numpy (no PyMC)."""
    prior = spec.sample_prior(n_prior, np.random.default_rng(seed))
    rows = {}
    for p in spec.sampled():
        if p.name not in draws or p.name not in prior:
            continue
        post, pri = (np.asarray(d[p.name], dtype=float) for d in (draws, prior))
        keep = np.isfinite(post) & (post > 0 if p.kind in _LOG_KINDS else True)
        post = post[keep] if keep.any() else post
        scale = "log" if p.kind in _LOG_KINDS else "natural"
        if scale == "log":
            post, pri = np.log(post), np.log(pri)
        sd_post, sd_prior = float(np.std(post)), float(np.std(pri))
        rows[p.name] = {"prior_sd": sd_prior, "posterior_sd": sd_post, "scale": scale,
                        "shrinkage": 1.0 - (sd_post / sd_prior) ** 2 if sd_prior > 0
                        else float("nan")}
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "parameter"
    return table


def shrinkage_warnings(table: pd.DataFrame) -> list[str]:
    weak = [(k, v) for k, v in table["shrinkage"].items() if np.isfinite(v) and
            v < SHRINKAGE_MIN]
    if not weak:
        return []
    return [f"{_names(weak, '.2f')}: the posterior is barely narrower than the prior "
            f"(shrinkage < {SHRINKAGE_MIN:g}), so these come from the prior, not the data; "
            "report derived quantities (predictions, allocation) rather than these parameters, "
            "or add runs that constrain them"]


# -- posterior predictive checks ------------------------------------------------------------------
#: Residual structure is flagged when a quadratic in a log input explains more than this share
#: of the residual variance (with at least RESIDUAL_MIN_RUNS runs and p < 0.01).
RESIDUAL_R2 = 0.5
RESIDUAL_MIN_RUNS = 8


def residual_trend(x: np.ndarray, r: np.ndarray) -> tuple[float, float]:
    """R² and F-test p-value of ``r ~ 1 + x + x²`` (least squares)."""
    from scipy import stats

    x = (x - x.mean()) / (x.std() or 1.0)
    design = np.column_stack([np.ones_like(x), x, x * x])
    coef, *_ = np.linalg.lstsq(design, r, rcond=None)
    fitted = design @ coef
    ss_res = float(np.sum((r - fitted) ** 2))
    ss_tot = float(np.sum((r - r.mean()) ** 2))
    if ss_tot <= 0 or len(r) <= 3:
        return 0.0, 1.0
    r2 = 1.0 - ss_res / ss_tot
    f = (r2 / 2) / max((1 - r2) / (len(r) - 3), 1e-300)
    return r2, float(stats.f.sf(f, 2, len(r) - 3))


def residual_warnings(table: pd.DataFrame, inputs: list[str]) -> list[str]:
    """Warn when residuals (observed − fitted, on the likelihood's scale) follow a log input."""
    if len(table) < RESIDUAL_MIN_RUNS:
        return []
    out = []
    for k in inputs:
        if k not in table or table[k].nunique() < 4:
            continue
        r2, p = residual_trend(np.log(table[k].to_numpy(dtype=float)),
                               table["residual"].to_numpy(dtype=float))
        if r2 > RESIDUAL_R2 and p < 0.01:
            out.append(f"residuals follow log {k} (a quadratic in log {k} explains "
                       f"{100 * r2:.0f}% of them, p = {p:.1g}): the law's shape misses the runs "
                       "systematically, so its extrapolation is doubtful; try another family "
                       "('bayescale compare') or check the runs")
    return out


def pit_summary(pit: np.ndarray) -> dict[str, float]:
    """Kolmogorov–Smirnov distance of PIT values from uniform, and in-sample coverage."""
    from scipy import stats

    pit = np.asarray(pit, dtype=float)
    ks = stats.kstest(pit, "uniform")
    out = {"pit_ks": float(ks.statistic), "pit_ks_p": float(ks.pvalue)}
    for prob in (0.5, 0.8, 0.95):
        lo = (1 - prob) / 2
        out[f"coverage_{round(100 * prob)}"] = float(np.mean((pit > lo) & (pit < 1 - lo)))
    return out
