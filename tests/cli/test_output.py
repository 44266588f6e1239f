"""cli/output.py: the one translator of library messages into flags, the table renderer, the
warning collector and the check of output paths."""

import io
import re
import warnings
from contextlib import redirect_stdout

import pandas as pd
import pytest

from bayescale.cli import output
from bayescale.errors import BayescaleError, BayescaleWarning, InferenceWarning

#: (library message, what the CLI prints)
TRANSLATIONS = [
    ("refit with a higher target_accept (target_accept=0.95 or 0.99)",
     "refit with a higher target_accept (--target-accept 0.95 or 0.99)"),
    ("query='N > 1' failed: invalid syntax", "--query 'N > 1' failed: invalid syntax"),
    ("query='N > 1e30' keeps no rows", "--query 'N > 1e30' keeps no rows"),
    ("by='task': no such column; columns present: N, D, C, loss",
     "--by 'task': no such column; columns present: N, D, C, loss"),
    ("column 'loss' not found; map yours with columns='loss=<name>'",
     "column 'loss' not found; map yours with --columns loss=<name>"),
    ("columns='N:params': expected FIELD=COLUMN, got 'N:params'",
     "--columns N:params: expected FIELD=COLUMN, got 'N:params'"),
    ("the interval ends are noisy; increase draws= (or chains=)",
     "the interval ends are noisy; increase --draws (or --chains)"),
    ("the chains disagree; run longer (tune=, draws=) and look for several modes",
     "the chains disagree; run longer (--tune, --draws) and look for several modes"),
    ("R-hat needs at least 2 chains; fit with chains=4", "R-hat needs at least 2 chains; "
                                                         "fit with --chains 4"),
    ("'fit.nc' already exists; use overwrite=True to replace it",
     "'fit.nc' already exists; use --force to replace it"),
    ("set BAYESCALE_DATA_DIR to a folder holding a copy (or pass source=DIR)",
     "set BAYESCALE_DATA_DIR to a folder holding a copy (or pass --from DIR)"),
    ("gemstones: source='/x' is not a folder", "gemstones: --from '/x' is not a folder"),
    ("(a fit with discrepancy='auto' widens them)", "(a fit with --discrepancy auto widens "
                                                    "them)"),
    ("holdout='C>>1': use largest:K or a condition such as C>1e21",
     "--holdout 'C>>1': use largest:K or a condition such as C>1e21"),
    ("the point baseline (compare_point=True) is the Chinchilla Huber fit",
     "the point baseline (--compare point) is the Chinchilla Huber fit"),
    ("law 'power' uses one input: choose N, D or C with x=; the data has N, D",
     "law 'power' uses one input: choose N, D or C with --x; the data has N, D"),
    ("no prior for alpha; give one for each with priors=",
     "no prior for alpha; give one for each with --priors"),
    ("law 'data_constrained' needs the unique tokens available: unique=(the most there are)",
     "law 'data_constrained' needs the unique tokens available: --unique (the most there "
     "are)"),
    ("seeded with random_seed=3", "seeded with --seed 3"),
    ("drop the break (breaks=1) or add runs", "drop the break (--breaks 1) or add runs"),
    ("run='r9': no such run in the fit", "--run 'r9': no such run in the fit"),
    ("law 'sigmoid' needs params= for ceiling", "law 'sigmoid' needs --params for ceiling"),
    # left alone: Python calls, names that are not options, unknown options, flags
    ("use bayescale.fit(..., discrepancy='auto') or learn_discrepancy(fit)",
     "use bayescale.fit(..., discrepancy='auto') or learn_discrepancy(fit)"),
    ("prior needs lower < upper, got lower=3, upper=1", "prior needs lower < upper, got "
                                                       "lower=3, upper=1"),
    ("point 'N=abc': not a number", "point 'N=abc': not a number"),
    ("fit.draws=3 and n_draws=4", "fit.draws=3 and n_draws=4"),
    ("already a flag: --draws 10", "already a flag: --draws 10"),
]


@pytest.mark.parametrize(("message", "expected"), TRANSLATIONS)
def test_library_messages_become_flags(message, expected):
    assert output.cli_text(message) == expected


def test_every_flag_the_translator_names_exists():
    from bayescale.cli import COMMANDS, main

    flags = set()
    for name in COMMANDS:
        buffer = io.StringIO()
        with redirect_stdout(buffer), pytest.raises(SystemExit):
            main([name, "--help"])
        flags |= set(re.findall(r"--[a-z][a-z-]*", buffer.getvalue()))
    named = {f.split()[0] for f in [*output.FLAGS.values(), *output.SPECIAL.values()]}
    assert named <= flags, named - flags


def test_table_renderer():
    text = output.render(["name", "a", "bb"], [["x", 1.23456, float("nan")],
                                               ["longer", float("inf"), "7"]])
    assert text.splitlines() == ["name        a  bb",
                                 "x       1.235   -",
                                 "longer  never   7"]
    indented = output.render(["", "median"], [["N*", 1e10]], indent="  ", widths=(4, 8))
    assert indented.splitlines() == ["          median", "  N*       1e+10"]
    frame = pd.DataFrame({"median": [1.0, 2.5]}, index=pd.Index(["E", "alpha"]))
    assert output.frame(frame, index="parameter").splitlines() == [
        "parameter  median", "E               1", "alpha         2.5"]


def test_warning_collector_prints_each_bayescale_warning_once_translated(capsys):
    with output.collect_warnings():
        warnings.warn("increase draws=", InferenceWarning, stacklevel=1)
        warnings.warn("increase draws=", InferenceWarning, stacklevel=1)
        warnings.warn("numpy noise", RuntimeWarning, stacklevel=1)
        output.warn("stored on the fit")
    err = capsys.readouterr().err
    assert err == "warning: increase --draws\nwarning: stored on the fit\n"


def test_warning_collector_is_silent_when_the_command_fails(capsys):
    with pytest.raises(BayescaleError), output.collect_warnings():
        warnings.warn("something", BayescaleWarning, stacklevel=1)
        raise BayescaleError("the one line")
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(("name", "kind", "message"), [
    ("afile/p.csv", "csv", "'{tmp}/afile' is not a folder"),
    ("missing/p.csv", "csv", "folder '{tmp}/missing' does not exist"),
    ("/proc/x.csv", "csv", "is not writable"),
    ("p.txt", "csv", "the output is CSV; name it with .csv or .csv.gz"),
    ("p.csv", "netcdf", "the output is NetCDF; name it with .nc or .nc4 or .netcdf"),
    ("p.xyz", "image", "cannot write a 'xyz' image; use .png, .pdf, .svg"),
    ("p", "image", "cannot write a '' image"),
    ("p.tex.bak", "tex", "name it with .tex"),
    ("exists.csv", "csv", "'{tmp}/exists.csv' already exists; use --force to replace it"),
    ("adir", "csv", "is a directory; give a file name"),
    ("afile", "folder", "is a file; it must be a folder"),
    ("fits.nc", "folder", "must be a folder, not a file name"),
])
def test_output_paths_are_checked(tmp_path, name, kind, message):
    (tmp_path / "afile").write_text("x")
    (tmp_path / "exists.csv").write_text("x")
    (tmp_path / "adir").mkdir()
    path = name if name.startswith("/") else tmp_path / name
    with pytest.raises(BayescaleError) as info:
        output.check_output(path, kind, force=False)
    assert message.format(tmp=tmp_path) in str(info.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adir", "afile", "exists.csv"]


def test_output_paths_that_pass(tmp_path):
    (tmp_path / "exists.csv").write_text("x")
    assert output.check_output(tmp_path / "exists.csv", "csv", force=True).name == "exists.csv"
    assert output.check_output(tmp_path / "new.nc", "netcdf", force=False).name == "new.nc"
    assert output.check_output(tmp_path / "f.PDF", "image", force=False).suffix == ".PDF"
    folder = tmp_path / "report"
    assert output.check_output(folder, "folder", force=False, files=("report.html",)) == folder
    folder.mkdir()
    (folder / "report.html").write_text("x")
    with pytest.raises(BayescaleError, match=r"report\.html' already exists; use --force"):
        output.check_output(folder, "folder", force=False, files=("report.html",))
    assert output.check_output(folder, "folder", force=True, files=("report.html",)) == folder
    assert not [p for p in tmp_path.rglob("*.probe")]  # the writability probe leaves nothing
