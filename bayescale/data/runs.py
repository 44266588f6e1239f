"""Runs: the validated table of training runs a law is fitted to.

Canonical columns are ``N`` (parameters), ``D`` (tokens), ``C`` (training FLOPs) and ``loss``.
A user's own names are mapped with ``columns={"N": "params", "loss": "val_loss"}`` (CLI:
``--columns N=params,loss=val_loss``). Missing inputs are derived where the convention allows:
``C = k·N·D`` and ``D = C/(k·N)`` with ``k = 6`` (stated in :attr:`Runs.notes`).

Every problem is a :class:`~bayescale.errors.DataError` naming the column and the rows
(1-based data rows, header excluded), on one line.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError, SpecError
from ..laws.base import INPUTS, MEASURED_INPUTS, Scales

#: FLOPs per parameter per token in ``C = k·N·D`` (Kaplan/Hoffmann convention).
COMPUTE_K = 6.0
#: Canonical columns: the inputs, then the responses a law can predict.
RESPONSES = ("loss", "accuracy")
#: A non-numeric column: which run a row (a checkpoint) belongs to (grouped laws); kept as
#: ``run_id`` in tables and files (``run`` is the name of the observation dimension there).
RUN = "run"
RUN_ID = "run_id"
CANONICAL = (*INPUTS, *[m for m in MEASURED_INPUTS if m not in RESPONSES], *RESPONSES)


def parse_columns(spec: str | Mapping[str, str] | None) -> dict[str, str]:
    """Parse ``"N=params,D=tokens,loss=val_loss"`` (or a mapping) into canonical → user names."""
    if spec is None:
        return {}
    if isinstance(spec, Mapping):
        items = list(spec.items())
    else:
        items = []
        for part in str(spec).split(","):
            if not part.strip():
                continue
            if "=" not in part:
                raise SpecError(f"columns={spec!r}: expected FIELD=COLUMN, got {part.strip()!r}")
            key, _, value = part.partition("=")
            items.append((key.strip(), value.strip()))
    out: dict[str, str] = {}
    for key, value in items:
        if key not in (*CANONICAL, RUN):
            raise SpecError(f"columns: unknown field {key!r}; use "
                            f"{', '.join((*CANONICAL, RUN))}")
        if not value:
            raise SpecError(f"columns: no column name given for {key!r}")
        out[key] = str(value)
    return out


def _rows(mask: np.ndarray, file: str | None = None, limit: int = 3) -> str:
    """Rows counted from 1 after the header; with a file, also its line numbers."""
    idx = np.flatnonzero(mask) + 1
    plural = "s" if len(idx) > 1 else ""
    shown = ", ".join(str(i) for i in idx[:limit])
    more = f" (and {len(idx) - limit} more)" if len(idx) > limit else ""
    where = ""
    if file:
        lines = ", ".join(str(i + 1) for i in idx[:limit])
        where = f" (line{plural} {lines} of {Path(file).name})"
    return f"row{plural} {shown}{more}{where}"


def numeric_column(values: pd.Series, label: str, *, positive: bool = True,
                   file: str | None = None) -> np.ndarray:
    """Convert one column to float, with an error naming the offending rows."""
    raw = values.to_numpy(dtype=object)
    blank = pd.isna(values).to_numpy() | np.array(
        [isinstance(v, str) and not v.strip() for v in raw], dtype=bool
    )
    as_num = pd.to_numeric(values.where(~blank), errors="coerce").to_numpy(dtype=float)
    bad = ~blank & np.isnan(as_num)
    if bad.any():
        first = raw[np.flatnonzero(bad)[0]]
        raise DataError(f"column {label}, {_rows(bad, file)}: not a number (first: {first!r})")
    if blank.any():
        raise DataError(f"column {label}, {_rows(blank, file)}: empty or NaN")
    infinite = ~np.isfinite(as_num)
    if infinite.any():
        raise DataError(f"column {label}, {_rows(infinite, file)}: not finite")
    if positive and (as_num <= 0).any():
        bad = as_num <= 0
        first = as_num[np.flatnonzero(bad)[0]]
        raise DataError(f"column {label}, {_rows(bad, file)}: must be > 0 (first: {first:g})")
    return as_num


def read_inputs(
    df: pd.DataFrame,
    needed: Sequence[str],
    *,
    columns: Mapping[str, str] | None = None,
    source: str | None = None,
    strict: bool = True,
    compute_k: float = COMPUTE_K,
) -> tuple[dict[str, np.ndarray], list[str]]:
    """Find, convert and validate the ``needed`` canonical columns of ``df``.

    Missing inputs are derived (``D = C/(k·N)``, ``C = k·N·D``) when their parts are present;
    ``C`` is added whenever N and D are known. With ``strict=False`` a mapped column that is
    absent falls back to the canonical name (used for prediction points).
    Returns the float arrays by canonical name and notes on what was derived.
    """
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame, got {type(df).__name__}")
    mapping = dict(columns or {})
    where = f" in {source}" if source else ""
    present: dict[str, str] = {}
    for key in CANONICAL:
        name = mapping.get(key, key)
        if name in df.columns:
            present[key] = name
        elif key in mapping and strict:
            raise DataError(
                f"column {name!r} (given for {key}) not found{where}; "
                f"columns present: {', '.join(map(str, df.columns))}"
            )
        elif key in df.columns:
            present[key] = key
    derivable = {"C": ("N", "D"), "D": ("C", "N")}
    to_read: list[str] = []
    for key in needed:
        if key in present:
            to_read.append(key)
            continue
        parts = derivable.get(key)
        if parts and all(p in present for p in parts):
            to_read += parts
            continue
        hint = f"; map yours with columns='{key}=<name>'" if strict else ""
        raise DataError(
            f"column {key!r} not found{where}; columns present: "
            f"{', '.join(map(str, df.columns))}{hint}"
        )
    if len(df) == 0:
        raise DataError(f"no rows{where}")
    values: dict[str, np.ndarray] = {}
    for key in dict.fromkeys(to_read):
        name = present[key]
        label = repr(name) if name == key else f"{name!r} ({key})"
        file = source if source and Path(source).suffix else None
        values[key] = numeric_column(df[name], label, file=file,
                                     positive=key != "accuracy")
        if key == "accuracy":
            outside = (values[key] < 0) | (values[key] > 1)
            if outside.any():
                first = values[key][np.flatnonzero(outside)[0]]
                raise DataError(f"column {label}, {_rows(outside, file)}: an accuracy must be "
                                f"between 0 and 1 (first: {first:g})")
    notes: list[str] = []
    k = compute_k
    if "D" in needed and "D" not in values:
        values["D"] = values["C"] / (k * values["N"])
        notes.append(f"D derived as C/({k:g}·N)")
    if "C" not in values and "N" in values and "D" in values:
        values["C"] = k * values["N"] * values["D"]
        if "C" in needed:
            notes.append(f"C derived as {k:g}·N·D")
    for key, derived in (("C", f"{k:g}·N·D"), ("D", f"C/({k:g}·N)")):
        bad = key in values and key not in present and ~np.isfinite(values[key]) | (
            values[key] <= 0)
        if np.any(bad):
            raise DataError(f"{key} = {derived} is out of floating-point range in "
                            f"{_rows(np.asarray(bad))}")
    return {k: values[k] for k in CANONICAL if k in values}, notes


def run_labels(df: pd.DataFrame, mapping: Mapping[str, str], source: str | None) -> np.ndarray:
    """The run each row belongs to, as strings (rows of one run share a label)."""
    name = mapping.get("run", "run")
    where = f" in {source}" if source else ""
    if name not in df.columns:
        raise DataError(f"column {name!r} not found{where}: this law needs a run column saying "
                        "which rows (checkpoints) belong to one training run; map yours with "
                        "columns='run=<name>'")
    labels = df[name]
    empty = labels.isna().to_numpy()
    if empty.any():
        raise DataError(f"column {name!r}, {_rows(empty)}: empty run label")
    return labels.astype(str).to_numpy()


def squeeze_unit(y: np.ndarray) -> tuple[np.ndarray, str | None]:
    """Move accuracies of exactly 0 or 1 inside (0, 1) (Smithson & Verkuilen 2006:
    ``(y·(n − 1) + 1/2) / n``), which bounded likelihoods need; says so when it does."""
    edge = (y <= 0) | (y >= 1)
    if not edge.any():
        return y, None
    n = len(y)
    return ((y * (n - 1) + 0.5) / n,
            f"{int(edge.sum())} accuracies of exactly 0 or 1 squeezed into (0, 1) as "
            "(y·(n−1) + 1/2)/n")


@dataclass(frozen=True)
class Runs:
    """A validated runs table (natural units) plus where its columns came from."""

    table: pd.DataFrame
    columns: Mapping[str, str] = field(default_factory=dict)
    source: str | None = None
    notes: tuple[str, ...] = ()
    response: str = "loss"

    @classmethod
    def from_frame(
        cls,
        df: pd.DataFrame,
        inputs: Sequence[str],
        *,
        response: str = "loss",
        compute_k: float = COMPUTE_K,
        columns: str | Mapping[str, str] | None = None,
        source: str | None = None,
        grouped: bool = False,
    ) -> Runs:
        """Validate ``df`` for a law that uses ``inputs`` and predicts ``response``; with
        ``grouped``, a ``run`` column says which rows belong to one run."""
        mapping = parse_columns(columns)
        values, notes = read_inputs(df, [*inputs, response], columns=mapping, source=source,
                                    compute_k=compute_k)
        if response == "accuracy":
            values["accuracy"], note = squeeze_unit(values["accuracy"])
            if note:
                notes.append(note)
        for key in inputs:
            distinct = np.unique(values[key])
            if len(values[key]) > 1 and len(distinct) < 2:
                raise DataError(
                    f"column {mapping.get(key, key)!r}: every run has the same {key} "
                    f"({distinct[0]:g}), so the law's {key} exponent cannot be learned; "
                    f"it needs runs at 2 or more values of {key}"
                )
        table = pd.DataFrame(values)
        if grouped:
            table[RUN_ID] = run_labels(df, mapping, source)
        return cls(table=table, columns=mapping, source=source, notes=tuple(notes),
                   response=response)

    # -- views ------------------------------------------------------------------------------
    @property
    def n(self) -> int:
        return len(self.table)

    @property
    def groups(self) -> tuple[np.ndarray, list[str]]:
        """(index of each row's run, run labels in order of first appearance)."""
        codes, labels = pd.factorize(self.table[RUN_ID], sort=False)
        return codes.astype(np.int64), [str(v) for v in labels]

    @property
    def y(self) -> np.ndarray:
        """The response (loss or accuracy) of each run."""
        return self.table[self.response].to_numpy()

    @property
    def loss(self) -> np.ndarray:
        return self.table["loss"].to_numpy()

    def values(self, name: str) -> np.ndarray:
        return self.table[name].to_numpy()

    def log(self, name: str) -> np.ndarray:
        return np.log(self.values(name))

    def reference(self, inputs: Iterable[str]) -> dict[str, float]:
        """Geometric mean of each input: the pivot of the sampling coordinates."""
        return {k: float(np.exp(np.mean(self.log(k)))) for k in inputs}

    def scales(self, inputs: Iterable[str]) -> Scales:
        inputs = list(inputs)
        return Scales(
            loss_min=float(self.y.min()),
            loss_median=float(np.median(self.y)),
            reference=self.reference(inputs),
            log_range={k: (float(self.log(k).min()), float(self.log(k).max())) for k in inputs},
        )

    def maxima(self) -> dict[str, float]:
        """Largest observed value of each input present (N, D, C, U)."""
        return {k: float(self.table[k].max()) for k in INPUTS if k in self.table}


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV (or TSV/parquet by extension) with a one-line error on failure."""
    p = Path(path)
    if not p.exists():
        raise DataError(f"cannot read {str(p)!r}: no such file")
    if p.is_dir():
        raise DataError(f"cannot read {str(p)!r}: it is a directory")
    try:
        if p.suffix.lower() in (".parquet", ".pq"):
            return pd.read_parquet(p)
        if p.suffix.lower() in (".tsv", ".tab"):
            return pd.read_csv(p, sep="\t")
        df = pd.read_csv(p)
        header = str(df.columns[0])
        other = next((c for c in (";", "\t", "|") if c in header), None)
        if len(df.columns) == 1 and other:
            name = {";": "semicolons", "\t": "tabs", "|": "bars"}[other]
            raise DataError(f"cannot read {str(p)!r}: it looks separated by {name}, not "
                            "commas; save it as a comma-separated CSV (or .tsv for tabs)")
        return df
    except pd.errors.EmptyDataError:
        raise DataError(f"cannot read {str(p)!r}: the file is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError, ImportError) as exc:
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"cannot read {str(p)!r}: {msg}") from None
    except OSError as exc:
        raise DataError(f"cannot read {str(p)!r}: {exc.strerror or exc}") from None


def filter_rows(df: pd.DataFrame, query: str) -> pd.DataFrame:
    """Keep the rows matching a pandas query expression, with a one-line error."""
    try:
        out = df.query(query)
    except Exception as exc:  # pandas raises many types for a bad expression
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"query={query!r} failed: {msg}") from None
    if len(out) == 0:
        raise DataError(f"query={query!r} keeps no rows")
    return out.reset_index(drop=True)


def split_groups(data: Any, by: str | list[str] | None,
                 query: str | None = None) -> dict[Any, pd.DataFrame]:
    """Split a runs table (a DataFrame or CSV path) into groups by the ``by`` column(s), or
    filter each table of a mapping of groups; rows filtered by ``query`` first."""
    if isinstance(data, Mapping):
        if by is not None:
            raise SpecError("fit_many: give either a mapping of groups or by=, not both")
        groups = {k: (filter_rows(v, query) if query else v) for k, v in data.items()}
        return {k: v.reset_index(drop=True) for k, v in groups.items()}
    if isinstance(data, (str, Path)):
        data = read_table(data)
    if not isinstance(data, pd.DataFrame):
        raise DataError("fit_many: data must be a DataFrame, a CSV path or a mapping of "
                        "group name to DataFrame")
    if by is None:
        raise SpecError("fit_many: name the grouping column(s) with by=")
    keys = [by] if isinstance(by, str) else list(by)
    missing = [k for k in keys if k not in data.columns]
    if missing:
        raise DataError(f"by={missing[0]!r}: no such column; columns present: "
                        f"{', '.join(map(str, data.columns))}")
    if query:
        data = filter_rows(data, query)
    for key in keys:
        empty = data[key].isna().to_numpy()
        if empty.any():
            rows = ", ".join(str(i + 1) for i in np.flatnonzero(empty)[:3])
            raise DataError(f"by={key!r}: the column is empty in row(s) {rows}; every run "
                            "needs a group")
    return {name if len(keys) > 1 else name[0]: frame.reset_index(drop=True)
            for name, frame in data.groupby(keys, sort=False)}
