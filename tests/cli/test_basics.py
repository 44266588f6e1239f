import json
import subprocess
import sys

import pandas as pd
import pytest

from bayescale.cli import main
from bayescale.data.simulate import EPOCH_CHINCHILLA, chinchilla_design, simulate_runs


@pytest.fixture
def fit_file(saved_fit):
    return saved_fit("chinchilla", name="fit.nc")


@pytest.fixture
def runs_csv(tmp_path):
    path = tmp_path / "runs.csv"
    simulate_runs("chinchilla", EPOCH_CHINCHILLA, chinchilla_design()).to_csv(path, index=False)
    return path


def run(capsys, *argv):
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:  # argparse usage errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def test_help_and_laws_do_not_import_pymc():
    code = ("import sys\nfrom bayescale.cli import main\n"
            "for argv in (['--help'], ['laws'], ['fit', '--help']):\n"
            "    try:\n        main(argv)\n    except SystemExit:\n        pass\n"
            "heavy = [m for m in ('pymc', 'pytensor', 'nutpie', 'arviz', 'arviz_stats', "
            "'matplotlib') if m in sys.modules]\n"
            "assert not heavy, heavy\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "bayescale fit data/chinchilla_runs.csv" in proc.stdout
    assert "chinchilla  (joint law in parameters N and tokens D" in proc.stdout
    assert "  L = E + A / N^alpha + B / D^beta\n" in proc.stdout
    assert "learning_curve" in proc.stdout and "custom" in proc.stdout


def test_predict_and_plot_need_neither_pymc_nor_arviz(fit_file, tmp_path):
    """Working with a saved fit is numpy + xarray (+ matplotlib): no PyMC, nutpie, ArviZ."""
    png = tmp_path / "p.png"
    code = ("import sys\nfrom bayescale.cli import main\n"
            f"assert main(['predict', {fit_file!r}, '--at', 'N=1e9,D=2e10']) == 0\n"
            f"assert main(['plot', {fit_file!r}, '-o', {str(png)!r}]) == 0\n"
            "heavy = [m for m in ('pymc', 'pytensor', 'nutpie', 'arviz', 'arviz_stats', "
            "'numba') if m in sys.modules]\n"
            "assert not heavy, heavy\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_import_bayescale_is_light():
    code = ("import sys, bayescale\n"
            "assert not [m for m in ('pymc', 'matplotlib', 'arviz', 'pandas') "
            "if m in sys.modules]\n")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_summary_text_csv_json(capsys, fit_file):
    code, out, _ = run(capsys, "summary", fit_file, "--prob", "0.9")
    assert code == 0
    assert "90% equal-tailed credible intervals" in out
    assert "lower 90%" in out and "upper 90%" in out and "fixed: nu = 4" in out
    assert "A_ref   ~ LogNormal" in out
    code, out, _ = run(capsys, "summary", fit_file, "--format", "json")
    data = json.loads(out)
    assert data["prob"] == 0.95 and data["interval"] == "equal-tailed"
    for key in ("median", "mean", "sd", "lower", "upper", "r_hat", "ess_bulk", "ess_tail"):
        assert isinstance(data["parameters"]["alpha"][key], float)
    code, out, _ = run(capsys, "summary", fit_file, "--format", "csv")
    lines = out.splitlines()
    assert lines[0] == ("parameter,prob,method,median,mean,sd,lower,upper,r_hat,ess_bulk,"
                        "ess_tail")
    assert len(lines) == 7


def test_predict_at_points_and_csv(capsys, fit_file, tmp_path):
    code, out, err = run(capsys, "predict", fit_file, "--at", "N=7e10,D=1.4e12", "--at",
                         "N=4e11,D=8e12")
    assert code == 0
    assert "95% equal-tailed intervals" in out and "pp_upper 95%" in out
    assert "warning: extrapolating far beyond" in err
    out_csv = tmp_path / "pred.csv"
    code, _, err = run(capsys, "predict", fit_file, "--at", "N=7e10,D=1.4e12", "-o", out_csv,
                       "--prob", "0.8")
    table = pd.read_csv(out_csv)
    assert list(table.columns) == ["N", "D", "C", "prob", "median", "lower", "upper",
                                   "pp_lower", "pp_upper", "scale_up_N", "scale_up_D",
                                   "scale_up_C"]
    assert table["prob"].tolist() == [0.8]
    points = tmp_path / "points.csv"
    pd.DataFrame({"N": [1e8, 2e8], "D": [1e9, 4e9], "name": ["a", "b"]}).to_csv(points,
                                                                                 index=False)
    code, out, _ = run(capsys, "predict", fit_file, "--points", points, "--format", "json")
    data = json.loads(out)
    assert [p["name"] for p in data["points"]] == ["a", "b"] and data["prob"] == 0.95


def test_plot_writes_png(capsys, fit_file, tmp_path):
    out = tmp_path / "fig.png"
    code, _, err = run(capsys, "plot", fit_file, "--to", "N=7e10,D=1.4e12", "-o", out)
    assert code == 0 and out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    code, _, err = run(capsys, "plot", fit_file, "-o", out)
    assert code == 1 and "already exists; use --force" in err
    code, _, err = run(capsys, "plot", fit_file, "-o", tmp_path / "fig.xyz")
    assert code == 1 and "cannot write a 'xyz' image" in err
    assert not (tmp_path / "fig.xyz").exists()


def _write(tmp_path, name, frame):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


BAD_RUNS = {
    "missing column": (lambda df: df.drop(columns=["D", "C"]), "column 'D' not found"),
    "non-numeric": (lambda df: df.astype({"N": object}).assign(
        N=lambda d: ["big", *list(d["N"][1:])]),
        "column 'N', row 1 (line 2 of bad.csv): not a number"),
    "non-positive": (lambda df: df.assign(loss=lambda d: [-1.0, *list(d["loss"][1:])]),
                     "column 'loss', row 1 (line 2 of bad.csv): must be > 0"),
    "NaN": (lambda df: df.assign(D=lambda d: [float("nan"), *list(d["D"][1:])]).drop(
        columns="C"), "column 'D', row 1 (line 2 of bad.csv): empty or NaN"),
    "too few rows": (lambda df: df.iloc[[0, 7]], "only 2 usable runs; a fit needs at least "
                                                 "3"),
    "one model size": (lambda df: df.head(5), "every run has the same N (3e+07)"),
}


@pytest.mark.parametrize("case", sorted(BAD_RUNS))
def test_bad_runs_through_the_cli(capsys, tmp_path, runs_csv, case):
    change, message = BAD_RUNS[case]
    bad = _write(tmp_path, "bad.csv", change(pd.read_csv(runs_csv)))
    out = tmp_path / "fit.nc"
    code, stdout, err = run(capsys, "fit", bad, "--law", "chinchilla", "-o", out, "--quiet")
    assert code == 1
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists() and stdout == ""


def test_other_bad_inputs_through_the_cli(capsys, tmp_path, runs_csv):
    out = tmp_path / "fit.nc"
    cases = [
        (["fit", runs_csv, "--law", "chinchila", "-o", out], "unknown law 'chinchila'"),
        (["fit", tmp_path / "nope.csv", "-o", out], "cannot read"),
        (["fit", runs_csv, "--columns", "N=params", "-o", out],
         "column 'params' (given for N) not found"),
        (["fit", runs_csv, "--draws", "0", "-o", out], "'0' must be ≥ 1"),
        (["summary", tmp_path / "nope.nc"], "no such file"),
        (["summary", runs_csv], "not a NetCDF file written by bayescale"),
        (["predict", runs_csv, "--at", "N=1"], "not a NetCDF file written by bayescale"),
    ]
    toml = tmp_path / "priors.toml"
    toml.write_text('alpha = { dist = "Weibull", k = 2 }\n')
    cases.append((["fit", runs_csv, "--priors", toml, "-o", out],
                  "unknown prior distribution 'Weibull'"))
    toml2 = tmp_path / "p2.toml"
    toml2.write_text('gamma = 3\n')
    cases.append((["fit", runs_csv, "--priors", toml2, "-o", out], "unknown parameter 'gamma'"))
    for argv, message in cases:
        code, _, err = run(capsys, *argv)
        assert code == 1, argv
        assert message in err, (argv, err)
        assert err.count("\n") == 1 and "Traceback" not in err
        assert not out.exists()


def test_bad_point_and_existing_output(capsys, fit_file, tmp_path):
    code, _, err = run(capsys, "predict", fit_file, "--at", "N=abc,D=1")
    assert code == 1 and "'abc' is not a number" in err
    code, _, err = run(capsys, "predict", fit_file, "--at", "Q=1")
    assert code == 1 and "unknown input 'Q'" in err
    keep = tmp_path / "keep.csv"
    keep.write_text("mine")
    code, _, err = run(capsys, "predict", fit_file, "--at", "N=1e9,D=1e10", "-o", keep)
    assert code == 1 and keep.read_text() == "mine"


def test_cli_subprocess_exit_codes(runs_csv, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "bayescale", "fit", str(runs_csv), "--law",
                           "nope", "-o", str(tmp_path / "f.nc")], capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stderr.strip().startswith("bayescale fit: error: unknown law 'nope'; "
                                          "available: power, chinchilla, compute, kaplan")
    assert proc.stderr.count("\n") == 1  # one line
    proc = subprocess.run([sys.executable, "-m", "bayescale", "fit"], capture_output=True,
                          text=True)
    assert proc.returncode == 1 and "the following arguments are required" in proc.stderr
