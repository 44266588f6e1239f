"""Decision tables from a fit: allocation, inverse questions, regret, stopping, P(loss < target).

Each function takes a fit (its law and draws), computes the quantity per draw with
:mod:`bayescale.decisions.allocation` and summarises it tidily: one row per (budget or target,
quantity) with ``median``, ``lower``, ``upper`` (equal-tailed, ``prob``), and ``mean`` where an
expectation is what users want (the regret).

Layer: ``decisions``; reads fits, never refits.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..data.points import as_points, check_prob, percent
from ..diagnostics import checks
from ..errors import ExtrapolationWarning, SpecError
from ..model.predictive import location_draws, predictive_draws
from .allocation import (
    FORWARD_QUANTITIES,
    allocation_draws,
    check_k,
    closed_form,
    compute_for_loss_draws,
    halving_draws,
    has_allocation,
    is_compute_only,
    is_one_input,
    positive_values,
    regret_draws,
    stopping_draws,
)
from .cost import Cost


def quantiles(values: np.ndarray, prob: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Equal-tailed (lower, median, upper) over axis 0; draws at ``inf`` (never reached) count,
    so an upper end may be ``inf``; NaN draws (no optimum found) are left out."""
    q = [(1 - prob) / 2, 0.5, (1 + prob) / 2]
    values = np.asarray(values, dtype=float)
    finite = np.isfinite(values) | np.isnan(values)
    method = "linear" if finite.all() else "inverted_cdf"
    with np.errstate(invalid="ignore"):
        lo, med, hi = np.nanquantile(values, q, axis=0, method=method)
    return lo, med, hi


def _tidy(draws: Mapping[str, np.ndarray], key: str, keys: np.ndarray, prob: float,
          order: Sequence[str], extra: Mapping[str, np.ndarray] | None = None,
          mean: bool = False) -> pd.DataFrame:
    rows = []
    for name in order:
        if name not in draws:
            continue
        lo, med, hi = quantiles(draws[name], prob)
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-inf columns: NaN mean
            avg = np.nanmean(np.where(np.isfinite(draws[name]), draws[name], np.nan), axis=0)
        for j, at in enumerate(keys):
            row = {key: at, "quantity": name, "median": med[j], "lower": lo[j],
                   "upper": hi[j]}
            if mean:
                row["mean"] = avg[j]
            for col, values in (extra or {}).items():
                row[col] = values[j]
            row["prob"] = prob
            rows.append(row)
    return pd.DataFrame(rows)


def _theta(fit: Any) -> dict[str, np.ndarray]:
    return fit.draws()


#: Budgets per decade on which the compute needed for a target is found under the discrepancy.
DRIFT_GRID_PER_DECADE = 8


def _drift(fit: Any, along: str = "C") -> Any:
    """The fit's model discrepancy along ``along``, or None (none, or one along another
    input)."""
    disc = fit.discrepancy
    return disc if disc is not None and disc.input == along else None


def _drifted(loss: np.ndarray, log_x: np.ndarray, drift: Any) -> np.ndarray:
    """Loss draws (draws, values of the drift's input) with the discrepancy's offsets (zero
    inside the data)."""
    return loss * np.exp(drift.offsets(pd.DataFrame({drift.input: np.exp(log_x)}),
                                       loss.shape[0]))


def _grid_beyond(reference: float) -> np.ndarray:
    """Log values from ``reference`` to 1e60, :data:`DRIFT_GRID_PER_DECADE` per decade."""
    log_ref, hi = float(np.log(reference)), float(np.log(10.0) * 60.0)
    n = max(2, int(np.ceil((hi - log_ref) / np.log(10.0) * DRIFT_GRID_PER_DECADE)))
    return np.linspace(log_ref, hi, n)


def _first_crossing(loss: np.ndarray, log_x: np.ndarray, target: float
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per draw (rows of ``loss`` on the grid ``log_x``), the first log x where the loss
    reaches ``target``, interpolated in log loss (``inf`` where never); with the bracketing
    grid indices and weight, to interpolate other quantities the same way."""
    n = len(log_x)
    below = loss <= target
    first = np.where(below.any(axis=1), below.argmax(axis=1), -1)
    rows = np.arange(loss.shape[0])
    i1 = np.clip(first, 1, n - 1)
    i0 = i1 - 1
    l0, l1 = np.log(loss[rows, i0]), np.log(loss[rows, i1])
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.clip((l0 - np.log(target)) / (l0 - l1), 0.0, 1.0)
    x = np.where(first == 0, log_x[0], log_x[i0] + w * (log_x[i1] - log_x[i0]))
    solved = np.where(first >= 0, x, np.inf)
    return solved, i0, i1, np.where(first >= 0, w, np.nan)


def _compute_for_loss_drifted(fit: Any, targets: np.ndarray, plain: dict[str, np.ndarray],
                              drift: Any, k: float,
                              unique: float | None) -> dict[str, np.ndarray]:
    """Compute needed for each target when the loss beyond the data carries the discrepancy:
    per draw, the first budget (on a grid above the largest fitted compute, interpolated in log
    C) where the drifted frontier reaches the target. Answers inside the data are unchanged."""
    with np.errstate(divide="ignore"):
        inside = np.log(plain["C"]) <= np.log(drift.reference)
    log_c = _grid_beyond(drift.reference)
    grid = allocation_draws(fit.law, _theta(fit), np.exp(log_c), k=k, unique=unique)
    loss = _drifted(grid["loss"], log_c, drift)
    out = {key: np.array(v, dtype=float, copy=True) for key, v in plain.items()
           if key != "reachable"}
    rows = np.arange(loss.shape[0])
    for j, t in enumerate(targets):
        solved, i0, i1, w = _first_crossing(loss, log_c, t)
        keep = inside[:, j]
        out["C"][:, j] = np.where(keep, plain["C"][:, j], np.exp(solved))
        for key in ("N_opt", "D_opt"):
            if key in grid and key in out:
                g = np.log(grid[key])
                value = np.exp(g[rows, i0] + w * (g[rows, i1] - g[rows, i0]))
                value = np.where(np.isfinite(solved), value, np.inf)
                out[key][:, j] = np.where(keep, plain[key][:, j], value)
    out["reachable"] = np.isfinite(out["C"])
    return out


def _input_for_loss_drifted(fit: Any, targets: np.ndarray, plain: dict[str, np.ndarray],
                            drift: Any) -> dict[str, np.ndarray]:
    """A one-input law's input that reaches each target when the loss beyond the data carries
    the discrepancy (along that input); answers inside the data are unchanged."""
    name = fit.law.inputs[0]
    log_x = _grid_beyond(drift.reference)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        law_loss = np.exp(np.asarray(fit.law.location(
            np, {name: log_x[None, :]}, {k: np.asarray(v)[:, None]
                                         for k, v in _theta(fit).items()}), dtype=float))
    loss = _drifted(law_loss, log_x, drift)
    out = np.array(plain[name], dtype=float, copy=True)
    with np.errstate(divide="ignore"):
        inside = np.log(out) <= np.log(drift.reference)
    for j, t in enumerate(targets):
        solved, *_ = _first_crossing(loss, log_x, t)
        out[:, j] = np.where(inside[:, j], out[:, j], np.exp(solved))
    return {name: out, "reachable": np.isfinite(out)}


def _attrs(fit: Any, prob: float, k: float, **more: Any) -> dict[str, Any]:
    law = fit.law
    method = ("closed form" if closed_form(law) else
              "L(C)" if is_compute_only(law) else "numerical")
    return {"prob": prob, "interval": "equal-tailed", "law": law.name, "k": k,
            "method": method, "draws": fit.n_draws, "posterior": fit.method, **more}


def _warn_extrapolation(fit: Any, table: pd.DataFrame, compute: np.ndarray | None) -> None:
    """The same extrapolation warning as predictions: budgets (or the median compute needed)
    and the median N*, D* against the largest observed run."""
    med = table.pivot_table(index=table.columns[0], columns="quantity", values="median",
                            sort=False)
    points = pd.DataFrame(index=range(len(med)))
    if compute is not None:
        points["C"] = compute
    for name, cols in (("C", ("C",)), ("N", ("N_opt", "N")), ("D", ("D_opt", "D"))):
        col = next((c for c in cols if c in med), None)
        if col is not None and name not in points:
            points[name] = med[col].to_numpy()
    points = points.replace([np.inf, -np.inf], np.nan).dropna(axis=0, how="any")
    message = (checks.extrapolation_warning(points, fit.runs.maxima(),
                                            hint=fit.discrepancy is None)
               if len(points) else None)
    if message:
        warnings.warn(message, ExtrapolationWarning, stacklevel=3)


def _sort(table: pd.DataFrame, key: str) -> pd.DataFrame:
    if table.empty:
        return table
    return table.sort_values([key], kind="stable").reset_index(drop=True)


def optimal(fit: Any, compute: float | Sequence[float], *, prob: float = 0.95,
            k: float | None = None, unique: float | None = None, cost: Cost | None = None
            ) -> pd.DataFrame:
    """Compute-optimal allocation at each budget, with intervals.

    Returns a tidy DataFrame: one row per (``C``, ``quantity``) with ``median``, ``lower``,
    ``upper`` and ``prob``. Quantities: ``N_opt``, ``D_opt``, ``tokens_per_param``, ``loss``,
    ``a``, ``b``, ``gamma``, ``halving_multiple`` (compute-only laws: ``loss``, ``gamma``,
    ``halving_multiple``), plus ``gpu_hours``/``cost`` with ``cost``. ``attrs`` states ``k``,
    the probability and whether the closed form or the numerical optimiser was used.
    """

    prob = check_prob(prob)
    c = positive_values(compute)
    k = check_k(k, fit.law)
    draws = allocation_draws(fit.law, _theta(fit), c, k=k, unique=unique)
    drift = _drift(fit)
    if drift is not None:  # the loss at a budget beyond the data carries the discrepancy
        draws["loss"] = _drifted(draws["loss"], np.log(c), drift)
    failed = {name: float(np.isnan(v).mean()) for name, v in draws.items()}
    table = _sort(_tidy(draws, "C", c, prob, FORWARD_QUANTITIES), "C")
    table.attrs = _attrs(fit, prob, k, unique=unique)
    notes = []
    if failed.get("N_opt", 0.0) > 0:
        notes.append(f"{100 * failed['N_opt']:.1f}% of draws have no optimum within "
                     f"tokens/parameter 1e-17..1e17; they are left out of the intervals")
    table.attrs["notes"] = notes
    _warn_extrapolation(fit, table, c)
    return cost.add_rows(table, "C") if cost is not None else table


def compute_for_loss(fit: Any, target: float | Sequence[float], *, prob: float = 0.95,
                     k: float | None = None, unique: float | None = None,
                     cost: Cost | None = None) -> pd.DataFrame:
    """What it takes to reach each target loss: rows per (``target``, ``quantity``) for the
    compute ``C`` on the frontier, ``N_opt``/``D_opt`` there, ``N_min``/``D_min`` (for laws
    with such terms), with ``p_reachable`` = P(E < target). Intervals keep the draws that
    never reach the target (as ``inf``). With a model discrepancy along C, the loss beyond the
    largest fitted compute carries it: ``C``, ``N_opt``, ``D_opt`` and ``p_reachable`` (within
    1e60 FLOPs) integrate over it; ``N_min``/``D_min`` (no compute) do not."""

    prob = check_prob(prob)
    targets = positive_values(target, "target loss")
    k = check_k(k, fit.law)
    draws = compute_for_loss_draws(fit.law, _theta(fit), targets, k=k, unique=unique)
    if is_one_input(fit.law):
        drift = _drift(fit, fit.law.inputs[0])
        if drift is not None:
            draws = _input_for_loss_drifted(fit, targets, draws, drift)
    else:
        drift = _drift(fit)
        if drift is not None:
            draws = _compute_for_loss_drifted(fit, targets, draws, drift, k, unique)
    reach = draws.pop("reachable").mean(axis=0)
    table = _tidy(draws, "target", targets, prob,
                  ("C", "N", "D", "N_opt", "D_opt", "N_min", "D_min"),
                  extra={"p_reachable": reach})
    table = _sort(table, "target")
    table.attrs = _attrs(fit, prob, k, unique=unique)
    _warn_extrapolation(fit, table, None)
    return cost.add_rows(table, "target") if cost is not None else table


def halving(fit: Any, start: float | Sequence[float] | None = None, *,
            prob: float = 0.95) -> pd.DataFrame:
    """How many times more of a one-input law's input halves the reducible loss ``L − E``,
    from each ``start`` (default: the largest fitted value): rows per (``start``,
    ``quantity``) for ``multiple`` and the input there (``N``, ``D`` or ``C``), with
    ``p_reachable``. A property of the law's mean (the discrepancy is not added): for
    ``E + A·X^-α`` the multiple is ``2^(1/α)`` from any start."""
    prob = check_prob(prob)
    name = fit.law.inputs[0]
    if start is None:
        start = [float(fit.runs.table[name].max())]
    starts = positive_values(start, f"halving from {name}")
    draws = halving_draws(fit.law, _theta(fit), starts)
    reach = draws.pop("reachable").mean(axis=0)
    table = _tidy(draws, "start", starts, prob, ("multiple", name),
                  extra={"p_reachable": reach})
    table.attrs = {"prob": prob, "interval": "equal-tailed", "law": fit.law.name,
                   "input": name, "draws": fit.n_draws, "posterior": fit.method}
    return table


def _plan(compute: np.ndarray, k: float, size: float | None, tokens: float | None,
          tokens_per_param: float | None) -> tuple[np.ndarray, np.ndarray]:
    given = [v is not None for v in (size, tokens, tokens_per_param)]
    if sum(given) != 1:
        raise SpecError("regret: give exactly one of N, D or tokens_per_param for the plan")
    if tokens_per_param is not None:
        r = positive_values(tokens_per_param, "tokens_per_param")[0]
        n = np.sqrt(compute / (k * r))
        return n, r * n
    if size is not None:
        n = np.full(compute.shape, positive_values(size, "N")[0])
        return n, compute / (k * n)
    d = np.full(compute.shape, positive_values(tokens, "D")[0])
    return compute / (k * d), d


def regret(fit: Any, compute: float | Sequence[float], *, tokens_per_param: float | None = None,
           N: float | None = None, D: float | None = None, prob: float = 0.95,
           k: float | None = None, unique: float | None = None) -> pd.DataFrame:
    """Expected cost of a heuristic plan (e.g. 20 tokens per parameter, or a fixed N or D) at
    each budget, against the posterior optimum at the same compute.

    Rows per (``C``, ``quantity``): ``excess_loss`` = L(plan) − L*(C) and ``compute_wasted`` =
    1 − C_opt(L(plan))/C, the share of the budget the optimal allocation would not have needed
    to reach the plan's loss; ``mean`` is the posterior expectation. Columns ``N``, ``D`` give
    the plan."""

    prob = check_prob(prob)
    law = fit.law
    if not has_allocation(law):
        raise SpecError(f"regret: law {law.name!r} has no N and D inputs to allocate between")
    c = positive_values(compute)
    k = check_k(k, law)
    n, d = _plan(c, k, N, D, tokens_per_param)
    draws = regret_draws(law, _theta(fit), c, n, d, k=k, unique=unique)
    drift = _drift(fit)
    if drift is not None:  # both losses at the budget carry the same discrepancy factor
        draws["excess_loss"] = _drifted(draws["excess_loss"], np.log(c), drift)
    table = _tidy(draws, "C", c, prob,
                  ("excess_loss", "compute_wasted"), extra={"N": n, "D": d}, mean=True)
    table = _sort(table, "C")
    table.attrs = _attrs(fit, prob, k, unique=unique,
                         plan={"tokens_per_param": tokens_per_param, "N": N, "D": D})
    return table


def probability_below(fit: Any, points: Any, target: float) -> pd.DataFrame:
    """P(loss < target) at planned runs: ``p_mean_below`` for the law's mean loss and
    ``p_observed_below`` for a new run's observed loss (observation noise and, for laws with
    run effects, a new run's effect included)."""

    target = float(positive_values(target, "target loss")[0])
    law = fit.law
    if law.response != "loss":
        raise SpecError(f"law {law.name!r} predicts {law.response}; P(loss < target) needs a "
                        "loss law")
    table = as_points(points, law, columns=fit.runs.columns)
    theta = _theta(fit)
    location = location_draws(law, theta, table)
    offset, new_run_sd = fit.predictive_offsets(table, theta)
    if offset is not None:
        location = location + offset
    observed = predictive_draws(fit.likelihood, location, theta, new_run_sd=new_run_sd)
    out = table.copy()
    out["target"] = target
    out["p_mean_below"] = (fit.likelihood.natural(location) < target).mean(axis=0)
    out["p_observed_below"] = (observed < target).mean(axis=0)
    return out


def run_forecast(fit: Any, run: str, final_tokens: float | Sequence[float], *,
                 prob: float = 0.95, targets: Sequence[float] | None = None) -> pd.DataFrame:
    """Forecast the final loss of a partial run of a learning-curve fit (a law with run
    effects): the fitted run ``run`` continued to each of ``final_tokens``, with its own run
    effect. One row per final token count: ``run``, ``N`` (the run's size), ``D``, the
    prediction columns of ``fit.predict`` (``median``, ``lower``, ``upper``, ``pp_lower``,
    ``pp_upper``, ...) and, for each of ``targets``, ``p_below_<target>``: P(observed loss <
    target)."""
    if not fit.spec.n_groups:
        raise SpecError(f"run={run!r}: forecasting a run needs a fit with run effects (law "
                        f"'learning_curve'), not {fit.law.name!r}")
    labels = list(fit.runs.groups[1])
    if str(run) not in set(labels):
        more = ", ..." if len(labels) > 8 else ""
        raise SpecError(f"run={run!r}: no such run in the fit (runs: {', '.join(labels[:8])}"
                        f"{more})")
    tokens = positive_values(final_tokens, "final tokens")
    runs = fit.runs.table
    column = next(c for c in ("run", "run_id") if c in runs.columns)
    size = float(runs.loc[runs[column].astype(str) == str(run), "N"].iloc[0])
    points = pd.DataFrame({"run": [str(run)] * len(tokens), "N": size, "D": tokens})
    table = fit.predict(points, prob=prob)
    for target in targets or ():
        p = probability_below(fit, points, target)
        table[f"p_below_{target:g}"] = p["p_observed_below"].to_numpy()
    return table


def stopping(fit: Any, N: float | Sequence[float], *, prob: float = 0.95,
             k: float | None = None, unique: float | None = None) -> pd.DataFrame:
    """The compute-efficient stopping point of a model of size ``N`` (rows per (``N``,
    ``quantity``): ``D_stop``, ``C_stop``, ``loss_stop``). Training N past ``D_stop`` still
    lowers its loss, but the same compute spent on a larger model would lower it more."""

    prob = check_prob(prob)
    sizes = positive_values(N, "model size N")
    k = check_k(k, fit.law)
    draws = stopping_draws(fit.law, _theta(fit), sizes, k=k, unique=unique)
    table = _sort(_tidy(draws, "N", sizes, prob, ("D_stop", "C_stop", "loss_stop")), "N")
    table.attrs = _attrs(fit, prob, k, unique=unique)
    return table


def frontier_bands(fit: Any, compute: Sequence[float], *, probs: Sequence[float] = (0.5, 0.95),
                   k: float | None = None, unique: float | None = None) -> pd.DataFrame:
    """Data twin of :func:`bayescale.plot.frontier`: at each budget ``C``, the median and, per
    probability p (percent), ``lower_p``/``upper_p`` of ``N_opt``, ``D_opt`` and ``loss``
    (columns ``<quantity>``, ``<quantity>_lower_<p>``, ``<quantity>_upper_<p>``)."""

    c = positive_values(compute)
    draws = allocation_draws(fit.law, _theta(fit), c, k=k, unique=unique)
    out = pd.DataFrame({"C": c})
    for name in ("N_opt", "D_opt", "loss"):
        if name not in draws:
            continue
        for prob in sorted(check_prob(p) for p in probs):
            lo, med, hi = quantiles(draws[name], prob)
            out[name] = med
            out[f"{name}_lower_{percent(prob)}"] = lo
            out[f"{name}_upper_{percent(prob)}"] = hi
    out.attrs.update({"probs": sorted(probs), "k": check_k(k, fit.law), "law": fit.law.name})
    return out


def wide(table: pd.DataFrame, key: str) -> pd.DataFrame:
    """One row per key value, one column per quantity (its median) with ``<q>_lower`` and
    ``<q>_upper``: the shape of a printed table."""
    parts = {}
    for name in dict.fromkeys(table["quantity"]):
        sub = table[table["quantity"] == name].set_index(key)
        parts[name] = sub["median"]
        parts[f"{name}_lower"] = sub["lower"]
        parts[f"{name}_upper"] = sub["upper"]
    return pd.DataFrame(parts)
