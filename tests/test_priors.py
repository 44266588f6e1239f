import math

import numpy as np
import pytest
from scipy import stats

from bayescale.errors import SpecError
from bayescale.priors import DISTRIBUTIONS, Prior, parse_priors, read_priors_toml

EXAMPLES = {
    "Normal": Prior("Normal", mu=0.3, sigma=0.2),
    "LogNormal": Prior("LogNormal", mu=-1.2, sigma=0.6),
    "HalfNormal": Prior("HalfNormal", sigma=0.05),
    "StudentT": Prior("StudentT", nu=4, mu=1, sigma=0.5),
    "HalfStudentT": Prior("HalfStudentT", nu=3, sigma=0.1),
    "Gamma": Prior("Gamma", alpha=2, beta=0.1),
    "Exponential": Prior("Exponential", lam=3),
    "Beta": Prior("Beta", alpha=2, beta=3, lower=1, upper=3),
    "Uniform": Prior("Uniform", lower=0.1, upper=0.9),
    "TruncatedNormal": Prior("TruncatedNormal", mu=1.7, sigma=0.3, lower=1.0, upper=2.0),
}

SCIPY = {
    "Normal": lambda p: stats.norm(p["mu"], p["sigma"]),
    "LogNormal": lambda p: stats.lognorm(p["sigma"], scale=math.exp(p["mu"])),
    "HalfNormal": lambda p: stats.halfnorm(scale=p["sigma"]),
    "StudentT": lambda p: stats.t(p["nu"], p["mu"], p["sigma"]),
    "HalfStudentT": lambda p: None,  # no scipy equivalent: compared with |t| below
    "Gamma": lambda p: stats.gamma(p["alpha"], scale=1 / p["beta"]),
    "Exponential": lambda p: stats.expon(scale=1 / p["lam"]),
    "Beta": lambda p: stats.beta(p["alpha"], p["beta"], loc=p["lower"],
                                 scale=p["upper"] - p["lower"]),
    "Uniform": lambda p: stats.uniform(p["lower"], p["upper"] - p["lower"]),
    "TruncatedNormal": lambda p: stats.truncnorm((p["lower"] - p["mu"]) / p["sigma"],
                                                 (p["upper"] - p["mu"]) / p["sigma"],
                                                 p["mu"], p["sigma"]),
}


def test_every_distribution_has_an_example():
    assert set(EXAMPLES) | {"Fixed"} == set(DISTRIBUTIONS)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_numpy_samples_match_reference_distribution(name):
    prior = EXAMPLES[name]
    x = prior.sample(np.random.default_rng(1), 20000)
    lo, hi = prior.support
    assert np.all((x >= lo) & (x <= hi))
    ref = SCIPY[name](prior.params)
    if ref is None:  # HalfStudentT: |t| scaled
        ref_x = np.abs(prior.params["sigma"] * stats.t(prior.params["nu"]).rvs(
            20000, random_state=2))
        assert stats.ks_2samp(x, ref_x).pvalue > 1e-3
    else:
        assert stats.kstest(x, ref.cdf).pvalue > 1e-3


@pytest.mark.parametrize("symbolic", [False, True], ids=["constants", "data"])
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_pytensor_logp_matches_scipy(name, symbolic):
    import pytensor

    prior = EXAMPLES[name]
    x = prior.sample(np.random.default_rng(3), 5)
    # the model passes the parameters as symbolic data; both forms must agree with scipy
    params = ({k: pytensor.shared(np.float64(v)) for k, v in prior.params.items()}
              if symbolic else None)
    got = np.array([float(prior.logp(v, params).eval()) for v in x])
    if name == "HalfStudentT":
        nu, s = prior.params["nu"], prior.params["sigma"]
        want = np.log(2) + stats.t(nu, 0, s).logpdf(x)
    else:
        want = SCIPY[name](prior.params).logpdf(x)
    np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-8)
    # the numpy log-density of the compile-free MAP path agrees too
    np.testing.assert_allclose(prior.logpdf(x), want, rtol=1e-7, atol=1e-8)


def test_scipy_stats_is_imported_only_when_a_density_is_evaluated():
    import subprocess
    import sys

    code = ("import sys; from bayescale.priors import Prior; p = Prior('Gamma', alpha=2, beta=1);"
            " n = Prior('Normal', mu=0, sigma=1); before = 'scipy.stats' in sys.modules; "
            "n.logpdf([0.0]); normal = 'scipy.stats' in sys.modules; p.logpdf([1.0]); "
            "print(before, normal, 'scipy.stats' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    # the commonest densities are closed forms (no scipy.stats); the others load it on use
    assert out.stdout.split() == ["False", "False", "True"]


def test_numpy_logpdf_is_minus_infinity_outside_the_support():
    assert np.isneginf(Prior("LogNormal", mu=0, sigma=1).logpdf([-1.0])).all()
    assert np.isneginf(Prior("Uniform", lower=0.1, upper=0.9).logpdf([0.95])).all()
    assert np.isneginf(Prior("Beta", alpha=2, beta=2, lower=1, upper=2).logpdf([0.5])).all()
    tail = Prior("TruncatedNormal", mu=0.0, sigma=0.1, lower=0.9, upper=2.0)
    want = stats.truncnorm((0.9 - 0) / 0.1, 20, 0, 0.1).logpdf([0.95])
    np.testing.assert_allclose(tail.logpdf([0.95]), want, rtol=1e-9)


def test_round_trip_through_dict():
    for prior in [*EXAMPLES.values(), Prior.fixed(4)]:
        assert Prior.from_dict(prior.to_dict()) == prior


def test_number_means_fixed_and_flat_dicts_are_accepted():
    priors = parse_priors({"nu": 4, "alpha": {"dist": "LogNormal", "mu": -1, "sigma": 0.5},
                           "beta": {"dist": "Normal", "kwargs": {"mu": 0.3, "sigma": 0.1}}})
    assert priors["nu"].is_fixed and priors["nu"].value == 4.0
    assert priors["alpha"] == Prior("LogNormal", mu=-1, sigma=0.5)
    assert priors["beta"].params == {"mu": 0.3, "sigma": 0.1}


@pytest.mark.parametrize("bad, match", [
    ({"dist": "Weibull", "alpha": 1}, "unknown prior distribution 'Weibull'"),
    ({"dist": "Normal", "mu": 0}, "needs parameter 'sigma'"),
    ({"dist": "Normal", "mu": 0, "sigma": -1}, "'sigma' must be > 0"),
    ({"dist": "Normal", "mu": "x", "sigma": 1}, "must be a number"),
    ({"dist": "Normal", "mu": 0, "sigma": 1, "scale": 2}, "no parameter 'scale'"),
    ({"dist": "Uniform", "lower": 2, "upper": 1}, "lower < upper"),
    ({"mu": 0}, "no 'dist'"),
    ("LogNormal", "expected a number or a table"),
])
def test_bad_priors_name_the_problem(bad, match):
    with pytest.raises(SpecError, match=match):
        Prior.from_dict(bad, name="alpha")


def test_toml_file(tmp_path):
    path = tmp_path / "priors.toml"
    path.write_text('nu = 4\nalpha = { dist = "LogNormal", mu = -1.2, sigma = 0.6 }\n'
                    '[E]\ndist = "TruncatedNormal"\nmu = 1.7\nsigma = 0.2\n')
    priors = read_priors_toml(path)
    assert priors["nu"] == Prior.fixed(4)
    assert priors["E"].dist == "TruncatedNormal"
    assert priors["E"].params["lower"] == -math.inf


def test_toml_errors_name_the_file(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("alpha = { dist = 'Cauchyish' }\n")
    with pytest.raises(SpecError, match=r"bad.toml: prior for 'alpha': unknown prior"):
        read_priors_toml(path)
    path.write_text("alpha = [\n")
    with pytest.raises(SpecError, match="not valid TOML"):
        read_priors_toml(path)
    with pytest.raises(SpecError, match="cannot read priors file"):
        read_priors_toml(tmp_path / "missing.toml")


def test_truncated_normal_far_in_the_tail():
    prior = Prior("TruncatedNormal", mu=0.0, sigma=0.1, lower=0.9, upper=math.inf)
    x = prior.sample(np.random.default_rng(0), 1000)
    assert np.isfinite(x).all() and (x > 0.9).all() and np.median(x) < 0.92


@pytest.mark.parametrize("prior", [
    Prior("Normal", mu=1.0, sigma=2.0), Prior("LogNormal", mu=-1.1, sigma=0.4),
    Prior("HalfNormal", sigma=0.05), Prior("TruncatedNormal", mu=2.04, sigma=0.54, lower=0,
                                           upper=2.4),
    Prior("TruncatedNormal", mu=0.0, sigma=0.1, lower=2.9),  # 29 sd out: the far tail
    Prior("TruncatedNormal", mu=5.0, sigma=1.0, upper=1.0), Prior("TruncatedNormal", mu=0, sigma=1),
])
def test_closed_form_densities_equal_scipys(prior):
    """The MAP path's closed forms (no scipy.stats call overhead) are scipy's numbers."""
    from scipy import stats

    p = prior.params
    reference = {
        "Normal": lambda x: stats.norm.logpdf(x, p["mu"], p["sigma"]),
        "LogNormal": lambda x: stats.lognorm.logpdf(x, p["sigma"], scale=np.exp(p["mu"])),
        "HalfNormal": lambda x: stats.halfnorm.logpdf(x, scale=p["sigma"]),
        "TruncatedNormal": lambda x: stats.truncnorm.logpdf(
            x, (p["lower"] - p["mu"]) / p["sigma"], (p["upper"] - p["mu"]) / p["sigma"],
            p["mu"], p["sigma"]),
    }[prior.dist]
    x = np.concatenate([np.random.default_rng(0).normal(p.get("mu", 0.0), 3, 50),
                        [-1.0, 0.0, 0.5, 2.95, 3.5]])
    ours, theirs = prior.logpdf(x), reference(x)
    assert np.array_equal(np.isfinite(ours), np.isfinite(theirs))
    finite = np.isfinite(theirs)
    np.testing.assert_allclose(ours[finite], theirs[finite], rtol=1e-12, atol=1e-12)
