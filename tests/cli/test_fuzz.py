"""Fuzz tier: hostile inputs to every command, run through the CLI in-process.

Each input (a row of a table below, or an example hypothesis draws) is run as
``bayescale.cli.main(argv)`` in a small working folder (runs, fit files, a file where a folder
would go, taken output names, links), snapshotted before and after (every path, its kind, size
and sha256), and must keep the exit contract of :mod:`bayescale.cli.main`:

* exit status 1 for a user error, with exactly one line on stderr that starts with
  ``bayescale CMD: error: `` and names the problem (the option, column, row or file; the tables
  give the fragment expected), nothing on stdout, and the working folder byte-for-byte as it
  was (no output file, no temporary, no cache folder);
* never status 2 (``internal error``), never a traceback, never an uncaught exception.
  argparse's usage errors are part of the contract too: the CLI's parser exits with status 1
  and one line (``bayescale CMD: error: ...``), not argparse's status 2 with the usage text.
  Arguments no option takes are reported by the command's parser too
  (``bayescale CMD: error: unrecognized arguments: ...``); only a command that does not exist
  is the top-level parser's (``bayescale: error: ...``);
* an input hypothesis happens to make valid may exit 0; then only the declared outputs may
  appear or change, and no warning line is longer than an error may be.

The streams are as strict as a terminal's: stdout is UTF-8 with ``errors='strict'`` and
stderr UTF-8 with ``backslashreplace`` (Python's defaults for the real streams), and what C
code writes to file descriptors 1 and 2 (HDF5, netCDF) is captured too.

To stay fast nothing samples: the work each command starts once its inputs are checked
(MCMC and MAP fits, backtests, comparisons, prior learning, figures, report building) is
replaced by a stub raising :class:`WorkReached`, which the harness counts as "the input was
accepted" (and then checks that nothing was written before the work). A few table rows run
for real (``real=True``): cheap commands (summary, predict, optimal, simulate, LaTeX report).

Argv never holds a NUL character (a real command line cannot); text can hold any other
character, including lone surrogates from undecodable bytes (``\\udcff``) as Python
decodes ``sys.argv`` on Linux.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib
import io
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from bayescale.cli import main
from bayescale.cli.commands import COMMANDS

# -- the harness --------------------------------------------------------------------------------


class WorkReached(BaseException):
    """Raised by the stubs of the work: the command accepted its inputs. A BaseException so
    that ``main``'s ``except Exception`` (the internal-error path) does not turn it into one."""


#: The work each command starts after checking its inputs; replaced by stubs (module, name).
WORK = [
    ("bayescale.inference.run", "sample_fit"),
    ("bayescale.workflow", "sample_fit"),
    ("bayescale.workflow", "fit"),
    ("bayescale.workflow", "fit_many"),
    ("bayescale.evaluation.backtest", "backtest"),
    ("bayescale.evaluation.compare", "compare"),
    ("bayescale.evaluation.compare", "lfo"),
    ("bayescale.evaluation.population", "sample_fit"),  # per study, after its checks
    ("bayescale.data.datasets", "_download"),
    ("bayescale.report", "build"),
    ("bayescale.plot", "extrapolation"),
    ("bayescale.plot", "ppc"),
    ("bayescale.plot", "frontier"),
    ("bayescale.plot", "calibration"),
]

PREFIX = re.compile(r"^bayescale (?P<cmd>[a-z]+): error: ")


#: Whether the stubs stop the work (only inside :func:`stubbed_work`).
_STUBBING = [False]


def _stub(name: str, original):
    """The stand-in of ``original``: raises :class:`WorkReached` while stubbing, else calls
    ``original``. A module first imported during a case may bind it (``from x import fit``);
    outside these cases it then behaves as the original."""

    @functools.wraps(original)
    def reached(*args, **kwargs):
        if _STUBBING[0]:
            raise WorkReached(name)
        return original(*args, **kwargs)

    reached.__wrapped_original__ = original
    return reached


@contextlib.contextmanager
def stubbed_work(enabled: bool = True) -> Iterator[None]:
    saved = []
    try:
        if enabled:
            for module, name in WORK:
                mod = importlib.import_module(module)
                value = getattr(mod, name)
                saved.append((mod, name, value))
                original = getattr(value, "__wrapped_original__", value)
                setattr(mod, name, _stub(f"{module}.{name}", original))
        _STUBBING[0] = enabled
        yield
    finally:
        _STUBBING[0] = False
        for mod, name, value in saved:
            setattr(mod, name, value)


@contextlib.contextmanager
def fd_capture() -> Iterator[dict[int, bytes]]:
    """What C code writes to fds 1 and 2 during the block (filled in when it ends)."""
    sys.stdout.flush()
    sys.stderr.flush()
    captured: dict[int, bytes] = {}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        files = {1: out, 2: err}
        saved = {fd: os.dup(fd) for fd in files}
        try:
            for fd, f in files.items():
                os.dup2(f.fileno(), fd)
            yield captured
        finally:
            for fd, f in files.items():
                os.dup2(saved[fd], fd)
                os.close(saved[fd])
                f.seek(0)
                captured[fd] = f.read()


@dataclass
class Result:
    code: int | None
    out: str
    err: str
    reached: str | None  # the stubbed work the command started, if any


def invoke(argv: Sequence[str], *, real: bool = False) -> Result:
    """``bayescale argv`` in-process, with strict text streams and fd capture."""
    out_b, err_b = io.BytesIO(), io.BytesIO()
    out = io.TextIOWrapper(out_b, encoding="utf-8", errors="strict", write_through=True)
    err = io.TextIOWrapper(err_b, encoding="utf-8", errors="backslashreplace",
                           write_through=True)
    reached = None
    with fd_capture() as fds, stubbed_work(not real):
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(argv))
            except SystemExit as exc:  # argparse (help, usage errors)
                code = exc.code
            except WorkReached as exc:
                code, reached = None, str(exc)
    c_out, c_err = fds[1], fds[2]
    text_out = out_b.getvalue().decode("utf-8", "backslashreplace")
    text_err = err_b.getvalue().decode("utf-8", "backslashreplace")
    return Result(code, text_out + c_out.decode("utf-8", "backslashreplace"),
                  text_err + c_err.decode("utf-8", "backslashreplace"), reached)


def snapshot(root: Path) -> dict[str, tuple]:
    """Every file, folder and link under ``root``: kind and (for files) size and sha256."""
    seen: dict[str, tuple] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            rel = str(p.relative_to(root))
            if p.is_symlink():
                seen[rel] = ("link", os.readlink(p))
            elif p.is_dir():
                seen[rel] = ("dir",)
            else:
                data = p.read_bytes()
                seen[rel] = ("file", len(data), hashlib.sha256(data).hexdigest())
    return seen


def changes(before: dict[str, tuple], after: dict[str, tuple]) -> dict[str, str]:
    out = {}
    for k in before.keys() | after.keys():
        if k not in after:
            out[k] = "vanished"
        elif k not in before:
            out[k] = "appeared"
        elif before[k] != after[k]:
            out[k] = "changed"
    return out


def _runs_frame(seed: int = 3) -> pd.DataFrame:
    from bayescale.data.simulate import EPOCH_CHINCHILLA, chinchilla_design, simulate_runs

    return simulate_runs("chinchilla", EPOCH_CHINCHILLA, chinchilla_design(), seed=seed)


PRIORS_TOML = """\
E = { dist = "LogNormal", mu = 0.5, sigma = 0.5 }
A = { dist = "LogNormal", mu = 6.0, sigma = 1.0 }
B = { dist = "LogNormal", mu = 6.0, sigma = 1.0 }
alpha = { dist = "LogNormal", mu = -1.2, sigma = 0.6 }
beta = { dist = "LogNormal", mu = -1.2, sigma = 0.6 }
"""


def build_template(root: Path) -> Path:
    """The working folder every case starts from."""
    from bayescale.testing import fake_fit

    root.mkdir(parents=True, exist_ok=True)
    runs = _runs_frame()
    runs.to_csv(root / "runs.csv", index=False)
    studies = pd.concat([_runs_frame(s).assign(study=f"s{s}") for s in (1, 2, 3, 4)])
    studies.to_csv(root / "studies.csv", index=False)
    fake_fit("chinchilla", draws=100, chains=2).save(root / "fit.nc")
    fake_fit("power", draws=100, chains=2).save(root / "power.nc")
    pd.DataFrame({"N": [1e9, 2e9], "D": [2e10, 4e10]}).to_csv(root / "points.csv", index=False)
    (root / "priors.toml").write_text(PRIORS_TOML)
    (root / "afile").write_text("not a folder")
    (root / "taken.csv").write_text("mine")
    (root / "taken.png").write_bytes(b"\x89PNG mine")
    (root / "taken.nc").write_bytes(b"mine")
    (root / "taken.toml").write_text("mine = 1\n")
    (root / "taken.tex").write_text("mine")
    (root / "sub").mkdir()
    (root / "dir.nc").mkdir()
    (root / "dir.csv").mkdir()
    (root / "dir.png").mkdir()
    (root / "rep").mkdir()
    (root / "rep" / "report.html").write_text("mine")
    os.symlink("afile", root / "link-to-afile")
    os.symlink("nowhere/at/all", root / "dangling.csv")
    return root


_TEMPLATE: list[Path] = []


def template() -> Path:
    """The pristine folder (built once); cases run in a copy of it, :func:`workdir`."""
    if not _TEMPLATE:
        base = Path(tempfile.mkdtemp(prefix="bayescale-fuzz-"))
        _TEMPLATE.append(build_template(base / "template"))
    return _TEMPLATE[0]


@pytest.fixture(scope="module", autouse=True)
def _template_cleanup():
    yield
    if _TEMPLATE:
        shutil.rmtree(_TEMPLATE[0].parent, ignore_errors=True)
        _TEMPLATE.clear()
        _WORK.clear()


#: The working copy and whether it may differ from the template (then it is copied afresh).
_WORK: dict[str, object] = {}


def _fresh_work() -> Path:
    wd = template().parent / "work"
    if _WORK.get("dirty", True):
        shutil.rmtree(wd, ignore_errors=True)
        shutil.copytree(template(), wd, symlinks=True)
        _WORK["top"] = {p.name for p in template().iterdir()}
    _WORK["dirty"] = True  # until the case proves it left the folder as it found it
    return wd


def _tidy(wd: Path) -> None:
    """Remove what a case added at the top level (its input files); the folder is then the
    template again, as the case's snapshots showed nothing else changed."""
    for p in wd.iterdir():
        if p.name not in _WORK["top"]:
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            else:
                p.unlink()
    _WORK["dirty"] = False


@contextlib.contextmanager
def workdir(files: dict[str, bytes | str] | None = None) -> Iterator[Path]:
    """The template's contents as the current folder (and datasets' cache root), with
    ``files`` added (new top-level names only); datasets stay offline. Copied afresh only after
    a case that changed it (a written output, or a failure)."""
    old_cwd = os.getcwd()
    old_env = {k: os.environ.get(k) for k in ("BAYESCALE_CACHE", "BAYESCALE_OFFLINE",
                                              "BAYESCALE_DATA_DIR")}
    wd = _fresh_work()
    for name, data in (files or {}).items():
        p = wd / name
        assert Path(name).parts[0] not in _WORK["top"], name
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        p.write_bytes(data)
    os.environ["BAYESCALE_CACHE"] = str(wd / "cache")
    os.environ["BAYESCALE_OFFLINE"] = "1"
    os.environ.pop("BAYESCALE_DATA_DIR", None)
    os.chdir(wd)
    try:
        yield wd
    finally:
        os.chdir(old_cwd)
        for k, v in old_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _cut(text: str, limit: int = 700) -> str:
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


#: Longest error line accepted: one line a person reads, not a dump of the input.
LONGEST = 600


def check_contract(argv: Sequence[str], res: Result, before: dict, after: dict, *,
                   outputs: Sequence[str] = (), fragment: str | Sequence[str] | None = None,
                   must_fail: bool = True) -> None:
    """The exit contract of one run (see the module docstring)."""
    cmd = argv[0]
    shown = f"argv={list(argv)!r}\nstatus={res.code} reached={res.reached}\n" \
            f"stderr={_cut(res.err)!r}\nstdout={_cut(res.out)!r}"
    assert "Traceback" not in res.err + res.out, shown
    assert "internal error" not in res.err, shown
    assert res.code in (0, 1, None), shown
    diff = changes(before, after)
    if res.code == 0 and not must_fail:
        long = [ln for ln in res.err.splitlines() if len(ln) > LONGEST]
        assert not long, f"{shown}\n(a warning or progress line over {LONGEST} characters)"
        allowed = [str(Path(o)) for o in outputs]
        stray = {k: v for k, v in diff.items()
                 if not any(k == o or k.startswith(o + os.sep) for o in allowed)}
        assert not stray, f"{shown}\nstray files: {stray}"
        return
    if res.code is None:  # the stubbed work started: the inputs were accepted
        assert not must_fail, f"{shown}\nthe input was accepted (work started)"
        assert not diff, f"{shown}\nfiles changed before the work: {diff}"
        return
    assert res.code == 1, shown
    assert res.err.endswith("\n") and res.err.count("\n") == 1, f"{shown}\n(not one line)"
    m = PREFIX.match(res.err)
    if m is None:
        top = cmd not in COMMANDS and res.err.startswith("bayescale: error: ")
        assert top, f"{shown}\n(no 'bayescale {cmd}: error: ')"
    else:
        assert m.group("cmd") == cmd, shown
    assert len(res.err) <= LONGEST, f"{shown}\n(message too long)"
    assert res.out == "", f"{shown}\n(stdout written on an error)"
    assert not diff, f"{shown}\nfiles changed on an error: {diff}"
    if fragment is not None:
        frags = [fragment] if isinstance(fragment, str) else list(fragment)
        assert any(f in res.err for f in frags), f"{shown}\nexpected one of {frags!r}"


def run_case(argv: Sequence[str], *, fragment: str | Sequence[str] | None = None,
             outputs: Sequence[str] = (), files: dict[str, bytes | str] | None = None,
             must_fail: bool = True, real: bool = False) -> Result:
    argv = [str(a) for a in argv]
    with workdir(files) as wd:
        before = snapshot(wd)
        res = invoke(argv, real=real)
        after = snapshot(wd)
        if after == before:
            _tidy(wd)
    check_contract(argv, res, before, after, outputs=outputs, fragment=fragment,
                   must_fail=must_fail)
    return res


FUZZ = settings(deadline=None, derandomize=True, database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                       HealthCheck.data_too_large])


def fuzz(n: int):
    return settings(FUZZ, max_examples=n)


# -- hostile CSV files --------------------------------------------------------------------------

VALID = _runs_frame().to_csv(index=False)
HEAD = "N,D,C,loss\n"
GOOD_ROW = "30000000,150000000,2.7e16,3.5\n"


def rows(n: int, row: str = GOOD_ROW) -> str:
    return row * n


#: (id, file contents, fragment of the message); fed to fit, backtest, compare, priors learn.
BAD_CSV = [
    ("empty", b"", "empty"),
    ("only-newlines", b"\n\n\n", ("empty", "no runs", "column")),
    ("only-header", HEAD, ("no runs", "no rows", "empty", "0 runs")),
    ("only-header-no-newline", "N,D,C,loss", ("no runs", "no rows", "empty", "0 runs")),
    ("binary-garbage", bytes(range(256)) * 4, "bad.csv"),
    ("nul-bytes", b"N,D,loss\n1\x00,2,3\n" * 5, "bad.csv"),
    ("utf16", VALID.encode("utf-16"), "bad.csv"),
    ("latin1-header", "N,D,lo\xdfs\n1e9,1e10,2\n".encode("latin-1"), "bad.csv"),
    ("duplicate-header", "N,N,D,loss\n" + "1e8,1e8,1e9,3\n" * 5, "'N' appears 2 times"),
    ("duplicate-loss", "N,D,loss,loss\n" + "1e8,1e9,3,3\n" * 5, "'loss' appears 2 times"),
    ("duplicate-after-strip", "N, N,D,loss\n" + "1e8,1e8,1e9,3\n" * 5, "appears 2 times"),
    ("ragged-long", HEAD + rows(3) + "1,2,3,4,5\n" + rows(3), "line 5 has 5 fields"),
    ("ragged-short", HEAD + rows(3) + "1e9,2e10\n" + rows(3), ("line 5", "row", "missing")),
    ("unclosed-quote", HEAD + rows(3) + '"1e9,2e10,1e20,3\n' + rows(3), "bad.csv"),
    ("semicolons", VALID.replace(",", ";"), "semicolons"),
    ("tabs", VALID.replace(",", "\t"), "tabs"),
    ("bars", VALID.replace(",", "|"), "bars"),
    ("no-loss", "N,D,C\n" + "1e8,1e9,6e17\n" * 5, "'loss'"),
    ("no-inputs", "loss\n" + "3\n" * 5, ("'N'", "N, D", "column")),
    ("loss-nan", HEAD + rows(4) + "3e7,1.5e8,2.7e16,nan\n" + rows(4), ("loss", "row")),
    ("loss-inf", HEAD + rows(4) + "3e7,1.5e8,2.7e16,inf\n" + rows(4), ("loss", "row")),
    ("loss-negative", HEAD + rows(4) + "3e7,1.5e8,2.7e16,-3\n" + rows(4), ("loss", "row")),
    ("loss-zero", HEAD + rows(4) + "3e7,1.5e8,2.7e16,0\n" + rows(4), ("loss", "row")),
    ("loss-text", HEAD + rows(4) + "3e7,1.5e8,2.7e16,abc\n" + rows(4), ("loss", "abc")),
    ("loss-all-empty", HEAD + rows(4, "3e7,1.5e8,2.7e16,\n"), ("loss", "row")),
    ("N-zero", HEAD + "0,1.5e8,2.7e16,3.5\n" + rows(5), ("'N'", "N ", "row")),
    ("N-negative", HEAD + "-3e7,1.5e8,2.7e16,3.5\n" + rows(5), ("'N'", "N ", "row")),
    ("N-inf", HEAD + "inf,1.5e8,2.7e16,3.5\n" + rows(5), ("'N'", "N ", "row")),
    ("N-1e400", HEAD + "1e400,1.5e8,2.7e16,3.5\n" + rows(5), ("'N'", "N ", "row")),
    ("N-text", HEAD + "big,1.5e8,2.7e16,3.5\n" + rows(5), ("'N'", "N ", "big")),
    ("N-hex", HEAD + "0x10,1.5e8,2.7e16,3.5\n" + rows(5), ("'N'", "N ", "0x10")),
    ("N-thousands", 'N,D,C,loss\n"1,000",1.5e8,2.7e16,3.5\n' + rows(5), ("'N'", "N ", "1,000")),
    ("N-bool", HEAD + "True,1.5e8,2.7e16,3.5\n" + rows(5), ("'N'", "N ", "True")),
    ("D-negative", HEAD + "3e7,-1.5e8,2.7e16,3.5\n" + rows(5), ("'D'", "D ", "row")),
    ("C-garbage", HEAD + rows(5, "3e7,1.5e8,oops,3.5\n"), ("'C'", "C ")),
    ("C-negative", HEAD + "3e7,1.5e8,-1,3.5\n" + rows(5), ("'C'", "C ")),
    ("huge-N-1e308", HEAD + "1e308,1.5e8,2.7e16,3.5\n" + rows(5), None),
    ("denormal-loss", HEAD + "3e7,1.5e8,2.7e16,1e-320\n" + rows(5), None),
    ("one-row", HEAD + GOOD_ROW, ("run", "row")),
    ("formula-injection", 'N,D,C,loss\n"=cmd|\' /C calc\'!A0",1e9,1e20,3\n' + rows(5),
     ("'N'", "N ")),
    ("header-empty-names", ",,,\n" + rows(5), ("'N'", "column")),
    ("unicode-header", "ℕ,𝔻,損失\n" + "1e9,1e10,2\n" * 5, ("'N'", "column")),
    ("bom-then-semicolons", "\ufeff" + VALID.replace(",", ";"), "semicolons"),
    ("ten-thousand-columns",
     ",".join(f"c{i}" for i in range(10_000)) + "\n" + ",".join("1" for _ in range(10_000))
     + "\n", ("'N'", "column")),
    ("long-cell", HEAD + "3e7,1.5e8,2.7e16," + "9" * 100_000 + "\n" + rows(5),
     ("loss", "row")),
    ("cr-only-lines", VALID.replace("\n", "\r"), None),
    ("mixed-types-loss", HEAD + rows(3) + "3e7,1.5e8,2.7e16,[1]\n" + rows(3), ("loss", "[1]")),
]


@pytest.mark.parametrize(("contents", "fragment"), [(c, f) for _, c, f in BAD_CSV],
                         ids=[i for i, _, _ in BAD_CSV])
def test_hostile_csv_fit(contents, fragment):
    argv = ["fit", "bad.csv", "--law", "chinchilla", "--method", "map", "-o", "out.nc"]
    res = run_case(argv, files={"bad.csv": contents}, fragment=fragment,
                   must_fail=fragment is not None)
    if fragment is not None:
        assert res.code == 1


#: A smaller set of the same files through the other commands that read runs.
CSV_OTHER = ["empty", "binary-garbage", "duplicate-header", "ragged-long", "semicolons",
             "no-loss", "loss-nan", "N-text", "C-garbage", "one-row", "utf16", "long-cell"]
OTHER_READERS = {
    "backtest": ["backtest", "bad.csv", "--law", "chinchilla", "--method", "map", "-o",
                 "bt.csv"],
    "compare": ["compare", "bad.csv", "--laws", "chinchilla,kaplan"],
    "priors": ["priors", "learn", "bad.csv", "--by", "N", "--law", "chinchilla", "--method",
               "map", "-o", "p.toml"],
}


@pytest.mark.parametrize("case", CSV_OTHER)
@pytest.mark.parametrize("command", sorted(OTHER_READERS))
def test_hostile_csv_other_readers(command, case):
    contents, fragment = next((c, f) for i, c, f in BAD_CSV if i == case)
    if command == "priors":  # the table is read first; grouping by N, a column the law
        # reads, is refused next (and a table with one N value has one study)
        fragment = (*([fragment] if isinstance(fragment, str) else fragment), "--by N: 1 study",
                    "--by N: that column is one the law reads")
    run_case(OTHER_READERS[command], files={"bad.csv": contents}, fragment=fragment)


# hypothesis: tables built from hostile pieces ---------------------------------------------

CELLS = st.one_of(
    st.sampled_from(["", "nan", "NaN", "inf", "-inf", "-1", "0", "-0", "1e308", "1e400",
                     "1e-320", "abc", "0x1p3", "1_000", "TRUE", "None", "null", " ", '""',
                     "1e9", "3.5", "2", "∞", "١٢٣", "１", "\u00a0", "'", '"x,y"']),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.text(alphabet=st.characters(blacklist_characters="\x00\n\r,\"",
                                   blacklist_categories=["Cs"]), max_size=8),
)
HEADERS = st.one_of(
    st.sampled_from(["N", "D", "C", "loss", "run_id", "study", "", " N", "N ", "loss ",
                     "Loss", "n", "U", "error", "accuracy", "ℕ", "損失", "N.1", "\ufeffN"]),
    st.text(alphabet=st.characters(blacklist_characters="\x00\n\r,\"",
                                   blacklist_categories=["Cs"]), max_size=6),
)


@st.composite
def hostile_tables(draw) -> bytes:
    """A CSV: random headers and cells (ragged rows, odd encodings), or the valid runs with
    some cells, a header or a line damaged."""
    kind = draw(st.sampled_from(["random", "damaged", "damaged", "bytes"]))
    if kind == "bytes":
        return draw(st.binary(max_size=300))
    if kind == "random":
        header = draw(st.lists(HEADERS, min_size=0, max_size=6))
        width = max(len(header), 1)
        body = draw(st.lists(st.lists(CELLS, min_size=max(width - 1, 0), max_size=width + 1),
                             max_size=6))
        lines = [",".join(header)] + [",".join(r) for r in body]
    else:
        lines = VALID.splitlines()
        table = [ln.split(",") for ln in lines]
        for _ in range(draw(st.integers(1, 4))):
            r = draw(st.integers(0, len(table) - 1))
            c = draw(st.integers(0, len(table[r]) - 1))
            what = draw(st.sampled_from(["cell", "cell", "drop", "extra", "rowdrop"]))
            if what == "cell":
                table[r][c] = draw(CELLS if r else HEADERS)
            elif what == "drop" and len(table[r]) > 1:
                del table[r][c]
            elif what == "extra":
                table[r].insert(c, draw(CELLS))
            elif what == "rowdrop" and len(table) > 2:
                del table[r]
        lines = [",".join(r) for r in table]
    text = "\n".join(lines) + draw(st.sampled_from(["\n", "", "\r\n"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "utf-16", "latin-1"]))
    try:
        return text.encode(encoding)
    except UnicodeEncodeError:
        return text.encode("utf-8")


TABLE_READERS = {
    "fit": (["fit", "t.csv", "--method", "map", "-o", "out.nc"], ["out.nc"]),
    "backtest": (["backtest", "t.csv", "--method", "map", "-o", "bt.csv"], ["bt.csv"]),
    "compare": (["compare", "t.csv", "--laws", "chinchilla,kaplan"], []),
    "priors": (["priors", "learn", "t.csv", "--by", "D", "--method", "map", "-o", "p.toml"],
               ["p.toml"]),
}


@pytest.mark.parametrize("command", sorted(TABLE_READERS))
@fuzz(30)
@given(table=hostile_tables())
def test_fuzzed_tables(command, table):
    argv, outputs = TABLE_READERS[command]
    run_case(argv, files={"t.csv": table}, outputs=outputs, must_fail=False)


# -- hostile option values ----------------------------------------------------------------------

FIT = ["fit", "runs.csv", "--method", "map", "-o", "out.nc"]
BT = ["backtest", "runs.csv", "--method", "map"]
CMP = ["compare", "runs.csv", "--laws", "chinchilla,kaplan"]

#: (argv, fragment of the message); every row must fail with status 1.
BAD_OPTIONS = [
    # options a law does not use are refused, not ignored
    (["optimal", "fit.nc", "--compute", "1e22", "--unique", "1e9"],
     "--unique 1e+09: law 'chinchilla' has no unique-token input"),
    (["optimal", "fit.nc", "--stop", "1e9", "--target-loss", "2"],
     "give --stop or --target-loss, not both"),
    (["fit", "runs.csv", "--by", "", "-o", "fits"], "--by needs a column name"),
    # fit: sampler settings
    ([*FIT, "--seed", "-1"], "--seed"),
    ([*FIT, "--seed", "1e3"], "--seed"),
    ([*FIT, "--seed", str(2 ** 32)], "--seed"),
    ([*FIT, "--seed", "9" * 400], "--seed"),
    ([*FIT, "--seed", "nan"], "--seed"),
    ([*FIT, "--seed", ""], "--seed"),
    ([*FIT, "--draws", "0"], "--draws"),
    ([*FIT, "--draws", "-5"], "--draws"),
    ([*FIT, "--draws", "10" * 30], "--draws"),
    ([*FIT, "--draws", "1.5"], "--draws"),
    ([*FIT, "--chains", "0"], "--chains"),
    ([*FIT, "--chains", "100000"], "--chains"),
    ([*FIT, "--chains", "four"], "--chains"),
    ([*FIT, "--tune", "-1"], "--tune"),
    ([*FIT, "--tune", "99999999999"], "--tune"),
    ([*FIT, "--target-accept", "1"], "--target-accept"),
    ([*FIT, "--target-accept", "nan"], "--target-accept"),
    ([*FIT, "--target-accept", "0"], "--target-accept"),
    ([*FIT, "--method", "vi"], "--method"),
    ([*FIT, "--sampler", "emcee"], "--sampler"),
    ([*FIT, "--likelihood", "cauchy"], "--likelihood"),
    ([*FIT, "--likelihood", "beta"], ("beta", "likelihood")),
    ([*FIT, "--x", "Q"], "--x"),
    ([*FIT, "--breaks", "3"], "--breaks"),
    ([*FIT, "--breaks", "2"], ("breaks", "bnsl")),
    ([*FIT, "--k", "nan"], ("--k", "k")),
    ([*FIT, "--k", "-6"], ("--k", "k")),
    ([*FIT, "--k", "inf"], ("--k", "k")),
    ([*FIT, "--chance", "0.25"], ("chance", "chinchilla")),
    ([*FIT, "--chance", "x"], ("--chance", "chance 'x'")),
    ([*FIT, "--law", "sigmoid", "--x", "N", "--chance", "2"], ("chance", "accuracy")),
    ([*FIT, "--law", "sigmoid", "--x", "N", "--chance", "nan"], ("chance", "accuracy")),
    ([*FIT, "--law", "sigmoid", "--x", "N", "--chance=-inf"], ("chance", "accuracy")),
    ([*FIT, "--workers", "0"], "--workers"),
    ([*FIT, "--prob", "1.5"], "--prob"),
    ([*FIT, "--prob", "-0"], "--prob"),
    ([*FIT, "--bogus"], "unrecognized arguments: --bogus"),
    ([*FIT, "extra-positional"], "unrecognized arguments"),
    (["fit", "runs.csv", "--method", "map"], "-o/--output"),
    (["fit", "--method", "map", "-o", "out.nc"], "runs"),
    (["fit", "missing.csv", "--method", "map", "-o", "out.nc"], "missing.csv"),
    (["fit", "sub", "--method", "map", "-o", "out.nc"], "directory"),
    (["fit", "dangling.csv", "--method", "map", "-o", "out.nc"], "dangling.csv"),
    (["fit", "/dev/null", "--method", "map", "-o", "out.nc"], "empty"),
    (["fit", "fit.nc", "--method", "map", "-o", "out.nc"], "fit.nc"),
    (["fit", "runs.csv.parquet", "--method", "map", "-o", "out.nc"], "runs.csv.parquet"),
    (["fit", "\udcff.csv", "--method", "map", "-o", "out.nc"], ".csv"),
    # fit: model options
    ([*FIT, "--law", "nope"], "unknown law 'nope'"),
    ([*FIT, "--law", ""], "unknown law ''"),
    ([*FIT, "--law", "__class__"], "unknown law"),
    ([*FIT, "--law", "Chinchilla"], "unknown law"),
    ([*FIT, "--law", "power"], ("--x", "one input")),
    ([*FIT, "--law", "data_constrained"], "U"),
    ([*FIT, "--law", "learning_curve"], ("run", "column")),
    ([*FIT, "--law", "sigmoid", "--x", "N"], ("accuracy", "column")),
    ([*FIT, "--law", "accuracy_from_loss"], ("accuracy", "column")),
    ([*FIT, "--law", "compute", "--k", "0"], ("--k", "k")),
    ([*FIT, "--priors", "none.toml"], "none.toml"),
    ([*FIT, "--priors", "afile"], "afile"),
    ([*FIT, "--priors", "sub"], "sub"),
    ([*FIT, "--priors", "runs.csv"], "runs.csv"),
    ([*FIT, "--priors", "fit.nc"], "fit.nc"),
    ([*FIT, "--priors", "taken.toml"], ("mine", "taken.toml")),
    ([*FIT, "--priors", ""], ("--priors", "priors")),
    ([*FIT, "--columns", "loss=val"], "column 'val'"),
    ([*FIT, "--columns", "loss"], "--columns"),
    ([*FIT, "--columns", "=loss"], "columns: unknown field ''"),
    ([*FIT, "--columns", "X=loss"], ("--columns", "'X'")),
    ([*FIT, "--columns", "N=D"], "'N=D' maps column D to N"),
    ([*FIT, "--query", "N >"], "--query 'N >' failed"),
    ([*FIT, "--query", "__import__('os').system('touch pwned')"], "--query"),
    ([*FIT, "--query", "N.__class__"], "--query"),
    ([*FIT, "--query", "lambda: 1"], "--query"),
    ([*FIT, "--query", "nosuch > 1"], "nosuch"),
    ([*FIT, "--query", "N > 1e30"], "--query 'N > 1e30'"),
    ([*FIT, "--query", "N > 9**9**9"], "--query"),
    ([*FIT, "--query", "N" + " and N" * 2000], "--query"),
    ([*FIT, "--query", "(" * 500 + "N" + ")" * 500], "--query"),
    ([*FIT, "--query", "N @ D"], "--query"),
    ([*FIT, "--query", "1"], "--query"),
    ([*FIT, "--query", "'text'"], "--query"),
    ([*FIT, "--discrepancy", "autp"], "--discrepancy autp"),
    ([*FIT, "--discrepancy", "-1"], "--discrepancy"),
    ([*FIT, "--discrepancy", "nan"], "--discrepancy"),
    ([*FIT, "--discrepancy", "inf"], "--discrepancy"),
    ([*FIT, "--discrepancy", "1e400"], "--discrepancy"),
    ([*FIT, "--discrepancy", ""], "--discrepancy"),
    (["fit", "runs.csv", "--by", "nope", "--method", "map", "-o", "fits"], "--by 'nope'"),
    (["fit", "runs.csv", "--by", "N", "--method", "map", "-o", "afile"], "afile"),
    (["fit", "runs.csv", "--by", "N", "--method", "map", "-o", "fits.nc"], "must be a folder"),
    (["fit", "runs.csv", "--by", "", "--method", "map", "-o", "fits"], ("--by", "'fits'")),
    # custom law expressions
    ([*FIT, "--law", "custom"], "give an expression"),
    ([*FIT, "--law", "custom", "--expression", ""], "empty"),
    ([*FIT, "--law", "custom", "--expression", "__import__('os').system('touch pwned')"],
     "__import__"),
    ([*FIT, "--law", "custom", "--expression", "N.__class__"], "attribute access"),
    ([*FIT, "--law", "custom", "--expression", "(lambda: 1)()"], ("lambda", "calling")),
    ([*FIT, "--law", "custom", "--expression", "lambda: 1"], "a lambda"),
    ([*FIT, "--law", "custom", "--expression", "[x for x in N]"], "comprehension"),
    ([*FIT, "--law", "custom", "--expression", "N[0]"], "subscript"),
    ([*FIT, "--law", "custom", "--expression", "E + 1e400*N"], ("1e400", "finite")),
    ([*FIT, "--law", "custom", "--expression", "E + 9**9**9*N"], ("9**9**9", "finite",
                                                                  "constant")),
    ([*FIT, "--law", "custom", "--expression", "E + (0/0)*N"], ("0/0", "zero", "constant")),
    ([*FIT, "--law", "custom", "--expression", "E + log(0)*N"], ("log", "finite", "constant")),
    ([*FIT, "--law", "custom", "--expression", "E + " + "9" * 40 + "*N"], "characters"),
    ([*FIT, "--law", "custom", "--expression", "E + A*N" * 100], "limit"),
    ([*FIT, "--law", "custom", "--expression", "E + A*N**(-alpha)) "], "not a valid"),
    ([*FIT, "--law", "custom", "--expression", "E + open('x')"], "open"),
    ([*FIT, "--law", "custom", "--expression", "E + exp(N, D)"], "exp"),
    ([*FIT, "--law", "custom", "--expression", "E + exp(a=N)"], ("keyword", "exp")),
    ([*FIT, "--law", "custom", "--expression", "E if N else A"], "conditional"),
    ([*FIT, "--law", "custom", "--expression", "E + (x := N)"], "assignment"),
    ([*FIT, "--law", "custom", "--expression", "f'{N}'"], "string"),
    ([*FIT, "--law", "custom", "--expression", "E + A*N**(-alpha)"], "--priors"),
    ([*FIT, "--law", "custom", "--expression", "E + A*Q**(-alpha)", "--priors", "priors.toml"],
     "uses none of the inputs"),
    ([*FIT, "--law", "custom", "--expression", "E + A*N**(-alpha)\n+ B"], None),
    ([*FIT, "--law", "custom", "--expression", "2"], ("input", "parameter")),
    ([*FIT, "--law", "custom", "--expression", "E + A*N**(-alpha) + U", "--priors",
      "priors.toml"], "U"),
    # backtest
    ([*BT, "--holdout", "largest:x"], "largest:K"),
    ([*BT, "--holdout", "largest:0"], "largest"),
    ([*BT, "--holdout", "largest:-1"], "largest"),
    ([*BT, "--holdout", "largest:99"], "largest:99"),
    ([*BT, "--holdout", "largest:" + "9" * 400], "largest"),
    ([*BT, "--holdout", "C>>1"], "--holdout 'C>>1'"),
    ([*BT, "--holdout", "C>1e30"], "selects no runs"),
    ([*BT, "--holdout", "C>0"], ("--holdout", "every run", "all")),
    ([*BT, "--holdout", ""], "--holdout"),
    ([*BT, "--holdout", "__import__('os')"], "--holdout"),
    ([*BT, "--holdout", "none"], "--holdout"),
    ([*BT, "--replicates", "0"], "--replicates"),
    ([*BT, "--law", "kaplan", "--compare", "point"], "--compare point"),
    ([*BT, "--compare", "line"], "--compare"),
    ([*BT, "--format", "xml"], "--format"),
    ([*BT, "--plot", "cal.gif"], "cannot write a 'gif' image"),
    # compare
    ([*CMP, "--holdout", "largest:x"], "largest:K"),
    ([*CMP, "--holdout", "largest:40"], "largest:40"),
    (["compare", "runs.csv", "--laws", "chinchilla"], "at least two laws"),
    (["compare", "runs.csv", "--laws", ",,,"], "at least two laws"),
    (["compare", "runs.csv", "--laws", "chinchilla,nope"], "nope"),
    (["compare", "runs.csv", "--laws", "chinchilla,loglinear"], "loglinear"),
    (["compare", "runs.csv"], "--laws"),
    ([*CMP, "--method", "map"], "MCMC"),
    ([*CMP, "--at", "N=oops"], "not a number"),
    ([*CMP, "--at", "N=1e9"], "needs N and D"),
    ([*CMP, "--draws", "0"], "--draws"),
    ([*CMP, "--query", "N >"], "--query"),
    # predict
    (["predict", "fit.nc"], "--at"),
    (["predict", "fit.nc", "--at", "N=1e9,D=1e10", "--points", "points.csv"], "not allowed"),
    (["predict", "fit.nc", "--at", "N=-1,D=1e10"], "N must be a positive"),
    (["predict", "fit.nc", "--at", "N=0,D=1e10"], "N must be a positive"),
    (["predict", "fit.nc", "--at", "N=nan,D=1e10"], "N must be a positive"),
    (["predict", "fit.nc", "--at", "N=inf,D=1e10"], "N must be a positive"),
    (["predict", "fit.nc", "--at", "N=1e400,D=1e10"], "N must be a positive"),
    (["predict", "fit.nc", "--at", "N=1e9"], ("D", "needs")),
    (["predict", "fit.nc", "--at", "Q=1"], "unknown input 'Q'"),
    (["predict", "fit.nc", "--at", "N1e9,D=1e10"], "NAME=VALUE"),
    (["predict", "fit.nc", "--at", ",,"], "empty"),
    (["predict", "fit.nc", "--at", ""], "empty"),
    (["predict", "fit.nc", "--at", "N=" + "9" * 5000 + ",D=1"], "point"),
    (["predict", "fit.nc", "--at", "N=1e9,D=1e10", "--prob", "0"], "--prob"),
    (["predict", "fit.nc", "--at", "N=1e9,D=1e10", "--format", "yaml"], "--format"),
    (["predict", "fit.nc", "--points", "missing.csv"], "missing.csv"),
    (["predict", "fit.nc", "--points", "afile"], ("afile", "column")),
    (["predict", "fit.nc", "--points", "runs.csv", "--columns", "N"], "--columns"),
    (["predict", "missing.nc", "--at", "N=1e9,D=1e10"], "missing.nc"),
    (["predict", "power.nc", "--at", "D=1e9"], ("N", "needs")),
    (["predict", "fit.nc", "--points", "bad.csv"], ("bad.csv", "N", "row")),
    # optimal
    (["optimal", "fit.nc"], "give --compute"),
    (["optimal", "fit.nc", "--compute", "0"], "--compute"),
    (["optimal", "fit.nc", "--compute", "-1e22"], "--compute"),
    (["optimal", "fit.nc", "--compute", "nan"], "--compute"),
    (["optimal", "fit.nc", "--compute", "inf"], "--compute"),
    (["optimal", "fit.nc", "--compute", "1e22,x"], "--compute"),
    (["optimal", "fit.nc", "--compute", ","], "--compute"),
    (["optimal", "fit.nc", "--compute", "1e22", "--target-loss", "2"], "not both"),
    (["optimal", "fit.nc", "--target-loss", "-2"], "--target-loss"),
    (["optimal", "fit.nc", "--target-loss", "two"], "--target-loss"),
    (["optimal", "fit.nc", "--compute", "1e22", "--plan", "Q=1"], "unknown input 'Q'"),
    (["optimal", "fit.nc", "--compute", "1e22", "--plan", "N=1,D=2"], "--plan"),
    (["optimal", "fit.nc", "--run", "r1"], "--run needs --final-tokens"),
    (["optimal", "fit.nc", "--final-tokens", "1e9", "--compute", "1"], "--final-tokens"),
    (["optimal", "fit.nc", "--heuristic", "20", "--target-loss", "2"], "--heuristic"),
    (["optimal", "fit.nc", "--compute", "1e22", "--k", "1,2"], "--k takes one number"),
    (["optimal", "fit.nc", "--compute", "1e22", "--price", "2"], "--price needs --gpu-flops"),
    (["optimal", "fit.nc", "--compute", "1e22", "--gpu-flops", "1e15", "--mfu", "2"], "mfu"),
    (["optimal", "fit.nc", "--compute", "1e22", "--plot", "f.csv"], "cannot write a 'csv'"),
    (["optimal", "fit.nc", "--target-loss", "2", "--plot", "f.png"], "--plot goes with"),
    (["optimal", "fit.nc", "--stop", "0"], "--stop"),
    (["optimal", "fit.nc", "--run", "r1", "--final-tokens", "1e9"], ("r1", "run")),
    # summary, plot, check, report
    (["summary", "fit.nc", "--prob", "95"], "--prob"),
    (["summary", "fit.nc", "--prob", "0.95.1"], "--prob"),
    (["summary", "fit.nc", "--format", "html"], "--format"),
    (["summary"], "fit"),
    (["summary", "fit.nc", "fit.nc"], "unrecognized arguments"),
    (["plot", "fit.nc", "-o", "p.png", "--to", "N=1e9"], ("D", "needs")),
    (["plot", "fit.nc", "-o", "p.png", "--to", "bogus"], "NAME=VALUE"),
    (["plot", "fit.nc", "-o", "p.png", "--prob", "1"], "--prob"),
    (["plot", "fit.nc"], "-o/--output"),
    (["check", "fit.nc", "--format", "csv"], "--format"),
    (["check", "fit.nc", "--plot", "c.txt"], "cannot write a 'txt' image"),
    (["report", "fit.nc"], "give -o FOLDER"),
    (["report", "fit.nc", "-o", "r", "--at", "N=1e9"], ("D", "needs")),
    (["report", "fit.nc", "-o", "r", "--at", "N=x,D=1"], "not a number"),
    (["report", "fit.nc", "-o", "r", "--compute", "-1"], "--compute"),
    (["report", "fit.nc", "-o", "r", "--format", "pdf"], "--format"),
    (["report", "fit.nc", "-o", "rep"], "already exists; use --force"),
    (["report", "fit.nc", "-o", "r.csv"], "must be a folder"),
    (["report", "fit.nc", "--format", "latex", "-o", "t.txt"], "name it with .tex"),
    (["report", "fit.nc", "--format", "latex", "-o", "taken.tex"], "--force"),
    # simulate
    (["simulate", "--law", "nope"], "unknown law 'nope'"),
    (["simulate", "--law", "sigmoid"], "needs --params for"),
    (["simulate", "--law", "custom"], ("expression", "custom")),
    (["simulate", "--params", "E"], "--params 'E': expected NAME=NUMBER"),
    (["simulate", "--params", "E=x"], "--params 'E=x'"),
    (["simulate", "--params", "E=nan"], ("E", "finite")),
    (["simulate", "--params", "E=1e400"], ("E", "finite")),
    (["simulate", "--params", "Q=1"], "Q"),
    (["simulate", "--params", "=1"], "no parameter ''"),
    (["simulate", "--N", "1e9:1e6"], "LO:HI:K"),
    (["simulate", "--N", "1e6:1e9:0"], "LO:HI:K"),
    (["simulate", "--N", "1e6:1e9:1e3"], "LO:HI:K"),
    (["simulate", "--N=-1:1e9:3"], "LO:HI:K"),
    (["simulate", "--N", "1e6:1e9:99999999999"], ("--N", "limit")),
    (["simulate", "--N", "1:2:3:4"], "--N"),
    (["simulate", "--N", "nan:1e9:3"], "--N"),
    (["simulate", "--N", "1e6,-1"], "--N"),
    (["simulate", "--N", ""], "--N"),
    (["simulate", "--law", "chinchilla", "--N", "1:1e9:1000", "--ratios",
      ",".join(["2"] * 2000)], "limit"),
    (["simulate", "--law", "chinchilla", "--D", "1e9:1e6:3"], "--D"),
    (["simulate", "--C", "0:1:3", "--law", "compute", "--params", "E=1.8,A=60,gamma=0.1"],
     "--C"),
    (["simulate", "--sigma", "-1"], "--sigma"),
    (["simulate", "--sigma", "nan"], "--sigma"),
    (["simulate", "--sigma", "inf"], "--sigma"),
    (["simulate", "--seed", "-3"], "--seed"),
    (["simulate", "--seed", str(2**40)], "seed must be an integer from 0"),
    (["simulate", "--isoflop", "1e20"], "--isoflop needs --law chinchilla"),
    (["simulate", "--ratios", "0"], "--ratios"),
    (["simulate", "--x", "Z"], "--x"),
    (["simulate", "-o", "taken.csv"], "--force"),
    (["simulate", "-o", "x.txt"], "name it with .csv"),
    # datasets, laws, priors
    (["datasets"], "action"),
    (["datasets", "get"], "'get'"),
    (["datasets", "fetch"], "fetch needs a dataset name"),
    (["datasets", "fetch", "nope"], "unknown dataset 'nope'"),
    (["datasets", "fetch", "../../etc/passwd"], "unknown dataset"),
    (["datasets", "fetch", "epoch_chinchilla"], ("BAYESCALE_OFFLINE", "offline", "cache")),
    (["datasets", "fetch", "epoch_chinchilla", "--from", "afile"], "not a folder"),
    (["datasets", "fetch", "epoch_chinchilla", "--from", "sub"], "not found in sub"),
    (["datasets", "fetch", "epoch_chinchilla", "--from", "missing"], "missing"),
    (["datasets", "fetch", "epoch_chinchilla", "--cache", "afile/c"], "cache"),
    (["datasets", "fetch", "epoch_chinchilla", "--cache", "/proc/x"], "cache"),
    (["datasets", "fetch", "epoch_chinchilla", "-o", "taken.csv"], "--force"),
    (["datasets", "fetch", "llama3_isoflops", "--from", "src"], "checksum mismatch"),
    (["datasets", "fetch", "epoch_chinchilla", "--from", "src"], "checksum mismatch"),
    (["datasets", "fetch", "gemstones", "--from", "src"], "not found in src"),
    (["datasets", "fetch", "epoch_chinchilla", "--cache", ""], "BAYESCALE_OFFLINE"),
    (["datasets", "fetch", "epoch_chinchilla", "--cache", "fit.nc"], "cache folder"),
    (["datasets", "list", "--format", "tsv"], "--format"),
    (["laws", "chinchilla"], "unrecognized arguments: chinchilla"),
    (["laws", "--format", "json"], "unrecognized arguments"),
    (["priors"], "action"),
    (["priors", "forget"], "'forget'"),
    (["priors", "learn"], "needs a runs CSV and --by"),
    (["priors", "learn", "studies.csv", "--method", "map", "-o", "p.toml"], "--by"),
    (["priors", "learn", "studies.csv", "--by", "study", "--method", "map"], "-o PRIORS.toml"),
    (["priors", "learn", "studies.csv", "--by", "nope", "--method", "map", "-o", "p.toml"],
     "--by nope"),
    (["priors", "learn", "runs.csv", "--by", "loss", "--method", "map", "-o", "p.toml"],
     "--by loss"),
    (["priors", "learn", "studies.csv", "--by", "study", "--method", "map", "-o", "p.txt"],
     "name it with .toml"),
    (["priors", "learn", "studies.csv", "--by", "study", "--method", "map", "-o",
      "taken.toml"], "--force"),
    (["priors", "learn", "studies.csv", "--by", "study", "--law", "nope", "--method", "map",
      "-o", "p.toml"], "unknown law"),
    (["priors", "learn", "studies.csv", "--by", "study", "--draws", "0", "-o", "p.toml"],
     "--draws"),
    (["priors", "learn", "studies.csv", "--by", "study", "--columns", "loss=zz", "--method",
      "map", "-o", "p.toml"], "column 'zz'"),
    (["priors", "learn", "studies.csv", "--by", "study", "--query", "N >", "--method", "map",
      "-o", "p.toml"], "--query 'N >'"),
    (["priors", "learn", "missing.csv", "--by", "study", "-o", "p.toml"], "missing.csv"),
    # text with a line break, echoed back by the parsers
    (["laws", "a\nb"], "unrecognized arguments"),
    (["summary", "fit.nc", "x\ny"], "unrecognized arguments"),
    ([*FIT, "--bogus\nflag"], "unrecognized arguments"),
    ([*FIT, "--method", "a\nb"], "--method"),
    (["frob\nnicate"], "invalid choice"),
    (["predict", "fit.nc", "--at", "N=x\ny"], "not a number"),
    (["fit", "ru\nns.csv", "--method", "map", "-o", "out.nc"], "no such file"),
    ([*FIT, "--query", "N >\n"], "--query"),
    # simulate: grids and ratios whose values are not finite once multiplied out
    (["simulate", "--law", "chinchilla", "--N", "inf"], "--N"),
    (["simulate", "--law", "chinchilla", "--N", "1e300:1e308:3"], "--N"),
    (["simulate", "--law", "chinchilla", "--N", "1e-300:1e-290:3"], "--N"),
    (["simulate", "--law", "chinchilla", "--ratios", "1e308"], "--ratios"),
    (["simulate", "--law", "power", "--x", "D", "--params", "E=1,A=10,alpha=0.1", "--D",
      "inf"], "--D"),
    # a table with 304 columns: messages listing them all
    (["fit", "wide.csv", "--columns", "loss=val", "--method", "map", "-o", "out.nc"],
     "column 'val'"),
    (["fit", "wide.csv", "--by", "nope", "--method", "map", "-o", "fits"], "'nope'"),
    (["fit", "wide.csv", "--law", "power", "--x", "U", "--method", "map", "-o", "out.nc"],
     "--x"),
    (["fit", "wide.csv", "--law", "data_constrained", "--method", "map", "-o", "out.nc"],
     "'U'"),
    # top level
    ([], None),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    (["--version", "extra"], None),
]

#: Files the rows of BAD_OPTIONS read: a points file, damaged copies of public data sets.
WIDE = ("N,D,C,loss," + ",".join(f"extra_{i}" for i in range(300)) + "\n"
        + VALID.split("\n", 1)[1].replace("\n", "," + ",".join("0" * 300) + "\n"))
BAD_POINTS = {"bad.csv": "N,D\n1e9,-1\n", "wide.csv": WIDE,
              "src/isoflops_points.csv": "garbage\n",
              "src/svg_extracted_data.csv": "N,D\n1,2\n",
              "src/gemstones/README": "not the data"}

#: (id, --points file, fragment)
POINTS_FILES = [
    ("empty", b"", "empty"),
    ("binary", bytes(range(256)), "pts.csv"),
    ("missing-D", "N\n1e9\n", "D"),
    ("text", "N,D\nx,1e10\n", ("'N'", "N ")),
    ("inf", "N,D\ninf,1e10\n", ("'N'", "N ")),
    ("zero", "N,D\n0,1e10\n", ("'N'", "N ")),
    ("header-only", "N,D\n", ("no points", "empty", "no rows", "0 points")),
    ("duplicate-header", "N,N,D\n1,1,1\n", "appears 2 times"),
    ("ragged", "N,D\n1e9,1e10,5\n", "line 2 has 3 fields"),
    ("product-overflow", "N,D\n1e300,1e300\n", "floating-point range"),
]


@pytest.mark.parametrize(("contents", "fragment"), [(c, f) for _, c, f in POINTS_FILES],
                         ids=[i for i, _, _ in POINTS_FILES])
def test_hostile_points_files(contents, fragment):
    run_case(["predict", "fit.nc", "--points", "pts.csv"], files={"pts.csv": contents},
             fragment=fragment)


#: (id, --priors file, fragment)
PRIORS_FILES = [
    ("syntax", "E = {", ("not valid TOML", "p.toml")),
    ("binary", bytes(range(256)), ("not valid TOML", "p.toml")),
    ("utf16", "E = 1.5\n".encode("utf-16"), ("not valid TOML", "p.toml")),
    ("string", 'E = "two"', "E"),
    ("list", "E = [1, 2]", "E"),
    ("unknown-dist", 'E = { dist = "Nope", mu = 1, sigma = 1 }', "Nope"),
    ("code-as-dist", 'E = { dist = "__import__(\'os\')" }', ("E", "dist")),
    ("negative-sigma", 'E = { dist = "LogNormal", mu = 0, sigma = -1 }', "sigma"),
    ("zero-sigma", 'alpha = { dist = "LogNormal", mu = 0, sigma = 0 }', "sigma"),
    ("inf-mu", 'E = { dist = "LogNormal", mu = inf, sigma = 1 }', ("mu", "finite", "inf")),
    ("nan-mu", 'E = { dist = "Normal", mu = nan, sigma = 1 }', ("mu", "finite", "nan")),
    ("1e400", 'E = { dist = "Normal", mu = 1e400, sigma = 1 }', ("mu", "finite", "inf")),
    ("fixed-nan", "E = nan", ("E", "finite", "nan")),
    ("fixed-inf", "alpha = inf", ("alpha", "finite", "inf")),
    ("unknown-param", "Q = 1", "Q"),
    ("unknown-kwarg", 'E = { dist = "Normal", mu = 1, sigma = 1, rho = 3 }', "rho"),
    ("missing-kwarg", 'E = { dist = "Normal", mu = 1 }', ("sigma", "E")),
    ("bounds-reversed", 'E = { dist = "TruncatedNormal", mu = 1, sigma = 1, lower = 2, '
     "upper = 1 }", ("lower", "upper", "E")),
    ("nested", "[E]\n[E.x]\n[E.x.y]\nz = 1\n", "E"),
    ("bool", "E = true", "E"),
    ("date", "E = 1979-05-27", "E"),
]


@pytest.mark.parametrize(("contents", "fragment"), [(c, f) for _, c, f in PRIORS_FILES],
                         ids=[i for i, _, _ in PRIORS_FILES])
def test_hostile_priors_files(contents, fragment):
    run_case([*FIT, "--priors", "p.toml"], files={"p.toml": contents}, fragment=fragment)


TOML_VALUES = st.one_of(
    st.sampled_from(["1", "-1", "0", "nan", "inf", "-inf", "1e308", "1e-320", "true", '""',
                     '"LogNormal"', "[]", "[1, 2]", "{}", "1979-05-27", "0x10", "1_000"]),
    st.builds(lambda d, kv: "{ " + ", ".join([f'dist = "{d}"', *kv]) + " }",
              st.sampled_from(["Normal", "LogNormal", "TruncatedNormal", "HalfNormal",
                               "Gamma", "Exponential", "Fixed", "Nope", "", "normal"]),
              st.lists(st.builds("{} = {}".format,
                                 st.sampled_from(["mu", "sigma", "lower", "upper", "alpha",
                                                  "beta", "lam", "value", "nu", "x"]),
                                 st.sampled_from(["0", "-1", "1", "1e308", "nan", "inf",
                                                  "-inf", "1e-320", '"a"', "[]"])),
                       max_size=4, unique_by=lambda kv: kv.split(" = ")[0])),
)


@fuzz(20)
@given(entries=st.lists(st.tuples(
    st.sampled_from(["E", "A", "B", "alpha", "beta", "sigma", "nu", "A_ref", "Q", '"a b"',
                     "priors", "provenance"]), TOML_VALUES), min_size=1, max_size=4,
    unique_by=lambda kv: kv[0]))
def test_fuzzed_priors_files(entries):
    text = "".join(f"{k} = {v}\n" for k, v in entries)
    run_case([*FIT, "--priors", "p.toml"], files={"p.toml": text}, outputs=("out.nc",),
             must_fail=False)


def _id(argv: Sequence[str]) -> str:
    text = " ".join(argv)
    return (text[:70] + f"..#{len(text)}") if len(text) > 70 else text


@pytest.mark.parametrize(("argv", "fragment"), BAD_OPTIONS,
                         ids=[_id(a) for a, _ in BAD_OPTIONS])
def test_hostile_options(argv, fragment):
    if not argv or argv[0].startswith("-"):
        # no command: help (status 1, on stdout) or --version (status 0)
        res = invoke(argv, real=True)
        assert res.code in (0, 1) and "Traceback" not in res.err, res
        return
    run_case(argv, fragment=fragment, files=BAD_POINTS)


#: Inputs that look hostile but are valid: accepted (the work starts, or status 0), nothing
#: written but the declared outputs.
ACCEPTED = [
    ([*FIT, "--draws", "１０"], ()),  # full-width digits: int() reads them
    ([*FIT, "--priors", "Weak"], ()),
    ([*FIT, "--columns", "loss=N,N=loss"], ()),  # a swap is unambiguous
    ([*FIT, "--columns", ",,,"], ()),
    ([*FIT, "--query", ""], ()),
    ([*FIT, "--query", "N > 0 and not (D < 0) or C in [1, 2]"], ()),
    ([*FIT, "--law", "custom", "--expression", "E + A*N**(-alpha) + B*D**(-beta)",
      "--priors", "priors.toml"], ()),
    ([*FIT, "--law", "custom", "--expression", "(E + A*N**(-alpha)\n+ B*D**(-beta))",
      "--priors", "priors.toml"], ()),
    ([*FIT, "--law", "custom", "--expression", "E + minimum(A*N**(-alpha), B*D**(-beta))",
      "--priors", "priors.toml"], ()),
    (["fit", "runs.csv", "--method", "map", "-o", "\udcffé.nc"], ("\udcffé.nc",)),
    (["fit", "studies.csv", "--by", "study", "--method", "map", "-o", "fits"], ("fits",)),
    (["report", "fit.nc", "-o", "r.md"], ("r.md",)),
    (["report", "fit.nc", "-o", "rep", "--force"], ("rep",)),
    ([*BT, "--holdout", "C > 1e20"], ()),
    (["compare", "runs.csv", "--laws", "chinchilla,,kaplan,"], ()),
    (["priors", "learn", "studies.csv", "--by", "study", "--method", "map", "-o", "p.toml"],
     ("p.toml",)),
]


@pytest.mark.parametrize(("argv", "outputs"), ACCEPTED, ids=[_id(a) for a, _ in ACCEPTED])
def test_odd_but_valid_inputs_are_accepted(argv, outputs):
    res = run_case(argv, outputs=outputs, must_fail=False)
    assert res.code in (0, None), res


# -- output paths -------------------------------------------------------------------------------

#: command → (argv with {out}, kind of output) for every flag that writes.
WRITERS = {
    "fit": ([*FIT[:-2], "-o", "{out}"], ".nc"),
    "fit --by": (["fit", "runs.csv", "--by", "N", "--method", "map", "-o", "{out}"], ""),
    "predict": (["predict", "fit.nc", "--at", "N=1e9,D=2e10", "-o", "{out}"], ".csv"),
    "plot": (["plot", "fit.nc", "-o", "{out}"], ".png"),
    "optimal -o": (["optimal", "fit.nc", "--compute", "1e22", "-o", "{out}"], ".csv"),
    "optimal --plot": (["optimal", "fit.nc", "--compute", "1e22", "--plot", "{out}"], ".png"),
    "check": (["check", "fit.nc", "--plot", "{out}"], ".png"),
    "backtest -o": ([*BT, "-o", "{out}"], ".csv"),
    "backtest --plot": ([*BT, "--plot", "{out}"], ".png"),
    "report": (["report", "fit.nc", "-o", "{out}"], ""),
    "report latex": (["report", "fit.nc", "--format", "latex", "-o", "{out}"], ".tex"),
    "simulate": (["simulate", "-o", "{out}"], ".csv"),
    "datasets": (["datasets", "fetch", "epoch_chinchilla", "-o", "{out}"], ".csv"),
    "priors learn": (["priors", "learn", "studies.csv", "--by", "study", "--method", "map",
                      "-o", "{out}"], ".toml"),
}
#: where → fragment; {s} is the command's suffix.
BAD_PLACES = {
    "afile/x{s}": ("not a folder", "is a file"),
    "link-to-afile/x{s}": ("not a folder", "is a file"),
    "/proc/x{s}": ("not writable", "cannot write"),
    "no/such/x{s}": "does not exist",
    "dir{s}": ("is a directory", "already exists", "must be a folder"),
}


@pytest.mark.parametrize("where", sorted(BAD_PLACES))
@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_hostile_output_paths(writer, where):
    argv, suffix = WRITERS[writer]
    if where == "dir{s}" and suffix in ("", ".toml", ".tex"):
        where = "afile"  # a file where a folder goes; no dir.toml in the template
        fragment = ("is a file", "name it with", "cannot write", "must be a folder")
        if suffix == "":
            fragment = "is a file"
    else:
        fragment = BAD_PLACES[where]
    out = where.format(s=suffix)
    run_case([a.format(out=out) for a in argv], fragment=fragment)


EXISTING = {
    "fit": [*FIT[:-2], "-o", "taken.nc"],
    "predict": ["predict", "fit.nc", "--at", "N=1e9,D=2e10", "-o", "taken.csv"],
    "plot": ["plot", "fit.nc", "-o", "taken.png"],
    "optimal": ["optimal", "fit.nc", "--compute", "1e22", "--plot", "taken.png"],
    "check": ["check", "fit.nc", "--plot", "taken.png"],
    "backtest": [*BT, "-o", "taken.csv"],
    "symlink": ["simulate", "-o", "dangling.csv"],
}


@pytest.mark.parametrize("writer", sorted(EXISTING))
def test_existing_outputs_need_force(writer):
    run_case(EXISTING[writer], fragment=("already exists; use --force", "dangling.csv"))


# -- tampered fit files -------------------------------------------------------------------------

FIT_READERS = {
    "summary": ["summary", "{f}"],
    "predict": ["predict", "{f}", "--at", "N=1e9,D=2e10"],
    "plot": ["plot", "{f}", "-o", "p.png"],
    "optimal": ["optimal", "{f}", "--compute", "1e22"],
    "check": ["check", "{f}"],
    "report": ["report", "{f}", "-o", "r"],
    "report latex": ["report", "{f}", "--format", "latex"],
}
FIT_OUTPUTS = {"plot": ["p.png"], "report": ["r"]}


def _fit_bytes() -> bytes:
    return (template() / "fit.nc").read_bytes()


#: (id, how to make the file from the good one's bytes or None for a folder, fragment)
TAMPERED = [
    ("empty", lambda b: b"", "x.nc"),
    ("random", lambda b: bytes(np.random.default_rng(0).integers(0, 256, 4096,
                                                                  dtype=np.uint8)), "x.nc"),
    ("csv-renamed", lambda b: VALID.encode(), "x.nc"),
    ("truncated-half", lambda b: b[: len(b) // 2], "x.nc"),
    ("truncated-header", lambda b: b[:100], "x.nc"),
    ("hdf5-magic-only", lambda b: b"\x89HDF\r\n\x1a\n", "x.nc"),
    ("classic-netcdf-magic", lambda b: b"CDF\x01" + b"\x00" * 28, "x.nc"),
    ("zeroed-middle", lambda b: b[:2048] + b"\x00" * 4096 + b[6144:], "x.nc"),
    ("directory", None, ("directory", "x.nc")),
    ("missing", "missing", ("no such file", "x.nc")),
]


@pytest.mark.parametrize("reader", sorted(FIT_READERS))
@pytest.mark.parametrize(("make", "fragment"), [(m, f) for _, m, f in TAMPERED],
                         ids=[i for i, _, _ in TAMPERED])
def test_tampered_fit_files(reader, make, fragment):
    files = {}
    if make is None:
        files = {"x.nc/inner": b""}
    elif make != "missing":
        files = {"x.nc": make(_fit_bytes())}
    argv = [a.format(f="x.nc") for a in FIT_READERS[reader]]
    run_case(argv, files=files, fragment=fragment)


@st.composite
def damaged_fits(draw) -> bytes:
    """The good fit file with bytes flipped, cut, or spliced with garbage."""
    data = bytearray(_fit_bytes())
    kind = draw(st.sampled_from(["flip", "flip", "cut", "splice"]))
    if kind == "cut":
        return bytes(data[: draw(st.integers(0, len(data) - 1))])
    if kind == "splice":
        at = draw(st.integers(0, len(data)))
        return bytes(data[:at]) + draw(st.binary(min_size=1, max_size=64)) + bytes(data[at:])
    for _ in range(draw(st.integers(1, 16))):
        i = draw(st.integers(0, len(data) - 1))
        data[i] = draw(st.integers(0, 255))
    return bytes(data)


@pytest.mark.parametrize("reader", sorted(FIT_READERS))
@fuzz(10)
@given(contents=damaged_fits())
def test_fuzzed_fit_files(reader, contents):
    argv = [a.format(f="x.nc") for a in FIT_READERS[reader]]
    run_case(argv, files={"x.nc": contents}, outputs=FIT_OUTPUTS.get(reader, ()),
             must_fail=False)


def _json_paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _json_paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _json_paths(v, (*path, i))


_FIT_META: list = []


def _fit_meta() -> tuple[dict, list]:
    if not _FIT_META:
        import json

        import netCDF4

        with netCDF4.Dataset(template() / "fit.nc") as ds:
            meta = json.loads(ds.getncattr("bayescale"))
            arrays = [(g.name, v) for g in ds.groups.values() for v in g.variables]
        _FIT_META.extend([meta, sorted(_json_paths(meta))[1:], arrays])
    return _FIT_META[0], _FIT_META[1], _FIT_META[2]


HOSTILE_JSON = st.sampled_from([
    None, True, -1, 0, 1e308, -1e308, 2**70, "", "nope", "x" * 5000, [], {}, [1, 2],
    {"dist": "Nope", "kwargs": {}}, {"a": {"b": {"c": {}}}}, "\x1b[2J", "line\nbreak",
    float("nan"), float("inf"), "chinchilla", "custom", "learning_curve", "laplace",
    "prior", 10**6, 2**63, -(2**63), "\ud800", "E\udcff"])
HOSTILE_ARRAY = st.sampled_from([float("nan"), float("inf"), -float("inf"), -1.0, 0.0, 1e308,
                                 1e-320, 2.0**62])


@st.composite
def restructured_fits(draw) -> bytes:
    """The good fit file, readable as NetCDF, with its JSON attribute or its arrays changed."""
    import copy
    import json

    import netCDF4

    meta, paths, arrays = _fit_meta()
    meta = copy.deepcopy(meta)
    changes_ = []
    for _ in range(draw(st.integers(1, 3))):
        what = draw(st.sampled_from(["json", "json", "drop", "array"]))
        if what == "array":
            group, var = draw(st.sampled_from(arrays))
            changes_.append((group, var, draw(HOSTILE_ARRAY), draw(st.integers(0, 40))))
            continue
        path = draw(st.sampled_from(paths))
        node = meta
        try:
            for key in path[:-1]:
                node = node[key]
            if what == "drop" and isinstance(node, dict):
                node.pop(path[-1], None)
            else:
                node[path[-1]] = draw(HOSTILE_JSON)
        except (KeyError, IndexError, TypeError):
            continue
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "x.nc"
        shutil.copyfile(template() / "fit.nc", target)
        with netCDF4.Dataset(target, "a") as ds:
            ds.setncattr("bayescale", json.dumps(meta))
            for group, var, value, index in changes_:
                v = ds.groups[group].variables[var]
                flat = np.asarray(v[:]).reshape(-1)
                if flat.size == 0:
                    continue
                if v.dtype.kind in "iu" and not (np.isfinite(value) and
                                                 np.iinfo(v.dtype).min <= value
                                                 <= np.iinfo(v.dtype).max):
                    continue
                cast = np.asarray(value).astype(v.dtype)
                with np.errstate(invalid="ignore", over="ignore"):
                    flat = flat.copy()
                    flat[index % flat.size] = cast
                    v[:] = flat.reshape(v.shape)
        return target.read_bytes()


@pytest.mark.parametrize("reader", sorted(FIT_READERS))
@fuzz(6)
@given(contents=restructured_fits())
def test_restructured_fit_files(reader, contents):
    argv = [a.format(f="x.nc") for a in FIT_READERS[reader]]
    run_case(argv, files={"x.nc": contents}, outputs=FIT_OUTPUTS.get(reader, ()),
             must_fail=False)


# -- hypothesis: option values ------------------------------------------------------------------

NUMBERISH = st.one_of(
    st.sampled_from(["0", "-0", "-1", "nan", "inf", "-inf", "1e400", "1e-400", "1e308", "",
                     " ", "1,", ",1", "1,,2", "0x10", "1_0", "１", "٣", "1e", "e1", ".", "-",
                     "+", "1/2", "2**3", "None", "true", "9" * 400, "1e22 1e23", "\t1"]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
)
FREE_TEXT = st.text(alphabet=st.characters(blacklist_characters="\x00",
                                           blacklist_categories=["Cs"]), max_size=40)
SURROGATE = st.sampled_from(["\udcff", "\udc80abc", "N=\udce9"])
POINT_TEXT = st.one_of(
    st.lists(st.tuples(st.sampled_from(["N", "D", "C", "U", "n", "Q", "", " N", "N "]),
                       st.sampled_from(["=", "==", ":", ""]), NUMBERISH)
             .map(lambda t: "".join(t)), max_size=4).map(",".join),
    FREE_TEXT, SURROGATE,
)


def _not_valid(valid: set[str]):
    return lambda s: s.strip() not in valid


#: flag → (argv before the value, strategy, outputs, words one of which the message names).
OPTION_FUZZ = {
    "predict --at": (["predict", "fit.nc"], "--at", POINT_TEXT, (), ("--at", "point")),
    "plot --to": (["plot", "fit.nc", "-o", "p.png"], "--to", POINT_TEXT, ("p.png",),
                  ("--to", "point")),
    "report --at": (["report", "fit.nc", "-o", "r"], "--at", POINT_TEXT, ("r",),
                    ("--at", "point")),
    "compare --at": (CMP, "--at", POINT_TEXT, (), ("--at", "point")),
    "optimal --compute": (["optimal", "fit.nc"], "--compute", NUMBERISH, (), ("--compute",)),
    "optimal --target-loss": (["optimal", "fit.nc"], "--target-loss", NUMBERISH, (),
                              ("--target-loss",)),
    "optimal --plan": (["optimal", "fit.nc", "--target-loss", "2"], "--plan", POINT_TEXT, (),
                       ("--plan", "point")),
    "fit --seed": (FIT, "--seed", NUMBERISH, (), ("--seed",)),
    "fit --draws": (FIT, "--draws", NUMBERISH, (), ("--draws",)),
    "fit --chains": (FIT, "--chains", NUMBERISH, (), ("--chains",)),
    "fit --tune": (FIT, "--tune", NUMBERISH, (), ("--tune",)),
    "fit --chance": ([*FIT, "--law", "sigmoid", "--x", "N"], "--chance", NUMBERISH, (),
                     ("--chance", "chance", "accuracy")),
    "fit --query": (FIT, "--query", st.one_of(FREE_TEXT, st.lists(
        st.sampled_from(["N", "D", "C", "loss", ">", "<", "==", "and", "or", "not", "in",
                         "(", ")", "[", "]", "1e9", "'x'", "__class__", ".", "+", "**",
                         "lambda", ":", ",", "@", "9**9**9", "nan"]),
        max_size=8).map(" ".join)), (), ("--query",)),
    "fit --columns": (FIT, "--columns", st.one_of(FREE_TEXT, st.lists(
        st.tuples(st.sampled_from(["N", "D", "C", "loss", "U", "run_id", "", "X"]),
                  st.sampled_from(["=", ""]),
                  st.sampled_from(["N", "D", "C", "loss", "params", "", "=", " "])),
        max_size=4).map(lambda ts: ",".join("".join(t) for t in ts))), (),
        ("--columns", "columns", "column")),
    "fit --priors": (FIT, "--priors", FREE_TEXT.filter(_not_valid({"weak", "field"})), (),
                     ("--priors", "prior")),
    "fit --discrepancy": (FIT, "--discrepancy", st.one_of(NUMBERISH, FREE_TEXT), (),
                          ("--discrepancy",)),
    "fit --law": (FIT, "--law", FREE_TEXT, (), ("law",)),
    "fit --expression": ([*FIT, "--law", "custom", "--priors", "priors.toml"], "--expression",
                         st.one_of(FREE_TEXT, st.lists(st.sampled_from(
                             ["E", "A", "B", "N", "D", "alpha", "beta", "+", "-", "*", "/",
                              "**", "(", ")", "exp", "log", "__import__", "os", ".", "lambda",
                              ":", "1e400", "9**9**9", "0", "[", "]", "'s'", "x", ",", "if",
                              "else", ":=", "minimum", "abs"]), max_size=12).map(" ".join)),
                         (), ("custom law", "--expression", "prior")),
    "backtest --holdout": (BT, "--holdout", st.one_of(
        NUMBERISH.map(lambda s: "largest:" + s), FREE_TEXT,
        st.lists(st.sampled_from(["C", "N", ">", "<", "1e21", "1e30", "and", "largest",
                                  ":", "3", "=="]), max_size=5).map("".join)),
        (), ("--holdout",)),
    "simulate --params": (["simulate", "--law", "chinchilla"], "--params", st.one_of(
        FREE_TEXT, st.lists(st.tuples(
            st.sampled_from(["E", "A", "B", "alpha", "beta", "Q", "", "sigma"]),
            st.sampled_from(["=", ""]), NUMBERISH).map("".join), max_size=6).map(",".join)),
        (), ("--params", "parameter")),
    "simulate --N": (["simulate", "--law", "chinchilla"], "--N", st.one_of(
        st.tuples(NUMBERISH, NUMBERISH, st.one_of(
            NUMBERISH, st.integers(10**6, 10**12).map(str))).map(":".join),
        FREE_TEXT), (), ("--N",)),
    "simulate --D": (["simulate", "--law", "power", "--x", "D", "--params", "E=1,A=10,alpha=0.1"],
                     "--D", st.one_of(
        st.tuples(NUMBERISH, NUMBERISH, st.one_of(
            NUMBERISH, st.integers(10**6, 10**12).map(str))).map(":".join),
        FREE_TEXT), (), ("--D",)),
    "simulate --law": (["simulate"], "--law", FREE_TEXT, (), ("law",)),
    "summary --format": (["summary", "fit.nc"], "--format",
                         FREE_TEXT.filter(_not_valid({"text", "csv", "json"})), (),
                         ("--format",)),
    "summary --prob": (["summary", "fit.nc"], "--prob", NUMBERISH, (), ("--prob",)),
    "compare --laws": (["compare", "runs.csv"], "--laws", st.one_of(FREE_TEXT, st.lists(
        st.sampled_from(["chinchilla", "kaplan", "power", "nope", "", " ", "custom",
                         "loglinear", "sigmoid", "learning_curve"]), max_size=4)
        .map(",".join)), (), ("--laws", "law")),
}


@pytest.mark.parametrize("option", sorted(OPTION_FUZZ))
@fuzz(8)
@given(data=st.data())
def test_fuzzed_option_values(option, data):
    head, flag, strategy, outputs, names = OPTION_FUZZ[option]
    value = data.draw(strategy, label=flag)
    if flag in ("--N", "--D"):  # keep valid grids small (a valid 1e6-row grid is slow to print)
        parts = value.split(":")
        if len(parts) == 3 and parts[2].strip().isdigit() and 200 < int(parts[2]) <= 10**6:
            value = f"{parts[0]}:{parts[1]}:{int(parts[2]) % 200}"
    res = run_case([*head, f"{flag}={value}"], outputs=outputs, must_fail=False)
    if res.code == 1:
        # the message names the option or what it gives
        assert any(n in res.err for n in names) or repr(value)[1:9] in res.err, res.err


@fuzz(20)
@given(name=st.one_of(FREE_TEXT, SURROGATE, st.sampled_from(
    ["epoch_chinchilla ", "EPOCH_CHINCHILLA", "../epoch_chinchilla", "epoch_chinchilla/..",
     "gemstones\n", "*", "."])))
def test_fuzzed_dataset_names(name):
    from bayescale.data.datasets import names

    if name in names():
        name += "?"
    res = run_case(["datasets", "fetch", "--", name],
                   fragment=("unknown dataset", "fetch needs a dataset name"))
    assert res.code == 1


@fuzz(10)
@given(extra=st.lists(FREE_TEXT.filter(lambda s: s not in ("--json", "-h", "--help")),
                      min_size=1, max_size=3))
def test_fuzzed_laws_arguments(extra):
    run_case(["laws", "--", *extra], fragment="unrecognized arguments")


@fuzz(10)
@given(action=FREE_TEXT.filter(lambda s: s not in ("show", "learn")))
def test_fuzzed_priors_actions(action):
    run_case(["priors", "--", action], fragment="invalid choice")


@fuzz(15)
@given(format_=FREE_TEXT.filter(lambda s: s not in ("html", "latex")))
def test_fuzzed_report_formats(format_):
    run_case(["report", "fit.nc", "-o", "r", f"--format={format_}"], fragment="--format")


# -- valid-but-edgy inputs that run for real (cheap commands) -----------------------------------

REAL = [
    (["summary", "fit.nc", "--format", "csv"], ()),
    (["summary", "fit.nc", "--prob", "1e-300"], ()),
    (["summary", "fit.nc", "--prob", "0.9999999999"], ()),
    (["predict", "fit.nc", "--at", "N=1e-300,D=1e-300"], ()),
    (["predict", "fit.nc", "--at", "N=1e300,D=1e300"], ()),
    (["predict", "fit.nc", "--at", "N=1e9,D=1e10", "--at", "N=2e9,D=2e10", "--format",
      "json"], ()),
    (["predict", "fit.nc", "--points", "points.csv", "-o", "\udcffp.csv"], ("\udcffp.csv",)),
    (["predict", "fit.nc", "--at", "N=1e9,D=1e10", "-o", "ünï çødé.csv"], ("ünï çødé.csv",)),
    (["optimal", "fit.nc", "--compute", "1e-300"], ()),
    (["optimal", "fit.nc", "--compute", "1e300"], ()),
    (["optimal", "fit.nc", "--compute", "1e280", "--plot", "f.png"], ("f.png",)),
    (["optimal", "fit.nc", "--compute", "1e-300,1e300", "--plot", "f.png"], ("f.png",)),
    (["optimal", "fit.nc", "--target-loss", "1e-300"], ()),
    (["optimal", "fit.nc", "--target-loss", "1e300", "--format", "json"], ()),
    (["optimal", "fit.nc", "--stop", "1e300"], ()),
    (["optimal", "fit.nc", "--target-loss", "2", "--plan", "N=1e9,D=1e10"], ()),
    (["optimal", "fit.nc", "--target-loss", "2", "--plan", "N=\udcff"], ()),
    (["report", "fit.nc", "--format", "latex", "--prob", "0.5"], ()),
    (["simulate", "--law", "chinchilla", "--params", "E=1e300"], ()),
    (["simulate", "--law", "chinchilla", "--N", "1e-300:1e300:5"], ()),
    (["simulate", "--params", "E=0,A=0,alpha=0"], ()),
    (["simulate", "--sigma", "1e300", "--json"], ()),
    (["laws", "--json"], ()),
    (["priors", "show", "--json"], ()),
    (["datasets", "list", "--format", "csv"], ()),
]


#: Hostile inputs that only fail once the work runs (a MAP fit, about a second): run for real.
REAL_BAD = [
    ([*BT, "--law", "chinchilla", "--compare", "point", "--no-discrepancy", "--replicates",
      str(10**12)], "--replicates"),
]


@pytest.mark.parametrize(("argv", "fragment"), REAL_BAD, ids=[_id(a) for a, _ in REAL_BAD])
def test_hostile_inputs_run_for_real(argv, fragment):
    run_case(argv, fragment=fragment, real=True)


@pytest.mark.parametrize(("argv", "outputs"), REAL, ids=[_id(a) for a, _ in REAL])
def test_edgy_inputs_run_for_real(argv, outputs):
    run_case(argv, outputs=outputs, must_fail=False, real=True)
