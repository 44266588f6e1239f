"""Learning priors from past studies: fit each study, pool what transfers.

Each study's runs are fitted on their own (weak priors, MCMC); the quantities that transfer
between studies are read off each posterior on the scale they pool on — the exponents on the
log scale, the floor E on its own (the loss's units), the noise scale of the likelihood on the
log scale — and a normal–normal hierarchical model over the studies
(:func:`bayescale.priors.population.pool`) gives each quantity's predictive distribution for a
new study: the learned prior. Amplitudes do not transfer (they depend on where each study's runs
sit) and keep their data-scaled priors.

``bayescale priors learn STUDIES.csv --by study -o priors.toml`` is :func:`study_estimates` +
:func:`learn_priors` + :func:`priors_toml`; ``benchmarks/learn_priors.py`` uses the same
functions to regenerate the shipped field priors.

Layer: ``evaluation`` (refits).
"""

from __future__ import annotations

import datetime
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._version import __version__
from ..errors import DataError, SpecError, shown, shown_names
from ..inference.run import sample_fit
from ..inference.samplers import SamplerSettings
from ..model.config import ModelConfig
from ..priors import Prior
from ..priors.population import pool

#: Fewest studies a prior is learned from.
MIN_STUDIES = 2
#: Scale of the HalfNormal prior on the between-study sd τ: on the log scale, a factor e^0.5
#: between studies is typical; on a natural scale, half the magnitude of the estimates.
TAU_SCALE_LOG = 0.5
TAU_SCALE_NATURAL = 0.5
#: Columns of an estimates table.
ESTIMATE_COLUMNS = ("study", "quantity", "scale", "mean", "sd", "n_runs", "loss_min",
                    "loss_max", "source")

Derived = Mapping[str, Callable[[Mapping[str, np.ndarray]], np.ndarray]]


def quantities(spec: Any) -> dict[str, str]:
    """The quantities of a resolved spec that transfer between studies, with the scale they
    pool on: exponents (log), the floor (natural), the likelihood's noise scale (log)."""
    out: dict[str, str] = {}
    for p in spec.sampled():
        if p.kind == "exponent":
            out[p.name] = "log"
        elif p.kind == "floor":
            out[p.name] = "natural"
        elif p.name == "sigma":
            out[p.name] = "log"
    return out


def _row(study: str, name: str, scale: str, values: np.ndarray, table: pd.DataFrame,
         response: str, source: str) -> dict[str, Any]:
    v = np.asarray(values, dtype=float)
    v = np.log(v) if scale == "log" else v
    y = table[response].to_numpy(dtype=float)
    return {"study": study, "quantity": name, "scale": scale, "mean": float(np.mean(v)),
            "sd": float(np.std(v)), "n_runs": len(table), "loss_min": float(y.min()),
            "loss_max": float(y.max()), "source": source}


def study_models(data: pd.DataFrame, by: str, config: ModelConfig | None = None
                 ) -> list[tuple[str, Any, Any]]:
    """Every study of ``data`` (the rows sharing a value of ``by``) checked and resolved under
    ``config`` (weak priors) before any is fitted: ``(study, spec, runs)``. The first
    unusable study is an error naming it."""
    config = (config or ModelConfig()).replace(base="weak")
    if by not in data:
        raise DataError(f"by={by!r}: no such column (columns: "
                        f"{shown_names(map(str, data.columns))})")
    out = []
    for study, table in data.groupby(by, sort=True):
        table = table.drop(columns=[by]).reset_index(drop=True)
        try:
            spec, runs = config.configure(table)
        except (DataError, SpecError) as exc:
            raise type(exc)(f"study {shown(study)}: {exc}") from None
        out.append((str(study), spec, runs))
    return out


def study_estimates(data: pd.DataFrame, by: str, config: ModelConfig | None = None, *,
                    settings: SamplerSettings | None = None, derived: Derived | None = None,
                    sources: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Fit each study (the rows sharing a value of column ``by``) on its own under ``config``
    (default: chinchilla, weak priors) and tabulate the transferable quantities (mean and sd
    of each on its pooling scale, see :func:`quantities`). ``derived`` adds quantities computed
    per draw (name → function of the draws, pooled on the log scale). ``sources`` maps a study
    to its source (the unit held out together); default, the study itself."""
    config = (config or ModelConfig()).replace(base="weak")
    rows: list[dict[str, Any]] = []
    for study, spec, runs in study_models(data, by, config):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = sample_fit(spec, runs, settings or SamplerSettings(), warn=False)
        draws = fit.draws()
        source = (sources or {}).get(study, study)
        for name, scale in quantities(spec).items():
            rows.append(_row(study, name, scale, draws[name], runs.table, spec.law.response,
                             source))
        for name, fn in (derived or {}).items():
            rows.append(_row(study, name, "log", fn(draws), runs.table, spec.law.response,
                             source))
    return pd.DataFrame(rows, columns=list(ESTIMATE_COLUMNS))


def learn_priors(estimates: pd.DataFrame, *, exclude: Sequence[str] = ()
                 ) -> tuple[dict[str, Prior], pd.DataFrame]:
    """The learned prior of each quantity in ``estimates`` (rows of :func:`study_estimates`,
    possibly with published fits added; ``sd`` is a standard error) and a table of how it was
    pooled. Studies whose ``source`` is in ``exclude`` are left out (leave-one-study-out)."""
    table = estimates[~estimates["source"].isin(list(exclude))]
    priors: dict[str, Prior] = {}
    rows = []
    for name, group in table.groupby("quantity", sort=False):
        group = group.dropna(subset=["mean", "sd"])
        if group["study"].nunique() < MIN_STUDIES:
            continue
        scale = str(group["scale"].iloc[0])
        y, se = group["mean"].to_numpy(dtype=float), group["sd"].to_numpy(dtype=float)
        tau_scale = (TAU_SCALE_LOG if scale == "log"
                     else max(TAU_SCALE_NATURAL * float(np.mean(np.abs(y))), 1e-6))
        p = pool(y, se, tau_scale=tau_scale)
        if scale == "log":
            priors[str(name)] = Prior("LogNormal", mu=p.mean, sigma=p.sd)
        else:
            priors[str(name)] = Prior("TruncatedNormal", mu=p.mean, sigma=p.sd, lower=0.0)
        rows.append({"quantity": name, "scale": scale, "studies": len(group),
                     "mean": p.mean, "sd": p.sd, "tau": p.tau,
                     "median": math.exp(p.mean) if scale == "log" else p.mean})
    return priors, pd.DataFrame(rows)


def _toml_value(value: Any) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, float) and not math.isfinite(value):
        return "inf" if value > 0 else "-inf"
    return repr(float(value)) if isinstance(value, float) else str(value)


def priors_toml(priors: Mapping[str, Prior], estimates: pd.DataFrame, pooled: pd.DataFrame, *,
                laws: Sequence[str], provenance: Mapping[str, Any] | None = None,
                extra: Mapping[str, Prior] | None = None) -> str:
    """A priors file: ``[priors]`` (usable as ``priors=`` of a fit), ``[applies]`` (the laws
    and the largest loss of the studies: higher losses are not taken for the same units),
    ``[provenance]`` and the per-study evidence."""
    loss_max = float(estimates["loss_max"].max())
    meta = {"version": __version__, "generated": datetime.date.today().isoformat(),
            "model": "normal-normal hierarchical model per quantity, tau ~ HalfNormal; the "
                     "predictive for a new study, moment-matched",
            "studies": sorted(estimates["study"].unique().tolist()),
            **dict(provenance or {})}
    lines = ["# Priors learned from past scaling studies (bayescale).",
             "# Use it as the priors of a fit (the [priors] table is read).", "",
             "[provenance]"]
    lines += [f"{k} = {_toml_value(v)}" for k, v in meta.items()]
    lines += ["", "[applies]", f"laws = {_toml_value(list(laws))}",
              f"loss_max = {loss_max!r}", "", "[priors]"]
    for name, prior in {**priors, **dict(extra or {})}.items():
        body = ", ".join(f"{k} = {_toml_value(v)}" for k, v in prior.to_dict()["kwargs"].items())
        lines.append(f'{name} = {{ dist = "{prior.dist}", {body} }}')
    lines += ["", "# How each prior was pooled (mean/sd on its scale; tau: between-study sd)"]
    for row in pooled.to_dict("records"):
        lines.append(f"# {row['quantity']:<6} {row['scale']:<8} {row['studies']} studies: "
                     f"mean {row['mean']:.4g}, sd {row['sd']:.4g}, tau {row['tau']:.3g}")
    lines += ["", "# Per-study estimates (mean ± sd on the pooling scale)"]
    for row in estimates.to_dict("records"):
        lines.append(f"# {row['study']:<28} {row['quantity']:<6} {row['mean']:+.4f} ± "
                     f"{row['sd']:.4f}  ({row['n_runs']} runs, lowest loss "
                     f"{row['loss_min']:.3f})")
    return "\n".join(lines) + "\n"
