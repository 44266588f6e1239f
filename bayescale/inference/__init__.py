"""Layer ``inference``: the one place that knows samplers (:mod:`~bayescale.inference.samplers`:
nutpie, PyMC, NumPyro), the compile-free MAP + Laplace path
(:mod:`~bayescale.inference.laplace`), and :func:`~bayescale.inference.run.sample_fit`, which
turns one resolved model on one set of runs into a fit. One model, one fit: comparing,
backtesting and learning δ (which refit) live in ``evaluation``.

May import: ``errors``, ``priors``, ``laws``, ``data``, ``model``, ``diagnostics``, ``results``.
"""

from .samplers import METHODS, SAMPLERS, SamplerSettings, compiled_model, sample

__all__ = ["METHODS", "SAMPLERS", "SamplerSettings", "compiled_model", "sample"]
