"""The registry of ``bayescale`` commands: name → the module that implements it and its one-line
help. A command's module is imported only when that command runs, so ``bayescale --help``
imports none of them (nor PyMC, ArviZ or matplotlib).

Each module has ``add_parser(subparsers)`` and ``run(args) -> int``, and may have
``outputs(args) -> {dest: kind}``: the output paths the CLI checks
(:func:`bayescale.cli.output.check_output`) before ``run`` does any work.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import NamedTuple


class Command(NamedTuple):
    module: str
    summary: str


COMMANDS: dict[str, Command] = {
    "fit": Command("fit", "fit a law to a runs table (MCMC) and save the posterior"),
    "summary": Command("summary", "parameter table with credible intervals and diagnostics"),
    "predict": Command("predict", "predicted loss (or accuracy) with intervals at new N, D (or C)"),
    "plot": Command("plot", "extrapolation fan chart (PNG, PDF or SVG)"),
    "optimal": Command("optimal", "compute-optimal N, D and loss at a budget, and inverse "
                                  "questions"),
    "check": Command("check", "how well the law fits its runs: residuals, PIT, shrinkage, "
                              "warnings"),
    "backtest": Command("backtest", "hold out the largest runs, fit the rest, score the "
                                    "held-out runs"),
    "compare": Command("compare", "compare law families on the same runs: PSIS-LOO and "
                                  "leave-future-out"),
    "report": Command("report", "HTML + Markdown report of a fit (or a LaTeX parameter table)"),
    "simulate": Command("simulate", "synthetic runs from a law with known parameters (CSV)"),
    "datasets": Command("datasets", "public scaling datasets: list them, fetch one as a tidy "
                                    "CSV"),
    "laws": Command("laws", "list the available laws"),
    "priors": Command("priors", "the default priors learned from public studies; learn "
                                "priors from your own past studies"),
}


def load(name: str) -> ModuleType:
    """The module of command ``name`` (imported now)."""
    return importlib.import_module(f"{__name__}.{COMMANDS[name].module}")


__all__ = ["COMMANDS", "Command", "load"]
