"""Muennighoff et al. (2023), "Scaling Data-Constrained Language Models": repeated data."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ..priors import Prior
from .base import Law, Param, Scales
from .chinchilla import Chinchilla


class DataConstrained(Law):
    r"""``L = E + A/N'^alpha + B/D'^beta`` with effective data D' and parameters N'.

    With U unique tokens, ``R_D = D/U − 1`` repeated epochs and ``U_N = min(N, N_opt(U))``
    (the compute-optimal size for U tokens, ``N_opt(U) = (U·G)^(beta/alpha)·G`` with
    ``G = (alpha·A/(beta·B))^(1/(alpha+beta))``), ``R_N = N/U_N − 1``:

    ``D' = U + U·R_D*·(1 − exp(−R_D/R_D*))``, ``N' = U_N + U_N·R_N*·(1 − exp(−R_N/R_N*))``.

    Repeated tokens are worth less and less (``R_D*``: after about that many repetitions extra
    epochs stop helping); so are parameters beyond what the unique data can use (``R_N*``).
    The authors' fit: ``log A = 6.255414, log B = 7.3049974, log E = 0.6254804,
    alpha = beta = 0.3526596, R_D* = 15.387756, R_N* = 5.309743``.

    Default priors: as ``chinchilla`` for E, A, B, alpha, beta; ``R_D* ~ LogNormal(log 15, 1)``,
    ``R_N* ~ LogNormal(log 5, 1)`` (centred on the published fit, an order of magnitude either
    way at 95%).
    """

    name = "data_constrained"
    formula = "L = E + A/N'^alpha + B/D'^beta (N', D': effective under repetition)"
    description = "repeated data and excess parameters (Muennighoff et al. 2023); needs U"
    inputs = ("N", "D", "U")
    additive = True
    params = (
        *Chinchilla.params,
        Param("R_D_star", "positive", "repetitions after which extra epochs stop helping"),
        Param("R_N_star", "positive", "excess-parameter ratio after which size stops helping"),
    )

    def location(self, xp: Any, logx: Mapping[str, Any], theta: Mapping[str, Any]) -> Any:
        alpha, beta = theta["alpha"], theta["beta"]
        log_a, log_b = xp.log(theta["A"]), xp.log(theta["B"])
        n, d, u = xp.exp(logx["N"]), xp.exp(logx["D"]), xp.exp(logx["U"])
        log_g = (xp.log(alpha) + log_a - xp.log(beta) - log_b) / (alpha + beta)
        n_opt = xp.exp((logx["U"] + log_g) * beta / alpha + log_g)
        u_n = xp.minimum(n, n_opt)
        r_n = n / u_n - 1.0
        r_d = d / u - 1.0
        rd_star, rn_star = theta["R_D_star"], theta["R_N_star"]
        d_eff = u + u * rd_star * (1.0 - xp.exp(-r_d / rd_star))
        n_eff = u_n + u_n * rn_star * (1.0 - xp.exp(-r_n / rn_star))
        return xp.log(theta["E"] + xp.exp(log_a - alpha * xp.log(n_eff))
                      + xp.exp(log_b - beta * xp.log(d_eff)))

    def default_priors(self, scales: Scales) -> dict[str, Prior]:
        return {**Chinchilla().default_priors(scales),
                "R_D_star": Prior("LogNormal", mu=math.log(15.0), sigma=1.0),
                "R_N_star": Prior("LogNormal", mu=math.log(5.0), sigma=1.0)}
