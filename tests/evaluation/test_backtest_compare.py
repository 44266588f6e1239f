"""Diagnostics, comparison, backtests and model discrepancy (mostly fabricated fits or MAP)."""

import json

import numpy as np
import pandas as pd
import pytest

import bayescale as bs
from bayescale import checks
from bayescale import evaluate as ev
from bayescale.cli import main
from bayescale.data.simulate import chinchilla_design, simulate_runs
from bayescale.evaluation.discrepancy import lpd_curve
from bayescale.results.discrepancy import Discrepancy
from bayescale.testing import EPOCH_CHINCHILLA, fake_fit


def synthetic(seed=0, sigma=0.01):
    return simulate_runs("chinchilla", EPOCH_CHINCHILLA, chinchilla_design(), sigma=sigma,
                         seed=seed)


# -- checks on every fit ----------------------------------------------------------------------
def test_shrinkage_tells_data_from_prior():
    fit = fake_fit("chinchilla", spread=0.02)
    table = fit.shrinkage()
    assert set(table.index) >= {"E", "alpha", "beta", "sigma"}
    assert (table["shrinkage"] > 0.9).all()  # narrow fabricated posterior: learned
    assert checks.shrinkage_warnings(table) == []
    wide = fake_fit("chinchilla", spread=0.6)  # as wide as the exponent priors
    weak = checks.shrinkage_warnings(wide.shrinkage())
    assert weak and "from the prior, not the data" in weak[0]
    assert "alpha" in weak[0]


def test_residuals_and_pit_of_a_well_specified_fit():
    fit = fake_fit("chinchilla", spread=0.005, sigma=0.01, seed=2)
    table = fit.residuals()
    assert len(table) == fit.runs.n
    assert {"observed", "fitted", "residual", "pit", "pp_lower", "pp_upper"} <= set(table)
    assert table["pit"].between(0, 1).all()
    numbers = fit.ppc()
    assert numbers["coverage_95"] >= 0.85
    assert numbers["trend_C"]["r2"] < 0.5
    assert checks.residual_warnings(table, ["N", "D", "C"]) == []


def test_residual_structure_is_flagged():
    """A law without the data term fitted to data with it: residuals curve in log D."""
    runs = synthetic(sigma=0.002)
    fit = fake_fit("chinchilla", runs=runs, truth={**EPOCH_CHINCHILLA, "B": 1.0}, spread=0.001)
    notes = checks.residual_warnings(fit.residuals(), ["N", "D", "C"])
    assert notes and "residuals follow log" in notes[0]
    assert any("residuals follow" in w for w in fit.check())


def test_bound_and_extrapolation_warnings_fire():
    runs = synthetic()
    pressed = fake_fit("chinchilla", runs=runs, truth={**EPOCH_CHINCHILLA,
                                                       "E": 0.9999 * runs["loss"].min()})
    assert any("E is pressed against the lowest observed loss" in w for w in pressed.check())
    fit = fake_fit("chinchilla", runs=runs)
    far = fit.runs.maxima()["C"] * 1000
    with pytest.warns(bs.ExtrapolationWarning, match="C 1,000x"):
        fit.predict({"N": [fit.runs.maxima()["N"] * 10], "C": [far]})


# -- splits and scores --------------------------------------------------------------------------
def test_holdout_specifications():
    table = pd.DataFrame({"C": [1e18, 1e19, 1e20, 1e21, 1e22, 1e23]})
    assert ev.holdout_mask(table, "largest:2").tolist() == [0, 0, 0, 0, 1, 1]
    assert ev.holdout_mask(table, "C>1e21").tolist() == [0, 0, 0, 0, 1, 1]
    assert ev.holdout_mask(table, "C>=1e21").sum() == 3
    for bad, message in (("largest:x", "whole number"), ("largest:9", "between"),
                         ("N>5", "no N"), ("C>1e30", "selects no runs"),
                         ("C<1e30", "leaves 0 runs"), ("bogus", "largest:K")):
        with pytest.raises(bs.SpecError, match=message):
            ev.holdout_mask(table, bad)


def test_score_draws_counts_coverage_and_errors():
    rng = np.random.default_rng(0)
    truth = np.array([2.0, 2.0, 2.0])
    mean = np.exp(np.log(truth)[None, :] + rng.normal(0, 0.01, (4000, 3)))
    simulated = mean * np.exp(rng.normal(0, 0.01, mean.shape))
    observed = np.array([2.0, 2.0 * np.exp(0.05), 2.0 * np.exp(-0.2)])
    ll = -0.5 * ((np.log(observed) - np.log(mean)) / 0.0141) ** 2
    scored = ev.score_draws(observed, mean, simulated, ll)
    assert scored["covered_95"].tolist() == [True, False, False]
    assert scored["ARE"].iloc[0] == pytest.approx(0.0, abs=0.002)
    assert scored["ARE"].iloc[2] == pytest.approx(abs(observed[2] - 2.0) / observed[2],
                                                  rel=0.02)
    agg = ev.aggregate(scored)
    assert agg["coverage_95"] == pytest.approx(1 / 3)
    assert agg["log_RMSE"] == pytest.approx(np.sqrt(np.mean(scored["log_error"] ** 2)))


def test_stacking_weights():
    good = np.log(np.full((20, 1), 2.0))
    bad = np.log(np.full((20, 1), 0.1))
    w = ev.stacking_weights(np.hstack([good, bad]))
    assert w[0] > 0.99
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(40, 1)), rng.normal(size=(40, 1))
    w = ev.stacking_weights(np.hstack([a, b, a]))
    assert w.sum() == pytest.approx(1.0) and (w >= 0).all()


def _stacking_reference(lpd):
    """The hand-written optimiser stacking_weights used before arviz-stats did it: softmax
    weights, Nelder-Mead for two models, BFGS beyond."""
    from scipy.optimize import minimize

    k = lpd.shape[1]
    dens = np.exp(lpd - lpd.max(axis=1, keepdims=True))

    def objective(z):
        w = np.exp(np.append(z, 0.0))
        return -float(np.sum(np.log(dens @ (w / w.sum()) + 1e-300)))

    res = minimize(objective, np.zeros(k - 1), method="Nelder-Mead" if k == 2 else "BFGS")
    w = np.exp(np.append(res.x, 0.0))
    return w / w.sum()


@pytest.mark.parametrize("seed", range(6))
def test_stacking_weights_match_the_reference_optimiser(seed):
    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(20, 150)), int(rng.integers(2, 6))
    # distinct models (weights identified): per-model offsets and per-point noise
    lpd = rng.normal(0.0, 1.0, (n, k)) + rng.normal(0.0, 0.5, k) + rng.normal(0.0, 3.0)
    w = ev.stacking_weights(lpd)
    assert w.shape == (k,) and (w >= 0).all() and w.sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(w, _stacking_reference(lpd), atol=1e-3)


def test_stacking_weights_do_not_underflow_or_overflow():
    rng = np.random.default_rng(7)
    lpd = rng.normal(0.0, 2.0, (30, 3))
    w = ev.stacking_weights(lpd)
    for shift in (-2000.0, 900.0):  # exp() of these alone under- or overflows
        np.testing.assert_allclose(ev.stacking_weights(lpd + shift), w, atol=1e-9)


def test_loo_compare_with_fabricated_fits():
    runs = synthetic()
    good = fake_fit("chinchilla", runs=runs, spread=0.005)
    worse = fake_fit("chinchilla", runs=runs, spread=0.005,
                     truth={**EPOCH_CHINCHILLA, "alpha": 0.30})
    table = ev.compare({"good": good, "worse": worse})
    assert table.index[0] == "good"
    assert table["weight"].sum() == pytest.approx(1.0)
    assert {"elpd_loo", "se", "p_loo", "pareto_k_max", "bad_k"} <= set(table.columns)
    other = fake_fit("chinchilla", runs=synthetic(seed=5))
    with pytest.raises(bs.SpecError, match="other runs"):
        ev.compare({"good": good, "other": other})


def test_model_average_mixes_draws():
    runs = synthetic()
    a = fake_fit("chinchilla", runs=runs, spread=0.005)
    b = fake_fit("chinchilla", runs=runs, spread=0.005, truth={**EPOCH_CHINCHILLA, "E": 1.6})
    point = {"N": [7e10], "D": [1.4e12]}
    only_a = ev.ModelAverage({"a": a, "b": b}, [1.0, 0.0]).predict(point)
    assert only_a["median"].iloc[0] == pytest.approx(a.predict(point)["median"].iloc[0],
                                                     rel=2e-3)
    half = ev.ModelAverage({"a": a, "b": b}, {"a": 0.5, "b": 0.5}).predict(point)
    lo_a, lo_b = (f.predict(point)["median"].iloc[0] for f in (a, b))
    assert min(lo_a, lo_b) < half["median"].iloc[0] < max(lo_a, lo_b)
    assert half["upper"].iloc[0] - half["lower"].iloc[0] > (
        only_a["upper"].iloc[0] - only_a["lower"].iloc[0])
    with pytest.raises(bs.SpecError):
        ev.ModelAverage({"a": a}, [-1.0])


# -- discrepancy --------------------------------------------------------------------------------
def test_discrepancy_is_zero_inside_the_data_and_grows_outside():
    fit = fake_fit("chinchilla")
    cmax = fit.runs.maxima()["C"]
    disc = Discrepancy(0.02, "C", cmax)
    widened = fit.with_discrepancy(disc)
    inside = {"N": [3e8], "C": [cmax / 2]}
    far = {"N": [3e10], "C": [cmax * 1e4]}
    a, b = fit.predict(inside), widened.predict(inside)
    assert b["upper"].iloc[0] == pytest.approx(a["upper"].iloc[0])
    with pytest.warns(bs.ExtrapolationWarning):
        a, b = fit.predict(far), widened.predict(far)
    assert (b["upper"] - b["lower"]).iloc[0] > 1.5 * (a["upper"] - a["lower"]).iloc[0]
    bands = widened.bands(to=["N=3e10,D=6e11"])
    assert (bands["upper_95"] >= bands["median"]).all()
    assert widened.with_discrepancy(None).discrepancy is None


def test_discrepancy_survives_save_and_load(tmp_path):
    fit = fake_fit("chinchilla").with_discrepancy(0.015)
    path = fit.save(tmp_path / "d.nc")
    loaded = bs.load(path)
    assert loaded.discrepancy == fit.discrepancy
    with pytest.raises(bs.SpecError, match="discrepancy"):
        fake_fit("chinchilla").with_discrepancy("sometimes")


def test_lpd_curve_prefers_a_discrepancy_when_the_future_drifts():
    fit = fake_fit("chinchilla", spread=0.002)
    cmax = fit.runs.maxima()["C"]
    held = pd.DataFrame({"N": [3e9, 1e10], "D": [6e10, 2e11]})
    held["C"] = 6 * held["N"] * held["D"]
    truth = fit.law.loss(held, EPOCH_CHINCHILLA)
    on_law = lpd_curve(fit, held, truth, cmax, "C")
    drifted = lpd_curve(fit, held, truth * np.exp(0.08), cmax, "C")
    assert np.argmax(on_law) < np.argmax(drifted)
    assert drifted.max() > drifted[0]


def test_backtest_with_map_fits_and_point_baseline():
    runs = synthetic(seed=3)
    result = ev.backtest(runs, "chinchilla", holdout="largest:4", method="map",
                         compare_point=True, replicates=30, random_seed=0)
    assert result.scale_up > 1
    assert next(iter(result.summary.index)) == "bayescale"
    assert any(m.startswith("point") for m in result.summary.index)
    assert any("discrepancy" in m for m in result.summary.index)
    assert (result.points.groupby("method").size() == 4).all()
    for col in ("coverage_50", "coverage_80", "coverage_95"):
        assert result.summary[col].between(0, 1).all()
    assert result.summary["ARE_mean"].max() < 0.1  # synthetic data from the law itself
    with pytest.raises(bs.SpecError, match=r"compare_point=True"):
        ev.backtest(simulate_runs("power", {"E": 1.0, "A": 20.0, "alpha": 0.2},
                                  pd.DataFrame({"N": np.geomspace(1e6, 1e9, 10)})),
                    "power", x="N", holdout="largest:2", method="map", compare_point=True)


def test_cli_backtest(tmp_path, capsys):
    path = tmp_path / "runs.csv"
    synthetic(seed=4).to_csv(path, index=False)
    plot = tmp_path / "cal.png"
    assert main(["backtest", str(path), "--holdout", "largest:3", "--method", "map",
                 "--compare", "point", "--replicates", "20", "--plot", str(plot)]) == 0
    out = capsys.readouterr().out
    assert "backtest of chinchilla (largest:3)" in out and "point (Huber + bootstrap)" in out
    assert plot.stat().st_size > 5000
    assert main(["backtest", str(path), "--holdout", "largest:3", "--method", "map",
                 "--format", "json", "--no-discrepancy"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["summary"]["bayescale"]["n"] == 3 and len(data["points"]) == 3
    assert main(["backtest", str(path), "--holdout", "C>>1", "--method", "map"]) == 1
    assert "--holdout" in capsys.readouterr().err


def test_cli_compare_errors(tmp_path, capsys):
    path = tmp_path / "runs.csv"
    synthetic().to_csv(path, index=False)
    assert main(["compare", str(path), "--laws", "chinchilla"]) == 1
    assert "at least two laws" in capsys.readouterr().err
    assert main(["compare", str(path), "--laws", "chinchilla,kaplan", "--method", "map"]) == 1
    assert "MCMC" in capsys.readouterr().err


def test_cli_fit_with_a_fixed_discrepancy(tmp_path, capsys):
    path = tmp_path / "runs.csv"
    synthetic().to_csv(path, index=False)
    out = tmp_path / "f.nc"
    assert main(["fit", str(path), "--method", "map", "--discrepancy", "0.01",
                 "-o", str(out)]) == 0
    assert "model discrepancy: delta = 0.01" in capsys.readouterr().err
    assert bs.load(out).discrepancy.delta == 0.01


def test_cli_check_and_summary_show_what_the_data_taught(tmp_path, capsys):
    path = tmp_path / "f.nc"
    fake_fit("chinchilla").save(path)
    plot = tmp_path / "ppc.png"
    assert main(["check", str(path), "--plot", str(plot)]) == 0
    out = capsys.readouterr().out
    assert "PIT vs uniform" in out and "shrinkage" in out and "residuals (log loss)" in out
    assert plot.stat().st_size > 5000
    assert main(["check", str(path), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"ppc", "shrinkage", "warnings"} and "pit_ks" in data["ppc"]
    assert main(["summary", str(path)]) == 0
    assert "learned from the data (shrinkage" in capsys.readouterr().out
    assert main(["summary", str(path), "--format", "json"]) == 0
    assert "E" in json.loads(capsys.readouterr().out)["shrinkage"]


def test_ppc_plot_structure():
    axes = bs.plot.ppc(fake_fit("chinchilla"))
    assert len(axes) == 4 and axes[-1].get_title() == "PIT histogram"
    assert axes[0].get_xscale() == "log"
