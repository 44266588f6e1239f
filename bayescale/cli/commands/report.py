"""``bayescale report``: an HTML + Markdown report of a saved fit, or its LaTeX parameter
table."""

from __future__ import annotations

import argparse
import shlex
import sys
from typing import Any

from ...errors import BayescaleError
from .. import output
from ..options import add_force, add_json, add_output, add_prob, add_quiet, new_parser, number_list

EPILOG = """examples:
  bayescale report fit.nc -o report/
  bayescale report fit.nc -o report/ --at N=7e10,D=1.4e12 --compute 5.76e23
  bayescale report fit.nc --format latex > parameters.tex
"""


def add_parser(subparsers: Any) -> None:
    p = new_parser(subparsers, "report",
                   "Write a self-contained HTML page (images embedded, opens offline) and a "
                   "Markdown twin with PNGs: the runs, law and priors, parameters with "
                   "intervals, diagnostics and warnings, the predictive check, the extrapolation "
                   "fan chart, a pair plot, predictions at --at, the compute-optimal table and "
                   "frontier (laws in N and D), and the exact command and versions. --format "
                   "latex prints the parameter table.", EPILOG)
    p.add_argument("fit", help="NetCDF file written by 'bayescale fit'")
    add_output(p, "folder receiving report.html, report.md and the PNGs", "FOLDER")
    p.add_argument("--format", choices=["html", "latex"], default="html",
                   help="html (HTML + Markdown, default) or latex (parameter table to stdout "
                        "or -o FILE.tex)")
    p.add_argument("--at", action="append", metavar="N=..,D=..",
                   help="a target to predict and mark (repeatable)")
    p.add_argument("--compute", type=number_list, metavar="C1,C2,..",
                   help="budgets of the compute-optimal table (default 100x the largest run)")
    add_prob(p)
    add_json(p, "print the written files as JSON")
    add_force(p, "replace an existing report")
    add_quiet(p)


def outputs(args: argparse.Namespace) -> dict[str, Any]:
    from ...report import REPORT_FILES

    if args.format == "latex":
        return {"output": "tex"}
    if not args.output:
        raise BayescaleError("give -o FOLDER for the report (or --format latex)")
    return {"output": ("folder", REPORT_FILES)}


def run(args: argparse.Namespace) -> int:
    from ...data.points import parse_point, require_inputs
    from ...report import build, latex_table, write
    from ...results.fit import load

    if args.format == "latex":
        fit = load(args.fit)
        text = latex_table(fit, args.prob)
        if args.output is not None:
            output.write_text(args.output, text, force=args.force)
            output.say(args, f"wrote {args.output}")
        if args.json:
            output.print_json({"latex": text,
                               "output": str(args.output) if args.output else None})
        elif args.output is None:
            sys.stdout.write(text)
        return 0
    targets = [parse_point(a) for a in (args.at or [])]
    fit = load(args.fit)
    for t in targets:
        require_inputs(t, fit.law, "--at")
    report = build(fit, at=targets, compute=args.compute or (), prob=args.prob,
                   command="bayescale " + shlex.join(args.argv))
    files = write(report, args.output, overwrite=args.force)
    if args.json:
        output.print_json({"files": [str(f) for f in files], "warnings": report.warnings})
    else:
        output.say(args, f"wrote {', '.join(str(f) for f in files)}")
    for message in report.warnings:
        output.warn(message)
    return 0
