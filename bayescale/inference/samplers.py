"""The one place that knows samplers.

``sample(spec, runs, settings)`` runs MCMC and returns an ``xarray.DataTree`` with a ``posterior``
group (the public parameters that vary) and a numeric ``sample_stats`` group (``diverging``,
``n_steps``, ``depth``, ``maxdepth_reached``, ``step_size``, ...), plus timings. Back-ends:

* ``nutpie`` (default): nutpie's NUTS on the numba back-end with a low-rank mass matrix. The
  compiled model is kept per model *structure* (law, likelihood, prior families, coordinates;
  :meth:`~bayescale.model.coordinates.Sampling.structure`) for the life of the process, and on
  disk for later processes (:mod:`~bayescale.inference.cache`); a new dataset or new prior
  values are swapped in with ``with_data`` and sample without compiling again (0.5 s instead
  of ~10 s on 240 runs).
* ``pymc``: PyMC's own NUTS (``pm.sample(nuts_sampler="pymc")``), ~10x slower, kept as a
  cross-check.
* ``numpyro``: NumPyro's NUTS through PyMC on JAX (``pip install 'bayescale[jax]'``).

Gradient evaluations are counted over the whole run, tuning included (``nutpie`` and
``pymc``); the warm-up draws themselves are not kept.

Same seed, same settings, same data → identical draws.

Sizes are bounded before anything is allocated: :meth:`SamplerSettings.validated` refuses
seeds outside ``[0, 2**32 - 1]`` (what NumPy's legacy seeding, PyMC, NumPyro and nutpie all
accept), more than :data:`MAX_CHAINS` chains, :data:`MAX_DRAWS` draws or :data:`MAX_TUNE`
tuning steps, and settings whose draws alone would exceed :data:`MEMORY_LIMIT`;
:func:`check_memory` repeats the estimate with a model's stored variables and runs.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from ..errors import INTERRUPTED, SpecError, shown

SAMPLERS = ("nutpie", "pymc", "numpyro")
#: ``mcmc``: NUTS; ``map``: the posterior mode and a Laplace approximation (approximate).
METHODS = ("mcmc", "map")

_KEEP_STATS = ("diverging", "n_steps", "depth", "tree_depth", "maxdepth_reached",
               "reached_max_treedepth", "step_size", "energy", "lp", "mean_tree_accept",
               "acceptance_rate")

#: Compiled nutpie models by model structure (least recently used dropped beyond the limit).
_COMPILED: OrderedDict[tuple, Any] = OrderedDict()
_COMPILED_LIMIT = 16
_COMPILED_LOCK = threading.Lock()  # thread executors must not compile one structure twice

#: Largest seed: NumPy's legacy seeding (which PyMC hands seeds to) takes 32-bit seeds.
MAX_SEED = 2**32 - 1
#: Hard caps, whatever the memory: more is never needed and only ends in a crash.
MAX_CHAINS = 64
MAX_DRAWS = 10_000_000
MAX_TUNE = 10_000_000
#: Refuse settings whose draws would hold more than this many bytes (4 GiB).
MEMORY_LIMIT = 4 * 2**30
#: Bytes per stored value (float64).
_BYTES = 8
#: Sample statistics kept per draw (:data:`_KEEP_STATS` that a back-end reports, at most ~8).
_STATS_PER_DRAW = 8


#: The target acceptance of the automatic second pass (``SamplerSettings.retry``).
RETRY_TARGET_ACCEPT = 0.99


@dataclass(frozen=True)
class SamplerSettings:
    """How to sample. ``random_seed=None`` draws a seed, which is recorded with the fit."""

    sampler: str = "nutpie"
    draws: int = 1000
    tune: int = 1000
    chains: int = 4
    target_accept: float = 0.9
    random_seed: int | None = None
    progress: bool = False
    method: str = "mcmc"
    #: MCMC: sample once more with target_accept :data:`RETRY_TARGET_ACCEPT` (same seed,
    #: compiled model reused) when the first pass diverges or has R-hat above 1.01
    retry: bool = True

    def validated(self) -> SamplerSettings:
        """These settings checked, with a seed drawn when none was given. Refuses unknown
        names, counts out of range, a seed outside ``[0, MAX_SEED]``, and draws whose memory
        (:func:`memory_estimate` with one stored value per draw) exceeds
        :data:`MEMORY_LIMIT`; :func:`check_memory` adds the model's own variables."""
        if self.method not in METHODS:
            raise SpecError(f"unknown method {shown(self.method)}; choose one of "
                            f"{', '.join(METHODS)}")
        if self.sampler not in SAMPLERS:
            raise SpecError(f"unknown sampler {shown(self.sampler)}; choose one of "
                            f"{', '.join(SAMPLERS)}")
        for name, least, most in (("draws", 1, MAX_DRAWS), ("chains", 1, MAX_CHAINS),
                                  ("tune", 0, MAX_TUNE)):
            value = getattr(self, name)
            if (isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer))
                    or not least <= value <= most):
                kind = "a positive" if least else "a non-negative"
                raise SpecError(f"{name} must be {kind} integer no larger than {most}; got "
                                f"{name}={shown(value)}")
        target = self.target_accept
        if (isinstance(target, (bool, np.bool_))
                or not isinstance(target, (int, float, np.integer, np.floating))
                or not 0 < target < 1):
            raise SpecError(f"target_accept must be in (0, 1); got "
                            f"target_accept={shown(target)}")
        seed = self.random_seed
        if seed is None:
            seed = int(np.random.default_rng().integers(0, 2**31 - 1))
        elif (isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer))
              or not 0 <= seed <= MAX_SEED):
            raise SpecError(f"the seed must be an integer from 0 to {MAX_SEED} (2**32 - 1); got "
                            f"random_seed={shown(seed)}")
        out = replace(self, random_seed=int(seed), draws=int(self.draws),
                      tune=int(self.tune), chains=int(self.chains),
                      target_accept=float(target))
        _refuse_above_limit(out, 1, "")
        return out

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("progress")
        out.pop("method")  # stored beside the settings, as the fit's method
        return out


def memory_estimate(settings: SamplerSettings, values: int, per_run: int = 0) -> int:
    """Bytes the draws of ``settings`` hold: ``chains × draws × (values + per_run) × 8``, plus
    ``chains × tune × values × 8`` for MCMC (nutpie keeps the warm-up draws while it
    samples). ``values``: numbers stored per draw (free parameters, run effects, sample
    statistics); ``per_run``: numbers computed per draw for every run after the fit (the
    location the residual check evaluates). Counts only; nothing is allocated."""
    chains, draws, tune = int(settings.chains), int(settings.draws), int(settings.tune)
    kept = draws + (tune if settings.method == "mcmc" else 0)
    return _BYTES * chains * (kept * int(values) + draws * int(per_run))


def stored_values(spec: Any, runs: Any = None) -> tuple[int, int]:
    """(numbers stored per draw, runs) for ``spec`` fitted to ``runs``: the free parameters
    and one run effect per group; and the number of runs, at each of which the law's location
    is computed per draw after the fit (0 without runs)."""
    groups = int(getattr(spec, "n_groups", 0) or 0)
    n_runs = 0 if runs is None else int(runs.n if hasattr(runs, "n") else len(runs))
    return len(list(spec.free_params)) + groups, n_runs


def check_memory(settings: SamplerSettings, spec: Any, runs: Any = None) -> None:
    """Refuse ``settings`` whose draws for ``spec`` on ``runs`` would exceed
    :data:`MEMORY_LIMIT` (see :func:`memory_estimate`; MCMC also keeps the sample
    statistics), before anything is compiled or allocated. Call it once the model is
    resolved and the settings validated (``plan_fit``, ``sample_fit``; :func:`sample` does)."""
    values, n_runs = stored_values(spec, runs)
    if settings.method == "mcmc":
        values += _STATS_PER_DRAW
    what = (f" ({values} values per draw"
            + (f" and a location for each of {n_runs} runs" if n_runs else "") + ")")
    _refuse_above_limit(settings, values, what, n_runs)


def _refuse_above_limit(s: SamplerSettings, values: int, what: str, per_run: int = 0) -> None:
    need = memory_estimate(s, values, per_run)
    if need > MEMORY_LIMIT:
        tune = f", tune={s.tune}" if s.method == "mcmc" and s.tune else ""
        raise SpecError(f"draws={s.draws} with chains={s.chains}{tune} would need about "
                        f"{_size(need)} of memory for the draws{what}; the limit is "
                        f"{_size(MEMORY_LIMIT)}: lower draws= or chains=")


def _size(n: int) -> str:
    for unit, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n} bytes"


def sample(spec: Any, runs: Any, settings: SamplerSettings) -> tuple[Any, dict[str, float]]:
    """Sample the posterior of ``spec`` on ``runs``.

    Returns (DataTree with ``posterior`` and ``sample_stats``, timings in seconds:
    ``compile`` (0 when a compiled model was reused; None when the back-end does not
    separate it) and ``sampling``; nutpie's also say how the model was ``compiled``:
    ``"reused"``, loaded from the ``"cache"`` or ``"compiled"``).
    """
    s = settings.validated()
    check_memory(s, spec, runs)
    if s.sampler == "nutpie":
        return _sample_nutpie(spec, runs, s)
    return _sample_pymc(spec, runs, s)


def compiled_model(spec: Any, runs: Any) -> tuple[Any, float, str]:
    """The nutpie model for ``spec``'s structure, with ``runs``, ``spec``'s numbers and its
    starting points in it: reused within the process, else loaded from the compile cache
    (:mod:`~bayescale.inference.cache`), else compiled.

    Returns (compiled model, seconds spent compiling or loading it: 0 when reused, how it was
    obtained: ``"reused"``, ``"cache"`` or ``"compiled"``)."""
    from ..model.graph import GROUP_DIM, model_inputs
    from .cache import cached_model
    from .entry import with_starts

    key = spec.sampling.structure()
    seconds, how = 0.0, "reused"
    with _COMPILED_LOCK:
        compiled = _COMPILED.get(key)
        if compiled is None:
            start = time.perf_counter()
            compiled, loaded = cached_model(spec, runs, list(spec.stored_vars))
            seconds, how = time.perf_counter() - start, ("cache" if loaded else "compiled")
            _COMPILED[key] = compiled
            while len(_COMPILED) > _COMPILED_LIMIT:
                _COMPILED.popitem(last=False)
        _COMPILED.move_to_end(key)
    compiled = compiled.with_data(**model_inputs(spec, runs))
    if GROUP_DIM in compiled.coords and spec.n_groups:
        # the labels of this fit's runs, not those of the fit the model was compiled for
        import pandas as pd

        compiled = replace(compiled, _coords={**compiled.coords,
                                              GROUP_DIM: pd.Index(runs.groups[1])})
    return with_starts(compiled, start_vector(compiled, spec)), seconds, how


def _sample_nutpie(spec: Any, runs: Any, s: SamplerSettings) -> tuple[Any, dict[str, float]]:
    compiled, compile_seconds, how = compiled_model(spec, runs)
    start = time.perf_counter()
    try:
        dt = _run_nutpie(compiled, s)
    except RuntimeError as exc:
        if "initialization points failed" not in str(exc):
            raise
        # the user's numbers, not a bug: e.g. a prior centred at 1e300
        raise SpecError("the sampler found no starting point where the model's log-density is "
                        "finite; check the priors for extreme values (and the runs)") from None
    timing = {"compile": compile_seconds, "compiled": how,
              "sampling": time.perf_counter() - start,
              "gradients": _gradients(dt)}
    return _tidy(dt, spec.stored_vars), timing


def start_vector(compiled: Any, spec: Any) -> np.ndarray:
    """The spec's initial point as nutpie's flat vector (each chain starts there plus a
    jitter: :func:`~bayescale.inference.entry.with_starts`)."""
    init = spec.sampling.initial_point()
    x0 = np.zeros(compiled.n_dim)
    for name, where, _ in zip(*compiled.shape_info, strict=False):
        if name in init:  # the value variables (the rest of shape_info are expanded ones)
            x0[where] = np.ravel(init[name])
    return x0


def _run_nutpie(compiled: Any, s: SamplerSettings) -> Any:
    """nutpie's sampler in the background, waited for here, so that Ctrl-C at any moment
    stops it: while it starts, an interrupt is held until the sampler exists (an interrupt in
    between would leave its threads running to the last draw, and the process waiting for
    them); while it runs, an interrupt cancels it, also one that Python swallowed but the CLI
    recorded (:data:`~bayescale.errors.INTERRUPTED`). Either way KeyboardInterrupt is
    raised."""
    import signal
    import threading

    import nutpie

    held: list[int] = []
    # only a handler set from Python can be put back (getsignal gives None for one set in C)
    previous = (signal.getsignal(signal.SIGINT)
                if threading.current_thread() is threading.main_thread() else None)
    if previous is not None:
        signal.signal(signal.SIGINT, lambda *_: held.append(1))
    try:
        sampler = nutpie.sample(
            compiled, draws=s.draws, tune=s.tune, chains=s.chains, seed=s.random_seed,
            target_accept=s.target_accept, adaptation="low_rank", save_warmup=True,
            progress_bar=s.progress, blocking=False)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    try:
        # polled, not sampler.wait(): an interrupt Python swallowed still stops the sampler
        while not _finished(sampler):
            if held or INTERRUPTED.is_set():
                raise KeyboardInterrupt
            time.sleep(0.02)
        return sampler.wait()
    except KeyboardInterrupt:
        sampler.cancel()
        raise


def _finished(sampler: Any) -> bool:
    """Whether nutpie's background sampler is done (its ``is_finished`` raises TimeoutError
    while it runs, in nutpie 0.16; a sampling error is raised as is)."""
    try:
        return bool(sampler.is_finished)
    except TimeoutError:
        return False


def _sample_pymc(spec: Any, runs: Any, s: SamplerSettings) -> tuple[Any, dict[str, float]]:
    import pymc as pm

    from ..model.graph import build_model

    if s.sampler == "numpyro":
        try:
            import numpyro  # noqa: F401
        except ImportError:
            raise SpecError("sampler 'numpyro' needs JAX and NumPyro: "
                            "pip install 'bayescale[jax]'") from None
    import logging

    start = time.perf_counter()
    logger = logging.getLogger("pymc")
    level = logger.level
    logger.setLevel(logging.WARNING)  # PyMC's "Initializing NUTS..." chatter
    try:
        with build_model(spec, runs):
            kwargs: dict[str, Any] = {"cores": 1} if s.sampler == "pymc" else {}
            dt = pm.sample(
                draws=s.draws, tune=s.tune, chains=s.chains, random_seed=s.random_seed,
                nuts_sampler=s.sampler, target_accept=s.target_accept,
                progressbar=s.progress, var_names=list(spec.stored_vars),
                compute_convergence_checks=False, **kwargs,
            )
    finally:
        logger.setLevel(level)
    # compile and sampling are not separable here: all of it counts as sampling
    return _tidy(dt, spec.stored_vars), {"compile": None,
                                         "sampling": time.perf_counter() - start,
                                         "gradients": _gradients(dt)}


def _gradients(dt: Any) -> int | None:
    """Log-density gradient evaluations of the whole run, tuning included where the back-end
    reports it (PyMC's JAX samplers keep no warm-up statistics: draws only)."""
    total = 0
    for group in ("warmup_sample_stats", "sample_stats"):
        if group in dt.children and "n_steps" in dt[group].to_dataset():
            total += int(dt[group].to_dataset()["n_steps"].sum())
    return total or None


def _tidy(dt: Any, var_names: Any) -> Any:
    """Keep the public posterior and the numeric sample stats, nothing else."""
    import xarray as xr

    post = dt["posterior"].to_dataset()[list(var_names)]
    stats = dt["sample_stats"].to_dataset()
    keep = [v for v in stats.data_vars if v in _KEEP_STATS and stats[v].dtype.kind in "biuf"]
    stats = stats[keep]
    if "tree_depth" in stats and "depth" not in stats:
        stats = stats.rename({"tree_depth": "depth"})
    if "reached_max_treedepth" in stats and "maxdepth_reached" not in stats:
        stats = stats.rename({"reached_max_treedepth": "maxdepth_reached"})
    post.attrs, stats.attrs = {}, {}
    return xr.DataTree.from_dict({"posterior": post, "sample_stats": stats})
