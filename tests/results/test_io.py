import json

import numpy as np
import pytest
import xarray as xr

import bayescale as bs
from bayescale.errors import FileFormatError
from bayescale.results.io import SCHEMA_VERSION


def test_save_load_predict_identical(tmp_path, chinchilla_fit):
    path = chinchilla_fit.save(tmp_path / "fit.nc")
    again = bs.load(path)
    points = {"N": [1e8, 3e8], "D": [2e9, 7e9]}
    a = chinchilla_fit.predict(points)
    b = again.predict(points)
    assert a.equals(b)
    assert again.summary().equals(chinchilla_fit.summary())
    assert again.spec.to_dict() == chinchilla_fit.spec.to_dict()
    assert again.runs.table.equals(chinchilla_fit.runs.table)


def test_prior_predictive_round_trip(tmp_path):
    from bayescale.data.simulate import chinchilla_design, simulate_runs
    from bayescale.testing import EPOCH_CHINCHILLA

    df = simulate_runs("chinchilla", EPOCH_CHINCHILLA, chinchilla_design())
    prior = bs.prior_predictive(df, law="chinchilla", draws=300, random_seed=1)
    again = bs.load(prior.save(tmp_path / "prior.nc"))
    assert again.group == "prior"
    assert again.predict("N=1e8,D=1e9").equals(prior.predict("N=1e8,D=1e9"))


def test_refuses_to_overwrite(tmp_path, chinchilla_fit):
    path = tmp_path / "fit.nc"
    path.write_text("precious")
    with pytest.raises(FileFormatError, match="already exists; use overwrite=True"):
        chinchilla_fit.save(path)
    assert path.read_text() == "precious"
    chinchilla_fit.save(path, overwrite=True)
    assert bs.load(path).law.name == "chinchilla"


def test_failed_write_leaves_no_file(tmp_path, chinchilla_fit, monkeypatch):
    def boom(self, path, *a, **k):  # a partial file, then the disk fills up
        with open(path, "wb") as handle:
            handle.write(b"CDF\x01 partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(xr.DataTree, "to_netcdf", boom)
    with pytest.raises(FileFormatError, match="No space left"):
        chinchilla_fit.save(tmp_path / "fit.nc")
    assert list(tmp_path.iterdir()) == []


def test_not_a_bayescale_file(tmp_path):
    path = tmp_path / "other.nc"
    xr.Dataset({"x": ("a", np.arange(3))}).to_netcdf(path)
    with pytest.raises(FileFormatError, match="was not written by bayescale"):
        bs.load(path)
    text = tmp_path / "text.nc"
    text.write_text("hello")
    with pytest.raises(FileFormatError, match="is not a NetCDF file written by bayescale"):
        bs.load(text)
    with pytest.raises(FileFormatError, match="no such file"):
        bs.load(tmp_path / "missing.nc")


def test_future_schema_is_refused(tmp_path, chinchilla_fit):
    from bayescale.results.io import to_datatree

    dt = to_datatree(chinchilla_fit)
    meta = json.loads(dt.attrs["bayescale"])
    meta["schema_version"] = SCHEMA_VERSION + 1
    meta["bayescale_version"] = "9.0.0"
    dt.attrs["bayescale"] = json.dumps(meta)
    path = tmp_path / "future.nc"
    dt.to_netcdf(path)
    with pytest.raises(FileFormatError, match=r"written by bayescale 9.0.0 \(file schema 2\)"):
        bs.load(path)


def test_no_pickle_in_the_package():
    import pathlib

    root = pathlib.Path(bs.__file__).parent
    for path in root.rglob("*.py"):
        text = path.read_text()
        for banned in ("import pickle", "cloudpickle", "import dill", "from pickle"):
            assert banned not in text, (path, banned)
