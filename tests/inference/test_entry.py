"""bayescale's lean nutpie entry points (bayescale/inference/entry.py): the same numbers as
the PyTensor functions they call, new data through ``with_data``, and the same draws as
``nutpie.compile_pymc_model`` for a seed."""

import ctypes

import numpy as np
import pytest

from bayescale.inference.samplers import compiled_model, start_vector
from bayescale.model.config import ModelConfig
from tests.conftest import ROOT

RUNS = ROOT / "data" / "chinchilla_runs.csv"


def _call(compiled, x):
    """The logp callback as nutpie's sampler calls it: (code, logp, gradient)."""
    out, logp = np.zeros(compiled.n_dim), np.zeros(())
    code = compiled.compiled_logp_func.ctypes(
        compiled.n_dim, x.ctypes.data_as(ctypes.POINTER(ctypes.c_double)),
        out.ctypes.data_as(ctypes.POINTER(ctypes.c_double)),
        logp.ctypes.data_as(ctypes.POINTER(ctypes.c_double)),
        ctypes.c_void_p(compiled.user_data.ctypes.data))
    return code, float(logp), out


def _expected(compiled, x):
    fn = compiled.logp_func
    shared = {var: compiled.shared_data[key] for var, key in compiled.shared_var_keys.items()}
    logp, grad = fn.vm.jit_fn(x, *[np.array(shared[v]) for v in fn.get_shared()])
    return float(logp), np.asarray(grad)


def test_callbacks_give_the_pytensor_numbers_and_take_new_data():
    config = ModelConfig(law="chinchilla")
    spec, runs = config.configure(str(RUNS))
    compiled, _ = compiled_model(spec, runs)
    rng = np.random.default_rng(0)
    for _ in range(5):
        x = rng.normal(0, 0.5, compiled.n_dim)
        code, logp, grad = _call(compiled, x)
        want_logp, want_grad = _expected(compiled, x)
        assert code == 0 and logp == want_logp and np.array_equal(grad, want_grad)
    fewer = runs.table.iloc[:12].reset_index(drop=True)
    spec2, runs2 = config.configure(fewer)
    other, seconds = compiled_model(spec2, runs2)
    assert seconds == 0.0  # same structure: the compiled model is reused with new data
    x = rng.normal(0, 0.5, other.n_dim)
    assert _call(other, x)[1] == _expected(other, x)[0] != _call(compiled, x)[1]


def test_a_non_finite_point_is_reported_not_a_crash():
    spec, runs = ModelConfig(law="chinchilla").configure(str(RUNS))
    compiled, _ = compiled_model(spec, runs)
    code, _, _ = _call(compiled, np.full(compiled.n_dim, 1e6))
    assert code in (3, 4)


@pytest.mark.slow
def test_the_same_draws_as_nutpies_own_entry_points():
    import nutpie

    from bayescale.inference.entry import compile_model
    from bayescale.model.graph import build_model

    spec, runs = ModelConfig(law="power", columns={"loss": "error"}).configure(
        str(ROOT / "data" / "founding_example.csv"))
    model = build_model(spec, runs)
    draws = []
    for compiled in (compile_model(model, list(spec.stored_vars)),
                     nutpie.compile_pymc_model(model, var_names=list(spec.stored_vars))):
        # bayescale starts every chain at the same point (nutpie's own jittered starts depend
        # on the iteration order of a set of PyMC variables)
        x0 = start_vector(compiled, spec)
        dt = nutpie.sample(compiled, draws=200, tune=200, chains=2, seed=3, progress_bar=False,
                           adaptation="low_rank", init_mean=x0)
        draws.append({k: dt["posterior"][k].values for k in spec.stored_vars})
    for name in spec.stored_vars:
        np.testing.assert_array_equal(draws[0][name], draws[1][name], err_msg=name)
