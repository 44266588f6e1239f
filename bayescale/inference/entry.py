"""nutpie's model for a PyMC model, with lean entry points: the same compiled log density and
gradient as ``nutpie.compile_pymc_model``, in a fraction of its compile time, and kept on disk
for the next process.

nutpie hands its Rust sampler two C callbacks (``numba.cfunc``): the log density with its
gradient, and the expansion of a point into the stored variables. nutpie's own callbacks
close over the model and read the data arrays out of their ``user_data`` record in a generic
way that compiles about 50 of numba's own overloads (``hasattr``, string formatting, tuple
surgery) in every new process: ~10 s of a fresh ``bayescale fit``'s ~20 s on two cores.

Here the callbacks read the same ``user_data`` record through a flat view of its words (data
pointers, then sizes: every array of our models is one-dimensional) in code generated for the
model's arrays, and call the same PyTensor functions with the same arrays: the numbers are
nutpie's own (tests/inference/test_entry.py), and ``with_data`` works unchanged.

Given a folder (:mod:`bayescale.inference.cache` picks one per model structure), the
generated source is written there and numba caches the compiled callbacks beside it, with the
PyTensor functions they call linked in: :func:`load_model` rebuilds the model in a later
process from that cache and a small :func:`recipe`, without PyMC, PyTensor's rewrites or any
compiling.

Starting points are not part of the compiled model: :func:`with_starts` sets them per fit.

Layer: ``inference``. Uses nutpie's internal helpers (pinned ``nutpie>=0.16,<0.17``);
:func:`compile_model` falls back to ``nutpie.compile_pymc_model`` for any model it does not
cover (data arrays of more than one dimension, or two of one name), and keeps nothing on disk
for those.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

#: The generated module: nutpie's two callbacks for a model's data arrays. Return codes as
#: nutpie's own: 0 fine, 1/-2 an exception, 3 a non-finite gradient, 4 a non-finite log
#: density, -1 a dimension mismatch. ``fn_logp`` and ``fn_expand`` are the PyTensor functions.
_SOURCE = '''
def logp_numba(dim, x_, out_, logp_, user_data_):
    if dim != {n_dim}:
        return -1
    try:
        words = numba.carray(user_data_, ({n_words},), np.uint64)
        x = numba.carray(x_, ({n_dim},))
        out = numba.carray(out_, ({n_dim},))
        logp = numba.carray(logp_, ())
{logp_arrays}
        logp_val, grad = fn_logp(x{logp_args})
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


def expand_numba(dim, expanded, x_, out_, user_data_):
    if dim != {n_dim}:
        return -1
    if expanded != {n_expanded}:
        return -1
    try:
        words = numba.carray(user_data_, ({n_words},), np.uint64)
        x = numba.carray(x_, ({n_dim},))
        out = numba.carray(out_, ({n_expanded},))
{expand_arrays}
        (values,) = fn_expand(x{expand_args})
        for i in range({n_expanded}):
            out[i] = values[i]
    except Exception:
        return -2
    return 0
'''

#: Files of a model's folder: the generated module, and what else :func:`load_model` needs.
SOURCE_FILE = "callbacks.py"
META_FILE = "model.json"


@dataclasses.dataclass(frozen=True)
class Slot:
    """A data array of the model, in place of its PyTensor shared variable among nutpie's
    ``shared_var_keys`` (``with_data`` finds arrays by ``name``), so that a model loaded from
    disk and a compiled one look alike."""

    name: str
    dtype: str
    ndim: int = 1


def compile_model(model: Any, var_names: Iterable[str] | None = None,
                  folder: Path | None = None) -> Any:
    """The nutpie model of ``model`` (as ``nutpie.compile_pymc_model(model,
    var_names=var_names)``, but without starting points: see :func:`with_starts`), with lean
    entry points when every shared array is one-dimensional.

    With ``folder`` (an existing, private folder for this model's structure), the callbacks'
    source is written there, numba caches them beside it and their :data:`META_FILE` is written
    last, for :func:`load_model` in a later process."""
    from nutpie.compile_pymc import _make_functions, _prepare_dims_and_coords

    (n_dim, n_expanded, logp_pt, expand_pt, _, shape_info,
     reparameterized) = _make_functions(
        model, mode="NUMBA", compute_grad=True, join_expanded=True,
        pymc_initial_point_fn=_no_starts, var_names=var_names)
    data: dict[Any, np.ndarray] = {}
    for var in [*logp_pt.get_shared(), *expand_pt.get_shared()]:
        if var not in data:
            data[var] = np.array(var.get_value(), order="C", copy=True)
    if (any(value.ndim != 1 for value in data.values())
            or len({var.name for var in data}) != len(data)):
        import nutpie

        return with_starts(nutpie.compile_pymc_model(model, var_names=var_names), None)
    order = [var.name for var in data]
    dims, coords = _prepare_dims_and_coords(model, shape_info, reparameterized)
    names, slices, shapes = shape_info
    used = {d for name in names for d in dims.get(name, ())}
    meta = {"n_dim": int(n_dim), "n_expanded": int(n_expanded),
            "slots": [[var.name, value.dtype.name] for var, value in data.items()],
            "logp_slots": [order.index(v.name) for v in logp_pt.get_shared()],
            "expand_slots": [order.index(v.name) for v in expand_pt.get_shared()],
            "names": list(names), "slices": [[int(s.start), int(s.stop)] for s in slices],
            "shapes": [[int(n) for n in shape] for shape in shapes],
            "dims": {n: list(dims[n]) for n in names if n in dims},
            "coords": {d: [_plain(v) for v in values] for d, values in coords.items()
                       if d in used or d == "unconstrained_parameter"}}
    source = _source(meta)
    path = None
    if folder is not None and _write_new(Path(folder) / SOURCE_FILE, source):
        path = Path(folder) / SOURCE_FILE
    try:
        logp_c, expand_c = _callbacks(source, path, logp_pt.vm.jit_fn, expand_pt.vm.jit_fn)
    except Exception:
        if path is None:
            raise
        # numba could not keep or read its cache there (no place, a full disk, the folder
        # removed meanwhile, a damaged index): compile in memory only
        path = None
        logp_c, expand_c = _callbacks(source, None, logp_pt.vm.jit_fn, expand_pt.vm.jit_fn)
    compiled = _assemble(meta, logp_c, expand_c, {Slot(var.name, value.dtype.name): value
                                                   for var, value in data.items()},
                         logp_pt, expand_pt, coords)
    if path is not None:
        _write_replacing(Path(folder) / META_FILE, json.dumps(meta))
    return compiled


def load_model(folder: Path) -> Any | None:
    """The model that :func:`compile_model` compiled into ``folder`` in an earlier process,
    from numba's cache there, with empty data arrays (fill them with ``with_data``); None when
    the folder does not hold a complete one, or numba's cache does not (another CPU, a cleaned
    cache). Nothing is compiled: the PyTensor functions are linked into numba's cached code."""
    try:
        meta = json.loads((Path(folder) / META_FILE).read_text())
        source = _source(meta)
        path = Path(folder) / SOURCE_FILE
        if path.read_text() != source:
            return None
        # no PyTensor function to call: a numba cache miss fails at once instead of compiling
        logp_c, expand_c = _callbacks(source, path, None, None)
        if logp_c.cache_hits != 1 or expand_c.cache_hits != 1:
            return None
        slots = {Slot(name, np.dtype(dtype).name): np.zeros(0, dtype=dtype)
                 for name, dtype in meta["slots"]}
        return _assemble(meta, logp_c, expand_c, slots, None, None, None)
    except Exception:  # a folder that does not load is a miss: compile instead
        return None


def with_starts(compiled: Any, start: np.ndarray | None) -> Any:
    """``compiled`` with every chain starting at ``start`` plus a uniform jitter in (-1, 1) on
    each coordinate drawn from the chain's seed: PyMC's default jitter, around the fit's own
    start (not the one of the model it was compiled for). nutpie takes its starts from here;
    its ``init_mean`` does not set them."""
    if start is None:
        return dataclasses.replace(compiled, initial_point_func=_no_starts)
    start = np.array(start, dtype=float)
    start.flags.writeable = False

    def starts(seed: int) -> np.ndarray:
        return start + np.random.default_rng(seed).uniform(-1.0, 1.0, start.size)

    return dataclasses.replace(compiled, initial_point_func=starts)


def _no_starts(*_: Any) -> Any:
    raise RuntimeError("no starting points: set them with with_starts(compiled, start)")


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _source(meta: dict[str, Any]) -> str:
    """The callbacks' module for ``meta``'s arrays (everything numba compiles is in the text:
    a source file names what it compiled)."""
    slots = meta["slots"]

    def arrays(used: list[int]) -> tuple[str, str]:
        lines = [f"        a{i} = numba.carray(address_as_void_pointer(words[{j}]), "
                 f"(words[{len(slots) + j}],), np.{np.dtype(slots[j][1]).name})"
                 for i, j in enumerate(used)]
        return "\n".join(lines) or "        pass", "".join(f", a{i}" for i in range(len(used)))

    logp_arrays, logp_args = arrays(meta["logp_slots"])
    expand_arrays, expand_args = arrays(meta["expand_slots"])
    # the arrays named in the text (JSON: one line, whatever the names), so a description
    # never pairs with another's code
    header = "# arrays: " + json.dumps([[str(n), np.dtype(d).name] for n, d in slots]) + "\n"
    return header + _SOURCE.format(n_dim=int(meta["n_dim"]), n_expanded=int(meta["n_expanded"]),
                          n_words=3 * len(slots), logp_arrays=logp_arrays, logp_args=logp_args,
                          expand_arrays=expand_arrays, expand_args=expand_args)


def _callbacks(source: str, path: Path | None, fn_logp: Any, fn_expand: Any) -> tuple[Any, Any]:
    """The two C callbacks of ``source``, calling ``fn_logp`` and ``fn_expand``; cached by numba
    beside ``path`` when given (the file must hold ``source``: numba keys its cache on the
    file's name, stamp and the functions' bytecode)."""
    import numba
    from nutpie.compile_pymc import address_as_void_pointer

    name = "bayescale_callbacks" if path is None else f"bayescale_model_{path.parent.name}"
    module = ModuleType(name)
    module.__dict__.update(numba=numba, np=np, fn_logp=fn_logp, fn_expand=fn_expand,
                           address_as_void_pointer=address_as_void_pointer)
    exec(compile(source, "<bayescale callbacks>" if path is None else str(path), "exec"),
         module.__dict__)
    if path is not None:
        # numba pickles a cached function's globals by module name and imports it to load
        sys.modules[name] = module
    scope = module.__dict__
    t = numba.types
    cache = path is not None
    logp_c = numba.cfunc(t.int64(t.uint64, t.CPointer(t.double), t.CPointer(t.double),
                                 t.CPointer(t.double), t.voidptr), cache=cache)(scope["logp_numba"])
    expand_c = numba.cfunc(t.int64(t.uint64, t.uint64, t.CPointer(t.double),
                                   t.CPointer(t.double), t.voidptr),
                           cache=cache)(scope["expand_numba"])
    return logp_c, expand_c


def _assemble(meta: dict[str, Any], logp_c: Any, expand_c: Any, data: dict[Slot, np.ndarray],
              logp_pt: Any, expand_pt: Any, coords: dict[str, Any] | None) -> Any:
    import pandas as pd
    from nutpie.compile_pymc import CompiledPyMCModel, make_user_data

    keys = {slot: f"a{i}" for i, slot in enumerate(data)}
    shared_data = {}
    for slot, value in data.items():
        value = np.array(value, order="C", copy=True)
        value.flags.writeable = False
        shared_data[keys[slot]] = value
    user_data = make_user_data(keys, shared_data)
    assert user_data.dtype.itemsize == 8 * 3 * len(keys)  # pointer, size, shape per array
    names = list(meta["names"])
    shapes = [tuple(int(n) for n in s) for s in meta["shapes"]]
    ends = [0] + [int(b) for _, b in meta["slices"]]
    if (not len(names) == len(shapes) == len(meta["slices"])
            or [a for a, _ in meta["slices"]] != ends[:-1] or ends[-1] != int(meta["n_expanded"])
            or any(b - a != int(np.prod(s))
                   for (a, b), s in zip(meta["slices"], shapes, strict=True))):
        raise ValueError("inconsistent model description")
    shape_info = (names, [slice(a, b) for a, b in meta["slices"]],
                  [np.array(s, dtype=int) for s in shapes])
    if coords is None:
        coords = {d: pd.Index(v) for d, v in meta["coords"].items()}
    return CompiledPyMCModel(
        _n_dim=int(meta["n_dim"]), dims={n: tuple(d) for n, d in meta["dims"].items()},
        _coords=coords, _shapes=dict(zip(names, shapes, strict=True)),
        compiled_logp_func=logp_c, compiled_expand_func=expand_c,
        initial_point_func=_no_starts, shared_data=shared_data, shared_var_keys=keys,
        user_data=user_data, n_expanded=int(meta["n_expanded"]), shape_info=shape_info,
        logp_func=logp_pt, expand_func=expand_pt)


def _write_replacing(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (a temporary file moved into place), replacing
    what is there; nothing when the folder cannot be written (the model is then not kept)."""
    import tempfile

    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
        try:
            with os.fdopen(fd, "w") as f:
                f.write(text)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass


def _write_new(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` unless a file is there already (it is never rewritten: numba's
    cache relies on its stamp); whether ``path`` now holds ``text``. Atomic (a temporary file
    linked into place); False when the folder cannot be written."""
    import tempfile

    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
        try:
            with os.fdopen(fd, "w") as f:
                f.write(text)
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass
        finally:
            os.unlink(tmp)
        return path.read_text() == text
    except OSError:
        return False
