"""bayescale.evaluation.baselines.parabola_comparison: the isoFLOP parabola beside the
posterior (``bayescale optimal --parabola``)."""

import numpy as np
import pytest

from bayescale.data.simulate import simulate_runs
from bayescale.decisions.design import isoflop_design
from bayescale.errors import DataError, ExtrapolationWarning
from bayescale.evaluation.baselines import parabola_comparison
from bayescale.testing import fake_fit

TRUTH = {"E": 1.69, "A": 400.0, "B": 400.0, "alpha": 0.34, "beta": 0.28}


def test_parabola_beside_the_posterior():
    runs = simulate_runs("chinchilla", TRUTH, isoflop_design(TRUTH, width=8), sigma=0.002,
                         seed=1)
    fit = fake_fit("chinchilla", truth=TRUTH, runs=runs, draws=100, chains=2)
    with pytest.warns(ExtrapolationWarning, match="extrapolating far beyond"):
        table = parabola_comparison(fit, [1e22, 1e24])
    assert table.columns.tolist() == ["C", "quantity", "parabola", "median", "lower", "upper",
                                      "parabola_vs_median"]
    assert table["C"].tolist() == [1e22] * 3 + [1e24] * 3
    assert table["quantity"].tolist()[:3] == ["N_opt", "D_opt", "tokens_per_param"]
    assert table.attrs["budgets"] == 5 and 0.3 < table.attrs["a_parabola"] < 0.7
    ratio = table["parabola"] / table["median"] - 1
    assert np.allclose(ratio, table["parabola_vs_median"])
    assert (table["lower"] <= table["median"]).all() and (table["median"] <= table["upper"]).all()


def test_parabola_needs_isoflop_runs():
    with pytest.raises(DataError, match="needs runs with N, D and C"):
        parabola_comparison(fake_fit("power"), [1e22])
    with pytest.raises(DataError, match="not isoFLOP data"):
        parabola_comparison(fake_fit("chinchilla"), [1e22])
