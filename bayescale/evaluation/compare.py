"""Model comparison: PSIS-LOO across fits of one dataset, leave-future-out across law
families, stacking weights and model averages.

* :func:`pointwise_loglik` / :func:`loo` / :func:`compare`: PSIS-LOO through ArviZ, with
  Pareto-k checks and stacking weights. LOO scores *interpolation*.
* :func:`lfo`: leave-future-out across law families on the same split (a backtest of each),
  with stacking weights fitted to the held-out predictive densities; :class:`ModelAverage`
  predicts with the mixture.

Layer: ``evaluation`` (refits, through :func:`~bayescale.evaluation.backtest.backtest`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import SpecError
from ..model.predictive import predictive_draws
from ..results.location import location_sample
from .backtest import backtest

#: Pareto-k above this makes a point's PSIS-LOO estimate unreliable (Vehtari et al. 2024).
PARETO_K_MAX = 0.7


def pointwise_loglik(fit: Any) -> np.ndarray:
    """Log-likelihood of each fitted run under each draw, shape (chain, draw, run), on the
    likelihood's scale."""
    ds = fit.draws_dataset
    draws = fit.draws()
    location = location_sample(fit, fit.runs.table, draws)
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


# -- leave-future-out across families, stacking, averaging --------------------------------------
def stacking_weights(lpd: np.ndarray) -> np.ndarray:
    """Weights on the simplex maximising ``Σ_i log Σ_k w_k exp(lpd[i, k])`` (Yao et al. 2018)
    from pointwise log predictive densities (points, models).

    The stacking of :func:`arviz_stats.compare` (which takes ELPD results only: each column
    becomes one, its pointwise values the ``elpd_i``). Each point's densities are first divided
    by their largest (a shift of its row of ``lpd``): the weights stay the same, and arviz-stats,
    which exponentiates the values as given, neither underflows nor overflows."""
    import warnings

    import xarray as xr
    from arviz_stats import compare as az_compare
    from arviz_stats.utils import ELPDData

    lpd = np.asarray(lpd, dtype=float)
    n, k = lpd.shape
    if k == 1:
        return np.ones(1)
    shifted = lpd - lpd.max(axis=1, keepdims=True)
    names = [f"m{j}" for j in range(k)]
    elpd = {name: ELPDData(elpd=float(col.sum()), se=float(np.sqrt(n * col.var())), p=np.nan,
                           n_samples=0, n_data_points=n, scale="log", warning=False,
                           good_k=None, elpd_i=xr.DataArray(col, dims=["point"]))
            for name, col in zip(names, shifted.T, strict=True)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # notes on near-identical models: not about weights
        table = az_compare(elpd, method="stacking", round_to="none")
    w = np.clip(table["weight"].reindex(names).to_numpy(dtype=float), 0.0, None)
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
        from ..data.points import as_points, check_prob

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
            location = location_sample(fit, table, sub, new_runs=True, seed=seed)
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


