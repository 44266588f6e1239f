"""Field priors: the hierarchical pooling, the shipped file, where they apply and where not."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bayescale.errors import SpecError
from bayescale.model.config import ModelConfig
from bayescale.priors import Prior, read_priors_toml
from bayescale.priors.field import shipped
from bayescale.priors.population import pool


def test_pool_tight_studies_give_their_mean_and_a_floor_of_tau_uncertainty() -> None:
    p = pool([0.30, 0.31, 0.29, 0.30], [0.01] * 4, tau_scale=0.5)
    assert p.mean == pytest.approx(0.30, abs=0.005)
    # four agreeing studies still leave the next one uncertain, but not by the prior scale
    assert 0.005 < p.sd < 0.1


def test_pool_spread_studies_widen_the_new_study_predictive() -> None:
    tight = pool([1.8, 1.82, 1.79], [0.02] * 3, tau_scale=0.5)
    spread = pool([1.4, 2.0, 2.6], [0.02] * 3, tau_scale=0.5)
    assert spread.sd > 5 * tight.sd
    assert spread.tau > 0.3 > tight.tau


def test_pool_ignores_noisy_studies_more_than_precise_ones() -> None:
    p = pool([1.0, 1.0, 3.0], [0.01, 0.01, 5.0], tau_scale=0.5)
    assert p.mean < 1.3


@pytest.mark.parametrize("bad", [([1.0], [0.1]), ([1.0, np.nan], [0.1, 0.1]),
                                 ([1.0, 2.0], [0.1, -1.0])])
def test_pool_refuses_bad_input(bad) -> None:
    with pytest.raises(SpecError):
        pool(*bad, tau_scale=0.5)


def test_shipped_field_priors_have_provenance_and_cover_the_quantities() -> None:
    field = shipped()
    assert {"E", "alpha", "beta", "sigma", "gamma", "delta"} <= set(field.priors)
    assert "chinchilla" in field.laws and "compute" in field.laws
    assert field.provenance["script"] == "benchmarks/learn_priors.py"
    assert len(field.provenance["studies"]) >= 5
    # exponents of language-model studies: medians inside the published range 0.15-0.7
    for name in ("alpha", "beta"):
        median = np.exp(field.priors[name].params["mu"])
        assert 0.15 < median < 0.7


def _runs(loss_scale: float) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = np.geomspace(1e7, 1e9, 12)
    d = np.tile([2e9, 2e10, 2e11], 4)
    loss = (1.8 + 400 / n ** 0.34 + 400 / d ** 0.28) * np.exp(rng.normal(0, 0.005, 12))
    return pd.DataFrame({"N": n, "D": d, "loss": loss * loss_scale})


def test_default_config_uses_field_priors_for_nats_losses() -> None:
    spec, _ = ModelConfig().configure(_runs(1.0))
    assert spec.origins["alpha"] == "field" and spec.origins["E"] == "field"
    assert spec.priors["E"].dist == "TruncatedNormal"
    assert spec.priors["E"].params["upper"] == pytest.approx(spec.loss_min)
    assert spec.origins["A_ref"] == "weak"
    assert any("learned from public" in line for line in spec.describe_priors())


def test_weak_keeps_todays_priors() -> None:
    spec, _ = ModelConfig(priors="weak").configure(_runs(1.0))
    assert set(spec.origins.values()) == {"weak"}
    assert spec.priors["E"].dist == "Beta"


def test_floor_prior_not_used_for_losses_in_other_units() -> None:
    # bits-per-byte-like losses below the field's floor: E keeps its weak prior, with a note
    spec, _ = ModelConfig().configure(_runs(0.3))
    assert spec.origins["E"] == "weak" and spec.origins["alpha"] == "field"
    assert any("E keeps its weak prior" in n for n in spec.notes)
    # error rates in percent: far above any LM loss
    spec, _ = ModelConfig().configure(_runs(20.0))
    assert spec.origins["E"] == "weak"


def test_user_priors_win_over_field_priors() -> None:
    spec, _ = ModelConfig(priors={"alpha": Prior("LogNormal", mu=-1.0, sigma=0.1)}
                          ).configure(_runs(1.0))
    assert spec.origins["alpha"] == "user" and spec.priors["alpha"].params["sigma"] == 0.1


def test_field_priors_only_for_their_laws() -> None:
    spec, _ = ModelConfig(law="power", x="N").configure(_runs(1.0))
    assert "field" not in spec.origins.values()


def test_bad_base_is_refused() -> None:
    with pytest.raises(SpecError, match="base="):
        ModelConfig(base="strong")


def test_learned_priors_file_round_trips(tmp_path) -> None:
    from bayescale.evaluation.population import learn_priors, priors_toml

    rows = [{"study": s, "quantity": q, "scale": sc, "mean": m, "sd": 0.05, "n_runs": 10,
             "loss_min": 2.5, "loss_max": 4.0, "source": s}
            for s, shift in (("a", 0.0), ("b", 0.1), ("c", -0.1))
            for q, sc, m in (("alpha", "log", np.log(0.3) + shift),
                             ("E", "natural", 1.8 + shift))]
    estimates = pd.DataFrame(rows)
    priors, pooled = learn_priors(estimates)
    assert set(priors) == {"alpha", "E"} and len(pooled) == 2
    path = tmp_path / "p.toml"
    path.write_text(priors_toml(priors, estimates, pooled, laws=["chinchilla"]))
    back = read_priors_toml(path)
    assert back == priors
    # leave one study out: a study's own estimate never enters its prior
    held, _ = learn_priors(estimates, exclude=["c"])
    assert held["E"].params["mu"] > priors["E"].params["mu"]
