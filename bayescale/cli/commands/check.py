"""``bayescale check``: the posterior predictive check of a saved fit."""

from __future__ import annotations

import argparse
from typing import Any

from ...errors import BayescaleError
from .. import output
from ..options import add_force, add_format, add_plot, add_quiet, new_parser


def add_parser(subparsers: Any) -> None:
    p = new_parser(subparsers, "check",
                   "Posterior predictive check of a saved fit: residuals against log N, D and C "
                   "(a quadratic trend flags a law whose shape misses the runs), the PIT (flat "
                   "when the noise model is right), in-sample coverage, the prior-to-posterior "
                   "shrinkage of each parameter, and every warning.",
                   "examples:\n  bayescale check fit.nc\n  bayescale check fit.nc --plot ppc.png"
                   "\n  bayescale check fit.nc --format json\n")
    p.add_argument("fit", help="NetCDF file written by 'bayescale fit'")
    add_plot(p, "write residual panels and the PIT histogram")
    add_format(p, ("text", "json"))
    add_force(p, "replace the plot if it exists")
    add_quiet(p)


def outputs(args: argparse.Namespace) -> dict[str, str]:
    return {"plot": "image"}


def run(args: argparse.Namespace) -> int:
    from ...results.fit import load

    fit = load(args.fit)
    if fit.group != "posterior":
        raise BayescaleError(f"{args.fit}: a prior predictive has no fit to check")
    numbers = fit.ppc()
    shrink = fit.shrinkage()
    notes = fit.check()
    if args.plot is not None:
        import numpy as np

        from ...plot import ppc

        output.pyplot()  # the file back-end, before any figure
        output.write_figure(np.asarray(ppc(fit)).reshape(-1)[0].figure, args.plot, force=args.force)
    if args.format == "json":
        output.print_json({"ppc": numbers, "shrinkage": output.records(shrink, "index"),
                           "warnings": notes})
    else:
        scale = "log loss" if fit.law.response == "loss" else "accuracy"
        print(f"{fit.law.name}, {fit.runs.counted}: posterior predictive check")
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
        print(output.frame(shrink, ["prior_sd", "posterior_sd", "shrinkage"],
                           ["prior sd", "posterior sd", "shrinkage"], index="parameter"))
        print("no warnings" if not notes else f"{len(notes)} warning(s):")
        for note in notes:
            output.warn(note)
    if args.plot is not None:
        output.say(args, f"wrote {args.plot}")
    return 0
