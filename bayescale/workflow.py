"""The public workflow: ``fit``, ``prior_predictive``, ``fit_many``, ``configure``.

configure (:class:`~bayescale.model.config.ModelConfig`) → optional prior predictive → fit
(:mod:`bayescale.inference`) → optionally learn the model discrepancy
(:mod:`bayescale.evaluation.discrepancy`) → query the result. Every option is validated before
anything is sampled. Nothing samples implicitly, and a fit never changes after it is made.
Python and the CLI call these same functions.

Layer: ``workflow``; imports every layer below it, nothing above.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .data.runs import Runs, split_groups
from .errors import INTERRUPTED, DataError, InferenceWarning, SpecError
from .evaluation.discrepancy import learn_discrepancy
from .inference.run import model_options, prior_fit, sample_fit
from .inference.samplers import SamplerSettings, check_memory
from .laws import Law
from .model.config import MIN_RUNS, ModelConfig, check_size
from .model.spec import ModelSpec
from .priors import Prior
from .results.discrepancy import parse_setting
from .results.fit import ScalingFit

PriorsArg = Mapping[str, Prior | Mapping[str, Any] | float] | str | Path | None
DataArg = pd.DataFrame | str | Path | Runs


def configure(data: DataArg, law: str | Law | None = None, *,
              config: ModelConfig | None = None, **options: Any) -> tuple[ModelSpec, Runs]:
    """Validate the runs and resolve law, likelihood and priors; nothing is sampled.

    ``config`` or the keywords ``likelihood``, ``priors``, ``columns``, ``x``, ``query``,
    ``law_options`` (see :class:`~bayescale.model.config.ModelConfig`)."""
    config, _ = model_options(law, config, None, options)
    return config.configure(data)


def prepare(data: DataArg, law: str | Law | None = None, *, config: ModelConfig | None = None,
            **options: Any) -> tuple[Law, Runs]:
    """Resolve the law and validate the runs it needs (no priors)."""
    config, _ = model_options(law, config, None, options)
    return config.prepare(data)


def plan_fit(data: DataArg, law: str | Law | None = None, *, config: ModelConfig | None = None,
             settings: SamplerSettings | None = None, discrepancy: Any = "default",
             **options: Any) -> tuple[ModelConfig, SamplerSettings, ModelSpec, Runs, Any]:
    """Everything :func:`fit` checks before sampling: (config, validated settings, spec, runs,
    discrepancy setting). Raises the first problem found; samples nothing."""
    config, settings = model_options(law, config, settings, options)
    setting = parse_setting(discrepancy)
    settings = settings.validated()
    spec, runs = config.configure(data)
    check_size(spec, runs)
    check_memory(settings, spec, runs)
    return config, settings, spec, runs, setting


def fit(
    data: DataArg,
    law: str | Law | None = None,
    *,
    config: ModelConfig | None = None,
    settings: SamplerSettings | None = None,
    discrepancy: str | float | None = "default",
    **options: Any,
) -> ScalingFit:
    """Fit a scaling law to training runs with NUTS (or, approximately, MAP + Laplace).

    Parameters
    ----------
    data : DataFrame, CSV path or Runs
        One row per run with columns ``N`` (parameters), ``D`` (tokens) and/or ``C`` (FLOPs)
        and ``loss``; other names via ``columns``.
    law : str, optional
        A law name (``bayescale laws``), e.g. ``"chinchilla"`` (E + A/N^alpha + B/D^beta) or
        ``"power"`` (E + A·X^-alpha; pick X with ``x="N"|"D"|"C"`` when the data has several).
        None (default): chosen from the columns (:func:`bayescale.laws.infer_law`: chinchilla
        for N and D, power for one input, sigmoid for an accuracy column).
    config : ModelConfig, optional
        The model choices as one object; the keywords below override its fields.
    settings : SamplerSettings, optional
        The sampler settings as one object; the keywords below override its fields.
    discrepancy : {"default", "auto", None} or float
        A model-discrepancy term for extrapolation (:mod:`bayescale.results.discrepancy`):
        ``"auto"`` integrates over δ's posterior — its prior learned across public studies
        times the leave-future-out evidence of the runs (a few MAP refits;
        :mod:`bayescale.evaluation.discrepancy`); a number fixes δ; None leaves predictions as
        the law alone gives them. ``"default"``: ``"auto"`` for losses of run ladders, None
        for accuracies and learning curves (its prior was learned on final losses).
    **options
        Model keywords: ``likelihood`` ({"studentt", "laplace", "normal"} for losses,
        {"beta", "logitnormal"} for accuracies), ``priors`` (mapping or TOML path; a number
        fixes a parameter), ``columns`` (``"N=params,D=tokens,loss=val_loss"`` or mapping),
        ``x``, ``query`` (a row filter, e.g. ``"epoch_outlier == False"``), ``law_options``
        (e.g. ``{"chance": 0.25}``, ``{"breaks": 2}``, ``{"k": 6}``, ``{"expression": ...}``).
        Sampler keywords: ``method`` (``"mcmc"``, or ``"map"``: the posterior mode and a
        Laplace approximation in numpy, no compile, approximate and labelled so), ``draws``,
        ``tune``, ``chains``, ``random_seed`` (the same seed gives identical draws),
        ``target_accept``, ``sampler`` and ``progress``.

    Returns
    -------
    ScalingFit
        Warnings about inference quality are issued (``InferenceWarning``) and kept in
        ``fit.warnings``.
    """
    config, settings, spec, runs, setting = plan_fit(
        data, law, config=config, settings=settings, discrepancy=discrepancy, **options)
    result = sample_fit(spec, runs, settings, config=config)
    return apply_discrepancy(result, setting)


def apply_discrepancy(result: ScalingFit, setting: str | float | None) -> ScalingFit:
    """``result`` with the discrepancy ``setting`` (parsed by
    :func:`~bayescale.results.discrepancy.parse_setting`): None leaves it, a number sets δ,
    ``"auto"`` learns δ by :func:`~bayescale.evaluation.discrepancy.learn_discrepancy` (MAP
    refits under the config the fit recorded, seeded with its seed)."""
    if setting == "default":  # δ's prior was learned on the final losses of run ladders
        setting = ("auto" if result.law.response == "loss" and not result.spec.n_groups
                   else None)
    if setting is None:
        return result
    if setting == "auto":
        return learn_discrepancy(result)
    return result.with_discrepancy(setting)


def prior_predictive(data: DataArg, law: str | Law | None = None, *,
                     config: ModelConfig | None = None, draws: int = 2000,
                     random_seed: int = 0, **options: Any) -> ScalingFit:
    """Draw parameters from the priors (no MCMC, no PyMC; milliseconds).

    The result behaves like a fit whose draws come from the prior: ``predict`` gives the prior
    predictive at any point (check that the band at your target is plausible, roughly
    [0.5·min loss, max loss] per modeling.md §4.2, *before* fitting), ``summary`` the prior
    intervals, and ``bayescale.plot.extrapolation`` the prior bands. Model keywords as in
    :func:`fit`.
    """
    config, _ = model_options(law, config, None, options)
    spec, runs = config.configure(data)
    return prior_fit(spec, runs, draws=draws, random_seed=random_seed, config=config)


def fit_many(
    data: pd.DataFrame | str | Path | Mapping[Any, pd.DataFrame],
    law: str | Law | None = None,
    *,
    by: str | list[str] | None = None,
    config: ModelConfig | None = None,
    settings: SamplerSettings | None = None,
    executor: Any = None,
    progress: bool = True,
    **options: Any,
) -> dict[Any, ScalingFit]:
    """Fit one law to many groups (tasks, datasets, seeds), compiling once.

    Parameters
    ----------
    data : DataFrame with a ``by`` column (or columns), a CSV path, or a mapping of group
        name → DataFrame.
    by : the grouping column(s) of ``data``.
    config, settings, **options : as in :func:`fit`. ``random_seed`` is one seed for the whole
        call; each group gets its own seed derived from it (recorded in its fit) from the seed
        and the group's name, so results depend neither on the order of the groups nor on the
        number of workers.
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
    config, base = model_options(law, config, settings, options)
    base = base.validated()
    groups = split_groups(data, by, config.query)
    if not groups:
        raise DataError("fit_many: no groups to fit")
    config = config.replace(query=None)
    tasks = []
    for name, frame in groups.items():
        try:
            spec, runs = config.configure(frame)
            check_size(spec, runs)
        except (DataError, SpecError) as exc:
            raise type(exc)(f"group {name!r}: {exc}") from None
        tasks.append((name, spec, runs))
    # each group's seed depends on the call's seed and the group's name only, not on its
    # position: adding, removing or reordering groups leaves the others' draws unchanged
    seeds = [_group_seed(base.random_seed, name) for name, _, _ in tasks]
    results: dict[Any, ScalingFit] = {}
    with _progress(progress, len(tasks)) as advance:
        if executor is None:
            for (name, spec, runs), seed in zip(tasks, seeds, strict=True):
                try:
                    results[name] = sample_fit(spec, runs, _with_seed(base, seed),
                                               config=config, warn=False)
                except Exception as exc:
                    exc.add_note(f"while fitting group {name!r}")
                    raise
                advance()
        else:
            from concurrent.futures import FIRST_COMPLETED, wait

            futures = {executor.submit(_fit_task, spec.to_dict(), runs,
                                       _with_seed(base, seed), config.to_dict()): name
                       for (name, spec, runs), seed in zip(tasks, seeds, strict=True)}
            pending = set(futures)
            try:
                while pending:
                    # polled: an interrupt Python swallowed (errors.INTERRUPTED) still stops
                    done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                    if INTERRUPTED.is_set():
                        raise KeyboardInterrupt
                    for future in done:
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


def _with_seed(settings: SamplerSettings, seed: int) -> SamplerSettings:
    import dataclasses

    return dataclasses.replace(settings, random_seed=seed, progress=False)


def _group_seed(seed: int, name: Any) -> int:
    import zlib

    tag = zlib.crc32(repr(name).encode("utf-8"))
    return int(np.random.SeedSequence([seed, tag]).generate_state(1)[0])


def _fit_task(spec: Mapping[str, Any], runs: Runs, settings: SamplerSettings,
              config: Mapping[str, Any]) -> ScalingFit:
    """One group in a worker (plain data in: picklable for process, Dask or Ray executors)."""
    return sample_fit(ModelSpec.from_dict(spec), runs, settings,
                      config=ModelConfig.from_dict(config), warn=False)


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




__all__ = [
    "MIN_RUNS",
    "ModelConfig",
    "SamplerSettings",
    "apply_discrepancy",
    "configure",
    "fit",
    "fit_many",
    "plan_fit",
    "prepare",
    "prior_predictive",
    "sample_fit",
    "split_groups",
]
