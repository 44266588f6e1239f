"""Broken neural scaling laws (Caballero et al., ICLR 2023), with one or two breaks."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..errors import SpecError
from ..priors import Prior
from .base import INPUT_DOC, Law, Param, Scales


class BrokenPowerLaw(Law):
    r"""``L = a + b·X^(−c0) · Π_i (1 + (X/d_i)^(1/f_i))^(−c_i·f_i)``, i = 1..breaks.

    A power law whose slope changes by ``c_i`` around ``X = d_i``, over a width set by ``f_i``
    (smaller: sharper). With no break it is ``power``.

    Default priors: ``a`` as the floor E of ``power`` (Beta(2, 2) on (0, lowest loss));
    ``b_ref = b·X_ref^(−c0) ~ LogNormal(log ȳ_red, 1.5)``; ``c0 ~ LogNormal(log 0.2, 0.8)``;
    ``c_i ~ Normal(0, 0.3)`` (a break may steepen or flatten the law); ``f_i ~
    LogNormal(0, 1)``; and each break location inside the observed range: ``log d_i ~
    Normal`` centred at 1/2 (one break) or 1/3 and 2/3 (two breaks) of the observed
    ``log X`` range, with sd a quarter (one break) or a sixth (two breaks) of that range. A break
    outside the data is not identified (the paper discusses the limits of predicting breaks);
    :meth:`checks` warns when the posterior of ``d_i`` is barely narrower than its prior.
    """

    name = "bnsl"
    description = "smoothly broken power law with 1 or 2 breaks (Caballero et al. 2022)"

    def __init__(self, x: str = "C", breaks: int = 1) -> None:
        if x not in ("N", "D", "C"):
            raise SpecError(f"law 'bnsl': x must be one of N, D, C, got {x!r}")
        try:
            breaks = int(breaks)
        except (TypeError, ValueError):
            raise SpecError(f"law 'bnsl': breaks must be 1 or 2, got {breaks!r}") from None
        if breaks not in (1, 2):
            raise SpecError(f"law 'bnsl': breaks must be 1 or 2, got {breaks}")
        self.x, self.breaks = x, breaks
        self.inputs = (x,)
        self.formula = (f"L = a + b*{x}^(-c0) * prod_i (1 + ({x}/d_i)^(1/f_i))^(-c_i*f_i), "  # type: ignore[misc]
                        f"i = 1..{breaks}")
        params = [Param("a", "floor", "irreducible loss"),
                  Param("b", "amplitude", f"scale of the first segment in {x} "
                        f"({INPUT_DOC[x]})", exponent="c0", input=x),
                  Param("c0", "exponent", "slope of the first segment")]
        for i in range(1, breaks + 1):
            params += [Param(f"c{i}", "real", f"change of slope at break {i}"),
                       Param(f"d{i}", "scale", f"location of break {i} (in {x})", input=x),
                       Param(f"f{i}", "positive", f"width of break {i} (smaller: sharper)")]
        self.params = tuple(params)

    def options(self) -> dict[str, Any]:
        return {"x": self.x, "breaks": self.breaks}

    def location(self, xp: Any, logx: Mapping[str, Any], theta: Mapping[str, Any]) -> Any:
        lx = logx[self.x]
        log_term = xp.log(theta["b"]) - theta["c0"] * lx
        for i in range(1, self.breaks + 1):
            f = theta[f"f{i}"]
            u = (lx - xp.log(theta[f"d{i}"])) / f
            log_term = log_term - theta[f"c{i}"] * f * xp.logaddexp(0.0, u)  # softplus
        return xp.log(theta["a"] + xp.exp(log_term))

    def default_priors(self, scales: Scales) -> dict[str, Prior]:
        lo, hi = scales.log_range[self.x]
        span = max(hi - lo, 1e-3)
        out = {"a": Prior("Beta", alpha=2.0, beta=2.0, lower=0.0, upper=scales.loss_min),
               "b_ref": Prior("LogNormal", mu=math.log(scales.reducible), sigma=1.5),
               "c0": Prior("LogNormal", mu=math.log(0.2), sigma=0.8)}
        for i in range(1, self.breaks + 1):
            centre = lo + span * i / (self.breaks + 1)
            out[f"c{i}"] = Prior("Normal", mu=0.0, sigma=0.3)
            out[f"d{i}"] = Prior("LogNormal", mu=centre, sigma=span / (4 if self.breaks == 1
                                                                        else 6))
            out[f"f{i}"] = Prior("LogNormal", mu=0.0, sigma=1.0)
        return out

    def checks(self, spec: Any, draws: Mapping[str, np.ndarray]) -> list[str]:
        """Warn when a break's location is hardly learned from the data."""
        out = []
        for i in range(1, self.breaks + 1):
            _key, prior = spec.prior_for(spec.law.param(f"d{i}"))
            if prior.is_fixed or prior.dist != "LogNormal":
                continue
            shrink = float(np.std(np.log(draws[f"d{i}"]))) / prior.params["sigma"]
            if shrink > 0.7:
                out.append(
                    f"break {i} is not identified by the data: the posterior of d{i} is "
                    f"{100 * shrink:.0f}% as wide as its prior; drop the break "
                    f"(breaks={self.breaks - 1 or 'none: use power'}) or add runs around it"
                )
        return out
