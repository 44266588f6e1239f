"""Layer ``model``: what a model is. The user's choices (:class:`ModelConfig`), the resolved
specification (:class:`ModelSpec`), the sampler's coordinates (computed once per spec,
``spec.sampling``), likelihoods, and the PyMC graph (:func:`build_model`; PyMC is imported only
when a graph is built).

May import: ``errors``, ``priors``, ``laws``, ``data``.
"""

from .config import MIN_RUNS, ModelConfig, check_size
from .coordinates import Coordinate, Sampling, Transformed, block_forward
from .graph import GROUP_DIM, OBSERVED, RUN_DIM, build_model, model_inputs
from .likelihoods import LIKELIHOODS, Likelihood, get_likelihood
from .spec import ModelSpec

__all__ = ["GROUP_DIM", "LIKELIHOODS", "MIN_RUNS", "OBSERVED", "RUN_DIM", "Coordinate",
           "Likelihood", "ModelConfig", "ModelSpec", "Sampling", "Transformed", "block_forward",
           "build_model", "check_size", "get_likelihood", "model_inputs"]
