"""Plots (matplotlib only): keyword-only arguments, ``ax=None`` in, Axes out, no global state.

Each plot has a data twin (``extrapolation`` ↔ ``ScalingFit.bands``, ``frontier`` ↔
:func:`bayescale.optimal.frontier_bands`, ``calibration`` ↔ :func:`bayescale.evaluate.backtest`,
``ppc`` ↔ ``ScalingFit.residuals``).
"""

from .checks import calibration, ppc
from .extrapolation import extrapolation
from .frontier import frontier
from .pairs import pairs

__all__ = ["calibration", "extrapolation", "frontier", "pairs", "ppc"]
