"""What a population of studies says about a new one: a normal–normal hierarchical model.

Each study ``s`` reports an estimate ``y_s`` of a quantity (a log exponent, the floor E in the
loss's units, the log noise scale) with standard error ``se_s``. The model (random-effects
meta-analysis, e.g. Gelman et al., *Bayesian Data Analysis*, §5.6):

    θ_s ~ Normal(μ, τ),   y_s ~ Normal(θ_s, se_s),
    μ flat,   τ ~ HalfNormal(tau_scale).

μ is integrated out analytically for each τ; τ on a fine grid. The **predictive distribution
of θ for a new study**, ``θ_new ~ Normal(μ, τ)`` averaged over the posterior of (μ, τ), is a
mixture of normals; it is summarised by its mean and sd (moment matching). With few studies τ
is uncertain, and that uncertainty widens the predictive: two studies never make a tight prior.

Pure numpy; layer ``priors``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import SpecError

#: τ grid size and its upper end in units of ``tau_scale``.
TAU_POINTS = 400
TAU_RANGE = 6.0


@dataclass(frozen=True)
class Pooled:
    """The population predictive of one quantity for a new study."""

    mean: float
    sd: float
    #: posterior median of the between-study sd τ
    tau: float
    n_studies: int


def pool(estimates: Sequence[float], errors: Sequence[float], *, tau_scale: float) -> Pooled:
    """Predictive mean and sd of a new study's value of a quantity, given the studies'
    ``estimates`` and their standard ``errors`` (same scale), with ``τ ~ HalfNormal(tau_scale)``.

    >>> p = pool([0.30, 0.35, 0.40], [0.01, 0.01, 0.01], tau_scale=0.5)
    >>> round(p.mean, 3), p.sd > 0.05
    (0.35, True)
    """
    y = np.asarray(estimates, dtype=float)
    se = np.asarray(errors, dtype=float)
    if y.ndim != 1 or y.shape != se.shape:
        raise SpecError("pool: estimates and errors must be 1-D and of equal length")
    if len(y) < 2:
        raise SpecError(f"pool: at least 2 studies are needed, got {len(y)}")
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(se)) and np.all(se >= 0)):
        raise SpecError("pool: estimates must be finite and errors finite and ≥ 0")
    if not (math.isfinite(tau_scale) and tau_scale > 0):
        raise SpecError(f"pool: tau_scale must be > 0, got {tau_scale!r}")
    tau = np.linspace(0.0, TAU_RANGE * tau_scale, TAU_POINTS + 1)[1:]
    v = se[None, :] ** 2 + tau[:, None] ** 2  # (tau, studies)
    w = 1.0 / v
    mu_hat = np.sum(w * y, axis=1) / np.sum(w, axis=1)
    v_mu = 1.0 / np.sum(w, axis=1)
    # log p(τ | y) up to a constant (BDA3 eq. 5.21), times the HalfNormal prior
    log_post = (0.5 * np.log(v_mu) - 0.5 * np.sum(np.log(v), axis=1)
                - 0.5 * np.sum((y[None, :] - mu_hat[:, None]) ** 2 * w, axis=1)
                - 0.5 * (tau / tau_scale) ** 2)
    p = np.exp(log_post - log_post.max())
    p /= p.sum()
    mean = float(np.sum(p * mu_hat))
    second = float(np.sum(p * (v_mu + tau ** 2 + mu_hat ** 2)))
    cdf = np.cumsum(p)
    return Pooled(mean=mean, sd=math.sqrt(max(second - mean ** 2, 0.0)),
                  tau=float(tau[int(np.searchsorted(cdf, 0.5))]), n_studies=len(y))
