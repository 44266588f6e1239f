"""The PyMC graph of a :class:`~bayescale.model.spec.ModelSpec` on some runs.

Layer: ``model``; PyMC and PyTensor are imported only when a graph is built.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..data.runs import Runs
from .spec import ModelSpec

#: Name of the observed variable (the linked response) and of the observation dimension.
OBSERVED = "observed"
RUN_DIM = "run"
GROUP_DIM = "group"


def model_inputs(spec: ModelSpec, runs: Runs) -> dict[str, np.ndarray]:
    """The values of the model's ``pm.Data`` (by name): the runs and the packed settings.

    A model built for one (spec, runs) is reused for another with the same
    ``spec.structure()`` by swapping these values in (``pm.set_data`` or nutpie's
    ``with_data``)."""
    out = {f"log_{k}": runs.log(k) for k in spec.law.inputs}
    out["observed_value"] = spec.likelihood.link(runs.y)
    if spec.n_groups:
        out["run_index"] = runs.groups[0]
    out["settings"] = np.fromiter(spec.sampling.settings().values(), dtype=float)
    return out


def configure_pytensor() -> None:
    """Generated source of compiled graphs goes into PyTensor's compile folder (content-addressed,
    pruned by PyTensor when unused), not into the system temp folder, where PyTensor's default
    leaves about twenty files per compile. A user's own setting is kept."""
    import pytensor

    if not pytensor.config.generated_src_dir:
        from pathlib import Path

        pytensor.config.generated_src_dir = str(Path(pytensor.config.compiledir) /
                                                "generated_src")


def build_model(spec: ModelSpec, runs: Runs) -> Any:
    """Build the PyMC model for ``spec`` on ``runs``. Nothing is sampled here.

    Deterministics: every public parameter that varies (``spec.free_params``) and ``location``
    (the law's output per run, e.g. the log mean loss; not stored in traces)."""
    import pymc as pm
    import pytensor.tensor as pt

    configure_pytensor()
    law = spec.law
    slot = {name: i for i, name in enumerate(spec.sampling.settings())}
    data = model_inputs(spec, runs)
    coords: dict[str, Any] = {RUN_DIM: np.arange(runs.n)}
    if spec.n_groups:
        coords[GROUP_DIM] = runs.groups[1]
    with pm.Model(coords=coords, check_bounds=False) as model:
        logx = {k: pm.Data(f"log_{k}", data[f"log_{k}"], dims=RUN_DIM) for k in law.inputs}
        observed = pm.Data("observed_value", data["observed_value"], dims=RUN_DIM)
        packed = pm.Data("settings", data["settings"])

        def number(name: str) -> Any:
            return packed[slot[name]]

        init = spec.sampling.initial_point()
        z = {name: pm.Flat(name, initval=init[name],
                           **({"dims": GROUP_DIM} if name == "run_effect_z" else {}))
             for name in spec.sampling.z_names()}
        out = spec.sampling.transform(pt, z, number)
        for key, prior, target, log_jac in out.terms:
            params = {k: number(f"prior_{key}_{k}") for k in prior.params}
            pm.Potential(f"prior_{key}", prior.logp(target, params) + log_jac)
        if spec.sampling.pivot_block() is not None or spec.n_groups:
            pm.Potential("coordinates", out.log_jac)
        theta = dict(out.theta)
        for name in spec.free_params:
            theta[name] = pm.Deterministic(name, theta[name])
        run_index = None
        if spec.n_groups:
            theta["run_effect"] = pm.Deterministic("run_effect", theta["run_effect"],
                                                   dims=GROUP_DIM)
            run_index = pm.Data("run_index", data["run_index"], dims=RUN_DIM)
        mu = pm.Deterministic("location", spec.location(pt, logx, theta, run_index),
                              dims=RUN_DIM)
        spec.likelihood.observe(OBSERVED, mu, theta, observed, dims=RUN_DIM)
    return model
