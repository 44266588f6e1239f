"""Command behaviours of the restructured CLI (fast: fabricated fits and ``--method map``)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import bayescale as bs
from bayescale.cli import main, output
from bayescale.data.simulate import EPOCH_CHINCHILLA, chinchilla_design, simulate_runs
from bayescale.results.summary import fit_summary
from bayescale.testing import fake_fit


def run(capsys, *argv):
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def test_summary_prints_the_library_summary(capsys, tmp_path):
    fit = fake_fit("chinchilla", draws=200, chains=2)
    path = fit.save(tmp_path / "f.nc")
    code, out, _ = run(capsys, "summary", path, "--prob", "0.8")
    s = fit_summary(bs.load(path), 0.8)
    assert code == 0
    assert out == "\n".join(s.lines(output.frame(s.table, index="parameter"))) + "\n"
    assert out.splitlines()[2].split() == ["parameter", "median", "mean", "sd", "lower", "80%",
                                           "upper", "80%", "r_hat", "ess_bulk", "ess_tail"]


def test_by_with_a_discrepancy_applies_it_to_every_group(capsys, tmp_path):
    frames = []
    for task, shift in (("a", 1.0), ("b", 1.05)):
        df = simulate_runs("chinchilla", EPOCH_CHINCHILLA, chinchilla_design(n_sizes=4),
                           seed=1)
        df["loss"] *= shift
        df["task"] = task
        frames.append(df)
    runs = tmp_path / "runs.csv"
    pd.concat(frames).to_csv(runs, index=False)
    out = tmp_path / "fits"
    code, _, err = run(capsys, "fit", runs, "--by", "task", "--method", "map", "--seed", "2",
                       "--discrepancy", "0.01", "-o", out, "--quiet")
    assert code == 0, err
    for name in ("a", "b"):
        assert bs.load(out / f"{name}.nc").discrepancy.delta == 0.01


def test_simulate_writes_instead_of_printing(capsys, tmp_path):
    code, out, err = run(capsys, "simulate", "-o", tmp_path / "s.csv")
    assert code == 0 and out == "" and "wrote" in err
    assert len(pd.read_csv(tmp_path / "s.csv")) == 10


def test_latex_report_to_a_file_also_with_json(capsys, tmp_path, saved_fit):
    path = saved_fit("power")
    tex = tmp_path / "p.tex"
    code, out, _ = run(capsys, "report", path, "--format", "latex", "-o", tex, "--json")
    assert code == 0 and json.loads(out)["output"] == str(tex)
    assert tex.read_text().startswith("\\begin{tabular}")


def test_warnings_are_printed_once_after_the_results_and_in_flags(capsys, saved_fit):
    path = saved_fit("chinchilla", draws=200, chains=2)
    code, out, err = run(capsys, "predict", path, "--at", "N=7e10,D=1.4e12")
    assert code == 0 and out.startswith("chinchilla: predicted loss")
    lines = err.splitlines()
    assert len(lines) == len(set(lines)) >= 1
    assert all(line.startswith("warning: ") for line in lines)
    assert "discrepancy='auto'" not in err and "--discrepancy auto" in err


def test_internal_errors_are_one_line_and_debug_shows_them(capsys, monkeypatch, saved_fit):
    import bayescale.results.fit

    path = saved_fit("power")

    def broken(*args, **kwargs):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(bayescale.results.fit, "load", broken)
    code, _, err = run(capsys, "summary", path)
    assert code == 2 and err.count("\n") == 1
    assert "internal error: RuntimeError: boom (please report it" in err
    with pytest.raises(RuntimeError):
        main(["--debug", "summary", str(path)])


def test_interrupt_is_130(capsys, tmp_path, monkeypatch):
    import bayescale.results.fit

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(bayescale.results.fit, "load", interrupted)
    assert main(["summary", str(tmp_path / "f.nc")]) == 130
    assert capsys.readouterr().err == "bayescale: interrupted\n"


def test_plot_formats(capsys, tmp_path, saved_fit):
    path = saved_fit("power")
    for name in ("p.svg", "p.pdf"):
        code, _, err = run(capsys, "plot", path, "-o", tmp_path / name, "--quiet")
        assert code == 0 and err == "" and (tmp_path / name).stat().st_size > 1000
    assert not list(Path(tmp_path).glob(".*.tmp"))
    assert np.isfinite(bs.load(path).summary()["median"]).all()
