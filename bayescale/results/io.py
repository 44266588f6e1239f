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
error. Writes go to a temporary file in the same folder and are renamed into place, so a failed
save never leaves a half-written file, and an existing file is only replaced on request.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .._version import __version__
from ..data.runs import Runs
from ..errors import BayescaleError, FileFormatError
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


def atomic_write(path: Path, write: Any) -> Path:
    """Call ``write(tmp_path)`` and move the result to ``path`` only if it succeeded."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
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
        return atomic_write(p, lambda tmp: dt.to_netcdf(tmp, engine="netcdf4"))
    except OSError as exc:
        raise FileFormatError(f"cannot write {str(p)!r}: {exc.strerror or exc}") from None


def read(path: str | Path) -> tuple[Any, ModelSpec, Runs, dict[str, Any]]:
    """The parts of a fit saved by :meth:`ScalingFit.save` (DataTree, spec, runs, meta), checked;
    :func:`bayescale.load` makes the fit of them. No refit, no recompile."""
    import xarray as xr

    p = Path(path)
    if not p.exists():
        raise FileFormatError(f"cannot read {str(p)!r}: no such file")
    if p.is_dir():
        raise FileFormatError(f"cannot read {str(p)!r}: it is a directory")
    try:
        with xr.open_datatree(p, engine="netcdf4") as handle:
            dt = handle.load()
    except Exception:
        raise FileFormatError(
            f"{str(p)!r} is not a NetCDF file written by bayescale (cannot open it)"
        ) from None
    raw = dt.attrs.get(ATTR)
    if raw is None:
        raise FileFormatError(f"{str(p)!r} was not written by bayescale (no {ATTR!r} attribute)")
    try:
        meta = json.loads(raw)
        version = int(meta["schema_version"])
    except (ValueError, KeyError, TypeError):
        raise FileFormatError(f"{str(p)!r}: the bayescale attribute is corrupt") from None
    if version > SCHEMA_VERSION:
        raise FileFormatError(
            f"{str(p)!r} was written by bayescale {meta.get('bayescale_version', '?')} (file "
            f"schema {version}); this is bayescale {__version__} (schema {SCHEMA_VERSION}): "
            "upgrade bayescale to read it"
        )
    try:
        spec = ModelSpec.from_dict(meta["model"])
        group = meta.get("group", "posterior")
        constant = dt["constant_data"].to_dataset()
        table = pd.DataFrame({k: constant[k].to_numpy() for k in constant.data_vars})
        response = spec.law.response
        table[response] = dt["observed_data"].to_dataset()[response].to_numpy()
        runs = Runs(table=table, columns=meta.get("columns") or {}, source=meta.get("source"),
                    notes=tuple(meta.get("notes", ())), response=response)
        if group not in dt.children:
            raise KeyError(group)
        missing = [k for k in spec.free_params if k not in dt[group].to_dataset()]
        if missing:
            raise KeyError(f"{group}/{missing[0]}")
    except BayescaleError as exc:
        raise FileFormatError(f"{str(p)!r}: {exc}") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise FileFormatError(f"{str(p)!r}: missing or corrupt part {exc}") from None
    for key in ("model", "columns", "source", "notes", "schema_version"):
        meta.pop(key, None)
    meta["loaded_from"] = str(p)
    return dt, spec, runs, meta
