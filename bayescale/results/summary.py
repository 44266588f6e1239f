"""What a fit's summary says, as plain data: the heading, the interval kind, the parameter
table, the notes under it (fixed parameters, what the data taught, the model discrepancy, the
priors) and the same as JSON. Pure functions of the fit; rendering is the caller's (the CLI
prints them, a notebook shows the table).

Layer: ``results``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..data.points import percent

#: What the intervals of each kind of fit are.
INTERVAL_KIND = {
    "mcmc": "credible intervals",
    "laplace": "intervals of an APPROXIMATE posterior (Laplace at the mode, no MCMC)",
    "prior": "prior intervals",
}


@dataclass(frozen=True)
class FitSummary:
    """A fit's summary: ``title`` (law, formula, likelihood, runs, draws), ``interval`` (the
    interval's probability and kind), ``table`` (one row per sampled parameter; columns
    ``median``, ``mean``, ``sd``, ``lower P%``, ``upper P%``, ``r_hat``, ``ess_bulk``,
    ``ess_tail``) and ``notes`` (the lines that follow the table)."""

    title: str
    interval: str
    table: pd.DataFrame
    notes: tuple[str, ...]

    def lines(self, table_text: str) -> list[str]:
        """The summary as lines, given the table rendered as text."""
        return [self.title, self.interval, table_text, *self.notes]


def describe_discrepancy(discrepancy: Any) -> str:
    """One line on a fit's model-discrepancy term."""
    d = discrepancy
    spread = (f" (90%: {d.quantile(0.05):.2g}–{d.quantile(0.95):.2g})"
              if len(d.values) > 1 else "")
    return (f"model discrepancy: delta = {d.delta:.3g}{spread} per e-fold of {d.input} beyond "
            f"{d.reference:.3g} ({d.source})")


def fit_summary(fit: Any, prob: float = 0.95) -> FitSummary:
    """The summary of ``fit`` at interval probability ``prob`` (see :class:`FitSummary`)."""
    table = fit.summary(prob=prob)
    pct = f"{percent(prob)}%"
    title = (f"{fit.law.name}: {fit.law.formula}    likelihood {fit.likelihood.name}, "
             f"{fit.runs.counted}, {fit.n_draws} {fit.group} draws")
    shown = table.rename(columns={"lower": f"lower {pct}", "upper": f"upper {pct}"})
    notes = []
    fixed = table.attrs.get("fixed") or {}
    if fixed:
        notes.append("fixed: " + ", ".join(f"{k} = {v:g}" for k, v in fixed.items()))
    if fit.group == "posterior":
        shrink = fit.shrinkage()["shrinkage"]
        notes.append("learned from the data (shrinkage 1 - var post/var prior; near 0: the "
                     "prior speaks): " + ", ".join(f"{k} {v:.2f}" for k, v in shrink.items()))
    options = {k: v for k, v in fit.law.options().items() if k != "expression"}
    if options:
        notes.append("law options: " + ", ".join(f"{k} = {v}" for k, v in options.items()))
    second = fit.meta.get("second_pass")
    if second:
        notes.append(f"sampled twice: the first pass had {second['reason']}; the second "
                     f"(target acceptance {second['target_accept']:g}) had "
                     f"{second.get('second', 'none')}; kept the {second.get('kept', 'second')}")
    if fit.discrepancy is not None:
        notes.append(describe_discrepancy(fit.discrepancy))
    notes.append("priors:")
    notes += [f"  {line}" for line in fit.spec.describe_priors()]
    return FitSummary(title, f"{pct} equal-tailed {INTERVAL_KIND[fit.method]}", shown,
                      tuple(notes))


def summary_json(fit: Any, prob: float = 0.95) -> dict[str, Any]:
    """The summary of ``fit`` as JSON-ready data: law, likelihood, interval, per-parameter
    numbers (NaN as None), fixed parameters, priors, diagnostics, shrinkage, discrepancy and
    warnings."""
    table = fit.summary(prob=prob)
    return {
        "law": fit.law.to_dict(), "formula": fit.law.formula,
        "likelihood": fit.likelihood.name, "prob": prob, "interval": "equal-tailed",
        "runs": fit.runs.n, "draws": fit.n_draws, "method": fit.method,
        "parameters": {name: {k: (None if v != v else float(v)) for k, v in row.items()}
                       for name, row in table.to_dict(orient="index").items()},
        "fixed": table.attrs.get("fixed", {}),
        "priors": {k: v.to_dict() for k, v in fit.spec.priors.items()},
        "diagnostics": fit.diagnostics,
        "shrinkage": ({k: float(v) for k, v in fit.shrinkage()["shrinkage"].items()}
                      if fit.group == "posterior" else None),
        "discrepancy": fit.discrepancy.to_dict() if fit.discrepancy else None,
        "warnings": fit.warnings,
    }


def summary_csv_table(fit: Any, prob: float = 0.95) -> pd.DataFrame:
    """The parameter table with its probability and method as columns (for CSV)."""
    table = fit.summary(prob=prob)
    table.insert(0, "prob", prob)
    table.insert(1, "method", fit.method)
    return table
