import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from bayescale.data import Runs
from bayescale.data.simulate import chinchilla_design, simulate_runs
from bayescale.errors import SpecError
from bayescale.laws import get_law
from bayescale.model import Coordinate, ModelSpec, block_forward, build_model
from bayescale.priors import Prior
from bayescale.testing import EPOCH_CHINCHILLA, FOUNDING_EXAMPLE


def make(law="chinchilla", likelihood="studentt", priors=None, seed=0):
    law_obj = get_law(law, x="N") if law == "power" else get_law(law)
    if law == "power":
        design = pd.DataFrame({"N": np.geomspace(1e6, 1e9, 8)})
        truth = FOUNDING_EXAMPLE
    else:
        design, truth = chinchilla_design(), EPOCH_CHINCHILLA
    df = simulate_runs(law_obj, truth, design, seed=seed)
    runs = Runs.from_frame(df, law_obj.inputs)
    spec = ModelSpec.resolve(law_obj, likelihood, priors, runs, base="weak")
    return spec, runs, build_model(spec, runs)


def graph_fn(model, outs):
    """Compile graph outputs as a function of a point {value-variable name: value}."""
    import pytensor

    single = not isinstance(outs, list)
    outs = model.replace_rvs_by_values([outs] if single else outs)
    f = pytensor.function(model.value_vars, outs, on_unused_input="ignore")

    def call(point):
        res = f(*[point[v.name] for v in model.value_vars])
        return res[0] if single else res

    return call


def random_points(model, n=5, seed=0):
    rng = np.random.default_rng(seed)
    start = model.initial_point()
    for _ in range(n):
        yield {k: v + rng.normal(0, 0.7) for k, v in start.items()}


@pytest.mark.parametrize("law", ["chinchilla", "power"])
def test_numpy_law_equals_graph_law(law):
    spec, runs, model = make(law)
    names = [*spec.law.param_names]
    fn = graph_fn(model, [model["location"], *[model[n] for n in names]])
    logx = {k: runs.log(k) for k in spec.law.inputs}
    for point in random_points(model):
        graph_mu, *values = fn(point)
        theta = dict(zip(names, values, strict=True))
        numpy_mu = spec.law.location(np, logx, theta)
        np.testing.assert_allclose(graph_mu, numpy_mu, rtol=1e-10, atol=1e-12)
        assert 0 < theta["E"] < runs.loss.min()


def _manual_logp(spec, runs, point, lik="studentt", extra=None):
    """Independent log density: scipy priors on the targets + Jacobians + likelihood.

    Coordinates: E and the A_ref through the loss at the pivot (ModelSpec.block_forward, whose
    Jacobian is checked by finite differences below); exponents on the default half-line are
    sampled as slopes at the pivot, log alpha = z + log L_ref − log A_ref with
    L_ref = E + A_ref + B_ref (Jacobian term log alpha)."""
    ref = spec.reference
    e, (a_ref, b_ref), log_jac = spec.sampling.block_forward(
        np, point["loss_ref_z"], point["E_z"], [point["A_z"]], spec.loss_min)
    th = {"E": e, "sigma": math.exp(point["sigma_z"])}
    l_ref = e + a_ref + b_ref
    lp = log_jac + stats.beta(2, 2, scale=spec.loss_min).logpdf(e)
    amp = stats.lognorm(1.5, scale=math.exp(math.log(runs.scales(["N"]).reducible / 2)))
    lp += amp.logpdf(a_ref) + amp.logpdf(b_ref)
    expo = stats.lognorm(0.6, scale=0.3)
    if extra == "uniform_alpha":  # bounded prior: plain interval coordinate, no shear
        th["alpha"] = 0.1 + 0.9 / (1 + math.exp(-point["alpha_z"]))
        u = (th["alpha"] - 0.1) / 0.9
        lp += stats.uniform(0.1, 0.9).logpdf(th["alpha"]) + math.log(0.9 * u * (1 - u))
    else:
        th["alpha"] = math.exp(point["alpha_z"]) * l_ref / a_ref
        lp += expo.logpdf(th["alpha"]) + math.log(th["alpha"])
    th["beta"] = math.exp(point["beta_z"]) * l_ref / b_ref
    lp += expo.logpdf(th["beta"]) + math.log(th["beta"])
    th["A"] = a_ref * ref["N"] ** th["alpha"]
    th["B"] = b_ref * ref["D"] ** th["beta"]
    lp += stats.halfnorm(scale=0.05).logpdf(th["sigma"]) + point["sigma_z"]
    mu = spec.law.location(np, {k: runs.log(k) for k in ("N", "D")}, th)
    y = np.log(runs.loss)
    if lik == "studentt":
        lp += stats.t(4, mu, th["sigma"]).logpdf(y).sum()
    elif lik == "laplace":
        lp += stats.laplace(mu, th["sigma"]).logpdf(y).sum()
    else:
        lp += stats.norm(mu, th["sigma"]).logpdf(y).sum()
    return lp


@pytest.mark.parametrize("lik", ["studentt", "laplace", "normal"])
def test_model_logp_equals_independent_computation(lik):
    spec, runs, model = make(likelihood=lik)
    logp = model.compile_logp()
    for point in random_points(model, n=3):
        assert logp(point) == pytest.approx(_manual_logp(spec, runs, point, lik), rel=1e-9)


def test_bounded_prior_gets_an_interval_coordinate():
    spec, runs, model = make(priors={"alpha": Prior("Uniform", lower=0.1, upper=1.0)})
    assert spec.coordinate(spec.law.param("alpha")) == Coordinate(0.1, 1.0)
    logp = model.compile_logp()
    for point in random_points(model, n=3):
        want = _manual_logp(spec, runs, point, extra="uniform_alpha")
        assert logp(point) == pytest.approx(want, rel=1e-9)


def test_prior_on_natural_amplitude_replaces_reference_prior():
    spec, _runs, model = make(priors={"A": Prior("LogNormal", mu=math.log(400), sigma=1)})
    assert "A" in spec.priors and "A_ref" not in spec.priors
    fn = graph_fn(model, [model["A"], model["alpha"]])
    pot = graph_fn(model, model["prior_A"])
    for point in random_points(model, n=3):
        a, alpha = fn(point)
        # density of A plus log|dA/dA_ref| = alpha·log N_ref (the map to A_ref has its own
        # Jacobian in the "coordinates" potential)
        want = stats.lognorm(1, scale=400).logpdf(a) + alpha * math.log(spec.reference["N"])
        assert float(pot(point)) == pytest.approx(want, rel=1e-9)


def test_fixed_parameters_are_not_sampled():
    spec, _runs, model = make(priors={"nu": 5, "beta": 0.3})
    free = {v.name for v in model.free_RVs}
    assert free == {"E_z", "A_z", "loss_ref_z", "alpha_z", "sigma_z"}  # B via the pivot
    assert spec.free_params == ["E", "A", "B", "alpha", "sigma"]
    full = spec.complete({k: np.ones(3) for k in spec.free_params})
    assert full["nu"].tolist() == [5.0] * 3 and full["beta"].tolist() == [0.3] * 3
    logp, dlogp = model.compile_logp(), model.compile_dlogp()
    point = model.initial_point()
    assert np.isfinite(logp(point)) and np.all(np.isfinite(dlogp(point)))


def test_new_data_or_prior_values_keep_the_structure():
    spec1, _, _ = make(seed=0)
    spec2, _, _ = make(seed=1, priors={"alpha": Prior("LogNormal", mu=-1, sigma=0.3)})
    assert list(spec1.sampling.settings()) == list(spec2.sampling.settings())
    assert spec1.sampling.settings() != spec2.sampling.settings()


@pytest.mark.parametrize("priors, match", [
    ({"gamma": 1}, "unknown parameter 'gamma'; law 'chinchilla' with likelihood 'studentt' "
                   r"takes E, A \(or A_ref\), B \(or B_ref\), alpha, beta, sigma, nu"),
    ({"A": 1, "A_ref": 2}, "give a prior for 'A' or for 'A_ref', not both"),
    ({"E": 50.0}, r"E fixed at 50 is outside its range .* lowest observed loss"),
    ({"alpha": Prior("Uniform", lower=-2, upper=-1)}, "puts no mass on its range"),
])
def test_prior_spec_errors(priors, match):
    with pytest.raises(SpecError, match=match):
        make(priors=priors)


def test_spec_round_trip():
    spec, _, _ = make(priors={"nu": 5})
    again = ModelSpec.from_dict(spec.to_dict())
    assert again.to_dict() == spec.to_dict()
    assert again.law == spec.law and again.priors == spec.priors


def test_prior_draws_respect_ranges():
    spec, runs, _ = make()
    draws = spec.sample_prior(2000, np.random.default_rng(0))
    assert np.all((draws["E"] > 0) & (draws["E"] < runs.loss.min()))
    a_ref = draws["A"] * spec.reference["N"] ** (-draws["alpha"])
    # A_ref ~ LogNormal(log(reducible/2), 1.5)
    assert np.median(np.log(a_ref)) == pytest.approx(
        math.log(runs.scales(["N"]).reducible / 2), abs=0.1)


def test_new_data_and_settings_through_set_data_equal_a_fresh_model():
    """The contract compile-once relies on: same structure, new runs and numbers via pm.set_data
    give exactly the log density of a model built from scratch."""
    import pymc as pm

    spec1, runs1, model = make(seed=0)
    df2 = simulate_runs("chinchilla", EPOCH_CHINCHILLA, chinchilla_design(n_sizes=4), seed=9)
    runs2 = Runs.from_frame(df2, ["N", "D"])
    spec2 = ModelSpec.resolve(spec1.law, "studentt", None, runs2, base="weak")
    assert spec2.sampling.structure() == spec1.sampling.structure() and runs2.n != runs1.n
    with model:
        pm.set_data({"log_N": runs2.log("N"), "log_D": runs2.log("D"),
                     "observed_value": np.log(runs2.loss),
                     "settings": np.fromiter(spec2.sampling.settings().values(), float)},
                    coords={"run": np.arange(runs2.n)})
    fresh = build_model(spec2, runs2)
    reused, rebuilt = model.compile_logp(), fresh.compile_logp()
    for point in random_points(fresh, n=3):
        assert reused(point) == pytest.approx(rebuilt(point), rel=1e-12)


def test_fixed_reference_amplitude_is_reported_and_varies():
    spec, _runs, model = make(priors={"A_ref": 0.5})
    assert "A" in spec.free_params and "A" not in spec.fixed
    assert {p.name for p in spec.sampled()} == {"alpha", "beta", "E", "sigma", "B"}
    draws = spec.sample_prior(500, np.random.default_rng(0))
    np.testing.assert_allclose(draws["A"], 0.5 * spec.reference["N"] ** draws["alpha"])
    fn = graph_fn(model, [model["A"], model["alpha"]])
    for point in random_points(model, n=2):
        a, alpha = fn(point)
        assert a == pytest.approx(0.5 * spec.reference["N"] ** alpha, rel=1e-12)


def test_bounded_prior_on_reference_amplitude_gets_an_interval():
    spec, _runs, model = make(priors={"A_ref": Prior("Uniform", lower=0.1, upper=2.0)})
    assert spec.coordinate(spec.law.param("A")) == Coordinate(0.1, 2.0)
    logp = model.compile_logp()
    rng = np.random.default_rng(0)
    for _ in range(20):  # no walls anywhere in the sampler's space
        point = {k: v + rng.normal(0, 3) for k, v in model.initial_point().items()}
        assert np.isfinite(logp(point))


def test_bounded_prior_on_natural_amplitude_is_refused():
    with pytest.raises(SpecError, match=r"a bounded prior on .A. is not supported.*A_ref"):
        make(priors={"A": Prior("Uniform", lower=300, upper=700)})


def test_floor_beta_without_bounds_uses_the_floor_range():
    spec, runs, _ = make(priors={"E": {"dist": "Beta", "alpha": 3, "beta": 2}})
    assert spec.priors["E"].params["upper"] == runs.loss.min()
    spec, _, _ = make(priors={"E": {"dist": "Beta", "alpha": 3, "beta": 2, "upper": 2.0}})
    assert spec.priors["E"].params["upper"] == 2.0


@pytest.mark.parametrize("k", [1, 2, 3])
def test_pivot_block_jacobian_by_finite_differences(k):
    """log|det J| of (z_loss, z_floor, z_shares) -> (E, A_ref_1..k) against numerics."""
    rng = np.random.default_rng(k)
    for loss_min in (2.0, 50.0):  # cap = L_min, and cap = L_ref
        z = rng.normal(0, 0.8, k + 1)
        z[0] += 1.0

        def forward(v, loss_min=loss_min):
            e, amps, _ = block_forward(np, v[0], v[1], list(v[2:]), loss_min)
            return np.array([e, *amps])

        _, amps, log_jac = block_forward(np, z[0], z[1], list(z[2:]), loss_min)
        h = 1e-6
        jac = np.column_stack([(forward(z + h * np.eye(k + 1)[i]) -
                                forward(z - h * np.eye(k + 1)[i])) / (2 * h)
                               for i in range(k + 1)])
        assert log_jac == pytest.approx(np.log(abs(np.linalg.det(jac))), abs=1e-6)
        assert all(a > 0 for a in amps)


def test_pivot_block_round_trip_and_eligibility():
    spec, _, _ = make()
    assert spec.sampling.pivot_block() is not None
    z_loss, z_floor, z_shares = spec.sampling.block_inverse(1.2, [0.4, 0.9])
    e, amps, _ = spec.sampling.block_forward(np, z_loss, z_floor, z_shares, spec.loss_min)
    assert e == pytest.approx(1.2) and amps == pytest.approx([0.4, 0.9])
    # narrower E prior, fixed or bounded amplitude: per-parameter coordinates instead
    for priors in ({"E": Prior("Uniform", lower=1.0, upper=1.5)}, {"A_ref": 0.5},
                   {"B_ref": Prior("Uniform", lower=0.1, upper=2)}):
        assert make(priors=priors)[0].sampling.pivot_block() is None


def test_structure_separates_specs_that_need_different_graphs():
    """A truncation at 0.05 (own coordinate) and at 0 (sampled as a slope) must not share a
    compiled model; a spec reloaded from JSON must pack its numbers like a fresh one."""
    at_zero, _, _ = make(priors={"alpha": Prior("TruncatedNormal", mu=0.3, sigma=0.1,
                                                lower=0.0)})
    above, _, _ = make(priors={"alpha": Prior("TruncatedNormal", mu=0.3, sigma=0.1,
                                              lower=0.05)})
    assert at_zero.sampling.structure() != above.sampling.structure()
    spec, _, _ = make()
    reloaded = ModelSpec.from_dict(json.loads(json.dumps(spec.to_dict(), sort_keys=True)))
    assert reloaded.sampling.structure() == spec.sampling.structure()
    assert reloaded.sampling.settings() == spec.sampling.settings()


def test_fixed_natural_amplitude_on_a_two_term_law():
    spec, runs, model = make(priors={"B": 2000.0})
    assert spec.sampling.pivot_block() is None
    assert all(spec.sampling.slope_pair(p) is None for p in spec.params)
    assert np.isfinite(model.compile_logp()(model.initial_point()))
    from bayescale.inference.laplace import log_posterior

    z = np.array([[model.initial_point()[n] for n in spec.sampling.z_names()]])
    assert np.isfinite(log_posterior(spec, runs)(z)).all()
