"""Accuracy laws speak of accuracy, and take their chance level per group from a column."""

import pandas as pd
import pytest

import bayescale as bs
from bayescale.cli import main

SIGMOID = ["--law", "sigmoid", "--x", "C", "--C", "1e18:1e22:8",
           "--params", "ceiling=0.9,slope=1.2,midpoint=20"]


@pytest.fixture
def tasks(tmp_path, monkeypatch):
    """Two tasks: four-way multiple choice (chance 0.25) and free-form (chance 0)."""
    monkeypatch.chdir(tmp_path)
    assert main(["simulate", *SIGMOID, "--chance", "0.25", "-o", "mc.csv", "--quiet"]) == 0
    assert main(["simulate", *SIGMOID, "-o", "free.csv", "--quiet"]) == 0
    mc, free = pd.read_csv("mc.csv"), pd.read_csv("free.csv")
    assert mc["accuracy"].min() > 0.25 > free["accuracy"].min()  # simulate took --chance
    table = pd.concat([mc.assign(task="mc", chance=0.25), free.assign(task="free", chance=0.0)])
    table.to_csv("tasks.csv", index=False)
    return tmp_path


def test_chance_per_group_from_a_column(tasks, capsys):
    assert main(["fit", "tasks.csv", "--by", "task", "--chance", "chance", "--method", "map",
                 "-o", "fits", "--quiet"]) == 0
    assert bs.load("fits/mc.nc").law.chance == 0.25
    assert bs.load("fits/free.nc").law.chance == 0.0
    assert bs.load("fits/mc.nc").law.name == "sigmoid"  # no --law: an accuracy column


@pytest.mark.parametrize(("chance", "message"), [
    ("chance", "chance column 'chance' must hold one number for the runs of a fit (one per "
               "group, --by), found 0, 0.25"),
    ("nope", "chance 'nope' is neither a number nor a column of the runs"),
])
def test_a_chance_column_that_does_not_fit_is_one_line(tasks, capsys, chance, message):
    assert main(["fit", "tasks.csv", "--chance", chance, "--method", "map", "-o", "x.nc"]) == 1
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and not (tasks / "x.nc").exists()


def test_labels_follow_the_response(tasks, capsys):
    assert main(["fit", "mc.csv", "--chance", "0.25", "--method", "map", "-o", "mc.nc",
                 "--quiet"]) == 0
    capsys.readouterr()
    assert main(["predict", "mc.nc", "--at", "C=1e23"]) == 0
    out = capsys.readouterr().out
    assert "sigmoid: predicted accuracy" in out and "loss" not in out
    assert main(["backtest", "mc.csv", "--chance", "0.25", "--method", "map", "--holdout",
                 "largest:2", "--no-discrepancy"]) == 0
    out = capsys.readouterr().out
    assert "NLPD on the likelihood's scale (accuracy)" in out and "log loss" not in out
