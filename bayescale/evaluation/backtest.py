"""Backtests: fit the small runs, score the held-out large ones.

Users extrapolate, so :func:`backtest` holds out the largest runs (``"largest:3"``, by compute)
or a region (``"C>1e21"``), fits the rest, and scores the held-out runs: per point the median,
the 50/80/95% predictive intervals and whether they covered, the absolute relative error (ARE),
the log error and the log predictive density; and the aggregates (mean ARE, log-RMSE, NLPD,
coverage). ``compare_point=True`` runs the point fit users would otherwise run (multi-start
L-BFGS on the Huber δ=1e-3 objective plus a bootstrap) on the same split.

Densities are on the likelihood's scale (log loss for loss laws), so NLPDs compare across laws
and with the point baseline; they are not densities of the raw loss.

Layer: ``evaluation`` (refits).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import logsumexp

from ..errors import DataError, SpecError, shown
from ..inference.run import model_options, sample_fit
from ..inference.samplers import SamplerSettings
from ..model.config import ModelConfig
from ..model.predictive import predictive_draws
from ..results.location import location_sample
from .discrepancy import estimate, refit_config

#: Central intervals scored in backtests.
COVERAGE_PROBS = (0.5, 0.8, 0.95)
_HOLDOUT = re.compile(r"^\s*(N|D|C|U)\s*(>=|<=|>|<)\s*([0-9.eE+-]+)\s*$")


# -- pointwise densities -----------------------------------------------------------------------
# -- splits ----------------------------------------------------------------------------------
def holdout_mask(table: pd.DataFrame, holdout: str) -> np.ndarray:
    """Which rows to hold out: ``"largest:K"`` (the K runs of largest compute C, or of the
    law's only input), or a condition ``"C>1e21"`` on N, D, C or U."""
    text = str(holdout).strip()
    if text.startswith("largest:"):
        try:
            k = int(text.split(":", 1)[1])
        except ValueError:
            raise SpecError(f"holdout={holdout!r}: expected largest:K with K a whole "
                            "number, e.g. largest:3") from None
        key = next((c for c in ("C", "N", "D") if c in table), None)
        if key is None:
            raise SpecError(f"holdout={holdout!r}: the runs have no N, D or C to rank")
        if not 1 <= k < len(table) - 1:
            raise SpecError(f"holdout={holdout!r}: K must be between 1 and {len(table) - 2} "
                            f"({len(table)} runs)")
        order = np.argsort(-table[key].to_numpy(dtype=float), kind="stable")
        mask = np.zeros(len(table), dtype=bool)
        mask[order[:k]] = True
        return mask
    m = _HOLDOUT.match(text)
    if not m:
        raise SpecError(f"holdout={holdout!r}: use largest:K or a condition such as C>1e21 "
                        "(N, D, C or U with >, >=, <, <=)")
    name, op, value = m.group(1), m.group(2), float(m.group(3))
    if name not in table:
        raise SpecError(f"holdout={holdout!r}: the runs have no {name}")
    x = table[name].to_numpy(dtype=float)
    mask = {">": x > value, ">=": x >= value, "<": x < value, "<=": x <= value}[op]
    if mask.sum() == 0:
        raise SpecError(f"holdout={holdout!r} selects no runs (largest {name} is "
                        f"{x.max():.3g})")
    if (~mask).sum() < 3:
        raise SpecError(f"holdout={holdout!r} leaves {(~mask).sum()} runs to fit; need 3+")
    return mask


# -- scoring ---------------------------------------------------------------------------------
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
    out["lpd"] = logsumexp(loglik, axis=0) - np.log(loglik.shape[0])
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
    location = location_sample(fit, table, draws, new_runs=True, seed=seed)
    theta = {k: np.asarray(v, dtype=float)[:, None] for k, v in draws.items()}
    simulated = predictive_draws(fit.likelihood, location, draws)
    y = fit.likelihood.link(np.asarray(observed, dtype=float))[None, :]
    loglik = fit.likelihood.logpdf(y, location, theta)
    return score_draws(observed, fit.likelihood.natural(location), simulated, loglik,
                       fit.law.response)


#: Most bootstrap replicates of the point baseline (each one is a multi-start fit).
MAX_REPLICATES = 100_000
#: Parameters of the point baseline's law (Chinchilla: E, A, B, alpha, beta).
POINT_PARAMS = 5


def score_point_baseline(train: pd.DataFrame, test: pd.DataFrame, observed: np.ndarray, *,
                         replicates: int = 200, seed: int = 0) -> tuple[pd.DataFrame, dict]:
    """The Chinchilla point fit users run (Huber δ=1e-3, 4,500-start grid, L-BFGS) with a
    nonparametric bootstrap over runs for intervals, scored like a posterior: the bootstrap
    replicates play the draws; the predictive adds Gaussian noise on log loss with the point
    fit's residual sd (a user's natural choice) so that coverage and NLPD are defined."""
    from ..laws import get_law
    from .baselines import NAMES, bootstrap, huber_fit

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
    # residual sd with the parameters' degrees of freedom, never below one left (5 runs, 5
    # parameters: a point fit interpolates them, and its sd would be 0/0)
    sigma = float(np.std(np.log(loss) - train_loc, ddof=min(len(NAMES), len(loss) - 1)))
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


def backtest(data: Any, law: str | Any | None = None, *, holdout: str = "largest:3",
             compare_point: bool = False, replicates: int = 200,
             discrepancy: bool = True, config: ModelConfig | None = None,
             settings: SamplerSettings | None = None, **options: Any) -> Backtest:
    """Fit on the runs that remain after ``holdout`` and score the held-out ones.

    ``config`` (or the keywords ``likelihood``, ``priors``, ``columns``, ``x``, ``query``,
    ``law_options``) says which model; ``settings`` (or the keywords ``draws``, ``tune``,
    ``chains``, ``random_seed``, ``method``, ...) how to fit it. With ``compare_point=True``
    (law ``chinchilla`` only) the Huber point fit + bootstrap runs on the same split;
    ``summary`` then has one row per method. With ``discrepancy`` (default) a row
    "bayescale + discrepancy" scores the same posterior with the model-discrepancy term learned
    from the *kept* runs only (:mod:`bayescale.evaluation.discrepancy`), an honest test of it.
    """
    if (isinstance(replicates, bool) or not isinstance(replicates, (int, np.integer))
            or not 1 <= replicates <= MAX_REPLICATES):
        raise SpecError(f"replicates must be an integer from 1 to {MAX_REPLICATES:,}, got "
                        f"{shown(replicates)}")
    config, settings = model_options(law, config, settings, options)
    settings = settings.validated()  # one seed for the fit, the δ refits and the baseline
    spec, runs = config.configure(data)
    if compare_point and spec.law.name != "chinchilla":
        raise SpecError("the point baseline (compare_point=True) is the Chinchilla Huber fit; "
                        f"use law 'chinchilla' (got {spec.law.name!r})")
    table = runs.table.reset_index(drop=True)
    mask = holdout_mask(table, holdout)
    train, test = table[~mask].reset_index(drop=True), table[mask].reset_index(drop=True)
    response = spec.law.response
    inner = refit_config(config, table)
    fitted = sample_fit(*inner.configure(train), settings, config=inner)
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
        # learned from posteriors like the one scored (MCMC refits for an MCMC fit)
        learned = estimate(train, inner, settings=settings, fit=fitted)
        with_disc = score_fit(fitted.with_discrepancy(learned), test, observed)
        name = "bayescale + discrepancy"
        with_disc.insert(0, "method", name)
        for k in reversed(inputs):
            with_disc.insert(1, k, test[k].to_numpy())
        frames.append(with_disc)
        rows.append({"method": name, **aggregate(with_disc)})
    if compare_point:
        point, baseline = score_point_baseline(train, test, observed, replicates=replicates,
                                               seed=settings.random_seed)
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
    if compare_point and len(train) <= POINT_PARAMS:
        notes.append(f"the point baseline fitted {len(train)} runs with its {POINT_PARAMS} "
                     "parameters: it passes through them, so its residual sd and bootstrap "
                     "spread are about 0 and its intervals have no width (coverage 0%, a huge "
                     "NLPD); a point fit needs more runs than parameters to give intervals")
    out = Backtest(pd.concat(frames, ignore_index=True), summary, fitted, holdout, scale_up,
                   notes + list(fitted.warnings), baseline, learned)
    out.summary.attrs.update({"holdout": holdout, "scale_up": scale_up, "law": spec.law.name,
                              "scale": "log" if response == "loss" else "accuracy"})
    return out


def check_holdout_text(text: str) -> str:
    """Validate a holdout specification without data (for the CLI's early errors)."""
    t = str(text).strip()
    if t.startswith("largest:") or _HOLDOUT.match(t):
        return t
    raise DataError(f"holdout={text!r}: use largest:K or a condition such as C>1e21")
