"""Compute-optimal allocation and the inverse questions (modeling.md §3), on fabricated fits."""

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bayescale import optimal as opt
from bayescale.cli import main
from bayescale.data.simulate import simulate_runs
from bayescale.decisions.design import isoflop_design
from bayescale.errors import DataError, SpecError
from bayescale.evaluation.baselines import isoflop_budgets, isoflop_parabola
from bayescale.laws import get_law
from bayescale.priors import Prior
from bayescale.testing import EPOCH_CHINCHILLA, fake_fit

CHIN = get_law("chinchilla")
EXPRESSION = "E + A * N**(-alpha) + B * D**(-beta)"
CUSTOM = get_law("custom", expression=EXPRESSION)


def one_draw(theta):
    return {k: np.array([float(v)]) for k, v in theta.items()}


@pytest.fixture(scope="module")
def besiroglu():
    """The Besiroglu et al. (2024) constants as a one-draw 'posterior'."""
    return fake_fit("chinchilla", truth=EPOCH_CHINCHILLA, draws=1, chains=1, spread=0.0)


def random_draws(n=64, seed=0):
    rng = np.random.default_rng(seed)
    return {"E": rng.uniform(1.5, 2.0, n), "A": np.exp(rng.uniform(5, 7, n)),
            "B": np.exp(rng.uniform(6, 8, n)), "alpha": rng.uniform(0.25, 0.45, n),
            "beta": rng.uniform(0.25, 0.45, n)}


# -- published values ----------------------------------------------------------------------------
def test_besiroglu_allocation_and_inverse_values(besiroglu):
    """modeling.md §2.3 and §3, to 3 significant digits."""
    table = besiroglu.optimal([5.76e23, 1e24, 3.8e25])
    at = table.set_index(["C", "quantity"])["median"]
    assert at[(5.76e23, "N_opt")] == pytest.approx(72.2e9, rel=5e-3)
    assert at[(5.76e23, "D_opt")] == pytest.approx(1.33e12, rel=5e-3)
    assert at[(5.76e23, "tokens_per_param")] == pytest.approx(18.4, rel=5e-3)
    assert at[(5.76e23, "loss")] == pytest.approx(1.974, abs=5e-4)
    assert at[(1e24, "tokens_per_param")] == pytest.approx(18.1, rel=5e-3)
    assert at[(3.8e25, "N_opt")] == pytest.approx(619e9, rel=5e-3)
    assert at[(3.8e25, "tokens_per_param")] == pytest.approx(16.5, rel=5e-3)
    assert at[(1e24, "gamma")] == pytest.approx(0.1783, abs=5e-5)
    inverse = besiroglu.compute_for_loss([2.0, 1.95, 1.9]).set_index(["target", "quantity"])
    med = inverse["median"]
    assert med[(2.0, "C")] == pytest.approx(2.475e23, rel=5e-3)
    assert med[(2.0, "N_opt")] == pytest.approx(46.9e9, rel=5e-3)
    assert med[(2.0, "D_opt")] == pytest.approx(880e9, rel=5e-3)
    assert med[(1.95, "C")] == pytest.approx(1.486e24, rel=5e-3)
    assert med[(1.9, "C")] == pytest.approx(2.10e25, rel=5e-3)
    assert med[(2.0, "N_min")] == pytest.approx(6.86e9, rel=5e-3)
    assert med[(2.0, "D_min")] == pytest.approx(1.23e11, rel=5e-3)
    assert (inverse["p_reachable"] == 1.0).all()


def test_closed_form_matches_brute_force_grid():
    theta = random_draws(8)
    budgets = np.array([1e19, 1e25])
    closed = opt.allocation_draws(CHIN, theta, budgets)
    log_n = np.linspace(0, 50, 500_001)  # ln N, step 1e-4
    for i in range(8):
        th = {k: v[i] for k, v in theta.items()}
        for j, c in enumerate(budgets):
            loss = CHIN.loss({"N": np.exp(log_n), "D": c / (6 * np.exp(log_n))}, th)
            best = np.argmin(loss)
            assert np.log(closed["N_opt"][i, j]) == pytest.approx(log_n[best], abs=2e-4)
            assert closed["loss"][i, j] == pytest.approx(loss[best], rel=1e-9)
            assert closed["loss"][i, j] <= loss.min() + 1e-12


def test_numerical_optimiser_matches_the_closed_form():
    """The custom-law path (no closed form) agrees with Hoffmann's formulas on every draw."""
    theta = random_draws(48, seed=1)
    budgets = [1e20, 1e23]
    closed = opt.allocation_draws(CHIN, theta, budgets)
    numeric = opt.allocation_draws(CUSTOM, theta, budgets)
    for key in ("N_opt", "D_opt", "loss", "a", "gamma", "halving_multiple"):
        np.testing.assert_allclose(numeric[key], closed[key], rtol=1e-4, err_msg=key)
    targets = [1.05 * theta["E"].max(), 2.5]
    inv_c = opt.compute_for_loss_draws(CHIN, theta, targets)
    inv_n = opt.compute_for_loss_draws(CUSTOM, theta, targets)
    np.testing.assert_allclose(inv_n["C"], inv_c["C"], rtol=1e-5)
    np.testing.assert_allclose(inv_n["N_opt"], inv_c["N_opt"], rtol=1e-4)
    stop_c = opt.stopping_draws(CHIN, theta, [1e9])
    stop_n = opt.stopping_draws(CUSTOM, theta, [1e9])
    np.testing.assert_allclose(stop_n["D_stop"], stop_c["D_stop"], rtol=1e-4)


def test_data_constrained_law_with_ample_unique_data_allocates_like_chinchilla():
    theta = {**random_draws(16, seed=2), "R_D_star": np.full(16, 15.0),
             "R_N_star": np.full(16, 5.3)}
    dc = get_law("data_constrained")
    with pytest.raises(SpecError, match="unique"):
        opt.allocation_draws(dc, theta, [1e22])
    ample = opt.allocation_draws(dc, theta, [1e22], unique=1e40)
    closed = opt.allocation_draws(CHIN, theta, [1e22])
    np.testing.assert_allclose(ample["N_opt"], closed["N_opt"], rtol=1e-4)
    scarce = opt.allocation_draws(dc, theta, [1e22], unique=1e9)
    assert (scarce["loss"] >= closed["loss"] - 1e-12).all()  # repeated data costs loss
    assert (scarce["loss"] > closed["loss"]).mean() > 0.5


def test_numerical_optimum_is_no_worse_than_a_fine_grid():
    """Without a closed form (data-constrained, scarce data), the refined optimum along each
    isoFLOP line is at least as good as the best of 300k points on it."""
    dc = get_law("data_constrained")
    theta = {**random_draws(4, seed=4), "R_D_star": np.full(4, 15.0),
             "R_N_star": np.full(4, 5.3)}
    budgets = [1e21, 1e23]
    out = opt.allocation_draws(dc, theta, budgets, unique=1e10)
    log_n = np.linspace(10, 40, 300_001)
    for i in range(4):
        th = {k: v[i] for k, v in theta.items()}
        for j, c in enumerate(budgets):
            n = np.exp(log_n)
            d = c / (6 * n)  # a run uses at most D of the unique tokens available
            loss = dc.loss({"N": n, "D": d, "U": np.minimum(d, 1e10)}, th)
            assert out["loss"][i, j] <= loss.min() * (1 + 1e-12)
            assert 6 * out["N_opt"][i, j] * out["D_opt"][i, j] == pytest.approx(c, rel=1e-12)


def test_numerical_inverse_at_the_ends_of_the_search_range():
    theta = random_draws(4, seed=5)
    out = opt.compute_for_loss_draws(CUSTOM, theta, [theta["E"].min() - 0.1, 1e6])
    assert np.isposinf(out["C"][:, 0]).all() and not out["reachable"][:, 0].any()
    # a target the law already meets at the smallest compute searched (1 FLOP)
    np.testing.assert_allclose(out["C"][:, 1], 1.0)
    assert out["reachable"][:, 1].all()


def test_compute_only_law_inverse_and_halving():
    law = get_law("compute")
    theta = {"E": np.array([1.7, 1.8]), "A": np.array([60.0, 90.0]),
             "gamma": np.array([0.15, 0.2])}
    inv = opt.compute_for_loss_draws(law, theta, [2.0])
    exact = (theta["A"] / (2.0 - theta["E"])) ** (1 / theta["gamma"])
    np.testing.assert_allclose(inv["C"][:, 0], exact, rtol=1e-8)
    alloc = opt.allocation_draws(law, theta, [1e22])
    np.testing.assert_allclose(alloc["halving_multiple"][:, 0], 2 ** (1 / theta["gamma"]))
    assert "N_opt" not in alloc
    kaplan = get_law("kaplan_c")  # no floor: halving the loss itself
    th = {"C_c": np.array([3.1e8 * 8.64e19]), "alpha_C": np.array([0.05])}
    a = opt.allocation_draws(kaplan, th, [1e21])
    np.testing.assert_allclose(a["halving_multiple"], 2 ** (1 / 0.05), rtol=1e-4)


def test_the_founding_halving_question_is_2_to_the_one_over_gamma(besiroglu):
    """Halving the reducible loss needs 2^(1/gamma) x compute, not 2x (checked end to end)."""
    table = besiroglu.optimal([1e22])
    multiple = table.set_index("quantity").loc["halving_multiple", "median"]
    assert multiple == pytest.approx(2 ** (1 / 0.178286), rel=1e-4)
    before = opt.allocation_draws(CHIN, besiroglu.draws(), [1e22])["loss"][0, 0]
    after = opt.allocation_draws(CHIN, besiroglu.draws(), [1e22 * multiple])["loss"][0, 0]
    e = EPOCH_CHINCHILLA["E"]
    assert after - e == pytest.approx((before - e) / 2, rel=1e-9)


@settings(max_examples=40, deadline=None)
@given(c=st.floats(1e16, 1e27), alpha=st.floats(0.1, 0.8), beta=st.floats(0.1, 0.8),
       k=st.floats(2.0, 12.0))
def test_allocation_properties(c, alpha, beta, k):
    theta = one_draw({"E": 1.7, "A": 400.0, "B": 1500.0, "alpha": alpha, "beta": beta})
    out = opt.allocation_draws(CHIN, theta, [c, 10 * c], k=k)
    assert out["a"][0, 0] + out["b"][0, 0] == pytest.approx(1.0)
    assert k * out["N_opt"][0, 0] * out["D_opt"][0, 0] == pytest.approx(c, rel=1e-9)
    assert out["loss"][0, 1] < out["loss"][0, 0]  # more compute, lower optimal loss
    for shift in (0.9, 1.1):  # any other split of the same compute is worse
        n = out["N_opt"][0, 0] * shift
        other = CHIN.loss({"N": n, "D": c / (k * n)}, {kk: v[0] for kk, v in theta.items()})
        assert other > out["loss"][0, 0]
    inverse = opt.compute_for_loss_draws(CHIN, theta, [out["loss"][0, 0]], k=k)
    assert inverse["C"][0, 0] == pytest.approx(c, rel=1e-8)


def test_unreachable_targets_are_counted_not_hidden():
    fit = fake_fit("chinchilla", spread=0.03, draws=400, chains=2, seed=3)
    e = fit.draws()["E"]
    target = float(np.quantile(e, 0.3))
    table = fit.compute_for_loss([target])
    assert table["p_reachable"].iloc[0] == pytest.approx((e < target).mean())
    c = table.set_index("quantity").loc["C"]
    assert np.isinf(c["median"]) and np.isinf(c["upper"])  # most draws never get there
    below_all = fit.compute_for_loss([0.5 * e.min()])
    assert (below_all["p_reachable"] == 0).all()


def test_regret_is_zero_at_the_optimum_and_positive_elsewhere(besiroglu):
    best = besiroglu.optimal([1e24]).set_index("quantity")["median"]
    at_opt = besiroglu.regret([1e24], tokens_per_param=best["tokens_per_param"])
    assert at_opt["median"].abs().max() < 1e-9
    table = besiroglu.regret([1e24], tokens_per_param=5.0).set_index("quantity")
    assert table.loc["excess_loss", "mean"] > 0
    assert 0 < table.loc["compute_wasted", "mean"] < 1
    fixed_n = besiroglu.regret([1e24], N=1e10).set_index("quantity")
    assert fixed_n.loc["excess_loss", "median"] > 0
    assert fixed_n["N"].iloc[0] == 1e10
    with pytest.raises(SpecError, match="exactly one"):
        besiroglu.regret([1e24], tokens_per_param=20, N=1e10)


def test_regret_of_the_20_tokens_rule_has_an_interval():
    fit = fake_fit("chinchilla", draws=300, chains=2)
    table = fit.regret([5.76e23], tokens_per_param=20).set_index("quantity")
    row = table.loc["excess_loss"]
    assert row["lower"] >= 0 and row["upper"] > row["median"] > 0
    assert row["mean"] == pytest.approx(row["mean"])  # finite


def test_probability_below_a_target():
    fit = fake_fit("chinchilla", draws=400, chains=2)
    point = {"N": [7e10], "D": [1.4e12]}
    mean_loss = fit.law.loss({"N": 7e10, "D": 1.4e12}, fit.draws())
    out = fit.probability_below(point, 1.97)
    assert out["p_mean_below"].iloc[0] == pytest.approx((mean_loss < 1.97).mean())
    assert 0 < out["p_observed_below"].iloc[0] < 1
    assert fit.probability_below(point, 100.0)["p_observed_below"].iloc[0] == 1.0


def test_stopping_point_is_where_the_size_becomes_optimal(besiroglu):
    stop = besiroglu.stopping([1e9, 7e10]).set_index(["N", "quantity"])["median"]
    for size in (1e9, 7e10):
        c = stop[(size, "C_stop")]
        n_opt = besiroglu.optimal([c]).set_index("quantity").loc["N_opt", "median"]
        assert n_opt == pytest.approx(size, rel=1e-8)
        assert stop[(size, "D_stop")] * size * 6 == pytest.approx(c)


def learning_curve_fit():
    runs = []
    truth = {"E": 1.8, "A": 400.0, "B": 1200.0, "alpha": 0.34, "beta": 0.3, "tau": 0.02}
    for i, n in enumerate([5e7, 1e8, 2e8]):
        for d in np.geomspace(1e8, 4e9, 6):
            runs.append({"run": f"r{i}", "N": n, "D": d})
    law = get_law("learning_curve")
    df = pd.DataFrame(runs)
    df["loss"] = law.loss(df, truth) * np.exp(np.repeat([0.02, -0.01, 0.0], 6))
    return fake_fit("learning_curve", truth=truth, runs=df, draws=200, chains=2,
                    run_effects=[0.02, -0.01, 0.0])


def test_learning_curve_fit_forecasts_a_partial_run():
    fit = learning_curve_fit()
    own = fit.predict(pd.DataFrame({"run": ["r0"], "N": [5e7], "D": [8e9]}))
    new = fit.predict(pd.DataFrame({"N": [5e7], "D": [8e9]}))
    assert own["pp_upper"].iloc[0] - own["pp_lower"].iloc[0] < (
        new["pp_upper"].iloc[0] - new["pp_lower"].iloc[0])
    p = fit.probability_below(pd.DataFrame({"run": ["r0"], "N": [5e7], "D": [8e9]}), 10.0)
    assert p["p_observed_below"].iloc[0] == 1.0
    stop = fit.stopping([5e7])
    assert set(stop["quantity"]) == {"D_stop", "C_stop", "loss_stop"}


def test_cli_forecasts_a_partial_run(tmp_path, capsys):
    path = tmp_path / "lc.nc"
    learning_curve_fit().save(path)
    assert main(["optimal", str(path), "--run", "r0", "--final-tokens", "8e9",
                 "--target-loss", "3"]) == 0
    out = capsys.readouterr().out
    assert "run r0: forecast final loss" in out and "P(loss < 3) = " in out
    assert "model size N = 5e+07" in out  # the run's own stopping point
    assert main(["optimal", str(path), "--stop", "5e7", "--run", "nope",
                 "--final-tokens", "8e9"]) == 1
    assert "no such run" in capsys.readouterr().err


def test_cost_conversion():
    cost = opt.Cost(1e15, mfu=0.5, price=2.0)
    assert cost.hours(np.array([3.6e18]))[0] == pytest.approx(2.0)
    fit = fake_fit("chinchilla", draws=100, chains=2)
    table = fit.compute_for_loss([2.0], cost=cost).set_index("quantity")
    for col in ("median", "lower", "upper"):
        assert table.loc["gpu_hours", col] == pytest.approx(table.loc["C", col] / 1.8e18)
        assert table.loc["cost", col] == pytest.approx(2 * table.loc["gpu_hours", col])
    forward = fit.optimal([3.6e21], cost=cost).set_index("quantity")
    assert forward.loc["gpu_hours", "median"] == pytest.approx(2000.0)
    for bad in ({"mfu": 1.5}, {"mfu": 0.0}, {"price": -1.0}):
        with pytest.raises(SpecError):
            opt.Cost(1e15, **bad)


def test_laws_without_allocation_are_refused_clearly():
    power = fake_fit("power")
    with pytest.raises(SpecError, match="need a law in N and D"):
        power.optimal([1e22])
    acc = get_law("loglinear", x="C")
    with pytest.raises(SpecError, match="accuracy"):
        opt.allocation_draws(acc, {"a": np.array([0.1]), "b": np.array([0.05])}, [1e22])
    fit = fake_fit("chinchilla", draws=10, chains=1)
    for bad in ([-1.0], [float("nan")], []):
        with pytest.raises(SpecError):
            fit.optimal(bad)
    with pytest.raises(SpecError, match="k must"):
        fit.optimal([1e22], k=0)


def test_tables_are_tidy_and_state_their_conventions():
    fit = fake_fit("chinchilla", draws=100, chains=2)
    table = fit.optimal([1e21, 1e23], prob=0.8, k=8.0)
    assert list(table.columns) == ["C", "quantity", "median", "lower", "upper", "prob"]
    assert set(table["quantity"]) == set(opt.FORWARD_QUANTITIES)
    assert table.attrs["k"] == 8.0 and table.attrs["method"] == "closed form"
    assert (table["lower"] <= table["median"]).all() and (table["median"] <= table["upper"]).all()
    wide = opt.wide(table, "C")
    assert wide.loc[1e21, "N_opt"] * wide.loc[1e21, "D_opt"] == pytest.approx(1e21 / 8, rel=0.3)
    bands = opt.frontier_bands(fit, np.geomspace(1e19, 1e24, 6))
    assert (np.diff(bands["N_opt"]) > 0).all() and (np.diff(bands["loss"]) < 0).all()
    assert (bands["N_opt_lower_95"] <= bands["N_opt_lower_50"]).all()


# -- isoFLOP data and the Approach 2 baseline -----------------------------------------------------
ASYMMETRIC = {"E": 1.69, "A": 400.0, "B": 400.0, "alpha": 0.465, "beta": 0.155}
SYMMETRICISH = {"E": 1.69, "A": 400.0, "B": 400.0, "alpha": 0.34, "beta": 0.28}


@pytest.mark.parametrize(("surface", "errors"), [
    (ASYMMETRIC, {2: -1.67, 4: -6.50, 8: -13.91, 16: -23.12}),
    (SYMMETRICISH, {2: -0.33, 4: -1.30, 8: -2.90, 16: -5.10}),
])
def test_parabola_baseline_reproduces_the_published_bias(surface, errors):
    """Czech et al. 2026 (Open-Athena) tables, modeling.md §3.1: noise-free grids at
    1e17..1e21 extrapolated to 1e24; the exponent stays unbiased, the intercept does not."""
    true = opt.allocation_draws(CHIN, one_draw(surface), [1e24])
    for width, published in errors.items():
        runs = simulate_runs("chinchilla", surface, isoflop_design(surface, width=width),
                             sigma=0.0, digits=None)
        para = isoflop_parabola(runs["N"], runs["loss"], runs["C"])
        d_star = para.predict(1e24)["D_opt"].iloc[0]
        assert 100 * (d_star / true["D_opt"][0, 0] - 1) == pytest.approx(published, abs=0.01)
        assert para.a == pytest.approx(true["a"][0, 0], abs=1e-9)


def test_isoflop_budgets_and_parabola_errors():
    c = np.array([1e18, 1.01e18, 0.99e18, 1e19, 1.02e19, 1e20])
    labels = isoflop_budgets(c)
    assert len(np.unique(labels)) == 3
    with pytest.raises(DataError, match="not isoFLOP data"):
        isoflop_parabola(np.array([1e8, 2e8, 3e8]), np.array([3.0, 2.9, 3.1]),
                         np.array([1e19, 1e19, 1e19]))
    runs = simulate_runs("chinchilla", SYMMETRICISH, isoflop_design(SYMMETRICISH), sigma=0.0)
    extra = pd.concat([runs, pd.DataFrame({"N": [1e9], "D": [1e9], "C": [6e18 * 1000],
                                           "loss": [2.5]})], ignore_index=True)
    para = isoflop_parabola(extra["N"], extra["loss"], extra["C"])
    assert any("1 runs" in s for s in para.skipped)
    design = simulate_runs("chinchilla", SYMMETRICISH, pd.DataFrame(
        {"N": [1e8, 2e8, 4e8, 1e9, 2e9], "D": [2e9, 4e9, 8e9, 2e10, 4e10]}))
    with pytest.raises(DataError, match="not isoFLOP data"):
        isoflop_parabola(design["N"], design["loss"], design["C"])


# -- CLI -------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def saved_fit(tmp_path_factory):
    path = tmp_path_factory.mktemp("optimal") / "fit.nc"
    fake_fit("chinchilla", draws=300, chains=2).save(path)
    return path


def test_cli_optimal_compute_text_json_csv(saved_fit, capsys, tmp_path):
    assert main(["optimal", str(saved_fit), "--compute", "1e22,3.8e25", "--heuristic", "20",
                 "--gpu-flops", "9.89e14", "--price", "2.5"]) == 0
    out = capsys.readouterr().out
    assert "C = 1e+22 FLOPs" in out and "N* parameters" in out and "accelerator-hours" in out
    assert "regret of the plan '20 tokens per parameter'" in out
    assert main(["optimal", str(saved_fit), "--compute", "1e22", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["optimal"]["k"] == 6.0 and data["optimal"]["prob"] == 0.95
    assert {r["quantity"] for r in data["optimal"]["rows"]} >= {"N_opt", "D_opt", "loss"}
    assert main(["optimal", str(saved_fit), "--compute", "1e22", "--format", "csv"]) == 0
    csv = capsys.readouterr().out
    assert csv.splitlines()[0].startswith("C,quantity,median,lower,upper")
    out_csv = tmp_path / "opt.csv"
    plot = tmp_path / "frontier.png"
    assert main(["optimal", str(saved_fit), "--compute", "1e23", "-o", str(out_csv),
                 "--plot", str(plot)]) == 0
    assert pd.read_csv(out_csv)["quantity"].str.contains("N_opt").any()
    assert plot.stat().st_size > 10_000
    assert main(["optimal", str(saved_fit), "--compute", "1e23", "-o", str(out_csv)]) == 1
    assert "--force" in capsys.readouterr().err


def test_cli_optimal_target_and_stop(saved_fit, capsys):
    assert main(["optimal", str(saved_fit), "--target-loss", "1.9,2.0", "--plan",
                 "N=7e10,D=1.4e12"]) == 0
    out = capsys.readouterr().out
    assert "target loss 1.9: P(reachable)" in out and "P(loss < 2)" in out
    assert main(["optimal", str(saved_fit), "--stop", "1e9", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {r["quantity"] for r in data["stop"]["rows"]} == {"D_stop", "C_stop", "loss_stop"}


@pytest.mark.parametrize(("argv", "message"), [
    ([], "give --compute, --target-loss, --halve, --stop or --run"),
    (["--compute", "1e22", "--target-loss", "2"], "not both"),
    (["--target-loss", "2", "--heuristic", "20"], "--heuristic goes with --compute"),
    (["--compute", "abc"], "not a number"),
    (["--compute", "0"], "positive"),
    (["--compute", "1e22", "--price", "2"], "--price needs --gpu-flops"),
    (["--compute", "1e22", "--gpu-flops", "1e15", "--mfu", "2"], "mfu"),
    (["--stop", "1e9", "--run", "r1", "--final-tokens", "8e9"], "run effects"),
    (["--stop", "1e9", "--run", "r1"], "--run needs --final-tokens"),
])
def test_cli_optimal_errors_are_one_line(saved_fit, capsys, argv, message):
    try:
        code = main(["optimal", str(saved_fit), *argv])
    except SystemExit as exc:  # argparse's usage errors
        code = exc.code
    err = capsys.readouterr().err
    assert code == 1
    assert message in err and "Traceback" not in err


def test_cli_optimal_refuses_a_law_without_n_and_d(tmp_path, capsys):
    path = tmp_path / "p.nc"
    fake_fit("power").save(path)
    assert main(["optimal", str(path), "--compute", "1e22"]) == 1
    assert "need a law in N and D" in capsys.readouterr().err


def test_cli_parabola_side_by_side(tmp_path, capsys):
    runs = simulate_runs("chinchilla", SYMMETRICISH, isoflop_design(SYMMETRICISH, width=8),
                         sigma=0.002, seed=1)
    path = tmp_path / "iso.nc"
    fake_fit("chinchilla", truth=SYMMETRICISH, runs=runs, draws=100, chains=2).save(path)
    assert main(["optimal", str(path), "--compute", "1e24", "--parabola"]) == 0
    out = capsys.readouterr().out
    assert "isoFLOP parabola baseline (Approach 2, 5 budgets" in out


def test_custom_law_reading_compute_uses_k():
    law = get_law("custom",
                  expression="E + A * N**(-alpha) + B * (C / (6 * N))**(-beta) + 0 * D")
    out = opt.allocation_draws(law, one_draw(EPOCH_CHINCHILLA), [5.76e23])
    assert out["tokens_per_param"][0, 0] == pytest.approx(18.4, rel=5e-3)
    law8 = get_law("custom",
                   expression="E + A * N**(-alpha) + B * (C / (8 * N))**(-beta) + 0 * D")
    got = opt.allocation_draws(law8, one_draw(EPOCH_CHINCHILLA), [5.76e23], k=8.0)
    want = opt.allocation_draws(CHIN, one_draw(EPOCH_CHINCHILLA), [5.76e23], k=8.0)
    assert got["N_opt"][0, 0] == pytest.approx(want["N_opt"][0, 0], rel=1e-4)


def test_data_constrained_has_no_unlimited_data_answers():
    theta = {**one_draw(EPOCH_CHINCHILLA), "R_D_star": np.array([15.0]),
             "R_N_star": np.array([5.3])}
    out = opt.compute_for_loss_draws(get_law("data_constrained"), theta, [2.0], unique=1e11)
    assert "N_min" not in out and "D_min" not in out


def test_custom_law_allocation_through_the_fit():
    priors = {k: Prior("HalfNormal", sigma=5.0) for k in ("E", "alpha", "beta")}
    priors |= {k: Prior("LogNormal", mu=5.0, sigma=3.0) for k in ("A", "B")}
    fit = fake_fit("custom", truth=EPOCH_CHINCHILLA, priors=priors, draws=1, chains=1,
                   spread=0.0, law_options={"expression": EXPRESSION})
    table = fit.optimal([5.76e23]).set_index("quantity")
    assert table.attrs["method"] == "numerical"
    assert table.loc["tokens_per_param", "median"] == pytest.approx(18.4, rel=5e-3)


def test_far_budgets_warn_like_predictions():
    from bayescale.errors import ExtrapolationWarning

    fit = fake_fit("chinchilla", draws=100, chains=2)
    with pytest.warns(ExtrapolationWarning, match="C [0-9,]+x"):
        fit.optimal([1e24])
    with pytest.warns(ExtrapolationWarning):
        fit.compute_for_loss([1.95])
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", ExtrapolationWarning)
        fit.optimal([fit.runs.maxima()["C"]])  # inside the data: silent


def test_decisions_carry_the_model_discrepancy():
    """Beyond the largest fitted compute the loss at a budget, the compute for a target and
    P(reachable) integrate over the discrepancy; inside the data nothing changes."""
    import bayescale as bs

    plain = bs.testing.fake_fit("chinchilla")
    wide = plain.with_discrepancy(0.05)
    c_max = float(plain.runs.table["C"].max())
    far = [c_max / 2, c_max * 1e4]
    a = plain.optimal(far).set_index(["C", "quantity"])
    b = wide.optimal(far).set_index(["C", "quantity"])
    inside, beyond = (far[0], "loss"), (far[1], "loss")
    assert b.loc[inside, "upper"] == pytest.approx(a.loc[inside, "upper"])
    assert (b.loc[beyond, "upper"] - b.loc[beyond, "lower"]
            > 1.5 * (a.loc[beyond, "upper"] - a.loc[beyond, "lower"]))
    # N* does not depend on the discrepancy
    assert b.loc[(far[1], "N_opt"), "median"] == pytest.approx(a.loc[(far[1], "N_opt"),
                                                                      "median"])
    med = a.loc[beyond, "median"]
    ta = plain.compute_for_loss([med]).set_index("quantity")
    tb = wide.compute_for_loss([med]).set_index("quantity")
    assert tb.loc["C", "upper"] > ta.loc["C", "upper"]
    assert tb.loc["C", "lower"] < ta.loc["C", "lower"]
    assert tb["p_reachable"].iloc[0] <= ta["p_reachable"].iloc[0]
    ra = plain.regret([far[1]], tokens_per_param=100).set_index("quantity")
    rb = wide.regret([far[1]], tokens_per_param=100).set_index("quantity")
    assert rb.loc["excess_loss", "upper"] > ra.loc["excess_loss", "upper"]
