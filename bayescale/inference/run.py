"""From a resolved model to a :class:`~bayescale.results.fit.ScalingFit`: MCMC, MAP + Laplace,
or draws from the priors. No refits, no model comparison: one model, one set of runs.

Layer: ``inference``; imports ``model``, ``results`` and ``diagnostics`` (through the fit's
checks).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import time
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from .._version import __version__
from ..data.runs import Runs
from ..errors import InferenceWarning, SpecError
from ..model.config import ModelConfig, check_size
from ..model.spec import ModelSpec
from ..results.fit import ScalingFit, make_datatree
from . import samplers
from .samplers import SamplerSettings


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def sample_fit(spec: ModelSpec, runs: Runs, settings: SamplerSettings | None = None, *,
               config: ModelConfig | None = None, warn: bool = True) -> ScalingFit:
    """Fit a resolved model to its runs (MCMC, or MAP + Laplace with ``method="map"``).

    ``config`` (the user's choices that resolved into ``spec``) is recorded in the fit, so
    anything that refits later (learning δ, backtests) resolves the same choices on its runs.
    Inference-quality warnings are kept in ``fit.warnings`` and, with ``warn``, issued.
    """
    check_size(spec, runs)
    settings = (settings or SamplerSettings()).validated()
    samplers.check_memory(settings, spec, runs)
    created = _now()
    if settings.method == "map":
        result = _laplace_fit(spec, runs, settings, created)
    else:
        result = _mcmc_fit(spec, runs, settings, created)
        trouble = _trouble(result)
        if trouble and settings.retry and settings.target_accept < samplers.RETRY_TARGET_ACCEPT:
            again = dataclasses.replace(settings,
                                        target_accept=samplers.RETRY_TARGET_ACCEPT)
            second = _mcmc_fit(spec, runs, again, created)
            # the better pass is kept: fewer divergences, then the lower R-hat
            kept = second if _severity(second) <= _severity(result) else result
            kept.meta["sampling_seconds"] = round(
                second.meta["sampling_seconds"] + result.meta["sampling_seconds"], 3)
            for key in ("compile_seconds", "compiled"):
                if key in result.meta:
                    kept.meta[key] = result.meta[key]
            kept.meta["second_pass"] = {
                "reason": trouble, "first_target_accept": settings.target_accept,
                "target_accept": samplers.RETRY_TARGET_ACCEPT,
                "second": _trouble(second) or "none", "kept": "second" if kept is second
                else "first"}
            result = kept
    if config is not None:
        result.meta["config"] = config.to_dict()
    result.meta["warnings"] = result.check()
    if warn:
        for message in result.warnings:
            warnings.warn(message, InferenceWarning, stacklevel=3)
    return result


def _mcmc_fit(spec: ModelSpec, runs: Runs, settings: SamplerSettings,
              created: str) -> ScalingFit:
    dt, timing = samplers.sample(spec, runs, settings)
    _check_complete(dt["posterior"].to_dataset(), settings)
    meta = {
        "group": "posterior",
        "method": "mcmc",
        "sampler": settings.to_dict(),
        "sampling_seconds": round(timing["sampling"], 3),
        "compile_seconds": (None if timing["compile"] is None
                            else round(timing["compile"], 3)),
        "gradient_evaluations": timing["gradients"],
        **({"compiled": timing["compiled"]} if timing.get("compiled") else {}),
        "created": created,
        "bayescale_version": __version__,
    }
    return ScalingFit(make_datatree(runs, "posterior", dt["posterior"].to_dataset(),
                                    dt["sample_stats"].to_dataset()), spec, runs, meta)


def _severity(fit: ScalingFit) -> tuple[int, float]:
    """(divergences, largest R-hat) of an MCMC fit: smaller is better."""
    stats = fit.dt["sample_stats"].to_dataset() if "sample_stats" in fit.dt.children else {}
    div = int(np.sum(stats["diverging"].to_numpy())) if "diverging" in stats else 0
    rhat = float(np.nanmax(fit.summary()["r_hat"].to_numpy(dtype=float), initial=1.0))
    return div, rhat


def _trouble(fit: ScalingFit) -> str:
    """What calls for a second pass: divergences, or R-hat above 1.01 ("" when none)."""
    div, rhat = _severity(fit)
    out = [f"{div} divergent transition{'s' if div > 1 else ''}"] if div else []
    if rhat > 1.01:
        out.append(f"R-hat {rhat:.3f}")
    return ", ".join(out)


def _check_complete(posterior: Any, settings: SamplerSettings) -> None:
    """A sampler interrupted by Ctrl-C (nutpie aborts and returns what it has) leaves fewer
    draws than asked, or NaN padding: re-raise the interrupt rather than keep a truncated
    posterior."""
    sizes = dict(posterior.sizes)
    if sizes.get("draw", 0) < settings.draws or sizes.get("chain", 0) < settings.chains:
        raise KeyboardInterrupt
    for values in posterior.data_vars.values():
        # NaN padding sits at the end of an aborted chain
        if np.issubdtype(values.dtype, np.floating) and np.isnan(values.values[:, -1]).any():
            raise KeyboardInterrupt


def _laplace_fit(spec: ModelSpec, runs: Runs, settings: SamplerSettings,
                 created: str) -> ScalingFit:
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
        "approximation_messages": info["messages"],
    }
    return ScalingFit(make_datatree(runs, "posterior", post), spec, runs, meta)


def prior_fit(spec: ModelSpec, runs: Runs, *, draws: int = 2000, random_seed: int = 0,
              config: ModelConfig | None = None) -> ScalingFit:
    """Draws from the priors as a fit (no MCMC, no PyMC; milliseconds)."""
    import xarray as xr

    if (isinstance(draws, bool) or not isinstance(draws, (int, np.integer)) or draws < 2
            or draws > samplers.MAX_DRAWS):
        raise SpecError(f"draws must be an integer from 2 to {samplers.MAX_DRAWS}, got "
                        f"{draws!r}")
    rng = np.random.default_rng(random_seed)
    sampled = spec.sample_prior(int(draws), rng)
    prior = xr.Dataset({k: (("chain", "draw"), sampled[k][None, :]) for k in spec.free_params},
                       coords={"chain": [0], "draw": np.arange(draws)})
    meta = {"group": "prior", "sampler": {"random_seed": random_seed, "draws": int(draws)},
            "created": _now(), "bayescale_version": __version__}
    if config is not None:
        meta["config"] = config.to_dict()
    return ScalingFit(make_datatree(runs, "prior", prior), spec, runs, meta)


#: Keywords of a model config and of sampler settings, as the Python sugar accepts them.
CONFIG_KEYWORDS = ("likelihood", "priors", "columns", "x", "query", "law_options", "base")
SETTINGS_KEYWORDS = ("method", "draws", "tune", "chains", "random_seed", "target_accept",
                     "sampler", "progress")


def model_options(law: Any, config: ModelConfig | None, settings: SamplerSettings | None,
                  options: Mapping[str, Any]) -> tuple[ModelConfig, SamplerSettings]:
    """(config, settings) from explicit objects and/or keywords; a keyword (or ``law``) given
    beside an object overrides that field. Unknown keywords are refused by name."""
    unknown = sorted(set(options) - set(CONFIG_KEYWORDS) - set(SETTINGS_KEYWORDS))
    if unknown:
        raise SpecError(f"unknown option {unknown[0]!r}")
    config = config or ModelConfig()
    changes = {k: options[k] for k in CONFIG_KEYWORDS if k in options}
    if law is not None:
        changes["law"] = law
    if changes:
        config = config.replace(**changes)
    settings = dataclasses.replace(settings or SamplerSettings(),
                                   **{k: options[k] for k in SETTINGS_KEYWORDS if k in options})
    return config, settings
