"""Every law family: published values, numpy == PyMC graph, properties, recovery (slow)."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import bayescale as bs
from bayescale.data.simulate import chinchilla_design, simulate_runs
from bayescale.model import build_model
from bayescale.workflow import configure

MUENNIGHOFF = {"A": math.exp(6.255414), "B": math.exp(7.3049974), "E": math.exp(0.6254804),
               "alpha": 0.3526596, "beta": 0.3526596, "R_D_star": 15.387756,
               "R_N_star": 5.309743}


def _one(x, lo, hi, n=14):
    return pd.DataFrame({x: np.geomspace(lo, hi, n)})


def _repeated():
    design = chinchilla_design(n_sizes=5, ratios=(10, 20, 40, 80, 160))
    design["U"] = np.minimum(design["D"], 2e9)
    return design


#: name -> (law options, truth, design, noise sd): synthetic data from known parameters
FAMILIES = {
    "power": ({"x": "N"}, {"E": 10.0, "A": 100.0, "alpha": 0.07}, _one("N", 1e6, 1e9), 0.01),
    "chinchilla": ({}, {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28},
                   chinchilla_design(), 0.01),
    "compute": ({}, {"E": 2.0, "A": 130.0, "gamma": 0.106}, _one("C", 1e17, 3e20), 0.01),
    "kaplan_n": ({}, {"N_c": 8.8e13, "alpha_N": 0.076}, _one("N", 1e7, 1e10), 0.005),
    "kaplan_d": ({}, {"D_c": 5.4e13, "alpha_D": 0.095}, _one("D", 1e8, 1e11), 0.005),
    "kaplan_c": ({}, {"C_c": 1.6e7, "alpha_C": 0.057}, _one("C", 1e-3, 1e2), 0.005),
    "kaplan": ({}, {"N_c": 6.4e13, "D_c": 1.8e13, "alpha_N": 0.076, "alpha_D": 0.103},
               chinchilla_design(), 0.005),
    "data_constrained": ({}, MUENNIGHOFF, _repeated(), 0.01),
    "bnsl": ({"x": "C", "breaks": 1}, {"a": 1.5, "b": 50.0, "c0": 0.1, "c1": 0.3,
                                        "d1": 1e19, "f1": 0.5}, _one("C", 1e16, 1e22, 25), 0.005),
    "loglinear": ({"x": "C", "chance": 0.25}, {"a": -1.2, "b": 0.08}, _one("C", 1e20, 1e24, 20),
                  None),
    "sigmoid": ({"x": "C", "chance": 0.25}, {"ceiling": 0.85, "slope": 1.5, "midpoint": 22.5},
                _one("C", 1e19, 1e25, 24), None),
    "accuracy_from_loss": ({"chance": 0.25}, {"ceiling": 0.9, "slope": 4.0, "L0": 2.2},
                           pd.DataFrame({"loss": np.linspace(1.8, 3.2, 20)}), None),
    "custom": ({"expression": "E + A * N**(-alpha) + B * D**(-beta)"},
               {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28},
               chinchilla_design(), 0.01),
}
CUSTOM_PRIORS = {"E": {"dist": "LogNormal", "mu": 0.5, "sigma": 0.5},
                 "A": {"dist": "LogNormal", "mu": 6.0, "sigma": 1.5},
                 "B": {"dist": "LogNormal", "mu": 6.0, "sigma": 1.5},
                 "alpha": {"dist": "LogNormal", "mu": -1.2, "sigma": 0.6},
                 "beta": {"dist": "LogNormal", "mu": -1.2, "sigma": 0.6}}


def synthetic(name, seed=0):
    options, truth, design, sigma = FAMILIES[name]
    law = bs.get_law(name, **options)
    if law.response == "loss":
        return law, simulate_runs(law, truth, design, sigma=sigma, seed=seed)
    rng = np.random.default_rng(seed)
    mean = law.evaluate({k: design[k] for k in law.inputs}, truth)
    phi = 300.0
    df = design.copy()
    df["accuracy"] = rng.beta(mean * phi, (1 - mean) * phi)
    return law, df


def priors_for(name):
    return CUSTOM_PRIORS if name == "custom" else None


# -- published values -------------------------------------------------------------------------
@pytest.mark.parametrize("n, expected", [(1e8, 2.8300), (1e9, 2.3756), (1e10, 1.9943)])
def test_kaplan_n_published(n, expected):
    law = bs.get_law("kaplan_n")
    value = law.loss({"N": n}, {"N_c": 8.8e13, "alpha_N": 0.076})
    assert value == pytest.approx(expected, abs=5e-5)       # the references' own precision
    assert value == pytest.approx((8.8e13 / n) ** 0.076, rel=1e-12)


def test_kaplan_d_and_c_published():
    assert bs.get_law("kaplan_d").loss({"D": 1e10}, {"D_c": 5.4e13, "alpha_D": 0.095}) == \
        pytest.approx(2.2624, abs=5e-5)
    # compute-efficient frontier, C in PF-days (Kaplan Table 5): L(C_min = 1) = 2.6581
    assert bs.get_law("kaplan_c").loss({"C": 1.0}, {"C_c": 3.1e8, "alpha_C": 0.050}) == \
        pytest.approx(2.6581, abs=5e-5)


@pytest.mark.parametrize("n, d, expected", [(1e9, 1e10, 2.41965), (1e8, 1e9, 2.95673)])
def test_kaplan_joint_published(n, d, expected):
    p = {"N_c": 6.4e13, "D_c": 1.8e13, "alpha_N": 0.076, "alpha_D": 0.103}
    value = bs.get_law("kaplan").loss({"N": n, "D": d}, p)
    assert value == pytest.approx(expected, abs=5e-6)
    direct = ((6.4e13 / n) ** (0.076 / 0.103) + 1.8e13 / d) ** 0.103
    assert value == pytest.approx(direct, rel=1e-12)


@pytest.mark.parametrize("n, d, u, expected", [(6.34e9, 242e9, 25e9, 2.2256440889984477),
                                               (8.67e9, 178e9, 25e9, 2.2269634075087867)])
def test_data_constrained_golden_values(n, d, u, expected):
    law = bs.get_law("data_constrained")
    assert law.loss({"N": n, "D": d, "U": u}, MUENNIGHOFF) == pytest.approx(expected, rel=1e-13)


def test_data_constrained_reduces_to_chinchilla_without_repetition():
    law = bs.get_law("data_constrained")
    p = dict(MUENNIGHOFF)
    chin = {k: p[k] for k in ("E", "A", "B", "alpha", "beta")}
    # unique data = all data, and N below the compute-optimal size for U: N' = N, D' = D
    value = law.loss({"N": 1e8, "D": 2e10, "U": 2e10}, p)
    assert value == pytest.approx(bs.get_law("chinchilla").loss({"N": 1e8, "D": 2e10}, chin),
                                  rel=1e-12)


def test_compute_law_states_its_convention():
    law = bs.get_law("compute", k=8)
    assert law.to_dict() == {"name": "compute", "k": 8.0}
    runs = bs.configure(pd.DataFrame({"N": [1e8, 2e8], "D": [1e9, 3e9],
                                              "loss": [3.0, 2.8]}), law)[1]
    np.testing.assert_allclose(runs.values("C"), [8e17, 4.8e18])
    assert runs.notes == ("C derived as 8·N·D",)


# -- numpy law == PyMC graph, for every family --------------------------------------------------
@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_numpy_equals_graph(name):
    law, df = synthetic(name)
    spec, runs = configure(df, law, priors=priors_for(name))
    model = build_model(spec, runs)
    import pytensor

    names = list(law.param_names)
    outs = model.replace_rvs_by_values([model["location"], *[model[n] for n in names]])
    f = pytensor.function(model.value_vars, outs, on_unused_input="ignore")
    rng = np.random.default_rng(1)
    start = model.initial_point()
    logx = {k: runs.log(k) for k in law.inputs}
    for _ in range(3):
        point = {k: v + rng.normal(0, 0.3, np.shape(v)) for k, v in start.items()}
        graph, *values = f(*[point[v.name] for v in model.value_vars])
        theta = dict(zip(names, values, strict=True))
        np.testing.assert_allclose(graph, law.location(np, logx, theta), rtol=1e-10, atol=1e-12)
    assert np.isfinite(model.compile_logp()(start))


# -- properties ----------------------------------------------------------------------------------
@settings(max_examples=100, deadline=None)
@given(alpha=st.floats(0.02, 0.5), scale=st.floats(10, 30), n=st.floats(5, 15))
def test_kaplan_single_is_decreasing_without_a_floor(alpha, scale, n):
    law = bs.get_law("kaplan_n")
    p = {"N_c": 10**scale, "alpha_N": alpha}
    base = law.loss({"N": 10**n}, p)
    assert law.loss({"N": 10 ** (n + 1)}, p) < base
    assert law.loss({"N": 10 ** (n + 1)}, p) / base == pytest.approx(10 ** -alpha, rel=1e-9)


@settings(max_examples=100, deadline=None)
@given(a_n=st.floats(0.03, 0.3), a_d=st.floats(0.03, 0.3), n=st.floats(6, 12),
       d=st.floats(8, 13))
def test_kaplan_joint_decreasing_in_n_and_d(a_n, a_d, n, d):
    law = bs.get_law("kaplan")
    p = {"N_c": 6.4e13, "D_c": 1.8e13, "alpha_N": a_n, "alpha_D": a_d}
    base = law.loss({"N": 10**n, "D": 10**d}, p)
    more_n = law.loss({"N": 10 ** (n + 0.5), "D": 10**d}, p)
    more_d = law.loss({"N": 10**n, "D": 10 ** (d + 0.5)}, p)
    assert more_n <= base and more_d <= base
    n_term, d_term = (6.4e13 / 10**n) ** (a_n / a_d), 1.8e13 / 10**d
    if min(n_term, d_term) > 1e-9 * max(n_term, d_term):   # both terms resolvable in float64
        assert more_n < base and more_d < base


@settings(max_examples=100, deadline=None)
@given(n=st.floats(7, 11), ratio=st.floats(1, 400), unique=st.floats(8, 12))
def test_data_constrained_more_data_or_params_never_hurts(n, ratio, unique):
    law = bs.get_law("data_constrained")
    point = {"N": 10**n, "D": 10**n * ratio, "U": min(10**unique, 10**n * ratio)}
    base = law.loss(point, MUENNIGHOFF)
    assert base > MUENNIGHOFF["E"]
    assert law.loss({**point, "D": point["D"] * 2}, MUENNIGHOFF) <= base + 1e-12
    assert law.loss({**point, "N": point["N"] * 2}, MUENNIGHOFF) <= base + 1e-12
    # repeated tokens are worth less than fresh ones
    fresh = law.loss({**point, "U": point["D"]}, MUENNIGHOFF)
    assert fresh <= base + 1e-12


@settings(max_examples=100, deadline=None)
@given(ceiling=st.floats(0.5, 1.0), slope=st.floats(0.1, 5), mid=st.floats(18, 28),
       c=st.floats(15, 30))
def test_sigmoid_stays_between_chance_and_ceiling(ceiling, slope, mid, c):
    law = bs.get_law("sigmoid", x="C", chance=0.25)
    p = {"ceiling": ceiling, "slope": slope, "midpoint": mid}
    acc = law.evaluate({"C": 10**c}, p)
    assert 0.25 <= acc <= ceiling
    assert law.evaluate({"C": 10 ** (c + 1)}, p) >= acc
    assert law.evaluate({"C": 10**mid}, p) == pytest.approx((0.25 + ceiling) / 2)


def test_bnsl_without_break_effect_is_a_power_law():
    law = bs.get_law("bnsl", x="C", breaks=2)
    p = {"a": 1.5, "b": 50.0, "c0": 0.1, "c1": 0.0, "d1": 1e18, "f1": 0.3, "c2": 0.0,
         "d2": 1e20, "f2": 1.0}
    c = np.geomspace(1e15, 1e23, 9)
    np.testing.assert_allclose(law.loss({"C": c}, p), 1.5 + 50.0 * c**-0.1, rtol=1e-12)
    # a positive change of slope steepens the curve after the break
    steep = law.loss({"C": c}, {**p, "c1": 0.3})
    assert steep[-1] < 1.5 + 50.0 * c[-1] ** -0.1


def test_loglinear_warns_outside_chance_and_one():
    fit = bs.testing.fake_fit("loglinear", truth=FAMILIES["loglinear"][1],
                              runs=synthetic("loglinear")[1], law_options={"x": "C",
                                                                            "chance": 0.25})
    with pytest.warns(bs.ExtrapolationWarning, match="leaves \\[chance = 0.25, 1\\]"):
        fit.predict({"C": [1e35]})


def test_bnsl_flags_an_unidentified_break():
    fit = bs.testing.fake_fit("bnsl", truth=FAMILIES["bnsl"][1], runs=synthetic("bnsl")[1],
                              law_options={"x": "C", "breaks": 1}, spread=0.0)
    # a posterior as wide as the prior for d1: the data did not locate the break
    wide = fit.spec.priors["d1"].params["sigma"]
    d1 = np.exp(np.random.default_rng(0).normal(np.log(1e19), wide, fit.n_draws))
    draws = fit.draws() | {"d1": d1}
    assert any("break 1 is not identified" in m for m in fit.law.checks(fit.spec, draws))
    assert fit.law.checks(fit.spec, fit.draws()) == []


def test_accuracies_at_zero_or_one_are_squeezed():
    law, df = synthetic("sigmoid")
    df.loc[0, "accuracy"], df.loc[1, "accuracy"] = 0.0, 1.0
    _, runs = configure(df, law)
    assert 0 < runs.y.min() and runs.y.max() < 1
    assert any("squeezed" in note for note in runs.notes)
    bad = df.assign(accuracy=df["accuracy"] + 1.5)
    with pytest.raises(bs.DataError, match="an accuracy must be between 0 and 1"):
        configure(bad, law)


def test_accuracy_laws_refuse_loss_likelihoods():
    law, df = synthetic("sigmoid")
    with pytest.raises(bs.SpecError, match="likelihood 'studentt' models loss, but this law "
                                           "predicts accuracy; choose one of beta, logitnormal"):
        configure(df, law, likelihood="studentt")


def test_two_step_carries_the_loss_uncertainty():
    loss_fit = bs.testing.fake_fit("chinchilla")
    _, pairs = synthetic("accuracy_from_loss")
    acc_fit = bs.testing.fake_fit("accuracy_from_loss", truth=FAMILIES["accuracy_from_loss"][1],
                                  runs=pairs, law_options={"chance": 0.25})
    chain = bs.two_step(loss_fit, acc_fit)
    out = chain.predict({"N": [1e8, 7e10], "D": [2e9, 1.4e12]}, prob=0.9)
    assert list(out.columns)[-7:] == ["loss", "prob", "median", "lower", "upper", "pp_lower",
                                      "pp_upper"]
    assert ((out["lower"] < out["median"]) & (out["median"] < out["upper"])).all()
    assert ((out["lower"] >= 0.25) & (out["upper"] <= 0.9)).all()
    assert out["median"][1] > out["median"][0]        # lower loss, higher accuracy
    # a sharper loss posterior gives a narrower accuracy band
    sharp = bs.two_step(bs.testing.fake_fit("chinchilla", spread=0.002), acc_fit)
    narrow = sharp.predict({"N": [7e10], "D": [1.4e12]}, prob=0.9)
    assert (narrow["upper"] - narrow["lower"])[0] < (out["upper"] - out["lower"])[1]
    with pytest.raises(bs.SpecError, match="the second fit must map loss to accuracy"):
        bs.two_step(loss_fit, loss_fit)


# -- recovery with real MCMC (slow) --------------------------------------------------------------
RECOVER = ["compute", "kaplan_n", "kaplan", "data_constrained", "bnsl", "sigmoid", "loglinear",
           "accuracy_from_loss"]


@pytest.mark.slow
@pytest.mark.parametrize("name", RECOVER)
def test_recovery(name):
    """One dataset per family from known parameters. A calibrated posterior misses each
    parameter's 95% interval 5% of the time: over these ~45 parameters about two misses are
    expected, so each family must cover every truth at 99% and all but at most one at 95%
    (the benchmarks' coverage study measures calibration properly).

    The margins must hold on any CPU, where floating point makes the chains differ as another
    seed would. 4000 draws (about +1 s per family over 1000) shrink the Monte Carlo noise in
    R-hat and in the interval ends: over 8 sampler seeds the truths nearest an interval end are
    bnsl's a at tail probability >= 0.0099 (the 99% check cuts at 0.005; with 1000 draws it
    came to 0.0072) and its c1 at >= 0.041 (the 95% check's second miss would need < 0.025)."""
    law, df = synthetic(name, seed=11)
    fit = bs.fit(df, law, random_seed=5, draws=4000, tune=1000)
    truth = FAMILIES[name][1]

    def missed(prob):
        table = fit.summary(prob=prob)
        return {k: (v, table.loc[k, "lower"], table.loc[k, "upper"]) for k, v in truth.items()
                if not table.loc[k, "lower"] < v < table.loc[k, "upper"]}

    assert not missed(0.99), missed(0.99)
    assert len(missed(0.95)) <= 1, missed(0.95)
    table = fit.summary()
    # R-hat <= 1.02: the fit's own warning fires at 1.01; this asks that the sampler converged,
    # with a margin for another CPU's floating point (1000 draws: 1.0102 seen on another
    # machine for accuracy_from_loss, 1.0115 for bnsl at another seed; 4000 draws: worst
    # 1.0043 over 8 seeds). A stuck or unconverged chain gives R-hat of 1.05 and more.
    assert table["r_hat"].max() <= 1.02, table["r_hat"]
    assert fit.diagnostics["divergences"] <= 2          # 0 in every seed tried


@pytest.mark.slow
def test_custom_expression_gives_the_chinchilla_posterior():
    _, df = synthetic("chinchilla", seed=12)
    # 4000 draws (about +2 s): the custom graph mixes slowly (1000 draws: ESS 25-390, R-hat up
    # to 1.05) and with 1000 draws the sd check failed for one sampler seed in 5 (beta's sd off
    # by 17%); with 4000 draws the worst over 8 seeds is 8% (sd) and 2.8 MCSE (median)
    custom = bs.fit(df, "custom", law_options={"expression": FAMILIES["custom"][0]["expression"]},
                    priors=CUSTOM_PRIORS, base="weak", random_seed=1, draws=4000)
    # the same priors for both: field priors apply to the built-in law only
    native = bs.fit(df, "chinchilla", priors=CUSTOM_PRIORS, base="weak", random_seed=2,
                    draws=4000)
    a, b = custom.summary(), native.summary()
    for name in ("E", "alpha", "beta", "sigma"):
        # medians within Monte Carlo error (a few MCSE ~ sd/sqrt(ESS))
        mcse = a.loc[name, "sd"] / math.sqrt(min(a.loc[name, "ess_bulk"], b.loc[name, "ess_bulk"]))
        assert abs(a.loc[name, "median"] - b.loc[name, "median"]) < 5 * mcse + 1e-9, name
        assert a.loc[name, "sd"] == pytest.approx(b.loc[name, "sd"], rel=0.15), name


@pytest.mark.slow
def test_obsscaling_sigmoid_stays_inside_chance_and_one(shared_data):
    ob = pd.read_csv(shared_data / "obsscaling.csv")
    moe = ob["model"].str.contains("Mixtral|DeepSeek-V2|MoE|moe", regex=True)
    mmlu = ob[(ob.model_type == "base") & (ob.source == "benchmark") & (ob.metric == "MMLU")
              & ob.C.notna() & ~moe].rename(columns={"value": "accuracy"})
    fit = bs.fit(mmlu, "sigmoid", x="C", law_options={"chance": 0.25}, random_seed=3)
    # R-hat <= 1.02: the fit's own warning fires at 1.01; the test asks that the sampler
    # converged, with a margin for another CPU's floating point (worst over 5 seeds: 1.0048;
    # 4000 draws would bring it to 1.001 but cost ~6 s here)
    assert fit.summary()["r_hat"].max() <= 1.02
    pred = fit.predict({"C": np.geomspace(1e18, 1e27, 10)})
    assert (pred["lower"] >= 0.25).all() and (pred["upper"] <= 1.0).all()
    assert pred["median"].is_monotonic_increasing


@settings(max_examples=100, deadline=None)
@given(c0=st.floats(0.05, 0.5), c1=st.floats(-0.04, 0.5), f1=st.floats(0.1, 3),
       d1=st.floats(17, 21), x=st.floats(15, 23))
def test_bnsl_stays_above_its_floor_and_falls_to_it(c0, c1, f1, d1, x):
    assume(c0 + c1 > 0.1)  # a clearly positive slope after the break
    law = bs.get_law("bnsl", x="C", breaks=1)
    p = {"a": 1.5, "b": 50.0, "c0": c0, "c1": c1, "d1": 10**d1, "f1": f1}
    assert law.loss({"C": 10**x}, p) > 1.5
    # the slope far beyond the break is c0 + c1 > 0: the loss tends to the floor
    assert law.loss({"C": 1e250}, p) == pytest.approx(1.5, rel=1e-6)


@settings(max_examples=100, deadline=None)
@given(ceiling=st.floats(0.5, 1.0), slope=st.floats(0.5, 10), l0=st.floats(1.5, 3.5),
       loss=st.floats(1.0, 5.0))
def test_accuracy_from_loss_falls_with_loss_between_chance_and_ceiling(ceiling, slope, l0,
                                                                       loss):
    law = bs.get_law("accuracy_from_loss", chance=0.25)
    p = {"ceiling": ceiling, "slope": slope, "L0": l0}
    acc = law.evaluate({"loss": loss}, p)
    assert 0.25 <= acc <= ceiling
    assert law.evaluate({"loss": loss + 0.1}, p) <= acc


def test_beta_predictive_quantiles_are_fast_and_right_for_huge_precision():
    """Near noise-free accuracies give phi ~ 1e9, where betaincinv crawls: the Gaussian
    quantile used there agrees with it to high precision."""
    from scipy.special import betaincinv

    from bayescale.model.likelihoods import get_likelihood

    lik = get_likelihood("beta", response="accuracy")
    location = np.array([[0.3, 0.9], [0.5, 0.99]])
    for phi in (5e4, 1e9):
        theta = {"phi": np.array([phi, phi])}
        got = lik.simulate(np.random.default_rng(1), location, theta)
        u = np.random.default_rng(1).uniform(size=(2, 1))
        exact = betaincinv(location * phi, (1 - location) * phi, np.broadcast_to(u, (2, 2)))
        np.testing.assert_allclose(got, exact, rtol=1e-3 if phi < 1e6 else 1e-6)
