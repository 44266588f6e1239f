"""``bayescale backtest``: hold out the largest runs, fit the rest, score the held-out runs."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ...errors import BayescaleError
from .. import output
from ..options import (
    add_fit_options,
    add_force,
    add_format,
    add_output,
    add_plot,
    add_quiet,
    model_config,
    new_parser,
    positive_int,
    sampler_settings,
)

EPILOG = """examples:
  bayescale backtest runs.csv --law chinchilla --holdout largest:3
  bayescale backtest epoch.csv --query "epoch_outlier == False" --holdout "C>1e21" \\
      --compare point --likelihood laplace --plot calibration.png
  bayescale backtest runs.csv --holdout largest:2 --method map --format json
"""

#: (column of the summary, header, format) of the text table.
COLUMNS = [("ARE_mean", "mean ARE", "{:.2%}"), ("ARE_median", "median ARE", "{:.2%}"),
           ("log_RMSE", "log-RMSE", "{:.4f}"), ("NLPD", "NLPD", "{:.3f}"),
           ("coverage_50", "cover 50%", "{:.0%}"), ("coverage_80", "cover 80%", "{:.0%}"),
           ("coverage_95", "cover 95%", "{:.0%}"), ("width_95", "95% width", "{:.2%}")]


def add_parser(subparsers: Any) -> None:
    p = new_parser(subparsers, "backtest",
                   "Fit on the runs that remain after --holdout and score the held-out ones "
                   "(what extrapolation will do to you): per run the median, 50/80/95 percent "
                   "predictive intervals and whether they covered, absolute relative error "
                   "(ARE), log error and log predictive density; then mean ARE, log-RMSE, NLPD "
                   "and coverage. --compare point adds the Huber point fit + bootstrap users "
                   "would otherwise run, on the same split.", EPILOG)
    p.add_argument("runs", help="CSV of runs (as for 'bayescale fit')")
    p.add_argument("--holdout", default="largest:3", metavar="SPEC",
                   help="largest:K (the K runs of largest compute) or a condition such as "
                        "\"C>1e21\" (default largest:3)")
    p.add_argument("--compare", choices=["point"],
                   help="also run the point baseline (chinchilla: Huber d=1e-3 + bootstrap)")
    p.add_argument("--replicates", type=positive_int, default=200,
                   help="bootstrap replicates of the point baseline (200)")
    p.add_argument("--no-discrepancy", action="store_true",
                   help="skip the row that adds the model-discrepancy term learned from the "
                        "kept runs")
    add_fit_options(p)
    add_plot(p, "write a calibration plot")
    add_output(p, "write the per-run table as CSV")
    add_format(p)
    add_force(p, "replace output files that exist")
    add_quiet(p)


def outputs(args: argparse.Namespace) -> dict[str, str]:
    return {"output": "csv", "plot": "image"}


def plan(args: argparse.Namespace) -> tuple[Any, Any]:
    """Every check before the fit: model, settings, the split on these runs, the baseline's
    law. Returns (config, settings)."""
    from ...evaluation.backtest import MAX_REPLICATES, check_holdout_text, holdout_mask
    from ...workflow import plan_fit

    if args.replicates > MAX_REPLICATES:
        raise BayescaleError(f"--replicates {args.replicates}: at most {MAX_REPLICATES:,}")
    check_holdout_text(args.holdout)
    config, settings, spec, runs, _ = plan_fit(args.runs, config=model_config(args),
                                               settings=sampler_settings(args))
    holdout_mask(runs.table.reset_index(drop=True), args.holdout)
    if args.compare == "point" and spec.law.name != "chinchilla":
        raise BayescaleError("--compare point is the Chinchilla Huber fit; use --law chinchilla "
                             f"(got {spec.law.name!r})")
    return config, settings


def run(args: argparse.Namespace) -> int:
    from ...evaluation.backtest import backtest

    config, settings = plan(args)
    # random_seed also as a keyword: the point baseline's bootstrap is seeded from it
    result = backtest(args.runs, holdout=args.holdout, compare_point=args.compare == "point",
                      replicates=args.replicates, discrepancy=not args.no_discrepancy,
                      config=config, settings=settings, random_seed=args.seed)
    if args.output is not None:
        output.write_csv(args.output, result.points, force=args.force)
        output.say(args, f"wrote {args.output} ({len(result.points)} rows)")
    if args.format == "csv" and args.output is None:
        sys.stdout.write(result.points.to_csv(index=False))
    elif args.format == "json":
        output.print_json({
            "law": result.summary.attrs["law"], "holdout": args.holdout,
            "scale_up": result.scale_up,
            "scale": result.summary.attrs["scale"],
            "summary": output.records(result.summary, "index"),
            "points": output.records(result.points), "notes": result.notes})
    elif args.format == "text":
        print_backtest(result)
    if args.plot is not None:
        from ...plot import calibration

        output.pyplot()
        output.write_figure(calibration(result).figure, args.plot, force=args.force)
        output.say(args, f"wrote {args.plot}")
    return 0


def print_backtest(result: Any) -> None:
    s = result.summary
    print(f"backtest of {s.attrs['law']} ({result.holdout}): fitted {result.fit.runs.counted}, "
          f"scored {int(s['n'].iloc[0])} held-out runs up to {result.scale_up:.3g}x the "
          "largest fitted")
    rows = [[m + (f" (delta={r['delta']:.3g})" if r.get("delta") == r.get("delta") else "")]
            + [fmt.format(r[c]) for c, _, fmt in COLUMNS] for m, r in s.iterrows()]
    print(output.render(["method"] + [h for _, h, _ in COLUMNS], rows))
    scale = "log loss" if result.summary.attrs.get("scale") == "log" else "accuracy"
    print(f"ARE = |observed - median|/observed; NLPD on the likelihood's scale ({scale}); "
          "coverage: share of held-out runs inside the predictive interval; width relative to "
          "the median")
    for note in result.notes:  # the fit's own warnings are printed as warnings
        if note not in result.fit.warnings:
            print(f"note: {output.one_line(note)}")
