"""The workflow entry points, without MCMC: configuration, prior predictive, argument checks."""

import numpy as np
import pytest

import bayescale as bs
from bayescale.data.simulate import chinchilla_design, simulate_runs
from bayescale.errors import DataError, SpecError
from bayescale.testing import EPOCH_CHINCHILLA


@pytest.fixture
def runs():
    return simulate_runs("chinchilla", EPOCH_CHINCHILLA, chinchilla_design(), seed=4)


def test_default_priors_are_weakly_informative(runs):
    """modeling.md §4.2: the prior predictive covers every observed run, and at a frontier
    target its 95% band spans roughly [0.5·min loss, max loss] without being absurd."""
    prior = bs.prior_predictive(runs, law="chinchilla", draws=4000, random_seed=0)
    at_runs = prior.predict(runs[["N", "D"]], prob=0.95)
    assert ((at_runs["pp_lower"] < runs["loss"]) & (runs["loss"] < at_runs["pp_upper"])).all()
    with pytest.warns(bs.ExtrapolationWarning):
        target = prior.predict({"N": [7e10], "D": [1.4e12]}, prob=0.95).iloc[0]
    assert target["lower"] < 0.5 * runs["loss"].min() * 1.2
    assert target["upper"] > runs["loss"].min()
    assert target["upper"] < 10 * runs["loss"].max()
    assert prior.group == "prior" and np.isnan(prior.summary()["r_hat"]).all()


def test_prior_predictive_uses_user_priors(runs):
    tight = bs.prior_predictive(runs, priors={"E": bs.Prior("Uniform", lower=1.8, upper=1.82)},
                                draws=500)
    e = tight.draws()["E"]
    assert e.min() > 1.8 and e.max() < 1.82


def test_fit_rejects_bad_arguments_before_sampling(runs):
    with pytest.raises(DataError, match="only 2 usable runs; a fit needs at least 3"):
        bs.fit(runs.iloc[[0, 7]], law="chinchilla")
    with pytest.raises(SpecError, match="draws must be a positive integer"):
        bs.fit(runs, law="chinchilla", draws=0)
    with pytest.raises(SpecError, match="unknown sampler 'stan'"):
        bs.fit(runs, law="chinchilla", sampler="stan")
    with pytest.raises(SpecError, match="unknown likelihood 'cauchy'"):
        bs.fit(runs, law="chinchilla", likelihood="cauchy")
    with pytest.raises(SpecError, match="target_accept must be in"):
        bs.fit(runs, law="chinchilla", target_accept=1.5)
    with pytest.raises(SpecError, match="every parameter is fixed"):
        bs.fit(runs, law="power", x="N", priors={"E": 1.0, "A": 10.0, "alpha": 0.1,
                                                  "sigma": 0.01, "nu": 4})


def test_configure_reports_derivations(runs):
    spec, r = bs.configure(runs[["N", "C", "loss"]], "chinchilla")
    assert r.notes == ("D derived as C/(6·N)",)
    np.testing.assert_allclose(r.values("D"), runs["D"], rtol=1e-12)
    assert spec.reference["N"] == pytest.approx(np.exp(np.log(runs["N"]).mean()))


def test_fewer_runs_than_parameters_fit_with_a_warning(runs):
    """Five runs, six free parameters: the priors carry the rest (the few-runs regime the
    tool is for); the fit says so."""
    fit = bs.fit(runs.iloc[[0, 7, 14, 21, 28]], law="chinchilla", method="map")
    assert any("5 runs for 6 free parameters" in w for w in fit.warnings)
