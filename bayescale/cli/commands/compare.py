"""``bayescale compare``: compare law families on the same runs by PSIS-LOO and
leave-future-out, with a model-averaged prediction."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ...errors import BayescaleError
from .. import output
from ..options import (
    add_fit_options,
    add_format,
    add_quiet,
    model_config,
    new_parser,
    sampler_settings,
)

EPILOG = """examples:
  bayescale compare runs.csv --laws chinchilla,kaplan
  bayescale compare runs.csv --laws power,kaplan_n --x N --holdout largest:2
"""


def add_parser(subparsers: Any) -> None:
    p = new_parser(subparsers, "compare",
                   "Fit each law to the same runs and compare them by PSIS-LOO (interpolation, "
                   "with Pareto-k checks) and by leave-future-out (hold out the largest runs, "
                   "refit, score them: extrapolation), with stacking weights for a "
                   "model-averaged prediction.", EPILOG)
    p.add_argument("runs", help="CSV of runs (as for 'bayescale fit')")
    p.add_argument("--laws", required=True, metavar="LAW1,LAW2,..",
                   help="laws to compare, e.g. chinchilla,kaplan")
    p.add_argument("--holdout", default="largest:3", metavar="SPEC",
                   help="leave-future-out split (default largest:3; 'none' skips LFO)")
    p.add_argument("--at", action="append", metavar="N=..,D=..",
                   help="also predict here with the model average (LOO stacking weights); "
                        "repeatable")
    add_fit_options(p, law=False)
    add_format(p)
    add_quiet(p)


def plan(args: argparse.Namespace) -> tuple[list[str], Any, Any, list[dict[str, float]]]:
    """Every check before the first fit: the laws, the method, each law's model on these runs,
    the split and the points. Returns (laws, config, settings, points)."""
    from ...data.points import parse_point, require_inputs
    from ...evaluation.backtest import check_holdout_text, holdout_mask
    from ...workflow import plan_fit

    laws = [x.strip() for x in args.laws.split(",") if x.strip()]
    if len(laws) < 2:
        raise BayescaleError("--laws: give at least two laws, e.g. chinchilla,kaplan")
    if args.method != "mcmc":
        raise BayescaleError("compare needs MCMC draws (PSIS-LOO); drop --method map")
    lfo = args.holdout.strip().lower() != "none"
    if lfo:
        check_holdout_text(args.holdout)
    points = [parse_point(a) for a in (args.at or [])]
    config, settings = model_config(args, law=laws[0]), sampler_settings(args)
    for name in laws:  # each law can read these runs (columns, options) before sampling
        _, _, spec, runs, _ = plan_fit(args.runs, name, config=config, settings=settings)
        if lfo:
            holdout_mask(runs.table.reset_index(drop=True), args.holdout)
        for point in points:
            require_inputs(point, spec.law, "--at")
    return laws, config, settings, points


def run(args: argparse.Namespace) -> int:
    import warnings

    import pandas as pd

    from ...evaluation.compare import ModelAverage, compare, lfo
    from ...workflow import fit

    laws, config, settings, points = plan(args)
    fits = {}
    for name in laws:  # each fit's warnings name the law they are about
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fits[name] = fit(args.runs, name, config=config, settings=settings)
        for w in caught:
            warnings.warn_explicit(f"law {name!r}: {w.message}", w.category, w.filename,
                                   w.lineno)
    loo_table = compare(fits)
    lfo_table = None
    if args.holdout.strip().lower() != "none":
        lfo_table, _ = lfo(args.runs, laws, holdout=args.holdout,
                           law_options={n: config.law_options for n in laws},
                           priors={n: config.priors for n in laws}, config=config,
                           settings=settings)
    averaged = None
    if points:
        # LOO stacking uses every run; leave-future-out scores only the few held-out runs, so
        # its weights swing to all-or-nothing: they are reported, not used for the average
        averaged = ModelAverage(fits, loo_table["weight"].to_dict()).predict(points)
        if lfo_table is not None and lfo_table.index[0] != loo_table.index[0]:
            output.warn(f"LOO prefers {loo_table.index[0]!r} but leave-future-out prefers "
                        f"{lfo_table.index[0]!r} (on {args.holdout}): the laws interpolate and "
                        "extrapolate differently; check residuals ('bayescale check') and "
                        "backtest with more held-out runs")
    if args.format == "json":
        out: dict[str, Any] = {"loo": output.records(loo_table, "index"),
                               "loo_warnings": loo_table.attrs["warnings"]}
        if averaged is not None:
            out["model_average"] = {"weights": averaged.attrs["weights"],
                                    "points": output.records(averaged)}
        if lfo_table is not None:
            out["lfo"] = output.records(lfo_table, "index")
            out["holdout"] = args.holdout
        output.print_json(out)
    elif args.format == "csv":
        frames = [loo_table.assign(criterion="loo")]
        if lfo_table is not None:
            frames.append(lfo_table.assign(criterion="lfo"))
        sys.stdout.write(pd.concat(frames).to_csv())
    else:
        print("PSIS-LOO (interpolation: each run predicted from the others), best first; "
              "weight: stacking")
        print(output.frame(loo_table, index="model"))
        if lfo_table is not None:
            print(f"\nleave-future-out ({args.holdout}: refit without the largest runs, score "
                  "them; extrapolation), best first; weight: stacking on the held-out densities")
            print(output.frame(lfo_table, index="law"))
        if averaged is not None:
            w = ", ".join(f"{k} {v:.2f}" for k, v in averaged.attrs["weights"].items())
            print(f"\nmodel-averaged prediction (LOO stacking weights: {w}), 95% equal-tailed "
                  "intervals")
            print(output.frame(averaged, [c for c in averaged.columns if c != "prob"]))
        for note in loo_table.attrs["warnings"]:
            output.warn(note)
    return 0
