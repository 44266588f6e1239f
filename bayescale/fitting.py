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
from .model import ModelSpec
from .priors import Prior, read_priors_toml
from .results import ScalingFit, make_datatree


def prepare(
    data: pd.DataFrame | str | Path | Runs,
    law: str | Law,
    *,
    x: str | None = None,
    columns: str | Mapping[str, str] | None = None,
    query: str | None = None,
    law_options: Mapping[str, Any] | None = None,
) -> tuple[Law, Runs]:
    """Resolve the law (with ``law_options``, e.g. ``{"chance": 0.25}``) and validate the runs
    it needs."""
    from .data import parse_columns

    mapping = parse_columns(columns)
    options = dict(law_options or {})
    if isinstance(data, Runs):
        law_obj = get_law(law, available=data.table.columns, x=x, **options)
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
    law_obj = get_law(law, available=available, x=x, **options)
    return law_obj, Runs.from_frame(data, law_obj.inputs, response=law_obj.response,
                                    compute_k=law_obj.compute_k, columns=mapping,
                                    source=source, grouped=law_obj.grouped)


def _resolve_priors(priors: Mapping[str, Any] | str | Path | None) -> Mapping[str, Any] | None:
    if isinstance(priors, (str, Path)):
        return read_priors_toml(priors)
    return priors


#: Fewer runs than this are refused. Fewer runs than free parameters are allowed (the priors
#: carry what the runs cannot; the fit warns, and ``shrinkage`` shows which parameters).
MIN_RUNS = 3


def check_size(spec: ModelSpec, runs: Runs) -> None:
    free = [p.name for p in spec.sampled()]
    if not free:
        raise SpecError("every parameter is fixed: nothing to fit")
    if runs.n < MIN_RUNS:
        raise DataError(
            f"only {runs.n} usable runs; a fit needs at least {MIN_RUNS} (law "
            f"{spec.law.name!r} has {len(free)} free parameters: {', '.join(free)})"
        )


def configure(
    data: pd.DataFrame | str | Path | Runs,
    law: str | Law = "chinchilla",
    *,
    likelihood: str | None = None,
    priors: Mapping[str, Prior | Mapping[str, Any] | float] | str | Path | None = None,
    columns: str | Mapping[str, str] | None = None,
    x: str | None = None,
    query: str | None = None,
    law_options: Mapping[str, Any] | None = None,
) -> tuple[ModelSpec, Runs]:
    """Validate the runs and resolve law, likelihood and priors; nothing is sampled."""
    law_obj, runs = prepare(data, law, x=x, columns=columns, query=query,
                            law_options=law_options)
    return ModelSpec.resolve(law_obj, likelihood, _resolve_priors(priors), runs), runs


METHODS = ("mcmc", "map")


def sample_fit(
    spec: ModelSpec,
    runs: Runs,
    *,
    method: str = "mcmc",
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    random_seed: int | None = None,
    target_accept: float = 0.9,
    sampler: str = "nutpie",
    progress: bool = False,
    warn: bool = True,
) -> ScalingFit:
    """Fit a configured model (see :func:`fit`)."""
    check_size(spec, runs)
    if method not in METHODS:
        raise SpecError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    settings = inference.SamplerSettings(
        sampler=sampler, draws=draws, tune=tune, chains=chains, random_seed=random_seed,
        target_accept=target_accept, progress=progress,
    ).validated()
    created = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    if method == "map":
        return _laplace_fit(spec, runs, settings, created, warn)
    dt, timing = inference.sample(spec, runs, settings)
    meta = {
        "group": "posterior",
        "method": "mcmc",
        "sampler": settings.to_dict(),
        "sampling_seconds": round(timing["sampling"], 3),
        "compile_seconds": (None if timing["compile"] is None
                            else round(timing["compile"], 3)),
        "gradient_evaluations": timing["gradients"],
        "created": created,
        "bayescale_version": __version__,
    }
    result = ScalingFit(make_datatree(runs, "posterior", dt["posterior"].to_dataset(),
                                      dt["sample_stats"].to_dataset()), spec, runs, meta)
    return _finish(result, warn)


def _laplace_fit(spec: ModelSpec, runs: Runs, settings: inference.SamplerSettings,
                 created: str, warn: bool) -> ScalingFit:
    import time

    import xarray as xr

    from .laplace import fit_laplace

    start = time.perf_counter()
    n = settings.draws * settings.chains
    draws, info = fit_laplace(spec, runs, draws=n, random_seed=settings.random_seed)
    variables = {k: (("chain", "draw"), v[None, :]) for k, v in draws.items()
                 if k != "run_effect"}
    coords: dict[str, Any] = {"chain": [0], "draw": np.arange(n)}
    if "run_effect" in draws:
        variables["run_effect"] = (("chain", "draw", "group"), draws["run_effect"][None])
        coords["group"] = runs.groups[1]
    post = xr.Dataset(variables, coords=coords)
    meta = {
        "group": "posterior",
        "method": "laplace",
        "sampler": {"sampler": "laplace", "draws": n, "random_seed": settings.random_seed},
        "map": info["map"],
        "optimizer_converged": info["optimizer_converged"],
        "hessian_ok": info["hessian_ok"],
        "sampling_seconds": round(time.perf_counter() - start, 3),
        "created": created,
        "bayescale_version": __version__,
    }
    result = ScalingFit(make_datatree(runs, "posterior", post), spec, runs, meta)
    result.meta["approximation_messages"] = info["messages"]
    return _finish(result, warn)


def _finish(result: ScalingFit, warn: bool) -> ScalingFit:
    result.meta["warnings"] = result.check()
    if warn:
        for message in result.warnings:
            warnings.warn(message, InferenceWarning, stacklevel=4)
    return result


def fit(
    data: pd.DataFrame | str | Path | Runs,
    law: str | Law = "chinchilla",
    *,
    likelihood: str | None = None,
    priors: Mapping[str, Prior | Mapping[str, Any] | float] | str | Path | None = None,
    columns: str | Mapping[str, str] | None = None,
    x: str | None = None,
    query: str | None = None,
    law_options: Mapping[str, Any] | None = None,
    method: str = "mcmc",
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    random_seed: int | None = None,
    target_accept: float = 0.9,
    sampler: str = "nutpie",
    progress: bool = False,
    discrepancy: str | float | None = None,
) -> ScalingFit:
    """Fit a scaling law to training runs with NUTS (or, approximately, MAP + Laplace).

    Parameters
    ----------
    data : DataFrame, CSV path or Runs
        One row per run with columns ``N`` (parameters), ``D`` (tokens) and/or ``C`` (FLOPs)
        and ``loss``; other names via ``columns``.
    law : str
        ``"chinchilla"`` (E + A/N^alpha + B/D^beta) or ``"power"`` (E + A·X^-alpha; pick X
        with ``x="N"|"D"|"C"`` when the data has several). See ``bayescale laws``.
    likelihood : {"studentt", "laplace", "normal"} for losses, {"beta", "logitnormal"} for
        accuracies; default studentt / beta (see :mod:`bayescale.likelihoods`).
    priors : mapping or TOML path, optional
        Overrides per parameter, e.g. ``{"alpha": Prior("LogNormal", mu=-1.2, sigma=0.6),
        "nu": 4}``; a number fixes a parameter. Defaults: see the law's docstring.
    columns : "N=params,D=tokens,loss=val_loss" or mapping, optional
    query : str, optional
        pandas query selecting rows, e.g. ``"epoch_outlier == False"``.
    law_options : mapping, optional
        Options of the law, e.g. ``{"chance": 0.25}`` (accuracy laws), ``{"breaks": 2}``
        (bnsl), ``{"k": 6}`` (compute), ``{"expression": "..."}`` (custom); or pass a law
        object from :func:`bayescale.get_law`.
    method : {"mcmc", "map"}
        ``"map"``: the posterior mode and a Laplace approximation around it, computed in
        numpy in well under a second with no compile; approximate (see
        :mod:`bayescale.laplace`), labelled so in the fit. ``draws × chains`` draws.
    draws, tune, chains, random_seed, target_accept, sampler, progress
        MCMC settings; the same seed gives identical draws.
    discrepancy : {None, "auto"} or float
        A model-discrepancy term for extrapolation (:mod:`bayescale.discrepancy`): ``"auto"``
        learns its size from the runs by leave-future-out (a few MAP refits, about a second);
        a number fixes it; None (default) leaves predictions as the law alone gives them.

    Returns
    -------
    ScalingFit
        Warnings about inference quality are issued (``InferenceWarning``) and kept in
        ``fit.warnings``.
    """
    spec, runs = configure(data, law, likelihood=likelihood, priors=priors, columns=columns,
                           x=x, query=query, law_options=law_options)
    if discrepancy is not None:
        from .discrepancy import resolve

        resolve(discrepancy if not isinstance(discrepancy, str) or discrepancy.lower()
                != "auto" else 0.0, runs.table, spec.law)  # validate before sampling
    result = sample_fit(spec, runs, method=method, draws=draws, tune=tune, chains=chains,
                        random_seed=random_seed, target_accept=target_accept, sampler=sampler,
                        progress=progress)
    return result.with_discrepancy(discrepancy) if discrepancy is not None else result


def prior_predictive(
    data: pd.DataFrame | str | Path | Runs,
    law: str | Law = "chinchilla",
    *,
    likelihood: str | None = None,
    priors: Mapping[str, Prior | Mapping[str, Any] | float] | str | Path | None = None,
    columns: str | Mapping[str, str] | None = None,
    x: str | None = None,
    query: str | None = None,
    law_options: Mapping[str, Any] | None = None,
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
                           x=x, query=query, law_options=law_options)
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


def fit_many(
    data: pd.DataFrame | str | Path | Mapping[Any, pd.DataFrame],
    law: str | Law = "chinchilla",
    *,
    by: str | list[str] | None = None,
    likelihood: str | None = None,
    priors: Mapping[str, Prior | Mapping[str, Any] | float] | str | Path | None = None,
    columns: str | Mapping[str, str] | None = None,
    x: str | None = None,
    query: str | None = None,
    law_options: Mapping[str, Any] | None = None,
    method: str = "mcmc",
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    random_seed: int | None = None,
    target_accept: float = 0.9,
    sampler: str = "nutpie",
    executor: Any = None,
    progress: bool = True,
) -> dict[Any, ScalingFit]:
    """Fit one law to many groups (tasks, datasets, seeds), compiling once.

    Parameters
    ----------
    data : DataFrame with a ``by`` column (or columns), a CSV path, or a mapping of group
        name → DataFrame.
    by : the grouping column(s) of ``data``.
    random_seed : one seed for the whole call; each group gets its own seed derived from it
        (recorded in its fit) from the seed and the group's name, so results depend neither
        on the order of the groups nor on the number of workers.
    executor : optional ``concurrent.futures.Executor`` (a process pool, or a Dask or Ray
        executor) to spread groups over workers; each worker process compiles once per model
        structure. Without one, groups run one after another in this process (chains already
        use the cores).
    progress : show a progress bar.

    Returns
    -------
    dict
        Group name → ScalingFit, in the order of the groups. Every group is validated before
        any sampling; an unusable group raises a :class:`DataError` naming it. Inference
        warnings are kept per fit and summarised in one :class:`InferenceWarning`.
    """
    groups = split_groups(data, by, query)
    if not groups:
        raise DataError("fit_many: no groups to fit")
    tasks = []
    for name, frame in groups.items():
        try:
            spec, runs = configure(frame, law, likelihood=likelihood, priors=priors,
                                   columns=columns, x=x, law_options=law_options)
            check_size(spec, runs)
        except (DataError, SpecError) as exc:
            raise type(exc)(f"group {name!r}: {exc}") from None
        tasks.append((name, spec, runs))
    base = inference.SamplerSettings(
        sampler=sampler, draws=draws, tune=tune, chains=chains, random_seed=random_seed,
        target_accept=target_accept).validated()
    # each group's seed depends on the call's seed and the group's name only, not on its
    # position: adding, removing or reordering groups leaves the others' draws unchanged
    seeds = [_group_seed(base.random_seed, name) for name, _, _ in tasks]
    settings = {"draws": base.draws, "tune": base.tune, "chains": base.chains,
                "target_accept": base.target_accept, "sampler": base.sampler,
                "method": method}
    results: dict[Any, ScalingFit] = {}
    with _progress(progress, len(tasks)) as advance:
        if executor is None:
            for (name, spec, runs), seed in zip(tasks, seeds, strict=True):
                try:
                    results[name] = sample_fit(spec, runs, random_seed=seed, warn=False,
                                               **settings)
                except Exception as exc:
                    exc.add_note(f"while fitting group {name!r}")
                    raise
                advance()
        else:
            futures = {executor.submit(_fit_task, spec.to_dict(), runs, seed, settings):
                       name for (name, spec, runs), seed in zip(tasks, seeds, strict=True)}
            from concurrent.futures import as_completed

            try:
                for future in as_completed(futures):
                    try:
                        results[futures[future]] = future.result()
                    except Exception as exc:
                        exc.add_note(f"while fitting group {futures[future]!r}")
                        raise
                    advance()
            finally:
                for future in futures:
                    future.cancel()
            results = {name: results[name] for name, _, _ in tasks}
    troubled = [name for name, f in results.items() if f.warnings]
    if troubled:
        shown = ", ".join(repr(t) for t in troubled[:5])
        more = f" and {len(troubled) - 5} more" if len(troubled) > 5 else ""
        warnings.warn(f"{len(troubled)} of {len(results)} groups have inference warnings "
                      f"({shown}{more}); see fit.warnings of each", InferenceWarning,
                      stacklevel=2)
    return results


def _group_seed(seed: int, name: Any) -> int:
    import zlib

    tag = zlib.crc32(repr(name).encode("utf-8"))
    return int(np.random.SeedSequence([seed, tag]).generate_state(1)[0])


def _fit_task(spec: Mapping[str, Any], runs: Runs, seed: int,
              settings: Mapping[str, Any]) -> ScalingFit:
    """One group in a worker (plain data in: picklable for process, Dask or Ray executors)."""
    return sample_fit(ModelSpec.from_dict(spec), runs, random_seed=seed, warn=False,
                      **settings)


def split_groups(data: Any, by: str | list[str] | None,
                  query: str | None) -> dict[Any, pd.DataFrame]:
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
        raise DataError(f"--by: column {missing[0]!r} not found; columns present: "
                        f"{', '.join(map(str, data.columns))}")
    if query:
        data = filter_rows(data, query)
    for key in keys:
        empty = data[key].isna().to_numpy()
        if empty.any():
            rows = ", ".join(str(i + 1) for i in np.flatnonzero(empty)[:3])
            raise DataError(f"--by: column {key!r} is empty in row(s) {rows}; every run needs "
                            "a group")
    return {name if len(keys) > 1 else name[0]: frame.reset_index(drop=True)
            for name, frame in data.groupby(keys, sort=False)}


class _progress:
    """A rich progress bar on stderr (terminal or notebook), or nothing."""

    def __init__(self, enabled: bool, total: int) -> None:
        self.enabled, self.total = enabled, total
        self.bar: Any = None

    def __enter__(self) -> Any:
        if not self.enabled:
            return lambda: None
        from rich.console import Console
        from rich.progress import Progress

        self.bar = Progress(console=Console(stderr=True), transient=True)
        self.bar.start()
        task = self.bar.add_task("fitting groups", total=self.total)
        return lambda: self.bar.advance(task)

    def __exit__(self, *exc: Any) -> None:
        if self.bar is not None:
            self.bar.stop()


__all__ = ["configure", "fit", "fit_many", "prepare", "prior_predictive", "sample_fit"]
