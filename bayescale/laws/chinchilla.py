"""The Chinchilla law of Hoffmann et al. (2022), Eq. 2."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ..priors import Prior
from .base import Law, Param, Scales, reducible_terms


class Chinchilla(Law):
    r"""``L = E + A/N^alpha + B/D^beta`` (Hoffmann et al. 2022, Eq. 2).

    Computed as ``log L = log(E + exp(log A − alpha·log N) + exp(log B − beta·log D))``; the
    log-sum-exp form Hoffmann and Epoch fit with a Huber loss on ``log L``.

    Default priors (modeling.md §4.2):

    * ``E ~ Beta(2, 2)`` rescaled to (0, lowest observed loss): on the Chinchilla data
      E/min(L) = 1.817/2.077 = 0.875, well inside; Beta(2, 2) keeps an unidentified floor off
      the bounds.
    * ``A_ref = A·N_ref^(−alpha)`` and ``B_ref = B·D_ref^(−beta)`` ~ LogNormal(log(ȳ_red/2), 1.5),
      each term's reducible loss at the reference scale (geometric means of N and D), with
      ``ȳ_red = median(L) − min(L)/2``. Priors on ``A``/``B`` themselves may be given instead.
    * ``alpha, beta ~ LogNormal(log 0.3, 0.6)``, 95% in [0.09, 0.97]: published offset-form
      language-model values are 0.18–0.37 (Chinchilla 0.34/0.28, Epoch 0.35/0.37,
      Muennighoff 0.35, OLMo-Hybrid 0.18–0.25).
    """

    name = "chinchilla"
    formula = "L = E + A / N^alpha + B / D^beta"
    description = "joint law in parameters N and tokens D (Hoffmann et al. 2022)"
    additive = True
    inputs = ("N", "D")
    params = (
        Param("E", "floor", "irreducible loss"),
        Param("A", "amplitude", "scale of the parameter term", exponent="alpha", input="N"),
        Param("B", "amplitude", "scale of the data term", exponent="beta", input="D"),
        Param("alpha", "exponent", "parameter exponent"),
        Param("beta", "exponent", "data exponent"),
    )

    def location(self, xp: Any, logx: Mapping[str, Any], theta: Mapping[str, Any]) -> Any:
        return reducible_terms(
            xp,
            theta["E"],
            xp.log(theta["A"]) - theta["alpha"] * logx["N"],
            xp.log(theta["B"]) - theta["beta"] * logx["D"],
        )

    def default_priors(self, scales: Scales) -> dict[str, Prior]:
        amp = Prior("LogNormal", mu=math.log(scales.reducible / 2.0), sigma=1.5)
        exponent = Prior("LogNormal", mu=math.log(0.3), sigma=0.6)
        return {
            "E": Prior("Beta", alpha=2.0, beta=2.0, lower=0.0, upper=scales.loss_min),
            "A_ref": amp,
            "B_ref": amp,
            "alpha": exponent,
            "beta": exponent,
        }


class LearningCurve(Chinchilla):
    r"""Chinchilla along training: ``log L_ij = log L(N_i, D_ij) + u_i + ε_ij``.

    For checkpoints (many rows per run): ``D`` is the tokens seen at each checkpoint, and the
    ``run`` column says which checkpoints belong to one training run. Checkpoints of a run share
    its seed, data order and schedule, so their residuals are correlated; treating them as
    independent makes the intervals falsely narrow by about the square root of the number of
    checkpoints per run. The run effect ``u_i ~ Normal(0, tau)`` absorbs that (sampled
    non-centred, ``u = tau·z``). Predictions for a new run include a new ``u``; predictions for
    a fitted run (a ``run`` column in the points) use that run's effect, e.g. to forecast the
    final loss of a partially trained run.

    Priors as ``chinchilla``, plus ``tau ~ HalfNormal(0.05)`` on log loss (seed-to-seed
    variation is up to ~3.5%, Choshen et al. 2025).
    """

    name = "learning_curve"
    formula = "log L = log(E + A/N^alpha + B/D^beta) + u_run,  u_run ~ Normal(0, tau)"
    description = "checkpoints along training runs, with a run-level random effect"
    grouped = True
    params = (*Chinchilla.params,
              Param("tau", "positive", "sd of the run effect on log loss"))

    def default_priors(self, scales: Scales) -> dict[str, Prior]:
        return {**super().default_priors(scales), "tau": Prior("HalfNormal", sigma=0.05)}
