"""Kaplan et al. (2020), "Scaling Laws for Neural Language Models": laws without a floor."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ..errors import SpecError
from ..priors import Prior
from .base import INPUT_DOC, Law, Param, Scales

#: Kaplan's single-variable exponents (App. A, Table 5): prior centres.
KAPLAN_ALPHA = {"N": 0.076, "D": 0.095, "C": 0.057}


def _scale_prior(scales: Scales, x: str, alpha: float) -> Prior:
    """``X_c`` where the law reaches 1 nat: from the median loss at the reference scale,
    ``X_c = X_ref · L_med^(1/alpha)``; sigma 6 in log space because ``X_c`` moves by
    ``log L / alpha²`` per unit of alpha (alpha in [0.03, 0.2] spans ~e^±10)."""
    mu = math.log(scales.reference[x]) + math.log(max(scales.loss_median, 1e-3)) / alpha
    return Prior("LogNormal", mu=mu, sigma=6.0)


class KaplanSingle(Law):
    r"""``L = (X_c / X)^alpha_X`` (Kaplan et al. 2020, Table 4), X one of N, D, C.

    No irreducible floor: the loss falls without bound as X grows. ``X_c`` is the scale at which
    the law reaches 1 nat (tokenisation- and unit-dependent); Kaplan: ``alpha_N = 0.076``,
    ``N_c = 8.8e13`` non-embedding parameters; ``alpha_D = 0.095``, ``D_c = 5.4e13`` tokens;
    ``alpha_C = 0.057``, ``C_c = 1.6e7`` PF-days (for C in PF-days).

    Default priors: ``alpha_X ~ LogNormal(log alpha_Kaplan, 0.6)``, 95% within a factor 3.2 of
    Kaplan's value; ``X_c ~ LogNormal(log X_ref + log(median L)/alpha_Kaplan, 6)``, data-scaled
    and wide (``X_c`` is poorly identified: it moves by ``log L/alpha²`` per unit of alpha).
    """

    formula = "L = (X_c / X)^alpha_X"
    description = "Kaplan 2020 single-variable law without a floor"

    def __init__(self, x: str) -> None:
        if x not in KAPLAN_ALPHA:
            raise SpecError(f"Kaplan single-variable laws use N, D or C, got {x!r}")
        self.x = x
        self.name = f"kaplan_{x.lower()}"  # type: ignore[misc]
        self.formula = f"L = ({x}_c / {x})^alpha_{x}"  # type: ignore[misc]
        self.inputs = (x,)
        self.params = (
            Param(f"{x}_c", "scale", f"{INPUT_DOC[x]} at which the law reaches 1 nat",
                  input=x),
            Param(f"alpha_{x}", "exponent", f"decay exponent in {x}"),
        )

    def location(self, xp: Any, logx: Mapping[str, Any], theta: Mapping[str, Any]) -> Any:
        x = self.x
        return theta[f"alpha_{x}"] * (xp.log(theta[f"{x}_c"]) - logx[x])

    def default_priors(self, scales: Scales) -> dict[str, Prior]:
        alpha = KAPLAN_ALPHA[self.x]
        return {f"{self.x}_c": _scale_prior(scales, self.x, alpha),
                f"alpha_{self.x}": Prior("LogNormal", mu=math.log(alpha), sigma=0.6)}

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name}


class Kaplan(Law):
    r"""``L = [(N_c/N)^(alpha_N/alpha_D) + D_c/D]^alpha_D`` (Kaplan et al. 2020, Eq. 1.5).

    The joint law in parameters and tokens, without a floor; Kaplan's fit (Table 2):
    ``alpha_N = 0.076, alpha_D = 0.103, N_c = 6.4e13, D_c = 1.8e13``.

    Default priors: ``alpha_N ~ LogNormal(log 0.076, 0.6)``, ``alpha_D ~ LogNormal(log 0.103,
    0.6)``; ``N_c``, ``D_c`` ~ LogNormal, data-scaled and wide as for the single-variable laws.
    """

    name = "kaplan"
    formula = "L = [(N_c/N)^(alpha_N/alpha_D) + D_c/D]^alpha_D"
    description = "Kaplan 2020 joint law in N and D, without a floor"
    inputs = ("N", "D")
    params = (
        Param("N_c", "scale", "parameter scale of the N term", input="N"),
        Param("D_c", "scale", "token scale of the D term", input="D"),
        Param("alpha_N", "exponent", "parameter exponent"),
        Param("alpha_D", "exponent", "data exponent"),
    )

    def location(self, xp: Any, logx: Mapping[str, Any], theta: Mapping[str, Any]) -> Any:
        a_n, a_d = theta["alpha_N"], theta["alpha_D"]
        n_term = a_n / a_d * (xp.log(theta["N_c"]) - logx["N"])
        d_term = xp.log(theta["D_c"]) - logx["D"]
        return a_d * xp.log(xp.exp(n_term) + xp.exp(d_term))

    def default_priors(self, scales: Scales) -> dict[str, Prior]:
        return {"N_c": _scale_prior(scales, "N", 0.076), "D_c": _scale_prior(scales, "D", 0.103),
                "alpha_N": Prior("LogNormal", mu=math.log(0.076), sigma=0.6),
                "alpha_D": Prior("LogNormal", mu=math.log(0.103), sigma=0.6)}
