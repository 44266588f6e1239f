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
from typing import Any, ClassVar

import numpy as np

from .errors import SpecError
from .laws.base import Param
from .priors import Prior

_SIGMA = Param("sigma", "positive", "scale of the noise on log loss")


class Likelihood:
    """Base class: a location-scale family on log loss."""

    name: ClassVar[str]
    doc: ClassVar[str]
    params: ClassVar[tuple[Param, ...]] = (_SIGMA,)

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    def default_priors(self) -> dict[str, Prior]:
        return {"sigma": Prior("HalfNormal", sigma=0.05)}

    def observe(self, name: str, mu: Any, theta: Mapping[str, Any], observed: Any,
                dims: str) -> Any:
        """Add the observed variable to the current PyMC model."""
        raise NotImplementedError

    def unit_noise(self, rng: np.random.Generator, theta: Mapping[str, np.ndarray],
                   shape: tuple[int, ...]) -> np.ndarray:
        """Standardised noise draws (scale 1) of the given shape."""
        raise NotImplementedError

    def logpdf(self, y: np.ndarray, mu: np.ndarray, theta: Mapping[str, Any]) -> np.ndarray:
        """Pointwise log-density of observed log losses ``y`` (numpy, scipy)."""
        raise NotImplementedError

    def noise(self, rng: np.random.Generator, theta: Mapping[str, np.ndarray],
              shape: tuple[int, ...]) -> np.ndarray:
        """Draws of ε, shape ``shape`` = (draws, k); parameters vary along draws."""
        sigma = np.asarray(theta["sigma"], dtype=float).reshape(-1, 1)
        return sigma * self.unit_noise(rng, theta, shape)

    def __repr__(self) -> str:
        return f"<likelihood {self.name}>"


class Normal(Likelihood):
    name = "normal"
    doc = "Gaussian on log loss (least squares)"

    def observe(self, name, mu, theta, observed, dims):
        import pymc as pm

        return pm.Normal(name, mu=mu, sigma=theta["sigma"], observed=observed, dims=dims)

    def unit_noise(self, rng, theta, shape):
        return rng.standard_normal(shape)

    def logpdf(self, y, mu, theta):
        sigma = theta["sigma"]
        return -0.5 * ((y - mu) / sigma) ** 2 - np.log(sigma) - 0.5 * np.log(2 * np.pi)


class Laplace(Likelihood):
    name = "laplace"
    doc = "Laplace on log loss (the Huber δ=1e-3 analogue)"

    def observe(self, name, mu, theta, observed, dims):
        import pymc as pm

        return pm.Laplace(name, mu=mu, b=theta["sigma"], observed=observed, dims=dims)

    def unit_noise(self, rng, theta, shape):
        return rng.laplace(0.0, 1.0, shape)

    def logpdf(self, y, mu, theta):
        return -np.abs(y - mu) / theta["sigma"] - np.log(2 * theta["sigma"])


class StudentT(Likelihood):
    name = "studentt"
    doc = "Student-t on log loss (nu = 4 unless given a prior)"
    params = (_SIGMA, Param("nu", "positive", "Student-t degrees of freedom"))

    def default_priors(self) -> dict[str, Prior]:
        return {**super().default_priors(), "nu": Prior.fixed(4.0)}

    def observe(self, name, mu, theta, observed, dims):
        import pymc as pm

        return pm.StudentT(name, nu=theta["nu"], mu=mu, sigma=theta["sigma"],
                           observed=observed, dims=dims)

    def unit_noise(self, rng, theta, shape):
        nu = np.broadcast_to(np.asarray(theta["nu"], dtype=float).reshape(-1, 1), shape)
        return rng.standard_t(nu)

    def logpdf(self, y, mu, theta):
        from scipy.special import gammaln

        nu, sigma = theta["nu"], theta["sigma"]
        return (gammaln((nu + 1) / 2) - gammaln(nu / 2) - 0.5 * np.log(nu * np.pi)
                - np.log(sigma) - (nu + 1) / 2 * np.log1p(((y - mu) / sigma) ** 2 / nu))


LIKELIHOODS: dict[str, Likelihood] = {lik.name: lik for lik in (StudentT(), Laplace(), Normal())}


def get_likelihood(name: str | Likelihood) -> Likelihood:
    if isinstance(name, Likelihood):
        return name
    lik = LIKELIHOODS.get(str(name).lower())
    if lik is None:
        raise SpecError(f"unknown likelihood {name!r}; choose one of {', '.join(LIKELIHOODS)}")
    return lik
