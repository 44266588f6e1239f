"""The one place that knows samplers.

``sample(spec, runs, settings)`` runs MCMC and returns an ``xarray.DataTree`` with a ``posterior``
group (the public parameters that vary) and a numeric ``sample_stats`` group (``diverging``,
``n_steps``, ``depth``, ``maxdepth_reached``, ``step_size``, ...), plus timings. Back-ends:

* ``nutpie`` (default): nutpie's NUTS on the numba back-end with a low-rank mass matrix. The
  compiled model is kept per model *structure* (law, likelihood, prior families, coordinates;
  :meth:`~bayescale.model.coordinates.Sampling.structure`) for the life of the process; a new
  dataset or new prior values are swapped in with ``with_data`` and sample without compiling
  again (0.5 s instead of ~20 s on 240 runs). PyTensor's numba cache in ``~/.pytensor`` also
  shortens the first compile of every later process.
* ``pymc``: PyMC's own NUTS (``pm.sample(nuts_sampler="pymc")``), ~10x slower, kept as a
  cross-check.
* ``numpyro``: NumPyro's NUTS through PyMC on JAX (``pip install 'bayescale[jax]'``).

Gradient evaluations are counted over the whole run, tuning included (``nutpie`` and
``pymc``); the warm-up draws themselves are not kept.

Same seed, same settings, same data → identical draws.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from ..errors import SpecError

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

    def validated(self) -> SamplerSettings:
        if self.method not in METHODS:
            raise SpecError(f"unknown method {self.method!r}; choose one of "
                            f"{', '.join(METHODS)}")
        if self.sampler not in SAMPLERS:
            raise SpecError(f"unknown sampler {self.sampler!r}; choose one of "
                            f"{', '.join(SAMPLERS)}")
        for name in ("draws", "chains"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise SpecError(f"{name} must be a positive integer, got {value!r}")
        if not isinstance(self.tune, (int, np.integer)) or self.tune < 0:
            raise SpecError(f"tune must be a non-negative integer, got {self.tune!r}")
        if not 0 < self.target_accept < 1:
            raise SpecError(f"target_accept must be in (0, 1), got {self.target_accept!r}")
        seed = self.random_seed
        if seed is None:
            seed = int(np.random.default_rng().integers(0, 2**31 - 1))
        elif not isinstance(seed, (int, np.integer)) or seed < 0:
            raise SpecError(f"random_seed must be a non-negative integer, got {seed!r}")
        return replace(self, random_seed=int(seed), draws=int(self.draws),
                       tune=int(self.tune), chains=int(self.chains))

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("progress")
        out.pop("method")  # stored beside the settings, as the fit's method
        return out


def sample(spec: Any, runs: Any, settings: SamplerSettings) -> tuple[Any, dict[str, float]]:
    """Sample the posterior of ``spec`` on ``runs``.

    Returns (DataTree with ``posterior`` and ``sample_stats``, timings in seconds:
    ``compile`` (0 when a compiled model was reused; None when the back-end does not
    separate it) and ``sampling``).
    """
    s = settings.validated()
    if s.sampler == "nutpie":
        return _sample_nutpie(spec, runs, s)
    return _sample_pymc(spec, runs, s)


def compiled_model(spec: Any, runs: Any) -> tuple[Any, float]:
    """The nutpie model for ``spec``'s structure, with ``runs`` and ``spec``'s numbers in it.

    Returns (compiled model, seconds spent compiling: 0 when reused)."""
    import nutpie

    from ..model.graph import build_model, model_inputs

    key = spec.sampling.structure()
    seconds = 0.0
    with _COMPILED_LOCK:
        compiled = _COMPILED.get(key)
        if compiled is None:
            start = time.perf_counter()
            compiled = nutpie.compile_pymc_model(build_model(spec, runs),
                                                 var_names=list(spec.stored_vars))
            seconds = time.perf_counter() - start
            _COMPILED[key] = compiled
            while len(_COMPILED) > _COMPILED_LIMIT:
                _COMPILED.popitem(last=False)
        _COMPILED.move_to_end(key)
    return compiled.with_data(**model_inputs(spec, runs)), seconds


def _sample_nutpie(spec: Any, runs: Any, s: SamplerSettings) -> tuple[Any, dict[str, float]]:
    import nutpie

    compiled, compile_seconds = compiled_model(spec, runs)
    init = spec.sampling.initial_point()
    x0 = np.zeros(compiled.n_dim)
    for name, where, _ in zip(*compiled.shape_info, strict=False):
        if name in init:  # the value variables (the rest of shape_info are expanded ones)
            x0[where] = np.ravel(init[name])
    start = time.perf_counter()
    dt = nutpie.sample(
        compiled, draws=s.draws, tune=s.tune, chains=s.chains, seed=s.random_seed,
        target_accept=s.target_accept, adaptation="low_rank", save_warmup=True,
        progress_bar=s.progress, init_mean=x0,
    )
    timing = {"compile": compile_seconds, "sampling": time.perf_counter() - start,
              "gradients": _gradients(dt)}
    return _tidy(dt, spec.stored_vars), timing


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
