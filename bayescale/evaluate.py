"""How far to trust a fit: model comparison, leave-future-out, backtests, model averaging.

* :func:`pointwise_loglik` / :func:`loo` / :func:`compare`: PSIS-LOO through ArviZ (the one
  place besides :mod:`bayescale._arviz` that calls it), with Pareto-k checks and stacking
  weights. LOO scores *interpolation*.
* :func:`backtest`: users extrapolate, so hold out the largest runs (``"largest:3"``, by
  compute) or a region (``"C>1e21"``), fit the rest, and score the held-out runs: per point the
  median, the 50/80/95% predictive intervals and whether they covered, the absolute relative
  error (ARE), the log error and the log predictive density; and the aggregates (mean ARE,
  log-RMSE, NLPD, coverage). ``compare_point=True`` runs the point fit users would otherwise run
  (multi-start L-BFGS on the Huber δ=1e-3 objective plus a bootstrap) on the same split.
* :func:`lfo`: leave-future-out across law families on the same split, with stacking weights
  fitted to the held-out predictive densities; :class:`ModelAverage` predicts with the mixture.

Densities are on the likelihood's scale (log loss for loss laws), so NLPDs compare across laws
and with the point baseline; they are not densities of the raw loss.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .errors import DataError, SpecError
from .predict import location_draws, predictive_draws

#: Central intervals scored in backtests.
COVERAGE_PROBS = (0.5, 0.8, 0.95)
#: Pareto-k above this makes a point's PSIS-LOO estimate unreliable (Vehtari et al. 2024).
PARETO_K_MAX = 0.7
_HOLDOUT = re.compile(r"^\s*(N|D|C|U)\s*(>=|<=|>|<)\s*([0-9.eE+-]+)\s*$")


# -- pointwise densities -----------------------------------------------------------------------
def _locations(fit: Any, table: pd.DataFrame, draws: Mapping[str, np.ndarray],
               new_runs: bool, seed: int = 0) -> np.ndarray:
    """Location draws (draws, points) at ``table``; for laws with run effects, the fitted runs'
    own effects, or (``new_runs``) one new effect per draw."""
    location = location_draws(fit.law, draws, table)
    disc = fit.discrepancy
    if disc is not None and disc.delta > 0 and disc.input in table:
        location = location + disc.offsets(table, location.shape[0])
    if fit.spec.n_groups:
        if new_runs:
            rng = np.random.default_rng(seed)
            tau = np.asarray(draws["tau"], dtype=float)[:, None]
            location = location + tau * rng.standard_normal((location.shape[0], 1))
        else:
            effects = fit.run_effects()
            if effects is not None:
                location = location + effects[:, fit.runs.groups[0]]
    return location


def pointwise_loglik(fit: Any) -> np.ndarray:
    """Log-likelihood of each fitted run under each draw, shape (chain, draw, run), on the
    likelihood's scale."""
    ds = fit.draws_dataset
    draws = fit.draws()
    location = _locations(fit, fit.runs.table, draws, new_runs=False)
    theta = {k: np.asarray(v, dtype=float)[:, None] for k, v in draws.items()}
    y = fit.likelihood.link(fit.runs.y)[None, :]
    ll = fit.likelihood.logpdf(y, location, theta)
    return np.asarray(ll).reshape(ds.sizes["chain"], ds.sizes["draw"], -1)


def _datatree(fit: Any) -> Any:
    import xarray as xr

    ll = pointwise_loglik(fit)
    coords = {"chain": np.arange(ll.shape[0]), "draw": np.arange(ll.shape[1]),
              "run": np.arange(ll.shape[2])}
    post = fit.draws_dataset[[k for k in fit.spec.free_params]]
    log_lik = xr.Dataset({"y": (("chain", "draw", "run"), ll)}, coords=coords)
    observed = xr.Dataset({"y": (("run",), fit.likelihood.link(fit.runs.y))},
                          coords={"run": coords["run"]})
    return xr.DataTree.from_dict({"posterior": post, "log_likelihood": log_lik,
                                  "observed_data": observed})


def loo(fit: Any) -> Any:
    """PSIS-LOO of a fit (``arviz_stats`` ELPD data: ``elpd``, ``se``, ``p``, ``pareto_k``)."""
    import warnings

    from arviz_stats import loo as az_loo

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # we report Pareto-k ourselves
        return az_loo(_datatree(fit), pointwise=True)


def compare(fits: Mapping[str, Any], *, method: str = "stacking") -> pd.DataFrame:
    """Compare fits of different laws **to the same runs** by PSIS-LOO.

    Returns one row per model, best first: ``elpd_loo``, ``se``, ``p_loo``, ``elpd_diff`` (how
    much lower than the best's, ≥ 0) and ``dse`` (its standard error), ``weight`` (stacking by
    default), and ``pareto_k_max`` / ``bad_k`` (points with k > 0.7, whose LOO estimate is
    unreliable). ``attrs["warnings"]`` names unreliable models. LOO measures interpolation;
    for extrapolation use :func:`lfo`.
    """
    import warnings

    from arviz_stats import compare as az_compare

    if len(fits) < 2:
        raise SpecError("compare needs at least two fits")
    first = next(iter(fits.values()))
    for name, fit in fits.items():
        if fit.runs.n != first.runs.n or not np.allclose(fit.runs.y, first.runs.y):
            raise SpecError(f"compare: fit {name!r} was made on other runs; LOO compares "
                            "models of the same data only")
        if fit.likelihood.response != first.likelihood.response:
            raise SpecError(f"compare: fit {name!r} models {fit.likelihood.response}, "
                            f"the others {first.likelihood.response}")
    elpd = {name: loo(fit) for name, fit in fits.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        table = az_compare(elpd, method=method, round_to="none")
    out = pd.DataFrame({
        "elpd_loo": table["elpd"], "se": table["se"], "p_loo": table["p"],
        "elpd_diff": table["elpd"].max() - table["elpd"], "dse": table["dse"],
        "weight": table["weight"],
    })
    out["pareto_k_max"] = [float(np.max(elpd[m].pareto_k)) for m in out.index]
    out["bad_k"] = [int(np.sum(np.asarray(elpd[m].pareto_k) > PARETO_K_MAX))
                    for m in out.index]
    out.index.name = "model"
    notes = [f"{m}: {int(b)} run(s) with Pareto k > {PARETO_K_MAX} (their LOO estimate is "
             "unreliable; refit without them, i.e. an exact LOO, or trust LFO instead)"
             for m, b in out["bad_k"].items() if b]
    out.attrs.update({"method": method, "warnings": notes, "criterion": "PSIS-LOO",
                      "scale": "log"})
    return out


# -- splits ----------------------------------------------------------------------------------
def holdout_mask(table: pd.DataFrame, holdout: str) -> np.ndarray:
    """Which rows to hold out: ``"largest:K"`` (the K runs of largest compute C, or of the
    law's only input), or a condition ``"C>1e21"`` on N, D, C or U."""
    text = str(holdout).strip()
    if text.startswith("largest:"):
        try:
            k = int(text.split(":", 1)[1])
        except ValueError:
            raise SpecError(f"holdout {holdout!r}: expected largest:K with K a whole "
                            "number, e.g. largest:3") from None
        key = next((c for c in ("C", "N", "D") if c in table), None)
        if key is None:
            raise SpecError(f"holdout {holdout!r}: the runs have no N, D or C to rank")
        if not 1 <= k < len(table) - 1:
            raise SpecError(f"holdout {holdout!r}: K must be between 1 and {len(table) - 2} "
                            f"({len(table)} runs)")
        order = np.argsort(-table[key].to_numpy(dtype=float), kind="stable")
        mask = np.zeros(len(table), dtype=bool)
        mask[order[:k]] = True
        return mask
    m = _HOLDOUT.match(text)
    if not m:
        raise SpecError(f"holdout {holdout!r}: use largest:K or a condition such as C>1e21 "
                        "(N, D, C or U with >, >=, <, <=)")
    name, op, value = m.group(1), m.group(2), float(m.group(3))
    if name not in table:
        raise SpecError(f"holdout {holdout!r}: the runs have no {name}")
    x = table[name].to_numpy(dtype=float)
    mask = {">": x > value, ">=": x >= value, "<": x < value, "<=": x <= value}[op]
    if mask.sum() == 0:
        raise SpecError(f"holdout {holdout!r} selects no runs (largest {name} is "
                        f"{x.max():.3g})")
    if (~mask).sum() < 3:
        raise SpecError(f"holdout {holdout!r} leaves {(~mask).sum()} runs to fit; need 3+")
    return mask


# -- scoring ---------------------------------------------------------------------------------
def _logmeanexp(a: np.ndarray, axis: int = 0) -> np.ndarray:
    m = np.max(a, axis=axis, keepdims=True)
    return np.squeeze(m, axis) + np.log(np.mean(np.exp(a - m), axis=axis))


def score_draws(observed: np.ndarray, mean_draws: np.ndarray, simulated: np.ndarray,
                loglik: np.ndarray, response: str = "loss") -> pd.DataFrame:
    """Per held-out point: ``median`` (of the law's mean), ``ARE`` = |y − median|/y,
    ``log_error`` = ln median − ln y (loss) or median − y (accuracy), ``lpd`` (log predictive
    density), and per p in 50/80/95 the predictive interval ``pp_lower_p``/``pp_upper_p``,
    ``covered_p`` and ``width_p`` (relative to the median)."""
    observed = np.asarray(observed, dtype=float)
    median = np.median(mean_draws, axis=0)
    out = pd.DataFrame({"observed": observed, "median": median})
    out["ARE"] = np.abs(observed - median) / np.abs(observed)
    out["log_error"] = (np.log(median) - np.log(observed) if response == "loss"
                        else median - observed)
    out["lpd"] = _logmeanexp(loglik, axis=0)
    for prob in COVERAGE_PROBS:
        tag = round(100 * prob)
        lo, hi = np.quantile(simulated, [(1 - prob) / 2, (1 + prob) / 2], axis=0)
        out[f"pp_lower_{tag}"], out[f"pp_upper_{tag}"] = lo, hi
        out[f"covered_{tag}"] = (observed >= lo) & (observed <= hi)
        out[f"width_{tag}"] = (hi - lo) / np.abs(median)
    return out


def aggregate(points: pd.DataFrame) -> dict[str, float]:
    """Mean and median ARE, log-RMSE, NLPD (mean −lpd), coverage and mean width per level."""
    out = {"n": len(points), "ARE_mean": float(points["ARE"].mean()),
           "ARE_median": float(points["ARE"].median()),
           "log_RMSE": float(np.sqrt(np.mean(points["log_error"] ** 2))),
           "NLPD": float(-points["lpd"].mean())}
    for prob in COVERAGE_PROBS:
        tag = round(100 * prob)
        out[f"coverage_{tag}"] = float(points[f"covered_{tag}"].mean())
        out[f"width_{tag}"] = float(points[f"width_{tag}"].mean())
    return out


def score_fit(fit: Any, table: pd.DataFrame, observed: np.ndarray, seed: int = 0
              ) -> pd.DataFrame:
    """Score a posterior on held-out runs (``table``: canonical inputs; ``observed``)."""
    draws = fit.draws()
    location = _locations(fit, table, draws, new_runs=True, seed=seed)
    theta = {k: np.asarray(v, dtype=float)[:, None] for k, v in draws.items()}
    simulated = predictive_draws(fit.likelihood, location, draws)
    y = fit.likelihood.link(np.asarray(observed, dtype=float))[None, :]
    loglik = fit.likelihood.logpdf(y, location, theta)
    return score_draws(observed, fit.likelihood.natural(location), simulated, loglik,
                       fit.law.response)


def score_point_baseline(train: pd.DataFrame, test: pd.DataFrame, observed: np.ndarray, *,
                         replicates: int = 200, seed: int = 0) -> tuple[pd.DataFrame, dict]:
    """The Chinchilla point fit users run (Huber δ=1e-3, 4,500-start grid, L-BFGS) with a
    nonparametric bootstrap over runs for intervals, scored like a posterior: the bootstrap
    replicates play the draws; the predictive adds Gaussian noise on log loss with the point
    fit's residual sd (a user's natural choice) so that coverage and NLPD are defined."""
    from .baselines import NAMES, bootstrap, huber_fit
    from .laws import get_law

    law = get_law("chinchilla")
    n, d, loss = (train[k].to_numpy(dtype=float) for k in ("N", "D", "loss"))
    best = huber_fit(n, d, loss)
    reps = bootstrap(n, d, loss, replicates=replicates, seed=seed, start=best)
    theta = {k: reps[k][:, None] for k in NAMES}
    logx = {k: np.log(test[k].to_numpy(dtype=float))[None, :] for k in ("N", "D")}
    location = np.asarray(law.location(np, logx, theta))
    point = np.asarray(law.location(np, logx, {k: np.array([[v]]) for k, v in
                                               best.params.items()}))
    train_loc = law.location(np, {"N": np.log(n), "D": np.log(d)}, best.params)
    sigma = float(np.std(np.log(loss) - train_loc, ddof=len(NAMES)))
    rng = np.random.default_rng(seed)
    simulated = np.exp(location + sigma * rng.standard_normal(location.shape))
    y = np.log(np.asarray(observed, dtype=float))[None, :]
    loglik = -0.5 * ((y - location) / sigma) ** 2 - math.log(sigma) - 0.5 * math.log(2 * math.pi)
    scored = score_draws(observed, np.exp(location), simulated, loglik)
    scored["median"] = np.exp(point[0])  # the point fit's own prediction
    scored["ARE"] = np.abs(observed - scored["median"]) / observed
    scored["log_error"] = np.log(scored["median"]) - np.log(observed)
    return scored, {**best.params, "sigma": sigma, "replicates": replicates}


@dataclass
class Backtest:
    """Result of :func:`backtest`: ``points`` (one row per held-out run and method),
    ``summary`` (one row per method), the fits, and notes."""

    points: pd.DataFrame
    summary: pd.DataFrame
    fit: Any
    holdout: str
    scale_up: float
    notes: list[str] = field(default_factory=list)
    baseline: dict[str, Any] | None = None
    discrepancy: Any = None


def _split(data: Any, law: str, holdout: str, **config: Any
           ) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, Any]:
    from .fitting import configure

    spec, runs = configure(data, law, **config)
    table = runs.table.reset_index(drop=True)
    mask = holdout_mask(table, holdout)
    return table[~mask].reset_index(drop=True), table[mask].reset_index(drop=True), mask, spec


def backtest(data: Any, law: str = "chinchilla", *, holdout: str = "largest:3",
             compare_point: bool = False, replicates: int = 200,
             discrepancy: bool = True, likelihood: str | None = None,
             priors: Any = None, columns: Any = None, x: str | None = None,
             query: str | None = None, law_options: Mapping[str, Any] | None = None,
             **fit_kwargs: Any) -> Backtest:
    """Fit on the runs that remain after ``holdout`` and score the held-out ones.

    ``fit_kwargs`` go to :func:`bayescale.fit` (draws, tune, chains, random_seed, method...).
    With ``compare_point=True`` (law ``chinchilla`` only) the Huber point fit + bootstrap runs on
    the same split; ``summary`` then has one row per method. With ``discrepancy`` (default) a
    row "bayescale + discrepancy" scores the same posterior with the model-discrepancy term
    learned from the *kept* runs only (:mod:`bayescale.discrepancy`), an honest test of it.
    """
    from .fitting import fit as run_fit

    config = {"likelihood": likelihood, "priors": priors, "columns": columns, "x": x,
              "query": query, "law_options": law_options}
    train, test, _, spec = _split(data, law, holdout, **config)
    response = spec.law.response
    mapping = {"run": "run_id"} if spec.law.grouped else None
    fitted = run_fit(train, law, likelihood=likelihood, priors=priors, law_options=law_options,
                     x=x, columns=mapping, **fit_kwargs)
    observed = test[response].to_numpy(dtype=float)
    inputs = [k for k in ("N", "D", "C", "U") if k in test]
    scored = score_fit(fitted, test, observed)
    scored.insert(0, "method", "bayescale")
    for k in reversed(inputs):
        scored.insert(1, k, test[k].to_numpy())
    rows = [{"method": "bayescale", **aggregate(scored)}]
    key = next((c for c in ("C", "N", "D") if c in test), inputs[0])
    scale_up = float(test[key].max() / train[key].max())
    baseline = None
    frames = [scored]
    learned = None
    if discrepancy:
        from .discrepancy import estimate

        same = {k: v for k, v in fit_kwargs.items() if k in ("method", "random_seed",
                                                             "draws", "tune", "chains")}
        same.setdefault("method", "mcmc")  # learn δ from posteriors like the one scored
        learned = estimate(train, spec.law, likelihood=likelihood, priors=priors,
                           law_options=law_options, x=x, **same)
        with_disc = score_fit(fitted.with_discrepancy(learned), test, observed)
        name = "bayescale + discrepancy"
        with_disc.insert(0, "method", name)
        for k in reversed(inputs):
            with_disc.insert(1, k, test[k].to_numpy())
        frames.append(with_disc)
        rows.append({"method": name, **aggregate(with_disc)})
    if compare_point:
        if spec.law.name != "chinchilla":
            raise SpecError("the point baseline (--compare point) is the Chinchilla Huber fit; "
                            f"use law 'chinchilla' (got {spec.law.name!r})")
        point, baseline = score_point_baseline(train, test, observed, replicates=replicates,
                                               seed=int(fit_kwargs.get("random_seed") or 0))
        point.insert(0, "method", "point (Huber + bootstrap)")
        for k in reversed(inputs):
            point.insert(1, k, test[k].to_numpy())
        frames.append(point)
        rows.append({"method": "point (Huber + bootstrap)", **aggregate(point)})
    summary = pd.DataFrame(rows).set_index("method")
    summary["delta"] = [learned.delta if learned is not None and "discrepancy" in m
                        else float("nan") for m in summary.index]
    notes = [f"held out {len(test)} of {len(test) + len(train)} runs ({holdout}); the largest "
             f"held-out {key} is {scale_up:.3g}x the largest fitted"]
    out = Backtest(pd.concat(frames, ignore_index=True), summary, fitted, holdout, scale_up,
                   notes + list(fitted.warnings), baseline, learned)
    out.summary.attrs.update({"holdout": holdout, "scale_up": scale_up, "law": law,
                              "scale": "log" if response == "loss" else "accuracy"})
    return out


# -- leave-future-out across families, stacking, averaging --------------------------------------
def stacking_weights(lpd: np.ndarray) -> np.ndarray:
    """Weights on the simplex maximising ``Σ_i log Σ_k w_k exp(lpd[i, k])`` (Yao et al. 2018)
    from pointwise log predictive densities (points, models)."""
    from scipy.optimize import minimize

    lpd = np.asarray(lpd, dtype=float)
    k = lpd.shape[1]
    if k == 1:
        return np.ones(1)
    shift = lpd.max(axis=1, keepdims=True)
    dens = np.exp(lpd - shift)

    def objective(z: np.ndarray) -> float:
        w = np.exp(np.append(z, 0.0))
        w /= w.sum()
        return -float(np.sum(np.log(dens @ w + 1e-300)))

    res = minimize(objective, np.zeros(k - 1), method="Nelder-Mead" if k == 2 else "BFGS")
    w = np.exp(np.append(res.x, 0.0))
    return w / w.sum()


def lfo(data: Any, laws: Sequence[str], *, holdout: str = "largest:3",
        law_options: Mapping[str, Mapping[str, Any]] | None = None,
        priors: Mapping[str, Any] | None = None, **kwargs: Any) -> tuple[pd.DataFrame, dict]:
    """Leave-future-out: backtest each law on the same split and compare their held-out
    scores. Returns a table (one row per law: ``elpd_lfo`` = Σ lpd over held-out runs, mean
    ARE, log-RMSE, coverage, and ``weight``: stacking weights fitted to the held-out densities)
    and the :class:`Backtest` of each law. ``law_options``/``priors`` are per law name."""
    if len(laws) < 1:
        raise SpecError("lfo needs at least one law")
    kwargs.setdefault("discrepancy", False)  # compare the laws themselves
    results = {name: backtest(data, name, holdout=holdout,
                              law_options=(law_options or {}).get(name),
                              priors=(priors or {}).get(name), **kwargs) for name in laws}
    lpd = np.column_stack([r.points["lpd"].to_numpy() for r in results.values()])
    weights = stacking_weights(lpd)
    rows = []
    for (name, r), w in zip(results.items(), weights, strict=True):
        agg = r.summary.loc["bayescale"]
        rows.append({"law": name, "elpd_lfo": float(r.points["lpd"].sum()),
                     "ARE_mean": agg["ARE_mean"], "log_RMSE": agg["log_RMSE"],
                     "coverage_80": agg["coverage_80"], "coverage_95": agg["coverage_95"],
                     "weight": float(w)})
    table = pd.DataFrame(rows).set_index("law").sort_values("elpd_lfo", ascending=False)
    table.attrs.update({"holdout": holdout, "criterion": "leave-future-out",
                        "scale": "log"})
    return table, results


class ModelAverage:
    """Predictions from a weighted mixture of fits (e.g. stacking weights from :func:`compare`
    or :func:`lfo`): each fit contributes draws in proportion to its weight, so the bands carry
    the uncertainty about which law holds."""

    def __init__(self, fits: Mapping[str, Any], weights: Mapping[str, float] | Sequence[float]):
        self.fits = dict(fits)
        if isinstance(weights, Mapping):
            w = np.array([float(weights.get(n, 0.0)) for n in self.fits])
        else:
            w = np.asarray(list(weights), dtype=float)
        if len(w) != len(self.fits) or (w < 0).any() or w.sum() <= 0:
            raise SpecError("ModelAverage: one non-negative weight per fit, not all zero")
        self.weights = w / w.sum()
        responses = {f.law.response for f in self.fits.values()}
        if len(responses) != 1:
            raise SpecError("ModelAverage: fits must predict the same response")

    def predict(self, points: Any, prob: float = 0.95, seed: int = 0) -> pd.DataFrame:
        """Like :meth:`ScalingFit.predict`: ``median``, ``lower``, ``upper`` of the law's mean
        and ``pp_lower``, ``pp_upper`` of a new observation, over the mixture."""
        from .predict import as_points, check_prob

        prob = check_prob(prob)
        rng = np.random.default_rng(seed)
        total = max(f.n_draws for f in self.fits.values())
        means, sims, base = [], [], None
        for (_name, fit), w in zip(self.fits.items(), self.weights, strict=True):
            count = round(w * total)
            if count == 0:
                continue
            table = as_points(points, fit.law, columns=fit.runs.columns)
            base = table if base is None else base
            draws = fit.draws()
            pick = rng.integers(0, fit.n_draws, count)
            sub = {k: np.asarray(v)[pick] for k, v in draws.items()}
            location = _locations(fit, table, sub, new_runs=True, seed=seed)
            means.append(fit.likelihood.natural(location))
            sims.append(predictive_draws(fit.likelihood, location, sub))
        mean, sim = np.vstack(means), np.vstack(sims)
        q = [(1 - prob) / 2, 0.5, (1 + prob) / 2]
        lo, med, hi = np.quantile(mean, q, axis=0)
        out = base.copy()
        out["prob"] = prob
        out["median"], out["lower"], out["upper"] = med, lo, hi
        out["pp_lower"], out["pp_upper"] = np.quantile(sim, [q[0], q[2]], axis=0)
        out.attrs.update({"prob": prob, "weights": dict(zip(self.fits, self.weights,
                                                            strict=True))})
        return out


def check_holdout_text(text: str) -> str:
    """Validate a holdout specification without data (for the CLI's early errors)."""
    t = str(text).strip()
    if t.startswith("largest:") or _HOLDOUT.match(t):
        return t
    raise DataError(f"--holdout {text!r}: use largest:K or a condition such as C>1e21")
