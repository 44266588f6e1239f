"""``bayescale fit``: fit a law to a runs table and save the posterior (one fit, or one per
group with ``--by``)."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path
from typing import Any

from ..._version import __version__
from ...errors import BayescaleError
from .. import output
from ..options import (
    add_fit_options,
    add_force,
    add_json,
    add_output,
    add_prob,
    add_quiet,
    model_config,
    new_parser,
    positive_int,
    sampler_settings,
)

EPILOG = """examples:
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


def add_parser(subparsers: Any) -> None:
    p = new_parser(subparsers, "fit", "Fit a scaling law to a CSV of training runs with NUTS "
                                      "and save the posterior as NetCDF.", EPILOG)
    p.add_argument("runs", help="CSV of runs: columns N (params), D (tokens) and/or C (FLOPs), "
                                "loss")
    add_fit_options(p)
    p.add_argument("--discrepancy", default="default", metavar="auto|none|DELTA",
                   help="model-discrepancy term for extrapolation: 'auto' (default for losses) "
                        "integrates over its size, prior learned across public studies times "
                        "the runs' own leave-future-out evidence; a number fixes it; 'none' "
                        "leaves the law's bands alone")
    add_prob(p, "probability of the printed intervals (0.95)")
    p.add_argument("--by", metavar="COLUMN",
                   help="fit each group of rows sharing COLUMN's value (compiling once); "
                        "-o is then a folder receiving GROUP.nc per group and summary.csv")
    p.add_argument("--workers", type=positive_int, default=None,
                   help="with --by: fit groups in this many worker processes")
    add_output(p, "output NetCDF file (a folder with --by)", "FIT.nc", required=True)
    add_force(p)
    add_json(p, "print the summary as JSON (as 'bayescale summary --format json')")
    add_quiet(p, "print only warnings and errors")


def outputs(args: argparse.Namespace) -> dict[str, str]:
    return {"output": "folder" if args.by is not None else "netcdf"}


def print_summary(fit: Any, prob: float) -> None:
    from ...results.summary import fit_summary

    summary = fit_summary(fit, prob)
    print("\n".join(summary.lines(output.frame(summary.table, index="parameter"))))


def run(args: argparse.Namespace) -> int:
    if args.by is not None and not str(args.by).strip():
        raise BayescaleError("--by needs a column name")
    if args.by:
        return fit_groups(args)
    if args.workers:
        raise BayescaleError("--workers applies to --by only")
    from ...inference.run import sample_fit
    from ...results.io import save
    from ...results.summary import describe_discrepancy, summary_json
    from ...workflow import apply_discrepancy, plan_fit

    config, settings, spec, runs, setting = plan_fit(
        args.runs, config=model_config(args), settings=sampler_settings(args),
        discrepancy=args.discrepancy)
    output.say(args, f"bayescale {__version__}: fitting {spec.law.name} "
                     f"({spec.likelihood.name} likelihood) to {runs.counted} from {args.runs}")
    if args.law is None:
        output.say(args, f"  law: {spec.law.name}, chosen from the columns "
                         f"({', '.join(spec.law.inputs)} → {spec.law.response}); give --law to "
                         "choose another")
    for note in runs.notes:
        output.say(args, f"  note: {output.one_line(note)}")
    output.say(args, f"  sampling: {args.sampler}, {args.chains} chains x ({args.tune} tune + "
                     f"{args.draws} draws)..." if args.method == "mcmc" else
                     "  approximate fit: posterior mode + Laplace approximation (no MCMC)...")
    result = sample_fit(spec, runs, settings, config=config)
    if setting is not None:
        result = apply_discrepancy(result, setting)
        if result.discrepancy is not None:
            output.say(args, f"  {describe_discrepancy(result.discrepancy)}")
    result.meta["command"] = "bayescale " + shlex.join(args.argv)
    save(result, args.output, overwrite=args.force)
    seed = result.meta["sampler"]["random_seed"]
    compiled = result.meta.get("compile_seconds")
    what = ("compiled model loaded from the cache" if result.meta.get("compiled") == "cache"
            else "compile")
    timing = (f"{what} {compiled:.1f} s + sampling {result.meta['sampling_seconds']:.1f} s"
              if compiled else f"{result.meta['sampling_seconds']:.1f} s")
    if result.meta.get("second_pass"):
        output.say(args, f"  {second_pass(result.meta['second_pass'])}")
    output.say(args, f"  done: {timing} (seed {seed}); saved {args.output}")
    if args.json:
        output.print_json(summary_json(result, args.prob))
    elif not args.quiet:
        print_summary(result, args.prob)
    return 0


def second_pass(info: dict[str, Any]) -> str:
    """What the automatic second pass did, in one line."""
    text = (f"second pass: the first ({info['first_target_accept']:g} target acceptance) had "
            f"{info['reason']}; sampled again with --target-accept {info['target_accept']:g}")
    if info.get("kept") == "first":
        return text + f", which was no better ({info.get('second')}): kept the first"
    return text


def safe_name(name: Any) -> str:
    """A group's name as a file name."""
    text = "_".join(map(str, name)) if isinstance(name, tuple) else str(name)
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in text).strip("._") or "group"


def file_names(groups: Any) -> dict[Any, str]:
    """Distinct file names (without suffix) for the groups."""
    names: dict[Any, str] = {}
    for name in groups:
        base, k = safe_name(name), 1
        while base in names.values():
            k += 1
            base = f"{safe_name(name)}_{k}"
        names[name] = base
    return names


def fit_groups(args: argparse.Namespace) -> int:
    import pandas as pd

    from ...data.points import percent
    from ...data.runs import split_groups
    from ...results.discrepancy import parse_setting
    from ...results.io import save
    from ...workflow import apply_discrepancy, fit_many

    folder: Path = args.output
    config, settings = model_config(args), sampler_settings(args)
    setting = parse_setting(args.discrepancy)
    settings.validated()
    groups = split_groups(args.runs, args.by, config.query)
    names = file_names(groups)
    targets = [folder / f"{n}.nc" for n in names.values()] + [folder / "summary.csv"]
    clash = next((t for t in targets if t.exists()), None)
    if clash is not None and not args.force:
        raise BayescaleError(f"{str(clash)!r} already exists; use --force to replace it")
    executor = workers(args.workers) if args.workers else None
    law = args.law or config.prepare(next(iter(groups.values())))[0].name
    output.say(args, f"bayescale {__version__}: fitting {law} to each of the "
                     f"{len(groups)} groups of {args.by!r} in {args.runs}")
    try:
        fits = fit_many(groups, config=config.replace(query=None), settings=settings,
                        executor=executor, progress=settings.progress)
    except BaseException:
        if executor is not None:  # Ctrl-C or an error: stop the workers now, not after
            executor.stop()
        raise
    finally:
        if executor is not None:
            executor.shutdown(cancel_futures=True)
    again = [name for name, fit in fits.items() if fit.meta.get("second_pass")]
    if again:
        shown = ", ".join(repr(str(n)) for n in again[:5]) + (" ..." if len(again) > 5 else "")
        output.say(args, f"  second pass (target acceptance 0.99) for {len(again)} of "
                         f"{len(fits)} groups ({shown}): see 'second_pass' in their files")
    if setting is not None:
        fits = {name: apply_discrepancy(fit, setting)
                for name, fit in fits.items()}
    folder.mkdir(exist_ok=True)
    rows = []
    for name, fit in fits.items():
        fit.meta["command"] = "bayescale " + shlex.join(args.argv)
        fit.meta["group"] = "posterior"
        fit.meta["by"] = {str(args.by): str(name)}
        save(fit, folder / f"{names[name]}.nc", overwrite=args.force)
        table = fit.summary(prob=args.prob).reset_index()
        table.insert(0, "group", str(name))
        table.insert(2, "prob", args.prob)
        table.insert(3, "method", fit.method)
        table["warnings"] = len(fit.warnings)
        rows.append(table)
    summary = pd.concat(rows, ignore_index=True)
    output.write_csv(folder / "summary.csv", summary, force=args.force)
    output.say(args, f"  saved {len(fits)} fits and summary.csv in {folder}")
    if not args.quiet:
        wide = summary.pivot(index="group", columns="parameter", values="median")
        wide = wide[[c for c in fits[next(iter(fits))].spec.free_params if c in wide]]
        wide.insert(0, "warnings", summary.groupby("group")["warnings"].first())
        what = ("APPROXIMATE posterior (Laplace) medians" if args.method == "map"
                else "posterior medians")
        print(f"{what} per group ({percent(args.prob)}% intervals in "
              f"{folder / 'summary.csv'})")
        print(output.frame(wide, index="group"))
    return 0


def workers(n: int) -> Any:
    """A pool of ``n`` worker processes for ``fit --by --workers``. Ctrl-C belongs to this
    process alone: workers start with SIGINT ignored (so none prints a traceback from its
    imports or its compile), and :meth:`stop` ends them when this process is interrupted."""
    import multiprocessing
    import signal
    from concurrent.futures import ProcessPoolExecutor

    class Workers(ProcessPoolExecutor):
        def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
            # a worker is started inside submit; it inherits the ignored SIGINT (Python keeps
            # an ignored SIGINT ignored at start-up)
            previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
            try:
                return super().submit(fn, *args, **kwargs)
            finally:
                signal.signal(signal.SIGINT, previous)

        def stop(self) -> None:
            processes = list((getattr(self, "_processes", None) or {}).values())
            self.shutdown(wait=False, cancel_futures=True)
            for process in processes:
                process.terminate()
            for process in processes:
                process.join(timeout=5)

    # spawn, not fork: the parent may run threads (progress bar, nutpie)
    return Workers(n, mp_context=multiprocessing.get_context("spawn"))
