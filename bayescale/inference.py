"""The one place that knows samplers.

``sample(model, var_names, settings)`` runs MCMC on a built PyMC model and returns an
``xarray.DataTree`` with a ``posterior`` group (only ``var_names``, the public parameters) and a
numeric ``sample_stats`` group (``diverging``, ``n_steps``, ``depth``, ``maxdepth_reached``,
``step_size``, ``energy``...). Back-ends:

* ``nutpie`` (default): nutpie's NUTS on the numba back-end, called directly (PyMC 6.4's
  ``pm.sample`` uses it too, but adds a recompile on every call); low-rank mass-matrix
  adaptation, which on the centred Chinchilla model needs ~4x fewer gradients (perf.md §2).
* ``pymc``: PyMC's own NUTS (``pm.sample(nuts_sampler="pymc")``), ~10x slower, kept as a
  cross-check.

Same seed, same settings, same data → identical draws.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from .errors import SpecError

SAMPLERS = ("nutpie", "pymc")

_KEEP_STATS = ("diverging", "n_steps", "depth", "tree_depth", "maxdepth_reached",
               "reached_max_treedepth", "step_size", "energy", "lp", "mean_tree_accept",
               "acceptance_rate")


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

    def validated(self) -> SamplerSettings:
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
        return out


def sample(model: Any, var_names: Sequence[str], settings: SamplerSettings,
           initial_point: dict[str, float] | None = None) -> tuple[Any, float]:
    """Sample ``model``; return (DataTree with posterior + sample_stats, seconds)."""
    s = settings.validated()
    start = time.perf_counter()
    if s.sampler == "nutpie":
        dt = _sample_nutpie(model, var_names, s, initial_point)
    else:
        dt = _sample_pymc(model, var_names, s)
    elapsed = time.perf_counter() - start
    return _tidy(dt, var_names), elapsed


def _sample_nutpie(model: Any, var_names: Sequence[str], s: SamplerSettings,
                   initial_point: dict[str, float] | None) -> Any:
    import nutpie

    compiled = nutpie.compile_pymc_model(
        model, var_names=list(var_names),
        initial_points=initial_point,
    )
    return nutpie.sample(
        compiled, draws=s.draws, tune=s.tune, chains=s.chains, seed=s.random_seed,
        target_accept=s.target_accept, adaptation="low_rank", save_warmup=False,
        progress_bar=s.progress,
    )


def _sample_pymc(model: Any, var_names: Sequence[str], s: SamplerSettings) -> Any:
    import pymc as pm

    with model:
        return pm.sample(
            draws=s.draws, tune=s.tune, chains=s.chains, cores=1,
            random_seed=s.random_seed, nuts_sampler="pymc", target_accept=s.target_accept,
            progressbar=s.progress, var_names=list(var_names), compute_convergence_checks=False,
        )


def _tidy(dt: Any, var_names: Sequence[str]) -> Any:
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
