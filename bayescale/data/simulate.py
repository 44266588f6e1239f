"""Synthetic runs from a law with known parameters (numpy only).

Used to generate the bundled example data, in recovery tests, and to check a design before
training anything. :func:`simulation_params` and :func:`default_design` give the defaults of
``bayescale simulate`` (the founding document's example; Besiroglu et al.'s Chinchilla re-fit
on a small-lab grid).

Layer: ``data``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..errors import SpecError
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
    law_obj = get_law(law, available=list(design.keys()))
    missing = [p for p in law_obj.param_names if p not in params]
    if missing:
        raise KeyError(f"params lack {missing}")
    points = as_points(design, law_obj)
    mean = law_obj.loss({k: points[k] for k in law_obj.inputs},
                        {k: params[k] for k in law_obj.param_names})
    rng = np.random.default_rng(seed)
    loss = mean * np.exp(rng.normal(0.0, sigma, len(points)))
    out = points.copy()
    out["loss"] = np.round(loss, digits) if digits is not None else loss
    return out


def chinchilla_design(n_sizes: int = 6, ratios: tuple[float, ...] = (5, 10, 20, 40, 80),
                      n_min: float = 3e7, n_max: float = 1e9) -> pd.DataFrame:
    """A grid of model sizes × tokens-per-parameter ratios (a small-lab design)."""
    sizes = np.geomspace(n_min, n_max, n_sizes)
    rows = [{"N": float(f"{n:.3g}"), "D": float(f"{n * r:.3g}")} for n in sizes for r in ratios]
    return pd.DataFrame(rows)


def log_grid(lo: float, hi: float, k: int) -> np.ndarray:
    """``k`` log-spaced values from ``lo`` to ``hi``, rounded to 3 significant digits."""
    if not (0 < lo <= hi and k >= 1):
        raise SpecError(f"a log grid needs 0 < lo <= hi and k >= 1, got {lo:g}:{hi:g}:{k}")
    return np.array([float(f"{v:.3g}") for v in np.geomspace(lo, hi, k)])


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
        raise SpecError(f"law {law.name!r} has no parameter {unknown[0]!r} (it has "
                        f"{', '.join(law.param_names)})")
    return params


def default_design(law: Law, *, N: np.ndarray | None = None, D: np.ndarray | None = None,
                   C: np.ndarray | None = None,
                   ratios: tuple[float, ...] | None = None) -> pd.DataFrame:
    """The runs to simulate ``law`` at. Laws in N and D: the grid ``N`` × ``D`` when ``D`` is
    given (``N`` by default 6 sizes from 3e7 to 1e9), otherwise each size of ``N`` at each
    tokens-per-parameter ratio of ``ratios`` (default :data:`DEFAULT_RATIOS`; default sizes
    those of :func:`chinchilla_design`); a column ``U = D`` for laws of unique tokens.
    One-input laws: their input's values (``N``, ``D`` or ``C``), by default 10 log-spaced
    over :data:`DEFAULT_RANGES`."""
    if set(law.inputs) >= {"N", "D"}:
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
    return pd.DataFrame({x: np.asarray(grid, dtype=float)})
