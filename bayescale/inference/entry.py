"""nutpie's model for a PyMC model, with lean entry points: the same compiled log density and
gradient as ``nutpie.compile_pymc_model``, in a fraction of its compile time.

nutpie hands its Rust sampler two C callbacks (``numba.cfunc``): the log density with its
gradient, and the expansion of a point into the stored variables. The PyTensor functions they
call are cached on disk by PyTensor, but the callbacks themselves cannot be (they close over
the model), and nutpie's generic way of reading the data arrays out of its ``user_data``
record compiles about 50 of numba's own overloads (``hasattr``, string formatting, tuple
surgery) in every new process: ~10 s of a fresh ``bayescale fit``'s ~20 s on two cores.

Here the callbacks read the same ``user_data`` record through a flat view of its words (data
pointers, then sizes: every array of our models is one-dimensional) in code generated for
the model's arrays, and call the same PyTensor functions with the same arrays: the numbers,
hence the draws for a seed, are nutpie's own (tests/inference/test_entry.py), and
``with_data`` works unchanged. What is left to compile per process is the thin callback.

Layer: ``inference``. Uses nutpie's internal helpers (pinned ``nutpie>=0.16,<0.17``);
:func:`compile_model` falls back to ``nutpie.compile_pymc_model`` for any model it does not
cover (data arrays of more than one dimension).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

#: Return codes of the callbacks, as nutpie's own: 0 fine, 1/-2 an exception, 3 a non-finite
#: gradient, 4 a non-finite log density, -1 a dimension mismatch.
_LOGP_TEMPLATE = '''
def logp_numba(dim, x_, out_, logp_, user_data_):
    if dim != {n_dim}:
        return -1
    try:
        words = numba.carray(user_data_, ({n_words},), np.uint64)
        x = numba.carray(x_, ({n_dim},))
        out = numba.carray(out_, ({n_dim},))
        logp = numba.carray(logp_, ())
{arrays}
        logp_val, grad = fn(x{args})
        logp[()] = logp_val
        bad = False
        for i in range({n_dim}):
            out[i] = grad[i]
            if not np.isfinite(grad[i]):
                bad = True
        if bad:
            return 3
        if not np.isfinite(logp_val):
            return 4
    except Exception:
        return 1
    return 0
'''

_EXPAND_TEMPLATE = '''
def expand_numba(dim, expanded, x_, out_, user_data_):
    if dim != {n_dim}:
        return -1
    if expanded != {n_expanded}:
        return -1
    try:
        words = numba.carray(user_data_, ({n_words},), np.uint64)
        x = numba.carray(x_, ({n_dim},))
        out = numba.carray(out_, ({n_expanded},))
{arrays}
        (values,) = fn(x{args})
        for i in range({n_expanded}):
            out[i] = values[i]
    except Exception:
        return -2
    return 0
'''


def compile_model(model: Any, var_names: Iterable[str] | None = None) -> Any:
    """The nutpie model of ``model`` (as ``nutpie.compile_pymc_model(model,
    var_names=var_names)`` with its defaults: support-point starts with jitter), with lean
    entry points when every shared array is one-dimensional."""
    from nutpie.compile_pymc import _wrap_with_lock
    from pymc.initial_point import make_initial_point_fn

    initial_point_fn = _wrap_with_lock(make_initial_point_fn(
        model=model, default_strategy="support_point", jitter_rvs=set(model.free_RVs),
        return_transformed=True))
    return _compile(model, initial_point_fn, var_names)


def _compile(model: Any, initial_point_fn: Any, var_names: Iterable[str] | None) -> Any:
    from uuid import uuid4

    import numba
    from nutpie.compile_pymc import (
        CompiledPyMCModel,
        _make_functions,
        _prepare_dims_and_coords,
        make_user_data,
    )

    (n_dim, n_expanded, logp_pt, expand_pt, initial_point, shape_info,
     reparameterized) = _make_functions(
        model, mode="NUMBA", compute_grad=True, join_expanded=True,
        pymc_initial_point_fn=initial_point_fn, var_names=var_names)
    shared_data, keys = {}, {}
    for var in [*logp_pt.get_shared(), *expand_pt.get_shared()]:
        if var in keys:
            continue
        keys[var] = uuid4().hex
        value = np.array(var.get_value(), order="C", copy=True)
        value.flags.writeable = False
        shared_data[keys[var]] = value
    if any(value.ndim != 1 for value in shared_data.values()):
        import nutpie

        return nutpie.compile_pymc_model(model, var_names=var_names)
    user_data = make_user_data(keys, shared_data)
    order = list(keys)  # the record holds the data pointers in this order, then the sizes
    n_words = user_data.dtype.itemsize // 8
    assert user_data.dtype.itemsize == 8 * 3 * len(order)  # pointer, size, shape per array

    def callback(template: str, fn: Any, inputs: list[Any], **sizes: int) -> Any:
        lines, args = [], ""
        for i, var in enumerate(inputs):
            j = order.index(var)
            dtype = np.dtype(shared_data[keys[var]].dtype).name
            lines.append(f"        a{i} = numba.carray(address_as_void_pointer(words[{j}]), "
                         f"(words[{len(order) + j}],), np.{dtype})")
            args += f", a{i}"
        source = template.format(arrays="\n".join(lines) or "        pass", args=args,
                                 n_words=n_words, **sizes)
        scope = {"numba": numba, "np": np, "fn": fn,
                 "address_as_void_pointer": _address_as_void_pointer()}
        name = template.split("def ")[1].split("(")[0]
        exec(compile(source, f"<bayescale {name}>", "exec"), scope)
        return scope[name]

    logp_raw = callback(_LOGP_TEMPLATE, logp_pt.vm.jit_fn, list(logp_pt.get_shared()),
                        n_dim=n_dim)
    expand_raw = callback(_EXPAND_TEMPLATE, expand_pt.vm.jit_fn, list(expand_pt.get_shared()),
                          n_dim=n_dim, n_expanded=n_expanded)
    types = numba.types
    logp_c = numba.cfunc(types.int64(types.uint64, types.CPointer(types.double),
                                     types.CPointer(types.double),
                                     types.CPointer(types.double), types.voidptr))(logp_raw)
    expand_c = numba.cfunc(types.int64(types.uint64, types.uint64,
                                       types.CPointer(types.double),
                                       types.CPointer(types.double), types.voidptr))(expand_raw)
    dims, coords = _prepare_dims_and_coords(model, shape_info, reparameterized)
    return CompiledPyMCModel(
        _n_dim=n_dim, dims=dims, _coords=coords,
        _shapes={name: tuple(shape) for name, _, shape in zip(*shape_info, strict=True)},
        compiled_logp_func=logp_c, compiled_expand_func=expand_c,
        initial_point_func=initial_point, shared_data=shared_data, shared_var_keys=keys,
        user_data=user_data, n_expanded=n_expanded, shape_info=shape_info,
        logp_func=logp_pt, expand_func=expand_pt)


def _address_as_void_pointer() -> Any:
    from nutpie.compile_pymc import address_as_void_pointer

    return address_as_void_pointer
