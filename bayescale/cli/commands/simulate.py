"""``bayescale simulate``: synthetic runs from a law with known parameters."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ...errors import BayescaleError, shown
from .. import output
from ..options import (
    add_force,
    add_json,
    add_output,
    add_quiet,
    new_parser,
    nonnegative_int,
    number_list,
)

EPILOG = """examples:
  bayescale simulate -o founding.csv                  # 100*N^-0.07 + 10, 10 sizes
  bayescale simulate --law chinchilla --N 3e7:1e9:6 --ratios 10,40 --seed 1 -o runs.csv
  bayescale simulate --law chinchilla --isoflop 1e18,1e19,1e20 --sigma 0.005 -o iso.csv
  bayescale simulate --law compute --C 1e17:1e21:8 --params E=1.8,A=60,gamma=0.1 --json
"""


def add_parser(subparsers: Any) -> None:
    p = new_parser(subparsers, "simulate",
                   "Write synthetic runs from a law and parameters, with multiplicative "
                   "log-normal noise: for teaching, and for checking a design before training "
                   "anything (fit the simulated runs and see what the design can tell). The "
                   "default is the founding document's example, error = 100*N^-0.07 + 10 at 10 "
                   "sizes from 1e6 to 1e9.", EPILOG)
    p.add_argument("--law", default="power", help="law name (default power; see 'bayescale "
                                                   "laws')")
    p.add_argument("--x", choices=["N", "D", "C"], default=None,
                   help="the input of a one-input law (default N)")
    p.add_argument("--params", metavar="K=V,..",
                   help="true parameters, e.g. E=1.69,A=406.4,B=410.7,alpha=0.34,beta=0.28 "
                        "(defaults: the founding example for power, Besiroglu et al.'s "
                        "re-fit for chinchilla)")
    p.add_argument("--N", metavar="LO:HI:K", help="model sizes, log-spaced (default "
                                                   "1e6:1e9:10; 3e7:1e9:6 for laws in N, D)")
    p.add_argument("--D", metavar="LO:HI:K", help="token counts, log-spaced (one-input D laws, "
                                                   "or a grid with --N)")
    p.add_argument("--C", metavar="LO:HI:K", help="compute budgets, log-spaced (one-input C "
                                                   "laws)")
    p.add_argument("--ratios", type=number_list, metavar="R1,R2,..",
                   help="laws in N and D: tokens per parameter at each size (default "
                        "5,10,20,40,80)")
    p.add_argument("--isoflop", type=number_list, metavar="C1,C2,..",
                   help="chinchilla: isoFLOP grids at these budgets (7 sizes, +-8x around the "
                        "optimum)")
    p.add_argument("--chance", type=float, metavar="P",
                   help="accuracy laws (sigmoid, loglinear, accuracy_from_loss): the chance "
                        "level the accuracy starts from, e.g. 0.25")
    p.add_argument("--sigma", type=float, default=0.01,
                   help="sd of the log-normal noise (default 0.01)")
    p.add_argument("--seed", type=nonnegative_int, default=0, help="random seed (0)")
    add_output(p, "write a CSV instead of printing", "RUNS.csv")
    add_json(p, "print the runs as JSON")
    add_force(p)
    add_quiet(p)


def outputs(args: argparse.Namespace) -> dict[str, str]:
    return {"output": "csv"}


#: The values simulated inputs (N, D, C) may take: a simulated run is at least one parameter,
#: token or FLOP, and C = k·N·D must stay far inside floating-point range.
INPUT_RANGE = (1.0, 1e40)


def grid(text: str | None, flag: str) -> Any:
    """``LO:HI:K`` (K log-spaced values) or a list of positive numbers; None when not given."""
    import numpy as np

    from ...data.simulate import log_grid

    if text is None:
        return None
    parts = str(text).split(":")
    try:
        if len(parts) == 3:
            lo, hi, k = float(parts[0]), float(parts[1]), int(parts[2])
            if not (0 < lo <= hi and k >= 1):
                raise ValueError
            values = log_grid(lo, hi, k, name=flag)
        else:
            values = np.array([float(v) for v in str(text).split(",")])
            if any(not v > 0 for v in values):
                raise ValueError
    except ValueError:
        raise BayescaleError(f"{flag} {shown(text, 60)}: give LO:HI:K (K log-spaced values) or "
                             "a list of positive numbers") from None
    if not np.all((values >= INPUT_RANGE[0]) & (values <= INPUT_RANGE[1])):
        raise BayescaleError(f"{flag} {shown(text, 60)}: values must lie between "
                             f"{INPUT_RANGE[0]:g} and {INPUT_RANGE[1]:g}")
    return values


def parse_params(text: str | None) -> dict[str, float]:
    """``"E=1.8,A=60"`` → {"E": 1.8, "A": 60.0}."""
    out: dict[str, float] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        try:
            out[key.strip()] = float(value)
        except ValueError:
            raise BayescaleError(f"--params {part!r}: expected NAME=NUMBER") from None
        if not sep:
            raise BayescaleError(f"--params {part!r}: expected NAME=NUMBER")
    return out


def run(args: argparse.Namespace) -> int:
    import math

    import numpy as np

    from ...data.simulate import default_design, simulate_runs, simulation_params
    from ...laws import get_law

    if not (args.sigma >= 0 and math.isfinite(args.sigma)):
        raise BayescaleError(f"--sigma must be >= 0, got {args.sigma}")
    options = {k: v for k, v in (("x", args.x), ("chance", args.chance)) if v is not None}
    law = get_law(args.law, available=[args.x or "N"], **options)
    params = simulation_params(law, parse_params(args.params))
    if args.isoflop:
        from ...decisions.design import isoflop_design

        if law.name != "chinchilla":
            raise BayescaleError("--isoflop needs --law chinchilla")
        design = isoflop_design(params, args.isoflop, width=8.0, points=7)[["N", "D"]]
    else:
        design = default_design(law, N=grid(args.N, "--N"), D=grid(args.D, "--D"),
                                C=grid(args.C, "--C"), ratios=args.ratios)
    for name in ("N", "D", "C"):
        values = design[name].to_numpy(dtype=float) if name in design else np.ones(1)
        bad = values[~((values >= INPUT_RANGE[0]) & (values <= INPUT_RANGE[1]))]
        if bad.size:
            raise BayescaleError(f"the design's {name} takes the value {shown(bad[0])} (from "
                                 "--N, --D, --C and --ratios); simulated inputs must lie "
                                 f"between {INPUT_RANGE[0]:g} and {INPUT_RANGE[1]:g}")
    runs = simulate_runs(law, params, design, sigma=args.sigma, seed=args.seed)
    if law.response != "loss":
        runs = runs.rename(columns={"loss": law.response})
    runs.attrs = {}
    if args.output is not None:
        output.write_csv(args.output, runs, force=args.force)
        output.say(args, f"wrote {args.output} ({len(runs)} runs of {law.name} with "
                         f"{', '.join(f'{k}={v:g}' for k, v in params.items())}; sigma "
                         f"{args.sigma:g}, seed {args.seed})")
    if args.json:
        output.print_json({"law": law.to_dict(), "params": params, "sigma": args.sigma,
                           "seed": args.seed, "runs": output.records(runs)})
    elif args.output is None:
        sys.stdout.write(runs.to_csv(index=False))
    return 0
