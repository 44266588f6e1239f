"""Synthetic runs from a law with known parameters (numpy only).

Used to generate the bundled example data, in recovery tests, and to check a design before
training anything. :func:`simulation_params` and :func:`default_design` give the defaults of
``bayescale simulate`` (the founding document's example; Besiroglu et al.'s Chinchilla re-fit
on a small-lab grid).

Sizes are bounded before anything is allocated: a design (and a log grid) has at most
:data:`MAX_ROWS` rows, parameters must be finite and the seed in ``[0, 2**32 - 1]``.

Layer: ``data``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..errors import SpecError, shown
from ..laws import Law, get_law
from .points import as_points

#: Besiroglu et al. (2024) Table 1 re-fit of the Chinchilla data.
EPOCH_CHINCHILLA = {"E": 1.8172, "A": 482.01, "B": 2085.43, "alpha": 0.3478, "beta": 0.3658}
#: The founding document's example, error = 100·N^(−0.07) + 10.
FOUNDING_EXAMPLE = {"E": 10.0, "A": 100.0, "alpha": 0.07}
#: Tokens per parameter at each model size of the default grid of laws in N and D.
DEFAULT_RATIOS = (5.0, 10.0, 20.0, 40.0, 80.0)
#: Default log-spaced range of a one-input law's input (10 values).
DEFAULT_RANGES = {"N": (1e6, 1e9), "D": (1e8, 1e11), "C": (1e17, 1e21)}
#: Most rows a simulated design (or values a log grid) may have: 1e6 rows are a ~50 MB CSV,
#: far beyond any real sweep, and still a second to write.
MAX_ROWS = 1_000_000
#: Largest seed (the same bound as a fit's ``random_seed``).
MAX_SEED = 2**32 - 1


def simulate_runs(law: str | Law, params: Mapping[str, float], design: pd.DataFrame | Mapping,
                  *, sigma: float = 0.01, seed: int = 0, digits: int | None = 6) -> pd.DataFrame:
    """Loss at each design point with multiplicative log-normal noise ``exp(N(0, sigma))``.

    Parameters
    ----------
    law : law name or Law
    params : the law's parameters on the natural scale
    design : columns N, D and/or C (for an (N, D) law, C is added)
    sigma : standard deviation of the noise on log loss
    digits : round the loss to this many decimals (None: no rounding)
    """
    if (isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer))
            or not 0 <= seed <= MAX_SEED):
        raise SpecError(f"the seed must be an integer from 0 to {MAX_SEED} (2**32 - 1); got "
                        f"{shown(seed)}")
    try:
        sigma_ok = math.isfinite(float(sigma)) and float(sigma) >= 0
    except (TypeError, ValueError, OverflowError):
        sigma_ok = False
    if not sigma_ok:
        raise SpecError(f"sigma must be a finite number >= 0; got sigma={shown(sigma)}")
    law_obj = get_law(law, available=list(design.keys()))
    missing = [p for p in law_obj.param_names if p not in params]
    if missing:
        raise SpecError(f"law {law_obj.name!r} needs params= for {', '.join(missing)}")
    values = _finite_params(params, law_obj.param_names)
    points = as_points(design, law_obj)
    with np.errstate(all="ignore"):
        mean = law_obj.loss({k: points[k] for k in law_obj.inputs}, values)
    _refuse_not_finite(np.asarray(mean, dtype=float), points, law_obj, "check params=")
    rng = np.random.default_rng(seed)
    with np.errstate(all="ignore"):
        loss = mean * np.exp(rng.normal(0.0, float(sigma), len(points)))
    _refuse_not_finite(np.asarray(loss, dtype=float), points, law_obj,
                       f"sigma={float(sigma):.4g} is too large")
    out = points.copy()
    out["loss"] = np.round(loss, digits) if digits is not None else loss
    return out


def _finite_params(params: Mapping[str, float], names: tuple[str, ...] | list[str]
                   ) -> dict[str, float]:
    """``params[names]`` as floats; a SpecError names the first that is not a finite number."""
    out = {}
    for name in names:
        raw = params[name]
        try:
            value = float(raw)
        except (TypeError, ValueError, OverflowError):
            value = math.nan
        if isinstance(raw, (bool, np.bool_)) or not math.isfinite(value):
            raise SpecError(f"params=: {name} must be a finite number; got "
                            f"{name}={shown(raw)}")
        out[name] = value
    return out


def _refuse_not_finite(values: np.ndarray, points: pd.DataFrame, law: Law, hint: str) -> None:
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        row = int(bad[0])
        at = ",".join(f"{k}={float(points[k].iloc[row]):.4g}" for k in law.inputs)
        raise SpecError(f"the simulated {law.response} is not finite at {at} ({bad.size} of "
                        f"{values.size} runs): {hint}")


def chinchilla_design(n_sizes: int = 6, ratios: tuple[float, ...] = (5, 10, 20, 40, 80),
                      n_min: float = 3e7, n_max: float = 1e9) -> pd.DataFrame:
    """A grid of model sizes × tokens-per-parameter ratios (a small-lab design)."""
    sizes = np.geomspace(n_min, n_max, n_sizes)
    rows = [{"N": float(f"{n:.3g}"), "D": float(f"{n * r:.3g}")} for n in sizes for r in ratios]
    return pd.DataFrame(rows)


def log_grid(lo: float, hi: float, k: int, *, name: str | None = None) -> np.ndarray:
    """``k`` log-spaced values from ``lo`` to ``hi``, rounded to 3 significant digits
    (``k`` at most :data:`MAX_ROWS`); ``name`` labels the grid in messages (e.g. ``"N"``)."""
    label = f"{name} " if name else "a log grid "
    try:
        a, b = float(lo), float(hi)
    except (TypeError, ValueError, OverflowError):
        a = b = math.nan
    count_ok = not isinstance(k, (bool, np.bool_)) and isinstance(k, (int, np.integer))
    grid = f"{shown(lo)}:{shown(hi)}:{shown(k)}"
    if not (count_ok and math.isfinite(a) and math.isfinite(b) and 0 < a <= b and k >= 1):
        raise SpecError(f"{label}LO:HI:K needs finite 0 < LO <= HI and a whole K >= 1, got "
                        f"{grid}")
    if k > MAX_ROWS:
        raise SpecError(f"{label}{grid} would make {shown(k)} values; the limit is "
                        f"{MAX_ROWS}")
    return np.array([float(f"{v:.3g}") for v in np.geomspace(a, b, int(k))])


def default_params(law: Law) -> dict[str, float]:
    """Known parameters to simulate ``law`` with, where there is a classic choice: Besiroglu
    et al.'s Chinchilla re-fit for laws in N and D with an ``E``, the founding document's
    example for the power law in N; otherwise none."""
    if set(law.inputs) >= {"N", "D"} and "E" in law.param_names:
        defaults = EPOCH_CHINCHILLA
    elif law.name == "power" and law.inputs == ("N",):
        defaults = FOUNDING_EXAMPLE
    else:
        defaults = {}
    return {k: v for k, v in defaults.items() if k in law.param_names}


def simulation_params(law: Law, given: Mapping[str, float] | None = None) -> dict[str, float]:
    """The parameters to simulate ``law`` with: :func:`default_params` overridden by
    ``given``. Raises :class:`SpecError` naming a parameter that is missing or unknown."""
    params = {**default_params(law), **dict(given or {})}
    missing = [p for p in law.param_names if p not in params]
    if missing:
        raise SpecError(f"law {law.name!r} needs params= for {', '.join(missing)} (it has no "
                        "defaults for them)")
    unknown = [p for p in params if p not in law.param_names]
    if unknown:
        raise SpecError(f"law {law.name!r} has no parameter {shown(unknown[0])} (it has "
                        f"{', '.join(law.param_names)})")
    return _finite_params(params, list(params))


def default_design(law: Law, *, N: np.ndarray | None = None, D: np.ndarray | None = None,
                   C: np.ndarray | None = None,
                   ratios: tuple[float, ...] | None = None) -> pd.DataFrame:
    """The runs to simulate ``law`` at. Laws in N and D: the grid ``N`` × ``D`` when ``D`` is
    given (``N`` by default 6 sizes from 3e7 to 1e9), otherwise each size of ``N`` at each
    tokens-per-parameter ratio of ``ratios`` (default :data:`DEFAULT_RATIOS`; default sizes
    those of :func:`chinchilla_design`); a column ``U = D`` for laws of unique tokens.
    One-input laws: their input's values (``N``, ``D`` or ``C``), by default 10 log-spaced
    over :data:`DEFAULT_RANGES`. At most :data:`MAX_ROWS` rows (checked before building)."""
    if set(law.inputs) >= {"N", "D"}:
        n_sizes = 6 if N is None else int(np.size(N))
        if D is not None:
            _check_rows(n_sizes * int(np.size(D)), f"the grid N x D ({n_sizes} x {np.size(D)})")
        else:
            _check_rows(n_sizes * len(tuple(ratios or DEFAULT_RATIOS)),
                        f"N at each ratio ({n_sizes} x {len(tuple(ratios or DEFAULT_RATIOS))})")
        if D is not None:
            sizes = N if N is not None else np.geomspace(3e7, 1e9, 6)
            design = pd.DataFrame([{"N": n, "D": d} for n in sizes for d in D])
        else:
            r = tuple(ratios or DEFAULT_RATIOS)
            design = (chinchilla_design(ratios=r) if N is None else pd.DataFrame(
                [{"N": n, "D": n * x} for n in N for x in r]))
        if "U" in law.inputs:
            design["U"] = design["D"]
        return design
    x = law.inputs[0]
    grid = {"N": N, "D": D, "C": C}.get(x)
    if grid is None:
        grid = log_grid(*DEFAULT_RANGES.get(x, DEFAULT_RANGES["N"]), 10)
    _check_rows(int(np.size(grid)), f"{x} ({np.size(grid)} values)")
    return pd.DataFrame({x: np.asarray(grid, dtype=float)})


def _check_rows(rows: int, what: str) -> None:
    if rows > MAX_ROWS:
        raise SpecError(f"{what} would make {rows} runs; the limit is {MAX_ROWS}")
