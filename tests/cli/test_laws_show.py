"""bayescale laws --show NAME: the law's parameters and its default priors."""

import json

import pytest

from bayescale.cli import main
from tests.conftest import ROOT

RUNS = str(ROOT / "data" / "chinchilla_runs.csv")


def test_show_gives_parameters_and_default_priors(capsys):
    assert main(["laws", "--show", "chinchilla"]) == 0
    out = capsys.readouterr().out
    assert "E      floor     irreducible loss" in out
    assert "alpha   ~ LogNormal(mu=-1.148" in out and "(learned from public scaling studies)" in out
    assert "data-scaled priors follow your runs: add --runs RUNS.csv" in out


def test_show_for_your_runs_and_the_weak_set(capsys):
    assert main(["laws", "--show", "chinchilla", "--runs", RUNS, "--json"]) == 0
    mine = json.loads(capsys.readouterr().out)
    assert mine["priors_for"] == f"for the 30 runs in {RUNS}"
    assert mine["priors"]["E"]["kwargs"]["upper"] == pytest.approx(2.395, abs=1e-3)
    assert mine["origins"]["alpha"] == "field"
    assert main(["laws", "--show", "chinchilla", "--runs", RUNS, "--priors", "weak",
                 "--json"]) == 0
    weak = json.loads(capsys.readouterr().out)
    assert weak["origins"]["alpha"] == "weak" and weak["priors"] != mine["priors"]


def test_show_an_accuracy_law_with_its_chance(capsys):
    assert main(["laws", "--show", "sigmoid", "--chance", "0.25"]) == 0
    out = capsys.readouterr().out
    assert "ceiling ~ Beta(alpha=3, beta=1.2, lower=0.25, upper=1)" in out
    assert "accuracy from 0.3" in out


@pytest.mark.parametrize(("argv", "message"), [
    (["laws", "--show", "nope"], "unknown law 'nope'"),
    (["laws", "--runs", RUNS], "--runs, --x and --chance go with --show NAME"),
    (["laws", "--show", "chinchilla", "--priors", "strong"], "--priors strong: use field or weak"),
])
def test_show_errors_are_one_line(capsys, argv, message):
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
