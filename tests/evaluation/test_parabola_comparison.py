"""bayescale.evaluation.baselines.parabola_comparison: the isoFLOP parabola beside the
posterior (``bayescale optimal --parabola``)."""

import numpy as np
import pytest

from bayescale.data.simulate import simulate_runs
from bayescale.decisions.design import isoflop_design
from bayescale.errors import DataError, ExtrapolationWarning, InferenceWarning
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


def _isoflop_fit(truth, *, width=8.0, points=7, offset=1.0, spread=0.02):
    """A fabricated posterior around ``truth`` on isoFLOP runs whose grids are centred at
    ``offset`` times the true N* (1: centred)."""
    design = isoflop_design(truth, width=width, points=points)
    design["N"] = design["N"] * offset
    design["D"] = design["C"] / (6 * design["N"])
    runs = simulate_runs("chinchilla", truth, design, sigma=0.002, seed=1)
    return fake_fit("chinchilla", truth=truth, runs=runs, draws=200, chains=2, spread=spread)


def test_agreement_is_silent():
    import warnings

    fit = _isoflop_fit(TRUTH, spread=0.05)
    with warnings.catch_warnings():
        warnings.simplefilter("error", InferenceWarning)
        table = parabola_comparison(fit, [1e21])
    assert "warning" not in table.attrs


def test_disagreement_is_said_with_its_likely_causes():
    """Lopsided exponents (alpha 0.6, beta 0.2), three runs per budget on grids centred far
    off the optimum, and a tight posterior: the parabola lands outside its interval."""
    truth = {"E": 1.69, "A": 4000.0, "B": 60.0, "alpha": 0.6, "beta": 0.2}
    fit = _isoflop_fit(truth, width=30.0, points=3, offset=12.0, spread=0.003)
    with pytest.warns(InferenceWarning, match="the isoFLOP parabola .* disagree") as caught:
        table = parabola_comparison(fit, [1e21])
    message = str(next(w.message for w in caught if "disagree" in str(w.message)))
    assert message == table.attrs["warning"]
    assert "few runs per budget (3 at C = " in message
    assert "off-centre grids" in message
    assert "an asymmetric loss surface" in message


def test_the_cli_prints_the_disagreement(tmp_path, capsys):
    from bayescale.cli import main

    truth = {"E": 1.69, "A": 4000.0, "B": 60.0, "alpha": 0.6, "beta": 0.2}
    path = _isoflop_fit(truth, width=30.0, points=3, offset=12.0, spread=0.003).save(
        tmp_path / "iso.nc")
    assert main(["optimal", str(path), "--compute", "1e21", "--parabola"]) == 0
    captured = capsys.readouterr()
    assert "isoFLOP parabola baseline (Approach 2" in captured.out
    [line] = [x for x in captured.err.splitlines() if "disagree" in x]
    assert line.startswith("warning: the isoFLOP parabola (Approach 2) and the full-surface "
                           "posterior disagree: ") and "possible causes: few runs" in line
