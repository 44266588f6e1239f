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

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .data import CANONICAL, read_inputs
from .errors import DataError, SpecError
from .laws import INPUTS, Law
from .laws.base import MEASURED_INPUTS
from .likelihoods import Likelihood

#: Seed of the observation-noise draws of the posterior predictive.
PREDICTIVE_SEED = 20240601
#: Columns a prediction table adds (points may not use these names).
OUTPUT_COLUMNS = ("prob", "median", "lower", "upper", "pp_lower", "pp_upper", "scale_up_N",
                  "scale_up_D", "scale_up_C")


def check_prob(prob: float) -> float:
    try:
        p = float(prob)
    except (TypeError, ValueError):
        raise SpecError(f"prob must be a number in (0, 1), got {prob!r}") from None
    if not 0 < p < 1:
        raise SpecError(f"prob must be in (0, 1), got {prob!r}")
    return p


def percent(prob: float) -> str:
    """``0.95`` → ``"95"`` (for column names and labels)."""
    return f"{100 * prob:g}"


def require_inputs(point: Mapping[str, float], law: Law, label: str) -> None:
    """A point must give the law's inputs (for an (N, D) law, N and C also do)."""
    have = set(point)
    ok = set(law.inputs) <= have or (set(law.inputs) == {"N", "D"} and {"N", "C"} <= have)
    if not ok:
        need = " and ".join(law.inputs) + (" (or N and C)" if set(law.inputs) == {"N", "D"}
                                           else "")
        raise SpecError(f"{label} {','.join(f'{k}={v:g}' for k, v in point.items())}: "
                        f"law {law.name!r} needs {need}")


def parse_point(text: str) -> dict[str, float]:
    """``"N=7e10,D=1.4e12"`` → ``{"N": 7e10, "D": 1.4e12}`` (keys N, D, C)."""
    out: dict[str, float] = {}
    for part in str(text).split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        key = key.strip()
        if not sep:
            raise SpecError(f"point {text!r}: expected NAME=VALUE pairs such as N=7e10,D=1.4e12")
        if key not in (*INPUTS, *MEASURED_INPUTS):
            raise SpecError(f"point {text!r}: unknown input {key!r}; use "
                            f"{', '.join((*INPUTS, *MEASURED_INPUTS))}")
        try:
            number = float(value)
        except ValueError:
            raise SpecError(f"point {text!r}: {value.strip()!r} is not a number") from None
        if not np.isfinite(number) or number <= 0:
            raise SpecError(f"point {text!r}: {key} must be a positive finite number")
        out[key] = number
    if not out:
        raise SpecError(f"point {text!r} is empty")
    return out


def as_points(points: Any, law: Law, columns: Mapping[str, str] | None = None,
              source: str | None = None) -> pd.DataFrame:
    """Validate prediction points; returns the user's columns plus canonical N, D, C."""
    if isinstance(points, pd.DataFrame):
        df = points.reset_index(drop=True)
    elif isinstance(points, Mapping):
        df = pd.DataFrame({k: np.atleast_1d(v) for k, v in points.items()})
    elif isinstance(points, Iterable) and not isinstance(points, (str, bytes)):
        rows = list(points)
        if not all(isinstance(r, Mapping) for r in rows):
            raise DataError("points must be a DataFrame, a mapping of columns or a list of dicts")
        df = pd.DataFrame(rows)
    else:
        raise DataError("points must be a DataFrame, a mapping of columns or a list of dicts")
    clash = [c for c in OUTPUT_COLUMNS if c in df.columns]
    if clash:
        raise DataError(f"points: column {clash[0]!r} is a name of the output; rename it")
    values, _ = read_inputs(df, law.inputs, columns=columns, source=source or "points",
                            strict=False, compute_k=law.compute_k)
    out = df.copy()
    for key in (*INPUTS, *MEASURED_INPUTS):  # canonical inputs not given (derived or mapped)
        if key in values and key not in out.columns:
            out[key] = values[key]
        elif key in law.inputs:
            out[key] = values[key]
    return out


def path_axis(law: Law) -> str:
    """The x-axis of a law's extrapolation plot: its input, or compute C for an (N, D) law."""
    if len(law.inputs) == 1:
        return law.inputs[0]
    if set(law.inputs) in ({"N", "D"}, {"N", "D", "U"}):
        return "C"
    raise SpecError(f"no extrapolation plot for a law with inputs {', '.join(law.inputs)}")


def location_draws(law: Law, theta: Mapping[str, np.ndarray],
                   points: pd.DataFrame) -> np.ndarray:
    """The law's location (e.g. log mean loss), shape (draws, points)."""
    logx = {k: np.log(points[k].to_numpy(dtype=float))[None, :] for k in law.inputs}
    th = {k: np.asarray(v, dtype=float)[:, None] for k, v in theta.items()}
    return np.asarray(law.location(np, logx, th))


def predictive_draws(likelihood: Likelihood, location: np.ndarray,
                     theta: Mapping[str, np.ndarray], *, seed: int = PREDICTIVE_SEED,
                     new_run_sd: np.ndarray | None = None) -> np.ndarray:
    """One observed response per posterior draw and point (draws, points): the likelihood's
    noise around ``location`` and, where ``new_run_sd`` > 0, a new run's effect."""
    rng = np.random.default_rng(seed)
    if new_run_sd is not None:
        run_noise = rng.standard_normal((location.shape[0], 1))
        return likelihood.simulate(rng, location + new_run_sd * run_noise, theta)
    return likelihood.simulate(rng, location, theta)


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
    from .data import COMPUTE_K

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
