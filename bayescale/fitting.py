"""The workflow entry points: ``fit`` (MCMC) and ``prior_predictive`` (no data fit).

configure (law, likelihood, priors) → optional prior predictive → fit → query the result.
Nothing samples implicitly, and a fit never changes after it is made.
"""

from __future__ import annotations

import datetime as _dt
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import inference
from ._version import __version__
from .data import Runs, filter_rows, read_table
from .errors import DataError, InferenceWarning, SpecError
from .laws import Law, get_law
from .model import ModelSpec, build_model
from .priors import Prior, read_priors_toml
from .results import ScalingFit, make_datatree


def prepare(
    data: pd.DataFrame | str | Path | Runs,
    law: str | Law,
    *,
    x: str | None = None,
    columns: str | Mapping[str, str] | None = None,
    query: str | None = None,
) -> tuple[Law, Runs]:
    """Resolve the law and validate the runs it needs."""
    from .data import parse_columns

    mapping = parse_columns(columns)
    if isinstance(data, Runs):
        law_obj = get_law(law, available=data.table.columns, x=x)
        return law_obj, data
    source = None
    if isinstance(data, (str, Path)):
        source = str(data)
        data = read_table(data)
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"runs must be a DataFrame, a CSV path or Runs, got {type(data).__name__}")
    if query:
        data = filter_rows(data, query)
    available = [k for k in ("N", "D", "C") if mapping.get(k, k) in data.columns]
    law_obj = get_law(law, available=available, x=x)
    return law_obj, Runs.from_frame(data, law_obj.inputs, columns=mapping, source=source)


def _resolve_priors(priors: Mapping[str, Any] | str | Path | None) -> Mapping[str, Any] | None:
    if isinstance(priors, (str, Path)):
        return read_priors_toml(priors)
    return priors


def check_size(spec: ModelSpec, runs: Runs) -> None:
    free = [p.name for p in spec.sampled()]
    if not free:
        raise SpecError("every parameter is fixed: nothing to fit")
    if runs.n < len(free):
        raise DataError(
            f"only {runs.n} usable runs, fewer than the {len(free)} free parameters of law "
            f"{spec.law.name!r} with likelihood {spec.likelihood.name!r} ({', '.join(free)})"
        )


def configure(
    data: pd.DataFrame | str | Path | Runs,
    law: str | Law = "chinchilla",
    *,
    likelihood: str = "studentt",
    priors: Mapping[str, Prior | Mapping[str, Any] | float] | str | Path | None = None,
    columns: str | Mapping[str, str] | None = None,
    x: str | None = None,
    query: str | None = None,
) -> tuple[ModelSpec, Runs]:
    """Validate the runs and resolve law, likelihood and priors; nothing is sampled."""
    law_obj, runs = prepare(data, law, x=x, columns=columns, query=query)
    return ModelSpec.resolve(law_obj, likelihood, _resolve_priors(priors), runs), runs


def sample_fit(
    spec: ModelSpec,
    runs: Runs,
    *,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    random_seed: int | None = None,
    target_accept: float = 0.9,
    sampler: str = "nutpie",
    progress: bool = False,
) -> ScalingFit:
    """MCMC for a configured model (see :func:`fit`)."""
    check_size(spec, runs)
    settings = inference.SamplerSettings(
        sampler=sampler, draws=draws, tune=tune, chains=chains, random_seed=random_seed,
        target_accept=target_accept, progress=progress,
    ).validated()
    model = build_model(spec, runs)
    dt, seconds = inference.sample(model, spec.free_params, settings)
    meta = {
        "group": "posterior",
        "sampler": settings.to_dict(),
        "sampling_seconds": round(seconds, 3),
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "bayescale_version": __version__,
    }
    result = ScalingFit(make_datatree(runs, "posterior", dt["posterior"].to_dataset(),
                                      dt["sample_stats"].to_dataset()), spec, runs, meta)
    result.meta["warnings"] = result.check()
    for message in result.warnings:
        warnings.warn(message, InferenceWarning, stacklevel=3)
    return result


def fit(
    data: pd.DataFrame | str | Path | Runs,
    law: str | Law = "chinchilla",
    *,
    likelihood: str = "studentt",
    priors: Mapping[str, Prior | Mapping[str, Any] | float] | str | Path | None = None,
    columns: str | Mapping[str, str] | None = None,
    x: str | None = None,
    query: str | None = None,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    random_seed: int | None = None,
    target_accept: float = 0.9,
    sampler: str = "nutpie",
    progress: bool = False,
) -> ScalingFit:
    """Fit a scaling law to training runs with NUTS.

    Parameters
    ----------
    data : DataFrame, CSV path or Runs
        One row per run with columns ``N`` (parameters), ``D`` (tokens) and/or ``C`` (FLOPs)
        and ``loss``; other names via ``columns``.
    law : str
        ``"chinchilla"`` (E + A/N^alpha + B/D^beta) or ``"power"`` (E + A·X^-alpha; pick X
        with ``x="N"|"D"|"C"`` when the data has several). See ``bayescale laws``.
    likelihood : {"studentt", "laplace", "normal"}
        Observation model on log loss (see :mod:`bayescale.likelihoods`).
    priors : mapping or TOML path, optional
        Overrides per parameter, e.g. ``{"alpha": Prior("LogNormal", mu=-1.2, sigma=0.6),
        "nu": 4}``; a number fixes a parameter. Defaults: see the law's docstring.
    columns : "N=params,D=tokens,loss=val_loss" or mapping, optional
    query : str, optional
        pandas query selecting rows, e.g. ``"epoch_outlier == False"``.
    draws, tune, chains, random_seed, target_accept, sampler, progress
        MCMC settings; the same seed gives identical draws.

    Returns
    -------
    ScalingFit
        Warnings about inference quality are issued (``InferenceWarning``) and kept in
        ``fit.warnings``.
    """
    spec, runs = configure(data, law, likelihood=likelihood, priors=priors, columns=columns,
                           x=x, query=query)
    return sample_fit(spec, runs, draws=draws, tune=tune, chains=chains,
                      random_seed=random_seed, target_accept=target_accept, sampler=sampler,
                      progress=progress)


def prior_predictive(
    data: pd.DataFrame | str | Path | Runs,
    law: str | Law = "chinchilla",
    *,
    likelihood: str = "studentt",
    priors: Mapping[str, Prior | Mapping[str, Any] | float] | str | Path | None = None,
    columns: str | Mapping[str, str] | None = None,
    x: str | None = None,
    query: str | None = None,
    draws: int = 2000,
    random_seed: int = 0,
) -> ScalingFit:
    """Draw parameters from the priors (no MCMC, no PyMC; milliseconds).

    The result behaves like a fit whose draws come from the prior: ``predict`` gives the prior
    predictive at any point (check that the band at your target is plausible, roughly
    [0.5·min loss, max loss] per modeling.md §4.2, *before* fitting), ``summary`` the prior
    intervals, and ``bayescale.plot.extrapolation`` the prior bands.
    """
    import xarray as xr

    spec, runs = configure(data, law, likelihood=likelihood, priors=priors, columns=columns,
                           x=x, query=query)
    if not isinstance(draws, (int, np.integer)) or draws < 2:
        raise SpecError(f"draws must be an integer ≥ 2, got {draws!r}")
    rng = np.random.default_rng(random_seed)
    sampled = spec.sample_prior(int(draws), rng)
    prior = xr.Dataset({k: (("chain", "draw"), sampled[k][None, :]) for k in spec.free_params},
                       coords={"chain": [0], "draw": np.arange(draws)})
    dt = make_datatree(runs, "prior", prior)
    meta = {"group": "prior", "sampler": {"random_seed": random_seed, "draws": int(draws)},
            "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            "bayescale_version": __version__}
    return ScalingFit(dt, spec, runs, meta)


__all__ = ["configure", "fit", "prepare", "prior_predictive", "sample_fit"]
