"""Compute in accelerator-hours and money.

Layer: ``decisions``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import SpecError


@dataclass(frozen=True)
class Cost:
    """Converts FLOPs to accelerator-hours and money: ``hours = C / (peak · mfu) / 3600``,
    ``cost = hours · price``. ``peak_flops`` is one accelerator's peak FLOP/s (e.g. 9.89e14 for
    an H100 SXM in dense BF16), ``mfu`` the model-FLOPs utilisation, ``price`` per
    accelerator-hour (optional)."""

    peak_flops: float
    mfu: float = 0.4
    price: float | None = None

    def __post_init__(self) -> None:
        for name, value in (("gpu flops", self.peak_flops), ("mfu", self.mfu)):
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise SpecError(f"{name} must be a positive number, got {value!r}")
        if self.mfu > 1:
            raise SpecError(f"mfu is a fraction of peak in (0, 1], got {self.mfu:g}")
        if self.price is not None and not (math.isfinite(self.price) and self.price >= 0):
            raise SpecError(f"price must be a non-negative number, got {self.price!r}")

    def hours(self, flops: np.ndarray) -> np.ndarray:
        return np.asarray(flops, dtype=float) / (self.peak_flops * self.mfu) / 3600.0

    def add_rows(self, table: pd.DataFrame, key: str) -> pd.DataFrame:
        """Rows ``gpu_hours`` (and ``cost``) converted from the table's compute: from the rows
        of quantity ``C`` when present (an interval; the map is monotone, so quantiles map
        exactly), else from the key column ``C`` (a given budget)."""
        cols = ["median", "lower", "upper", "mean"]
        if (table["quantity"] == "C").any():
            base = table[table["quantity"] == "C"].copy()
        else:
            base = table.drop_duplicates(key).copy()
            for col in ("median", "lower", "upper"):
                base[col] = base["C"]
            base = base.drop(columns=[c for c in ("mean",) if c in base.columns])
        extra = []
        hours = base.copy()
        hours["quantity"] = "gpu_hours"
        for col in cols:
            if col in hours.columns:
                hours[col] = self.hours(hours[col].to_numpy(dtype=float))
        extra.append(hours)
        if self.price is not None:
            money = hours.copy()
            money["quantity"] = "cost"
            for col in cols:
                if col in money.columns:
                    money[col] = money[col] * self.price
            extra.append(money)
        out = pd.concat([table, *extra], ignore_index=True)
        out.attrs = dict(table.attrs)
        out.attrs["cost"] = {"gpu_flops": self.peak_flops, "mfu": self.mfu,
                             "price": self.price}
        return out
