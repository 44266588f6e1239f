"""The model specification: law + likelihood + resolved priors + the data scales they need.

``ModelSpec`` is plain data: it is stored with every fit and rebuilds the same model. How the
sampler moves for it (coordinates, starting point, packed numbers) is
:class:`~bayescale.model.coordinates.Sampling`, made once per spec as ``spec.sampling``; the
PyMC graph is :func:`bayescale.model.graph.build_model`.

Layer: ``model``; imports ``errors``, ``priors``, ``laws`` and ``data``.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..data.runs import Runs
from ..errors import SpecError
from ..laws import Law, Param, Scales, law_from_dict
from ..priors import Prior, parse_priors
from .coordinates import Coordinate, Sampling
from .likelihoods import Likelihood, get_likelihood


@dataclass(frozen=True)
class ModelSpec:
    """Everything that defines the model, as plain data."""

    law: Law
    likelihood: Likelihood
    priors: Mapping[str, Prior]
    reference: Mapping[str, float]
    loss_min: float
    #: number of runs with their own effect (grouped laws, e.g. learning curves); else 0
    n_groups: int = 0
    #: where each prior came from: "user", "field" (learned from public studies) or "weak"
    origins: Mapping[str, str] = dataclasses.field(default_factory=dict)
    #: notes from resolving the priors (e.g. why a field prior was not used)
    notes: tuple[str, ...] = ()

    @functools.cached_property
    def sampling(self) -> Sampling:
        """How the sampler moves for this spec (computed once)."""
        return Sampling(self)

    # -- construction -----------------------------------------------------------------------
    @classmethod
    def resolve(
        cls,
        law: Law,
        likelihood: str | Likelihood | None,
        priors: Mapping[str, Any] | None,
        runs: Runs,
        base: str = "field",
    ) -> ModelSpec:
        """Merge user priors over the defaults for these runs: the law's and likelihood's weak
        ones, overlaid (``base="field"``) by the field priors learned from public studies where
        they apply to this law and these losses."""
        return cls.for_scales(law, likelihood, priors, runs.scales(law.inputs), base,
                              n_groups=len(runs.groups[1]) if law.grouped else 0)

    @classmethod
    def for_scales(cls, law: Law, likelihood: str | Likelihood | None,
                   priors: Mapping[str, Any] | None, scales: Scales, base: str = "field",
                   n_groups: int = 0) -> ModelSpec:
        """As :meth:`resolve`, from the runs' summaries alone (``scales``): what the default
        priors are for runs like these (``bayescale laws --show``)."""
        lik = get_likelihood(likelihood, law.response)
        user = parse_priors(priors)
        defaults = {**law.default_priors(scales), **lik.default_priors()}
        params = [*law.params, *lik.params]
        origins = dict.fromkeys(defaults, "weak")
        notes: list[str] = []
        if base == "field":
            from ..priors.field import shipped

            learned, notes = shipped().for_law(
                law.name, [p.name for p in params if p.name not in user], law.response,
                scales.loss_min)
            defaults.update(learned)
            origins.update(dict.fromkeys(learned, "field"))
        targets = {p.name for p in params} | {p.ref_name for p in params if p.ref_name}
        for key in user:
            owner = [other.name for other in _other_likelihoods(lik) if key in other.param_names]
            if key not in targets and owner:
                raise SpecError(
                    f"priors: {key!r} is a parameter of the {owner[0]} likelihood, not of "
                    f"{lik.name}; remove it or choose likelihood {owner[0]!r}"
                )
            if key not in targets:
                raise SpecError(
                    f"priors: unknown parameter {key!r}; law {law.name!r} with likelihood "
                    f"{lik.name!r} takes {', '.join(_target_names(params))}"
                )
        missing = [p.name for p in params if not any(
            k in user or k in defaults for k in (p.name, p.ref_name, p.base_name) if k)]
        if missing:
            raise SpecError(f"law {law.name!r} has no default prior for {', '.join(missing)}; "
                            "give one for each with priors=")
        resolved: dict[str, Prior] = {}
        for p in params:
            keys = [k for k in (p.name, p.ref_name) if k and k in user]
            if len(keys) > 1:
                raise SpecError(f"priors: give a prior for {p.name!r} or for {p.ref_name!r}, "
                                "not both")
            if keys:
                key, prior = keys[0], user[keys[0]]
            else:
                key = next((k for k in (p.base_name, p.name) if k in defaults), None)
                if key is None:  # a law must provide a default for each parameter
                    raise SpecError(f"law {law.name!r} has no default prior for {p.name!r}")
                prior = defaults[key]
            if p.kind == "floor" and prior.dist == "Beta" and not prior.given & {"lower",
                                                                               "upper"}:
                # the documented default: Beta on (0, lowest observed loss), not on (0, 1)
                prior = prior.with_params(lower=0.0, upper=scales.loss_min)
            elif (p.kind == "floor" and prior.dist == "TruncatedNormal"
                  and "upper" not in prior.given):
                # a learned floor prior: truncated at the lowest observed loss
                prior = prior.with_params(upper=scales.loss_min)
            resolved[key] = prior
            origins[key] = "user" if keys else origins.get(key, "weak")
        spec = cls(law, lik, resolved, scales.reference, scales.loss_min, n_groups,
                   {k: origins[k] for k in resolved}, tuple(notes))
        spec.validate()
        return spec

    def validate(self) -> None:
        """Refuse priors that put no mass on their range, or fixed values outside it."""
        for p in self.params:
            key, prior = self.prior_for(p)
            lo, hi = self.base_range(p)
            plo, phi = prior.support
            if prior.is_fixed:
                if not lo < prior.value < hi:
                    extra = " (E must lie below the lowest observed loss)" if (
                        p.kind == "floor") else ""
                    raise SpecError(f"priors: {key} fixed at {prior.value:g} is outside its "
                                    f"range ({lo:g}, {hi:g}){extra}")
            elif not (plo < hi and phi > lo):
                raise SpecError(f"priors: {prior.describe()} for {key} puts no mass on its "
                                f"range ({lo:g}, {hi:g})")
            elif key != p.base_name and (plo > 0 or math.isfinite(phi)):
                raise SpecError(
                    f"priors: a bounded prior on {key!r} is not supported, because the sampler "
                    f"moves in {p.base_name} = {key}·{p.input}_ref^-{p.exponent}; put the "
                    f"bounds on {p.base_name!r} or use an unbounded prior such as LogNormal"
                )

    # -- parameter bookkeeping --------------------------------------------------------------
    @property
    def params(self) -> list[Param]:
        """Public parameters: the law's, then the likelihood's."""
        return [*self.law.params, *self.likelihood.params]

    def prior_for(self, p: Param) -> tuple[str, Prior]:
        """(target, prior) of a parameter: the target is ``p.name`` or ``p.ref_name``."""
        if p.name in self.priors:
            return p.name, self.priors[p.name]
        if p.ref_name and p.ref_name in self.priors:
            return p.ref_name, self.priors[p.ref_name]
        raise KeyError(p.name)

    def base_range(self, p: Param) -> tuple[float, float]:
        """The natural range of a parameter (and of its base); a floor lies below the lowest
        observed loss."""
        lo, hi = p.range
        return (lo, min(hi, self.loss_min)) if p.kind == "floor" else (lo, hi)

    def coordinate(self, p: Param) -> Coordinate:
        """How the sampler moves for ``p``: its base's range ∩ the prior's support when the
        prior sits on the base."""
        lo, hi = self.base_range(p)
        key, prior = self.prior_for(p)
        if key == p.base_name and not prior.is_fixed:
            plo, phi = prior.support
            lo, hi = max(lo, plo), min(hi, phi)
        return Coordinate(lo, hi)

    def ordered(self) -> list[Param]:
        """Public parameters in dependency order: floor, noise and amplitude bases
        (``<amp>_ref``) first, then exponents (which may be sampled as slopes that need them),
        then the natural amplitudes."""
        order = {"floor": 0, "positive": 0, "scale": 0, "real": 0, "unit": 0, "exponent": 1,
                 "amplitude": 2}
        return sorted(self.params, key=lambda p: order[p.kind])

    def sampled(self) -> list[Param]:
        """Parameters with a sampling coordinate (in dependency order)."""
        return [p for p in self.ordered() if not self.prior_for(p)[1].is_fixed]

    @property
    def fixed(self) -> dict[str, float]:
        """Parameters held at a fixed natural-scale value."""
        out = {}
        for p in self.params:
            key, prior = self.prior_for(p)
            if prior.is_fixed and key == p.name:
                out[p.name] = prior.value
        return out

    @property
    def free_params(self) -> list[str]:
        """Public parameters that vary across draws (stored in the posterior), in law order.

        An amplitude whose ``<amp>_ref`` is fixed still varies with its exponent."""
        fixed = self.fixed
        return [p.name for p in self.params if p.name not in fixed]

    def to_natural(self, p: Param, base: Any, theta: Mapping[str, Any], xp: Any = np,
                   log_ref: Any = None) -> Any:
        """Natural value of ``p`` from its base (``A = A_ref · N_ref^alpha``)."""
        if p.kind != "amplitude":
            return base
        log_ref = math.log(self.reference[p.input]) if log_ref is None else log_ref
        # as exp(log): inside the graph the law's log(A) then cancels, so extreme exponents
        # visited in warm-up cannot overflow A
        return xp.exp(xp.log(base) + theta[p.exponent] * log_ref)

    def complete(self, draws: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Add the fixed parameters to per-draw arrays of the others (natural scale)."""
        out = {k: np.asarray(v, dtype=float) for k, v in draws.items()}
        shape = next(iter(out.values())).shape if out else (1,)
        for name, value in self.fixed.items():
            out[name] = np.full(shape, value)
        return out

    @property
    def stored_vars(self) -> list[str]:
        """Variables kept in the posterior: the varying parameters, and the run effects."""
        return [*self.free_params, *(["run_effect"] if self.n_groups else [])]

    def location(self, xp: Any, logx: Mapping[str, Any], theta: Mapping[str, Any],
                 run_index: Any = None) -> Any:
        """The law's location plus each row's run effect (grouped laws)."""
        out = self.law.location(xp, logx, theta)
        if self.n_groups and run_index is not None:
            out = out + xp.take(theta["run_effect"], run_index, axis=-1)
        return out

    # -- plain data -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "law": self.law.to_dict(),
            "likelihood": self.likelihood.name,
            "priors": {k: v.to_dict() for k, v in self.priors.items()},
            "reference": dict(self.reference),
            "loss_min": self.loss_min,
            "n_groups": self.n_groups,
            "origins": dict(self.origins),
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelSpec:
        law = law_from_dict(data["law"])
        return cls(
            law=law,
            likelihood=get_likelihood(data["likelihood"], law.response),
            priors=parse_priors(data["priors"]),
            reference={k: float(v) for k, v in data["reference"].items()},
            loss_min=float(data["loss_min"]),
            n_groups=int(data.get("n_groups", 0)),
            origins={str(k): str(v) for k, v in dict(data.get("origins") or {}).items()},
            notes=tuple(str(v) for v in data.get("notes") or ()),
        )

    def describe_priors(self) -> list[str]:
        """One human-readable line per prior."""
        lines = []
        for p in self.params:
            key, prior = self.prior_for(p)
            line = f"{key:<7} ~ {prior.describe()}"
            if self.origins.get(key) == "field":
                line += "   (learned from public scaling studies)"
            if key == p.ref_name:
                line += (f"   ({key} = {p.name}·{p.input}_ref^-{p.exponent}, "
                         f"{p.input}_ref = {self.reference[p.input]:.3g})")
            lines.append(line)
        return lines

    # -- numpy: prior draws (the fit-free prior predictive) and starting points -------------
    def sample_prior(self, draws: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Natural-scale draws of every parameter from the priors (fixed ones included)."""
        out: dict[str, np.ndarray] = {}
        for p in self.ordered():
            key, prior = self.prior_for(p)
            if prior.is_fixed:
                value = np.full(draws, prior.value)
            else:
                c = self.coordinate(p) if key == p.base_name else Coordinate(0.0)
                value = _sample_within(prior, rng, draws, c.lo, c.hi, key)
            # a prior (or fixed value) on <amp>_ref gives A = A_ref·N_ref^alpha
            out[p.name] = self.to_natural(p, value, out) if key == p.base_name else value
        return out

def _other_likelihoods(lik: Likelihood) -> list[Likelihood]:
    from .likelihoods import LIKELIHOODS

    return [other for other in LIKELIHOODS.values() if other.name != lik.name]


def _target_names(params: list[Param]) -> list[str]:
    return [f"{p.name} (or {p.ref_name})" if p.ref_name else p.name for p in params]


def _sample_within(prior: Prior, rng: np.random.Generator, n: int, lo: float, hi: float,
                   key: str) -> np.ndarray:
    """Draw from ``prior`` restricted to (lo, hi) by rejection (the model truncates the same)."""
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
