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

    vertices: Any  # DataFrame: C, N_opt, D_opt, loss_opt, points
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
        rows.append({"C": c, "N_opt": np.exp(u), "D_opt": c / (k * np.exp(u)),
                     "loss_opt": r - q * q / (4 * p), "points": int(sel.sum())})
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

    from ..errors import DataError

    runs = fit.runs.table
    if not {"N", "D", "C"} <= set(runs.columns):
        raise DataError("the isoFLOP parabola needs runs with N, D and C (isoFLOP runs); "
                        f"these have {', '.join(c for c in runs.columns)}")
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
    return out
