"""The CLI's argument parser (:class:`Parser`), and ``--config FILE.toml``: a command's
options from a file, as defaults that the flags on the command line override. Keys are option
names (``target-accept`` or ``target_accept``), values as on the command line (numbers,
strings, lists for repeatable or comma-separated options, true/false for switches); a
``[command]`` table, when present, holds them. Anything unknown or mistyped is a one-line usage
error naming the file and the key."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from . import output
from .commands import COMMANDS

#: The largest config file read (a config holds options, not data).
MAX_CONFIG_BYTES = 1_000_000


class Parser(argparse.ArgumentParser):
    """argparse with the CLI's exit contract for usage errors: status 1 and one line,
    ``bayescale CMD: error: ...`` (through argparse's public ``error`` method). It records its
    long options (``options``: flag → (action, argparse action name)), its mutually exclusive
    groups (``groups``) and its commands (``commands``, the sub-parsers by name), so that a
    config file can be checked against them through public attributes only."""

    def error(self, message: str) -> NoReturn:
        text = output.cut(output.one_line(message))
        self.exit(1, f"{self.prog}: error: {text}\n")

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        action = super().add_argument(*args, **kwargs)
        self.record(action, kwargs.get("action"))
        return action

    def record(self, action: argparse.Action, kind: Any) -> None:
        options = self.__dict__.setdefault("options", {})  # --help is added in __init__
        for flag in action.option_strings:
            if flag.startswith("--"):
                options[flag] = (action, kind)

    def add_mutually_exclusive_group(self, **kwargs: Any) -> Exclusive:
        group = Exclusive(self, super().add_mutually_exclusive_group(**kwargs))
        self.__dict__.setdefault("groups", []).append(group)
        return group

    def add_subparsers(self, **kwargs: Any) -> Any:
        self.commands = super().add_subparsers(**kwargs)
        return self.commands


@dataclass
class Exclusive:
    """A mutually exclusive group whose options its parser records."""

    parser: Parser
    group: Any
    actions: list[argparse.Action] = field(default_factory=list)

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        action = self.group.add_argument(*args, **kwargs)
        self.actions.append(action)
        self.parser.record(action, kwargs.get("action"))
        return action


def parse_with_config(parser: argparse.ArgumentParser, command: str,
                      argv: Sequence[str]) -> argparse.Namespace | None:
    """``argv`` parsed with the options of its ``--config`` file under it, or None when it
    names none. Repeatable options given on the command line replace the file's."""
    path = config_path(argv)
    if path is None:
        return None
    sub = parser.commands.choices[command]
    defaults = config_defaults(sub, command, path)
    repeated = {a.dest for a, kind in sub.options.values() if kind == "append"
                and a.dest in defaults}
    appended = {dest: defaults.pop(dest) for dest in repeated}
    sub.set_defaults(**defaults)
    args = parse_all(parser, command, argv)
    for dest, values in appended.items():
        if getattr(args, dest, None) is None:
            setattr(args, dest, values)
    return args


def parse_all(parser: argparse.ArgumentParser, command: str | None,
              argv: Sequence[str]) -> argparse.Namespace:
    """``parser.parse_args(argv)``, with arguments no option takes reported by ``command``'s
    parser (``bayescale CMD: error: unrecognized arguments: ...``), not the top-level one."""
    args, extra = parser.parse_known_args(argv)
    if extra:
        commands = getattr(parser, "commands", None)
        where = commands.choices.get(command, parser) if commands is not None else parser
        where.error(f"unrecognized arguments: {' '.join(extra)}")
    return args


def config_path(argv: Sequence[str]) -> str | None:
    """The value of ``--config`` in ``argv`` (the last one), or None."""
    found = None
    for i, a in enumerate(argv):
        if a == "--config" and i + 1 < len(argv):
            found = argv[i + 1]
        elif a.startswith("--config="):
            found = a.split("=", 1)[1]
    return found


def config_defaults(sub: argparse.ArgumentParser, command: str, path: str) -> dict[str, Any]:
    """The options in the TOML file ``path`` as defaults of ``sub`` (so flags on the command
    line override them): keys are option names (``target-accept`` or ``target_accept``), values
    as on the command line (numbers, strings, lists for repeatable or comma-separated options,
    true/false for switches). A ``[command]`` table, when present, holds them. Anything
    unknown or mistyped is a one-line usage error naming the file and the key."""
    import tomllib

    def fail(message: str) -> NoReturn:
        sub.error(f"--config {path}: {message}")

    p = Path(path)
    try:
        if p.stat().st_size > MAX_CONFIG_BYTES:
            fail(f"larger than {MAX_CONFIG_BYTES:,} bytes; not a config file")
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        fail("no such file")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read it ({type(exc).__name__})")
    except tomllib.TOMLDecodeError as exc:
        fail(f"not valid TOML ({exc})")
    if isinstance(data.get(command), dict):
        data = data[command]
    options = {flag: a for flag, (a, _) in sub.options.items()}
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key in COMMANDS and isinstance(value, dict):
            continue  # another command's table
        flag = "--" + str(key).replace("_", "-")
        action = options.get(flag)
        if action is None or flag in ("--config", "--help"):
            fail(f"unknown option {output.cut(repr(key), 60)} for 'bayescale {command}'")
        out[action.dest] = _config_value(action, flag, value, fail, sub.options[flag][1])
        action.required = False  # a required option the file gives (e.g. output = "fit.nc")
    for group in getattr(sub, "groups", []):  # a required choice the file makes
        if any(a.dest in out for a in group.actions):
            group.group.required = False
    return out


def _config_value(action: argparse.Action, flag: str, value: Any, fail: Any,
                  kind: Any) -> Any:
    """One config value converted as argparse converts the flag's text."""
    if action.nargs == "?" and isinstance(value, bool):  # a flag whose value is optional
        return action.const if value else action.default
    if kind in ("store_true", "store_false"):
        if not isinstance(value, bool):
            fail(f"{flag[2:]} = {output.cut(repr(value), 40)}: use true or false")
        return action.const if value else action.default
    items = value if isinstance(value, list) else [value]
    if not items or any(isinstance(v, (dict, list, bool)) for v in items):
        fail(f"{flag[2:]} = {output.cut(repr(value), 40)}: give a number, a string or a list "
             "of them")
    texts = [str(v) for v in items]
    if kind == "append":
        return [_converted(action, flag, v, fail) for v in texts]
    return _converted(action, flag, ",".join(texts), fail)


def _converted(action: argparse.Action, flag: str, text: str, fail: Any) -> Any:
    try:
        value = action.type(text) if callable(action.type) else text
    except (argparse.ArgumentTypeError, TypeError, ValueError) as exc:
        fail(f"{flag[2:]} = {output.cut(repr(text), 40)}: {exc}")
    if action.choices is not None and value not in action.choices:
        fail(f"{flag[2:]} = {output.cut(repr(text), 40)}: choose from "
             f"{', '.join(map(str, action.choices))}")
    return value


