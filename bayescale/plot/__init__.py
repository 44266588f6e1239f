"""Plots (matplotlib only): keyword-only arguments, ``ax=None`` in, Axes out, no global state.

Each plot has a data twin on the fit (``extrapolation`` ↔ ``ScalingFit.bands``).
"""

from .extrapolation import extrapolation

__all__ = ["extrapolation"]
