"""Runs: the validated table of training runs a law is fitted to.

Canonical columns are ``N`` (parameters), ``D`` (tokens), ``C`` (training FLOPs) and ``loss``.
A user's own names are mapped with ``columns={"N": "params", "loss": "val_loss"}`` (CLI:
``--columns N=params,loss=val_loss``). Missing inputs are derived where the convention allows:
``C = k·N·D`` and ``D = C/(k·N)`` with ``k = 6`` (stated in :attr:`Runs.notes`). A given C
is validated like any column and kept as given, with a note when it disagrees with ``k·N·D``.
Two fields read from one column (``columns='loss=N'``), a column name given twice, and a CSV
row with more fields than its header are errors. Row filters (``query=``) are parsed by
:mod:`bayescale.data.query`, never evaluated as Python.

Every problem is a :class:`~bayescale.errors.DataError` naming the column and the rows
(1-based data rows, header excluded), on one line.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError, SpecError, shown, shown_names
from ..laws.base import INPUT_DOC, INPUTS, MEASURED_INPUTS, Scales
from .query import query_mask

#: FLOPs per parameter per token in ``C = k·N·D`` (Kaplan/Hoffmann convention).
COMPUTE_K = 6.0
#: A given C whose median relative mismatch with k·N·D exceeds this gets a note (C is kept).
C_MISMATCH = 0.10
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
        taken = next((k for k, v in out.items()
                      if v == str(value) and k != key and RUN not in (k, key)), None)
        if taken is not None:
            raise SpecError(f"columns: '{key}={value}' maps column {value} to {key}, but "
                            f"{value} is also the {_role(taken)} column ('{taken}={value}')")
        out[key] = str(value)
    return out


def _role(key: str) -> str:
    return {"D": "tokens", "C": "compute"}.get(key, INPUT_DOC.get(key, key))


def _check_mapping(present: Mapping[str, str], mapping: Mapping[str, str]) -> None:
    """Refuse two canonical fields read from one column (``columns='loss=N'`` while N is
    also read from the column N)."""
    seen: dict[str, str] = {}
    for key, name in present.items():
        other = seen.setdefault(name, key)
        if other == key:
            continue
        moved, kept = (key, other) if mapping.get(key) == name and key != name else (other, key)
        raise SpecError(f"columns: '{moved}={name}' maps column {name} to {moved}, but {name} "
                        f"is also the {_role(kept)} column")


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
        raise DataError(f"column {label}, {_rows(bad, file)}: not a number (first: {shown(first)})")
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
                f"columns present: {shown_names(map(str, df.columns))}"
            )
        elif key in df.columns:
            present[key] = key
    _check_mapping(present, mapping)
    twice = [name for name in dict.fromkeys(present.values())
             if int(np.sum(np.asarray(df.columns == name))) > 1]
    if twice:
        raise DataError(f"column {twice[0]!r} appears more than once{where}; rename or drop "
                        "the extra one")
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
            f"{shown_names(map(str, df.columns))}{hint}"
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
    file = source if source and Path(source).suffix else None
    if "C" in present and "C" not in values and "N" in values and "D" in values:
        name = present["C"]
        if df[name].isna().all():
            notes.append(f"column {name!r} is empty, so C is derived as {k:g}·N·D")
        else:  # a given C is checked, never silently replaced by k·N·D
            label = repr(name) if name == "C" else f"{name!r} (C)"
            values["C"] = numeric_column(df[name], label, file=file)
    if all(key in present for key in ("C", "N", "D")) and all(
            key in values for key in ("C", "N", "D")):
        name = present["C"]
        note = _compute_mismatch(values, k, repr(name) if name == "C" else f"{name!r} (C)",
                                 file)
        if note:
            notes.append(note)
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


def _compute_mismatch(values: Mapping[str, np.ndarray], k: float, label: str,
                      file: str | None) -> str | None:
    """A note when a given C disagrees with k·N·D: the median relative mismatch is over
    :data:`C_MISMATCH`, or some row is off by more than a factor of 2. C is kept as given."""
    ratio = values["C"] / (k * values["N"] * values["D"])
    mismatch = np.abs(ratio - 1.0)
    far = (ratio > 2.0) | (ratio < 0.5)
    if float(np.median(mismatch)) <= C_MISMATCH and not far.any():
        return None
    rows = mismatch > C_MISMATCH if float(np.median(mismatch)) > C_MISMATCH else far
    worst = float(ratio[np.argmax(mismatch)])
    return (f"column {label} differs from {k:g}·N·D by more than {C_MISMATCH:.0%} in "
            f"{_rows(rows, file)} (C/({k:g}·N·D): median {float(np.median(ratio)):.3g}, "
            f"farthest {worst:.3g}); C is used as given: check that column, or the law's "
            "compute_k")


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
    def counted(self) -> str:
        """How many rows, in words: ``"30 runs"``, or ``"110 checkpoints of 12 runs"`` when
        rows are checkpoints of runs (a run column)."""
        if RUN_ID in self.table:
            runs = int(self.table[RUN_ID].nunique())
            return (f"{self.n} checkpoint{'s' if self.n != 1 else ''} of {runs} "
                    f"run{'s' if runs != 1 else ''}")
        return f"{self.n} run{'s' if self.n != 1 else ''}"

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
            _check_fields(p, "\t")
            return pd.read_csv(p, sep="\t")
        _check_fields(p, ",")
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
        ragged = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", msg)
        if ragged:
            fields, line, saw = ragged.groups()
            msg = f"line {line} has {saw} fields but the header has {fields}"
        raise DataError(f"cannot read {str(p)!r}: {msg}") from None
    except OSError as exc:
        raise DataError(f"cannot read {str(p)!r}: {exc.strerror or exc}") from None


def _check_fields(path: Path, sep: str) -> None:
    """Refuse a header naming one column twice (pandas would read the second ``loss`` as
    ``loss.1``) and a row with more fields than the header (pandas would shift it into the
    index, or fail with its parser's message). Anything else is left to pandas."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            rows = csv.reader(fh, delimiter=sep)
            header = next((row for row in rows if row), None)
            if header is None:
                return
            if len(header) == 1 and any(c in header[0] for c in ";\t|" if c != sep):
                return  # another separator: read_table says so
            names = [h.strip() for h in header]
            twice = next((h for i, h in enumerate(names) if h and h in names[:i]), None)
            if twice is not None:
                where = [i + 1 for i, h in enumerate(names) if h == twice]
                raise DataError(f"cannot read {str(path)!r}: column {twice!r} appears "
                                f"{len(where)} times in the header (columns "
                                f"{', '.join(map(str, where))}); rename or drop the extra one")
            for row in rows:
                if len(row) > len(header):
                    raise DataError(f"cannot read {str(path)!r}: line {rows.line_num} has "
                                    f"{len(row)} fields but the header has {len(header)} "
                                    "(a stray separator, or a value that needs quotes?)")
    except (csv.Error, UnicodeDecodeError):
        return


def filter_rows(df: pd.DataFrame, query: str) -> pd.DataFrame:
    """Keep the rows matching ``query``, a condition in the restricted language of
    :mod:`bayescale.data.query` (columns, literals, comparisons, and/or/not, in; never
    evaluated as Python), with a one-line error."""
    out = df[query_mask(df, query)]
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
                        f"{shown_names(map(str, data.columns))}")
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
