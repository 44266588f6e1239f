"""Single-variable power law with an irreducible offset."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ..errors import SpecError
from ..priors import Prior
from .base import INPUT_DOC, Law, Param, Scales, reducible_terms


class PowerLaw(Law):
    r"""``L = E + A · X^(−alpha)`` with X one of N, D or C.

    The founding document writes the same family as ``error = a·N^b + c`` (a = A, b = −alpha,
    c = E). Computed as ``log L = log(E + exp(log A − alpha·log X))``.

    Default priors (data-scaled where stated; modeling.md §4.2):

    * ``E ~ Beta(2, 2)`` rescaled to (0, lowest observed loss): the floor must lie below every
      observed loss; Beta(2, 2) is nearly flat but keeps the posterior off the two bounds when
      the data cannot tell.
    * ``A_ref = A·X_ref^(−alpha) ~ LogNormal(log ȳ_red, 1.5)``, the reducible loss at the
      reference scale X_ref (the geometric mean of the data), with
      ``ȳ_red = median(L) − min(L)/2``: an order of magnitude either way of the observed
      reducible range. A prior on ``A`` itself may be given instead.
    * ``alpha ~ LogNormal(log 0.2, 0.8)``, 95% in [0.04, 0.96]: wider than the N/D exponents of
      the joint law because X may be compute (exponents 0.05–0.18 with an offset, Porian 2024;
      0.178 on the Chinchilla frontier), parameters (0.07 in the founding example; 0.34) or
      tokens (0.28–0.37).
    """

    name = "power"
    formula = "L = E + A * X^(-alpha)"
    description = "single-variable power law with offset; X is one of N, D, C"
    additive = True

    exponent: str = "alpha"
    #: prior median and log-sd of the exponent
    exponent_prior: tuple[float, float] = (0.2, 0.8)

    def __init__(self, x: str = "N") -> None:
        if x not in ("N", "D", "C"):
            raise SpecError(f"law {self.name!r}: x must be one of N, D, C, got {x!r}")
        self.x = x
        self.inputs = (x,)
        e = self.exponent
        self.params = (
            Param("E", "floor", "irreducible loss"),
            Param("A", "amplitude", f"scale of the reducible term in {x} ({INPUT_DOC[x]})",
                  exponent=e, input=x),
            Param(e, "exponent", f"decay exponent in {x}"),
        )

    def options(self) -> dict[str, Any]:
        return {"x": self.x}

    def location(self, xp: Any, logx: Mapping[str, Any], theta: Mapping[str, Any]) -> Any:
        e = self.exponent
        return reducible_terms(xp, theta["E"], xp.log(theta["A"]) - theta[e] * logx[self.x])

    def default_priors(self, scales: Scales) -> dict[str, Prior]:
        median, sd = self.exponent_prior
        return {
            "E": Prior("Beta", alpha=2.0, beta=2.0, lower=0.0, upper=scales.loss_min),
            "A_ref": Prior("LogNormal", mu=math.log(scales.reducible), sigma=1.5),
            self.exponent: Prior("LogNormal", mu=math.log(median), sigma=sd),
        }


class Compute(PowerLaw):
    r"""``L = E + A · C^(−gamma)``: loss against training compute.

    C is read from the data, or derived as ``C = k·N·D`` with ``k = 6`` FLOPs per parameter per
    token (the Kaplan/Hoffmann convention; DeepSeek's ``C = M·D`` or a count including attention
    FLOPs are others: pass ``k=...``, or give C). The convention used is stated in the fit's
    notes. Priors as for ``power``, with ``gamma ~ LogNormal(log 0.12, 0.7)``: 95% in
    [0.03, 0.47] (Porian 2024: 0.106; the Chinchilla frontier: 0.155–0.178; Kaplan without an
    offset: 0.05).
    """

    name = "compute"
    formula = "L = E + A * C^(-gamma)"
    description = "loss against training compute C (given, or k*N*D)"
    exponent = "gamma"
    exponent_prior = (0.12, 0.7)

    def __init__(self, k: float = 6.0) -> None:
        try:
            k = float(k)
        except (TypeError, ValueError):
            raise SpecError(f"law 'compute': k must be a number, got {k!r}") from None
        if not k > 0:
            raise SpecError(f"law 'compute': k must be > 0, got {k:g}")
        self.k = k
        super().__init__("C")

    @property
    def compute_k(self) -> float:
        return self.k

    def options(self) -> dict[str, Any]:
        return {"k": self.k}
