"""bayescale's lean nutpie entry points (bayescale/inference/entry.py): the same numbers as
the PyTensor functions they call, new data through ``with_data``, the fit's own starting
points, and the same draws as ``nutpie.compile_pymc_model`` for a seed."""

import ctypes

import numpy as np
import pytest

from bayescale.inference.entry import compile_model, with_starts
from bayescale.inference.samplers import compiled_model, start_vector
from bayescale.model.config import ModelConfig
from bayescale.model.graph import build_model
from tests.conftest import ROOT

RUNS = ROOT / "data" / "chinchilla_runs.csv"


def call(compiled, x):
    """The logp callback as nutpie's sampler calls it: (code, logp, gradient)."""
    out, logp = np.zeros(compiled.n_dim), np.zeros(())
    code = compiled.compiled_logp_func.ctypes(
        compiled.n_dim, x.ctypes.data_as(ctypes.POINTER(ctypes.c_double)),
        out.ctypes.data_as(ctypes.POINTER(ctypes.c_double)),
        logp.ctypes.data_as(ctypes.POINTER(ctypes.c_double)),
        ctypes.c_void_p(compiled.user_data.ctypes.data))
    return code, float(logp), out


def expected(fn, compiled, x):
    """What the PyTensor function ``fn`` gives at ``x`` with ``compiled``'s data."""
    data = {slot.name: compiled.shared_data[key]
            for slot, key in compiled.shared_var_keys.items()}
    logp, grad = fn.vm.jit_fn(x, *[np.array(data[v.name]) for v in fn.get_shared()])
    return float(logp), np.asarray(grad)


def test_callbacks_give_the_pytensor_numbers_and_take_new_data():
    config = ModelConfig(law="chinchilla")
    spec, runs = config.configure(str(RUNS))
    compiled = compile_model(build_model(spec, runs), list(spec.stored_vars))
    fn = compiled.logp_func
    rng = np.random.default_rng(0)
    for _ in range(5):
        x = rng.normal(0, 0.5, compiled.n_dim)
        code, logp, grad = call(compiled, x)
        want_logp, want_grad = expected(fn, compiled, x)
        assert code == 0 and logp == want_logp and np.array_equal(grad, want_grad)
    from bayescale.model.graph import model_inputs

    spec2, runs2 = config.configure(runs.table.iloc[:12].reset_index(drop=True))
    other = compiled.with_data(**model_inputs(spec2, runs2))
    x = rng.normal(0, 0.5, other.n_dim)
    assert call(other, x)[1] == expected(fn, other, x)[0] != call(compiled, x)[1]


def test_a_model_is_reused_within_a_process_with_the_new_fits_data_and_start():
    config = ModelConfig(law="chinchilla")
    spec, runs = config.configure(str(RUNS))
    first, _, _ = compiled_model(spec, runs)
    spec2, runs2 = config.configure(runs.table.iloc[-12:].reset_index(drop=True))
    assert spec2.sampling.structure() == spec.sampling.structure()
    second, seconds, how = compiled_model(spec2, runs2)
    assert (seconds, how) == (0.0, "reused")
    x = np.random.default_rng(1).normal(0, 0.5, second.n_dim)
    assert call(second, x)[1] != call(first, x)[1]
    # each chain starts near the fit's own start (not the first fit's): within the jitter
    for compiled, s in ((first, spec), (second, spec2)):
        start = start_vector(compiled, s)
        points = [compiled.initial_point_func(seed) for seed in (1, 2)]
        assert all(np.all(np.abs(p - start) < 1) for p in points)
        assert not np.array_equal(points[0], points[1])
        np.testing.assert_array_equal(points[0], compiled.initial_point_func(1))
    assert not np.allclose(start_vector(first, spec), start_vector(second, spec2))


def test_a_non_finite_point_is_reported_not_a_crash():
    spec, runs = ModelConfig(law="chinchilla").configure(str(RUNS))
    compiled, _, _ = compiled_model(spec, runs)
    code, _, _ = call(compiled, np.full(compiled.n_dim, 1e6))
    assert code in (3, 4)


def test_starts_are_the_start_plus_a_seeded_jitter_and_required():
    spec, runs = ModelConfig(law="chinchilla").configure(str(RUNS))
    compiled, _, _ = compiled_model(spec, runs)
    bare = with_starts(compiled, None)
    with pytest.raises(RuntimeError, match="no starting points"):
        bare.initial_point_func(0)
    start = np.arange(compiled.n_dim, dtype=float)
    np.testing.assert_array_equal(with_starts(bare, start).initial_point_func(7),
                                  start + np.random.default_rng(7).uniform(-1, 1, start.size))


@pytest.mark.slow
def test_the_same_draws_as_nutpies_own_entry_points():
    import nutpie

    spec, runs = ModelConfig(law="power", columns={"loss": "error"}).configure(
        str(ROOT / "data" / "founding_example.csv"))
    model = build_model(spec, runs)
    draws = []
    for compiled in (compile_model(model, list(spec.stored_vars)),
                     nutpie.compile_pymc_model(model, var_names=list(spec.stored_vars))):
        compiled = with_starts(compiled, start_vector(compiled, spec))
        dt = nutpie.sample(compiled, draws=200, tune=200, chains=2, seed=3, progress_bar=False,
                           adaptation="low_rank")
        draws.append({k: dt["posterior"][k].values for k in spec.stored_vars})
    for name in spec.stored_vars:
        np.testing.assert_array_equal(draws[0][name], draws[1][name], err_msg=name)
