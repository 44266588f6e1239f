"""One-input loss laws answer the inverse question (the input that reaches a loss) and the
halving question (how many times more input halves L − E), per draw."""

import numpy as np
import pytest

from bayescale.decisions import compute_for_loss_draws, halving_draws
from bayescale.errors import SpecError
from bayescale.laws import get_law
from bayescale.testing import fake_fit


@pytest.fixture
def draws():
    rng = np.random.default_rng(0)
    return {"E": rng.uniform(5, 15, 500), "A": rng.uniform(50, 200, 500),
            "alpha": rng.uniform(0.04, 0.12, 500)}


@pytest.mark.parametrize("x", ["N", "D", "C"])
def test_the_input_that_reaches_a_target_is_the_closed_form(draws, x):
    law = get_law("power", x=x)
    out = compute_for_loss_draws(law, draws, [25.0, 12.0])
    assert set(out) == {x, "reachable"}
    gap = np.array([25.0, 12.0])[None, :] - draws["E"][:, None]
    with np.errstate(invalid="ignore"):
        exact = np.where(gap > 0, (draws["A"][:, None] / gap) ** (1 / draws["alpha"][:, None]),
                         np.inf)
    reachable = np.isfinite(exact) & (exact < 1e60)
    assert np.array_equal(out["reachable"], reachable)
    assert np.allclose(np.log(out[x][reachable]), np.log(exact[reachable]), atol=1e-6)


def test_halving_a_power_law_is_two_to_one_over_alpha_from_any_start(draws):
    out = halving_draws(get_law("power", x="N"), draws, [1e6, 1e9])
    expected = 2.0 ** (1.0 / draws["alpha"])
    assert np.allclose(out["multiple"], expected[:, None], rtol=1e-6)
    assert np.allclose(out["N"][:, 1], 1e9 * expected, rtol=1e-6) and out["reachable"].all()


def test_halving_is_for_one_input_laws():
    fit = fake_fit("chinchilla", draws=50, chains=2)
    with pytest.raises(SpecError, match="halving question is for laws of one input"):
        fit.halving()


def test_the_fit_tables_name_the_input(power_fit):
    table = power_fit.compute_for_loss([power_fit.runs.table["loss"].min() * 0.99])
    assert set(table["quantity"]) == {"N"} and "p_reachable" in table
    halving = power_fit.halving()
    assert set(halving["quantity"]) == {"multiple", "N"}
    assert halving["start"].iloc[0] == power_fit.runs.table["N"].max()
