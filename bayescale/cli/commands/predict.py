"""``bayescale predict``: predicted loss (or accuracy) with intervals at new points."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .. import output
from ..options import add_force, add_format, add_output, add_prob, add_quiet, new_parser

EPILOG = """examples:
  bayescale predict fit.nc --at N=7e10,D=1.4e12 --at N=4e11,D=8e12
  bayescale predict fit.nc --points targets.csv -o pred.csv
"""


def add_parser(subparsers: Any) -> None:
    p = new_parser(subparsers, "predict",
                   "Evaluate the fitted law on the posterior draws at new points: median and "
                   "interval of the law's mean, and the posterior-predictive interval of a new "
                   "run's loss.", EPILOG)
    p.add_argument("fit", help="NetCDF file written by 'bayescale fit'")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--at", action="append", metavar="N=..,D=..",
                       help="a point (repeatable), e.g. N=7e10,D=1.4e12")
    where.add_argument("--points", metavar="CSV", help="CSV of points (columns N, D or C)")
    p.add_argument("--columns", metavar="MAP",
                   help="map the points file's column names, e.g. N=params,D=tokens")
    add_prob(p)
    add_output(p, "write a CSV instead of printing")
    add_format(p)
    add_force(p)
    add_quiet(p)


def outputs(args: argparse.Namespace) -> dict[str, str]:
    return {"output": "csv"}


def points_of(args: argparse.Namespace, law: Any) -> Any:
    """The points of ``--at`` (checked against the law) or ``--points``."""
    from ...data.points import parse_point, require_inputs
    from ...data.runs import parse_columns, read_table

    if args.points:
        points = read_table(args.points)
        if args.columns:
            mapping = parse_columns(args.columns)
            points = points.rename(columns={v: k for k, v in mapping.items()})
        return points
    points = [parse_point(a) for a in args.at]
    for point in points:
        require_inputs(point, law, "--at")
    return points


def run(args: argparse.Namespace) -> int:
    from ...data.points import percent
    from ...results.fit import load

    fit = load(args.fit)
    table = fit.predict(points_of(args, fit.law), prob=args.prob)
    pct = f"{percent(args.prob)}%"
    if args.output is not None:
        output.write_csv(args.output, table, force=args.force)
        output.say(args, f"wrote {args.output} ({len(table)} points, {pct} intervals)")
    if args.format == "json":
        output.print_json({"prob": args.prob, "interval": "equal-tailed", "method": fit.method,
                           "points": output.records(table)})
    elif args.output is not None:
        pass  # written to the file; only JSON is also printed
    elif args.format == "csv":
        sys.stdout.write(table.to_csv(index=False))
    else:
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
        print(f"{fit.law.name}: predicted {fit.law.response}, {pct} equal-tailed intervals{approx} "
              "(lower/upper: the law's mean; pp_lower/pp_upper: a new run, noise included)")
        print(output.frame(table, cols, heads))
    return 0

