import numpy as np
import pandas as pd
import pytest

from bayescale.diagnostics.checks import EXTRAPOLATION_FACTOR
from bayescale.errors import DataError, ExtrapolationWarning, SpecError
from bayescale.results import SUMMARY_COLUMNS
from bayescale.testing import EPOCH_CHINCHILLA, fake_fit


def test_summary_columns_intervals_and_explicit_probability(chinchilla_fit):
    table = chinchilla_fit.summary(prob=0.9)
    assert list(table.columns) == list(SUMMARY_COLUMNS)
    assert list(table.index) == ["E", "A", "B", "alpha", "beta", "sigma"]
    assert table.attrs["prob"] == 0.9 and table.attrs["interval"] == "equal-tailed"
    assert table.attrs["fixed"] == {"nu": 4.0}
    draws = chinchilla_fit.draws()["alpha"]
    assert table.loc["alpha", "lower"] == pytest.approx(np.quantile(draws, 0.05))
    assert table.loc["alpha", "upper"] == pytest.approx(np.quantile(draws, 0.95))
    assert (table["lower"] < table["median"]).all() and (table["median"] < table["upper"]).all()
    wider = chinchilla_fit.summary(prob=0.99)
    assert (wider["upper"] - wider["lower"] > table["upper"] - table["lower"]).all()
    assert (table["r_hat"] < 1.01).all() and (table["ess_bulk"] > 400).all()


def test_summary_rejects_bad_prob(chinchilla_fit):
    with pytest.raises(SpecError, match="prob must be in"):
        chinchilla_fit.summary(prob=95)


def test_predict_columns_and_ordering(chinchilla_fit):
    points = pd.DataFrame({"N": [1e8, 7e10], "D": [2e9, 1.4e12], "label": ["small", "big"]})
    with pytest.warns(ExtrapolationWarning, match=r"N 70x"):
        out = chinchilla_fit.predict(points, prob=0.95)
    assert list(out.columns) == ["N", "D", "label", "C", "prob", "median", "lower", "upper",
                                 "pp_lower", "pp_upper", "scale_up_N", "scale_up_D",
                                 "scale_up_C"]
    assert out["scale_up_N"].iloc[1] == pytest.approx(70.0)
    assert out["scale_up_C"].iloc[1] == pytest.approx(
        out["C"].iloc[1] / chinchilla_fit.runs.maxima()["C"])
    assert (out["prob"] == 0.95).all()
    assert out["label"].tolist() == ["small", "big"]
    assert (out["pp_lower"] < out["lower"]).all() and (out["lower"] < out["median"]).all()
    assert (out["median"] < out["upper"]).all() and (out["upper"] < out["pp_upper"]).all()
    assert out.attrs["prob"] == 0.95
    np.testing.assert_allclose(out["C"], 6 * out["N"] * out["D"])


def test_predict_median_matches_law_at_posterior_draws(chinchilla_fit):
    out = chinchilla_fit.predict({"N": [3e8], "D": [6e9]})
    draws = chinchilla_fit.draws()
    direct = draws["E"] + draws["A"] / 3e8 ** draws["alpha"] + draws["B"] / 6e9 ** draws["beta"]
    assert out["median"][0] == pytest.approx(np.median(direct), rel=1e-10)
    assert out["upper"][0] == pytest.approx(np.quantile(direct, 0.975), rel=1e-10)


def test_predictive_interval_covers_the_noise():
    fit = fake_fit(sigma=0.05, spread=0.001)
    out = fit.predict({"N": [3e8], "D": [6e9]}, prob=0.95)
    # Student-t(4) noise with scale 0.05 on log loss: 97.5% quantile 2.776·0.05
    half_width = np.log(out["pp_upper"][0] / out["median"][0])
    assert half_width == pytest.approx(2.776 * 0.05, rel=0.1)


def test_predict_accepts_strings_dicts_and_derives_tokens(chinchilla_fit):
    a = chinchilla_fit.predict("N=3e8,D=6e9")
    b = chinchilla_fit.predict([{"N": 3e8, "C": 6 * 3e8 * 6e9}])
    assert a["median"][0] == pytest.approx(b["median"][0], rel=1e-12)


def test_predict_errors_name_the_problem(chinchilla_fit):
    with pytest.raises(DataError, match="column 'D' not found"):
        chinchilla_fit.predict({"N": [1e9]})
    with pytest.raises(DataError, match=r"column 'N', row 2: must be > 0"):
        chinchilla_fit.predict({"N": [1e9, -1.0], "D": [1e10, 1e10]})


def test_no_extrapolation_warning_inside_the_data(chinchilla_fit, recwarn):
    chinchilla_fit.predict({"N": [1e8], "D": [1e9]})
    assert not [w for w in recwarn if issubclass(w.category, ExtrapolationWarning)]
    big = EXTRAPOLATION_FACTOR * chinchilla_fit.runs.table["N"].max() * 1.01
    with pytest.warns(ExtrapolationWarning):
        chinchilla_fit.predict({"N": [big], "D": [1e9]})


def test_predictive_interval_of_a_point_does_not_depend_on_the_others(chinchilla_fit):
    alone = chinchilla_fit.predict({"N": [3e8], "D": [6e9]})
    together = chinchilla_fit.predict({"N": [1e8, 3e8, 5e8], "D": [2e9, 6e9, 1e9]})
    assert alone.iloc[0]["pp_lower"] == together.iloc[1]["pp_lower"]
    assert alone.iloc[0]["pp_upper"] == together.iloc[1]["pp_upper"]


def test_points_keep_their_columns_and_reserved_names_are_refused(chinchilla_fit):
    own_c = chinchilla_fit.predict({"N": [1e8], "D": [2e9], "C": [1.5e18]})
    assert own_c["C"][0] == 1.5e18
    for name in ("prob", "median", "pp_upper"):
        with pytest.raises(DataError, match=f"column '{name}' is a name of the output"):
            chinchilla_fit.predict({"N": [1e8], "D": [2e9], name: [1]})


def test_diagnostics_that_cannot_be_computed_are_reported():
    one = fake_fit(chains=1, draws=1000)
    assert any("R-hat needs at least 2 chains" in m for m in one.check())
    tiny = fake_fit(draws=3)
    assert any("too few draws to check convergence" in m for m in tiny.check())


def test_collinear_design_is_reported():
    from bayescale.data.simulate import simulate_runs

    design = pd.DataFrame({"N": np.geomspace(1e7, 1e9, 12)})
    design["D"] = 20 * design["N"]
    runs = simulate_runs("chinchilla", EPOCH_CHINCHILLA, design)
    fit = fake_fit(runs=runs)
    assert any("log N and log D move together" in m for m in fit.check())


def test_checks_report_divergences_rhat_ess_and_bounds():
    fit = fake_fit(divergences=3, chain_offset=0.1, draws=100)
    messages = fit.check()
    assert any(m.startswith("3 divergent transitions") for m in messages)
    assert any("R-hat > 1.01 for E" in m for m in messages)
    assert any(m.startswith("effective sample size < 400") for m in messages)
    assert fake_fit().check() == []


def _with_energy(fit, energy):
    """The fit with the sampler's ``energy`` (chain, draw) added to its sample_stats."""
    import xarray as xr

    stats = fit.dt["sample_stats"].to_dataset()
    fit.dt["sample_stats"] = xr.DataTree(stats.assign(energy=(("chain", "draw"), energy)))
    return fit


def _ar1(rng, phi, n):
    """AR(1) series: its E-BFMI is about 2·(1 − phi)."""
    x, noise = np.zeros(n), rng.normal(size=n)
    for t in range(1, n):
        x[t] = phi * x[t - 1] + noise[t]
    return x


def test_low_e_bfmi_is_reported_per_chain():
    rng = np.random.default_rng(0)
    healthy = rng.normal(size=(4, 1000))  # independent energies: E-BFMI ≈ 2
    assert _with_energy(fake_fit(chains=4, draws=1000), healthy).check() == []
    energy = healthy.copy()
    energy[2] = _ar1(rng, 0.9, 1000)  # E-BFMI ≈ 0.2
    messages = _with_energy(fake_fit(chains=4, draws=1000), energy).check()
    [line] = [m for m in messages if "E-BFMI" in m]
    assert line.startswith("E-BFMI 0.2") and "< 0.3 in chain 2:" in line
    assert "explores the tails poorly" in line and "\n" not in line and "--" not in line
    energy[0] = np.cumsum(rng.normal(0, 0.1, 1000))  # a slowly varying random walk
    messages = _with_energy(fake_fit(chains=4, draws=1000), energy).check()
    [line] = [m for m in messages if "E-BFMI" in m]
    assert line.startswith("E-BFMI < 0.3 in chains 0 (0.0") and "2 (0.2" in line


def test_floor_pressed_against_lowest_loss():
    truth = dict(EPOCH_CHINCHILLA)
    fit = fake_fit(truth=truth | {"E": 50.0})  # clipped to just below the lowest loss
    messages = fit.check()
    assert any("E is pressed against the lowest observed loss" in m for m in messages)


def test_bands_are_the_plot_data(chinchilla_fit):
    table = chinchilla_fit.bands(to=["N=7e10,D=1.4e12"], probs=(0.5, 0.95), n=50)
    assert set(table["path"]) == {"D/N = 20"}
    for col in ("median", "lower_50", "upper_50", "lower_95", "upper_95", "pp_lower_95"):
        assert col in table
    assert (table["lower_95"] <= table["lower_50"]).all()
    assert (table["upper_50"] <= table["upper_95"]).all()
    assert table["C"].max() >= 6 * 7e10 * 1.4e12
    assert table["C"].min() == pytest.approx(chinchilla_fit.runs.table["C"].min())


def test_power_law_predictions(power_fit):
    out = power_fit.predict({"N": [1e6, 1e9]})
    assert out["median"][0] == pytest.approx(48.0, rel=0.05)
    assert out["median"][1] == pytest.approx(33.44, rel=0.05)


@pytest.mark.parametrize(("e", "warned"), [(0.015, True), (0.2, False)])
def test_a_floor_pushed_toward_zero_is_reported(e, warned):
    """E at 2-3% of the lowest loss is not 'pressed' (few draws within 1% of 0) but is near it."""
    fit = fake_fit(truth=dict(EPOCH_CHINCHILLA) | {"E": e}, spread=0.2)
    lines = [m for m in fit.check() if "pushed toward 0" in m]
    assert bool(lines) == warned
    if warned:
        assert lines[0].startswith("E is pushed toward 0 (median 0.01")
        assert not any("E is pressed against" in m for m in fit.check())
