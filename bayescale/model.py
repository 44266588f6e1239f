"""Model specification and the PyMC graph built from it.

``ModelSpec`` = law + likelihood + resolved priors + the data scales the priors and sampling
coordinates depend on (reference scales, lowest observed loss). It is plain data: it is stored
with every fit and rebuilds the same model.

Sampling coordinates. Scaling-law posteriors are ridges: far from saturation, E, the amplitudes
and the exponents trade off along curved valleys that NUTS crosses slowly (the textbook
parameterisation needs ~1.45M gradients for 4 x 2000 draws on 250 runs). The sampler therefore
moves in coordinates that the data pin down one by one, all at the *pivot* (the geometric mean
of the data, ``N_ref``, ``D_ref``):

* for an additive law ``L = E + Σ A·X^(−alpha)`` (:meth:`ModelSpec.pivot_block`): the log of
  the loss at the pivot, ``L_ref = E + Σ A_ref`` with ``A_ref = A·X_ref^(−alpha)``; E as a
  fraction of ``min(L_min, L_ref)`` (so 0 < E < lowest observed loss); and stick-breaking
  logits of each term's share of ``L_ref − E``;
* each exponent as the log-log slope of its term at the pivot, ``s = alpha·A_ref/L_ref``
  (:meth:`ModelSpec.slope_pair`; a shear with unit Jacobian);
* anything else (and every parameter whose prior does not allow the above, e.g. a bounded or
  fixed one) through its own :class:`Coordinate`: ``lo + exp(z)`` on a half-line or
  ``lo + (hi − lo)·sigmoid(z)`` on an interval, the parameter's range intersected with its
  prior's support.

On the bundled founding example this takes the minimum ESS from ~100–390 to ~1,700–2,000 and
halves the gradients; on Epoch's data a fit takes ~58k gradients for 4 x (1000 tuning + 1000
draws), tuning included (the textbook form needs ~1.45M), with bulk ESS ~4,500.

Each prior is a density on its *target* (the public parameter, or ``A_ref``), added as a
``Potential`` together with the log-Jacobian of the map from the coordinates, so any supported
distribution can sit on either target. The map is written once against an array namespace
(:meth:`ModelSpec.transform`): PyTensor in the graph, numpy for the compile-free MAP/Laplace
path. The runs, reference scales and prior parameters enter as ``pm.Data`` (all scalars packed
in one vector): a new dataset or new prior values change no graph structure.
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

#: Name of the observed variable (the linked response) and of the observation dimension.
OBSERVED = "observed"
RUN_DIM = "run"
GROUP_DIM = "group"


@dataclass(frozen=True)
class Coordinate:
    """Map from an unconstrained ``z`` onto ``(lo, hi)``: ``lo + (hi − lo)·sigmoid(z)``,
    ``lo + exp(z)``, ``hi − exp(z)`` or ``z`` itself, as the ends are finite or not."""

    lo: float
    hi: float = math.inf

    @property
    def bounded(self) -> bool:
        return math.isfinite(self.lo) and math.isfinite(self.hi)

    @property
    def ends(self) -> tuple[bool, bool]:
        """Which ends are finite (they enter the graph as numbers)."""
        return math.isfinite(self.lo), math.isfinite(self.hi)

    def forward(self, xp: Any, z: Any, lo: Any = None, hi: Any = None) -> tuple[Any, Any]:
        """(value, log|d value / d z|); ``lo``/``hi`` may be symbolic stand-ins."""
        lo = self.lo if lo is None else lo
        hi = self.hi if hi is None else hi
        has_lo, has_hi = self.ends
        if has_lo and has_hi:
            sig = 1.0 / (1.0 + xp.exp(-z))
            log_jac = xp.log(hi - lo) - xp.logaddexp(0.0, -z) - xp.logaddexp(0.0, z)
            return lo + (hi - lo) * sig, log_jac
        if has_lo:
            return lo + xp.exp(z), z
        if has_hi:
            return hi - xp.exp(z), z
        return z, 0.0 * z

    def inverse(self, value: float) -> float:
        has_lo, has_hi = self.ends
        if has_lo and has_hi:
            u = min(max((value - self.lo) / (self.hi - self.lo), 1e-9), 1 - 1e-9)
            return math.log(u / (1 - u))
        if has_lo:
            return math.log(max(value - self.lo, 1e-300))
        if has_hi:
            return math.log(max(self.hi - value, 1e-300))
        return float(value)


@dataclass(frozen=True)
class Transformed:
    """Natural parameters, prior terms ``(key, prior, target, log_jac)`` and the joint
    log-Jacobian of the pivot block, from the sampler's coordinates."""

    theta: dict[str, Any]
    terms: list[tuple[str, Prior, Any, Any]]
    log_jac: Any


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

    # -- construction -----------------------------------------------------------------------
    @classmethod
    def resolve(
        cls,
        law: Law,
        likelihood: str | Likelihood | None,
        priors: Mapping[str, Any] | None,
        runs: Runs,
    ) -> ModelSpec:
        """Merge user priors over the law's and likelihood's defaults for these runs."""
        lik = get_likelihood(likelihood, law.response)
        scales = runs.scales(law.inputs)
        user = parse_priors(priors)
        defaults = {**law.default_priors(scales), **lik.default_priors()}
        params = [*law.params, *lik.params]
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
                            "give one for each (Python priors={...}, CLI --priors FILE)")
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
            resolved[key] = prior
        n_groups = len(runs.groups[1]) if law.grouped else 0
        spec = cls(law, lik, resolved, scales.reference, scales.loss_min, n_groups)
        spec._check_supports()
        return spec

    def _check_supports(self) -> None:
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

    def slope_pair(self, p: Param) -> Param | None:
        """The amplitude whose term an exponent ``p`` is sampled through, or None.

        For an additive law the data pin down the loss at the reference point,
        ``L_ref = E + Σ <amp>_ref``, and the log-log slope of each term there,
        ``s = alpha · A_ref / L_ref``; not ``alpha`` itself, which trades off against E and
        A_ref along a curved ridge. So ``z = log s`` is sampled:
        ``log alpha = z + log L_ref − log A_ref``, a shear with unit Jacobian. Used when the
        exponent's coordinate is the plain half-line (0, inf) and the amplitude's base
        ``A_ref`` does not itself depend on the exponent (no fixed natural ``A``).
        """
        if p.kind != "exponent" or not self.law.additive or self.coordinate(p) != Coordinate(0):
            return None
        amps = [a for a in self.law.params if a.kind == "amplitude"]
        # L_ref needs every A_ref before any exponent: impossible when some amplitude is
        # fixed on its natural scale (its A_ref = A·X_ref^-exponent needs the exponent)
        if any(self.prior_for(a)[1].is_fixed and self.prior_for(a)[0] != a.base_name
               for a in amps):
            return None
        paired = [a for a in amps if a.exponent == p.name]
        return paired[0] if len(paired) == 1 else None

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

    def plan(self) -> tuple:
        """Every decision :meth:`transform` makes, per parameter: prior target and family, and
        how it is sampled (``block``, ``slope:<amp>``, ``interval``, ``half-line``) or
        held (``fixed``)."""
        block = self.pivot_block()
        in_block = set() if block is None else {block[0].name, *(a.name for a in block[1])}
        parts = []
        for p in self.params:
            key, prior = self.prior_for(p)
            amp = self.slope_pair(p)
            if prior.is_fixed:
                role = "fixed"
            elif p.name in in_block:
                role = "block"
            elif amp is not None:
                role = f"slope:{amp.name}"
            else:
                role = {(True, True): "interval", (True, False): "above",
                        (False, True): "below", (False, False): "line"}[
                    self.coordinate(p).ends]
            parts.append((p.name, key, prior.dist, role))
        return tuple(parts)

    def structure(self) -> tuple:
        """What determines the graph (not the numbers in it): a hashable key, used to reuse a
        compiled model. Two specs with equal keys build the same graph, reading the same
        numbers from the same slots of :meth:`settings`."""
        return (tuple(sorted(self.law.to_dict().items())), self.likelihood.name, self.plan(),
                tuple(self.z_names()), tuple(self.settings()), self.n_groups)

    @property
    def stored_vars(self) -> list[str]:
        """Variables kept in the posterior: the varying parameters, and the run effects."""
        return [*self.free_params, *(["run_effect"] if self.n_groups else [])]

    def z_sizes(self) -> dict[str, int]:
        """Length of each coordinate (1 for scalars; the number of runs for run effects)."""
        return {n: (self.n_groups if n == "run_effect_z" else 1) for n in self.z_names()}

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
        )

    def describe_priors(self) -> list[str]:
        """One human-readable line per prior."""
        lines = []
        for p in self.params:
            key, prior = self.prior_for(p)
            line = f"{key:<7} ~ {prior.describe()}"
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

    def initial_point(self) -> dict[str, Any]:
        """Unconstrained start (``<name>_z``) at the prior medians."""
        draws = self.sample_prior(4001, np.random.default_rng(20240601))
        med = {k: float(np.median(v)) for k, v in draws.items()}
        base = dict(med)
        for p in self.params:
            if p.kind == "amplitude":
                base[p.name] = med[p.name] * self.reference[p.input] ** (-med[p.exponent])
        z = {}
        block = self.pivot_block()
        if block is not None:
            floor, amps = block
            z_loss, z_floor, z_shares = self.block_inverse(base[floor.name],
                                                           [base[a.name] for a in amps])
            z["loss_ref_z"], z[f"{floor.name}_z"] = z_loss, z_floor
            z.update({f"{a.name}_z": v for a, v in zip(amps, z_shares, strict=False)})
        for p in self.sampled():
            if f"{p.name}_z" in z or (block and p in block[1]):
                continue
            amp = self.slope_pair(p)
            if amp is not None:  # z = log(alpha · A_ref / L_ref)
                z[f"{p.name}_z"] = math.log(med[p.name] * base[amp.name] / self._ref_loss(base))
            else:
                z[f"{p.name}_z"] = self.coordinate(p).inverse(base[p.name])
        if self.n_groups:
            z["run_effect_z"] = np.zeros(self.n_groups)
        return z

    def pivot_block(self) -> tuple[Param, list[Param]] | None:
        """(floor, amplitudes) sampled jointly through the loss at the pivot, or None.

        For an additive law far from saturation the data fix the loss at the reference point,
        ``L_ref = E + Σ A_ref``, but hardly how it splits between the floor and the terms: E
        and the A_ref trade off along a curved ridge. So the sampler moves in
        ``log L_ref``, ``logit(E / min(L_min, L_ref))`` and stick-breaking logits of the
        terms' shares of ``R = L_ref − E`` (see :meth:`block_forward`). Used when E and every
        amplitude are sampled on their default ranges; otherwise each parameter has its own
        :class:`Coordinate`.
        """
        if not self.law.additive:
            return None
        floors = [p for p in self.law.params if p.kind == "floor"]
        amps = [p for p in self.law.params if p.kind == "amplitude"]
        if len(floors) != 1 or not amps:
            return None
        (floor,) = floors
        if self.prior_for(floor)[1].is_fixed or self.coordinate(floor) != Coordinate(
                0.0, self.loss_min):
            return None
        if any(self.prior_for(a)[1].is_fixed or self.coordinate(a) != Coordinate(0.0)
               for a in amps):
            return None
        return floor, amps

    @staticmethod
    def block_forward(xp: Any, z_loss: Any, z_floor: Any, z_shares: list[Any],
                      loss_min: Any) -> tuple[Any, list[Any], Any]:
        """(E, [A_ref ...], log|Jacobian|) from the block's coordinates.

        ``L = exp(z_loss)``; ``E = min(L_min, L)·sigmoid(z_floor)``; ``R = L − E``; the k-th
        of K terms gets ``share_k = sigmoid(z_k)·(1 − Σ_{j<k} share_j)`` (the last the rest)
        and ``A_ref_k = share_k·R``. log|J| = z_loss + log ∂E/∂z_floor
        + Σ log(σ_k (1 − σ_k) rest_k) + (K − 1)·log R.
        """
        def log_sigmoid(z: Any) -> Any:
            return -xp.logaddexp(0.0, -z)

        loss = xp.exp(z_loss)
        cap = xp.minimum(loss_min, loss)
        floor = cap * xp.exp(log_sigmoid(z_floor))
        log_jac = z_loss + xp.log(cap) + log_sigmoid(z_floor) + log_sigmoid(-z_floor)
        # written without differences of near-equal numbers, so tiny shares stay accurate
        reducible = (loss - cap) + cap * xp.exp(log_sigmoid(-z_floor))
        log_rest, shares = 0.0, []
        for z in z_shares:
            shares.append(xp.exp(log_rest + log_sigmoid(z)))
            log_jac = log_jac + log_sigmoid(z) + log_sigmoid(-z) + log_rest
            log_rest = log_rest + log_sigmoid(-z)
        shares.append(xp.exp(log_rest))
        log_jac = log_jac + len(z_shares) * xp.log(reducible)
        return floor, [share * reducible for share in shares], log_jac

    def block_inverse(self, floor: float, amps: list[float]) -> tuple[float, float, list[float]]:
        """(z_loss, z_floor, [z_share ...]) for given E and A_ref values."""
        loss = floor + sum(amps)
        u = min(max(floor / min(self.loss_min, loss), 1e-9), 1 - 1e-9)
        reducible, rest, z_shares = loss - floor, 1.0, []
        for a in amps[:-1]:
            s = min(max(a / reducible / rest, 1e-9), 1 - 1e-9)
            z_shares.append(math.log(s / (1 - s)))
            rest -= a / reducible
        return math.log(loss), math.log(u / (1 - u)), z_shares

    def z_names(self) -> list[str]:
        """Names of the sampler's coordinates, in the model's order."""
        names = []
        block = self.pivot_block()
        if block is not None:
            floor, amps = block
            names += ["loss_ref_z", f"{floor.name}_z", *(f"{a.name}_z" for a in amps[:-1])]
        in_block = set() if block is None else {block[0].name, *(a.name for a in block[1])}
        sampled = [p for p in self.params if not self.prior_for(p)[1].is_fixed
                   and p.name not in in_block]
        names += [f"{p.name}_z" for p in sampled if p.kind != "exponent"]
        names += [f"{p.name}_z" for p in sampled if p.kind == "exponent"]
        if self.n_groups:
            names.append("run_effect_z")
        return names

    def transform(self, xp: Any, z: Mapping[str, Any], number: Any) -> Transformed:
        """From the sampler's coordinates to the natural parameters, written once for numpy
        and PyTensor.

        ``z`` maps :meth:`z_names` to values; ``number(name)`` gives a value of
        :meth:`settings` (a float, or a symbolic stand-in in the graph). Returns the natural
        parameters, one prior term per prior (target value and log-Jacobian of its
        coordinate) and the joint log-Jacobian of the pivot block (0 without one).
        """
        theta: dict[str, Any] = {}  # natural values
        base: dict[str, Any] = {}   # base values (<amp>_ref for amplitudes)
        jac: dict[str, Any] = {}
        terms: list[tuple[str, Prior, Any, Any]] = []

        def term(p: Param, target: Any, log_jac: Any) -> None:
            key, prior = self.prior_for(p)
            terms.append((key, prior, target, log_jac))

        def log_ref(p: Param) -> Any:
            return number(f"log_{p.input}_ref") if p.kind == "amplitude" else None

        def coordinate(p: Param) -> tuple[Any, Any]:
            c = self.coordinate(p)
            has_lo, has_hi = c.ends
            return c.forward(xp, z[f"{p.name}_z"],
                             number(f"{p.name}_lo") if has_lo else None,
                             number(f"{p.name}_hi") if has_hi else None)

        # 1. floor, noise and amplitude bases: none depends on an exponent
        block_jac: Any = 0.0
        block = self.pivot_block()
        if block is not None:  # E and the A_ref jointly, through the loss at the pivot
            floor, amps = block
            e, a_refs, block_jac = self.block_forward(
                xp, z["loss_ref_z"], z[f"{floor.name}_z"],
                [z[f"{a.name}_z"] for a in amps[:-1]], number("loss_min"))
            base[floor.name], jac[floor.name] = e, 0.0
            term(floor, e, 0.0)
            for a, a_ref in zip(amps, a_refs, strict=True):
                base[a.name], jac[a.name] = a_ref, 0.0
                if self.prior_for(a)[0] == a.base_name:
                    term(a, a_ref, 0.0)
        in_block = set() if block is None else {block[0].name, *(a.name for a in block[1])}
        for p in self.params:
            key, prior = self.prior_for(p)
            if p.kind == "exponent" or p.name in in_block or (
                    p.kind == "amplitude" and key != p.base_name and prior.is_fixed):
                continue
            if prior.is_fixed:
                base[p.name] = number(f"prior_{key}_value")
                continue
            base[p.name], jac[p.name] = coordinate(p)
            if key == p.base_name:
                term(p, base[p.name], jac[p.name])
        theta.update({p.name: base[p.name] for p in self.params
                      if p.kind not in ("exponent", "amplitude")})
        # 2. exponents, as slopes at the pivot where the law allows it
        for p in self.params:
            if p.kind != "exponent":
                continue
            key, prior = self.prior_for(p)
            if prior.is_fixed:
                theta[p.name] = number(f"prior_{key}_value")
                continue
            amp = self.slope_pair(p)
            if amp is not None:
                log_value = (z[f"{p.name}_z"] + xp.log(self._ref_loss(base, xp))
                             - xp.log(base[amp.name]))
                theta[p.name] = xp.exp(log_value)
                term(p, theta[p.name], log_value)
            else:
                theta[p.name], log_jac = coordinate(p)
                term(p, theta[p.name], log_jac)
        # 3. natural amplitudes A = A_ref·N_ref^alpha (or fixed A)
        for p in self.params:
            if p.kind != "amplitude":
                continue
            key, prior = self.prior_for(p)
            if key != p.base_name and prior.is_fixed:
                theta[p.name] = number(f"prior_{key}_value")
                continue
            theta[p.name] = self.to_natural(p, base[p.name], theta, xp, log_ref(p))
            if key != p.base_name:  # prior on natural A: log|dA/dz| adds alpha·log N_ref
                term(p, theta[p.name], jac[p.name] + theta[p.exponent] * log_ref(p))
        # 4. run effects u = tau·z with z ~ Normal(0, 1) (non-centred)
        if self.n_groups:
            zu = z["run_effect_z"]
            theta["run_effect"] = zu * xp.expand_dims(theta["tau"], -1)
            block_jac = block_jac + (-0.5 * xp.sum(zu * zu, axis=-1)
                                     - 0.5 * self.n_groups * math.log(2 * math.pi))
        return Transformed(theta, terms, block_jac)

    def _ref_loss(self, base: Mapping[str, Any], xp: Any = math) -> Any:
        """``L_ref = E + Σ <amp>_ref`` of an additive law, from base values."""
        total = base[next(p.name for p in self.law.params if p.kind == "floor")]
        for p in self.law.params:
            if p.kind == "amplitude":
                total = total + base[p.name]
        return total

    def settings(self) -> dict[str, float]:
        """Every number the graph uses besides the runs, in a fixed order.

        They enter the model as one ``pm.Data`` vector (``settings``): one input instead of
        dozens keeps the numba compile short, and a new dataset or new prior values only change
        this vector, not the graph.
        """
        out = {"loss_min": self.loss_min}
        # in the law's input order, not the dict's: a spec loaded from JSON (sorted keys) must
        # pack its numbers into the same slots as a fresh one
        out.update({f"log_{k}_ref": math.log(self.reference[k]) for k in self.law.inputs})
        for p in self.params:
            key, prior = self.prior_for(p)
            if not prior.is_fixed:
                c = self.coordinate(p)
                if c.ends[0]:
                    out[f"{p.name}_lo"] = c.lo
                if c.ends[1]:
                    out[f"{p.name}_hi"] = c.hi
            for name, value in prior.params.items():
                out[f"prior_{key}_{name}"] = value
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


def model_inputs(spec: ModelSpec, runs: Runs) -> dict[str, np.ndarray]:
    """The values of the model's ``pm.Data`` (by name): the runs and the packed settings.

    A model built for one (spec, runs) is reused for another with the same
    ``spec.structure()`` by swapping these values in (``pm.set_data`` or nutpie's
    ``with_data``)."""
    out = {f"log_{k}": runs.log(k) for k in spec.law.inputs}
    out["observed_value"] = spec.likelihood.link(runs.y)
    if spec.n_groups:
        out["run_index"] = runs.groups[0]
    out["settings"] = np.fromiter(spec.settings().values(), dtype=float)
    return out


def build_model(spec: ModelSpec, runs: Runs) -> Any:
    """Build the PyMC model for ``spec`` on ``runs``. Nothing is sampled here.

    Deterministics: every public parameter that varies (``spec.free_params``) and ``location``
    (the law's output per run, e.g. the log mean loss; not stored in traces)."""
    import pymc as pm
    import pytensor.tensor as pt

    law = spec.law
    slot = {name: i for i, name in enumerate(spec.settings())}
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

        init = spec.initial_point()
        z = {name: pm.Flat(name, initval=init[name],
                           **({"dims": GROUP_DIM} if name == "run_effect_z" else {}))
             for name in spec.z_names()}
        out = spec.transform(pt, z, number)
        for key, prior, target, log_jac in out.terms:
            params = {k: number(f"prior_{key}_{k}") for k in prior.params}
            pm.Potential(f"prior_{key}", prior.logp(target, params) + log_jac)
        if spec.pivot_block() is not None or spec.n_groups:
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
