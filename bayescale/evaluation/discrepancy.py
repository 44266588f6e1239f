"""Learning the model-discrepancy δ from the user's own runs, by leave-future-out.

For each split holding out the largest 10%, 20% and 30% of the runs (at least two, keeping at
least five), refit on the rest and score the held-out runs' log predictive density for each δ
of a grid (common random numbers, so the curve is smooth in δ); δ maximises the sum over the
splits (empirical Bayes). The value it returns is a
:class:`~bayescale.results.discrepancy.Discrepancy`, which a fit carries without refitting.

Every refit resolves the **same user choices** (:class:`~bayescale.model.config.ModelConfig`:
law, likelihood, the user's own priors) on its kept runs, so priors that scale with the data
see only the kept runs, whichever path asks: ``bayescale.fit(..., discrepancy="auto")``,
:func:`learn_discrepancy` on a fit, or a backtest.

Layer: ``evaluation`` (refits).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import logsumexp

from ..inference.run import sample_fit
from ..inference.samplers import SamplerSettings
from ..laws import Law
from ..model.config import ModelConfig
from ..results.discrepancy import SEED, Discrepancy, distance_input
from ..results.location import location_sample

#: Held-out shares of the runs (largest by the distance input) used to learn δ.
SPLITS = (0.1, 0.2, 0.3)
#: δ grid (sd of log loss per e-fold of extrapolation).
GRID = np.concatenate([[0.0], np.geomspace(1e-4, 0.3, 120)])
#: Refits with ``method="map"`` use this many draws in all (MCMC refits use the given settings).
MAP_DRAWS, MAP_CHAINS = 500, 2


def lpd_curve(fit: Any, held_out: pd.DataFrame, observed: np.ndarray, reference: float,
              key: str, grid: np.ndarray = GRID) -> np.ndarray:
    """Summed held-out log predictive density for each δ of ``grid`` (common random numbers,
    so the curve is smooth in δ)."""
    draws = fit.draws()
    location = location_sample(fit, held_out, draws, new_runs=True)
    theta = {k: np.asarray(v, dtype=float)[:, None] for k, v in draws.items()}
    d = np.maximum(0.0, np.log(held_out[key].to_numpy(dtype=float) / reference))[None, :]
    z = np.random.default_rng(SEED).standard_normal((location.shape[0], 1))
    y = fit.likelihood.link(np.asarray(observed, dtype=float))[None, :]
    n = location.shape[0]
    out = np.empty(len(grid))
    for i, delta in enumerate(grid):
        ll = fit.likelihood.logpdf(y, location + delta * d * z, theta)
        out[i] = float(np.sum(logsumexp(ll, axis=0) - np.log(n)))
    return out


def refit_config(config: ModelConfig | Law | str, table: pd.DataFrame) -> ModelConfig:
    """The config of refits on canonical columns (``Runs.table``): the user's law (resolved
    once, as an object), likelihood and priors; ``run_id`` as the run column; no row filter."""
    if not isinstance(config, ModelConfig):
        config = ModelConfig(law=config)
    law = config.law_for(available=[k for k in ("N", "D", "C") if k in table])
    return config.replace(law=law, x=None, law_options=None, query=None,
                          columns={"run": "run_id"} if law.grouped else None)


def estimate(table: pd.DataFrame, config: ModelConfig | Law | str, *,
             settings: SamplerSettings | None = None,
             splits: tuple[float, ...] = SPLITS) -> Discrepancy:
    """Learn δ by leave-future-out on the runs in ``table`` (canonical columns, as
    ``Runs.table``) under ``config``. ``settings`` are those of the refits (default
    ``method="map"``: MAP + Laplace, about a second in all; MCMC refits reuse the compiled
    model, a few seconds each)."""
    config = refit_config(config, table)
    law = config.law_for()
    key = distance_input(table, law)
    x = table[key].to_numpy(dtype=float)
    reference_all = float(x.max())
    settings = settings or SamplerSettings(method="map")
    if settings.method == "map":
        settings = SamplerSettings(method="map", draws=MAP_DRAWS, chains=MAP_CHAINS,
                                   random_seed=settings.random_seed)
    order = np.argsort(-x, kind="stable")
    curves, used = [], []
    for share in splits:
        k = max(2, round(share * len(table)))
        if len(table) - k < 5:
            continue
        hold = np.zeros(len(table), dtype=bool)
        hold[order[:k]] = True
        kept, out = table[~hold].reset_index(drop=True), table[hold].reset_index(drop=True)
        spec, runs = config.configure(kept)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            inner = sample_fit(spec, runs, settings, warn=False)
        ref = float(kept[key].max())
        curve = lpd_curve(inner, out, out[law.response].to_numpy(dtype=float), ref, key)
        curves.append(curve)
        used.append({"held_out": k, "reference": ref,
                     "max_distance": float(np.log(out[key].max() / ref)),
                     "lpd_gain": float(curve.max() - curve[0])})
    if not curves:
        return Discrepancy(0.0, key, reference_all, source="too few runs to learn it")
    total = np.sum(curves, axis=0)
    best = float(GRID[int(np.argmax(total))])
    return Discrepancy(best, key, reference_all, source="leave-future-out", splits=used)


def fit_config(fit: Any) -> ModelConfig:
    """The user's choices behind a fit: the recorded config (its own priors, not those resolved
    on all its runs), with the fit's law object; for files written before configs were
    recorded, the fit's resolved priors."""
    recorded = fit.meta.get("config")
    if recorded:
        return ModelConfig(law=fit.law, likelihood=fit.likelihood.name,
                           priors=recorded.get("priors"))
    return ModelConfig(law=fit.law, likelihood=fit.likelihood.name, priors=dict(fit.spec.priors))


def learn_discrepancy(fit: Any, *, settings: SamplerSettings | None = None) -> Any:
    """A copy of ``fit`` whose predictions include δ learned from its own runs (refits under
    the fit's recorded config, see :func:`estimate`). The refits are MAP + Laplace seeded with
    the fit's own seed unless ``settings`` say otherwise, so this gives the δ that
    ``bayescale.fit(..., discrepancy="auto")`` gives."""
    if settings is None:
        seed = (fit.meta.get("sampler") or {}).get("random_seed")
        settings = SamplerSettings(method="map", random_seed=seed)
    return fit.with_discrepancy(estimate(fit.runs.table, fit_config(fit), settings=settings))
