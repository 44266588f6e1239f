"""Two-step forecasts of downstream accuracy: loss law, then accuracy from loss.

Step 1 is any fitted loss law (e.g. ``chinchilla`` on the small runs); step 2 an
``accuracy_from_loss`` fit on (loss, accuracy) pairs. At a new (N, D) each posterior draw of the
loss law gives a mean loss, which a draw of the accuracy law turns into an accuracy: the bands
carry both posteriors (Llama 3 §3.2.1 and the OLMo ladder do the same with point fits, so
their forecasts have no interval).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..data.points import as_points, check_prob
from ..errors import SpecError
from ..model.predictive import PREDICTIVE_SEED, location_draws
from .fit import ScalingFit


class TwoStep:
    """A loss fit chained into an accuracy-from-loss fit (see the module docstring)."""

    def __init__(self, loss_fit: ScalingFit, accuracy_fit: ScalingFit) -> None:
        if loss_fit.law.response != "loss":
            raise SpecError(f"two_step: the first fit must be a loss law, got "
                            f"{loss_fit.law.name!r}")
        if accuracy_fit.law.inputs != ("loss",) or accuracy_fit.law.response != "accuracy":
            raise SpecError("two_step: the second fit must map loss to accuracy (law "
                            f"'accuracy_from_loss'), got {accuracy_fit.law.name!r}")
        self.loss_fit, self.accuracy_fit = loss_fit, accuracy_fit

    def predict(self, points: Any, prob: float = 0.95,
                seed: int = PREDICTIVE_SEED) -> pd.DataFrame:
        """Accuracy at new points of the loss law's inputs: the points, ``loss`` (posterior
        median of the mean loss), ``prob``, ``median``/``lower``/``upper`` (mean accuracy) and
        ``pp_lower``/``pp_upper`` (a new model's measured accuracy)."""
        prob = check_prob(prob)
        loss_law = self.loss_fit.law
        table = as_points(points, loss_law, columns=self.loss_fit.runs.columns)
        loss_loc = location_draws(loss_law, self.loss_fit.draws(), table)
        loss = self.loss_fit.likelihood.natural(loss_loc)                 # (S, P)
        acc_draws = self.accuracy_fit.draws()
        rng = np.random.default_rng(seed)
        n_acc = len(next(iter(acc_draws.values())))
        pick = rng.integers(0, n_acc, loss.shape[0])                      # pair the draws
        theta = {k: v[pick] for k, v in acc_draws.items()}
        acc_law = self.accuracy_fit.law
        th = {k: v[:, None] for k, v in theta.items()}
        location = np.asarray(acc_law.location(np, {"loss": np.log(loss)}, th))
        lik = self.accuracy_fit.likelihood
        q = [(1 - prob) / 2, 0.5, (1 + prob) / 2]
        lo, med, hi = np.quantile(lik.natural(location), q, axis=0)
        pp_lo, pp_hi = np.quantile(lik.simulate(rng, location, theta), [q[0], q[2]], axis=0)
        out = table.copy()
        out["loss"] = np.median(loss, axis=0)
        out["prob"] = prob
        out["median"], out["lower"], out["upper"] = med, lo, hi
        out["pp_lower"], out["pp_upper"] = pp_lo, pp_hi
        out.attrs.update({"prob": prob, "interval": "equal-tailed",
                          "law": f"{loss_law.name} -> {acc_law.name}"})
        return out


def two_step(loss_fit: ScalingFit, accuracy_fit: ScalingFit) -> TwoStep:
    """Chain a loss fit and an accuracy-from-loss fit; ``.predict(points)`` gives accuracy
    bands that include the loss law's uncertainty."""
    return TwoStep(loss_fit, accuracy_fit)
