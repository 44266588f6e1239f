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
  (checked by ``predict``);
* an input with an exponent at fewer than :data:`MIN_LEVELS` (3) distinct values (values within
  2% are one), or with :data:`CROWDED_SHARE` (75%) of the runs at one value;
* a shrinkage below :data:`SHRINKAGE_LAW_MIN` (0.25) for a floor, amplitude or exponent, or
  below :data:`SHRINKAGE_MIN` (0.1) for any other parameter.

Design and shrinkage warnings name the parameter, say why the runs do not set it and which runs
would (``add runs at D ≥ 8.8e10``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..data.runs import Runs
from ..laws import Law, Param
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
    """Warn when the runs cannot pin down parameters of the law: fewer runs than free
    parameters, too few distinct levels of an input (:func:`level_warnings`), or log inputs
    that move together."""
    out = []
    free = [p.name for p in spec.sampled()]
    if runs.n < len(free):
        out.append(f"{runs.n} runs for {len(free)} free parameters: the priors decide what "
                   "the runs cannot (see the shrinkage in 'bayescale summary'); the "
                   "intervals are honest about it, but report derived quantities rather than "
                   "the parameters")
    return out + level_warnings(spec, runs) + _separation_warnings(spec, runs)


# -- design: does each input vary enough to set its exponent? ------------------------------------
#: Values of an input within this factor of a level's smallest value count as that level (2%).
LEVEL_TOLERANCE = 1.02
#: An input with an exponent needs at least this many distinct levels...
MIN_LEVELS = 3
#: ...and no single level holding this share of the runs or more.
CROWDED_SHARE = 0.75
#: The runs a warning suggests: at this multiple of the largest observed value of the input.
EXTEND_FACTOR = 4.0


def _num(x: float) -> str:
    """A value for a message: large ones in 2 significant digits (``4.4e10``, ``3e21``), others
    as they are (``0.25``)."""
    if 1e-3 <= abs(x) < 1e4:
        return f"{x:.4g}"
    mantissa, exp = f"{x:.1e}".split("e")
    return f"{mantissa.removesuffix('.0')}e{int(exp)}"


def _levels(values: np.ndarray) -> list[tuple[float, int]]:
    """Distinct levels of positive values, smallest first: (typical value, count). A level
    takes every value within :data:`LEVEL_TOLERANCE` of its smallest one."""
    x = np.sort(np.log(np.asarray(values, dtype=float)))
    out, start, tol = [], 0, float(np.log(LEVEL_TOLERANCE))
    for i in range(1, len(x) + 1):
        if i == len(x) or x[i] - x[start] > tol:
            out.append((float(np.exp(np.median(x[start:i]))), i - start))
            start = i
    return out


def _param_inputs(law: Law) -> dict[str, str]:
    """The input each exponent, amplitude or scale of the law belongs to: an amplitude's and
    its exponent's ``input``, a scale's ``input``, the only input of a one-input law, or the
    input an exponent is named after (``alpha_N``)."""
    out: dict[str, str] = {}
    for p in law.params:
        if p.kind == "amplitude" and p.input:
            out[p.name] = p.input
            if p.exponent:
                out[p.exponent] = p.input
        elif p.kind == "scale" and p.input:
            out[p.name] = p.input
    inputs = list(law.inputs)
    for p in law.params:
        if p.kind != "exponent" or p.name in out:
            continue
        named = [k for k in inputs if p.name.endswith(f"_{k}")]
        if len(inputs) == 1 or named:
            out[p.name] = named[0] if named else inputs[0]
    return out


def _input_params(spec: ModelSpec) -> dict[str, list[Param]]:
    """Sampled parameters the levels of each input decide (exponents first), for the inputs
    that carry a sampled exponent."""
    where = _param_inputs(spec.law)
    order = {"exponent": 0, "amplitude": 1}
    out: dict[str, list[Param]] = {}
    for p in sorted(spec.sampled(), key=lambda q: order.get(q.kind, 2)):
        if p.name in where:
            out.setdefault(where[p.name], []).append(p)
    return {k: ps for k, ps in out.items() if any(p.kind == "exponent" for p in ps)}


def _describe(params: list[tuple[str, str]], k: str | None,
              extra: Mapping[str, str] | None = None) -> str:
    """``beta (the D exponent) and B`` from (name, kind) pairs, each with an optional note
    (its shrinkage)."""
    names = []
    for name, kind in params:
        notes = ([f"the {k} exponent"] if kind == "exponent" and k else []) + (
            [extra[name]] if extra and name in extra else [])
        names.append(f"{name} ({'; '.join(notes)})" if notes else name)
    return " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 2 else names)


def _beyond(k: str, largest: float) -> str:
    """``D ≥ 8.8e10 (4× the largest D so far)``: where the suggested runs go."""
    return (f"{k} ≥ {_num(EXTEND_FACTOR * largest)} ({EXTEND_FACTOR:g}× the largest {k} "
            "so far)")


def _thin_inputs(spec: ModelSpec, runs: Runs) -> dict[str, str]:
    """Inputs whose levels cannot set their exponent, each with the reason in words."""
    unit = "rows" if spec.law.grouped else "runs"
    out = {}
    for k in _input_params(spec):
        if k not in runs.table or runs.n < 2:
            continue
        levels = _levels(runs.values(k))
        top_value, top = max(levels, key=lambda lv: lv[1])
        if len(levels) == 1:
            out[k] = (f"all {runs.n} {unit} have {k} ≈ {_num(top_value)} (within "
                      f"{100 * (LEVEL_TOLERANCE - 1):g}%)")
        elif len(levels) < MIN_LEVELS:
            where = ", ".join(f"{n} at {k} = {_num(v)}" for v, n in
                              sorted(levels, key=lambda lv: -lv[1]))
            out[k] = f"only {len(levels)} distinct {k} values in the {runs.n} {unit} ({where})"
        elif runs.n >= 4 and top >= CROWDED_SHARE * runs.n:
            out[k] = (f"{top} of the {runs.n} {unit} share {k} = {_num(top_value)} "
                      f"({len(levels)} distinct {k} values, {_num(levels[0][0])} to "
                      f"{_num(levels[-1][0])})")
    return out


def level_warnings(spec: ModelSpec, runs: Runs) -> list[str]:
    """Warn, per input with an exponent, when the runs sit at fewer than :data:`MIN_LEVELS`
    distinct values of it, or :data:`CROWDED_SHARE` of them at one value: that exponent (and
    its amplitude) then comes from the prior; the warning says which runs would fix it."""
    params = _input_params(spec)
    response = spec.law.response
    return [
        f"{why}: too little spread to learn how the {response} falls with {k}, so "
        f"{_describe([(p.name, p.kind) for p in params[k]], k)} come mostly from the prior, "
        f"not the runs; add runs at {_beyond(k, float(np.max(runs.values(k))))}"
        for k, why in _thin_inputs(spec, runs).items()
    ]


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


#: A floor whose posterior median lies within this share of its range from 0 is reported as
#: pushed toward 0 (even when too few draws are within 1% to count as pressed).
FLOOR_NEAR_ZERO = 0.05


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
        if (p.kind == "floor" and c.lo == 0 and not np.mean(u < 0.01) > PRESSED_FRACTION
                and np.median(u) < FLOOR_NEAR_ZERO):
            out.append(
                f"{p.base_name} is pushed toward 0 (median {np.median(base):.3g}, "
                f"{100 * np.median(u):.1f}% of the way to the lowest observed loss): the runs "
                "show no floor, so extrapolations follow a pure power law to zero loss; put "
                "an informative prior on E, or check that the law fits these runs"
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
            parts.append(f"{k} {ratio:,.0f}x" if ratio < 1e6 else f"{k} {ratio:.3g}x")
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
#: Below this shrinkage a floor, amplitude or exponent is reported as set by its prior: its
#: posterior sd is still above ~87% of the prior's (the Gemstones runs that barely vary D give
#: the D exponent 0.13, which 0.1 missed).
SHRINKAGE_LAW_MIN = 0.25
#: Below this shrinkage any other parameter (noise scale, degrees of freedom, run-effect sd, a
#: break) is reported; such nuisance parameters are often weakly learned without harm.
SHRINKAGE_MIN = 0.1
#: Kinds compared on the log scale (the floor is compared on its natural scale: its range
#: starts at 0, where a log exaggerates the spread of a floor the data push down).
_LOG_KINDS = ("exponent", "amplitude", "positive", "scale")
#: Kinds of the law's own shape, held to :data:`SHRINKAGE_LAW_MIN`.
_LAW_KINDS = ("floor", "amplitude", "exponent")


def shrinkage(spec: ModelSpec, draws: Mapping[str, np.ndarray], n_prior: int = 4000,
              seed: int = 0) -> pd.DataFrame:
    """Prior vs posterior spread of each sampled parameter (Betancourt's posterior
    contraction): ``shrinkage = 1 − var(posterior)/var(prior)``, on the log scale for positive
    parameters. Near 1: learned from the data; near 0: the prior speaks. Prior draws come from
    the spec's priors in numpy (no PyMC). ``attrs`` keep each parameter's kind and input, for
    :func:`shrinkage_warnings`."""
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
    table.attrs.update({"kinds": {p.name: p.kind for p in spec.params},
                        "origins": _origins(spec),
                        "inputs": _param_inputs(spec.law), "law_inputs": list(spec.law.inputs)})
    return table


def shrinkage_warnings(table: pd.DataFrame, *, spec: ModelSpec | None = None,
                       runs: Runs | None = None) -> list[str]:
    """One line per input whose exponent or amplitude has shrinkage below
    :data:`SHRINKAGE_LAW_MIN`, one for a floor below it, and one for the other parameters
    below :data:`SHRINKAGE_MIN`. Each says which parameter, why, and what runs would fix it;
    with ``runs`` (and ``spec``) the fix names the values to run at, and an input already
    flagged by :func:`level_warnings` is left to that warning."""
    if "shrinkage" not in table or not len(table):
        return []
    kinds = ({p.name: p.kind for p in spec.params} if spec is not None
             else dict(table.attrs.get("kinds") or {}))
    where = (_param_inputs(spec.law) if spec is not None
             else dict(table.attrs.get("inputs") or {}))
    law_inputs = (list(spec.law.inputs) if spec is not None
                  else list(table.attrs.get("law_inputs") or []))
    origins = _origins(spec) if spec is not None else dict(table.attrs.get("origins") or {})
    thin = _thin_inputs(spec, runs) if spec is not None and runs is not None else {}
    values = {k: float(v) for k, v in table["shrinkage"].items() if np.isfinite(v)}
    weak_law = {k: v for k, v in values.items()
                if kinds.get(k) in _LAW_KINDS and v < SHRINKAGE_LAW_MIN}
    out: list[str] = []
    groups: dict[str | None, list[str]] = {}
    for name in weak_law:
        if kinds[name] != "floor":
            groups.setdefault(where.get(name), []).append(name)
    order = {"exponent": 0, "amplitude": 1}
    for k in sorted(groups, key=lambda g: law_inputs.index(g) if g in law_inputs else 99):
        if k in thin:
            continue  # the levels warning already names these parameters and the fix
        out.append(_weak_term(sorted(groups[k], key=lambda n: order.get(kinds[n], 2)), k,
                              values, kinds, law_inputs, runs))
    for name in (n for n in weak_law if kinds[n] == "floor"):
        out.append(_weak_floor(name, weak_law[name], law_inputs, runs, origins.get(name)))
    other = [(k, v) for k, v in values.items()
             if kinds.get(k) not in _LAW_KINDS and v < SHRINKAGE_MIN]
    if other:
        out.append(f"{_names(other, '.2f')}: the posterior is barely narrower than the prior "
                   f"(shrinkage < {SHRINKAGE_MIN:g}), so these come from the prior, not the "
                   "data; report derived quantities (predictions, allocation) rather than "
                   "these parameters, or add runs that constrain them")
    return out


def _weak_term(names: list[str], k: str | None, shrink: Mapping[str, float],
               kinds: Mapping[str, str], law_inputs: list[str], runs: Runs | None) -> str:
    """The line for an input's weakly learned exponent and amplitude (``shrink``: every
    sampled parameter's shrinkage)."""
    notes = {n: f"shrinkage {shrink[n]:.2f}" for n in names}
    who = _describe([(n, kinds[n]) for n in names], k, notes)
    head = (f"{who} {'comes' if len(names) == 1 else 'come'} from the prior, not the data "
            f"(shrinkage below {SHRINKAGE_LAW_MIN:g}: the posterior is "
            f"{'no' if max(shrink[n] for n in names) <= 0 else 'barely'} narrower than the "
            "prior)")
    if k is None:
        return head + "; add runs over a wider range of the inputs"
    if runs is None or k not in runs.table:
        return head + f"; add runs at larger {k}"
    x = runs.values(k)
    lo, hi = float(np.min(x)), float(np.max(x))
    span = hi / lo
    rest = (["floor"] if any(kinds.get(n) == "floor" for n in shrink) else []) + [
        f"{j} term" for j in law_inputs if j != k]
    why = (f"the runs span only {span:.1f}× in {k} ({_num(lo)} to {_num(hi)})" if span < 10
           else f"the runs span {span:.0f}× in {k} ({_num(lo)} to {_num(hi)})"
           + (f", yet not enough to tell its slope from the {' and the '.join(rest)}"
              if rest else ""))
    return f"{head}: {why}; add runs at {_beyond(k, hi)}"


def _origins(spec: ModelSpec) -> dict[str, str]:
    """Where each parameter's prior came from: "user", "field" or "weak"."""
    return {p.name: spec.origins.get(spec.prior_for(p)[0], "weak") for p in spec.params}


def _weak_floor(name: str, value: float, law_inputs: list[str], runs: Runs | None,
                origin: str | None = None) -> str:
    """The line for a weakly learned floor."""
    head = (f"{name} (the floor; shrinkage {value:.2f}) comes from the prior, not the data: "
            "the runs are likely far from saturation, so they do not show where the loss "
            "levels off")
    tail = {"field": "or check that its prior, learned from public scaling studies, suits "
                     "these models",
            "user": "or check that the prior you gave it suits these models"}.get(
        origin or "", "or give it an informative prior from a study of similar models")
    if runs is None:
        return f"{head}; add runs at larger compute, {tail}"
    k = ("C" if "C" in runs.table and (len(law_inputs) > 1 or "C" in law_inputs)
         else next((j for j in law_inputs if j in runs.table), None))
    if k is None:
        return f"{head}; add runs at larger compute, {tail}"
    what = "compute" if k == "C" else k
    return (f"{head} (lowest loss {float(np.min(runs.y)):.3g}); add runs at larger {what}, "
            f"{_beyond(k, float(np.max(runs.values(k))))}, {tail}")


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
