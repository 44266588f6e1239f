"""The point fit practitioners run instead of a posterior, for side-by-side comparison.

Hoffmann et al. (2022) / Besiroglu et al. (2024): minimise
``Σ Huber_δ(LSE(a − α log N, b − β log D, e) − log L)`` with δ = 1e-3 by L-BFGS from a grid of
starts (α, β ∈ {0, 0.5, …, 2}, e ∈ {−1, −0.5, …, 1}, a, b ∈ {0, 5, …, 25}: 4,500 starts), then
``A, B, E = exp(a, b, e)``. Two traps this implementation avoids (perf.md §7):

* the objective is divided by δ, otherwise its gradients are O(1e-3) and L-BFGS stops early;
* L-BFGS runs from the ``top_k`` starts of the grid (the whole grid is evaluated in one
  vectorised pass), which finds the same optimum as all 4,500 starts at 1% of the cost;
* BLAS runs single-threaded around the optimiser loops (threaded OpenBLAS makes each fit 8–16x
  slower on small problems).

Uncertainty, if any, comes from a nonparametric bootstrap over runs, warm-started from the best
fit (as users do; a full grid per replicate would take hours).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

HUBER_DELTA = 1e-3
NAMES = ("E", "A", "B", "alpha", "beta")


def hoffmann_grid() -> np.ndarray:
    """The 4,500 starts (a, b, e, alpha, beta) of Hoffmann/Epoch."""
    alphas = np.arange(0.0, 2.01, 0.5)
    es = np.arange(-1.0, 1.01, 0.5)
    ab = np.arange(0.0, 25.1, 5.0)
    return np.array([(a, b, e, al, be) for a, b, e, al, be in
                     itertools.product(ab, ab, es, alphas, alphas)])


def _huber_terms(x: np.ndarray, log_n: np.ndarray, log_d: np.ndarray, y: np.ndarray,
                 delta: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Residual-based objective (scaled by 1/delta) and its gradient, for a batch of x."""
    a, b, e, al, be = (x[:, i:i + 1] for i in range(5))
    ta, tb = a - al * log_n, b - be * log_d
    m = np.maximum(np.maximum(ta, tb), e)
    wa, wb, we = np.exp(ta - m), np.exp(tb - m), np.exp(e - m)
    tot = wa + wb + we
    r = m + np.log(tot) - y
    absr = np.abs(r)
    loss = np.where(absr <= delta, 0.5 * r**2, delta * (absr - 0.5 * delta)) / delta
    psi = np.clip(r, -delta, delta) / delta
    wa, wb, we = wa / tot, wb / tot, we / tot
    grad = np.stack([(psi * wa).sum(1), (psi * wb).sum(1), (psi * we).sum(1),
                     (-psi * wa * log_n).sum(1), (-psi * wb * log_d).sum(1)], axis=1)
    return loss.sum(1), grad, r


@dataclass(frozen=True)
class PointFit:
    """Result of the Huber point fit: parameters, objective, cost."""

    params: Mapping[str, float]
    objective: float
    n_objective_calls: int
    converged: bool

    @property
    def x(self) -> np.ndarray:
        p = self.params
        return np.array([np.log(p["A"]), np.log(p["B"]), np.log(p["E"]), p["alpha"],
                         p["beta"]])


def _to_params(x: np.ndarray) -> dict[str, float]:
    a, b, e, al, be = (float(v) for v in x)
    return {"E": float(np.exp(e)), "A": float(np.exp(a)), "B": float(np.exp(b)),
            "alpha": al, "beta": be}


def huber_fit(n: np.ndarray, d: np.ndarray, loss: np.ndarray, *, delta: float = HUBER_DELTA,
              top_k: int = 20, starts: np.ndarray | None = None) -> PointFit:
    """Hoffmann/Epoch's Chinchilla fit (see the module docstring)."""
    from scipy.optimize import minimize
    from threadpoolctl import threadpool_limits

    log_n, log_d, y = np.log(n)[None, :], np.log(d)[None, :], np.log(loss)[None, :]
    grid = hoffmann_grid() if starts is None else np.atleast_2d(starts)
    with np.errstate(over="ignore", invalid="ignore"):
        values = np.concatenate([_huber_terms(chunk, log_n, log_d, y, delta)[0]
                                 for chunk in np.array_split(grid, max(1, len(grid) // 500))])
    order = np.argsort(np.where(np.isfinite(values), values, np.inf))[:top_k]
    calls = len(grid)

    def objective(x: np.ndarray) -> tuple[float, np.ndarray]:
        nonlocal calls
        calls += 1
        with np.errstate(over="ignore", invalid="ignore"):
            value, grad, _ = _huber_terms(x[None, :], log_n, log_d, y, delta)
        if not np.isfinite(value[0]):
            return 1e300, np.zeros(5)
        return float(value[0]), grad[0]

    best = None
    with threadpool_limits(1):
        for x0 in grid[order]:
            res = minimize(objective, x0, jac=True, method="L-BFGS-B")
            if best is None or res.fun < best.fun:
                best = res
    return PointFit(_to_params(best.x), float(best.fun) * delta, calls, bool(best.success))


def bootstrap(n: np.ndarray, d: np.ndarray, loss: np.ndarray, *, replicates: int = 1000,
              seed: int = 0, start: PointFit | None = None,
              delta: float = HUBER_DELTA) -> dict[str, np.ndarray]:
    """Nonparametric bootstrap of :func:`huber_fit` over runs, warm-started from ``start``."""
    rng = np.random.default_rng(seed)
    start = start or huber_fit(n, d, loss, delta=delta)
    out = {k: np.empty(replicates) for k in NAMES}
    for i in range(replicates):
        idx = rng.integers(0, len(n), len(n))
        rep = huber_fit(n[idx], d[idx], loss[idx], delta=delta, top_k=1, starts=start.x)
        for k in NAMES:
            out[k][i] = rep.params[k]
    return out


def percentile_intervals(samples: Mapping[str, np.ndarray], prob: float = 0.95) -> Any:
    """Equal-tailed percentile intervals of bootstrap replicates (DataFrame)."""
    import pandas as pd

    q = [(1 - prob) / 2, 0.5, (1 + prob) / 2]
    rows = {k: dict(zip(("lower", "median", "upper"), np.quantile(v, q), strict=True))
            for k, v in samples.items()}
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.attrs["prob"] = prob
    return table


# -- Approach 2: isoFLOP parabolas ----------------------------------------------------------------
#: Budgets within this relative distance of each other form one isoFLOP curve.
BUDGET_RTOL = 0.05


def isoflop_budgets(compute: np.ndarray, rtol: float = BUDGET_RTOL) -> np.ndarray:
    """Label each run with its isoFLOP budget: runs whose compute lies within ``rtol`` of the
    previous one (in sorted order) share a budget. Returns each run's budget (the geometric
    mean of its group)."""
    c = np.asarray(compute, dtype=float)
    order = np.argsort(c)
    logc = np.log(c[order])
    group = np.concatenate([[0], np.cumsum(np.diff(logc) > np.log1p(rtol))])
    centre = np.exp(np.array([logc[group == g].mean() for g in range(group[-1] + 1)]))
    out = np.empty_like(c)
    out[order] = centre[group]
    return out


@dataclass(frozen=True)
class ParabolaFit:
    """Approach 2 (Hoffmann et al. 2022): a parabola ``L = p·u² + q·u + r`` in ``u = ln N``
    per isoFLOP budget, its vertex ``N*``, then ordinary least squares of ``ln N*`` on ``ln C``:
    ``N* = exp(intercept)·C^a``, ``D* = C/(k·N*)``, so ``b = 1 − a``."""

    vertices: Any  # DataFrame: C, N_opt, D_opt, loss_opt, points, log_n_lo, log_n_hi
    a: float
    log_intercept: float
    k: float
    skipped: tuple[str, ...]

    @property
    def b(self) -> float:
        return 1.0 - self.a

    def predict(self, compute: Any) -> Any:
        """``N_opt``, ``D_opt`` and ``tokens_per_param`` at the budgets (DataFrame)."""
        import pandas as pd

        c = np.atleast_1d(np.asarray(compute, dtype=float))
        n = np.exp(self.log_intercept + self.a * np.log(c))
        d = c / (self.k * n)
        return pd.DataFrame({"C": c, "N_opt": n, "D_opt": d, "tokens_per_param": d / n})


def isoflop_parabola(n: np.ndarray, loss: np.ndarray, compute: np.ndarray, *, k: float = 6.0,
                     rtol: float = BUDGET_RTOL, min_points: int = 3) -> ParabolaFit:
    """Approach 2 on isoFLOP runs: see :class:`ParabolaFit`. Budgets with fewer than
    ``min_points`` runs, or whose parabola opens downwards (no minimum), are skipped and named
    in ``skipped``; at least three budgets must remain, and more kept than skipped (otherwise
    the runs are not isoFLOP data and the procedure would return noise)."""
    import pandas as pd

    from ..errors import DataError

    n, loss, compute = (np.asarray(v, dtype=float) for v in (n, loss, compute))
    budgets = isoflop_budgets(compute, rtol)
    rows, skipped = [], []
    for c in np.unique(budgets):
        sel = budgets == c
        if sel.sum() < min_points:
            skipped.append(f"C={c:.3g}: {int(sel.sum())} runs (< {min_points})")
            continue
        p, q, r = np.polyfit(np.log(n[sel]), loss[sel], 2)
        if not p > 0:
            skipped.append(f"C={c:.3g}: the parabola has no minimum")
            continue
        u = -q / (2 * p)
        log_n = np.log(n[sel])
        rows.append({"C": c, "N_opt": np.exp(u), "D_opt": c / (k * np.exp(u)),
                     "loss_opt": r - q * q / (4 * p), "points": int(sel.sum()),
                     "log_n_lo": float(log_n.min()), "log_n_hi": float(log_n.max())})
    if len(rows) < 3 or len(skipped) > len(rows):
        raise DataError(
            f"these runs are not isoFLOP data: only {len(rows)} of {len(rows) + len(skipped)} "
            f"compute budgets have {min_points}+ runs with a parabola minimum (Approach 2 needs "
            "several model sizes at each of 3+ budgets)"
            + (f"; {'; '.join(skipped[:3])}" if skipped else ""))
    vertices = pd.DataFrame(rows)
    a, log_intercept = np.polyfit(np.log(vertices["C"]), np.log(vertices["N_opt"]), 1)
    return ParabolaFit(vertices, float(a), float(log_intercept), float(k), tuple(skipped))


def parabola_comparison(fit: Any, compute: Any, *, k: float | None = None) -> Any:
    """The isoFLOP parabola baseline (Approach 2, :func:`isoflop_parabola`) on ``fit``'s own
    runs beside the fit's compute-optimal allocation, at each budget of ``compute``.

    Returns a DataFrame with one row per (``C``, ``quantity``) for ``N_opt``, ``D_opt`` and
    ``tokens_per_param``: the parabola's value (``parabola``), the posterior ``median``,
    ``lower`` and ``upper`` (95% equal-tailed), and ``parabola_vs_median`` (parabola / median
    − 1). ``attrs``: ``a_parabola`` (its exponent of N* in C), ``budgets`` (isoFLOP budgets
    used) and ``notes`` (budgets it skipped). ``k`` as in ``fit.optimal`` (default: the law's).
    Raises :class:`~bayescale.errors.DataError` when the runs lack N, D and C or are not
    isoFLOP data.
    """
    import pandas as pd

    from ..errors import DataError, shown_names

    runs = fit.runs.table
    if not {"N", "D", "C"} <= set(runs.columns):
        raise DataError("the isoFLOP parabola needs runs with N, D and C (isoFLOP runs); "
                        f"these have {shown_names(map(str, runs.columns))}")
    budgets = [float(c) for c in np.atleast_1d(np.asarray(compute, dtype=float))]
    k_used = fit.law.compute_k if k is None else k
    para = isoflop_parabola(runs["N"].to_numpy(), fit.runs.y, runs["C"].to_numpy(), k=k_used)
    pred = para.predict(budgets)
    ours = fit.optimal(budgets, k=k)
    rows = []
    for c in budgets:
        mine = ours[ours["C"] == c].set_index("quantity")
        theirs = pred[pred["C"] == c].iloc[0]
        for q in ("N_opt", "D_opt", "tokens_per_param"):
            rows.append({"C": c, "quantity": q, "parabola": theirs[q],
                         "median": mine.loc[q, "median"], "lower": mine.loc[q, "lower"],
                         "upper": mine.loc[q, "upper"],
                         "parabola_vs_median": theirs[q] / mine.loc[q, "median"] - 1})
    out = pd.DataFrame(rows)
    out.attrs.update({"a_parabola": para.a, "budgets": len(para.vertices),
                      "notes": [f"parabola skipped {s}" for s in para.skipped]})
    message = parabola_disagreement(fit, para, out)
    if message:
        import warnings

        from ..errors import InferenceWarning

        out.attrs["warning"] = message
        warnings.warn(message, InferenceWarning, stacklevel=2)
    return out


#: Diagnoses of a parabola/posterior disagreement: fewer runs than this at a budget; a vertex
#: in the outer share of its budget's sampled log N range; an isoFLOP curve whose two sides
#: differ by more than this share of the rise; budgets beyond this multiple of the largest one.
FEW_POINTS = 5
EDGE_SHARE = 0.2
ASYMMETRY = 0.2
FAR_BUDGET = 10.0


def parabola_disagreement(fit: Any, para: ParabolaFit, table: Any) -> str | None:
    """A warning when the parabola's N* or D* lies outside the posterior's interval at some
    budget, naming what could explain it from the runs and the fitted surface: too few runs per
    budget, grids off-centre around their minimum, an asymmetric isoFLOP curve (a parabola's
    vertex is then biased), or budgets far beyond the isoFLOP ones. None when they agree."""
    outside = table[(table["quantity"] != "tokens_per_param")
                    & ((table["parabola"] < table["lower"])
                       | (table["parabola"] > table["upper"]))]
    if outside.empty:
        return None
    row = outside.iloc[0]
    what = {"N_opt": "N*", "D_opt": "D*"}[row["quantity"]]
    head = (f"the isoFLOP parabola (Approach 2) and the full-surface posterior disagree: {what} "
            f"at C = {row['C']:.3g} is {row['parabola']:.3g} by the parabola, outside the "
            f"posterior's interval [{row['lower']:.3g}, {row['upper']:.3g}]"
            + (f" ({len(outside)} such answers)" if len(outside) > 1 else ""))
    causes = []
    v = para.vertices
    few = v[v["points"] < FEW_POINTS]
    if len(few):
        causes.append(f"few runs per budget ({int(few['points'].min())} at C = "
                      f"{few['C'].iloc[0]:.3g}; a parabola needs {FEW_POINTS}+ to place its "
                      "vertex)")
    n_star = _posterior_optima(fit, v["C"].to_numpy())
    lo, hi = v["log_n_lo"].to_numpy(), v["log_n_hi"].to_numpy()
    share = (np.log(n_star) - lo) / np.maximum(hi - lo, 1e-12)
    edge = (share < EDGE_SHARE) | (share > 1 - EDGE_SHARE)
    if edge.any():
        causes.append(f"off-centre grids ({int(edge.sum())} of {len(v)} budgets have the "
                      "fitted optimum near or beyond the edge of the sizes tried)")
    skew = _isoflop_asymmetry(fit, v, n_star)
    if skew is not None and skew > ASYMMETRY:
        causes.append(f"an asymmetric loss surface (the fitted isoFLOP curves rise {skew:.0%} "
                      "more on one side of N* than the other, which shifts a parabola's vertex)")
    slope = _posterior_slope(fit, float(row["C"]))
    if slope is not None and not slope[0] <= para.a <= slope[1]:
        causes.append(f"the vertices' slope (N* ~ C^{para.a:.3g}) lies outside the "
                      f"posterior's [{slope[0]:.3g}, {slope[1]:.3g}]")
    far = float(row["C"]) / float(v["C"].max())
    if far > FAR_BUDGET:
        causes.append(f"a long extrapolation of the vertices' line ({far:.3g}x the largest "
                      "isoFLOP budget)")
    why = ("; possible causes: " + "; ".join(causes)) if causes else ""
    return head + why + ("; the posterior uses every run and the whole surface, the parabola "
                         "only each budget's vertex")


def _posterior_slope(fit: Any, compute: float) -> tuple[float, float] | None:
    """The posterior's 95% interval of the allocation exponent a at ``compute``."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # already warned by the comparison itself
        table = fit.optimal([compute])
    row = table[table["quantity"] == "a"]
    return (float(row["lower"].iloc[0]), float(row["upper"].iloc[0])) if len(row) else None


def _posterior_optima(fit: Any, compute: np.ndarray) -> np.ndarray:
    """The posterior median N* at each budget."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the isoFLOP budgets lie inside the data
        best = fit.optimal(compute, prob=0.5)
    return best[best["quantity"] == "N_opt"]["median"].to_numpy()


def _isoflop_asymmetry(fit: Any, vertices: Any, n_star: np.ndarray) -> float | None:
    """How lopsided the fitted law's isoFLOP curves are over the sampled ranges: the largest,
    over budgets, of |rise on the left − rise on the right| / mean rise, at the posterior
    median's ``n_star``, ± the half-width of each budget's log N range."""
    law = fit.law
    theta = {k: np.array([[float(np.median(np.asarray(v)))]]) for k, v in fit.draws().items()}
    k = fit.law.compute_k
    skews = []
    for c, ns, lo, hi in zip(vertices["C"], n_star, vertices["log_n_lo"], vertices["log_n_hi"],
                             strict=True):
        w = max((hi - lo) / 2.0, 1e-6)
        log_n = np.log(ns) + np.array([-w, 0.0, w])
        log_d = np.log(c / k) - log_n
        with np.errstate(all="ignore"):
            loss = np.exp(np.asarray(law.location(np, {"N": log_n[None, :], "D": log_d[None, :]},
                                                  theta), dtype=float)).ravel()
        left, right = loss[0] - loss[1], loss[2] - loss[1]
        if np.isfinite([left, right]).all() and left + right > 0:
            skews.append(abs(left - right) / ((left + right) / 2.0))
    return max(skews) if skews else None
