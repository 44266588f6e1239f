"""Helpers for tests (ours and users'): fabricated fits that need no MCMC.

``fake_fit`` builds a :class:`~bayescale.results.ScalingFit` whose draws scatter around known
parameters. It takes milliseconds, so results, plots, save/load and the CLI can be tested
without PyMC.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ._version import __version__
from .data.runs import Runs
from .data.simulate import EPOCH_CHINCHILLA, FOUNDING_EXAMPLE, chinchilla_design, simulate_runs
from .laws import get_law
from .model.spec import ModelSpec
from .results.fit import ScalingFit, make_datatree


def default_truth(law: str) -> dict[str, float]:
    return dict(EPOCH_CHINCHILLA if law == "chinchilla" else FOUNDING_EXAMPLE)


def fake_fit(
    law: str = "chinchilla",
    *,
    truth: Mapping[str, float] | None = None,
    runs: pd.DataFrame | None = None,
    likelihood: str | None = None,
    priors: Mapping | None = None,
    sigma: float = 0.01,
    draws: int = 500,
    chains: int = 2,
    spread: float = 0.02,
    seed: int = 0,
    divergences: int = 0,
    chain_offset: float = 0.0,
    warnings: Sequence[str] = (),
    x: str = "N",
    law_options: Mapping | None = None,
    run_effects: Sequence[float] | None = None,
) -> ScalingFit:
    """A fit with fabricated draws: each parameter is ``truth · exp(N(0, spread))``.

    ``chain_offset`` shifts chain ``c`` by ``c · chain_offset`` (in log space) to fabricate
    non-converged chains; ``divergences`` marks that many draws as divergent. For laws with run
    effects, ``runs`` needs a ``run_id`` column and ``run_effects`` gives each run's effect on
    the log loss (default 0).
    """
    import xarray as xr

    options = dict(law_options or {})
    if law == "power":
        options.setdefault("x", x)
    law_obj = get_law(law, **options)
    truth = dict(truth or default_truth(law))
    truth.setdefault("sigma", sigma)
    truth.setdefault("nu", 4.0)
    truth.setdefault("phi", 300.0)
    if runs is None:
        if law == "power":
            design = pd.DataFrame({x: np.geomspace(1e6, 1e9, 10)})
        else:
            design = chinchilla_design()
        runs = simulate_runs(law_obj, truth, design, sigma=sigma, seed=seed)
    run_obj = Runs.from_frame(runs, law_obj.inputs, response=law_obj.response,
                              compute_k=law_obj.compute_k, grouped=law_obj.grouped)
    spec = ModelSpec.resolve(law_obj, likelihood, priors, run_obj)
    rng = np.random.default_rng(seed)
    post = {}
    floors = {p.name for p in spec.params if p.kind == "floor"}
    for name in spec.free_params:
        centre = truth.get(name, 1.0)
        z = rng.normal(0.0, spread, (chains, draws))
        z += chain_offset * np.arange(chains)[:, None]
        value = centre * np.exp(z)
        if name in floors:
            value = np.minimum(value, 0.999 * spec.loss_min)
        post[name] = (("chain", "draw"), value)
    coords = {"chain": np.arange(chains), "draw": np.arange(draws)}
    if spec.n_groups:  # run effects: each run's (given or 0) plus posterior scatter
        centre = np.zeros(spec.n_groups) if run_effects is None else np.asarray(run_effects)
        noise = rng.normal(0.0, 0.25 * truth.get("tau", 0.02), (chains, draws, spec.n_groups))
        post["run_effect"] = (("chain", "draw", "group"), centre + noise)
        coords["group"] = np.arange(spec.n_groups)
    diverging = np.zeros((chains, draws), dtype=bool)
    diverging.reshape(-1)[:divergences] = True
    stats = {"diverging": (("chain", "draw"), diverging),
             "n_steps": (("chain", "draw"), np.full((chains, draws), 7, dtype=np.uint64))}
    dt = make_datatree(run_obj, "posterior", xr.Dataset(post, coords=coords),
                       xr.Dataset(stats, coords=coords))
    meta = {"group": "posterior", "warnings": list(warnings), "fabricated": True,
            "sampler": {"sampler": "fake", "random_seed": seed, "draws": draws,
                        "chains": chains},
            "bayescale_version": __version__}
    return ScalingFit(dt, spec, run_obj, meta)
