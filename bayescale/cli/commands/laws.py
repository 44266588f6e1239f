"""``bayescale laws``: the available laws."""

from __future__ import annotations

import argparse
from typing import Any

from .. import output
from ..options import add_json, new_parser


def add_parser(subparsers: Any) -> None:
    p = new_parser(subparsers, "laws", "List the laws: name, formula, inputs, parameters.",
                   "examples:\n  bayescale laws\n  bayescale laws --json\n")
    add_json(p, "print the list as JSON")


def run(args: argparse.Namespace) -> int:
    from ...laws import describe_laws

    if args.json:
        output.print_json(describe_laws())
        return 0
    for row in describe_laws():
        options = f"    options: {row['options']}" if row["options"] else ""
        print(f"{row['name']}  ({row['description']})\n  {row['formula']}\n"
              f"  inputs: {row['inputs']}    parameters: {row['parameters']}    "
              f"predicts: {row['response']}{options}")
    return 0
