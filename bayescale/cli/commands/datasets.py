"""``bayescale datasets``: list the public scaling datasets, fetch one as a tidy CSV."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ...errors import BayescaleError
from .. import output
from ..options import add_force, add_format, add_output, add_quiet, new_parser

EPILOG = """examples:
  bayescale datasets list
  bayescale datasets fetch epoch_chinchilla -o epoch.csv
  bayescale datasets fetch llama3_isoflops --from ~/copies -o llama3.csv
  BAYESCALE_DATA_DIR=~/copies bayescale datasets fetch gemstones --json
"""


def add_parser(subparsers: Any) -> None:
    p = new_parser(subparsers, "datasets",
                   "Public scaling data (Epoch's Chinchilla points, Llama 3 isoFLOPs, "
                   "(Mis)fitting, Gemstones, observational scaling): 'list' shows them; 'fetch "
                   "NAME' downloads the raw files from their original public source into the "
                   "cache (checksums checked; $BAYESCALE_CACHE or ~/.cache/bayescale) and "
                   "writes the tidy table. Offline: point --from (or $BAYESCALE_DATA_DIR) at a "
                   "local copy.", EPILOG)
    p.add_argument("action", choices=["list", "fetch"], help="list, or fetch NAME")
    p.add_argument("name", nargs="?", help="dataset name (for fetch)")
    p.add_argument("--from", dest="source", metavar="DIR",
                   help="a local copy of the raw files (no download)")
    p.add_argument("--cache", metavar="DIR", help="cache folder (default $BAYESCALE_CACHE "
                                                  "or ~/.cache/bayescale/datasets)")
    add_output(p, "write the tidy table here")
    add_format(p)
    add_force(p)
    add_quiet(p)


def outputs(args: argparse.Namespace) -> dict[str, str]:
    return {"output": "csv"} if args.action == "fetch" else {}


def run(args: argparse.Namespace) -> int:
    from ...data import datasets

    if args.action == "list":
        table = datasets.available()
        if args.format == "json":
            print(table.to_json(orient="records", indent=2))
        elif args.format == "csv":
            sys.stdout.write(table.to_csv(index=False))
        else:
            for row in table.to_dict("records"):
                print(f"{row['name']}  ({row['rows']} rows; licence: {row['licence']})\n"
                      f"  {row['description']}\n  {row['citation']}")
        return 0
    if not args.name:
        raise BayescaleError(f"fetch needs a dataset name: {', '.join(datasets.names())}")
    table = datasets.load(args.name, source=args.source, cache_dir=args.cache)
    out = args.output
    if out is not None:
        output.write_csv(out, table, force=args.force)
        output.say(args, f"wrote {out} ({len(table)} rows of {args.name}; cite: "
                         f"{table.attrs.get('citation', '')})")
    if args.format == "json":
        output.print_json({"name": args.name, "rows": len(table),
                           "columns": list(table.columns),
                           "units": table.attrs.get("units", {}),
                           "citation": table.attrs.get("citation"),
                           "licence": table.attrs.get("licence"),
                           "output": str(out) if out else None})
    elif out is None and args.format == "csv":
        sys.stdout.write(table.to_csv(index=False))
    elif out is None:
        print(f"{args.name}: {len(table)} rows, columns {', '.join(table.columns)}")
        units = table.attrs.get("units") or {}
        if units:
            print("units: " + ", ".join(f"{k} = {v}" for k, v in units.items()))
        print("(write it with -o FILE.csv, or print it with --format csv)")
    return 0
