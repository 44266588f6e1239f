"""``bayescale plot``: the extrapolation fan chart of a saved fit."""

from __future__ import annotations

import argparse
from typing import Any

from .. import output
from ..options import add_force, add_json, add_output, add_prob, add_quiet, new_parser


def add_parser(subparsers: Any) -> None:
    p = new_parser(subparsers, "plot",
                   "Plot the observed runs, the posterior median law and its credible bands out "
                   "to the targets, on log-log axes.",
                   "examples:\n  bayescale plot fit.nc --to N=7e10,D=1.4e12 -o extrapolation.png\n")
    p.add_argument("fit", help="NetCDF file written by 'bayescale fit'")
    p.add_argument("--to", action="append", metavar="N=..,D=..",
                   help="a target point (repeatable), marked with its interval")
    add_prob(p, "interval probability of the targets and the outer band (0.95)")
    add_output(p, "output image", "FIG.png", required=True)
    add_force(p)
    add_json(p, "print the file and the plotted bands' numbers as JSON")
    add_quiet(p)


def outputs(args: argparse.Namespace) -> dict[str, str]:
    return {"output": "image"}


def run(args: argparse.Namespace) -> int:
    from ...data.points import parse_point, require_inputs
    from ...plot import extrapolation
    from ...results.fit import load

    fit = load(args.fit)
    targets = [parse_point(t) for t in (args.to or [])]
    for target in targets:
        require_inputs(target, fit.law, "--to")
    output.pyplot().close("all")
    ax = extrapolation(fit, to=targets, probs=(0.5, args.prob), target_prob=args.prob)
    output.write_figure(ax.figure, args.output, force=args.force)
    if args.json:
        bands = fit.bands(to=targets, probs=(0.5, args.prob))
        output.print_json({"file": str(args.output), "bands": output.records(bands)})
    output.say(args, f"wrote {args.output}")
    return 0
