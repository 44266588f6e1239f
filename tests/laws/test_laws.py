import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bayescale.errors import SpecError
from bayescale.laws import Chinchilla, PowerLaw, available_laws, get_law, law_from_dict
from bayescale.testing import EPOCH_CHINCHILLA, FOUNDING_EXAMPLE


@pytest.mark.parametrize("n, expected", [(1e6, 48.019), (1e7, 42.359), (1e8, 37.542),
                                         (1e9, 33.442)])
def test_founding_example_values(n, expected):
    # modeling.md §0: err(N) = 100·N^(−0.07) + 10
    law = get_law("power", x="N")
    assert law.loss({"N": n}, FOUNDING_EXAMPLE) == pytest.approx(expected, abs=5e-4)


def test_chinchilla_matches_direct_formula_and_epoch_frontier_loss():
    law = get_law("chinchilla")
    p = EPOCH_CHINCHILLA
    n, d = np.array([7e10, 7.22e10, 4e11]), np.array([1.4e12, 1.33e12, 8e12])
    direct = p["E"] + p["A"] / n ** p["alpha"] + p["B"] / d ** p["beta"]
    np.testing.assert_allclose(law.loss({"N": n, "D": d}, p), direct, rtol=1e-12)
    # modeling.md §2.3: at 5.76e23 FLOPs the Besiroglu optimum N*=72.2B, D*=1.33T has L*=1.974
    assert law.loss({"N": 72.2e9, "D": 1.33e12}, p) == pytest.approx(1.974, abs=1e-3)


def test_hoffmann_eq10():
    law = get_law("chinchilla")
    p = {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28}
    want = 1.69 + 406.4 / 70e9 ** 0.34 + 410.7 / 1.4e12 ** 0.28
    assert law.loss({"N": 70e9, "D": 1.4e12}, p) == pytest.approx(want, rel=1e-12)


positive = st.floats(0.05, 1.5)


@settings(max_examples=200, deadline=None)
@given(e=st.floats(0.1, 3), a=st.floats(1, 1e4), b=st.floats(1, 1e5), alpha=positive,
       beta=positive, n=st.floats(6, 13), d=st.floats(8, 14))
def test_chinchilla_is_decreasing_and_above_its_floor(e, a, b, alpha, beta, n, d):
    law = Chinchilla()
    p = {"E": e, "A": a, "B": b, "alpha": alpha, "beta": beta}
    base = law.loss({"N": 10**n, "D": 10**d}, p)
    more_n = law.loss({"N": 10 ** (n + 0.5), "D": 10**d}, p)
    more_d = law.loss({"N": 10**n, "D": 10 ** (d + 0.5)}, p)
    assert base >= e and more_n <= base and more_d <= base
    # strictly decreasing wherever the term that changes is resolvable in float64
    if a / 10 ** (n * alpha) > 1e-9 * e:
        assert more_n < base
    if b / 10 ** (d * beta) > 1e-9 * e:
        assert more_d < base
    # stable in log space far out: tends to E without overflow or NaN
    far = law.loss({"N": 1e300, "D": 1e300}, p)
    assert np.isfinite(far) and far == pytest.approx(e, rel=1e-6)


@settings(max_examples=100, deadline=None)
@given(e=st.floats(0.01, 30), a=st.floats(0.1, 1e4), alpha=positive, x=st.floats(3, 25))
def test_power_law_is_decreasing_to_its_floor(e, a, alpha, x):
    law = PowerLaw("C")
    p = {"E": e, "A": a, "alpha": alpha}
    base, more = law.loss({"C": 10**x}, p), law.loss({"C": 10 ** (x + 1)}, p)
    assert more <= base
    if a / 10 ** (x * alpha) > 1e-9 * e:
        assert more < base
    assert law.loss({"C": 1e300}, p) == pytest.approx(e, rel=1e-6)


def test_registry_and_options():
    assert {"power", "chinchilla"} <= set(available_laws())
    assert get_law("power", available=["N", "loss"]).inputs == ("N",)
    assert get_law("power", available=["D"]).inputs == ("D",)
    with pytest.raises(SpecError, match=r"choose N, D or C with x="):
        get_law("power", available=["N", "D", "C"])
    with pytest.raises(SpecError, match="unknown law 'kaplan2'; available: power, chinchilla, "):
        get_law("kaplan2")
    with pytest.raises(SpecError, match="x must be one of"):
        get_law("power", x="T")
    law = get_law("power", x="C")
    assert law_from_dict(law.to_dict()) == law
    assert law_from_dict(Chinchilla().to_dict()) == Chinchilla()
