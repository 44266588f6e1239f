"""Predictions: the law evaluated on posterior (or prior) draws in numpy.

No PyMC, no compile: 4,000 draws × 1,000 points take milliseconds. Intervals are equal-tailed
(quantiles ``(1 − prob)/2`` and ``(1 + prob)/2``); ETI commutes with the monotone map between log
loss and loss, so bands read the same on either axis.

* ``median``, ``lower``, ``upper``: the law's mean response (loss L(x; θ), or accuracy) over the
  draws (credible interval of the mean);
* ``pp_lower``, ``pp_upper``: the posterior predictive, i.e. a new run's observed loss, which adds
  the observation noise of the likelihood (one noise draw per posterior draw, from a fixed seed,
  so the numbers are reproducible).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..data.points import (
    OUTPUT_COLUMNS,
    as_points,
    check_prob,
    parse_point,
    percent,
    require_inputs,
)
from ..data.runs import CANONICAL
from ..errors import SpecError
from ..laws import Law
from ..model.likelihoods import Likelihood
from ..model.predictive import PREDICTIVE_SEED, location_draws, predictive_draws


def path_axis(law: Law) -> str:
    """The x-axis of a law's extrapolation plot: its input, or compute C for an (N, D) law."""
    if len(law.inputs) == 1:
        return law.inputs[0]
    if set(law.inputs) in ({"N", "D"}, {"N", "D", "U"}):
        return "C"
    raise SpecError(f"no extrapolation plot for a law with inputs {', '.join(law.inputs)}")


def interval_table(points: pd.DataFrame, law: Law, likelihood: Likelihood,
                   theta: Mapping[str, np.ndarray], prob: float,
                   seed: int = PREDICTIVE_SEED, offset: np.ndarray | None = None,
                   new_run_sd: np.ndarray | None = None) -> pd.DataFrame:
    """The points plus median/lower/upper of the mean and pp_lower/pp_upper.

    ``offset`` (draws, points) is added to the law's location (a fitted run's effect);
    ``new_run_sd`` (draws, points; 0 where not wanted) scales one standard-normal draw per
    posterior draw added to the predictive only (the effect of a run not yet trained)."""
    prob = check_prob(prob)
    q = [(1 - prob) / 2, 0.5, (1 + prob) / 2]
    location = location_draws(law, theta, points)
    if offset is not None:
        location = location + offset
    lo, med, hi = np.quantile(likelihood.natural(location), q, axis=0)
    observed = predictive_draws(likelihood, location, theta, seed=seed, new_run_sd=new_run_sd)
    pp_lo, pp_hi = np.quantile(observed, [q[0], q[2]], axis=0)
    out = points.copy()
    out["prob"] = prob
    out["median"], out["lower"], out["upper"] = med, lo, hi
    out["pp_lower"], out["pp_upper"] = pp_lo, pp_hi
    out.attrs.update({"prob": prob, "interval": "equal-tailed", "law": law.name})
    return out


def extrapolation_paths(law: Law, observed: pd.DataFrame, targets: Sequence[Mapping[str, float]],
                        n: int = 120) -> pd.DataFrame:
    """Points along which to draw the fitted law from the data out to the targets.

    One-input law: a log grid of its input from the smallest observed value to beyond the
    largest target. (N, D) law: the x-axis is compute ``C = 6ND``; each path holds tokens per
    parameter fixed (one path per distinct ratio among the targets, or the median observed ratio
    when there are none) and runs from the smallest observed compute to beyond the largest
    target. Columns: ``path``, the inputs, and ``C`` when defined.
    """
    from ..data.runs import COMPUTE_K

    x = path_axis(law)
    if x != "C" or law.inputs == ("C",):
        lo = float(observed[x].min())
        hi = max([float(observed[x].max())] + [t[x] for t in targets if x in t])
        grid = np.geomspace(lo, hi * 1.5, n)
        return pd.DataFrame({"path": f"{x}", x: grid})
    ratios: list[float] = []
    for t in targets:
        if "N" in t and "D" in t:
            r = t["D"] / t["N"]
        elif "N" in t and "C" in t:
            r = t["C"] / (COMPUTE_K * t["N"] ** 2)
        else:
            require_inputs(t, law, "target")
        if not any(abs(np.log(r / s)) < 1e-6 for s in ratios):
            ratios.append(r)
    if not ratios:
        ratios = [float(np.median(observed["D"] / observed["N"]))]
    c_lo = float(observed["C"].min())
    c_hi = max([float(observed["C"].max())] + [
        t.get("C", COMPUTE_K * t.get("N", 0) * t.get("D", 0)) for t in targets])
    frames = []
    for r in ratios:
        c = np.geomspace(c_lo, c_hi * 2.0, n)
        big_n = np.sqrt(c / (COMPUTE_K * r))
        frames.append(pd.DataFrame({"path": f"D/N = {r:.3g}", "N": big_n, "D": r * big_n,
                                    "C": c}))
    out = pd.concat(frames, ignore_index=True)
    if "U" in law.inputs:  # unique tokens held at the targets' (or the largest observed)
        given = {t["U"] for t in targets if "U" in t}
        unique = given.pop() if len(given) == 1 else float(observed["U"].max())
        out["U"] = np.minimum(unique, out["D"])
        out["path"] = out["path"] + f", U = {unique:.3g}"
    return out


def band_table(path: pd.DataFrame, law: Law, likelihood: Likelihood,
               theta: Mapping[str, np.ndarray], probs: Sequence[float],
               new_run_sd: np.ndarray | None = None,
               offset: np.ndarray | None = None) -> pd.DataFrame:
    """``path`` plus the median and, per probability p, ``lower_p``/``upper_p`` of the mean
    (p in percent, e.g. ``lower_95``) and ``pp_lower_p``/``pp_upper_p``."""
    out = path.copy()
    for prob in sorted(probs):
        t = interval_table(path, law, likelihood, theta, prob, new_run_sd=new_run_sd,
                           offset=offset)
        tag = percent(prob)
        out["median"] = t["median"]
        for col in ("lower", "upper", "pp_lower", "pp_upper"):
            out[f"{col}_{tag}"] = t[col]
    out.attrs["probs"] = list(sorted(probs))
    return out


__all__ = [
    "CANONICAL", "OUTPUT_COLUMNS", "PREDICTIVE_SEED", "as_points", "band_table", "check_prob",
    "extrapolation_paths", "interval_table", "location_draws", "parse_point", "path_axis",
    "predictive_draws",
]
