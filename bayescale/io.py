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

import numpy as np
import pandas as pd

from ._version import __version__
from .data import Runs
from .errors import BayescaleError, FileFormatError
from .model import ModelSpec

if TYPE_CHECKING:
    from .results import ScalingFit

#: Bump when the file layout changes; ``load`` refuses files with a larger number.
SCHEMA_VERSION = 1
ATTR = "bayescale"


def check_writable(path: str | Path, *, overwrite: bool) -> Path:
    """Refuse to replace an existing file unless asked, and check the folder exists."""
    p = Path(path)
    if p.exists() and not overwrite:
        raise FileFormatError(f"{str(p)!r} already exists; pass --force (overwrite=True) to "
                              "replace it")
    if p.exists() and p.is_dir():
        raise FileFormatError(f"{str(p)!r} is a directory")
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


def _clean_attrs(ds: Any) -> Any:
    ds = ds.copy()
    ds.attrs = {}
    for v in ds.variables.values():
        v.attrs = {}
    return ds


def to_datatree(fit: ScalingFit) -> Any:
    import xarray as xr

    meta = {
        **fit.meta,
        "schema_version": SCHEMA_VERSION,
        "bayescale_version": __version__,
        "model": fit.spec.to_dict(),
        "columns": dict(fit.runs.columns),
        "source": fit.runs.source,
        "notes": list(fit.runs.notes),
    }
    table = fit.runs.table
    run = np.arange(len(table))
    constant = xr.Dataset({k: ("run", table[k].to_numpy()) for k in table if k != "loss"},
                          coords={"run": run})
    observed = xr.Dataset({"loss": ("run", table["loss"].to_numpy())}, coords={"run": run})
    groups = {fit.group: _clean_attrs(fit.dt[fit.group].to_dataset())}
    if "sample_stats" in fit.dt.children:
        stats = _clean_attrs(fit.dt["sample_stats"].to_dataset())
        for name in list(stats.data_vars):
            if stats[name].dtype == bool:
                stats[name] = stats[name].astype("int8")
        groups["sample_stats"] = stats
    groups["constant_data"] = constant
    groups["observed_data"] = observed
    dt = xr.DataTree.from_dict(groups)
    dt.attrs[ATTR] = json.dumps(meta, sort_keys=True)
    return dt


def save(fit: ScalingFit, path: str | Path, *, overwrite: bool = False) -> Path:
    p = check_writable(path, overwrite=overwrite)
    dt = to_datatree(fit)
    try:
        return atomic_write(p, lambda tmp: dt.to_netcdf(tmp, engine="netcdf4"))
    except OSError as exc:
        raise FileFormatError(f"cannot write {str(p)!r}: {exc.strerror or exc}") from None


def load(path: str | Path) -> ScalingFit:
    """Load a fit saved by :meth:`ScalingFit.save`; no refit, no recompile."""
    import xarray as xr

    from .results import ScalingFit

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
        table = pd.DataFrame({k: constant[k].to_numpy() for k in ("N", "D", "C")
                              if k in constant})
        table["loss"] = dt["observed_data"].to_dataset()["loss"].to_numpy()
        runs = Runs(table=table, columns=meta.get("columns") or {}, source=meta.get("source"),
                    notes=tuple(meta.get("notes", ())))
        if group not in dt.children:
            raise KeyError(group)
    except BayescaleError as exc:
        raise FileFormatError(f"{str(p)!r}: {exc}") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise FileFormatError(f"{str(p)!r}: missing or corrupt part {exc}") from None
    for key in ("model", "columns", "source", "notes", "schema_version"):
        meta.pop(key, None)
    meta["loaded_from"] = str(p)
    return ScalingFit(dt, spec, runs, meta)
