"""Command line: ``bayescale fit | summary | predict | plot | optimal | check | backtest |
compare | report | simulate | datasets | laws``.

A thin layer over the Python API. Heavy modules (PyMC, nutpie, ArviZ, matplotlib) are imported
inside the commands that need them, so ``bayescale --help`` and ``bayescale laws`` are instant.
Exit status: 0 success, 1 user error (bad input, options or files; one line on stderr, no
traceback, no output file), 2 internal error.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .._version import __version__
from ..errors import BayescaleError, BayescaleWarning
from ..inference.samplers import SAMPLERS
from ..model.likelihoods import LIKELIHOODS

EPILOG_OPTIMAL = """examples:
  bayescale optimal fit.nc --compute 1e22,1e24,3.8e25
  bayescale optimal fit.nc --compute 5.76e23 --heuristic 20 --plot frontier.png
  bayescale optimal fit.nc --compute 1e24 --gpu-flops 9.89e14 --mfu 0.4 --price 2.5
  bayescale optimal fit.nc --target-loss 1.9,1.95 --plan N=7e10,D=1.4e12
  bayescale optimal fit.nc --compute 1e24 --parabola        # isoFLOP runs: Approach 2 too
  bayescale optimal lc.nc --run r3 --final-tokens 2e10 --target-loss 2.6
"""

EPILOG_BACKTEST = """examples:
  bayescale backtest runs.csv --law chinchilla --holdout largest:3
  bayescale backtest epoch.csv --query "epoch_outlier == False" --holdout "C>1e21" \\
      --compare point --likelihood laplace --plot calibration.png
  bayescale backtest runs.csv --holdout largest:2 --method map --format json
"""

EPILOG_COMPARE = """examples:
  bayescale compare runs.csv --laws chinchilla,kaplan
  bayescale compare runs.csv --laws power,kaplan_n --x N --holdout largest:2
"""

EPILOG_SIMULATE = """examples:
  bayescale simulate -o founding.csv                  # 100*N^-0.07 + 10, 10 sizes
  bayescale simulate --law chinchilla --N 3e7:1e9:6 --ratios 10,40 --seed 1 -o runs.csv
  bayescale simulate --law chinchilla --isoflop 1e18,1e19,1e20 --sigma 0.005 -o iso.csv
  bayescale simulate --law compute --C 1e17:1e21:8 --params E=1.8,A=60,gamma=0.1 --json
"""

EPILOG_FIT = """examples:
  bayescale fit data/chinchilla_runs.csv --law chinchilla -o fit.nc
  bayescale fit data/founding_example.csv --law power --x N --columns loss=error -o f.nc
  bayescale fit epoch.csv --law chinchilla --likelihood laplace \\
      --query "epoch_outlier == False" --seed 1 -o fit.nc
  bayescale fit runs.csv --law chinchilla --priors priors.toml -o fit.nc

priors.toml (any parameter; a number fixes it):
  nu = 4            # studentt likelihood only
  alpha = { dist = "LogNormal", mu = -1.2, sigma = 0.6 }
  [E]
  dist = "TruncatedNormal"
  mu = 1.7
  sigma = 0.2
"""


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Wrap one-paragraph descriptions; keep multi-line epilogs (examples) as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text:
            return super()._fill_text(text, width, indent)
        return argparse.HelpFormatter._fill_text(self, text, width, indent)


class _Parser(argparse.ArgumentParser):
    """argparse with exit status 1 for usage errors and a one-line message."""

    def error(self, message: str) -> Any:
        self.exit(1, f"{self.prog}: error: {message}\n")


def _probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be between 0 and 1")
    return value


def _number_list(flag: str) -> Any:
    """``"1e22,1e24"`` → [1e22, 1e24]: positive finite numbers."""
    def parse(text: str) -> list[float]:
        out = []
        for part in str(text).split(","):
            part = part.strip()
            if not part:
                continue
            try:
                value = float(part)
            except ValueError:
                raise argparse.ArgumentTypeError(f"{part!r} is not a number") from None
            if not (value == value and 0 < value < float("inf")):
                raise argparse.ArgumentTypeError(f"{part!r}: give a positive finite number")
            out.append(value)
        if not out:
            raise argparse.ArgumentTypeError("give at least one number")
        return out
    parse.__name__ = flag
    return parse


def _int_at_least(minimum: int) -> Any:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{text!r} must be ≥ {minimum}")
        return value

    return parse


_positive_int, _nonnegative_int = _int_at_least(1), _int_at_least(0)


def _add_fit_options(p: argparse.ArgumentParser, law: bool = True) -> None:
    """The law, data and sampler options shared by fit, backtest and compare."""
    if law:
        p.add_argument("--law", default="chinchilla",
                       help="law name (see 'bayescale laws'); default chinchilla")
    p.add_argument("--x", choices=["N", "D", "C"],
                   help="the input of a one-input law (power, bnsl, loglinear, sigmoid)")
    p.add_argument("--expression", metavar="EXPR",
                   help="law 'custom': e.g. \"E + A * N**(-alpha) + B * D**(-beta)\" "
                        "(give a prior for every parameter with --priors)")
    p.add_argument("--chance", type=float, metavar="P",
                   help="accuracy laws: the chance level (0.25 for 4-way multiple choice)")
    p.add_argument("--breaks", type=int, choices=[1, 2], help="law 'bnsl': number of breaks")
    p.add_argument("--k", type=float, metavar="K",
                   help="law 'compute': C = K*N*D when C is not given (default 6)")
    p.add_argument("--likelihood", default=None, choices=list(LIKELIHOODS),
                   help="observation model: studentt (default), laplace or normal on log loss; "
                        "beta (default) or logitnormal for accuracy laws")
    p.add_argument("--priors", metavar="FILE", help="TOML file overriding priors")
    p.add_argument("--columns", metavar="MAP",
                   help="map your column names, e.g. N=params,D=tokens,loss=val_loss")
    p.add_argument("--query", metavar="EXPR",
                   help="keep rows matching a pandas query, e.g. \"epoch_outlier == False\"")
    p.add_argument("--draws", type=_positive_int, default=1000, help="draws per chain (1000)")
    p.add_argument("--tune", type=_nonnegative_int, default=1000,
                   help="tuning steps per chain (1000)")
    p.add_argument("--chains", type=_positive_int, default=4, help="chains (4)")
    p.add_argument("--seed", type=_nonnegative_int, default=None,
                   help="random seed (same seed → same draws); recorded in the file")
    p.add_argument("--target-accept", type=_probability, default=0.9,
                   help="NUTS target acceptance (0.9)")
    p.add_argument("--method", default="mcmc", choices=["mcmc", "map"],
                   help="mcmc (default) or map: the posterior mode with a Laplace approximation "
                        "(no compile, well under a second; approximate)")
    p.add_argument("--sampler", default="nutpie", choices=list(SAMPLERS),
                   help="MCMC back-end (default nutpie)")


def _add_outputs(p: argparse.ArgumentParser, *, plot: str | None = None,
                 table: str | None = None, formats: Sequence[str] = ("text", "csv", "json"),
                 force: str = "replace output files that exist") -> None:
    """The output options commands share: a figure (--plot), a CSV (-o), the printed format
    and --force."""
    if plot:
        p.add_argument("--plot", metavar="FIG.png", help=plot)
    if table:
        p.add_argument("-o", "--output", metavar="OUT.csv", help=table)
    p.add_argument("--format", choices=list(formats), default="text",
                   help="format when printing (default text)")
    p.add_argument("--force", action="store_true", help=force)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="bayescale",
        description="Bayesian inference on neural scaling laws: fit a law to training runs, "
                    "get credible intervals, extrapolate with bands.",
        epilog="run 'bayescale COMMAND --help' for the options and examples of each command",
    )
    parser.add_argument("--version", action="version", version=f"bayescale {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show the full traceback of internal errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = False

    p = sub.add_parser("fit", help="fit a law to a runs table (MCMC) and save the posterior",
                       description="Fit a scaling law to a CSV of training runs with NUTS "
                                   "and save the posterior as NetCDF.",
                       epilog=EPILOG_FIT, formatter_class=_Formatter)
    p.add_argument("runs", help="CSV of runs: columns N (params), D (tokens) and/or C (FLOPs), "
                                "loss")
    _add_fit_options(p)
    p.add_argument("--discrepancy", default=None, metavar="auto|none|DELTA",
                   help="model-discrepancy term for extrapolation: 'auto' learns its size from "
                        "the runs by leave-future-out; a number fixes it (default none)")
    p.add_argument("--prob", type=_probability, default=0.95,
                   help="probability of the printed intervals (0.95)")
    p.add_argument("--by", metavar="COLUMN",
                   help="fit each group of rows sharing COLUMN's value (compiling once); "
                        "-o is then a folder receiving GROUP.nc per group and summary.csv")
    p.add_argument("--workers", type=_positive_int, default=None,
                   help="with --by: fit groups in this many worker processes")
    p.add_argument("-o", "--output", required=True, metavar="FIT.nc",
                   help="output NetCDF file (a folder with --by)")
    p.add_argument("--force", action="store_true", help="replace the output file if it exists")
    p.add_argument("--json", action="store_true",
                   help="print the summary as JSON (as 'bayescale summary --format json')")
    p.add_argument("--quiet", action="store_true", help="print only warnings and errors")

    p = sub.add_parser("summary", help="parameter table with credible intervals and diagnostics",
                       description="Print the posterior of each parameter: median, mean, sd, "
                                   "equal-tailed interval, R-hat, bulk/tail ESS.",
                       epilog="examples:\n  bayescale summary fit.nc --prob 0.9\n"
                              "  bayescale summary fit.nc --format json",
                       formatter_class=_Formatter)
    p.add_argument("fit", help="NetCDF file written by 'bayescale fit'")
    p.add_argument("--prob", type=_probability, default=0.95, help="interval probability (0.95)")
    p.add_argument("--format", choices=["text", "csv", "json"], default="text",
                   help="output format (default text)")

    p = sub.add_parser("predict", help="predicted loss with intervals at new N, D (or C)",
                       description="Evaluate the fitted law on the posterior draws at new "
                                   "points: median and interval of the law's mean, and the "
                                   "posterior-predictive interval of a new run's loss.",
                       epilog="examples:\n"
                              "  bayescale predict fit.nc --at N=7e10,D=1.4e12 "
                              "--at N=4e11,D=8e12\n"
                              "  bayescale predict fit.nc --points targets.csv -o pred.csv",
                       formatter_class=_Formatter)
    p.add_argument("fit", help="NetCDF file written by 'bayescale fit'")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--at", action="append", metavar="N=..,D=..",
                       help="a point (repeatable), e.g. N=7e10,D=1.4e12")
    where.add_argument("--points", metavar="CSV", help="CSV of points (columns N, D or C)")
    p.add_argument("--columns", metavar="MAP",
                   help="map the points file's column names, e.g. N=params,D=tokens")
    p.add_argument("--prob", type=_probability, default=0.95, help="interval probability (0.95)")
    p.add_argument("-o", "--output", metavar="OUT.csv", help="write a CSV instead of printing")
    p.add_argument("--format", choices=["text", "csv", "json"], default="text",
                   help="format when printing (default text)")
    p.add_argument("--force", action="store_true", help="replace the output file if it exists")

    p = sub.add_parser("plot", help="extrapolation fan chart (PNG, PDF or SVG)",
                       description="Plot the observed runs, the posterior median law and its "
                                   "credible bands out to the targets, on log-log axes.",
                       epilog="examples:\n  bayescale plot fit.nc --to N=7e10,D=1.4e12 "
                              "-o extrapolation.png",
                       formatter_class=_Formatter)
    p.add_argument("fit", help="NetCDF file written by 'bayescale fit'")
    p.add_argument("--to", action="append", metavar="N=..,D=..",
                   help="a target point (repeatable), marked with its interval")
    p.add_argument("--prob", type=_probability, default=0.95,
                   help="interval probability of the targets and the outer band (0.95)")
    p.add_argument("-o", "--output", required=True, metavar="FIG.png", help="output image")
    p.add_argument("--force", action="store_true", help="replace the output file if it exists")
    p.add_argument("--json", action="store_true",
                   help="print the file and the plotted bands' numbers as JSON")

    p = sub.add_parser(
        "optimal", help="compute-optimal N, D and loss at a budget, and inverse questions",
        description="Decisions from the posterior, per draw: the compute-optimal model size "
                    "N*, tokens D*, tokens per parameter and loss at each budget (--compute); "
                    "the compute needed to reach a target loss with P(reachable) "
                    "(--target-loss); the compute-efficient stopping point of a model size "
                    "(--stop). Intervals are equal-tailed.",
        epilog=EPILOG_OPTIMAL, formatter_class=_Formatter)
    p.add_argument("fit", help="NetCDF file written by 'bayescale fit'")
    p.add_argument("--compute", metavar="C1,C2,..", type=_number_list("--compute"),
                   help="budgets in FLOPs, e.g. 1e22,1e24,3.8e25")
    p.add_argument("--target-loss", metavar="L1,L2,..", type=_number_list("--target-loss"),
                   help="target losses: the compute (and N, D) needed to reach each")
    p.add_argument("--stop", metavar="N1,N2,..", type=_number_list("--stop"),
                   help="model sizes: the tokens after which a larger model would use the "
                        "compute better")
    p.add_argument("--heuristic", metavar="D/N", type=_number_list("--heuristic"),
                   help="with --compute: regret of a tokens-per-parameter rule, e.g. 20")
    p.add_argument("--plan", metavar="N=..,D=..",
                   help="with --target-loss: P(loss < target) for this planned run; with "
                        "--compute: regret of a fixed N (N=..) or D (D=..)")
    p.add_argument("--run", metavar="RUN",
                   help="learning-curve fits: forecast this fitted run's final loss at "
                        "--final-tokens (and its stopping point)")
    p.add_argument("--final-tokens", metavar="D", type=_number_list("--final-tokens"),
                   help="with --run: the tokens the run is planned to reach")
    p.add_argument("--parabola", action="store_true",
                   help="with --compute: also run the isoFLOP parabola baseline (Approach 2) "
                        "on the fit's runs and show it side by side")
    p.add_argument("--k", type=_number_list("--k"), metavar="K",
                   help="FLOPs per parameter per token in C = k*N*D (default: the law's, 6)")
    p.add_argument("--unique", type=_number_list("--unique"), metavar="U",
                   help="unique tokens available (data-constrained law)")
    p.add_argument("--gpu-flops", type=_number_list("--gpu-flops"), metavar="FLOP/S",
                   help="peak FLOP/s of one accelerator, e.g. 9.89e14 (H100 BF16 dense): adds "
                        "accelerator-hours")
    p.add_argument("--mfu", type=_number_list("--mfu"), metavar="FRACTION", default=[0.4],
                   help="model-FLOPs utilisation for --gpu-flops (default 0.4)")
    p.add_argument("--price", type=_number_list("--price"), metavar="PER_HOUR",
                   help="price per accelerator-hour: adds a cost")
    p.add_argument("--prob", type=_probability, default=0.95, help="interval probability (0.95)")
    _add_outputs(p, plot="with --compute: write the frontier plot (N*, D* vs C; iso-loss map)",
                 table="write the tidy table as CSV")

    p = sub.add_parser(
        "check", help="how well the law fits its runs: residuals, PIT, shrinkage, warnings",
        description="Posterior predictive check of a saved fit: residuals against log N, D "
                    "and C (a quadratic trend flags a law whose shape misses the runs), the PIT "
                    "(flat when the noise model is right), in-sample coverage, the prior-to-"
                    "posterior shrinkage of each parameter, and every warning.",
        epilog="examples:\n  bayescale check fit.nc\n  bayescale check fit.nc --plot ppc.png"
               "\n  bayescale check fit.nc --format json", formatter_class=_Formatter)
    p.add_argument("fit", help="NetCDF file written by 'bayescale fit'")
    _add_outputs(p, plot="write residual panels and the PIT histogram",
                 formats=("text", "json"), force="replace the plot if it exists")

    p = sub.add_parser(
        "backtest", help="hold out the largest runs, fit the rest, score the held-out runs",
        description="Fit on the runs that remain after --holdout and score the held-out ones "
                    "(what extrapolation will do to you): per run the median, 50/80/95 percent "
                    "predictive intervals and whether they covered, absolute relative error "
                    "(ARE), log error and log predictive density; then mean ARE, log-RMSE, "
                    "NLPD and coverage. --compare point adds the Huber point fit + bootstrap "
                    "users would otherwise run, on the same split.",
        epilog=EPILOG_BACKTEST, formatter_class=_Formatter)
    p.add_argument("runs", help="CSV of runs (as for 'bayescale fit')")
    p.add_argument("--holdout", default="largest:3", metavar="SPEC",
                   help="largest:K (the K runs of largest compute) or a condition such as "
                        "\"C>1e21\" (default largest:3)")
    p.add_argument("--compare", choices=["point"],
                   help="also run the point baseline (chinchilla: Huber d=1e-3 + bootstrap)")
    p.add_argument("--replicates", type=_positive_int, default=200,
                   help="bootstrap replicates of the point baseline (200)")
    p.add_argument("--no-discrepancy", action="store_true",
                   help="skip the row that adds the model-discrepancy term learned from the "
                        "kept runs")
    _add_fit_options(p)
    _add_outputs(p, plot="write a calibration plot", table="write the per-run table as CSV")

    p = sub.add_parser(
        "compare", help="compare law families on the same runs: PSIS-LOO and leave-future-out",
        description="Fit each law to the same runs and compare them by PSIS-LOO (interpolation, "
                    "with Pareto-k checks) and by leave-future-out (hold out the largest runs, "
                    "refit, score them: extrapolation), with stacking weights for a "
                    "model-averaged prediction.",
        epilog=EPILOG_COMPARE, formatter_class=_Formatter)
    p.add_argument("runs", help="CSV of runs (as for 'bayescale fit')")
    p.add_argument("--laws", required=True, metavar="LAW1,LAW2,..",
                   help="laws to compare, e.g. chinchilla,kaplan")
    p.add_argument("--holdout", default="largest:3", metavar="SPEC",
                   help="leave-future-out split (default largest:3; 'none' skips LFO)")
    p.add_argument("--at", action="append", metavar="N=..,D=..",
                   help="also predict here with the model average (LOO stacking weights); "
                        "repeatable")
    _add_fit_options(p, law=False)
    p.add_argument("--format", choices=["text", "csv", "json"], default="text",
                   help="format when printing (default text)")

    p = sub.add_parser(
        "report", help="HTML + Markdown report of a fit (or a LaTeX parameter table)",
        description="Write a self-contained HTML page (images embedded, opens offline) and a "
                    "Markdown twin with PNGs: the runs, law and priors, parameters with "
                    "intervals, diagnostics and warnings, the predictive check, the "
                    "extrapolation fan chart, a pair plot, predictions at --at, the "
                    "compute-optimal table and frontier (laws in N and D), and the exact "
                    "command and versions. --format latex prints the parameter table.",
        epilog="examples:\n  bayescale report fit.nc -o report/\n"
               "  bayescale report fit.nc -o report/ --at N=7e10,D=1.4e12 --compute 5.76e23\n"
               "  bayescale report fit.nc --format latex > parameters.tex",
        formatter_class=_Formatter)
    p.add_argument("fit", help="NetCDF file written by 'bayescale fit'")
    p.add_argument("-o", "--output", metavar="FOLDER",
                   help="folder receiving report.html, report.md and the PNGs")
    p.add_argument("--format", choices=["html", "latex"], default="html",
                   help="html (HTML + Markdown, default) or latex (parameter table to stdout "
                        "or -o FILE.tex)")
    p.add_argument("--at", action="append", metavar="N=..,D=..",
                   help="a target to predict and mark (repeatable)")
    p.add_argument("--compute", type=_number_list("--compute"), metavar="C1,C2,..",
                   help="budgets of the compute-optimal table (default 100x the largest run)")
    p.add_argument("--prob", type=_probability, default=0.95, help="interval probability (0.95)")
    p.add_argument("--json", action="store_true", help="print the written files as JSON")
    p.add_argument("--force", action="store_true", help="replace an existing report")

    p = sub.add_parser(
        "simulate", help="synthetic runs from a law with known parameters (CSV)",
        description="Write synthetic runs from a law and parameters, with multiplicative "
                    "log-normal noise: for teaching, and for checking a design before "
                    "training anything (fit the simulated runs and see what the design can "
                    "tell). The default is the founding document's example, error = "
                    "100*N^-0.07 + 10 at 10 sizes from 1e6 to 1e9.",
        epilog=EPILOG_SIMULATE, formatter_class=_Formatter)
    p.add_argument("--law", default="power", help="law name (default power; see 'bayescale "
                                                   "laws')")
    p.add_argument("--x", choices=["N", "D", "C"], default=None,
                   help="the input of a one-input law (default N)")
    p.add_argument("--params", metavar="K=V,..",
                   help="true parameters, e.g. E=1.69,A=406.4,B=410.7,alpha=0.34,beta=0.28 "
                        "(defaults: the founding example for power, Besiroglu et al.'s "
                        "re-fit for chinchilla)")
    p.add_argument("--N", metavar="LO:HI:K", help="model sizes, log-spaced (default "
                                                   "1e6:1e9:10; 3e7:1e9:6 for laws in N, D)")
    p.add_argument("--D", metavar="LO:HI:K", help="token counts, log-spaced (one-input D laws, "
                                                   "or a grid with --N)")
    p.add_argument("--C", metavar="LO:HI:K", help="compute budgets, log-spaced (one-input C "
                                                   "laws)")
    p.add_argument("--ratios", type=_number_list("--ratios"), metavar="R1,R2,..",
                   help="laws in N and D: tokens per parameter at each size (default "
                        "5,10,20,40,80)")
    p.add_argument("--isoflop", type=_number_list("--isoflop"), metavar="C1,C2,..",
                   help="chinchilla: isoFLOP grids at these budgets (7 sizes, +-8x around the "
                        "optimum)")
    p.add_argument("--sigma", type=float, default=0.01,
                   help="sd of the log-normal noise (default 0.01)")
    p.add_argument("--seed", type=_nonnegative_int, default=0, help="random seed (0)")
    p.add_argument("-o", "--output", metavar="RUNS.csv", help="write a CSV instead of printing")
    p.add_argument("--json", action="store_true", help="print the runs as JSON")
    p.add_argument("--force", action="store_true", help="replace the output file if it exists")

    p = sub.add_parser(
        "datasets", help="public scaling datasets: list them, fetch one as a tidy CSV",
        description="Public scaling data (Epoch's Chinchilla points, Llama 3 isoFLOPs, "
                    "(Mis)fitting, Gemstones, observational scaling): 'list' "
                    "shows them; 'fetch NAME' downloads the raw files from their original "
                    "public source into the cache (checksums checked; "
                    "$BAYESCALE_CACHE or ~/.cache/bayescale) and writes the tidy table. "
                    "Offline: point --from (or $BAYESCALE_DATA_DIR) at a local copy.",
        epilog="examples:\n  bayescale datasets list\n"
               "  bayescale datasets fetch epoch_chinchilla -o epoch.csv\n"
               "  bayescale datasets fetch llama3_isoflops --from ~/copies -o llama3.csv\n"
               "  BAYESCALE_DATA_DIR=~/copies bayescale datasets fetch gemstones --json",
        formatter_class=_Formatter)
    p.add_argument("action", choices=["list", "fetch"], help="list, or fetch NAME")
    p.add_argument("name", nargs="?", help="dataset name (for fetch)")
    p.add_argument("--from", dest="source", metavar="DIR",
                   help="a local copy of the raw files (no download)")
    p.add_argument("--cache", metavar="DIR", help="cache folder (default $BAYESCALE_CACHE "
                                                  "or ~/.cache/bayescale/datasets)")
    p.add_argument("-o", "--output", metavar="OUT.csv", help="write the tidy table here")
    p.add_argument("--format", choices=["text", "csv", "json"], default="text",
                   help="format when printing (default text)")
    p.add_argument("--force", action="store_true", help="replace the output file if it exists")

    p = sub.add_parser("laws", help="list the available laws",
                       description="List the laws: name, formula, inputs, parameters.",
                       epilog="examples:\n  bayescale laws\n  bayescale laws --json",
                       formatter_class=_Formatter)
    p.add_argument("--json", action="store_true", help="print the list as JSON")
    for name, p in sub.choices.items():  # one spelling of JSON output for every command
        has = {a.dest for a in p._actions}
        if "format" in has and "json" not in has:
            p.add_argument("--json", action="store_true", help="shorthand for --format json")
        if "quiet" not in has and name not in ("laws",):
            p.add_argument("--quiet", action="store_true",
                           help="print only results, warnings and errors (no progress)")
    return parser


# -- formatting ---------------------------------------------------------------------------------
def _num(value: Any) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if v != v:  # NaN
        return "-"
    return f"{v:.4g}"


def _text_table(df: Any, columns: Sequence[str], headers: Sequence[str],
                index: str | None = None) -> str:
    rows = [[str(i) for i in df.index]] if index else []
    cells = [[_num(v) for v in df[c]] for c in columns]
    cols = ([index] if index else []) + list(headers)
    data = (rows + cells) if index else cells
    widths = [max(len(h), *(len(x) for x in col)) for h, col in zip(cols, data, strict=True)]
    lines = ["  ".join(h.rjust(w) if i else h.ljust(w) for i, (h, w) in
                       enumerate(zip(cols, widths, strict=True)))]
    for r in range(len(df)):
        lines.append("  ".join(
            (col[r].rjust(w) if i else col[r].ljust(w))
            for i, (col, w) in enumerate(zip(data, widths, strict=True))))
    return "\n".join(lines)


def summary_text(fit: Any, prob: float) -> str:
    from ..data.points import percent

    table = fit.summary(prob=prob)
    pct = f"{percent(prob)}%"
    head = (f"{fit.law.name}: {fit.law.formula}    likelihood {fit.likelihood.name}, "
            f"{fit.runs.n} runs, {fit.n_draws} {fit.group} draws")
    body = _text_table(table, ["median", "mean", "sd", "lower", "upper", "r_hat", "ess_bulk",
                               "ess_tail"],
                       ["median", "mean", "sd", f"lower {pct}", f"upper {pct}", "r_hat",
                        "ess_bulk", "ess_tail"], index="parameter")
    kind = {"mcmc": "credible intervals",
            "laplace": "intervals of an APPROXIMATE posterior (Laplace at the mode, no MCMC)",
            "prior": "prior intervals"}[fit.method]
    lines = [head, f"{pct} equal-tailed {kind}", body]
    fixed = table.attrs.get("fixed") or {}
    if fixed:
        lines.append("fixed: " + ", ".join(f"{k} = {v:g}" for k, v in fixed.items()))
    if fit.group == "posterior":
        shrink = fit.shrinkage()["shrinkage"]
        lines.append("learned from the data (shrinkage 1 - var post/var prior; near 0: the "
                     "prior speaks): " + ", ".join(f"{k} {v:.2f}" for k, v in shrink.items()))
    disc = fit.discrepancy
    if disc is not None:
        lines.append(f"model discrepancy: delta = {disc.delta:.3g} per e-fold of {disc.input} "
                     f"beyond {disc.reference:.3g} ({disc.source})")
    lines.append("priors:")
    lines += [f"  {line}" for line in fit.spec.describe_priors()]
    return "\n".join(lines)


def _summary_json(fit: Any, prob: float) -> dict[str, Any]:
    table = fit.summary(prob=prob)
    return {
        "law": fit.law.to_dict(), "formula": fit.law.formula,
        "likelihood": fit.likelihood.name, "prob": prob, "interval": "equal-tailed",
        "runs": fit.runs.n, "draws": fit.n_draws, "method": fit.method,
        "parameters": {name: {k: (None if v != v else float(v)) for k, v in row.items()}
                       for name, row in table.to_dict(orient="index").items()},
        "fixed": table.attrs.get("fixed", {}),
        "priors": {k: v.to_dict() for k, v in fit.spec.priors.items()},
        "diagnostics": fit.diagnostics,
        "shrinkage": ({k: float(v) for k, v in fit.shrinkage()["shrinkage"].items()}
                      if fit.group == "posterior" else None),
        "discrepancy": fit.discrepancy.to_dict() if fit.discrepancy else None,
        "warnings": fit.warnings,
    }


# -- commands -------------------------------------------------------------------------------
def _say(args: argparse.Namespace, text: str) -> None:
    if not getattr(args, "quiet", False):
        print(text, file=sys.stderr)


def cmd_fit(args: argparse.Namespace) -> int:
    if args.by:
        return _fit_groups(args)
    if args.workers:
        raise BayescaleError("--workers applies to --by only")
    from ..inference.run import sample_fit
    from ..results.io import NETCDF_SUFFIXES, check_writable, save
    from ..workflow import apply_discrepancy, plan_fit

    out = check_writable(args.output, overwrite=args.force, flag="--force",
                         suffixes=NETCDF_SUFFIXES)
    config, settings, spec, runs, setting = plan_fit(
        args.runs, args.law, discrepancy=args.discrepancy, likelihood=args.likelihood,
        priors=args.priors, columns=args.columns, x=args.x, query=args.query,
        law_options=_law_options(args) or None, draws=args.draws, tune=args.tune,
        chains=args.chains, random_seed=args.seed, target_accept=args.target_accept,
        sampler=args.sampler, method=args.method,
        progress=sys.stderr.isatty() and not args.quiet)
    _say(args, f"bayescale {__version__}: fitting {spec.law.name} ({spec.likelihood.name} "
               f"likelihood) to {runs.n} runs from {args.runs}")
    for note in runs.notes:
        _say(args, f"  note: {note}")
    _say(args, f"  sampling: {args.sampler}, {args.chains} chains x ({args.tune} tune + "
               f"{args.draws} draws)..." if args.method == "mcmc" else
               "  approximate fit: posterior mode + Laplace approximation (no MCMC)...")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = sample_fit(spec, runs, settings, config=config)
        if setting is not None:
            result = apply_discrepancy(result, setting, config, settings)
            disc = result.discrepancy
            if disc is not None:
                _say(args, f"  model discrepancy: delta = {disc.delta:.3g} per e-fold of "
                           f"{disc.input} beyond {disc.reference:.3g} ({disc.source})")
    result.meta["command"] = "bayescale " + shlex.join(args.argv)
    save(result, out, overwrite=args.force, flag="--force")
    seed = result.meta["sampler"]["random_seed"]
    compiled = result.meta.get("compile_seconds")
    timing = (f"compile {compiled:.1f} s + sampling {result.meta['sampling_seconds']:.1f} s"
              if compiled else f"{result.meta['sampling_seconds']:.1f} s")
    _say(args, f"  done: {timing} (seed {seed}); saved {out}")
    if args.json:
        print(json.dumps(_summary_json(result, args.prob), indent=2))
    elif not args.quiet:
        print(summary_text(result, args.prob))
    _print_warnings(caught)
    return 0


def _law_options(args: argparse.Namespace) -> dict[str, Any]:
    """The law options given on the command line (each law accepts its own)."""
    return {k: v for k, v in (("expression", args.expression), ("chance", args.chance),
                              ("breaks", args.breaks), ("k", args.k)) if v is not None}


def _safe_name(name: Any) -> str:
    text = "_".join(map(str, name)) if isinstance(name, tuple) else str(name)
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in text).strip("._") or "group"


def _fit_groups(args: argparse.Namespace) -> int:
    import pandas as pd

    from ..data.points import percent
    from ..results.io import atomic_write, save
    from ..workflow import fit_many, split_groups

    folder = Path(args.output)
    if folder.suffix.lower() in (".nc", ".nc4", ".netcdf") or (folder.exists() and
                                                                 not folder.is_dir()):
        raise BayescaleError(f"--by writes one file per group: -o {args.output!r} must be a "
                             "folder")
    if not folder.parent.exists():
        raise BayescaleError(f"cannot write into {str(folder)!r}: folder "
                             f"{str(folder.parent)!r} does not exist")
    groups = split_groups(args.runs, args.by, args.query)
    names: dict[Any, str] = {}
    for name in groups:
        base, k = _safe_name(name), 1
        while base in names.values():
            k += 1
            base = f"{_safe_name(name)}_{k}"
        names[name] = base
    targets = [folder / f"{n}.nc" for n in names.values()] + [folder / "summary.csv"]
    clash = [t for t in targets if t.exists()]
    if clash and not args.force:
        raise BayescaleError(f"{str(clash[0])!r} already exists; use --force to replace it")
    executor = None
    if args.workers:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # spawn, not fork: the parent may run threads (progress bar, nutpie)
        executor = ProcessPoolExecutor(args.workers,
                                       mp_context=multiprocessing.get_context("spawn"))
    _say(args, f"bayescale {__version__}: fitting {args.law} to each of the {len(groups)} "
               f"groups of {args.by!r} in {args.runs}")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fits = fit_many(groups, args.law, likelihood=args.likelihood,
                            priors=args.priors, columns=args.columns, x=args.x,
                            law_options=_law_options(args),
                            draws=args.draws, tune=args.tune,
                            chains=args.chains, random_seed=args.seed,
                            target_accept=args.target_accept, sampler=args.sampler,
                            method=args.method, executor=executor,
                            progress=sys.stderr.isatty() and not args.quiet)
    finally:
        if executor is not None:
            executor.shutdown(cancel_futures=True)
    folder.mkdir(exist_ok=True)
    rows = []
    for name, fit in fits.items():
        fit.meta["command"] = "bayescale " + shlex.join(args.argv)
        fit.meta["group"] = "posterior"
        fit.meta["by"] = {str(args.by): str(name)}
        save(fit, folder / f"{names[name]}.nc", overwrite=args.force, flag="--force")
        table = fit.summary(prob=args.prob).reset_index()
        table.insert(0, "group", str(name))
        table.insert(2, "prob", args.prob)
        table.insert(3, "method", fit.method)
        table["warnings"] = len(fit.warnings)
        rows.append(table)
    summary = pd.concat(rows, ignore_index=True)
    atomic_write(folder / "summary.csv", lambda tmp: summary.to_csv(tmp, index=False))
    _say(args, f"  saved {len(fits)} fits and summary.csv in {folder}")
    if not args.quiet:
        wide = summary.pivot(index="group", columns="parameter", values="median")
        wide = wide[[c for c in fits[next(iter(fits))].spec.free_params if c in wide]]
        wide.insert(0, "warnings", summary.groupby("group")["warnings"].first())
        what = ("APPROXIMATE posterior (Laplace) medians" if args.method == "map"
                else "posterior medians")
        print(f"{what} per group ({percent(args.prob)}% intervals in "
              f"{folder / 'summary.csv'})")
        print(_text_table(wide, list(wide.columns), list(wide.columns), index="group"))
    _print_warnings(caught)
    return 0


def _print_warnings(caught: Sequence[warnings.WarningMessage]) -> None:
    from ..errors import BayescaleWarning

    seen = set()
    for w in caught:
        if issubclass(w.category, BayescaleWarning) and str(w.message) not in seen:
            seen.add(str(w.message))
            print(f"warning: {w.message}", file=sys.stderr)


def cmd_summary(args: argparse.Namespace) -> int:
    from ..results.fit import load

    fit = load(args.fit)
    if args.format == "json":
        print(json.dumps(_summary_json(fit, args.prob), indent=2))
        return 0
    if args.format == "csv":
        table = fit.summary(prob=args.prob)
        table.insert(0, "prob", args.prob)
        table.insert(1, "method", fit.method)
        sys.stdout.write(table.to_csv())
        return 0
    print(summary_text(fit, args.prob))
    for message in fit.warnings:
        print(f"warning: {message}", file=sys.stderr)
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from ..data.points import parse_point, percent, require_inputs
    from ..data.runs import parse_columns, read_table
    from ..results.fit import load
    from ..results.io import atomic_write, check_writable

    out = (check_writable(args.output, overwrite=args.force, flag="--force")
           if args.output else None)
    fit = load(args.fit)
    if args.points:
        points = read_table(args.points)
        if args.columns:
            mapping = parse_columns(args.columns)
            points = points.rename(columns={v: k for k, v in mapping.items()})
    else:
        points = [parse_point(a) for a in args.at]
        for point in points:
            require_inputs(point, fit.law, "--at")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = fit.predict(points, prob=args.prob)
    if out is not None:
        atomic_write(out, lambda tmp: table.to_csv(tmp, index=False))
        _say(args, f"wrote {out} ({len(table)} points, {percent(args.prob)}% intervals)")
    if out is not None and args.format != "json":
        pass  # written to the file; only JSON is also printed
    elif args.format == "csv":
        sys.stdout.write(table.to_csv(index=False))
    elif args.format == "json":
        records = json.loads(table.to_json(orient="records"))
        print(json.dumps({"prob": args.prob, "interval": "equal-tailed", "method": fit.method,
                          "points": records}, indent=2))
    else:
        pct = f"{percent(args.prob)}%"
        scale = [c for c in table.columns if c.startswith("scale_up_")]
        if scale:  # one column in text: the furthest input beyond the data
            table = table.copy()
            table["beyond data"] = [f"{v:,.0f}x" if v >= 10 else f"{v:.2g}x"
                                    for v in table[scale].max(axis=1)]
        cols = [c for c in table.columns if c != "prob" and c not in scale]
        heads = [{"lower": f"lower {pct}", "upper": f"upper {pct}",
                  "pp_lower": f"pp_lower {pct}", "pp_upper": f"pp_upper {pct}"}.get(c, str(c))
                 for c in cols]
        approx = " of an APPROXIMATE (Laplace) posterior" if fit.method == "laplace" else ""
        print(f"{fit.law.name}: predicted loss, {pct} equal-tailed intervals{approx} "
              "(lower/upper: the law's mean; pp_lower/pp_upper: a new run, noise included)")
        print(_text_table(table, cols, heads))
    _print_warnings(caught)
    return 0


def cmd_plot(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..data.points import parse_point, require_inputs
    from ..plot import extrapolation
    from ..results.fit import load
    from ..results.io import atomic_write, check_writable

    out = check_writable(args.output, overwrite=args.force, flag="--force")
    fmt = out.suffix.lower().lstrip(".") or "png"
    if fmt not in plt.gcf().canvas.get_supported_filetypes():
        raise BayescaleError(f"cannot write a {fmt!r} image; use .png, .pdf or .svg")
    plt.close("all")
    fit = load(args.fit)
    targets = [parse_point(t) for t in (args.to or [])]
    for target in targets:
        require_inputs(target, fit.law, "--to")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ax = extrapolation(fit, to=targets, probs=(0.5, args.prob), target_prob=args.prob)
    atomic_write(out, lambda tmp: ax.figure.savefig(tmp, format=fmt, dpi=150))
    plt.close(ax.figure)
    if args.json:
        bands = fit.bands(to=targets, probs=(0.5, args.prob))
        print(json.dumps({"file": str(out), "bands": json.loads(bands.to_json(
            orient="records"))}, indent=2))
    _say(args, f"wrote {out}")
    _print_warnings(caught)
    return 0


def _one(values: list[float] | None, flag: str) -> float | None:
    if values is None:
        return None
    if len(values) != 1:
        raise BayescaleError(f"{flag} takes one number, got {len(values)}")
    return values[0]


_QUANTITY_LABEL = {
    "N_opt": "N* parameters", "D_opt": "D* tokens", "tokens_per_param": "D*/N* tokens/param",
    "loss": "L* loss", "a": "a  (N* ~ C^a)", "b": "b  (D* ~ C^b)",
    "gamma": "gamma  (L*-E ~ C^-gamma)", "halving_multiple": "x compute to halve L*-E",
    "C": "C compute (FLOPs)", "N_min": "N_min (unlimited data)",
    "D_min": "D_min (unlimited params)", "gpu_hours": "accelerator-hours", "cost": "cost",
    "excess_loss": "excess loss", "compute_wasted": "share of compute wasted",
    "D_stop": "D_stop tokens", "C_stop": "C_stop compute", "loss_stop": "loss at D_stop",
}


def _fmt_value(v: float) -> str:
    if v != v:
        return "-"
    if v == float("inf"):
        return "never"
    return f"{v:.4g}"


def _print_tidy(table: Any, key: str, title: str, heading: Any) -> None:
    """A tidy decision table as text: a block per key value (budget, target, size), a line
    per quantity with its median and interval (and mean, when the table has one)."""
    print(title)
    if table.empty:
        print("  (nothing to report)")
        return
    cols = ["median", "lower", "upper"] + (["mean"] if "mean" in table.columns else [])
    for at, sub in table.groupby(key, sort=False):
        print(heading(at, sub.iloc[0]))
        cells = [[_QUANTITY_LABEL.get(q, q)] + [_fmt_value(v) for v in vals]
                 for q, *vals in sub[["quantity", *cols]].itertuples(index=False)]
        heads = ["", *cols]
        widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(heads)]
        print("  " + "  ".join(h.ljust(w) if i == 0 else h.rjust(w)
                               for i, (h, w) in enumerate(zip(heads, widths, strict=True))))
        for r in cells:
            print("  " + "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                                   for i, (c, w) in enumerate(zip(r, widths, strict=True))))


def _emit(args: argparse.Namespace, tables: dict[str, Any], text: Any) -> None:
    """Write CSV (-o), or print CSV / JSON / text."""
    import pandas as pd

    from ..results.io import atomic_write

    if args.output:
        frames = [t.assign(table=name) for name, t in tables.items()]
        both = pd.concat(frames, ignore_index=True)
        atomic_write(args.out_path, lambda tmp: both.to_csv(tmp, index=False))
        _say(args, f"wrote {args.out_path} ({len(both)} rows)")
    elif args.format == "csv":
        frames = [t.assign(table=name) for name, t in tables.items()]
        sys.stdout.write(pd.concat(frames, ignore_index=True).to_csv(index=False))
    elif args.format == "json":
        out = {}
        for name, t in tables.items():
            attrs = {k: v for k, v in t.attrs.items() if k != "notes"}
            out[name] = {**json.loads(json.dumps(attrs, default=str)),
                         "notes": list(t.attrs.get("notes", [])),
                         "rows": json.loads(t.to_json(orient="records"))}
        print(json.dumps(out, indent=2))
    else:
        text()


def cmd_optimal(args: argparse.Namespace) -> int:
    from ..data.points import parse_point, percent
    from ..decisions.cost import Cost
    from ..results.fit import load
    from ..results.io import check_writable

    modes = [m for m in ("compute", "target_loss", "stop", "run")
             if getattr(args, m) is not None]
    if not modes:
        raise BayescaleError("give --compute, --target-loss, --stop or --run")
    if args.compute is not None and args.target_loss is not None:
        raise BayescaleError("give --compute or --target-loss, not both (run twice)")
    if args.run is None and args.final_tokens:
        raise BayescaleError("--final-tokens goes with --run")
    if args.run is not None and (args.compute is not None):
        raise BayescaleError("--run forecasts a fitted run; give it without --compute")
    if args.compute is None and (args.heuristic or args.parabola or args.plot):
        flag = "--heuristic" if args.heuristic else "--parabola" if args.parabola else "--plot"
        raise BayescaleError(f"{flag} goes with --compute")
    args.out_path = (check_writable(args.output, overwrite=args.force, flag="--force")
                     if args.output else None)
    plot_path = (check_writable(args.plot, overwrite=args.force, flag="--force")
                 if args.plot else None)
    k, unique = _one(args.k, "--k"), _one(args.unique, "--unique")
    cost = None
    if args.gpu_flops is not None:
        cost = Cost(_one(args.gpu_flops, "--gpu-flops"), _one(args.mfu, "--mfu"),
                    _one(args.price, "--price"))
    elif args.price is not None:
        raise BayescaleError("--price needs --gpu-flops (and optionally --mfu)")
    fit = load(args.fit)
    pct = f"{percent(args.prob)}%"
    approx = " (APPROXIMATE Laplace posterior)" if fit.method == "laplace" else ""
    tables: dict[str, Any] = {}
    texts: list[Any] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if args.compute is not None:
            table = fit.optimal(args.compute, prob=args.prob, k=k, unique=unique, cost=cost)
            tables["optimal"] = table
            texts.append(lambda t=table: _print_tidy(
                t, "C", f"{fit.law.name}: compute-optimal allocation, {pct} equal-tailed "
                f"intervals{approx}; C = {t.attrs['k']:g}*N*D ({t.attrs['method']})",
                lambda c, _: f"C = {c:.4g} FLOPs"))
            plan = parse_point(args.plan) if args.plan else {}
            if set(plan) - {"N", "D"} or len(plan) > 1:
                raise BayescaleError("with --compute, --plan gives one of N=.. or D=..")
            heuristic = _one(args.heuristic, "--heuristic")
            if heuristic is not None or plan:
                reg = fit.regret(args.compute, tokens_per_param=heuristic, N=plan.get("N"),
                                 D=plan.get("D"), prob=args.prob, k=k, unique=unique)
                tables["regret"] = reg
                what = (f"{heuristic:g} tokens per parameter" if heuristic is not None else
                        ", ".join(f"{a}={b:g}" for a, b in plan.items()))
                texts.append(lambda r=reg, w=what: _print_tidy(
                    r, "C", f"regret of the plan '{w}' against the optimum at the same compute "
                    "(mean: the posterior expectation)",
                    lambda c, row: f"C = {c:.4g} FLOPs: plan N = {row['N']:.4g}, "
                                   f"D = {row['D']:.4g}"))
            if args.parabola:
                tables["parabola"] = _parabola_table(fit, args.compute, k)
                texts.append(lambda p=tables["parabola"]: _print_parabola(p))
        elif args.target_loss is not None and args.stop is None and args.run is None:
            table = fit.compute_for_loss(args.target_loss, prob=args.prob, k=k, unique=unique,
                                         cost=cost)
            tables["target"] = table
            texts.append(lambda t=table: _print_tidy(
                t, "target", f"{fit.law.name}: what it takes to reach each target loss, "
                f"{pct} equal-tailed intervals{approx}; 'never': an interval end falls among "
                "draws that never reach the target",
                lambda L, row: f"target loss {L:.4g}: P(reachable) = {row['p_reachable']:.3f}"))
            if args.plan:
                point = parse_point(args.plan)
                rows = [fit.probability_below([point], t) for t in args.target_loss]
                import pandas as pd
                prob_table = pd.concat(rows, ignore_index=True)
                tables["plan"] = prob_table
                texts.append(lambda p=prob_table: print(
                    "planned run " + args.plan + ": " + "; ".join(
                        f"P(loss < {r.target:g}) = {r.p_mean_below:.3f} (law's mean), "
                        f"{r.p_observed_below:.3f} (observed, noise included)"
                        for r in p.itertuples())))
        if args.run is not None:
            tables["run"] = _run_forecast(fit, args)
            texts.append(lambda r=tables["run"]: _print_run(r, args, pct))
            if args.stop is None:  # the stopping point of the run's own size
                args.stop = [float(tables["run"]["N"].iloc[0])]
        if args.stop is not None:
            table = fit.stopping(args.stop, prob=args.prob, k=k, unique=unique)
            tables["stop"] = table
            texts.append(lambda t=table: _print_tidy(
                t, "N", f"{fit.law.name}: compute-efficient stopping point, {pct} equal-tailed "
                "intervals: past D_stop, a larger model would turn the same compute into "
                "lower loss", lambda n, _: f"model size N = {n:.4g}"))
        if plot_path is not None:
            _write_frontier(fit, args.compute, k, unique, plot_path)

    def text() -> None:
        for i, show in enumerate(texts):
            if i:
                print()
            show()
        for t in tables.values():
            for note in t.attrs.get("notes", []):
                print(f"note: {note}")

    _emit(args, tables, text)
    if plot_path is not None:
        _say(args, f"wrote {plot_path}")
    _print_warnings(caught)
    return 0


def _parabola_table(fit: Any, compute: Sequence[float], k: float | None) -> Any:
    import pandas as pd

    from ..evaluation.baselines import isoflop_parabola

    runs = fit.runs.table
    if not {"N", "D", "C"} <= set(runs.columns):
        raise BayescaleError("--parabola needs runs with N, D and C (isoFLOP runs)")
    k_used = fit.law.compute_k if k is None else k
    para = isoflop_parabola(runs["N"].to_numpy(), fit.runs.y, runs["C"].to_numpy(), k=k_used)
    pred = para.predict(compute)
    ours = fit.optimal(compute, k=k)
    rows = []
    for c in compute:
        mine = ours[ours["C"] == c].set_index("quantity")
        theirs = pred[pred["C"] == c].iloc[0]
        for q in ("N_opt", "D_opt", "tokens_per_param"):
            rows.append({"C": c, "quantity": q, "parabola": theirs[q],
                         "median": mine.loc[q, "median"], "lower": mine.loc[q, "lower"],
                         "upper": mine.loc[q, "upper"],
                         "parabola_vs_median": theirs[q] / mine.loc[q, "median"] - 1})
    out = pd.DataFrame(rows)
    out.attrs.update({"a_parabola": para.a, "budgets": len(para.vertices),
                      "notes": [f"parabola skipped {s}" for s in para.skipped]})
    return out


def _print_parabola(table: Any) -> None:
    print(f"isoFLOP parabola baseline (Approach 2, {table.attrs['budgets']} budgets, "
          f"a = {table.attrs['a_parabola']:.3f}) vs the posterior (full surface)")
    print("  ".join(h.rjust(w) for h, w in (("C", 9), ("quantity", 16), ("parabola", 10),
                                             ("posterior median [interval]", 34),
                                             ("parabola/median-1", 17))))
    for r in table.itertuples():
        cell = f"{r.median:.3g} [{r.lower:.3g}, {r.upper:.3g}]"
        print("  ".join((f"{r.C:.3g}".rjust(9), r.quantity.rjust(16),
                         f"{r.parabola:.3g}".rjust(10), cell.rjust(34),
                         f"{100 * r.parabola_vs_median:+.1f}%".rjust(17))))


def _run_forecast(fit: Any, args: argparse.Namespace) -> Any:
    import pandas as pd

    if not fit.spec.n_groups:
        raise BayescaleError(f"--run needs a fit with run effects (law 'learning_curve'), "
                             f"not {fit.law.name!r}")
    if str(args.run) not in set(fit.runs.groups[1]):
        labels = list(fit.runs.groups[1])
        more = ", ..." if len(labels) > 8 else ""
        raise BayescaleError(f"--run {args.run!r}: no such run in the fit (runs: "
                             f"{', '.join(labels[:8])}{more})")
    if args.final_tokens is None:
        raise BayescaleError("--run needs --final-tokens D (the tokens the run will reach)")
    runs = fit.runs.table
    column = next(c for c in ("run", "run_id") if c in runs.columns)
    size = float(runs.loc[runs[column].astype(str) == str(args.run), "N"].iloc[0])
    points = pd.DataFrame({"run": [str(args.run)] * len(args.final_tokens),
                           "N": size, "D": args.final_tokens})
    table = fit.predict(points, prob=args.prob)
    if args.target_loss is not None:
        for target in args.target_loss:
            p = fit.probability_below(points, target)
            table[f"p_below_{target:g}"] = p["p_observed_below"].to_numpy()
    return table


def _print_run(table: Any, args: argparse.Namespace, pct: str) -> None:
    print(f"run {args.run}: forecast final loss (its own run effect), median [{pct} interval]")
    for r in table.to_dict("records"):
        extra = "".join(f", P(loss < {c[8:]}) = {r[c]:.3f}" for c in r if c.startswith("p_below"))
        print(f"  N={r['N']:.3g}, D={r['D']:.3g}: {r['median']:.4g} "
              f"[{r['lower']:.4g}, {r['upper']:.4g}] (observed: [{r['pp_lower']:.4g}, "
              f"{r['pp_upper']:.4g}]){extra}")


def _write_frontier(fit: Any, compute: Sequence[float], k: float | None, unique: float | None,
                    path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..plot import frontier
    from ..results.io import atomic_write

    fmt = path.suffix.lower().lstrip(".") or "png"
    if fmt not in ("png", "pdf", "svg"):
        raise BayescaleError(f"cannot write a {fmt!r} image; use .png, .pdf or .svg")
    axes = frontier(fit, compute=compute, k=k, unique=unique)
    fig = axes[0].figure
    atomic_write(path, lambda tmp: fig.savefig(tmp, format=fmt, dpi=150))
    plt.close(fig)


def cmd_check(args: argparse.Namespace) -> int:
    from ..results.fit import load
    from ..results.io import atomic_write, check_writable

    plot_path = (check_writable(args.plot, overwrite=args.force, flag="--force")
                 if args.plot else None)
    if plot_path is not None and plot_path.suffix.lower() not in (".png", ".pdf", ".svg"):
        raise BayescaleError(f"cannot write a {plot_path.suffix!r} image; use .png, .pdf or .svg")
    fit = load(args.fit)
    if fit.group != "posterior":
        raise BayescaleError(f"{args.fit}: a prior predictive has no fit to check")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        numbers = fit.ppc()
        shrink = fit.shrinkage()
        notes = fit.check()
        if plot_path is not None:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt

            from ..plot import ppc

            axes = ppc(fit)
            fig = axes[0].figure
            atomic_write(plot_path, lambda tmp: fig.savefig(
                tmp, dpi=150, format=plot_path.suffix.lstrip(".").lower()))
            plt.close(fig)
    if args.format == "json":
        print(json.dumps({"ppc": numbers, "shrinkage": json.loads(shrink.to_json(
            orient="index")), "warnings": notes}, indent=2))
    else:
        scale = "log loss" if fit.law.response == "loss" else "accuracy"
        print(f"{fit.law.name}, {fit.runs.n} runs: posterior predictive check")
        print(f"  PIT vs uniform: KS distance {numbers['pit_ks']:.3f} (p = "
              f"{numbers['pit_ks_p']:.2g}); in-sample coverage of the 50/80/95% predictive "
              f"intervals: {numbers['coverage_50']:.0%} / {numbers['coverage_80']:.0%} / "
              f"{numbers['coverage_95']:.0%}")
        for k in ("N", "D", "C"):
            if f"trend_{k}" in numbers:
                t = numbers[f"trend_{k}"]
                print(f"  residuals ({scale}) vs log {k}: a quadratic explains "
                      f"{100 * t['r2']:.0f}% (p = {t['p']:.2g})")
        print("shrinkage (1 - var posterior / var prior; near 0: the prior, not the data):")
        print(_text_table(shrink, ["prior_sd", "posterior_sd", "shrinkage"],
                          ["prior sd", "posterior sd", "shrinkage"], index="parameter"))
        print("no warnings" if not notes else f"{len(notes)} warning(s):")
        for note in notes:
            print(f"warning: {note}", file=sys.stderr)
    if plot_path is not None:
        _say(args, f"wrote {plot_path}")
    _print_warnings(caught)
    return 0


def _fit_settings(args: argparse.Namespace) -> dict[str, Any]:
    return {"draws": args.draws, "tune": args.tune, "chains": args.chains,
            "random_seed": args.seed, "target_accept": args.target_accept,
            "sampler": args.sampler, "method": args.method,
            "progress": sys.stderr.isatty() and not args.quiet}


def cmd_backtest(args: argparse.Namespace) -> int:
    from ..evaluation.backtest import backtest, check_holdout_text
    from ..results.io import atomic_write, check_writable

    check_holdout_text(args.holdout)
    out = (check_writable(args.output, overwrite=args.force, flag="--force")
           if args.output else None)
    plot_path = (check_writable(args.plot, overwrite=args.force, flag="--force")
                 if args.plot else None)
    if plot_path is not None and plot_path.suffix.lower() not in (".png", ".pdf", ".svg"):
        raise BayescaleError(f"cannot write a {plot_path.suffix!r} image; use .png, .pdf or .svg")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = backtest(args.runs, args.law, holdout=args.holdout,
                          compare_point=args.compare == "point", replicates=args.replicates,
                          discrepancy=not args.no_discrepancy,
                          likelihood=args.likelihood, priors=args.priors, columns=args.columns,
                          x=args.x, query=args.query, law_options=_law_options(args),
                          **_fit_settings(args))
    if out is not None:
        atomic_write(out, lambda tmp: result.points.to_csv(tmp, index=False))
        _say(args, f"wrote {out} ({len(result.points)} rows)")
    if args.format == "csv" and out is None:
        sys.stdout.write(result.points.to_csv(index=False))
    elif args.format == "json":
        print(json.dumps({
            "law": args.law, "holdout": args.holdout, "scale_up": result.scale_up,
            "scale": result.summary.attrs["scale"],
            "summary": json.loads(result.summary.to_json(orient="index")),
            "points": json.loads(result.points.to_json(orient="records")),
            "notes": result.notes}, indent=2))
    elif args.format == "text":
        _print_backtest(result)
    if plot_path is not None:
        _write_calibration(result, plot_path)
        _say(args, f"wrote {plot_path}")
    _print_warnings(caught)
    return 0


def _print_backtest(result: Any) -> None:
    s = result.summary
    print(f"backtest of {s.attrs['law']} ({result.holdout}): fitted {result.fit.runs.n} runs, "
          f"scored {int(s['n'].iloc[0])} held-out runs up to {result.scale_up:.3g}x the "
          "largest fitted")
    cols = [("ARE_mean", "mean ARE", "{:.2%}"), ("ARE_median", "median ARE", "{:.2%}"),
            ("log_RMSE", "log-RMSE", "{:.4f}"), ("NLPD", "NLPD", "{:.3f}"),
            ("coverage_50", "cover 50%", "{:.0%}"), ("coverage_80", "cover 80%", "{:.0%}"),
            ("coverage_95", "cover 95%", "{:.0%}"), ("width_95", "95% width", "{:.2%}")]
    rows = [[m + (f" (delta={r['delta']:.3g})" if r.get("delta") == r.get("delta") else "")]
            + [fmt.format(r[c]) for c, _, fmt in cols] for m, r in s.iterrows()]
    heads = ["method"] + [h for _, h, _ in cols]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(heads)]
    print("  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in
                    enumerate(zip(heads, widths, strict=True))))
    for r in rows:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in
                        enumerate(zip(r, widths, strict=True))))
    print("ARE = |observed - median|/observed; NLPD on the likelihood's scale (log loss); "
          "coverage: share of held-out runs inside the predictive interval; width relative to "
          "the median")
    for note in result.notes[:1]:
        print(f"note: {note}")


def _write_calibration(result: Any, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..plot import calibration
    from ..results.io import atomic_write

    ax = calibration(result)
    atomic_write(path, lambda tmp: ax.figure.savefig(tmp, dpi=150,
                                                     format=path.suffix.lstrip(".").lower()))
    plt.close(ax.figure)


def cmd_compare(args: argparse.Namespace) -> int:
    import pandas as pd

    from ..data.points import parse_point
    from ..evaluation.backtest import check_holdout_text
    from ..evaluation.compare import compare, lfo
    from ..workflow import fit as run_fit

    laws = [x.strip() for x in args.laws.split(",") if x.strip()]
    if len(laws) < 2:
        raise BayescaleError("--laws: give at least two laws, e.g. chinchilla,kaplan")
    if args.method != "mcmc":
        raise BayescaleError("compare needs MCMC draws (PSIS-LOO); drop --method map")
    if args.holdout.lower() != "none":
        check_holdout_text(args.holdout)
    points = [parse_point(a) for a in (args.at or [])]  # checked before any fit
    from ..workflow import configure

    for name in laws:  # each law can read these runs (columns, options) before sampling
        configure(args.runs, name, likelihood=args.likelihood, priors=args.priors,
                  columns=args.columns, x=args.x, query=args.query,
                  law_options=_law_options(args) or None)
    settings = _fit_settings(args)
    config = {"likelihood": args.likelihood, "priors": args.priors, "columns": args.columns,
              "x": args.x, "query": args.query}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fits = {name: run_fit(args.runs, name, law_options=_law_options(args) or None,
                              **config, **settings) for name in laws}
        loo_table = compare(fits)
        lfo_table = None
        if args.holdout.lower() != "none":
            lfo_table, _ = lfo(args.runs, laws, holdout=args.holdout,
                               law_options={n: _law_options(args) or None for n in laws},
                               priors={n: args.priors for n in laws},
                               likelihood=args.likelihood, columns=args.columns, x=args.x,
                               query=args.query, **settings)
    averaged = None
    if args.at:
        from ..data.points import parse_point
        from ..evaluation.compare import ModelAverage

        # LOO stacking uses every run; leave-future-out scores only the few held-out runs, so
        # its weights swing to all-or-nothing: they are reported, not used for the average
        weights = loo_table["weight"].to_dict()
        with warnings.catch_warnings(record=True) as more:
            warnings.simplefilter("always")
            averaged = ModelAverage(fits, weights).predict(points)
            if lfo_table is not None and lfo_table.index[0] != loo_table.index[0]:
                warnings.warn(
                    f"LOO prefers {loo_table.index[0]!r} but leave-future-out prefers "
                    f"{lfo_table.index[0]!r} (on {args.holdout}): the laws interpolate and "
                    "extrapolate differently; check residuals ('bayescale check') and "
                    "backtest with more held-out runs", BayescaleWarning, stacklevel=1)
        caught = [*caught, *more]
    if args.format == "json":
        out = {"loo": json.loads(loo_table.to_json(orient="index")),
               "loo_warnings": loo_table.attrs["warnings"]}
        if averaged is not None:
            out["model_average"] = {"weights": averaged.attrs["weights"],
                                    "points": json.loads(averaged.to_json(orient="records"))}
        if lfo_table is not None:
            out["lfo"] = json.loads(lfo_table.to_json(orient="index"))
            out["holdout"] = args.holdout
        print(json.dumps(out, indent=2))
    elif args.format == "csv":
        frames = [loo_table.assign(criterion="loo")]
        if lfo_table is not None:
            frames.append(lfo_table.assign(criterion="lfo"))
        sys.stdout.write(pd.concat(frames).to_csv())
    else:
        print("PSIS-LOO (interpolation: each run predicted from the others), best first; "
              "weight: stacking")
        print(_text_table(loo_table, list(loo_table.columns), list(loo_table.columns),
                          index="model"))
        if lfo_table is not None:
            print(f"\nleave-future-out ({args.holdout}: refit without the largest runs, score "
                  "them; extrapolation), best first; weight: stacking on the held-out densities")
            print(_text_table(lfo_table, list(lfo_table.columns), list(lfo_table.columns),
                              index="law"))
        if averaged is not None:
            w = ", ".join(f"{k} {v:.2f}" for k, v in averaged.attrs["weights"].items())
            print(f"\nmodel-averaged prediction (LOO stacking weights: {w}), 95% equal-tailed "
                  "intervals")
            cols = [c for c in averaged.columns if c != "prob"]
            print(_text_table(averaged, cols, cols))
        for note in loo_table.attrs["warnings"]:
            print(f"warning: {note}", file=sys.stderr)
    _print_warnings(caught)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from ..data.points import parse_point, require_inputs
    from ..report import build, latex_table, write
    from ..results.fit import load
    from ..results.io import atomic_write, check_writable

    if args.format == "latex":
        out = (check_writable(args.output, overwrite=args.force, flag="--force")
               if args.output else None)
        fit = load(args.fit)
        text = latex_table(fit, args.prob)
        if args.json:
            print(json.dumps({"latex": text, "output": str(out) if out else None}, indent=2))
        elif out is None:
            sys.stdout.write(text)
        else:
            atomic_write(out, lambda tmp: Path(tmp).write_text(text))
            _say(args, f"wrote {out}")
        return 0
    if not args.output:
        raise BayescaleError("give -o FOLDER for the report (or --format latex)")
    fit = load(args.fit)
    targets = [parse_point(a) for a in (args.at or [])]
    for t in targets:
        require_inputs(t, fit.law, "--at")
    report = build(fit, at=targets, compute=args.compute or (), prob=args.prob,
                   command="bayescale " + shlex.join(args.argv))
    files = write(report, args.output, overwrite=args.force)
    if args.json:
        print(json.dumps({"files": [str(f) for f in files], "warnings": report.warnings},
                         indent=2))
    else:
        _say(args, f"wrote {', '.join(str(f) for f in files)}")
    for message in report.warnings:
        print(f"warning: {message}", file=sys.stderr)
    return 0


def _log_range(text: str | None, flag: str) -> Any:
    import numpy as np

    if text is None:
        return None
    parts = str(text).split(":")
    try:
        if len(parts) == 3:
            lo, hi, k = float(parts[0]), float(parts[1]), int(parts[2])
            if not (0 < lo <= hi and k >= 1):
                raise ValueError
            return np.array([float(f"{v:.3g}") for v in np.geomspace(lo, hi, k)])
        values = [float(v) for v in str(text).split(",")]
        if any(v <= 0 for v in values):
            raise ValueError
        return np.array(values)
    except ValueError:
        raise BayescaleError(f"{flag} {text!r}: give LO:HI:K (K log-spaced values) or a list "
                             "of positive numbers") from None


def _params(text: str | None) -> dict[str, float]:
    out: dict[str, float] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        try:
            out[key.strip()] = float(value)
        except ValueError:
            raise BayescaleError(f"--params {part!r}: expected NAME=NUMBER") from None
        if not sep:
            raise BayescaleError(f"--params {part!r}: expected NAME=NUMBER")
    return out


def cmd_simulate(args: argparse.Namespace) -> int:
    import numpy as np
    import pandas as pd

    from ..data.simulate import chinchilla_design, isoflop_design, simulate_runs
    from ..laws import get_law
    from ..results.io import atomic_write, check_writable
    from ..testing import EPOCH_CHINCHILLA, FOUNDING_EXAMPLE

    out = (check_writable(args.output, overwrite=args.force, flag="--force")
           if args.output else None)
    if not (args.sigma >= 0 and np.isfinite(args.sigma)):
        raise BayescaleError(f"--sigma must be >= 0, got {args.sigma}")
    options = {"x": args.x} if args.x else {}
    law = get_law(args.law, available=[args.x or "N"], **options)
    defaults = (EPOCH_CHINCHILLA if set(law.inputs) >= {"N", "D"} and "E" in law.param_names
                else FOUNDING_EXAMPLE if law.name == "power" and law.inputs == ("N",) else {})
    params = {**{k: v for k, v in defaults.items() if k in law.param_names},
              **_params(args.params)}
    missing = [p for p in law.param_names if p not in params]
    if missing:
        raise BayescaleError(f"law {law.name!r} needs --params for {', '.join(missing)}")
    unknown = [p for p in params if p not in law.param_names]
    if unknown:
        raise BayescaleError(f"law {law.name!r} has no parameter {unknown[0]!r} (it has "
                             f"{', '.join(law.param_names)})")
    if args.isoflop:
        if law.name != "chinchilla":
            raise BayescaleError("--isoflop needs --law chinchilla")
        design = isoflop_design(params, args.isoflop, width=8.0, points=7)[["N", "D"]]
    elif set(law.inputs) >= {"N", "D"}:
        sizes = _log_range(args.N, "--N")
        tokens = _log_range(args.D, "--D")
        if tokens is not None:
            sizes = sizes if sizes is not None else np.geomspace(3e7, 1e9, 6)
            design = pd.DataFrame([{"N": n, "D": d} for n in sizes for d in tokens])
        else:
            ratios = tuple(args.ratios or (5, 10, 20, 40, 80))
            design = (chinchilla_design(ratios=ratios) if sizes is None else pd.DataFrame(
                [{"N": n, "D": n * r} for n in sizes for r in ratios]))
        if "U" in law.inputs:
            design["U"] = design["D"]
    else:
        x = law.inputs[0]
        grid = _log_range(getattr(args, x, None), f"--{x}")
        default = {"N": (1e6, 1e9), "D": (1e8, 1e11), "C": (1e17, 1e21)}.get(x, (1e6, 1e9))
        design = pd.DataFrame({x: grid if grid is not None else np.array(
            [float(f"{v:.3g}") for v in np.geomspace(*default, 10)])})
    runs = simulate_runs(law, params, design, sigma=args.sigma, seed=args.seed)
    if law.response != "loss":
        runs = runs.rename(columns={"loss": law.response})
    runs.attrs = {}
    if out is not None:
        atomic_write(out, lambda tmp: runs.to_csv(tmp, index=False))
        _say(args, f"wrote {out} ({len(runs)} runs of {law.name} with "
                   f"{', '.join(f'{k}={v:g}' for k, v in params.items())}; sigma "
                   f"{args.sigma:g}, seed {args.seed})")
    if args.json:
        print(json.dumps({"law": law.to_dict(), "params": params, "sigma": args.sigma,
                          "seed": args.seed,
                          "runs": json.loads(runs.to_json(orient="records"))}, indent=2))
    else:
        sys.stdout.write(runs.to_csv(index=False))
    return 0


def cmd_datasets(args: argparse.Namespace) -> int:
    from ..data import datasets
    from ..results.io import atomic_write, check_writable

    if args.action == "list":
        table = datasets.available()
        if args.format == "json":
            print(table.to_json(orient="records", indent=2))
        elif args.format == "csv":
            sys.stdout.write(table.to_csv(index=False))
        else:
            for row in table.to_dict("records"):
                print(f"{row['name']}  ({row['rows']} rows; licence: {row['licence']})\n"
                      f"  {row['description']}\n  {row['citation']}")
        return 0
    if not args.name:
        raise BayescaleError(f"fetch needs a dataset name: {', '.join(datasets.names())}")
    out = (check_writable(args.output, overwrite=args.force, flag="--force")
           if args.output else None)
    table = datasets.load(args.name, source=args.source, cache_dir=args.cache)
    if out is not None:
        atomic_write(out, lambda tmp: table.to_csv(tmp, index=False))
        _say(args, f"wrote {out} ({len(table)} rows of {args.name}; cite: "
                   f"{table.attrs.get('citation', '')})")
    if args.format == "json":
        print(json.dumps({"name": args.name, "rows": len(table),
                          "columns": list(table.columns),
                          "units": table.attrs.get("units", {}),
                          "citation": table.attrs.get("citation"),
                          "licence": table.attrs.get("licence"),
                          "output": str(out) if out else None}, indent=2, default=str))
    elif out is None and args.format == "csv":
        sys.stdout.write(table.to_csv(index=False))
    elif out is None:
        print(f"{args.name}: {len(table)} rows, columns {', '.join(table.columns)}")
        units = table.attrs.get("units") or {}
        if units:
            print("units: " + ", ".join(f"{k} = {v}" for k, v in units.items()))
        print("(write it with -o FILE.csv, or print it with --format csv)")
    return 0


def cmd_laws(args: argparse.Namespace) -> int:
    from ..laws import describe_laws

    if args.json:
        print(json.dumps(describe_laws(), indent=2))
        return 0
    for row in describe_laws():
        options = f"    options: {row['options']}" if row["options"] else ""
        print(f"{row['name']}  ({row['description']})\n  {row['formula']}\n"
              f"  inputs: {row['inputs']}    parameters: {row['parameters']}    "
              f"predicts: {row['response']}{options}")
    return 0


COMMANDS = {"fit": cmd_fit, "summary": cmd_summary, "predict": cmd_predict, "plot": cmd_plot,
            "optimal": cmd_optimal, "check": cmd_check, "backtest": cmd_backtest,
            "compare": cmd_compare, "report": cmd_report, "simulate": cmd_simulate,
            "datasets": cmd_datasets,
            "laws": cmd_laws}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    args.argv = argv
    if getattr(args, "json", False) and getattr(args, "format", None) in ("text", "csv"):
        args.format = "json"
    if args.command is None:
        parser.print_help()
        return 1
    try:
        return COMMANDS[args.command](args)
    except BayescaleError as exc:
        print(f"bayescale {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bayescale: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. '| head': the reader left; not an error of ours
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as exc:
        if args.debug:
            raise
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        print(f"bayescale {args.command}: internal error: {type(exc).__name__}: {first} "
              "(please report it; rerun with --debug for the traceback)", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
