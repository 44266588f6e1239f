"""δ as a posterior: prior learned across studies × the runs' leave-future-out evidence."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bayescale.evaluation.discrepancy import GRID, posterior_weights
from bayescale.priors import Prior
from bayescale.results.discrepancy import Discrepancy, parse_setting

PRIOR = Prior("HalfNormal", sigma=0.01)


def _median(w: np.ndarray) -> float:
    return float(GRID[np.searchsorted(np.cumsum(w), 0.5)])


def test_without_evidence_the_prior_alone_speaks() -> None:
    w = posterior_weights([], PRIOR)
    # the median of HalfNormal(0.01) is 0.00674
    assert _median(w) == pytest.approx(0.00674, rel=0.1)


def test_evidence_for_a_large_delta_moves_the_posterior_without_a_cap() -> None:
    curve = -0.5 * ((np.log(GRID) - np.log(0.05)) / 0.2) ** 2 * 30  # runs want δ ≈ 0.05
    w = posterior_weights([curve], PRIOR)
    assert 0.03 < _median(w) < 0.06
    assert w[-1] < 1e-6  # nothing piles up at the end of the grid


def test_discrepancy_distribution_round_trips_and_integrates() -> None:
    w = posterior_weights([], PRIOR)
    d = Discrepancy.from_weights(GRID, w, "C", 1e20, source="test")
    back = Discrepancy.from_dict(d.to_dict())
    assert back == d
    points = pd.DataFrame({"C": [1e20, np.e ** 2 * 1e20]})
    off = d.offsets(points, 4000)
    assert np.all(off[:, 0] == 0)
    # a scale mixture: heavier tails than a normal with the same sd
    x = off[:, 1]
    kurtosis = np.mean(x ** 4) / np.mean(x ** 2) ** 2
    assert kurtosis > 3.3
    assert d.quantile(0.05) < d.delta < d.quantile(0.95)


def test_a_given_delta_is_one_value() -> None:
    d = Discrepancy(0.01, "C", 1e20)
    assert d.values == (0.01,) and d.weights == (1.0,)
    assert d.warning() is None


def test_edge_warning_when_the_runs_want_a_huge_delta() -> None:
    d = Discrepancy(2.5, "C", 1e20)
    assert "huge" in d.warning()
    spread = Discrepancy.from_weights(GRID, np.where(GRID > 1.5, 1.0, 0.0), "C", 1e20)
    share = np.mean(GRID[GRID > 1.5] >= 2.0)  # equal weights on the grid points above 1.5
    assert f"probability {share:.0%}" in spread.warning()


def test_check_reports_a_huge_delta_and_learning_issues_it() -> None:
    from bayescale.testing import fake_fit

    fit = fake_fit("chinchilla", draws=100, chains=2)
    assert not any("huge" in w for w in fit.check())
    assert any("huge" in w for w in fit.with_discrepancy(2.5).check())


@pytest.mark.parametrize("value, expected", [("default", "default"), ("AUTO", "auto"),
                                             ("none", None), (None, None), ("0.01", 0.01)])
def test_settings(value, expected) -> None:
    assert parse_setting(value) == expected


def test_bad_distribution_refused() -> None:
    from bayescale.errors import SpecError

    with pytest.raises(SpecError):
        Discrepancy(0.1, "C", 1.0, values=(0.1, -1.0), weights=(0.5, 0.5))
