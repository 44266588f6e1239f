"""Synthetic runs from a law with known parameters (numpy only).

Used to generate the bundled example data, in recovery tests, and to check a design before
training anything.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..laws import Law, get_law
from .points import as_points


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
