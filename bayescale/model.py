"""Model specification and the PyMC graph built from it.

``ModelSpec`` = law + likelihood + resolved priors + the data scales the priors and sampling
coordinates depend on (reference scales, lowest observed loss). It is plain data: it is stored
with every fit and rebuilds the same model.

Sampling coordinates (one unconstrained ``<name>_z`` per free parameter):

* floor ``E``: ``E = L_min · sigmoid(z)`` keeps 0 < E < lowest observed loss;
* exponent: ``alpha = exp(z)``;
* amplitude ``A`` paired with exponent ``alpha`` and input ``N``: ``z = log A_ref`` with
  ``A_ref = A · N_ref^(−alpha)`` and ``N_ref`` the geometric mean of the data. This turns the
  banana-shaped ``log A``–``alpha`` ridge into nearly orthogonal level and slope and makes NUTS
  several times cheaper (perf.md §2);
* noise ``sigma``/``nu``: ``exp(z)``.

Each prior is a density on its *target* (the natural parameter, or ``A_ref``), added as a
``Potential`` together with the log-Jacobian of the map from ``z``, so any supported
distribution can sit on any target. Data, reference scales and prior parameters enter as
``pm.Data``: a new dataset or new prior values change no graph structure.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .data import Runs
from .errors import SpecError
from .laws import Law, Param, law_from_dict
from .likelihoods import Likelihood, get_likelihood
from .priors import Prior, parse_priors

#: Name of the observed variable (log of the loss) and of the observation dimension.
OBSERVED = "log_loss"
RUN_DIM = "run"


@dataclass(frozen=True)
class ModelSpec:
    """Everything that defines the model, as plain data."""

    law: Law
    likelihood: Likelihood
    priors: Mapping[str, Prior]
    reference: Mapping[str, float]
    loss_min: float

    # -- construction -----------------------------------------------------------------------
    @classmethod
    def resolve(
        cls,
        law: Law,
        likelihood: str | Likelihood,
        priors: Mapping[str, Any] | None,
        runs: Runs,
    ) -> ModelSpec:
        """Merge user priors over the law's and likelihood's defaults for these runs."""
        lik = get_likelihood(likelihood)
        scales = runs.scales(law.inputs)
        user = parse_priors(priors)
        defaults = {**law.default_priors(scales), **lik.default_priors()}
        targets = {p.name for p in law.params} | {
            p.ref_name for p in law.params if p.ref_name
        } | set(lik.params)
        for key in user:
            if key not in targets:
                raise SpecError(
                    f"priors: unknown parameter {key!r}; law {law.name!r} with likelihood "
                    f"{lik.name!r} takes {', '.join(_target_names(law, lik))}"
                )
        resolved: dict[str, Prior] = {}
        for p in law.params:
            if p.kind == "amplitude":
                assert p.ref_name is not None
                if p.name in user and p.ref_name in user:
                    raise SpecError(
                        f"priors: give a prior for {p.name!r} or for {p.ref_name!r}, not both"
                    )
                key = p.name if p.name in user else p.ref_name
                resolved[key] = user.get(key, defaults.get(key))
            else:
                resolved[p.name] = user.get(p.name, defaults[p.name])
        for name in lik.params:
            resolved[name] = user.get(name, defaults[name])
        spec = cls(law, lik, resolved, scales.reference, scales.loss_min)
        spec._check_supports()
        return spec

    def _check_supports(self) -> None:
        for key, prior in self.priors.items():
            lo, hi = self.target_bounds(key)
            plo, phi = prior.support
            if prior.is_fixed:
                if not lo < prior.value < hi:
                    raise SpecError(
                        f"priors: {key} fixed at {prior.value:g} is outside its range "
                        f"({lo:g}, {hi:g})" + (" (the lowest observed loss bounds E)"
                                               if hi == self.loss_min else "")
                    )
            elif not (plo < hi and phi > lo):
                raise SpecError(
                    f"priors: {prior.describe()} for {key} puts no mass on its range "
                    f"({lo:g}, {hi:g})"
                )

    # -- parameter bookkeeping --------------------------------------------------------------
    def target_bounds(self, key: str) -> tuple[float, float]:
        """The range a prior target lives in."""
        for p in self.law.params:
            if key == p.name and p.kind == "floor":
                return (0.0, self.loss_min)
        return (0.0, math.inf)

    def prior_for(self, p: Param) -> tuple[str, Prior]:
        """(target, prior) for a law parameter: the target is ``p.name`` or ``p.ref_name``."""
        if p.name in self.priors:
            return p.name, self.priors[p.name]
        assert p.ref_name is not None
        return p.ref_name, self.priors[p.ref_name]

    def ordered_params(self) -> list[Param]:
        """Law params with exponents before the amplitudes that need them, then noise params."""
        order = {"exponent": 0, "floor": 1, "amplitude": 2}
        law = sorted(self.law.params, key=lambda p: order[p.kind])
        noise = [Param(n, "exponent", "likelihood scale") for n in self.likelihood.params]
        return law + noise

    @property
    def free_params(self) -> list[str]:
        """Public names of the sampled parameters (law first, then noise)."""
        return [p.name for p in self._public() if not self.prior_for(p)[1].is_fixed]

    def complete(self, draws: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Add the fixed parameters to per-draw arrays of the free ones (natural scale)."""
        out = {k: np.asarray(v, dtype=float) for k, v in draws.items()}
        size = next(iter(out.values())).shape if out else (1,)
        for p in self.ordered_params():
            key, prior = self.prior_for(p)
            if not prior.is_fixed:
                continue
            value = np.full(size, prior.value)
            if key != p.name:
                value = value * self.reference[p.input] ** out[p.exponent]
            out[p.name] = value
        return out

    def _public(self) -> list[Param]:
        noise = [Param(n, "exponent", "likelihood scale") for n in self.likelihood.params]
        return [*self.law.params, *noise]

    # -- plain data -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "law": self.law.to_dict(),
            "likelihood": self.likelihood.name,
            "priors": {k: v.to_dict() for k, v in self.priors.items()},
            "reference": dict(self.reference),
            "loss_min": self.loss_min,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelSpec:
        return cls(
            law=law_from_dict(data["law"]),
            likelihood=get_likelihood(data["likelihood"]),
            priors=parse_priors(data["priors"]),
            reference={k: float(v) for k, v in data["reference"].items()},
            loss_min=float(data["loss_min"]),
        )

    def describe_priors(self) -> list[str]:
        """One human-readable line per prior."""
        lines = []
        for p in self._public():
            key, prior = self.prior_for(p)
            line = f"{key:<7} ~ {prior.describe()}"
            if key != p.name and p.kind == "amplitude":
                line += (f"   ({key} = {p.name}·{p.input}_ref^-{p.exponent}, "
                         f"{p.input}_ref = {self.reference[p.input]:.3g})")
            lines.append(line)
        return lines

    # -- numpy: prior draws (the fit-free prior predictive) ---------------------------------
    def sample_prior(self, draws: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Natural-scale draws of every public parameter from the priors."""
        out: dict[str, np.ndarray] = {}
        for p in self.ordered_params():
            key, prior = self.prior_for(p)
            lo, hi = self.target_bounds(key)
            value = _sample_within(prior, rng, draws, lo, hi, key)
            if key != p.name:  # amplitude with its prior at the reference scale
                value = value * self.reference[p.input] ** out[p.exponent]
            out[p.name] = value
        return out

    def coordinate(self, p: Param) -> tuple[str, float, float]:
        """How the sampler moves for ``p``: ``("pivot", .., ..)`` for an amplitude (``z`` is
        ``log <amp>_ref``), else ``("lower", lo, inf)`` (``lo + exp(z)``) or
        ``("interval", lo, hi)`` (``lo + (hi − lo)·sigmoid(z)``) on the intersection of the
        parameter's range and its prior's support."""
        key, prior = self.prior_for(p)
        if p.kind == "amplitude":
            return ("pivot", -math.inf, math.inf)
        lo, hi = self.target_bounds(key)
        plo, phi = prior.support
        lo, hi = max(lo, plo), min(hi, phi)
        return ("interval", lo, hi) if math.isfinite(hi) else ("lower", lo, math.inf)

    def settings(self) -> dict[str, float]:
        """Every number the graph uses besides the runs, in a fixed order.

        They enter the model as one ``pm.Data`` vector (``settings``): one input instead of
        dozens keeps the numba compile short, and a new dataset or new prior values only
        change this vector, not the graph.
        """
        out = {"loss_min": self.loss_min}
        out.update({f"log_{k}_ref": math.log(v) for k, v in self.reference.items()})
        for p in self.ordered_params():
            key, prior = self.prior_for(p)
            kind, lo, hi = self.coordinate(p)
            if not prior.is_fixed and kind != "pivot":
                out[f"{p.name}_lo"] = lo
                if kind == "interval":
                    out[f"{p.name}_hi"] = hi
            for name, value in prior.params.items():
                out[f"prior_{key}_{name}"] = value
        return out

    def initial_point(self) -> dict[str, float]:
        """Unconstrained start (``<name>_z``) at the prior medians."""
        rng = np.random.default_rng(20240601)
        draws = self.sample_prior(4001, rng)
        med = {k: float(np.median(v)) for k, v in draws.items()}
        z: dict[str, float] = {}
        for p in self.ordered_params():
            if self.prior_for(p)[1].is_fixed:
                continue
            kind, lo, hi = self.coordinate(p)
            if kind == "pivot":
                value = math.log(med[p.name]) - med[p.exponent] * math.log(
                    self.reference[p.input])
            elif kind == "lower":
                value = math.log(max(med[p.name] - lo, 1e-300))
            else:
                u = min(max((med[p.name] - lo) / (hi - lo), 1e-6), 1 - 1e-6)
                value = math.log(u / (1 - u))
            z[f"{p.name}_z"] = value
        return z


def _target_names(law: Law, lik: Likelihood) -> list[str]:
    names = []
    for p in law.params:
        names.append(f"{p.name} (or {p.ref_name})" if p.ref_name else p.name)
    return names + list(lik.params)


def _sample_within(prior: Prior, rng: np.random.Generator, n: int, lo: float, hi: float,
                   key: str) -> np.ndarray:
    """Draw from ``prior`` restricted to (lo, hi) by rejection (the model truncates the same)."""
    if prior.is_fixed:
        return np.full(n, prior.value)
    kept: list[np.ndarray] = []
    total = drawn = 0
    while total < n:
        x = prior.sample(rng, max(n, 1000))
        drawn += x.size
        x = x[(x > lo) & (x < hi)]
        kept.append(x)
        total += x.size
        if drawn > 200 * max(n, 1000) and total < 0.01 * drawn:
            raise SpecError(
                f"priors: {prior.describe()} for {key} puts almost no mass on ({lo:g}, {hi:g})"
            )
    return np.concatenate(kept)[:n]


def build_model(spec: ModelSpec, runs: Runs) -> Any:
    """Build the PyMC model for ``spec`` on ``runs``. Nothing is sampled here."""
    import pymc as pm
    import pytensor.tensor as pt

    law = spec.law
    numbers = spec.settings()
    slot = {name: i for i, name in enumerate(numbers)}
    with pm.Model(coords={RUN_DIM: np.arange(runs.n)}, check_bounds=False) as model:
        logx = {k: pm.Data(f"log_{k}", runs.log(k), dims=RUN_DIM) for k in law.inputs}
        observed = pm.Data("log_loss_observed", np.log(runs.loss), dims=RUN_DIM)
        packed = pm.Data("settings", np.fromiter(numbers.values(), dtype=float))

        def number(name: str) -> Any:
            return packed[slot[name]]

        init = spec.initial_point()
        theta: dict[str, Any] = {}
        for p in spec.ordered_params():
            key, prior = spec.prior_for(p)
            params = {k: number(f"prior_{key}_{k}") for k in prior.params}
            if prior.is_fixed:
                value = params["value"]
                if key != p.name:  # amplitude fixed at the reference scale
                    value = value * pt.exp(theta[p.exponent] * number(f"log_{p.input}_ref"))
                theta[p.name] = value
                continue
            z = pm.Flat(f"{p.name}_z", initval=init[f"{p.name}_z"])
            kind, _, _ = spec.coordinate(p)
            if kind == "pivot":
                log_value = z + theta[p.exponent] * number(f"log_{p.input}_ref")
                value = pt.exp(log_value)
                target, log_jac = (value, log_value) if key == p.name else (pt.exp(z), z)
            elif kind == "lower":
                value = number(f"{p.name}_lo") + pt.exp(z)
                target, log_jac = value, z
            else:
                lo, hi = number(f"{p.name}_lo"), number(f"{p.name}_hi")
                value = lo + (hi - lo) * pt.sigmoid(z)
                target, log_jac = value, pt.log(hi - lo) - pt.softplus(-z) - pt.softplus(z)
            pm.Potential(f"prior_{key}", prior.logp(target, params) + log_jac)
            theta[p.name] = pm.Deterministic(p.name, value)
        mu = pm.Deterministic("log_loss_mean", law.log_loss(pt, logx, theta), dims=RUN_DIM)
        spec.likelihood.observe(OBSERVED, mu, theta, observed, dims=RUN_DIM)
    return model
