"""An MCMC fit whose first pass diverges (or has R-hat > 1.01) is sampled once more with
target_accept 0.99, and says so; --no-retry keeps the first pass (and its warnings)."""

from pathlib import Path

import pytest

import bayescale as bs
from bayescale.cli import main
from bayescale.testing import fake_fit

FOUNDING = str(Path(__file__).resolve().parents[2] / "data" / "founding_example.csv")
ARGS = [FOUNDING, "--law", "power", "--columns", "loss=error", "--discrepancy", "none",
        "--draws", "100", "--chains", "2", "--seed", "3"]


def stand_in(monkeypatch, second_divergences: int = 0) -> list[float]:
    """A stand-in sampler: 3 divergences at the default target acceptance,
    ``second_divergences`` at 0.99. Returns the target acceptances it was called with."""
    import bayescale.inference.samplers as samplers

    calls = []

    def sample(spec, runs, settings):
        calls.append(settings.target_accept)
        fit = fake_fit("power", draws=settings.draws, chains=settings.chains,
                       divergences=3 if settings.target_accept < 0.99 else second_divergences)
        return fit.dt, {"compile": 1.0, "sampling": 0.5, "gradients": 100}

    monkeypatch.setattr(samplers, "sample", sample)
    return calls


@pytest.fixture
def sampler(monkeypatch):
    return stand_in(monkeypatch)


def test_a_divergent_first_pass_is_sampled_again(sampler, tmp_path, capsys):
    out = tmp_path / "f.nc"
    assert main(["fit", *ARGS, "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert sampler == [0.9, 0.99]
    assert ("second pass: the first (0.9 target acceptance) had 3 divergent transitions; "
            "sampled again with --target-accept 0.99") in err
    assert "warning: 3 divergent" not in err  # the second pass has none
    fit = bs.load(out)
    assert fit.meta["second_pass"]["reason"] == "3 divergent transitions"
    assert fit.meta["second_pass"]["kept"] == "second"
    assert fit.meta["sampler"]["target_accept"] == 0.99 and fit.meta["sampling_seconds"] == 1.0


def test_no_retry_keeps_the_first_pass_and_its_warning(sampler, tmp_path, capsys):
    out = tmp_path / "f.nc"
    assert main(["fit", *ARGS, "--no-retry", "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert sampler == [0.9] and "second pass" not in err
    assert "3 divergent transitions" in err
    assert "second_pass" not in bs.load(out).meta


def test_a_clean_first_pass_is_kept(sampler, tmp_path, capsys):
    assert main(["fit", *ARGS, "--target-accept", "0.99", "-o", str(tmp_path / "f.nc")]) == 0
    assert sampler == [0.99]  # already at the second pass's setting: nothing to retry


def test_a_second_pass_that_is_no_better_is_not_kept(monkeypatch, tmp_path, capsys):
    calls = stand_in(monkeypatch, second_divergences=5)
    out = tmp_path / "f.nc"
    assert main(["fit", *ARGS, "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert calls == [0.9, 0.99]
    assert "which was no better (5 divergent transitions): kept the first" in err
    fit = bs.load(out)
    assert fit.meta["second_pass"]["kept"] == "first"
    assert fit.meta["sampler"]["target_accept"] == 0.9
