"""Design warnings: which parameter the runs cannot set, why, and which runs would fix it.

Fabricated tables and draws only (no sampling): each test runs in milliseconds.
"""

import numpy as np
import pandas as pd
import pytest

import bayescale as bs
from bayescale.diagnostics import checks

D_SMALL, D_LARGE = 1.099747e10, 2.200332e10


def gemstones_like() -> pd.DataFrame:
    """The 8 smallest-compute Gemstones runs: 7 of 8 share one token count."""
    n = [48377600, 52311808, 66758784, 95588096, 48377600, 98710016, 102643200, 103814400]
    d = [D_SMALL] * 4 + [D_LARGE] + [D_SMALL] * 3
    loss = [3.511, 3.487, 3.439, 3.357, 3.419, 3.325, 3.305, 3.443]
    return pd.DataFrame({"N": np.array(n, float), "D": d, "loss": loss})


def grid(d_values, n_values=(1e8, 3e8, 1e9)) -> pd.DataFrame:
    """Every N at every D, with a Chinchilla-like loss."""
    n, d = (a.ravel() for a in np.meshgrid(np.asarray(n_values, float),
                                           np.asarray(d_values, float)))
    return pd.DataFrame({"N": n, "D": d, "loss": 1.8 + 400 / n**0.34 + 400 / d**0.28})


def posterior(spec, ratio=None, default=0.05, seed=1):
    """Fabricated draws whose sd is ``ratio`` × the prior's (log scale except the floor), so
    each parameter's shrinkage is exactly ``1 − ratio²``: the prior draws are the ones
    ``checks.shrinkage`` makes (4000 draws, seed 0)."""
    prior = spec.sample_prior(4000, np.random.default_rng(0))
    z = np.random.default_rng(seed).normal(size=4000)
    z = (z - z.mean()) / z.std()
    out = {}
    for p in spec.sampled():
        r = (ratio or {}).get(p.name, default)
        x = prior[p.name] if p.kind == "floor" else np.log(prior[p.name])
        post = x.mean() + r * x.std() * z
        out[p.name] = post if p.kind == "floor" else np.exp(post)
    return out


def assert_one_line(lines):
    for line in lines:
        assert "\n" not in line and "--" not in line


# -- distinct levels of each input ---------------------------------------------------------------
def test_gemstones_case_names_beta_d_and_the_runs_that_fix_it():
    spec, runs = bs.configure(gemstones_like(), "chinchilla")
    lines = checks.design_warnings(spec, runs)
    assert len(lines) == 1
    line = lines[0]
    assert line.startswith("only 2 distinct D values in the 8 runs (7 at D = 1.1e10, "
                           "1 at D = 2.2e10)")
    assert "beta (the D exponent) and B come mostly from the prior" in line
    assert line.endswith("add runs at D ≥ 8.8e10 (4× the largest D so far)")
    assert "alpha" not in line  # N varies over 8 runs: its exponent is not flagged
    assert_one_line(lines)


def test_a_well_spread_input_gives_no_levels_warning():
    spec, runs = bs.configure(grid([1e9, 3e9, 1e10]), "chinchilla")
    assert checks.level_warnings(spec, runs) == []
    assert checks.design_warnings(spec, runs) == []


def test_values_within_two_percent_are_one_level():
    df = grid([1e9, 1.005e9, 1.01e9, 4e9])  # three near-equal D and one other: 2 levels
    spec, runs = bs.configure(df, "chinchilla")
    (line,) = checks.level_warnings(spec, runs)
    assert line.startswith("only 2 distinct D values in the 12 runs (9 at D = 1e9, 3 at D = 4e9)")
    assert "D ≥ 1.6e10" in line


def test_one_level_holding_most_runs_warns_even_with_three_levels():
    df = pd.concat([grid([1e10], n_values=np.geomspace(1e8, 1e9, 8)),
                    grid([3e10, 1e11], n_values=[3e8])])
    spec, runs = bs.configure(df, "chinchilla")
    (line,) = checks.level_warnings(spec, runs)
    assert line.startswith("8 of the 10 runs share D = 1e10 (3 distinct D values, 1e10 to "
                           "1e11)")
    assert "beta (the D exponent) and B" in line and "D ≥ 4e11" in line


def test_one_input_law_with_two_levels():
    df = pd.DataFrame({"N": [1e8] * 3 + [4e8] * 3, "loss": [3.1, 3.12, 3.09, 2.9, 2.91, 2.88]})
    spec, runs = bs.configure(df, "power", x="N")
    (line,) = checks.level_warnings(spec, runs)
    assert "only 2 distinct N values" in line
    assert "alpha (the N exponent) and A come mostly from the prior" in line
    assert line.endswith("add runs at N ≥ 1.6e9 (4× the largest N so far)")


def test_a_fixed_exponent_is_not_flagged():
    spec, runs = bs.configure(gemstones_like(), "chinchilla", priors={"beta": 0.28})
    assert checks.level_warnings(spec, runs) == []


# -- per-parameter prior dominance ---------------------------------------------------------------
def test_narrow_posterior_gives_no_shrinkage_warning():
    spec, runs = bs.configure(grid([1e9, 3e9, 1e10]), "chinchilla")
    table = checks.shrinkage(spec, posterior(spec))
    assert (table["shrinkage"] > 0.99).all()
    assert checks.shrinkage_warnings(table, spec=spec, runs=runs) == []
    assert checks.shrinkage_warnings(table) == []


def test_floor_as_wide_as_its_prior_gives_the_floor_line():
    spec, runs = bs.configure(grid([1e9, 3e9, 1e10]), "chinchilla")
    table = checks.shrinkage(spec, posterior(spec, {"E": 1.0}))
    assert table.loc["E", "shrinkage"] == pytest.approx(0.0, abs=1e-9)
    lines = checks.shrinkage_warnings(table, spec=spec, runs=runs)
    assert len(lines) == 1
    line = lines[0]
    assert line.startswith("E (the floor; shrinkage 0.00) comes from the prior, not the data")
    assert "far from saturation" in line
    largest_c = float(runs.values("C").max())
    assert f"C ≥ {4 * largest_c:.1e}".replace("e+", "e").replace(".0e", "e") in line
    assert line.endswith("or check that its prior, learned from public scaling studies, "
                         "suits these models")
    assert_one_line(lines)
    spec, runs = bs.configure(grid([1e9, 3e9, 1e10]), "chinchilla", priors="weak")
    table = checks.shrinkage(spec, posterior(spec, {"E": 1.0}))
    (line,) = checks.shrinkage_warnings(table, spec=spec, runs=runs)
    assert line.endswith("or give it an informative prior from a study of similar models")


def test_weak_exponent_names_its_input_span_and_fix():
    spec, runs = bs.configure(grid([1e9, 3e9, 1e10]), "chinchilla")
    table = checks.shrinkage(spec, posterior(spec, {"beta": np.sqrt(0.87)}))
    assert table.loc["beta", "shrinkage"] == pytest.approx(0.13)
    (line,) = checks.shrinkage_warnings(table, spec=spec, runs=runs)
    assert line.startswith("beta (the D exponent; shrinkage 0.13) comes from the prior")
    assert "the runs span 10× in D (1e9 to 1e10)" in line
    assert line.endswith("add runs at D ≥ 4e10 (4× the largest D so far)")
    # the table alone (what a caller without the runs has) still names the parameter and input
    (alone,) = checks.shrinkage_warnings(table)
    assert alone.startswith("beta (the D exponent; shrinkage 0.13)")
    assert alone.endswith("add runs at larger D")


def test_levels_warning_wins_over_the_shrinkage_line():
    """Gemstones: beta at shrinkage 0.13 is already explained by the levels warning."""
    spec, runs = bs.configure(gemstones_like(), "chinchilla")
    table = checks.shrinkage(spec, posterior(spec, {"beta": np.sqrt(0.87), "B": 0.95}))
    assert checks.shrinkage_warnings(table, spec=spec, runs=runs) == []
    both = checks.shrinkage_warnings(table)  # without the runs it cannot tell
    assert len(both) == 1 and both[0].startswith(
        "beta (the D exponent; shrinkage 0.13) and B (shrinkage 0.10) come from the prior")


def test_nuisance_parameters_keep_the_old_threshold():
    spec, runs = bs.configure(grid([1e9, 3e9, 1e10]), "chinchilla")
    mild = checks.shrinkage(spec, posterior(spec, {"sigma": np.sqrt(0.85)}))
    assert checks.shrinkage_warnings(mild, spec=spec, runs=runs) == []
    weak = checks.shrinkage(spec, posterior(spec, {"sigma": 1.0}))
    (line,) = checks.shrinkage_warnings(weak, spec=spec, runs=runs)
    assert line.startswith("sigma (0.00): the posterior is barely narrower than the prior "
                           "(shrinkage < 0.1)")


def test_posterior_wider_than_the_prior_is_not_called_barely_narrower():
    spec, runs = bs.configure(grid([1e9, 3e9, 1e10]), "chinchilla")
    table = checks.shrinkage(spec, posterior(spec, {"alpha": 1.5, "A": 1.5}))
    (line,) = checks.shrinkage_warnings(table, spec=spec, runs=runs)
    assert line.startswith("alpha (the N exponent; shrinkage -1.25) and A (shrinkage -1.25) "
                           "come from the prior")
    assert "the posterior is no narrower than the prior" in line
    assert "N ≥ 4e9" in line
