"""Small confusions a new user met: checkpoints called runs, warnings that do not say which
law or target they are about, a point baseline's empty intervals left unexplained, report
options ignored, a floor near 0 left unsaid (tests/results/test_fit.py)."""

import warnings

import pandas as pd
import pytest

import bayescale as bs
from bayescale.cli import main
from bayescale.errors import InferenceWarning, SpecError
from bayescale.testing import fake_fit


def test_checkpoints_are_not_called_runs():
    runs = pd.DataFrame({"run": ["a"] * 3 + ["b"] * 3, "N": [1e8] * 3 + [2e8] * 3,
                         "D": [1e9, 2e9, 4e9] * 2, "loss": [3.0, 2.9, 2.8, 2.9, 2.8, 2.7]})
    fit = bs.prior_predictive(runs, "learning_curve", draws=10)
    assert fit.runs.counted == "6 checkpoints of 2 runs"
    assert "6 checkpoints of 2 runs" in repr(fit)
    assert fake_fit("chinchilla", draws=20).runs.counted.endswith(" runs")


def test_compare_names_the_law_of_each_warning(tmp_path, monkeypatch, capsys):
    import bayescale.workflow as workflow

    def fit(runs, law, **kwargs):
        warnings.warn("residuals follow log N", InferenceWarning, stacklevel=2)
        return fake_fit("chinchilla", runs=pd.read_csv(runs), draws=100, chains=2,
                        seed=len(law))  # stand-ins for the two laws' fits

    monkeypatch.setattr(workflow, "fit", fit)
    runs = fake_fit("chinchilla").runs.table
    runs.to_csv(tmp_path / "runs.csv", index=False)
    code = main(["compare", str(tmp_path / "runs.csv"), "--laws", "chinchilla,kaplan",
                 "--holdout", "none"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "warning: law 'chinchilla': residuals follow log N" in err
    assert "warning: law 'kaplan': residuals follow log N" in err


def test_a_point_baseline_without_spare_runs_says_why_its_intervals_are_empty(tmp_path, capsys):
    assert main(["simulate", "--law", "chinchilla", "--N", "3e7:1e9:4", "--ratios", "20,40",
                 "-o", str(tmp_path / "c8.csv"), "--quiet"]) == 0
    assert main(["backtest", str(tmp_path / "c8.csv"), "--compare", "point", "--method", "map",
                 "--holdout", "largest:3", "--no-discrepancy"]) == 0
    out = capsys.readouterr().out
    assert ("note: the point baseline fitted 5 runs with its 5 parameters: it passes through "
            "them") in out


def test_report_warnings_name_their_section_and_target(saved_fit):
    from bayescale.report import build

    report = build(bs.load(saved_fit("chinchilla", draws=100)), at=["N=1e13,D=1e15"],
                   compute=[1e30])
    extrapolation = [w for w in report.warnings if "extrapolating" in w]
    assert any(w.startswith("Extrapolation (N=1e+13, D=1e+15): ") for w in extrapolation)
    assert any(w.startswith("Compute-optimal allocation (C = 1e+30): ") for w in extrapolation)


def test_report_compute_for_one_input_laws(saved_fit, tmp_path):
    from bayescale.report import build

    with pytest.raises(SpecError, match="law 'power' is in N: give points to predict at"):
        build(bs.load(saved_fit("power", draws=100)), compute=[1e22])
    fit = fake_fit("power", x="C", draws=100)
    report = build(fit, compute=[1e22])
    assert any(s.title == "Loss at the budgets" for s in report.sections)
