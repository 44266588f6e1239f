"""Layer ``diagnostics``: checks that need only draws, a spec and runs — convergence (R-hat,
ESS, divergences), prior bounds, shrinkage, design, residual structure, extrapolation distance.
Each returns plain messages or tables; nothing here samples or refits.

May import: ``errors``, ``priors``, ``laws``, ``data``, ``model``.
"""

from . import checks
from ._arviz import convergence

__all__ = ["checks", "convergence"]
