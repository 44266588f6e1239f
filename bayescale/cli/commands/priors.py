"""``bayescale priors``: show the field priors, or learn priors from past studies."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ...errors import BayescaleError
from .. import output
from ..options import (
    add_fit_options,
    add_force,
    add_json,
    add_output,
    add_quiet,
    model_config,
    new_parser,
    sampler_settings,
)

EPILOG = """\
examples:
  bayescale priors show
  bayescale priors learn studies.csv --by study -o priors.toml
  bayescale fit runs.csv --priors priors.toml -o fit.nc

'learn' fits the law to each study (the rows sharing a --by value) with weak priors, reads off
what transfers between studies (exponents, the floor E in the loss's units, the noise scale)
and pools it with a hierarchical model: each prior is the predictive for a new study.
"""


def add_parser(subparsers: Any) -> None:
    p = new_parser(subparsers, "priors",
                   "The default priors learned from public scaling studies ('show'), or priors "
                   "learned from your own past studies ('learn STUDIES.csv --by COLUMN').",
                   EPILOG)
    p.add_argument("action", choices=["show", "learn"], help="show, or learn STUDIES.csv")
    p.add_argument("runs", nargs="?", help="CSV of runs of several studies (for learn)")
    p.add_argument("--by", metavar="COLUMN", help="the column naming each run's study")
    add_fit_options(p)
    add_output(p, "the priors file to write (TOML, for --priors)", "PRIORS.toml")
    add_force(p)
    add_json(p, "print as JSON")
    add_quiet(p)


def outputs(args: argparse.Namespace) -> dict[str, str]:
    return {"output": "toml"} if args.action == "learn" else {}


def run(args: argparse.Namespace) -> int:
    if args.action == "show":
        return show(args)
    if not args.runs or not args.by:
        raise BayescaleError("priors learn needs a runs CSV and --by COLUMN (the study of "
                             "each run)")
    if not args.output:
        raise BayescaleError("priors learn needs -o PRIORS.toml")
    from ...data.runs import read_table
    from ...evaluation.population import (
        MIN_STUDIES,
        learn_priors,
        priors_toml,
        study_estimates,
        study_models,
    )

    config = model_config(args)
    table = read_table(args.runs)
    if args.by not in table:
        raise BayescaleError(f"--by {args.by}: no such column in {args.runs}")
    n = table[args.by].nunique()
    if n < MIN_STUDIES:
        raise BayescaleError(f"--by {args.by}: {n} study; learning priors needs at least "
                             f"{MIN_STUDIES}")
    law = config.law_of(table)
    mapping = dict(config.columns or {})
    read = {mapping.get(k, k) for k in (*law.inputs, law.response)}
    if args.by in read:
        raise BayescaleError(f"--by {args.by}: that column is one the law reads; group by a "
                             "column naming each study")
    law = law.name
    study_models(table, args.by, config)  # every study checked before any is fitted
    output.say(args, f"fitting {law} to each of {n} studies in {args.runs} (weak priors)...")
    estimates = study_estimates(table, args.by, config, settings=sampler_settings(args))
    priors, pooled = learn_priors(estimates)
    if not priors:
        raise BayescaleError("no quantity could be pooled (each needs at least "
                             f"{MIN_STUDIES} studies)")
    text = priors_toml(priors, estimates, pooled, laws=[law],
                       provenance={"command": "bayescale priors learn", "data": str(args.runs),
                                   "by": args.by})
    output.write_text(Path(args.output), text, force=args.force)
    if args.json:
        output.print_json({"priors": {k: v.to_dict() for k, v in priors.items()},
                           "pooled": pooled.to_dict("records")})
    elif not args.quiet:
        for row in pooled.to_dict("records"):
            print(f"  {row['quantity']:<6} ~ {priors[row['quantity']].describe()}   "
                  f"({row['studies']} studies, between-study sd {row['tau']:.3g} on the "
                  f"{row['scale']} scale)")
        print(f"saved {args.output}; use it with: bayescale fit RUNS.csv --priors "
              f"{args.output}")
    return 0


def show(args: argparse.Namespace) -> int:
    from ...priors.field import shipped

    field = shipped()
    if args.json:
        output.print_json({"version": field.version, "laws": list(field.laws),
                           "priors": {k: v.to_dict() for k, v in field.priors.items()},
                           "provenance": dict(field.provenance)})
        return 0
    print(f"field priors {field.version} (learned from public scaling studies; "
          f"'--priors weak' turns them off)")
    print(f"  apply to: {', '.join(field.laws)} (losses in nats/token for E)")
    for name, prior in field.priors.items():
        print(f"  {name:<6} ~ {prior.describe()}")
    studies = field.provenance.get("studies", [])
    if studies:
        print(f"  from: {', '.join(studies)}")
    return 0
