"""Layer ``evaluation``: everything that refits — backtests (:mod:`~bayescale.evaluation.backtest`),
PSIS-LOO, leave-future-out, stacking and model averages (:mod:`~bayescale.evaluation.compare`),
learning the model discrepancy δ (:mod:`~bayescale.evaluation.discrepancy`) and the point-fit
baselines users would otherwise run (:mod:`~bayescale.evaluation.baselines`).

May import every layer below ``workflow``: ``errors``, ``priors``, ``laws``, ``data``, ``model``,
``diagnostics``, ``results``, ``decisions``, ``inference``.
"""

from .backtest import COVERAGE_PROBS, Backtest, aggregate, backtest, holdout_mask, score_fit
from .compare import ModelAverage, compare, lfo, loo, pointwise_loglik, stacking_weights
from .discrepancy import estimate, learn_discrepancy

__all__ = ["COVERAGE_PROBS", "Backtest", "ModelAverage", "aggregate", "backtest", "compare",
           "estimate", "holdout_mask", "learn_discrepancy", "lfo", "loo", "pointwise_loglik",
           "score_fit", "stacking_weights"]
