"""Every command checks all its options and output paths before any work (fit, sampling,
download, figure): one line on stderr, exit status 1, nothing written."""

import subprocess
import sys
import time
from pathlib import Path

import pytest

from bayescale.cli import main

ROOT = Path(__file__).resolve().parents[2]

#: What counts as work: each is replaced by a function that fails the test if called.
WORK = ["bayescale.inference.run.sample_fit", "bayescale.workflow.sample_fit",
        "bayescale.workflow.fit", "bayescale.workflow.fit_many",
        "bayescale.evaluation.backtest.backtest", "bayescale.evaluation.compare.compare",
        "bayescale.evaluation.compare.lfo", "bayescale.data.datasets.load",
        "bayescale.data.simulate.simulate_runs", "bayescale.report.build"]


def run(capsys, *argv):
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:  # argparse usage errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def no_work(monkeypatch):
    import importlib

    def forbid(name):
        def called(*args, **kwargs):
            raise AssertionError(f"work started before the options were checked: {name}")
        return called

    for target in WORK:
        module, attr = target.rsplit(".", 1)
        monkeypatch.setattr(importlib.import_module(module), attr, forbid(target))


def _files(folder):
    return sorted(p.name for p in folder.iterdir())


BAD_OUTPUTS = {
    "fit": ["fit", "runs.csv", "--method", "map", "-o", "{out}.nc"],
    "fit --by": ["fit", "runs.csv", "--by", "N", "--method", "map", "-o", "{out}"],
    "predict": ["predict", "fit.nc", "--at", "N=1e9,D=2e10", "-o", "{out}.csv"],
    "plot": ["plot", "fit.nc", "-o", "{out}.png"],
    "optimal -o": ["optimal", "fit.nc", "--compute", "1e22", "-o", "{out}.csv"],
    "optimal --plot": ["optimal", "fit.nc", "--compute", "1e22", "--plot", "{out}.png"],
    "check": ["check", "fit.nc", "--plot", "{out}.png"],
    "backtest -o": ["backtest", "runs.csv", "--method", "map", "-o", "{out}.csv"],
    "backtest --plot": ["backtest", "runs.csv", "--method", "map", "--plot", "{out}.png"],
    "report": ["report", "fit.nc", "-o", "{out}"],
    "report latex": ["report", "fit.nc", "--format", "latex", "-o", "{out}.tex"],
    "simulate": ["simulate", "-o", "{out}.csv"],
    "datasets": ["datasets", "fetch", "epoch_chinchilla", "-o", "{out}.csv"],
}


@pytest.mark.parametrize("where", ["afile/x", "/proc/x", "no/such/folder/x"])
@pytest.mark.parametrize("case", sorted(BAD_OUTPUTS))
def test_bad_output_paths_fail_before_any_work(capsys, place, no_work, monkeypatch, case,
                                               where):
    import bayescale.results.fit

    monkeypatch.setattr(bayescale.results.fit, "load", lambda *a, **k: pytest.fail("loaded"))
    before = _files(place)
    argv = [a.format(out=where) for a in BAD_OUTPUTS[case]]
    code, out, err = run(capsys, *argv)
    assert code == 1, err
    assert err.count("\n") == 1 and err.startswith(f"bayescale {argv[0]}: error: "), err
    assert "cannot write" in err or "not a folder" in err or "is a file" in err, err
    assert out == "" and _files(place) == before


@pytest.mark.parametrize(("argv", "message"), [
    (["predict", "fit.nc", "--at", "N=1e9,D=2e10", "-o", "taken.csv"], "--force"),
    (["simulate", "-o", "taken.csv"], "--force"),
    (["predict", "fit.nc", "--at", "N=1e9,D=2e10", "-o", "p.txt"], "name it with .csv"),
    (["fit", "runs.csv", "-o", "fit.csv"], "name it with .nc"),
    (["fit", "runs.csv", "-o", "fit.nc"], "'fit.nc' already exists; use --force"),
    (["plot", "fit.nc", "-o", "p.gif"], "cannot write a 'gif' image"),
    (["check", "fit.nc", "--plot", "p"], "cannot write a '' image"),
    (["optimal", "fit.nc", "--compute", "1e22", "--plot", "p.csv"], "cannot write a 'csv'"),
    (["report", "fit.nc", "--format", "latex", "-o", "t.txt"], "name it with .tex"),
    (["report", "fit.nc", "-o", "afile"], "must be a folder"),
    (["fit", "runs.csv", "--by", "N", "-o", "fits.nc"], "must be a folder"),
])
def test_existing_outputs_and_wrong_suffixes(capsys, place, no_work, argv, message):
    before = _files(place)
    code, _, err = run(capsys, *argv)
    assert code == 1 and message in err and err.count("\n") == 1, err
    assert _files(place) == before and Path("taken.csv").read_text() == "mine"


@pytest.mark.parametrize(("argv", "message"), [
    (["fit", "runs.csv", "--discrepancy", "autp", "-o", "x.nc"],
     "--discrepancy autp: use 'none', 'auto'"),
    (["fit", "runs.csv", "--query", "N >", "-o", "x.nc"], "--query 'N >' failed"),
    (["fit", "runs.csv", "--query", "N > 1e30", "-o", "x.nc"], "--query 'N > 1e30'"),
    (["fit", "runs.csv", "--law", "nope", "-o", "x.nc"], "unknown law 'nope'"),
    (["fit", "runs.csv", "--priors", "none.toml", "-o", "x.nc"], "none.toml"),
    (["fit", "runs.csv", "--workers", "2", "-o", "x.nc"], "--workers applies to --by only"),
    (["fit", "runs.csv", "--by", "nope", "-o", "fits"], "--by 'nope': no such column"),
    (["fit", "runs.csv", "--by", "N", "--discrepancy", "x", "-o", "fits"],
     "--discrepancy x: use"),
    (["fit", "runs.csv", "--columns", "loss=val", "-o", "x.nc"], "column 'val'"),
    (["backtest", "runs.csv", "--holdout", "largest:x"], "largest:K"),
    (["backtest", "runs.csv", "--holdout", "largest:99"], "largest:99"),
    (["backtest", "runs.csv", "--holdout", "C>>1"], "--holdout 'C>>1'"),
    (["backtest", "runs.csv", "--holdout", "C>1e30"], "selects no runs"),
    (["backtest", "runs.csv", "--law", "kaplan", "--compare", "point"],
     "--compare point is the Chinchilla Huber fit"),
    (["compare", "runs.csv", "--laws", "chinchilla,kaplan", "--holdout", "largest:x"],
     "largest:K"),
    (["compare", "runs.csv", "--laws", "chinchilla,kaplan", "--holdout", "largest:40"],
     "largest:40"),
    (["compare", "runs.csv", "--laws", "chinchilla"], "at least two laws"),
    (["compare", "runs.csv", "--laws", "chinchilla,kaplan", "--method", "map"], "MCMC"),
    (["compare", "runs.csv", "--laws", "chinchilla,loglinear"], "loglinear"),
    (["compare", "runs.csv", "--laws", "chinchilla,kaplan", "--at", "N=oops"], "not a number"),
    (["compare", "runs.csv", "--laws", "chinchilla,kaplan", "--at", "N=1e9"], "needs N and D"),
    (["optimal", "fit.nc", "--compute", "1e22", "--plan", "Q=1"], "unknown input 'Q'"),
    (["optimal", "fit.nc", "--run", "r1"], "--run needs --final-tokens"),
    (["simulate", "--law", "sigmoid"], "needs --params for"),
    (["simulate", "--N", "1e9:1e6"], "LO:HI:K"),
    (["simulate", "--sigma", "-1"], "--sigma"),
    (["report", "fit.nc"], "give -o FOLDER"),
    (["datasets", "fetch"], "fetch needs a dataset name"),
])
def test_bad_options_fail_before_any_work(capsys, place, no_work, argv, message):
    before = _files(place)
    code, out, err = run(capsys, *argv)
    assert out == ""
    assert code == 1, err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err, err
    assert _files(place) == before


def test_a_bad_discrepancy_fails_fast_in_a_fresh_process(tmp_path):
    """The acceptance check: a typo in --discrepancy costs no fit (one line, status 1, no file,
    well under 3 s including Python's start)."""
    out = tmp_path / "x.nc"
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "bayescale", "fit",
                           str(ROOT / "data" / "chinchilla_runs.csv"), "--discrepancy", "autp",
                           "-o", str(out)], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.startswith("bayescale fit: error: ") and "--discrepancy autp" in proc.stderr
    assert proc.stderr.count("\n") == 1
    assert not out.exists() and seconds < 3, seconds
