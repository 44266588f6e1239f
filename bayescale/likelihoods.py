"""Observation models on the log of the loss.

Every published LLM fit works on ``log L`` (Hoffmann and Epoch: Huber on log L); so does this
module: ``log L_obs = log L(θ) + ε`` with ε one of

* ``studentt`` (default): Student-t with ``nu`` fixed at 4 by default: robust to the few outlying
  runs (digitisation errors, failed runs) that would drag a Gaussian fit; on the Chinchilla data it
  lands on Epoch's robust refit (modeling.md §2.3).
* ``laplace``: the Bayesian counterpart of Hoffmann/Epoch's Huber(δ=1e-3) estimator, which at
  that δ is effectively least absolute deviation on log L; its MLE reproduces Epoch's table 1.
* ``normal``: least squares on log L; not robust (on the Chinchilla data it moves E by +0.05).

``sigma`` is the scale of ε (for Laplace the ``b`` parameter). Default prior HalfNormal(0.05):
residuals on real data are ~0.005 (Chinchilla) and seed-to-seed noise up to ~3.5%.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import SpecError
from .priors import Prior


@dataclass(frozen=True)
class Likelihood:
    name: str
    params: tuple[str, ...]
    doc: str

    def default_priors(self) -> dict[str, Prior]:
        priors = {"sigma": Prior("HalfNormal", sigma=0.05)}
        if "nu" in self.params:
            priors["nu"] = Prior.fixed(4.0)
        return priors

    def observe(self, name: str, mu: Any, theta: Mapping[str, Any], observed: Any,
                dims: str) -> Any:
        """Add the observed variable to the current PyMC model."""
        import pymc as pm

        if self.name == "normal":
            return pm.Normal(name, mu=mu, sigma=theta["sigma"], observed=observed, dims=dims)
        if self.name == "laplace":
            return pm.Laplace(name, mu=mu, b=theta["sigma"], observed=observed, dims=dims)
        return pm.StudentT(name, nu=theta["nu"], mu=mu, sigma=theta["sigma"],
                           observed=observed, dims=dims)

    def noise(self, rng: np.random.Generator, theta: Mapping[str, np.ndarray],
              shape: tuple[int, ...]) -> np.ndarray:
        """Draws of ε with shape ``shape`` = (draws, points); parameters vary along draws."""
        sigma = np.asarray(theta["sigma"], dtype=float).reshape(-1, 1)
        if self.name == "normal":
            unit = rng.standard_normal(shape)
        elif self.name == "laplace":
            unit = rng.laplace(0.0, 1.0, shape)
        else:
            nu = np.broadcast_to(np.asarray(theta["nu"], dtype=float).reshape(-1, 1), shape)
            unit = rng.standard_t(nu)
        return sigma * unit


LIKELIHOODS: dict[str, Likelihood] = {
    "studentt": Likelihood("studentt", ("sigma", "nu"), "Student-t on log loss (nu=4 default)"),
    "laplace": Likelihood("laplace", ("sigma",), "Laplace on log loss (Huber δ=1e-3 analogue)"),
    "normal": Likelihood("normal", ("sigma",), "Gaussian on log loss (least squares)"),
}


def get_likelihood(name: str | Likelihood) -> Likelihood:
    if isinstance(name, Likelihood):
        return name
    lik = LIKELIHOODS.get(str(name).lower())
    if lik is None:
        raise SpecError(f"unknown likelihood {name!r}; choose one of {', '.join(LIKELIHOODS)}")
    return lik
