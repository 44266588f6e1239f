"""bayescale.data.simulate: the defaults of ``bayescale simulate``."""

import numpy as np
import pytest

from bayescale.data.simulate import (
    EPOCH_CHINCHILLA,
    FOUNDING_EXAMPLE,
    default_design,
    default_params,
    log_grid,
    simulate_runs,
    simulation_params,
)
from bayescale.errors import SpecError
from bayescale.laws import get_law


def test_default_params():
    assert default_params(get_law("chinchilla")) == EPOCH_CHINCHILLA
    assert default_params(get_law("power", x="N")) == FOUNDING_EXAMPLE
    assert default_params(get_law("power", x="C")) == {}
    assert default_params(get_law("data_constrained")) == EPOCH_CHINCHILLA  # E, A, B, ...


def test_simulation_params_merge_and_check():
    law = get_law("chinchilla")
    assert simulation_params(law, {"E": 2.0})["E"] == 2.0
    with pytest.raises(SpecError, match="needs params= for ceiling"):
        simulation_params(get_law("sigmoid", x="C"))
    with pytest.raises(SpecError, match="has no parameter 'zeta'"):
        simulation_params(law, {"zeta": 1.0})


def test_log_grid_rounds_to_three_digits():
    assert log_grid(1e6, 1e9, 4).tolist() == [1e6, 1e7, 1e8, 1e9]
    assert log_grid(3e7, 1e9, 3).tolist() == [3e7, 1.73e8, 1e9]
    with pytest.raises(SpecError):
        log_grid(1e9, 1e6, 3)


def test_default_design():
    founding = default_design(get_law("power", x="N"))
    assert founding.columns.tolist() == ["N"] and len(founding) == 10
    assert founding["N"].iloc[0] == 1e6 and founding["N"].iloc[-1] == 1e9
    grid = default_design(get_law("chinchilla"), N=np.array([1e8, 1e9]), ratios=(10, 40))
    assert grid.to_dict("records") == [{"N": 1e8, "D": 1e9}, {"N": 1e8, "D": 4e9},
                                       {"N": 1e9, "D": 1e10}, {"N": 1e9, "D": 4e10}]
    full = default_design(get_law("chinchilla"), D=np.array([1e9, 1e10]))
    assert len(full) == 12  # 6 default sizes x 2 token counts
    assert "U" in default_design(get_law("data_constrained"))
    compute = default_design(get_law("compute"), C=np.array([1e18, 1e19]))
    runs = simulate_runs("compute", {"E": 1.8, "A": 60.0, "gamma": 0.1}, compute, sigma=0)
    assert runs["loss"].is_monotonic_decreasing
