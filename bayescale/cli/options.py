"""Options shared by several commands, defined once: argument types, the model and sampler
options (fit, backtest, compare), the interval probability, the outputs (``-o``, ``--plot``,
``--format``/``--json``, ``--force``, ``--quiet``); and the library objects they make
(:class:`~bayescale.model.config.ModelConfig`,
:class:`~bayescale.inference.samplers.SamplerSettings`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any

from ..errors import BayescaleError
from ..inference.samplers import METHODS, SAMPLERS
from ..model.likelihoods import LIKELIHOODS
from .commands import COMMANDS
from .output import fill


def new_parser(subparsers: Any, name: str, description: str,
               epilog: str) -> argparse.ArgumentParser:
    """The parser of command ``name``: its one-line help from the registry, the description
    wrapped, the epilog (examples) as written."""
    p = subparsers.add_parser(name, help=COMMANDS[name].summary,
                              description=fill(description), epilog=epilog,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", metavar="FILE.toml",
                   help="this command's options from a TOML file (keys: the option names, e.g. "
                        "draws = 2000, target-accept = 0.95, at = [\"N=7e10,D=1.4e12\"]; or a "
                        f"[{name}] table); options given here override it")
    return p


# -- argument types ---------------------------------------------------------------------------
def probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be between 0 and 1")
    return value


def number_list(text: str) -> list[float]:
    """``"1e22,1e24"`` → [1e22, 1e24]: positive finite numbers."""
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


def int_at_least(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{text!r} must be ≥ {minimum}")
        return value

    return parse


positive_int, nonnegative_int = int_at_least(1), int_at_least(0)


def one(values: list[float] | None, flag: str) -> float | None:
    """The single number of a list option (None when not given)."""
    if values is None:
        return None
    if len(values) != 1:
        raise BayescaleError(f"{flag} takes one number, got {len(values)}")
    return values[0]


# -- option groups ----------------------------------------------------------------------------
def add_model_options(p: argparse.ArgumentParser, law: bool = True) -> None:
    """Which model: the law and its options, the likelihood, priors, columns and row filter."""
    if law:
        p.add_argument("--law", default=None,
                       help="law name (see 'bayescale laws'); default: from the columns "
                            "(chinchilla with N and D, power with one of N, D, C, sigmoid for "
                            "an accuracy)")
    p.add_argument("--x", choices=["N", "D", "C"],
                   help="the input of a one-input law (power, bnsl, loglinear, sigmoid)")
    p.add_argument("--expression", metavar="EXPR",
                   help="law 'custom': e.g. \"E + A * N**(-alpha) + B * D**(-beta)\" "
                        "(give a prior for every parameter with --priors)")
    p.add_argument("--chance", metavar="P|COLUMN",
                   help="accuracy laws: the chance level (0.25 for 4-way multiple choice), or "
                        "a column holding it (one value per --by group)")
    p.add_argument("--breaks", type=int, choices=[1, 2], help="law 'bnsl': number of breaks")
    p.add_argument("--k", type=float, metavar="K",
                   help="law 'compute': C = K*N*D when C is not given (default 6)")
    p.add_argument("--likelihood", default=None, choices=list(LIKELIHOODS),
                   help="observation model: studentt (default), laplace or normal on log loss; "
                        "beta (default) or logitnormal for accuracy laws")
    p.add_argument("--priors", metavar="FILE|weak|field",
                   help="TOML file overriding priors (e.g. from 'bayescale priors learn'); "
                        "'field' (default): priors learned from public scaling studies where "
                        "they apply; 'weak': the laws' weakly informative priors only")
    p.add_argument("--columns", metavar="MAP",
                   help="map your column names, e.g. N=params,D=tokens,loss=val_loss")
    p.add_argument("--query", metavar="EXPR",
                   help="keep rows matching a condition: columns, numbers, strings, "
                        "comparisons, and/or/not, in (nothing is run as Python), e.g. "
                        "\"epoch_outlier == False\"")


def add_sampler_options(p: argparse.ArgumentParser) -> None:
    """How to fit: MCMC settings or the MAP + Laplace approximation."""
    p.add_argument("--draws", type=positive_int, default=1000, help="draws per chain (1000)")
    p.add_argument("--tune", type=nonnegative_int, default=1000,
                   help="tuning steps per chain (1000)")
    p.add_argument("--chains", type=positive_int, default=4, help="chains (4)")
    p.add_argument("--seed", type=nonnegative_int, default=None,
                   help="random seed (same seed → same draws); recorded in the file")
    p.add_argument("--target-accept", type=probability, default=0.9,
                   help="NUTS target acceptance (0.9)")
    p.add_argument("--method", default="mcmc", choices=list(METHODS),
                   help="mcmc (default) or map: the posterior mode with a Laplace approximation "
                        "(no compile, well under a second; approximate)")
    p.add_argument("--sampler", default="nutpie", choices=list(SAMPLERS),
                   help="MCMC back-end (default nutpie)")
    p.add_argument("--no-retry", dest="retry", action="store_false",
                   help="no automatic second pass (target-accept 0.99) when the first pass "
                        "has divergences or R-hat > 1.01")


def add_fit_options(p: argparse.ArgumentParser, law: bool = True) -> None:
    """The model and sampler options of fit, backtest and compare."""
    add_model_options(p, law=law)
    add_sampler_options(p)


def add_prob(p: argparse.ArgumentParser,
             help: str = "interval probability (0.95)") -> None:
    p.add_argument("--prob", type=probability, default=0.95, help=help)


def add_format(p: argparse.ArgumentParser, formats: Sequence[str] = ("text", "csv", "json"),
               help: str = "format when printing (default text)") -> None:
    """``--format`` and its shorthand ``--json``."""
    p.add_argument("--format", choices=list(formats), default=formats[0], help=help)
    if "json" in formats:
        p.add_argument("--json", action="store_true", help="shorthand for --format json")


def add_json(p: argparse.ArgumentParser, help: str) -> None:
    p.add_argument("--json", action="store_true", help=help)


def add_output(p: argparse.ArgumentParser, help: str, metavar: str = "OUT.csv",
               required: bool = False) -> None:
    """``-o/--output``: the file (or folder) a command writes; checked before any work
    (:func:`bayescale.cli.output.check_output`, by the kind the command's ``outputs`` gives)."""
    p.add_argument("-o", "--output", metavar=metavar, required=required, help=help)


def add_plot(p: argparse.ArgumentParser, help: str) -> None:
    """``--plot``: a figure (PNG, PDF or SVG), checked before any work."""
    p.add_argument("--plot", metavar="FIG.png", help=help)


def add_force(p: argparse.ArgumentParser,
              help: str = "replace the output file if it exists") -> None:
    p.add_argument("--force", action="store_true", help=help)


def add_quiet(p: argparse.ArgumentParser,
              help: str = "print only results, warnings and errors (no progress)") -> None:
    p.add_argument("--quiet", action="store_true", help=help)


# -- the library objects the options make -----------------------------------------------------
def law_options(args: argparse.Namespace) -> dict[str, Any] | None:
    """The law options given on the command line (each law accepts its own), or None."""
    given = {k: getattr(args, k) for k in ("expression", "chance", "breaks", "k")}
    return {k: v for k, v in given.items() if v is not None} or None


def model_config(args: argparse.Namespace, law: str | None = None) -> Any:
    """The :class:`ModelConfig` of the model options (``law`` overrides ``--law``)."""
    from ..model.config import ModelConfig

    return ModelConfig(law=law or args.law, likelihood=args.likelihood, priors=args.priors,
                       columns=args.columns, x=args.x, query=args.query,
                       law_options=law_options(args))


def sampler_settings(args: argparse.Namespace) -> Any:
    """The :class:`SamplerSettings` of the sampler options (a progress bar on a terminal)."""
    from ..inference.samplers import SamplerSettings

    return SamplerSettings(sampler=args.sampler, draws=args.draws, tune=args.tune,
                           chains=args.chains, target_accept=args.target_accept,
                           random_seed=args.seed, method=args.method,
                           retry=getattr(args, "retry", True),
                           progress=sys.stderr.isatty() and not args.quiet)
