"""Designs of runs placed by a law's optimum: isoFLOP grids around the compute-optimal size.

Layer: ``decisions``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..laws import get_law
from .allocation import allocation_draws


def isoflop_design(params: Mapping[str, float], budgets: Sequence[float] = (1e17, 1e18, 1e19,
                                                                             1e20, 1e21),
                   *, width: float = 8.0, points: int = 15, k: float = 6.0,
                   offset: float = 1.0) -> pd.DataFrame:
    """IsoFLOP grids (Approach 2 designs): at each budget, ``points`` model sizes spaced
    evenly in log from ``N*/width`` to ``N*·width`` around the true Chinchilla optimum ``N*``
    of ``params`` (times ``offset``, to make off-centre grids), with ``D = C/(k·N)``."""
    law = get_law("chinchilla")
    theta = {name: np.array([params[name]]) for name in law.param_names}
    best = allocation_draws(law, theta, list(budgets), k=k)["N_opt"][0] * offset
    rows = []
    for c, centre in zip(budgets, best, strict=True):
        for n in centre * np.geomspace(1.0 / width, width, points):
            rows.append({"N": n, "D": c / (k * n), "C": float(c)})
    return pd.DataFrame(rows)
