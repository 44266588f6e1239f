"""``bayescale laws``: the available laws, and one law in full with its default priors."""

from __future__ import annotations

import argparse
from typing import Any

from ...errors import BayescaleError
from .. import output
from ..options import add_json, new_parser

EPILOG = """examples:
  bayescale laws
  bayescale laws --json
  bayescale laws --show chinchilla                  # parameters and default priors
  bayescale laws --show chinchilla --runs runs.csv  # the default priors for your runs
  bayescale laws --show sigmoid --chance 0.25
"""

#: Runs the default priors are shown for when none are given: a loss ladder from 2.0 (median
#: 2.6) or accuracies from 0.3 (median 0.5), inputs spread over two decades around these.
EXAMPLE = {"loss": (2.0, 2.6), "accuracy": (0.3, 0.5),
           "reference": {"N": 1e8, "D": 2e9, "C": 1.2e18, "U": 2e9, "loss": 2.5}}


def add_parser(subparsers: Any) -> None:
    p = new_parser(subparsers, "laws", "List the laws: name, formula, inputs, parameters. With "
                   "--show NAME: that law's parameters (what each means) and its default priors "
                   "(the field priors learned from public studies where they apply, the law's "
                   "weakly informative ones elsewhere), for your runs with --runs.", EPILOG)
    p.add_argument("--show", metavar="NAME", help="one law in full, with its default priors")
    p.add_argument("--runs", metavar="RUNS.csv",
                   help="with --show: the default priors for these runs (they scale with them)")
    p.add_argument("--x", choices=["N", "D", "C"], help="with --show: the input of a one-input "
                   "law")
    p.add_argument("--chance", type=float, metavar="P", help="with --show: an accuracy law's "
                   "chance level")
    p.add_argument("--priors", metavar="field|weak", default="field",
                   help="with --show: the prior set (field, the default, or weak)")
    add_json(p, "print the list (or the law) as JSON")


def run(args: argparse.Namespace) -> int:
    from ...laws import describe_laws

    if args.show is None:
        if args.runs or args.x or args.chance is not None:
            raise BayescaleError("--runs, --x and --chance go with --show NAME")
        if args.json:
            output.print_json(describe_laws())
            return 0
        for row in describe_laws():
            options = f"    options: {row['options']}" if row["options"] else ""
            print(f"{row['name']}  ({row['description']})\n  {row['formula']}\n"
                  f"  inputs: {row['inputs']}    parameters: {row['parameters']}    "
                  f"predicts: {row['response']}{options}")
        return 0
    return show(args)


def show(args: argparse.Namespace) -> int:
    """One law: formula, parameters and the default priors (for example runs, or --runs)."""
    import math

    from ...laws import Scales, get_law
    from ...model.config import ModelConfig
    from ...model.spec import ModelSpec

    if args.priors not in ("field", "weak"):
        raise BayescaleError(f"--priors {args.priors}: use field or weak")
    options = {k: v for k, v in (("chance", args.chance),) if v is not None}
    if args.runs:
        config = ModelConfig(law=args.show, x=args.x, law_options=options or None,
                             base=args.priors)
        spec, runs = config.configure(args.runs)
        where = f"for the {runs.counted} in {args.runs}"
    else:
        law = get_law(args.show, available=[args.x] if args.x else None,
                      **({"x": args.x} if args.x else {}), **options)
        lo, median = EXAMPLE[law.response]
        reference = {k: EXAMPLE["reference"][k] for k in law.inputs}
        scales = Scales(lo, median, reference,  # two decades around each reference
                        {k: (math.log(r) - 2.3, math.log(r) + 2.3) for k, r in reference.items()})
        spec = ModelSpec.for_scales(law, None, None, scales, base=args.priors)
        where = (f"for example runs ({law.response} from {lo:g}, median {median:g}; "
                 + ", ".join(f"{k} around {v:.3g}" for k, v in reference.items())
                 + "); data-scaled priors follow your runs: add --runs RUNS.csv")
    law = spec.law
    params = [{"name": p.name, "kind": p.kind, "meaning": p.doc} for p in law.params]
    if args.json:
        output.print_json({"name": law.name, "formula": law.formula,
                           "description": law.description, "inputs": list(law.inputs),
                           "response": law.response, "options": law.options(),
                           "parameters": params, "likelihood": spec.likelihood.name,
                           "priors": {k: v.to_dict() for k, v in spec.priors.items()},
                           "origins": dict(spec.origins), "priors_for": where,
                           "notes": list(spec.notes)})
        return 0
    print(f"{law.name}  ({law.description})\n  {law.formula}")
    print(f"  inputs: {', '.join(law.inputs)}    predicts: {law.response}"
          + (f"    options: {law.options()}" if law.options() else ""))
    print("  parameters:")
    width = max(len(p.name) for p in law.params)
    for p in law.params:
        print(f"    {p.name:<{width}}  {p.kind:<9} {p.doc}")
    print(f"  default priors ({args.priors} set, likelihood {spec.likelihood.name}), {where}:")
    for line in spec.describe_priors():
        print(f"    {line}")
    for note in spec.notes:
        print(f"  note: {output.one_line(note)}")
    return 0
