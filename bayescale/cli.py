"""Command line: ``bayescale fit | summary | predict | plot | laws``.

A thin layer over the Python API. Heavy modules (PyMC, nutpie, ArviZ, matplotlib) are imported
inside the commands that need them, so ``bayescale --help`` and ``bayescale laws`` are instant.
Exit status: 0 success, 1 user error (bad input, options or files; one line on stderr, no
traceback, no output file), 2 internal error.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._version import __version__
from .errors import BayescaleError
from .inference import SAMPLERS
from .likelihoods import LIKELIHOODS

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
    p.add_argument("--law", default="chinchilla", help="law name (see 'bayescale laws'); "
                                                       "default chinchilla")
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

    sub.add_parser("laws", help="list the available laws",
                   description="List the laws: name, formula, inputs, parameters.")
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
    from .predict import percent

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
    from .fitting import check_size, configure, sample_fit
    from .io import NETCDF_SUFFIXES, check_writable, save

    out = check_writable(args.output, overwrite=args.force, flag="--force",
                         suffixes=NETCDF_SUFFIXES)
    spec, runs = configure(args.runs, args.law, likelihood=args.likelihood, priors=args.priors,
                           columns=args.columns, x=args.x, query=args.query,
                           law_options=_law_options(args))
    settings = {"draws": args.draws, "tune": args.tune, "chains": args.chains,
                "random_seed": args.seed, "target_accept": args.target_accept,
                "sampler": args.sampler, "method": args.method}
    check_size(spec, runs)
    _say(args, f"bayescale {__version__}: fitting {spec.law.name} ({spec.likelihood.name} "
               f"likelihood) to {runs.n} runs from {args.runs}")
    for note in runs.notes:
        _say(args, f"  note: {note}")
    _say(args, f"  sampling: {args.sampler}, {args.chains} chains x ({args.tune} tune + "
               f"{args.draws} draws)..." if args.method == "mcmc" else
               "  approximate fit: posterior mode + Laplace approximation (no MCMC)...")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = sample_fit(spec, runs, progress=sys.stderr.isatty() and not args.quiet,
                            **settings)
    result.meta["command"] = "bayescale " + " ".join(args.argv)
    save(result, out, overwrite=args.force, flag="--force")
    seed = result.meta["sampler"]["random_seed"]
    compiled = result.meta.get("compile_seconds")
    timing = (f"compile {compiled:.1f} s + sampling {result.meta['sampling_seconds']:.1f} s"
              if compiled else f"{result.meta['sampling_seconds']:.1f} s")
    _say(args, f"  done: {timing} (seed {seed}); saved {out}")
    if not args.quiet:
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

    from .fitting import fit_many, split_groups
    from .io import atomic_write, save
    from .predict import percent

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
        fit.meta["command"] = "bayescale " + " ".join(args.argv)
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
    from .errors import BayescaleWarning

    seen = set()
    for w in caught:
        if issubclass(w.category, BayescaleWarning) and str(w.message) not in seen:
            seen.add(str(w.message))
            print(f"warning: {w.message}", file=sys.stderr)


def cmd_summary(args: argparse.Namespace) -> int:
    from .io import load

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
    from .data import parse_columns, read_table
    from .io import atomic_write, check_writable, load
    from .predict import parse_point, percent, require_inputs

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
        print(f"wrote {out} ({len(table)} points, {percent(args.prob)}% intervals)",
              file=sys.stderr)
    elif args.format == "csv":
        sys.stdout.write(table.to_csv(index=False))
    elif args.format == "json":
        records = json.loads(table.to_json(orient="records"))
        print(json.dumps({"prob": args.prob, "interval": "equal-tailed", "method": fit.method,
                          "points": records}, indent=2))
    else:
        pct = f"{percent(args.prob)}%"
        cols = [c for c in table.columns if c != "prob"]
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

    from .io import atomic_write, check_writable, load
    from .plot import extrapolation
    from .predict import parse_point, require_inputs

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
    print(f"wrote {out}", file=sys.stderr)
    _print_warnings(caught)
    return 0


def cmd_laws(args: argparse.Namespace) -> int:
    from .laws import describe_laws

    for row in describe_laws():
        options = f"    options: {row['options']}" if row["options"] else ""
        print(f"{row['name']}  ({row['description']})\n  {row['formula']}\n"
              f"  inputs: {row['inputs']}    parameters: {row['parameters']}    "
              f"predicts: {row['response']}{options}")
    return 0


COMMANDS = {"fit": cmd_fit, "summary": cmd_summary, "predict": cmd_predict, "plot": cmd_plot,
            "laws": cmd_laws}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    args.argv = argv
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
    except Exception as exc:
        if args.debug:
            raise
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        print(f"bayescale {args.command}: internal error: {type(exc).__name__}: {first} "
              "(please report it; rerun with --debug for the traceback)", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
