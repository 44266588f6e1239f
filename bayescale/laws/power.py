"""Single-variable power law with an irreducible offset."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ..errors import SpecError
from ..priors import Prior
from .base import INPUT_DOC, INPUTS, Law, Param, Scales, reducible_terms


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

    def __init__(self, x: str = "N") -> None:
        if x not in INPUTS:
            raise SpecError(f"law 'power': x must be one of {', '.join(INPUTS)}, got {x!r}")
        self.x = x
        self.inputs = (x,)
        self.params = (
            Param("E", "floor", "irreducible loss"),
            Param("A", "amplitude", f"scale of the reducible term in {x} ({INPUT_DOC[x]})",
                  exponent="alpha", input=x),
            Param("alpha", "exponent", f"decay exponent in {x}"),
        )

    def options(self) -> dict[str, Any]:
        return {"x": self.x}

    def location(self, xp: Any, logx: Mapping[str, Any], theta: Mapping[str, Any]) -> Any:
        return reducible_terms(xp, theta["E"], xp.log(theta["A"]) - theta["alpha"] * logx[self.x])

    def default_priors(self, scales: Scales) -> dict[str, Prior]:
        return {
            "E": Prior("Beta", alpha=2.0, beta=2.0, lower=0.0, upper=scales.loss_min),
            "A_ref": Prior("LogNormal", mu=math.log(scales.reducible), sigma=1.5),
            "alpha": Prior("LogNormal", mu=math.log(0.2), sigma=0.8),
        }
