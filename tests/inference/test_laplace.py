"""MAP + Laplace: compile-free, so these run in the fast tier."""

import warnings

import numpy as np
import pandas as pd
import pytest

import bayescale as bs
from bayescale.inference.laplace import log_posterior
from bayescale.model import build_model
from bayescale.priors import Prior
from bayescale.workflow import configure

NATURAL_A = {"A": Prior("LogNormal", mu=6, sigma=1)}
BOUNDED_AND_FREE_NU = {"alpha": Prior("Uniform", lower=0.1, upper=1.0),
                       "nu": Prior("Gamma", alpha=2, beta=0.1)}


@pytest.mark.parametrize("likelihood, priors", [
    ("studentt", None), ("laplace", None), ("normal", None), ("normal", NATURAL_A),
    ("studentt", NATURAL_A), ("studentt", BOUNDED_AND_FREE_NU), ("laplace", {"A_ref": 0.5}),
])
def test_numpy_log_posterior_equals_the_pymc_model(likelihood, priors):
    spec, runs = configure("data/chinchilla_runs.csv", "chinchilla", likelihood=likelihood,
                           priors=priors)
    model = build_model(spec, runs)
    logp = model.compile_logp()
    f = log_posterior(spec, runs)
    names = spec.sampling.z_names()
    rng = np.random.default_rng(0)
    start = np.array([model.initial_point()[n] for n in names])
    points = start + rng.normal(0, 0.5, (4, len(names)))
    ours = f(points)
    theirs = np.array([logp(dict(zip(names, p, strict=True))) for p in points])
    # equal up to one additive constant (normalising terms are kept by both, so ~0)
    np.testing.assert_allclose(ours - ours[0], theirs - theirs[0], rtol=1e-9, atol=1e-8)


def test_map_reproduces_epoch_table_1(shared_data):
    """Besiroglu et al. 2024 Table 1 is the Huber-likelihood MLE; the Laplace-likelihood MAP
    (weak priors, 240 points) lands on it to 3 significant figures."""
    df = pd.read_csv(shared_data / "epoch_chinchilla.csv")
    # at the L1 kink the Hessian may or may not come out negative definite (a last-bit
    # matter): a warning says so when it does not; the point is what is tested
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bs.InferenceWarning)
        fit = bs.fit(df, law="chinchilla", likelihood="laplace", query="epoch_outlier == False",
                     priors="weak", method="map", random_seed=1)
    point = fit.meta["map"]
    # the L1 likelihood puts the optimum on a kink: L-BFGS with numerical gradients stops
    # within ~1% of it along the weakly identified A and B (Epoch's bootstrap SEs: 26% and 62%)
    tolerance = {"E": 2e-3, "alpha": 2e-3, "beta": 2e-3, "A": 2e-2, "B": 2e-2}
    expected = {"E": 1.81686, "A": 482.006, "B": 2085.434, "alpha": 0.34781, "beta": 0.36585}
    for name, value in expected.items():
        assert point[name] == pytest.approx(value, rel=tolerance[name]), name


def test_map_fit_is_labelled_approximate(tmp_path, capsys):
    fit = bs.fit("data/chinchilla_runs.csv", law="chinchilla", method="map", random_seed=2)
    assert fit.method == "laplace" and "Laplace" in repr(fit)
    table = fit.summary()
    assert table["r_hat"].isna().all() and table.attrs["method"] == "laplace"
    truth = bs.testing.EPOCH_CHINCHILLA
    for name in ("E", "alpha", "beta"):
        assert table.loc[name, "lower"] < truth[name] < table.loc[name, "upper"]
    from bayescale.cli import main

    out = tmp_path / "map.nc"
    assert main(["fit", "data/chinchilla_runs.csv", "--method", "map", "-o", str(out),
                 "--seed", "2"]) == 0
    text = capsys.readouterr()
    assert "APPROXIMATE posterior (Laplace at the mode, no MCMC)" in text.out
    assert "posterior mode + Laplace approximation" in text.err
    assert bs.load(out).method == "laplace"


def test_map_is_reproducible_and_fast_enough_to_loop():
    a = bs.fit("data/founding_example.csv", law="power", columns="loss=error", method="map",
               random_seed=3)
    b = bs.fit("data/founding_example.csv", law="power", columns="loss=error", method="map",
               random_seed=3)
    assert a.draws()["E"].tolist() == b.draws()["E"].tolist()
    assert a.meta["map"] == b.meta["map"]


def test_map_without_any_finite_point_is_a_clear_error():
    from bayescale.errors import SpecError
    from bayescale.inference.laplace import fit_laplace

    spec, runs = configure("data/chinchilla_runs.csv", "chinchilla")
    runs.table.loc[0, "loss"] = np.inf  # corrupt after validation: the posterior is -inf
    with pytest.raises(SpecError, match="found no point where the posterior is finite"):
        fit_laplace(spec, runs, restarts=2)


def _skewed_log_density(seed=0):
    """A log density with a known Hessian at ``x0``: a correlated Gaussian whose widths span
    3.5 orders of magnitude, plus log-cosh terms (not quadratic: every even derivative)."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    precision = q @ np.diag(1.0 / np.array([3e-4, 1e-2, 0.1, 1.0, 1.0]) ** 2) @ q.T
    w = rng.normal(size=(3, 5)) * 20.0
    x0 = rng.normal(size=5)

    def f(z):
        dz = np.atleast_2d(z) - x0
        return (-0.5 * np.einsum("bi,ij,bj->b", dz, precision, dz)
                - np.log(np.cosh(dz @ w.T)).sum(axis=1))

    return f, x0, -(precision + w.T @ w)  # d²/du² log cosh(u) = 1 at u = 0


def test_laplace_hessian_is_accurate_across_scales():
    from bayescale.inference.laplace import _hessian

    f, x0, exact = _skewed_log_density()
    cov, want = np.linalg.inv(-_hessian(f, x0)), np.linalg.inv(-exact)
    sd = np.sqrt(np.diag(want))
    # the Laplace covariance to ~1e-6 of the standard deviations, in every direction
    assert np.max(np.abs(cov - want) / np.outer(sd, sd)) < 1e-5


def test_laplace_hessian_where_the_posterior_is_not_finite_nearby():
    from bayescale.inference.laplace import _hessian

    f, x0, _ = _skewed_log_density()

    def walled(z):
        z = np.atleast_2d(z)
        return np.where(z[:, 0] > x0[0] + 1e-3, -np.inf, f(z))

    assert not np.isfinite(_hessian(walled, x0)).all()
