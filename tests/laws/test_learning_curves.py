"""Checkpoints along runs, with a run-level random effect (law 'learning_curve')."""

import numpy as np
import pandas as pd
import pytest

import bayescale as bs
from bayescale.inference.laplace import log_posterior
from bayescale.model import build_model
from bayescale.testing import EPOCH_CHINCHILLA
from bayescale.workflow import configure

TAU = 0.02


def checkpoints(seed=3, runs=12, per_run=8):
    rng = np.random.default_rng(seed)
    law = bs.get_law("chinchilla")
    rows = []
    for r, n in enumerate(np.geomspace(5e7, 1e9, runs)):
        u = rng.normal(0, TAU)
        for frac in np.linspace(0.2, 1.0, per_run):
            d = frac * 20 * n
            loss = law.loss({"N": n, "D": d}, EPOCH_CHINCHILLA) * np.exp(u + rng.normal(0, .004))
            rows.append({"run_name": f"run-{r}", "N": n, "D": d, "loss": float(loss)})
    return pd.DataFrame(rows)


def test_needs_a_run_column():
    df = checkpoints().drop(columns="run_name")
    with pytest.raises(bs.DataError, match="this law needs a run column"):
        configure(df, "learning_curve")
    spec, runs = configure(checkpoints(), "learning_curve", columns="run=run_name")
    assert spec.n_groups == 12 and runs.groups[1][:2] == ["run-0", "run-1"]
    assert "run_effect_z" in spec.sampling.z_names()
    assert spec.sampling.z_sizes()["run_effect_z"] == 12


def test_graph_and_numpy_agree_with_run_effects():
    spec, runs = configure(checkpoints(), "learning_curve", columns="run=run_name")
    model = build_model(spec, runs)
    logp = model.compile_logp()
    f = log_posterior(spec, runs)
    rng = np.random.default_rng(0)
    start = model.initial_point()
    points = []
    for _ in range(3):
        point = {k: v + rng.normal(0, 0.3, np.shape(v)) for k, v in start.items()}
        points.append(point)
    names = spec.sampling.z_names()
    flat = np.array([np.concatenate([np.ravel(p[n]) for n in names]) for p in points])
    ours = f(flat)
    theirs = np.array([logp(p) for p in points])
    np.testing.assert_allclose(ours - ours[0], theirs - theirs[0], rtol=1e-9, atol=1e-8)


def test_known_run_uses_its_effect_and_a_new_run_its_spread():
    fit = bs.fit(checkpoints(), "learning_curve", columns="run=run_name", method="map",
                 random_seed=1)
    effects = fit.run_effects()
    assert effects.shape == (4000, 12)
    point = {"N": [1e9], "D": [4e10]}
    new = fit.predict(point)
    known = fit.predict({**point, "run": ["run-11"]})
    shift = np.median(effects[:, 11])
    assert np.log(known["median"][0] / new["median"][0]) == pytest.approx(shift, abs=0.01)
    # a new run's predictive includes a new run effect; a fitted run's does not
    assert (new["pp_upper"] - new["pp_lower"])[0] > (known["pp_upper"] - known["pp_lower"])[0]


def test_save_and_load_keep_the_runs(tmp_path):
    fit = bs.fit(checkpoints(), "learning_curve", columns="run=run_name", method="map",
                 random_seed=1)
    again = bs.load(fit.save(tmp_path / "lc.nc"))
    assert again.runs.groups[1] == fit.runs.groups[1]
    point = {"N": [1e9], "D": [4e10], "run": ["run-3"]}
    assert again.predict(point).equals(fit.predict(point))


@pytest.mark.slow
def test_run_effects_keep_intervals_honest():
    """Treating checkpoints of one run as independent gives falsely narrow intervals; here the
    independent fit's 95% interval at the Chinchilla point misses the truth, the learning-curve
    one covers it, and tau is recovered."""
    df = checkpoints()
    # E, A and alpha are weakly identified next to 12 run effects: with the default
    # target_accept (0.9) and 1500 draws, 2 of 6 sampler seeds left a chain stuck (R-hat 1.34,
    # 1.37) and the committed one passed at 1.0175. target_accept 0.95 and 3000 draws (about
    # +6 s): worst R-hat over 10 seeds 1.0082, ESS >= 700.
    lc = bs.fit(df, "learning_curve", columns="run=run_name", random_seed=1, draws=3000,
                target_accept=0.95)
    flat = bs.fit(df, "chinchilla", random_seed=1)
    target = {"N": [7e10], "D": [1.4e12]}
    truth = bs.get_law("chinchilla").loss(target, EPOCH_CHINCHILLA)[0]
    # the truth lies in the flat posterior's lower tail at probability 0.017 (0.0165-0.0255
    # over 10 seeds): outside its 95% interval on some CPUs, inside on others, so the flat
    # fit's miss is checked at 90% (cut at 0.05); the learning-curve 95% interval covers the
    # truth with room (its ends sit 16% below and 13% above it)
    with pytest.warns(bs.ExtrapolationWarning):
        a, b = lc.predict(target).iloc[0], flat.predict(target, prob=0.9).iloc[0]
    assert a["lower"] < truth < a["upper"]
    assert not b["lower"] < truth < b["upper"]
    # tau is learned from 12 realised run effects, whose spread itself varies by ~20%; TAU sits
    # at tail probability 0.016-0.026 over 10 seeds, inside the 99% interval (cut at 0.005)
    table = lc.summary(prob=0.99)
    assert table.loc["tau", "lower"] < TAU < table.loc["tau", "upper"]
    # R-hat < 1.02 (the fit's own warning fires at 1.01): worst over 10 seeds 1.0082; a stuck
    # chain, as with the default settings above, gives R-hat > 1.3
    assert table["r_hat"].max() < 1.02
