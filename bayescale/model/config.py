"""What a user configures about a model, as one object: :class:`ModelConfig`.

``ModelConfig`` holds the user's choices (law, likelihood, priors, column mapping, row filter,
law options) before they meet any data; :meth:`ModelConfig.configure` validates the runs and
resolves it into a :class:`~bayescale.model.spec.ModelSpec` for those runs. The same config
resolved on other runs (a subset held out in a backtest, another group) gives the spec those
runs call for: priors that scale with the data are re-resolved, the user's own are kept.

Layer: ``model``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from ..data.runs import Runs, filter_rows, parse_columns, read_table
from ..errors import DataError, SpecError
from ..laws import Law, get_law, infer_law, law_from_dict
from ..priors import Prior, parse_priors, read_priors_toml
from ..priors.field import SETS as PRIOR_SETS
from .spec import ModelSpec

#: Fewer runs than this are refused. Fewer runs than free parameters are allowed (the priors
#: carry what the runs cannot; the fit warns, and ``shrinkage`` shows which parameters).
MIN_RUNS = 3

PriorsLike = Mapping[str, Prior | Mapping[str, Any] | float] | str | Path | None


#: Law options that may name a column of the runs instead of giving a number (one value per
#: fit: per ``--by`` group, per study).
COLUMN_OPTIONS = ("chance",)


def column_options(options: Mapping[str, Any] | None, table: pd.DataFrame) -> dict[str, Any]:
    """``options`` with each of :data:`COLUMN_OPTIONS` given as a column name replaced by that
    column's value in ``table`` (which must hold one number)."""
    out = dict(options or {})
    for key in COLUMN_OPTIONS:
        value = out.get(key)
        if not isinstance(value, str):
            continue
        try:
            out[key] = float(value)
            continue
        except ValueError:
            pass
        if value not in table.columns:
            raise DataError(f"{key} {value!r} is neither a number nor a column of the runs")
        values = pd.to_numeric(table[value], errors="coerce").dropna().unique()
        if len(values) != 1:
            found = ", ".join(f"{v:g}" for v in sorted(values)[:4]) or "no number"
            raise DataError(f"{key} column {value!r} must hold one number for the runs of a "
                            f"fit (one per group, by=), found {found}")
        out[key] = float(values[0])
    return out


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """The user's model choices, before any data.

    Parameters
    ----------
    law : str or Law, optional
        A law name (see :func:`bayescale.available_laws`) or a law object. None (default):
        chosen from the table's columns by :func:`~bayescale.laws.infer_law` (chinchilla for
        losses with N and D, power for losses with one input, sigmoid for accuracies).
    likelihood : str, optional
        ``studentt``/``laplace``/``normal`` for losses, ``beta``/``logitnormal`` for
        accuracies; default by the law's response.
    priors : mapping, TOML path, ``"field"`` or ``"weak"``, optional
        Overrides per parameter; a number fixes a parameter. A path is read at once.
        ``"field"``/``"weak"`` choose the prior set (same as ``base``).
    columns : ``"N=params,loss=val_loss"`` or mapping, optional
        Where the canonical columns are in the user's table.
    x : {"N", "D", "C"}, optional
        The input of a one-input law when the data has several.
    query : str, optional
        A row filter applied before validation.
    law_options : mapping, optional
        Options of the law (``chance``, ``breaks``, ``k``, ``expression``).
    base : {"field", "weak"}
        The default priors under the user's: ``"field"`` (default) learned from public scaling
        studies (:mod:`bayescale.priors.field`) where they apply, else the law's weak ones;
        ``"weak"``: the law's data-scaled weakly informative priors.
    """

    law: str | Law | None = None
    likelihood: str | None = None
    priors: PriorsLike = None
    columns: str | Mapping[str, str] | None = None
    x: str | None = None
    query: str | None = None
    law_options: Mapping[str, Any] | None = None
    base: str = "field"

    def __post_init__(self) -> None:
        if isinstance(self.priors, str) and self.priors.strip().lower() in PRIOR_SETS:
            object.__setattr__(self, "base", self.priors.strip().lower())
            object.__setattr__(self, "priors", None)
        if self.base not in PRIOR_SETS:
            raise SpecError(f"base={self.base!r}: use one of {', '.join(PRIOR_SETS)}")
        if isinstance(self.priors, (str, Path)):  # read once: a config is plain data
            object.__setattr__(self, "priors", read_priors_toml(self.priors))
        elif self.priors is not None:
            object.__setattr__(self, "priors", parse_priors(self.priors))
        object.__setattr__(self, "columns", parse_columns(self.columns) or None)

    def replace(self, **changes: Any) -> ModelConfig:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    # -- resolution -------------------------------------------------------------------------
    def law_for(self, available: Any = None, response: str = "loss",
                options: Mapping[str, Any] | None = None) -> Law:
        """The law object (with its options, or ``options`` in their place) for data that has
        the ``available`` inputs and ``response`` (the law is inferred from them when none was
        named)."""
        name = self.law
        if name is None:
            name = infer_law(available if available is not None else (), response=response,
                             x=self.x)
        options = dict(self.law_options or {}) if options is None else dict(options)
        return get_law(name, available=available, x=self.x, **options)

    def law_of(self, table: pd.DataFrame, *, mapped: bool = True) -> Law:
        """The law for ``table`` (the user's columns; ``mapped=False``: canonical columns, as
        ``Runs.table``): the one named, else the one its columns call for (an accuracy column
        without a loss column makes it an accuracy law)."""
        mapping = dict(self.columns or {}) if mapped else {}
        # an input the user mapped counts as present (a missing column is named by the runs'
        # own check)
        available = [k for k in ("N", "D", "C") if k in mapping or k in table.columns]
        named = {k for k in ("loss", "accuracy") if mapping.get(k, k) in table.columns}
        return self.law_for(available=available,
                            response="accuracy" if named == {"accuracy"} else "loss",
                            options=column_options(self.law_options, table))

    def configure(self, data: pd.DataFrame | str | Path | Runs) -> tuple[ModelSpec, Runs]:
        """Validate the runs and resolve law, likelihood and priors; nothing is sampled."""
        law, runs = self.prepare(data)
        return ModelSpec.resolve(law, self.likelihood, self.priors, runs, base=self.base), runs

    def prepare(self, data: pd.DataFrame | str | Path | Runs) -> tuple[Law, Runs]:
        """Resolve the law and validate the runs it needs (no priors yet)."""
        mapping = dict(self.columns or {})
        if isinstance(data, Runs):
            return self.law_for(available=data.table.columns, response=data.response), data
        source = None
        if isinstance(data, (str, Path)):
            source = str(data)
            data = read_table(data)
        if not isinstance(data, pd.DataFrame):
            raise DataError(f"runs must be a DataFrame, a CSV path or Runs, got "
                            f"{type(data).__name__}")
        if self.query:
            data = filter_rows(data, self.query)
        law = self.law_of(data)
        return law, Runs.from_frame(data, law.inputs, response=law.response,
                                    compute_k=law.compute_k, columns=mapping, source=source,
                                    grouped=law.grouped)

    # -- plain data (stored with every fit) ---------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        law = self.law if isinstance(self.law, (str, type(None))) else self.law.to_dict()
        return {"law": law, "likelihood": self.likelihood,
                "priors": ({k: v.to_dict() for k, v in self.priors.items()}
                           if self.priors else None),
                "columns": dict(self.columns) if self.columns else None, "x": self.x,
                "query": self.query,
                "law_options": dict(self.law_options) if self.law_options else None,
                "base": self.base}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelConfig:
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - fields
        if unknown:
            raise SpecError(f"model config: unknown field {sorted(unknown)[0]!r}")
        values = dict(data)
        if isinstance(values.get("law"), Mapping):
            values["law"] = law_from_dict(values["law"])
        return cls(**values)


def check_size(spec: ModelSpec, runs: Runs) -> None:
    """Refuse a fit with nothing to sample or fewer than :data:`MIN_RUNS` runs."""
    free = [p.name for p in spec.sampled()]
    if not free:
        raise SpecError("every parameter is fixed: nothing to fit")
    if runs.n < MIN_RUNS:
        raise DataError(
            f"only {runs.n} usable runs; a fit needs at least {MIN_RUNS} (law "
            f"{spec.law.name!r} has {len(free)} free parameters: {', '.join(free)})"
        )
