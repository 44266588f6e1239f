"""bayescale.decisions.tables.run_forecast: a partial run's final loss (``bayescale optimal
--run``)."""

import numpy as np
import pandas as pd
import pytest

from bayescale.decisions.tables import run_forecast
from bayescale.errors import SpecError
from bayescale.laws import get_law
from bayescale.testing import fake_fit


@pytest.fixture(scope="module")
def curves():
    truth = {"E": 1.8, "A": 400.0, "B": 1200.0, "alpha": 0.34, "beta": 0.3, "tau": 0.02}
    rows = [{"run": f"r{i}", "N": n, "D": d} for i, n in enumerate([5e7, 1e8, 2e8])
            for d in np.geomspace(1e8, 4e9, 6)]
    df = pd.DataFrame(rows)
    df["loss"] = get_law("learning_curve").loss(df, truth) * np.exp(
        np.repeat([0.02, -0.01, 0.0], 6))
    return fake_fit("learning_curve", truth=truth, runs=df, draws=200, chains=2,
                    run_effects=[0.02, -0.01, 0.0])


def test_forecast_of_a_fitted_run(curves):
    table = run_forecast(curves, "r1", [8e9, 2e10], prob=0.9, targets=[2.5, 10.0])
    assert table["run"].tolist() == ["r1", "r1"] and (table["N"] == 1e8).all()
    assert table["D"].tolist() == [8e9, 2e10]
    assert (table["prob"] == 0.9).all()
    assert table["median"].iloc[1] < table["median"].iloc[0]  # more tokens, lower loss
    assert (table["p_below_10"] == 1.0).all() and table["p_below_2.5"].between(0, 1).all()
    own = curves.predict(pd.DataFrame({"run": ["r1"], "N": [1e8], "D": [8e9]}), prob=0.9)
    assert table["median"].iloc[0] == pytest.approx(own["median"].iloc[0])


def test_forecast_errors(curves):
    with pytest.raises(SpecError, match="run='nope': no such run in the fit"):
        run_forecast(curves, "nope", [8e9])
    with pytest.raises(SpecError, match="run effects"):
        run_forecast(fake_fit("chinchilla"), "r1", [8e9])
    with pytest.raises(SpecError, match="positive"):
        run_forecast(curves, "r1", [-1.0])
