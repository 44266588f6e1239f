"""Layer ``decisions``: compute-optimal allocation and the inverse questions, per draw
(:mod:`~bayescale.decisions.allocation`, numpy on (law, draws) only), their tables from a fit
(:mod:`~bayescale.decisions.tables`), cost (:mod:`~bayescale.decisions.cost`) and designs placed
by the optimum (:mod:`~bayescale.decisions.design`). Reads fits; never refits.

May import: ``errors``, ``priors``, ``laws``, ``data``, ``model``, ``diagnostics``, ``results``.
"""

from .allocation import (
    FORWARD_QUANTITIES,
    QUANTITY_DOC,
    allocation_draws,
    closed_form,
    compute_for_loss_draws,
    halving_draws,
    has_allocation,
    is_compute_only,
    is_one_input,
    regret_draws,
    stopping_draws,
)
from .cost import Cost
from .design import isoflop_design
from .tables import (
    compute_for_loss,
    frontier_bands,
    halving,
    optimal,
    probability_below,
    quantiles,
    regret,
    stopping,
    wide,
)

__all__ = [
    "FORWARD_QUANTITIES", "QUANTITY_DOC", "Cost", "allocation_draws", "closed_form",
    "compute_for_loss", "compute_for_loss_draws", "frontier_bands", "halving", "halving_draws",
    "has_allocation", "is_compute_only", "is_one_input", "isoflop_design", "optimal",
    "probability_below", "quantiles", "regret", "regret_draws", "stopping", "stopping_draws",
    "wide",
]
