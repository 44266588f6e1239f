"""Points where a law is evaluated: ``"N=7e10,D=1.4e12"`` strings, mappings, tables.

Layer: ``data``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError, SpecError, shown
from ..laws import INPUTS, Law
from ..laws.base import MEASURED_INPUTS
from .runs import read_inputs

#: Columns a prediction table adds (points may not use these names).
OUTPUT_COLUMNS = ("prob", "median", "lower", "upper", "pp_lower", "pp_upper", "scale_up_N",
                  "scale_up_D", "scale_up_C")



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
    given = shown(str(text), 60)  # the user's text, cut short for a message
    for part in str(text).split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        key = key.strip()
        if not sep:
            raise SpecError(f"point {given}: expected NAME=VALUE pairs such as "
                            "N=7e10,D=1.4e12")
        if key not in (*INPUTS, *MEASURED_INPUTS):
            raise SpecError(f"point {given}: unknown input {shown(key)}; use "
                            f"{', '.join((*INPUTS, *MEASURED_INPUTS))}")
        try:
            number = float(value)
        except ValueError:
            raise SpecError(f"point {given}: {shown(value.strip())} is not a "
                            "number") from None
        if not np.isfinite(number) or number <= 0:
            raise SpecError(f"point {given}: {key} must be a positive finite number, got "
                            f"{number:.4g}")
        out[key] = number
    if not out:
        raise SpecError(f"point {given} is empty")
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


def check_prob(prob: float) -> float:
    """``prob`` as a float in (0, 1); a one-line SpecError otherwise."""
    try:
        p = float(prob)
    except (TypeError, ValueError, OverflowError):
        raise SpecError(f"prob must be a number in (0, 1), got {shown(prob)}") from None
    if not 0 < p < 1:
        raise SpecError(f"prob must be in (0, 1), got {shown(prob)}")
    return p


def percent(prob: float) -> str:
    """``0.95`` → ``"95"`` (for column names and labels)."""
    return f"{100 * prob:g}"
