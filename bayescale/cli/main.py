"""The ``bayescale`` entry point: builds the parser (only the invoked command's options; the
others are listed by name), checks the output paths, runs the command and keeps the exit
contract.

Exit status: 0 success (also when the reader of stdout goes away, as with ``| head``);
1 user error (bad input, options or files: one line ``bayescale CMD: error: ...`` on stderr,
no traceback, no output file); 2 internal error (one line; ``--debug`` shows the traceback);
130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from .._version import __version__
from ..errors import INTERRUPTED, BayescaleError
from . import output
from .commands import COMMANDS, load
from .parsing import Parser, parse_all, parse_with_config

DESCRIPTION = ("Bayesian inference on neural scaling laws: fit a law to training runs, get "
               "credible intervals, extrapolate with bands.")


def build_parser(commands: Iterable[str] = ()) -> argparse.ArgumentParser:
    """The parser; the full options of ``commands`` (their modules are imported), the other
    commands by name and one-line help only."""
    full = set(commands)
    parser = Parser(prog="bayescale", description=output.fill(DESCRIPTION),
                    epilog="run 'bayescale COMMAND --help' for the options and examples of "
                           "each command",
                    formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"bayescale {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show the full traceback of internal errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name, command in COMMANDS.items():
        if name in full:
            load(name).add_parser(sub)
        else:
            sub.add_parser(name, help=command.summary)
    return parser


def parse(argv: Sequence[str]) -> tuple[argparse.ArgumentParser, argparse.Namespace]:
    """Parse ``argv`` with the options of the command it names."""
    named = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser([named] if named in COMMANDS else [])
    args = parse_with_config(parser, named, argv) if named in COMMANDS else None
    if args is None:
        args = parse_all(parser, named, argv)
    if getattr(args, "json", False) and getattr(args, "format", None) in ("text", "csv"):
        args.format = "json"
    return parser, args


def check_outputs(args: argparse.Namespace, module: object) -> None:
    """Check every output path the command will write (suffix, folder, writable, --force),
    before the command does any work; the checked paths replace the strings in ``args``."""
    outputs = getattr(module, "outputs", None)
    for dest, kind in (outputs(args) if outputs else {}).items():
        kind, files = (kind, ()) if isinstance(kind, str) else kind
        value = getattr(args, dest, None)
        if value is not None:
            setattr(args, dest, output.check_output(value, kind, files=files,
                                                    force=getattr(args, "force", False)))


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser, args = parse(argv)
    if args.command is None:
        parser.print_help()
        return 1
    args.argv = argv
    module = load(args.command)
    previous = _catch_interrupts()
    try:
        with output.collect_warnings():
            check_outputs(args, module)
            return module.run(args)
    except BayescaleError as exc:
        print(output.error_line(args.command, exc), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bayescale: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. '| head': the reader left; not an error of ours
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as exc:
        if args.debug:
            raise
        text = str(exc).strip()
        first = text.splitlines()[0] if text else ""
        print(f"bayescale {args.command}: internal error: {type(exc).__name__}: {first} "
              "(please report it; rerun with --debug for the traceback)", file=sys.stderr)
        return 2
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
            INTERRUPTED.clear()


def _catch_interrupts() -> Any:
    """Where Ctrl-C has Python's own handler (not when ignored, as under ``nohup``, or
    handled by an embedding program): it still raises KeyboardInterrupt, and also sets
    :data:`~bayescale.errors.INTERRUPTED` for the waits that must not miss it. Returns the
    handler to restore, or None when none was set (also off the main thread)."""
    import threading

    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        return None
    INTERRUPTED.clear()

    def interrupt(*_: Any) -> None:
        INTERRUPTED.set()
        raise KeyboardInterrupt

    return signal.signal(signal.SIGINT, interrupt)


if __name__ == "__main__":
    raise SystemExit(main())
