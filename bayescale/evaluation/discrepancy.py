"""Learning the model-discrepancy δ from the user's own runs, by leave-future-out.

For each split holding out the largest 10%, 20% and 30% of the runs (at least two, keeping at
least five), refit on the rest and score the held-out runs' log predictive density for each δ
of a grid (common random numbers, so the curve is smooth in δ). The mean of these curves over
the splits is the runs' log likelihood for δ (the mean, not the sum: the splits share their
largest runs). Times the **prior of δ** learned across public studies (the extrapolation error
per e-fold they showed, ``delta`` in the field priors), it gives δ's posterior on the grid,
which the fit carries as a :class:`~bayescale.results.discrepancy.Discrepancy` and integrates
over (no argmax, no cap: the grid reaches far past any plausible δ and the posterior there is
checked). With too few runs to hold any out, the prior alone speaks; with many, the runs do.

Every refit resolves the **same user choices** (:class:`~bayescale.model.config.ModelConfig`:
law, likelihood, the user's own priors) on its kept runs, so priors that scale with the data
see only the kept runs, whichever path asks: ``bayescale.fit(..., discrepancy="auto")``,
:func:`learn_discrepancy` on a fit, or a backtest.

Layer: ``evaluation`` (refits).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import logsumexp

from ..errors import InferenceWarning
from ..inference.run import sample_fit
from ..inference.samplers import SamplerSettings
from ..laws import Law
from ..model.config import ModelConfig
from ..priors import Prior
from ..results.discrepancy import SEED, Discrepancy, distance_input
from ..results.location import location_sample

#: Leave-future-out splits used to learn δ: a share s < 1 holds out the largest s of the runs
#: (by the distance input); a number f > 1 holds out the runs beyond 1/f of the largest value
#: (up to f× beyond the kept ones). Splits keep at least :data:`MIN_KEPT` runs and hold out
#: two. Shares are the default: leave one study out, factor splits (2, 4, 10) gave worse
#: coverage on the many-run splits (95% intervals: 59% against 94%;
#: benchmarks/calibration.py).
SHARES = (0.1, 0.2, 0.3)
SPLITS = SHARES
MIN_KEPT = 5
#: δ grid (sd of log loss per e-fold of extrapolation), log-spaced: the posterior is computed
#: for log δ, so each point carries the prior density times δ.
GRID = np.geomspace(1e-4, 3.0, 100)
#: Posterior mass in the top 5% of the grid above which the fit warns (the runs would want more).
EDGE_MASS = 0.01
#: Refits with ``method="map"`` use this many draws in all (MCMC refits use the given settings).
MAP_DRAWS, MAP_CHAINS = 500, 2
#: Draws of a full posterior reweighted by PSIS (thinned evenly to at most this many).
PSIS_DRAWS = 500
#: Above this Pareto k̂ the importance weights are unreliable and the split is refitted.
KHAT_MAX = 0.7
#: Elements per block when scoring the δ grid.
CHUNK = 2_000_000


def lpd_curve(fit: Any, held_out: pd.DataFrame, observed: np.ndarray, reference: float,
              key: str, grid: np.ndarray = GRID, log_weights: np.ndarray | None = None,
              draws: Mapping[str, np.ndarray] | None = None) -> np.ndarray:
    """Summed held-out log predictive density for each δ of ``grid`` (common random numbers,
    so the curve is smooth in δ). ``log_weights`` (normalised, one per draw) weight the draws:
    importance weights when ``fit`` saw the held-out runs (PSIS leave-future-out)."""
    draws = fit.draws() if draws is None else draws
    location = location_sample(fit, held_out, draws, new_runs=True)
    n = location.shape[0]
    theta = {k: np.asarray(v, dtype=float)[:, None] for k, v in draws.items()}
    d = np.maximum(0.0, np.log(held_out[key].to_numpy(dtype=float) / reference))[None, :]
    z = np.random.default_rng(SEED).standard_normal((n, 1))
    y = fit.likelihood.link(np.asarray(observed, dtype=float))[None, :]
    lw = (np.full((n, 1), -np.log(n)) if log_weights is None
          else np.asarray(log_weights, dtype=float).reshape(n, 1))
    out = np.empty(len(grid))
    chunk = max(1, CHUNK // max(1, location.size))
    for start in range(0, len(grid), chunk):
        deltas = np.asarray(grid[start:start + chunk])[:, None, None]
        ll = fit.likelihood.logpdf(y[None], location[None] + deltas * (d * z)[None], theta)
        a = ll + lw[None]
        top = np.max(a, axis=1, keepdims=True)
        top = np.where(np.isfinite(top), top, 0.0)
        out[start:start + chunk] = np.sum(
            np.log(np.sum(np.exp(a - top), axis=1)) + top[:, 0], axis=-1)
    return out


def _thin(draws: Mapping[str, np.ndarray], most: int) -> dict[str, np.ndarray]:
    n = len(next(iter(draws.values())))
    keep = np.linspace(0, n - 1, min(n, most)).round().astype(int)
    return {k: np.asarray(v)[keep] for k, v in draws.items()}


def holdouts(x: np.ndarray, splits: tuple[float, ...] = SPLITS) -> list[np.ndarray]:
    """Distinct held-out masks for the values ``x`` of the distance input (see
    :data:`SPLITS`): factor splits where they qualify, else share splits."""
    def masks(values: tuple[float, ...]) -> list[np.ndarray]:
        out: list[np.ndarray] = []
        order = np.argsort(-x, kind="stable")
        for v in values:
            if v > 1:
                hold = x > x.max() / v
            else:
                hold = np.zeros(len(x), dtype=bool)
                hold[order[:max(2, round(v * len(x)))]] = True
            ok = hold.sum() >= 2 and (~hold).sum() >= MIN_KEPT and x[hold].max() > x[~hold].max()
            if ok and not any(np.array_equal(hold, m) for m in out):
                out.append(hold)
        return out

    factors = masks(tuple(v for v in splits if v > 1))
    return factors or masks(tuple(v for v in splits if v <= 1) or SHARES)


def psis_weights(fit: Any, held_out: pd.DataFrame, observed: np.ndarray,
                 draws: Mapping[str, np.ndarray]) -> tuple[np.ndarray, float]:
    """Pareto-smoothed importance weights that remove ``held_out`` (runs ``fit`` saw) from
    its posterior (PSIS leave-future-out, Bürkner, Gabry & Vehtari 2020), and the Pareto k̂."""
    from arviz_stats.base import array_stats

    location = location_sample(fit, held_out, draws)
    theta = {k: np.asarray(v, dtype=float)[:, None] for k, v in draws.items()}
    y = fit.likelihood.link(np.asarray(observed, dtype=float))[None, :]
    ll = np.sum(fit.likelihood.logpdf(y, location, theta), axis=1)
    lw, khat = array_stats.psislw(-ll[None, :], r_eff=1.0)
    lw = np.asarray(lw, dtype=float).reshape(-1)
    return lw - logsumexp(lw), float(np.asarray(khat).reshape(-1)[0])


def refit_config(config: ModelConfig | Law | str, table: pd.DataFrame) -> ModelConfig:
    """The config of refits on canonical columns (``Runs.table``): the user's law (resolved
    once, as an object), likelihood and priors; ``run_id`` as the run column; no row filter."""
    if not isinstance(config, ModelConfig):
        config = ModelConfig(law=config)
    law = config.law_of(table, mapped=False)
    return config.replace(law=law, x=None, law_options=None, query=None,
                          columns={"run": "run_id"} if law.grouped else None)


def delta_prior(prior: Prior | None = None) -> Prior:
    """The prior of δ: ``prior``, else the one learned across public studies."""
    if prior is not None:
        return prior
    from ..priors.field import shipped

    return shipped().priors["delta"]


def lfo_curves(table: pd.DataFrame, config: ModelConfig | Law | str, *,
               settings: SamplerSettings | None = None,
               splits: tuple[float, ...] = SPLITS, fit: Any = None
               ) -> tuple[list[np.ndarray], list[dict]]:
    """Held-out log predictive density on :data:`GRID` for each leave-future-out split of the
    runs in ``table`` (canonical columns, as ``Runs.table``) under ``config``, and what each
    split held out. Distinct splits only; none when fewer than 7 runs.

    With ``fit`` (a posterior on all of ``table``), a split is scored by reweighting its
    draws with PSIS (no refit) when the Pareto k̂ is at most :data:`KHAT_MAX`; otherwise, or
    for laws with run effects, the kept runs are refitted."""
    config = refit_config(config, table)
    law = config.law_for()
    key = distance_input(table, law)
    x = table[key].to_numpy(dtype=float)
    settings = settings or SamplerSettings(method="map")
    if settings.method == "map":
        settings = SamplerSettings(method="map", draws=MAP_DRAWS, chains=MAP_CHAINS,
                                   random_seed=settings.random_seed)
    reuse = None
    if fit is not None and not fit.spec.n_groups and fit.group == "posterior" and len(
            fit.runs.table) == len(table):
        reuse = _thin(fit.draws(), PSIS_DRAWS)
    curves: list[np.ndarray] = []
    used: list[dict] = []
    for hold in holdouts(x, splits):
        kept, out = table[~hold].reset_index(drop=True), table[hold].reset_index(drop=True)
        observed = out[law.response].to_numpy(dtype=float)
        ref = float(kept[key].max())
        khat = float("nan")
        if reuse is not None:
            lw, khat = psis_weights(fit, out, observed, reuse)
        if reuse is not None and khat <= KHAT_MAX:
            curve = lpd_curve(fit, out, observed, ref, key, log_weights=lw, draws=reuse)
        else:
            spec, runs = config.configure(kept)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                inner = sample_fit(spec, runs, settings, warn=False)
            curve = lpd_curve(inner, out, observed, ref, key)
        curves.append(curve)
        used.append({"held_out": int(hold.sum()), "reference": ref,
                     "max_distance": float(np.log(out[key].max() / ref)),
                     "lpd_gain": float(curve.max() - curve[0]),
                     "method": "refit" if reuse is None or khat > KHAT_MAX else "psis",
                     "khat": khat})
    return curves, used


def posterior_weights(curves: list[np.ndarray], prior: Prior) -> np.ndarray:
    """Posterior of δ on :data:`GRID` (normalised): prior density × δ (log-spaced grid) ×
    exp(mean of the split curves)."""
    log_w = np.asarray(prior.logpdf(GRID), dtype=float) + np.log(GRID)
    if curves:
        log_w = log_w + np.mean(curves, axis=0)
    w = np.exp(log_w - np.max(log_w))
    return w / w.sum()


def estimate(table: pd.DataFrame, config: ModelConfig | Law | str, *,
             settings: SamplerSettings | None = None,
             splits: tuple[float, ...] = SPLITS, prior: Prior | None = None,
             fit: Any = None) -> Discrepancy:
    """δ's posterior given the runs in ``table`` (canonical columns, as ``Runs.table``) under
    ``config``: ``prior`` (default: learned across public studies, :func:`delta_prior`) times
    the leave-future-out likelihood of :func:`lfo_curves`. ``settings`` are those of the refits
    (default ``method="map"``: MAP + Laplace, well under a second each; MCMC refits reuse the
    compiled model). ``fit``: the posterior on all of ``table``, reweighted (PSIS) instead of
    refitting where reliable (:func:`lfo_curves`)."""
    law = refit_config(config, table).law_for()
    key = distance_input(table, law)
    reference = float(table[key].max())
    prior = delta_prior(prior)
    curves, used = lfo_curves(table, config, settings=settings, splits=splits, fit=fit)
    weights = posterior_weights(curves, prior)
    source = ("posterior: prior learned across studies × leave-future-out on the runs"
              if curves else "prior learned across studies (too few runs to hold any out)")
    out = Discrepancy.from_weights(GRID, weights, key, reference, source=source, splits=used,
                                   prior=prior.to_dict())
    return out


def fit_config(fit: Any) -> ModelConfig:
    """The user's choices behind a fit: the recorded config (its own priors, not those resolved
    on all its runs), with the fit's law object; for files written before configs were
    recorded, the fit's resolved priors."""
    recorded = fit.meta.get("config")
    if recorded:
        return ModelConfig(law=fit.law, likelihood=fit.likelihood.name,
                           priors=recorded.get("priors"), base=recorded.get("base", "weak"))
    return ModelConfig(law=fit.law, likelihood=fit.likelihood.name, priors=dict(fit.spec.priors))


def learn_discrepancy(fit: Any, *, settings: SamplerSettings | None = None) -> Any:
    """A copy of ``fit`` whose predictions include δ learned from its own runs (refits under
    the fit's recorded config, see :func:`estimate`). The refits are MAP + Laplace seeded with
    the fit's own seed unless ``settings`` say otherwise, so this gives the δ that
    ``bayescale.fit(..., discrepancy="auto")`` gives."""
    if settings is None:
        seed = (fit.meta.get("sampler") or {}).get("random_seed")
        if isinstance(seed, int) and not isinstance(seed, bool):
            seed %= 2**32  # files written before seeds were bounded
        settings = SamplerSettings(method="map", random_seed=seed)
    learned = estimate(fit.runs.table, fit_config(fit), settings=settings, fit=fit)
    out = fit.with_discrepancy(learned)
    warning = learned.warning()
    if warning:  # kept with the fit's others (``check`` recomputes it) and issued like them
        out.meta["warnings"] = [*out.meta.get("warnings", []), warning]
        warnings.warn(warning, InferenceWarning, stacklevel=3)
    return out
