"""Observation models. Each knows its response, its link and how to draw a new observation.

Losses (``response = "loss"``) are modelled on the log scale, as every published LLM fit does
(Hoffmann and Epoch: Huber on log L): ``log L_obs = log L(θ) + ε`` with ε one of

* ``studentt`` (default): Student-t with ``nu`` fixed at 4 by default: robust to the few outlying
  runs (digitisation errors, failed runs) that would drag a Gaussian fit; on the Chinchilla data it
  lands on Epoch's robust refit (modeling.md §2.3).
* ``laplace``: the Bayesian counterpart of Hoffmann/Epoch's Huber(δ=1e-3) estimator, which at
  that δ is effectively least absolute deviation on log L; its MLE reproduces Epoch's table 1.
* ``normal``: least squares on log L; not robust (on the Chinchilla data it moves E by +0.05).

``sigma`` is the scale of ε (for Laplace the ``b`` parameter). Default prior HalfNormal(0.05):
residuals on real data are ~0.005 (Chinchilla) and seed-to-seed noise up to ~3.5%.

Accuracies (``response = "accuracy"``, in (0, 1)) are bounded, so a Gaussian on the raw value is
wrong near chance and near 1:

* ``beta`` (default): ``acc ~ Beta(m·phi, (1 − m)·phi)`` with mean ``m`` from the law and
  precision ``phi``, default prior LogNormal(log 100, 1.5): a residual sd of ~0.05 at m = 0.5
  (model-to-model differences dominate benchmark sampling noise);
* ``logitnormal``: ``logit(acc) ~ Normal(logit(m), sigma)``, default sigma ~ HalfNormal(0.5).

A law's ``location`` is what the likelihood consumes: the log of the mean loss, or the mean
accuracy (clipped to (1e-6, 1 − 1e-6) here, so a law that can leave (0, 1), such as the
log-linear one, still has a density).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from ..errors import SpecError
from ..laws.base import Param
from ..priors import Prior

_SIGMA = Param("sigma", "positive", "scale of the noise on log loss")
_EPS = 1e-6


class Likelihood:
    """Base class."""

    name: ClassVar[str]
    doc: ClassVar[str]
    response: ClassVar[str] = "loss"
    params: ClassVar[tuple[Param, ...]] = (_SIGMA,)

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    def default_priors(self) -> dict[str, Prior]:
        return {"sigma": Prior("HalfNormal", sigma=0.05)}

    # -- scales ------------------------------------------------------------------------------
    def link(self, y: Any) -> Any:
        """Observed responses → the scale the density is written on (numpy)."""
        return np.log(y)

    def natural(self, location: Any) -> Any:
        """A law's location → the response's typical value (median loss, mean accuracy)."""
        return np.exp(location)

    # -- PyMC and numpy ----------------------------------------------------------------------
    def observe(self, name: str, location: Any, theta: Mapping[str, Any], observed: Any,
                dims: str) -> Any:
        """Add the observed variable to the current PyMC model (``observed`` is linked)."""
        raise NotImplementedError

    def logpdf(self, y: np.ndarray, location: np.ndarray,
               theta: Mapping[str, Any]) -> np.ndarray:
        """Pointwise log-density of linked observations ``y`` (numpy)."""
        raise NotImplementedError

    def simulate(self, rng: np.random.Generator, location: np.ndarray,
                 theta: Mapping[str, np.ndarray]) -> np.ndarray:
        """New observations on the natural scale, shape of ``location`` (draws, points);
        parameters vary along draws; one noise draw per posterior draw, shared by the points
        (each point's marginal is exact and does not depend on the others)."""
        noise = self.unit_noise(rng, theta, (location.shape[0], 1))
        sigma = np.asarray(theta["sigma"], dtype=float).reshape(-1, 1)
        return np.exp(location + sigma * noise)

    def unit_noise(self, rng: np.random.Generator, theta: Mapping[str, np.ndarray],
                   shape: tuple[int, ...]) -> np.ndarray:
        """Standardised noise draws (scale 1) of the given shape."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<likelihood {self.name}>"


class Normal(Likelihood):
    name = "normal"
    doc = "Gaussian on log loss (least squares)"

    def observe(self, name, location, theta, observed, dims):
        import pymc as pm

        return pm.Normal(name, mu=location, sigma=theta["sigma"], observed=observed, dims=dims)

    def unit_noise(self, rng, theta, shape):
        return rng.standard_normal(shape)

    def logpdf(self, y, location, theta):
        sigma = theta["sigma"]
        return (-0.5 * ((y - location) / sigma) ** 2 - np.log(sigma)
                - 0.5 * np.log(2 * np.pi))


class Laplace(Likelihood):
    name = "laplace"
    doc = "Laplace on log loss (the Huber δ=1e-3 analogue)"

    def observe(self, name, location, theta, observed, dims):
        import pymc as pm

        return pm.Laplace(name, mu=location, b=theta["sigma"], observed=observed, dims=dims)

    def unit_noise(self, rng, theta, shape):
        return rng.laplace(0.0, 1.0, shape)

    def logpdf(self, y, location, theta):
        return -np.abs(y - location) / theta["sigma"] - np.log(2 * theta["sigma"])


class StudentT(Likelihood):
    name = "studentt"
    doc = "Student-t on log loss (nu = 4 unless given a prior)"
    params = (_SIGMA, Param("nu", "positive", "Student-t degrees of freedom"))

    def default_priors(self) -> dict[str, Prior]:
        return {**super().default_priors(), "nu": Prior.fixed(4.0)}

    def observe(self, name, location, theta, observed, dims):
        import pymc as pm

        return pm.StudentT(name, nu=theta["nu"], mu=location, sigma=theta["sigma"],
                           observed=observed, dims=dims)

    def unit_noise(self, rng, theta, shape):
        nu = np.broadcast_to(np.asarray(theta["nu"], dtype=float).reshape(-1, 1), shape)
        return rng.standard_t(nu)

    def logpdf(self, y, location, theta):
        from scipy.special import gammaln

        nu, sigma = theta["nu"], theta["sigma"]
        return (gammaln((nu + 1) / 2) - gammaln(nu / 2) - 0.5 * np.log(nu * np.pi)
                - np.log(sigma) - (nu + 1) / 2 * np.log1p(((y - location) / sigma) ** 2 / nu))


class Beta(Likelihood):
    name = "beta"
    doc = "Beta on accuracy, mean from the law and precision phi"
    response = "accuracy"
    params = (Param("phi", "positive", "precision of the Beta (larger: less noise)"),)

    def default_priors(self) -> dict[str, Prior]:
        return {"phi": Prior("LogNormal", mu=float(np.log(100.0)), sigma=1.5)}

    def link(self, y):
        return np.asarray(y, dtype=float)

    def natural(self, location):
        return np.clip(location, _EPS, 1 - _EPS)

    def observe(self, name, location, theta, observed, dims):
        import pymc as pm
        import pytensor.tensor as pt

        m = pt.clip(location, _EPS, 1 - _EPS)
        return pm.Beta(name, alpha=m * theta["phi"], beta=(1 - m) * theta["phi"],
                       observed=observed, dims=dims)

    def logpdf(self, y, location, theta):
        from scipy.special import betaln

        m, phi = np.clip(location, _EPS, 1 - _EPS), theta["phi"]
        a, b = m * phi, (1 - m) * phi
        return (a - 1) * np.log(y) + (b - 1) * np.log1p(-y) - betaln(a, b)

    def simulate(self, rng, location, theta):
        m = np.clip(location, _EPS, 1 - _EPS)
        phi = np.asarray(theta["phi"], dtype=float).reshape(-1, 1)
        # one uniform per draw, shared by the points, through each point's Beta quantile
        from scipy.special import betaincinv, ndtri

        u = np.broadcast_to(rng.uniform(size=(m.shape[0], 1)), m.shape)
        a, b = m * phi, (1 - m) * phi
        # betaincinv iterates slowly for huge a and b (near noise-free data: phi ~ 1e9), where
        # the Beta is Gaussian to many digits: use that quantile there
        gaussian = np.minimum(a, b) > 1e3
        out = np.empty(m.shape)
        sd = np.sqrt(m * (1 - m) / (phi + 1))
        out[gaussian] = np.clip((m + sd * ndtri(u))[gaussian], _EPS, 1 - _EPS)
        rest = ~gaussian
        out[rest] = betaincinv(a[rest], b[rest], u[rest])
        return out


class LogitNormal(Likelihood):
    name = "logitnormal"
    doc = "Gaussian on the logit of accuracy"
    response = "accuracy"
    params = (Param("sigma", "positive", "scale of the noise on logit accuracy"),)

    def default_priors(self) -> dict[str, Prior]:
        return {"sigma": Prior("HalfNormal", sigma=0.5)}

    def link(self, y):
        y = np.asarray(y, dtype=float)
        return np.log(y) - np.log1p(-y)

    def natural(self, location):
        return np.clip(location, _EPS, 1 - _EPS)

    def observe(self, name, location, theta, observed, dims):
        import pymc as pm
        import pytensor.tensor as pt

        m = pt.clip(location, _EPS, 1 - _EPS)
        return pm.Normal(name, mu=pt.log(m) - pt.log1p(-m), sigma=theta["sigma"],
                         observed=observed, dims=dims)

    def logpdf(self, y, location, theta):
        m = np.clip(location, _EPS, 1 - _EPS)
        mu, sigma = np.log(m) - np.log1p(-m), theta["sigma"]
        return -0.5 * ((y - mu) / sigma) ** 2 - np.log(sigma) - 0.5 * np.log(2 * np.pi)

    def simulate(self, rng, location, theta):
        m = np.clip(location, _EPS, 1 - _EPS)
        sigma = np.asarray(theta["sigma"], dtype=float).reshape(-1, 1)
        z = np.log(m) - np.log1p(-m) + sigma * rng.standard_normal((m.shape[0], 1))
        return 1.0 / (1.0 + np.exp(-z))


LIKELIHOODS: dict[str, Likelihood] = {
    lik.name: lik for lik in (StudentT(), Laplace(), Normal(), Beta(), LogitNormal())
}
DEFAULT_LIKELIHOOD = {"loss": "studentt", "accuracy": "beta"}


def get_likelihood(name: str | Likelihood | None, response: str = "loss") -> Likelihood:
    """The likelihood ``name`` (or the default for ``response``), checked against it."""
    if isinstance(name, Likelihood):
        lik = name
    else:
        key = DEFAULT_LIKELIHOOD[response] if name is None else str(name).lower()
        lik = LIKELIHOODS.get(key)  # type: ignore[assignment]
        if lik is None:
            raise SpecError(f"unknown likelihood {name!r}; choose one of "
                            f"{', '.join(LIKELIHOODS)}")
    if lik.response != response:
        fits = [k for k, v in LIKELIHOODS.items() if v.response == response]
        raise SpecError(f"likelihood {lik.name!r} models {lik.response}, but this law predicts "
                        f"{response}; choose one of {', '.join(fits)}")
    return lik
