"""Save and load fits as NetCDF: the ArviZ-style DataTree plus a JSON spec. Never pickle.

File layout::

    /                 attrs["bayescale"] = JSON: schema_version, bayescale_version, the model
                      spec (law, likelihood, resolved priors, reference scales, lowest loss),
                      column mapping, data source, sampler settings and seed, warnings
    /posterior        public parameters on (chain, draw)   (or /prior for a prior predictive)
    /sample_stats     numeric sampler statistics (MCMC fits only)
    /constant_data    the runs' N, D, C on dim ``run``
    /observed_data    their loss on dim ``run``

A file without the ``bayescale`` attribute, or from a newer schema, is refused with a clear
error. A file is untrusted input: ``read`` checks what its arrays declare before reading any
value, its JSON against an explicit schema with size and depth limits before building any
object from it, and its draws for NaN and infinities; whatever is wrong is one
:class:`~bayescale.errors.FileFormatError` line naming the file and the part.

Writes go to a temporary file in the same folder and are renamed into place, so a failed save
never leaves a half-written file, and an existing file is only replaced on request.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .._version import __version__
from ..data.runs import Runs
from ..errors import BayescaleError, FileFormatError, shown
from ..model.spec import ModelSpec

if TYPE_CHECKING:
    from .fit import ScalingFit

#: Bump when the file layout changes; ``load`` refuses files with a larger number.
SCHEMA_VERSION = 1
ATTR = "bayescale"


def check_writable(path: str | Path, *, overwrite: bool, flag: str = "overwrite=True",
                   suffixes: tuple[str, ...] = ()) -> Path:
    """Refuse to replace an existing file unless asked (``flag`` names how to ask), and check
    the folder exists and, when given, the file name's suffix."""
    p = Path(path)
    if p.is_dir():
        raise FileFormatError(f"{str(p)!r} is a directory; give a file name")
    if suffixes and p.suffix.lower() not in suffixes:
        raise FileFormatError(f"{str(p)!r}: the output is NetCDF; name it with "
                              f"{' or '.join(suffixes)}")
    if p.exists() and not overwrite:
        raise FileFormatError(f"{str(p)!r} already exists; use {flag} to replace it")
    if not p.parent.exists():
        raise FileFormatError(f"cannot write {str(p)!r}: folder {str(p.parent)!r} does not exist")
    return p


def atomic_write(path: Path, write: Any, *, overwrite: bool = True) -> Path:
    """Call ``write(tmp_path)`` and move the result to ``path`` only if it succeeded.

    The temporary is created exclusively under an unpredictable name beside ``path`` (never
    a planted file or symlink). Without ``overwrite`` the result is linked into place, which
    fails if ``path`` appeared meanwhile (a concurrent writer): it is never replaced."""
    import tempfile

    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # the permissions a plain open() would give
    try:
        write(tmp)
        if overwrite:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise FileFormatError(f"{str(path)!r} was created by someone else while this "
                                      "one was being written; it was left as it is") from None
            tmp.unlink()
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def to_datatree(fit: ScalingFit) -> Any:
    """The fit's DataTree with the JSON spec in the root attributes, ready for NetCDF."""
    meta = {
        **fit.meta,
        "schema_version": SCHEMA_VERSION,
        "bayescale_version": __version__,
        "model": fit.spec.to_dict(),
        "columns": dict(fit.runs.columns),
        "source": fit.runs.source,
        "notes": list(fit.runs.notes),
    }
    dt = fit.dt.copy()
    if "sample_stats" in dt.children:  # netCDF has no boolean type
        stats = dt["sample_stats"].to_dataset()
        dt["sample_stats"] = stats.assign({k: stats[k].astype("int8") for k in stats.data_vars
                                           if stats[k].dtype == bool})
    dt.attrs = {ATTR: json.dumps(meta, sort_keys=True)}
    return dt


NETCDF_SUFFIXES = (".nc", ".nc4", ".netcdf")


def save(fit: ScalingFit, path: str | Path, *, overwrite: bool = False,
         flag: str = "overwrite=True") -> Path:
    if not getattr(fit.law, "portable", True):
        raise FileFormatError("a fit of a law defined by a Python function cannot be saved "
                              "(it would need pickle); define the law with an expression")
    p = check_writable(path, overwrite=overwrite, flag=flag, suffixes=NETCDF_SUFFIXES)
    dt = to_datatree(fit)
    try:
        return atomic_write(p, lambda tmp: dt.to_netcdf(tmp, engine="netcdf4"),
                            overwrite=overwrite)
    except OSError as exc:
        raise FileFormatError(f"cannot write {str(p)!r}: {exc.strerror or exc}") from None


# -- reading an untrusted file ---------------------------------------------------------------
#: Every array of a file together may declare at most this many bytes; checked before any value
#: is read, so that a small file with huge declared dimensions cannot exhaust the memory.
MAX_ARRAY_BYTES = 2 * 2**30
#: bayescale writes its arrays uncompressed: arrays that declare more than this multiple of the
#: file's size (beyond :data:`UNSTORED_SLACK`) hold values compressed far below their size, or
#: none at all (a "bomb"), and are refused before they are read.
STORED_RATIO = 4
UNSTORED_SLACK = 64 * 2**20
#: At most this many variables (all groups together).
MAX_VARIABLES = 10_000
#: Limits on the JSON attribute: characters, nesting depth, the length of any string and of
#: any list or mapping, values in all, and the size of an integer.
MAX_JSON_CHARS = 16 * 2**20
MAX_DEPTH = 20
MAX_STRING = 100_000
MAX_ITEMS = 100_000
MAX_NODES = 1_000_000
MAX_INT = 2**63 - 1
#: Characters no stored string may hold (a terminal acts on them): C0 controls but tab and
#: line breaks, DEL, C1 controls.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: The groups a fit may hold draws in, and how a fit's draws were made.
GROUPS = ("posterior", "prior")
METHODS = ("mcmc", "laplace")


def read(path: str | Path) -> tuple[Any, ModelSpec, Runs, dict[str, Any]]:
    """The parts of a fit saved by :meth:`ScalingFit.save` (DataTree, spec, runs, meta), checked;
    :func:`bayescale.load` makes the fit of them. No refit, no recompile.

    The file is untrusted: what its arrays declare is checked before any value is read
    (:data:`MAX_ARRAY_BYTES`, :data:`STORED_RATIO`), its JSON against an explicit schema with
    size and depth limits before any object is built from it, and the draws must be finite.
    Anything wrong is one :class:`FileFormatError` line naming the file and the part."""
    import xarray as xr

    p = Path(path)
    if not p.exists():
        raise FileFormatError(f"cannot read {str(p)!r}: no such file")
    if p.is_dir():
        raise FileFormatError(f"cannot read {str(p)!r}: it is a directory")
    where = repr(str(p))
    check_declared(p)
    try:
        with xr.open_datatree(p, engine="netcdf4") as handle:
            dt = handle.load()
    except Exception:
        raise FileFormatError(
            f"{where} is not a NetCDF file written by bayescale (cannot open it)"
        ) from None
    raw = dt.attrs.get(ATTR)
    if raw is None:
        raise FileFormatError(f"{where} was not written by bayescale (no {ATTR!r} attribute)")
    meta = decode_meta(raw, where)
    spec, runs = _build(meta, dt, where)
    check_arrays(dt, spec, meta.get("group", "posterior"), where)
    for key in ("model", "columns", "source", "notes", "schema_version"):
        meta.pop(key, None)
    meta["loaded_from"] = str(p)
    return dt, spec, runs, meta


def _size(n: float) -> str:
    for unit, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{int(n)} bytes"


def check_declared(p: Path) -> None:
    """Refuse a file whose arrays declare more than :data:`MAX_ARRAY_BYTES`, or far more than
    the file stores (:data:`STORED_RATIO`), from their shapes and types alone: no value is
    read."""
    import netCDF4
    import numpy as np

    where = repr(str(p))
    try:
        root = netCDF4.Dataset(p, "r")
    except Exception:
        raise FileFormatError(
            f"{where} is not a NetCDF file written by bayescale (cannot open it)"
        ) from None
    try:
        total, count, largest = 0, 0, ("", (), 0)
        stack = [root]
        while stack:
            group = stack.pop(0)  # in the file's order: the first of the largest is named
            stack.extend(group.groups.values())
            for name, var in group.variables.items():
                count += 1
                if count > MAX_VARIABLES:
                    raise FileFormatError(f"{where}: more than {MAX_VARIABLES} variables; not a "
                                          "fit file")
                shape = tuple(int(n) for n in var.shape)
                values = math.prod(shape)
                item = var.dtype.itemsize if isinstance(var.dtype, np.dtype) else 16
                total += values * max(int(item), 1)
                if values > largest[2]:
                    largest = (f"{group.path.strip('/')}/{name}".lstrip("/"), shape, values)
    except FileFormatError:
        raise
    except Exception:
        raise FileFormatError(f"{where}: its layout is corrupt (cannot list its variables)"
                              ) from None
    finally:
        root.close()
    name, shape, values = largest
    what = (f"largest: {shown(name)} of shape {'×'.join(map(str, shape))} = {values:,} values")
    if total > MAX_ARRAY_BYTES:
        raise FileFormatError(f"{where}: its arrays declare {_size(total)} ({what}); a fit file "
                              f"may hold at most {_size(MAX_ARRAY_BYTES)}: refusing to load it")
    stored = p.stat().st_size
    if total > STORED_RATIO * stored + UNSTORED_SLACK:
        raise FileFormatError(f"{where}: its arrays declare {_size(total)} ({what}) but the file "
                              f"holds {_size(stored)}: values compressed or missing, refusing to "
                              "load it")


# -- the JSON attribute: generic limits, then an explicit schema -----------------------------
class _Invalid(Exception):
    """A part of the stored JSON that breaks the schema (its path and the problem)."""


def _join(path: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    key = str(key)
    name = key if key.isidentifier() and len(key) <= 40 else f"[{shown(key)}]"
    return f"{path}.{name}" if path and not name.startswith("[") else f"{path}{name}"


def check_json_limits(value: Any) -> None:
    """Depth, string, list and integer limits over the whole decoded JSON (no recursion)."""
    stack: list[tuple[Any, str, int]] = [(value, "", 1)]
    nodes = 0
    while stack:
        v, path, depth = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            raise _Invalid(f"more than {MAX_NODES:,} values")
        if depth > MAX_DEPTH:
            raise _Invalid(f"{path} is nested more than {MAX_DEPTH} levels deep")
        if isinstance(v, (dict, list)):
            if len(v) > MAX_ITEMS:
                raise _Invalid(f"{path or 'the top level'} has {len(v):,} items (limit "
                               f"{MAX_ITEMS:,})")
            items = v.items() if isinstance(v, dict) else enumerate(v)
            for k, x in items:
                if isinstance(k, str) and (len(k) > 200 or _CONTROL.search(k)):
                    raise _Invalid(f"{path or 'the top level'} has a key of {len(k):,} "
                                   "characters or with a control character")
                stack.append((x, _join(path, k), depth + 1))
        elif isinstance(v, str) and len(v) > MAX_STRING:
            raise _Invalid(f"{path} is a string of {len(v):,} characters (limit "
                           f"{MAX_STRING:,})")
        elif isinstance(v, str) and _CONTROL.search(v):
            raise _Invalid(f"{path} holds a control character "
                           f"({_CONTROL.search(v).group()!r}), which a terminal would act on")
        elif isinstance(v, int) and not isinstance(v, bool) and abs(v) > MAX_INT:
            raise _Invalid(f"{path} is {shown(v)}, too large")


Check = Callable[[Any, str], None]


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


_KINDS: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "str": ("a string", lambda v: isinstance(v, str)),
    "bool": ("true or false", lambda v: isinstance(v, bool)),
    "int": ("an integer", lambda v: isinstance(v, int) and not isinstance(v, bool)),
    "count": ("an integer ≥ 0", lambda v: isinstance(v, int) and not isinstance(v, bool)
              and v >= 0),
    "num": ("a finite number", lambda v: _number(v) and math.isfinite(v)),
    "pos": ("a finite number > 0", lambda v: _number(v) and math.isfinite(v) and v > 0),
    # the bounds of a prior may be infinite (a truncated normal); its checks do the rest
    "real": ("a number (not NaN)", lambda v: _number(v) and not math.isnan(v)),
    "scalar": ("a string, number, true, false or null",
               lambda v: v is None or isinstance(v, (str, int, float))),
}


def _is(kind: str, none: bool = False) -> Check:
    what, test = _KINDS[kind]

    def check(v: Any, path: str) -> None:
        if not ((none and v is None) or test(v)):
            raise _Invalid(f"{path} must be {what}{' or null' if none else ''}, got "
                           f"{shown(v)}")
    return check


def _one_of(*choices: str) -> Check:
    def check(v: Any, path: str) -> None:
        if v not in choices or not isinstance(v, str):
            raise _Invalid(f"{path} must be one of {', '.join(map(repr, choices))}, got "
                           f"{shown(v)}")
    return check


def _list(item: Check, none: bool = False) -> Check:
    def check(v: Any, path: str) -> None:
        if none and v is None:
            return
        if not isinstance(v, list):
            raise _Invalid(f"{path} must be a list, got {shown(v)}")
        for i, x in enumerate(v):
            item(x, _join(path, i))
    return check


def _map(value: Check, none: bool = False) -> Check:
    def check(v: Any, path: str) -> None:
        if none and v is None:
            return
        if not isinstance(v, dict):
            raise _Invalid(f"{path} must be a mapping, got {shown(v)}")
        for k, x in v.items():
            value(x, _join(path, k))
    return check


def _record(fields: Mapping[str, Check], required: tuple[str, ...] = (),
            rest: Check | None = None, none: bool = False) -> Check:
    """A mapping with known ``fields`` (``required`` ones must be there); other keys are
    checked by ``rest`` when given, else left to the generic limits."""
    def check(v: Any, path: str) -> None:
        if none and v is None:
            return
        if not isinstance(v, dict):
            raise _Invalid(f"{path} must be a mapping, got {shown(v)}")
        for key in required:
            if key not in v:
                raise _Invalid(f"{_join(path, key)} is missing")
        for k, x in v.items():
            if k in fields:
                fields[k](x, _join(path, k))
            elif rest is not None:
                rest(x, _join(path, k))
    return check


def _either(first: Check, second: Check, what: str) -> Check:
    """``first`` (a scalar) or ``second`` (a container, whose own error is kept: it names the
    part inside that is wrong)."""
    def check(v: Any, path: str) -> None:
        if isinstance(v, (dict, list)):
            second(v, path)
            return
        try:
            first(v, path)
        except _Invalid:
            raise _Invalid(f"{path} must be {what}, got {shown(v)}") from None
    return check


_PRIOR = _either(_is("real"), _record({"dist": _is("str"), "kwargs": _map(_is("real"))},
                                      ("dist",)),
                 'a number or {"dist": ..., "kwargs": {...}}')
_LAW = _record({"name": _is("str")}, ("name",), rest=_is("scalar"))
_MODEL = _record({
    "law": _LAW, "likelihood": _is("str"), "priors": _map(_PRIOR), "reference": _map(_is("pos")),
    "loss_min": _is("num"), "n_groups": _is("count"), "origins": _map(_is("str")),
    "notes": _list(_is("str"))}, ("law", "likelihood", "priors", "reference", "loss_min"))
_CONFIG = _record({
    "law": _either(_is("str", none=True), _LAW, "a law name, a law mapping or null"),
    "likelihood": _is("str", none=True), "priors": _map(_PRIOR, none=True),
    "columns": _either(_is("str", none=True), _map(_is("str")), "a mapping of column names"),
    "x": _is("str", none=True), "query": _is("str", none=True),
    "law_options": _map(_is("scalar"), none=True), "base": _is("str")}, none=True)
_DISCREPANCY = _record({
    "delta": _is("num"), "input": _is("str"), "reference": _is("pos"), "source": _is("str"),
    "splits": _list(_map(_is("scalar"))), "values": _list(_is("num")),
    "weights": _list(_is("num")), "prior": _record({"dist": _is("str"),
                                                    "kwargs": _map(_is("real"))}, ("dist",),
                                                   none=True)},
    ("delta", "input", "reference"), none=True)
#: The schema of the JSON attribute: known keys and their types (other keys: generic limits).
_META = _record({
    "schema_version": _is("count"), "bayescale_version": _is("str"), "model": _MODEL,
    "columns": _map(_is("str"), none=True), "source": _is("str", none=True),
    "notes": _list(_is("str")), "group": _one_of(*GROUPS), "method": _one_of(*METHODS),
    "warnings": _list(_is("str")), "approximation_messages": _list(_is("str")),
    "sampler": _record({"random_seed": _is("count", none=True), "draws": _is("count"),
                        "chains": _is("count"), "tune": _is("count")}, rest=_is("scalar")),
    "sampling_seconds": _is("num", none=True), "compile_seconds": _is("num", none=True),
    "compiled": _one_of("reused", "cache", "compiled"),
    "gradient_evaluations": _is("count", none=True), "created": _is("str"),
    "command": _is("str", none=True), "by": _map(_is("str")),
    "map": _map(_either(_is("num"), _list(_is("num")), "a number or a list of numbers")),
    "optimizer_converged": _is("bool"), "hessian_ok": _is("bool"), "fabricated": _is("bool"),
    "config": _CONFIG, "discrepancy": _DISCREPANCY, "loaded_from": _is("str"),
    "second_pass": _map(_is("scalar"))},
    ("schema_version", "model"))


def decode_meta(raw: Any, where: str) -> dict[str, Any]:
    """The JSON attribute decoded and checked: generic limits, the schema version (a newer one
    is refused with its own message), then :data:`_META`."""
    corrupt = f"{where}: the bayescale attribute is corrupt"
    if not isinstance(raw, str):
        raise FileFormatError(f"{corrupt}: not a JSON string")
    if len(raw) > MAX_JSON_CHARS:
        raise FileFormatError(f"{corrupt}: {len(raw):,} characters (limit {MAX_JSON_CHARS:,})")
    try:
        meta = json.loads(raw)
    except RecursionError:
        raise FileFormatError(f"{corrupt}: nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as exc:
        raise FileFormatError(f"{corrupt}: not valid JSON ({_line(exc, 120)})") from None
    try:
        check_json_limits(meta)
        if not isinstance(meta, dict):
            raise _Invalid(f"the top level must be a mapping, got {shown(meta)}")
        version = meta.get("schema_version")
        _is("count")(version, "schema_version")
        if version > SCHEMA_VERSION:
            written = meta.get("bayescale_version")
            raise FileFormatError(
                f"{where} was written by bayescale "
                f"{_line(written, 40) if isinstance(written, str) else '?'} (file schema "
                f"{version}); this is bayescale {__version__} (schema {SCHEMA_VERSION}): "
                "upgrade bayescale to read it")
        _META(meta, "")
    except _Invalid as exc:
        raise FileFormatError(f"{corrupt}: {exc}") from None
    return meta


def _line(text: Any, limit: int = 300) -> str:
    """``text`` as one line of at most ``limit`` characters."""
    out = " ".join(str(text).split())
    return out if len(out) <= limit else out[: limit - 3] + "..."


def _build(meta: dict[str, Any], dt: Any, where: str) -> tuple[ModelSpec, Runs]:
    """Spec, runs (and a check of config and discrepancy) from checked JSON and the loaded
    tree; any failure is one line naming the file and the part."""
    import numpy as np

    from ..model.config import ModelConfig
    from .discrepancy import Discrepancy

    part, verb = "model", "is"
    try:
        spec = ModelSpec.from_dict(meta["model"])
        for p in spec.params:
            try:
                spec.prior_for(p)
            except KeyError:
                raise FileFormatError(f"no prior for {p.name!r}") from None
            if p.input and p.input not in spec.reference:
                raise FileFormatError(f"no reference scale for {p.input!r}")
        spec.validate()  # priors with mass on each parameter's range, as when it was fitted
        try:  # priors that draw (the shrinkage needs it), or say why not in one line later
            spec.sample_prior(2, np.random.default_rng(0))
        except BayescaleError:
            pass
        part = "config"
        if meta.get("config"):
            ModelConfig.from_dict(meta["config"])
        part = "discrepancy"
        if meta.get("discrepancy"):
            Discrepancy.from_dict(meta["discrepancy"])
        part, verb = "runs", "are"
        runs = _runs(meta, dt, spec)
    except BayescaleError as exc:
        raise FileFormatError(f"{where}: the stored {part} {verb} invalid: {_line(exc)}"
                              ) from None
    except Exception as exc:
        raise FileFormatError(f"{where}: the stored {part} {verb} corrupt "
                              f"({type(exc).__name__}: {_line(exc, 120)})") from None
    return spec, runs


def _runs(meta: dict[str, Any], dt: Any, spec: ModelSpec) -> Runs:
    """The runs from ``constant_data`` and ``observed_data``: one-dimensional on ``run``, the
    canonical columns finite numbers as when they were fitted (positive; an accuracy in
    [0, 1]), ``run_id`` the only other kind of column."""
    import numpy as np

    from ..data.runs import CANONICAL, RUN_ID, numeric_column, parse_columns

    law = spec.law
    for name in ("constant_data", "observed_data"):
        if name not in dt.children:
            raise FileFormatError(f"no {name!r} group")
    constant = dt["constant_data"].to_dataset()
    observed = dt["observed_data"].to_dataset()
    if law.response not in observed:
        raise FileFormatError(f"no observed_data/{law.response}")
    columns = [(f"constant_data/{k}", k, v) for k, v in constant.data_vars.items()]
    columns.append((f"observed_data/{law.response}", law.response, observed[law.response]))
    table: dict[str, Any] = {}
    length = None
    for label, name, var in columns:
        if var.dims != ("run",):
            raise FileFormatError(f"{label} lies on {var.dims}, not ('run',)")
        if length is not None and var.size != length:
            raise FileFormatError(f"{label} has {var.size} runs, not {length}")
        length = var.size
        values = var.to_numpy()
        if name == RUN_ID:
            table[name] = values
        elif values.dtype.kind not in "biuf":
            raise FileFormatError(f"{label} is not numeric ({values.dtype})")
        elif name in CANONICAL:
            table[name] = numeric_column(pd.Series(values), label, positive=name != "accuracy")
            if name == "accuracy" and ((table[name] < 0) | (table[name] > 1)).any():
                raise FileFormatError(f"{label}: an accuracy must be between 0 and 1")
        elif not np.isfinite(values).all():
            raise FileFormatError(f"{label} is not finite")
        else:
            table[name] = values
    if not length:
        raise FileFormatError("no runs")
    # C is kept whenever N and D are known (``Runs.from_frame``); the extrapolation needs it
    missing = [k for k in (*law.inputs, *(["C"] if {"N", "D"} <= set(table) else []))
               if k not in table]
    if missing:
        raise FileFormatError(f"no constant_data/{missing[0]}")
    if spec.n_groups:
        labels = pd.unique(pd.Series(table.get(RUN_ID, [])).astype(str))
        if len(labels) != spec.n_groups:
            raise FileFormatError(f"constant_data/{RUN_ID} names {len(labels)} runs, not the "
                                  f"model's {spec.n_groups}")
    return Runs(table=pd.DataFrame(table), columns=parse_columns(meta.get("columns") or {}),
                source=meta.get("source"), notes=tuple(meta.get("notes") or ()),
                response=law.response)


def check_arrays(dt: Any, spec: ModelSpec, group: str, where: str) -> None:
    """The draws: every varying parameter on (chain, draw) (run effects on (chain, draw,
    group)), numeric and finite; sample statistics numeric on the same (chain, draw)."""
    import numpy as np

    if group not in dt.children:
        raise FileFormatError(f"{where}: no {group!r} group (the draws)")
    ds = dt[group].to_dataset()
    chains, draws = int(ds.sizes.get("chain", 0)), int(ds.sizes.get("draw", 0))
    if not chains or not draws:
        raise FileFormatError(f"{where}: {group} has no draws ({chains} chains × {draws} draws)")
    for name in spec.stored_vars:
        label = f"{group}/{name}"
        if name not in ds:
            raise FileFormatError(f"{where}: missing part {label!r}")
        var = ds[name]
        dims = ("chain", "draw", "group") if name == "run_effect" else ("chain", "draw")
        if var.dims != dims:
            raise FileFormatError(f"{where}: {label} lies on {var.dims}, not {dims}")
        if var.dtype.kind not in "fiu":
            raise FileFormatError(f"{where}: {label} is not numeric ({var.dtype})")
        if name == "run_effect" and var.sizes["group"] != spec.n_groups:
            raise FileFormatError(f"{where}: {label} has {var.sizes['group']} runs, not the "
                                  f"model's {spec.n_groups}")
        values = var.to_numpy()
        bad = ~np.isfinite(values)
        if bad.any():
            raise FileFormatError(f"{where}: {label} is NaN or infinite in {bad.mean():.1%} of "
                                  "its values; the draws are corrupt")
        prior = spec.priors.get(name)
        if prior is not None:  # a genuine draw never leaves its prior's support
            lo, hi = prior.support
            outside = (values < lo) | (values > hi)
            if outside.any():
                first = values[outside].flat[0]
                raise FileFormatError(
                    f"{where}: {label} = {shown(first)} lies outside its prior's support "
                    f"[{shown(lo)}, {shown(hi)}] ({outside.mean():.1%} of its values); the draws "
                    "are corrupt")
    if "sample_stats" in dt.children:
        for name, var in dt["sample_stats"].to_dataset().data_vars.items():
            label = f"sample_stats/{name}"
            if var.dims[:2] != ("chain", "draw") or var.shape[:2] != (chains, draws):
                raise FileFormatError(f"{where}: {label} does not match the draws "
                                      f"({chains} chains × {draws} draws)")
            if var.dtype.kind not in "biuf":
                raise FileFormatError(f"{where}: {label} is not numeric ({var.dtype})")
