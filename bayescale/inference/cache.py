"""Compiled models kept on disk between processes: one folder per model structure.

The first process that fits a model structure (law, likelihood, prior families, coordinates:
:meth:`~bayescale.model.coordinates.Sampling.structure`) compiles it (PyMC's graph, PyTensor's
rewrites, numba) and leaves its nutpie callbacks in a folder here (see
:mod:`~bayescale.inference.entry`); every later process with the same structure loads them in
a fraction of a second, without building the PyMC model. The numbers are the same: the loaded
callbacks are the compiled ones, and the data and prior values are swapped in as for a model
reused within a process.

The folder's name is a hash of everything the compiled code depends on: the structure, the
stored variables, the data arrays' names, types and ranks, the versions of Python, NumPy,
PyMC, PyTensor, numba, llvmlite and nutpie, PyTensor's flags and configuration file, the CPU
(as numba names it) and the text of bayescale's own source. Change any of it and the model is
compiled again, into a new folder. Only bayescale's own laws and likelihoods are kept (a
custom law as an expression, not as a Python function): code of the user's could change
without the key changing. Folders unused the longest are removed beyond :data:`KEEP` (only
folders made here).

Where: ``$BAYESCALE_COMPILE_CACHE``, else ``~/.cache/bayescale/compiled``;
``BAYESCALE_COMPILE_CACHE=off`` keeps nothing (every process compiles). A folder that cannot
be created is no error: the model is then compiled in memory only.

Layer: ``inference``.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any

ENV = "BAYESCALE_COMPILE_CACHE"
#: Values of :data:`ENV` that turn the cache off.
OFF = ("off", "0", "false", "no", "none")
#: Model folders kept (each ~0.6 MB); the least recently used go first.
KEEP = 64
_PACKAGES = ("numpy", "pymc", "pytensor", "numba", "llvmlite", "nutpie")
#: The name of a model folder.
_NAME = re.compile(r"[0-9a-f]{32}")


def root() -> Path | None:
    """The cache folder, or None when :data:`ENV` turns it off."""
    value = os.environ.get(ENV, "").strip()
    if value.lower() in OFF:
        return None
    try:
        return (Path(value).expanduser() if value
                else Path.home() / ".cache" / "bayescale" / "compiled")
    except RuntimeError:  # no home folder to be found
        return None


def cached_model(spec: Any, runs: Any, var_names: list[str]) -> tuple[Any, bool]:
    """The nutpie model of ``spec``'s structure (storing ``var_names``): loaded from the cache
    when an earlier process compiled it, else compiled from ``spec`` on ``runs`` and kept.
    Set its data and starting points (``with_data``,
    :func:`~bayescale.inference.entry.with_starts`) before sampling.

    Returns (model, whether it was loaded from the cache)."""
    from ..model.graph import model_inputs
    from .entry import compile_model, load_model

    folder = model_folder(spec, runs, var_names)
    if folder is not None:
        compiled = load_model(folder)
        # a loaded model's arrays are empty until filled: every one must be a model input
        if compiled is not None and ({slot.name for slot in compiled.shared_var_keys}
                                     == set(model_inputs(spec, runs))):
            _touch(folder)
            return compiled, True
    from ..model.graph import build_model

    compiled = compile_model(build_model(spec, runs), var_names, folder)
    if folder is not None:
        _prune(folder.parent)
    return compiled, False


def model_folder(spec: Any, runs: Any, var_names: list[str]) -> Path | None:
    """The folder of ``spec``'s structure (created, private), or None when the cache is off or
    the folder cannot be created."""
    base = root()
    if base is None or not _keepable(spec):
        return None
    from ..model.graph import model_inputs

    arrays = sorted((name, value.dtype.name, value.ndim, value.size == 1)
                    for name, value in model_inputs(spec, runs).items())
    key = repr((spec.sampling.structure(), list(var_names), arrays, _environment()))
    folder = base / hashlib.sha256(key.encode()).hexdigest()[:32]
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return None
    _touch(folder)  # in use: not pruned by another process meanwhile
    return folder


def _keepable(spec: Any) -> bool:
    """Whether the compiled code of ``spec`` is named by its structure: bayescale's own laws
    (custom ones written as expressions) and likelihoods. A law or likelihood class of the
    user's, or a custom law given as a Python function, could change without its structure
    changing: those are compiled per process."""
    own = all(type(part).__module__.startswith("bayescale.")
              for part in (spec.law, spec.likelihood))
    return own and getattr(spec.law, "portable", True)


@functools.cache
def _environment() -> tuple:
    """What else the compiled code depends on (read once per process)."""
    from importlib.metadata import PackageNotFoundError, version

    versions = []
    for name in _PACKAGES:
        try:
            versions.append((name, version(name)))
        except PackageNotFoundError:
            versions.append((name, None))
    rc_text = ""
    try:
        rc = Path(os.environ.get("PYTENSORRC") or Path.home() / ".pytensorrc").expanduser()
        rc_text = rc.read_text()
    except (OSError, RuntimeError):  # no file, or no home folder
        pass
    from numba.core.registry import cpu_target

    cpu = cpu_target.target_context.codegen().magic_tuple()  # numba's: the CPU and features
    return (sys.version, tuple(versions), os.environ.get("PYTENSOR_FLAGS", ""), rc_text, cpu,
            _source_hash())


def _source_hash() -> str:
    """A hash of bayescale's own source: a changed graph builder never meets an old model."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parents[1]
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _touch(folder: Path) -> None:
    try:
        os.utime(folder)
    except OSError:
        pass


def _prune(base: Path) -> None:
    """Remove the least recently used model folders beyond :data:`KEEP`: only folders this
    module made (a 32-hex-digit name holding a model's files), whatever else the cache folder
    the user named may hold."""
    from .entry import META_FILE, SOURCE_FILE

    try:
        folders = [p for p in base.iterdir() if _NAME.fullmatch(p.name) and p.is_dir()
                   and not p.is_symlink()
                   and ((p / SOURCE_FILE).is_file() or (p / META_FILE).is_file())]
        folders.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return
    for old in folders[KEEP:]:
        shutil.rmtree(old, ignore_errors=True)
