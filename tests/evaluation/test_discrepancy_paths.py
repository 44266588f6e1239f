"""δ is learned under one prior definition, whichever path asks for it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayescale as bs
from bayescale.evaluation.discrepancy import estimate, fit_config, refit_config
from bayescale.inference import SamplerSettings
from bayescale.model import ModelConfig
from bayescale.priors import Prior

RUNS = "data/chinchilla_runs.csv"
#: a user prior that differs from the default, so that the paths can be told apart
USER = {"alpha": Prior("LogNormal", mu=float(np.log(0.3)), sigma=0.3)}


@pytest.fixture(scope="module")
def plain():
    return bs.fit(RUNS, "chinchilla", method="map", random_seed=3, priors=USER)


def test_fit_auto_and_learn_discrepancy_agree(plain):
    auto = bs.fit(RUNS, "chinchilla", method="map", random_seed=3, priors=USER,
                  discrepancy="auto").discrepancy
    learned = bs.learn_discrepancy(plain).discrepancy
    assert auto.source == learned.source
    assert auto.source.startswith("posterior")
    assert auto == learned  # same δ distribution, same splits, same reference


def test_backtest_path_learns_the_same_delta_from_the_same_runs(plain):
    """A backtest learns δ from its kept runs with ``estimate(table, config)``: on the same
    table, config and settings it gives what the fit path gives."""
    config = ModelConfig("chinchilla", priors=USER)
    settings = SamplerSettings(method="map", random_seed=3)
    via_backtest = estimate(plain.runs.table, refit_config(config, plain.runs.table),
                            settings=settings, fit=plain)
    assert via_backtest == bs.learn_discrepancy(plain).discrepancy
    # without the fit, each split is refitted: the same prior, an estimate of the same δ
    refitted = estimate(plain.runs.table, refit_config(config, plain.runs.table),
                        settings=settings)
    assert refitted.prior == via_backtest.prior
    assert {s["method"] for s in refitted.splits} == {"refit"}


def test_refits_use_the_users_priors_not_the_ones_resolved_on_all_runs(plain):
    config = fit_config(plain)
    assert dict(config.priors) == USER  # recorded with the fit, as the user gave them
    resolved = dict(plain.spec.priors)
    assert set(resolved) > set(USER)  # the spec also holds defaults resolved on all runs
    # a default that scales with the data is re-resolved on the kept runs of each refit
    kept = plain.runs.table.nsmallest(20, "C").reset_index(drop=True)
    spec, _ = refit_config(config, kept).configure(kept)
    assert spec.priors["alpha"] == USER["alpha"]
    assert spec.loss_min == pytest.approx(kept["loss"].min())
    assert spec.loss_min > plain.spec.loss_min  # the held-out large runs reach lower loss


def test_old_files_without_a_config_fall_back_to_the_resolved_priors(plain):
    meta = {k: v for k, v in plain.meta.items() if k != "config"}
    old = bs.ScalingFit(plain.dt, plain.spec, plain.runs, meta)
    assert dict(fit_config(old).priors) == dict(plain.spec.priors)


def test_a_result_never_refits():
    fit = bs.testing.fake_fit("chinchilla")
    with pytest.raises(bs.SpecError, match="learn_discrepancy"):
        fit.with_discrepancy("auto")
    assert fit.with_discrepancy(0.01).discrepancy.delta == 0.01


def test_discrepancy_setting_is_checked_before_sampling(monkeypatch):
    import bayescale.inference.run as run

    def boom(*args, **kwargs):
        raise AssertionError("sampled before the option was checked")

    monkeypatch.setattr(run, "sample_fit", boom)
    monkeypatch.setattr(bs.workflow, "sample_fit", boom)
    with pytest.raises(bs.SpecError, match="'autp'"):
        bs.fit(RUNS, "chinchilla", discrepancy="autp")
    with pytest.raises(bs.SpecError, match="≥ 0"):
        bs.fit(pd.read_csv(RUNS), "chinchilla", discrepancy=-1)
