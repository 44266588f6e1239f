"""``bayescale summary``: the parameter table of a saved fit."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .. import output
from ..options import add_format, add_prob, add_quiet, new_parser


def add_parser(subparsers: Any) -> None:
    p = new_parser(subparsers, "summary",
                   "Print the posterior of each parameter: median, mean, sd, equal-tailed "
                   "interval, R-hat, bulk/tail ESS.",
                   "examples:\n  bayescale summary fit.nc --prob 0.9\n"
                   "  bayescale summary fit.nc --format json\n")
    p.add_argument("fit", help="NetCDF file written by 'bayescale fit'")
    add_prob(p)
    add_format(p, help="output format (default text)")
    add_quiet(p)


def run(args: argparse.Namespace) -> int:
    from ...results.fit import load
    from ...results.summary import fit_summary, summary_csv_table, summary_json

    fit = load(args.fit)
    if args.format == "json":
        output.print_json(summary_json(fit, args.prob))
    elif args.format == "csv":
        sys.stdout.write(summary_csv_table(fit, args.prob).to_csv())
    else:
        summary = fit_summary(fit, args.prob)
        print("\n".join(summary.lines(output.frame(summary.table, index="parameter"))))
        for message in fit.warnings:
            output.warn(message)
    return 0
