"""Everything the CLI writes, in one place: the flag translator for library messages, the
warning collector, the table renderer, the figure writer and the check of output paths.

Library messages name Python options (``draws=``, ``target_accept=0.95``,
``query='N > 1'``); :func:`cli_text` rewrites them into this command line's flags, and every
error and warning line the CLI prints goes through it. Output paths are checked by
:func:`check_output` before a command does any work (fits, downloads, figures), so a bad path
fails in a second with one line and leaves nothing behind.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
import textwrap
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import BayescaleWarning, FileFormatError

# -- library messages → flags -------------------------------------------------------------------
#: Python option → CLI flag. Values after ``=`` follow the flag (``draws=500`` → ``--draws
#: 500``); options in :data:`_UNQUOTED` lose the quotes around their value (a suggested value,
#: not the user's text echoed back).
FLAGS = {
    "target_accept": "--target-accept", "query": "--query", "by": "--by",
    "columns": "--columns", "draws": "--draws", "chains": "--chains", "tune": "--tune",
    "random_seed": "--seed", "source": "--from", "discrepancy": "--discrepancy",
    "holdout": "--holdout", "x": "--x", "priors": "--priors", "unique": "--unique",
    "breaks": "--breaks", "likelihood": "--likelihood", "method": "--method",
    "sampler": "--sampler", "expression": "--expression", "chance": "--chance",
    "prob": "--prob", "replicates": "--replicates", "cache_dir": "--cache", "run": "--run",
    "compute": "--compute", "mfu": "--mfu",
    "final_tokens": "--final-tokens", "target_loss": "--target-loss", "params": "--params",
}
#: Whole ``name=value`` spellings with a flag of their own.
SPECIAL = {"overwrite=True": "--force", "compare_point=True": "--compare point"}
_UNQUOTED = {"columns", "discrepancy"}
_OPTION = re.compile(
    r"(?<![\w.\-])(?P<name>[a-z_]+)=(?P<value>'[^']*'|\"[^\"]*\"|[^\s,;:)\]'\"]*)")
#: A Python call written out in a message (``bayescale.fit(..., discrepancy='auto')``): left
#: alone, it is Python the user may type.
_CALL = re.compile(r"[A-Za-z_][\w.]*\([^()]*\)")


def cli_text(message: str) -> str:
    """Rewrite the Python options a library message names into this CLI's flags.

    >>> cli_text("refit with target_accept=0.95 or 0.99")
    'refit with --target-accept 0.95 or 0.99'
    >>> cli_text("query='N > 1' failed: bad")
    "--query 'N > 1' failed: bad"
    >>> cli_text("'f.nc' already exists; use overwrite=True to replace it")
    "'f.nc' already exists; use --force to replace it"
    """
    calls = [m.span() for m in _CALL.finditer(message)]

    def swap(m: re.Match[str]) -> str:
        if any(a <= m.start() < b for a, b in calls):
            return m.group(0)
        whole = m.group(0)
        if whole in SPECIAL:
            return SPECIAL[whole]
        name, value = m.group("name"), m.group("value")
        flag = FLAGS.get(name)
        if flag is None:
            return whole
        if name in _UNQUOTED and len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        return f"{flag} {value}" if value else flag

    return _OPTION.sub(swap, message)


def one_line(message: Any) -> str:
    """A message on one line, translated to flags."""
    return cli_text(" ".join(str(message).split()))


def say(args: argparse.Namespace, text: str) -> None:
    """A progress line on stderr (silenced by ``--quiet``)."""
    if not getattr(args, "quiet", False):
        print(text, file=sys.stderr)


# -- warnings ---------------------------------------------------------------------------------
def warn(message: str) -> None:
    """Report a warning the library stored rather than issued (a fit's own warnings, a check's
    notes): it is printed with the others by :func:`collect_warnings`."""
    warnings.warn(message, BayescaleWarning, stacklevel=2)


@contextmanager
def collect_warnings() -> Iterator[list[warnings.WarningMessage]]:
    """Record every warning issued in the block; when it ends without an error, print each
    bayescale warning once, translated, as ``warning: ...`` on stderr (other warnings, e.g.
    numpy's, are dropped). On an error nothing is printed: the error is the one line."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught
    seen = set()
    for w in caught:
        text = one_line(w.message)
        if issubclass(w.category, BayescaleWarning) and text not in seen:
            seen.add(text)
            print(f"warning: {text}", file=sys.stderr)


# -- tables -----------------------------------------------------------------------------------
def number(value: Any) -> str:
    """A cell: 4 significant digits, ``-`` for NaN, ``never`` for infinity, text as is."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if v != v:
        return "-"
    if v == float("inf"):
        return "never"
    return f"{v:.4g}"


def render(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, left: int = 1,
           indent: str = "", widths: Sequence[int] = ()) -> str:
    """The one text table: a header line and a line per row, columns two spaces apart; the
    first ``left`` columns left-aligned, the rest right-aligned; ``widths`` are minimum widths.
    Cells that are not strings are formatted by :func:`number`."""
    cells = [[c if isinstance(c, str) else number(c) for c in row] for row in rows]
    heads = [str(h) for h in headers]
    size = [max(len(h), *(len(r[i]) for r in cells), widths[i] if i < len(widths) else 0)
            for i, h in enumerate(heads)]

    def line(row: Sequence[str]) -> str:
        return indent + "  ".join(c.ljust(w) if i < left else c.rjust(w)
                                  for i, (c, w) in enumerate(zip(row, size, strict=True)))

    return "\n".join([line(heads), *(line(r) for r in cells)])


def frame(df: Any, columns: Sequence[str] | None = None, headers: Sequence[str] | None = None,
          index: str | None = None) -> str:
    """A DataFrame through :func:`render`: ``columns`` (default all) under ``headers``, with
    its index as a first, left-aligned column named ``index`` when given."""
    columns = list(df.columns) if columns is None else list(columns)
    headers = [str(c) for c in columns] if headers is None else list(headers)
    rows = [[v for v in df[c]] for c in columns]
    body = [list(r) for r in zip(*rows, strict=True)] if rows else [[] for _ in range(len(df))]
    if index is not None:
        return render([index, *headers], [[str(i), *r] for i, r in zip(df.index, body,
                                                                        strict=True)])
    return render(headers, body, left=0 if not columns else 1)


def print_json(data: Any) -> None:
    """JSON on stdout, indented (numbers pandas/numpy made are converted)."""
    import json

    print(json.dumps(data, indent=2, default=_plain))


def records(table: Any, orient: str = "records") -> Any:
    """A DataFrame as JSON-ready data, as pandas writes it (NaN as null)."""
    import json

    return json.loads(table.to_json(orient=orient))


def _plain(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


# -- output paths -----------------------------------------------------------------------------
NETCDF = (".nc", ".nc4", ".netcdf")
IMAGE = (".png", ".pdf", ".svg", ".eps", ".jpg", ".jpeg")
KINDS = {"netcdf": NETCDF, "image": IMAGE, "csv": (".csv", ".csv.gz"), "tex": (".tex",),
         "toml": (".toml",), "folder": ()}


def check_output(path: str | Path, kind: str, *, force: bool,
                 files: Sequence[str] = ()) -> Path:
    """Check an output path before any work: its suffix for ``kind`` (``netcdf``, ``image``,
    ``csv``, ``tex``) or, for ``folder``, that it is not a file; that the folder it goes into
    exists, is a folder and is writable; and that it does not exist (or, for a folder, holds
    none of ``files``) unless ``force``. Returns the path."""
    p = Path(path)
    name = p.name.lower()
    if kind == "folder":
        if p.exists() and not p.is_dir():
            raise FileFormatError(f"-o {str(p)!r} is a file; it must be a folder")
        if any(name.endswith(s) for k, v in KINDS.items() if k != "folder" for s in v):
            raise FileFormatError(f"-o {str(p)!r} must be a folder, not a file name")
    else:
        if p.is_dir():
            raise FileFormatError(f"{str(p)!r} is a directory; give a file name")
        suffixes = KINDS[kind]
        if not any(name.endswith(s) for s in suffixes):
            if kind == "image":
                raise FileFormatError(f"cannot write a {p.suffix.lstrip('.')!r} image; use "
                                      f"{', '.join(suffixes[:-1])} or {suffixes[-1]}")
            what = {"netcdf": "NetCDF", "csv": "CSV", "tex": "LaTeX", "toml": "TOML"}[kind]
            raise FileFormatError(f"{str(p)!r}: the output is {what}; name it with "
                                  f"{' or '.join(suffixes)}")
    folder = p if kind == "folder" and p.is_dir() else p.parent
    if not folder.exists():
        raise FileFormatError(f"cannot write {str(p)!r}: folder {str(folder)!r} does not exist")
    if not folder.is_dir():
        raise FileFormatError(f"cannot write {str(p)!r}: {str(folder)!r} is not a folder")
    _probe(folder, p)
    targets = [p / f for f in files] if kind == "folder" else [p]
    clash = next((t for t in targets if t.exists()), None)
    if clash is not None and not force:
        raise FileFormatError(f"{str(clash)!r} already exists; use --force to replace it")
    return p


def _probe(folder: Path, path: Path) -> None:
    """Create and remove an empty file in ``folder``: the only sure test of writing there
    (permissions, read-only mounts, /proc)."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=".bayescale-", suffix=".probe", dir=folder)
    except OSError as exc:
        raise FileFormatError(f"cannot write {str(path)!r}: folder {str(folder)!r} is not "
                              f"writable ({exc.strerror or exc})") from None
    os.close(fd)
    os.unlink(tmp)


def write_csv(path: Path, table: Any, *, force: bool) -> Path:
    """A table as CSV, atomically (no index). Without ``force`` a file that appeared at
    ``path`` meanwhile (a concurrent command) is never replaced."""
    from ..results.io import atomic_write

    return atomic_write(path, lambda tmp: table.to_csv(tmp, index=False), overwrite=force)


def write_text(path: Path, text: str, *, force: bool) -> Path:
    from ..results.io import atomic_write

    return atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"),
                        overwrite=force)


# -- figures ----------------------------------------------------------------------------------
def pyplot() -> Any:
    """matplotlib.pyplot on the Agg back-end (files only, no display)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def write_figure(figure: Any, path: Path, *, force: bool) -> Path:
    """Save a figure (format from the suffix, 150 dpi) atomically and close it."""
    from ..results.io import atomic_write

    plt = pyplot()
    try:
        fmt = path.suffix.lower().lstrip(".")
        return atomic_write(path, lambda tmp: figure.savefig(tmp, format=fmt, dpi=150),
                            overwrite=force)
    finally:
        plt.close(figure)


# -- help text --------------------------------------------------------------------------------
def fill(text: str) -> str:
    """A one-paragraph description wrapped as argparse would wrap it (epilogs with examples
    are kept as written, so the parsers use ``RawDescriptionHelpFormatter``)."""
    width = max(shutil.get_terminal_size().columns - 2, 11)
    return textwrap.fill(" ".join(text.split()), width)


#: The longest error message printed whole (a message quoting a huge input is cut).
MAX_ERROR = 600


def cut(text: str, limit: int = MAX_ERROR) -> str:
    """``text`` cut to ``limit`` characters (a message quoting a huge input)."""
    return text if len(text) <= limit else text[: limit - 10] + " ... (cut)"


def error_line(command: str | None, exc: BaseException) -> str:
    text = cut(one_line(exc))
    return f"bayescale {command}: error: {text}" if command else f"bayescale: error: {text}"


__all__ = ["FLAGS", "check_output", "cli_text", "collect_warnings", "error_line", "fill", "frame",
           "number", "one_line", "print_json", "pyplot", "records", "render", "say", "warn",
           "write_csv", "write_figure", "write_text"]
