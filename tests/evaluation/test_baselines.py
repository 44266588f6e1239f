import numpy as np
import pandas as pd
import pytest

from bayescale.data.simulate import chinchilla_design, simulate_runs
from bayescale.evaluation.baselines import bootstrap, hoffmann_grid, huber_fit, percentile_intervals
from bayescale.testing import EPOCH_CHINCHILLA


def test_grid_is_hoffmanns():
    grid = hoffmann_grid()
    assert grid.shape == (4500, 5)
    assert set(np.unique(grid[:, 0])) == {0, 5, 10, 15, 20, 25}
    assert set(np.unique(grid[:, 3])) == {0, 0.5, 1, 1.5, 2}


def test_reproduces_epochs_grid_search(shared_data):
    """data/README: Epoch's exact replication reaches Huber sum 0.0010182740 with A=477.84,
    B=2143.86, E=1.8172, alpha=0.34731, beta=0.36718."""
    df = pd.read_csv(shared_data / "epoch_chinchilla.csv")
    df = df[~df.epoch_outlier]
    fit = huber_fit(df.N.to_numpy(), df.D.to_numpy(), df.loss.to_numpy())
    assert fit.objective == pytest.approx(0.0010182740, rel=1e-7)
    p = fit.params
    assert p["E"] == pytest.approx(1.8172, abs=1e-4)
    assert p["alpha"] == pytest.approx(0.34731, abs=1e-4)
    assert p["beta"] == pytest.approx(0.36718, abs=1e-4)
    assert p["A"] == pytest.approx(477.84, rel=2e-3) and p["B"] == pytest.approx(2143.86,
                                                                                 rel=2e-3)


def test_noise_free_data_is_recovered_and_bootstrap_covers():
    df = simulate_runs("chinchilla", EPOCH_CHINCHILLA, chinchilla_design(), sigma=0.01, seed=5)
    fit = huber_fit(df.N.to_numpy(), df.D.to_numpy(), df.loss.to_numpy())
    assert fit.converged
    reps = bootstrap(df.N.to_numpy(), df.D.to_numpy(), df.loss.to_numpy(), replicates=60,
                     seed=1, start=fit)
    table = percentile_intervals(reps, prob=0.95)
    assert table.attrs["prob"] == 0.95
    for name in ("E", "beta"):
        assert table.loc[name, "lower"] < EPOCH_CHINCHILLA[name] < table.loc[name, "upper"]
    again = bootstrap(df.N.to_numpy(), df.D.to_numpy(), df.loss.to_numpy(), replicates=60,
                      seed=1, start=fit)
    assert np.array_equal(again["E"], reps["E"])
