"""bayescale.datasets: the real loading code against the copies in ../shared/data/raw.

The network is never touched: ``urllib.request.urlopen`` is replaced in every test, and the
download path is exercised with a fake response serving a local copy.
"""

from __future__ import annotations

import io
import shutil
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bayescale import datasets
from bayescale.errors import DataError

#: Reference tidy CSV of each data set in ../shared/data (default: <name>.csv).
REFERENCE: dict[str, str] = {}


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    """No data-set env vars from the caller, a private default cache, no network."""
    for var in (datasets.ENV_DATA_DIR, datasets.ENV_OFFLINE):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv(datasets.ENV_CACHE, str(tmp_path / "default-cache"))

    def no_network(*args, **kwargs):
        raise AssertionError("a test tried to use the network")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)


def _files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def _assert_same_table(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(got.columns) == list(expected.columns)
    assert len(got) == len(expected)
    for col in expected.columns:
        a, b = got[col], expected[col]
        if pd.api.types.is_bool_dtype(b):
            assert (a.astype(bool).to_numpy() == b.to_numpy()).all(), col
        elif pd.api.types.is_numeric_dtype(b) or (
                b.dtype == object and isinstance(b.dropna().iloc[0], int)):   # ints > int64
            np.testing.assert_allclose(a.astype(float), b.astype(float), rtol=1e-12,
                                       equal_nan=True, err_msg=col)
        else:
            left = a.astype(object).where(a.notna(), "").astype(str).to_numpy()
            right = b.astype(object).where(b.notna(), "").astype(str).to_numpy()
            assert (left == right).all(), col


@pytest.mark.parametrize("name", datasets.names())
def test_load_reproduces_the_tidy_csv(name, shared_data, tmp_path):
    df = datasets.load(name, source=shared_data / "raw", cache_dir=tmp_path)
    expected = pd.read_csv(shared_data / REFERENCE.get(name, f"{name}.csv"))
    _assert_same_table(df, expected)
    assert len(df) == datasets.DATASETS[name].rows
    units = df.attrs["units"]
    for col in ("N", "D", "C"):
        if col in df.columns:
            assert units[col] == {"N": "parameters", "D": "tokens", "C": "FLOPs"}[col]
    if "loss" in df.columns:
        assert units["loss"] == "nats"
    assert df.attrs["name"] == name
    assert df.attrs["citation"] and df.attrs["licence"]
    assert sorted(p.name for p in _files(tmp_path / name)) == sorted(
        f.filename for f in datasets.DATASETS[name].files)


def test_tampered_copy_is_refused_and_nothing_is_kept(shared_data, tmp_path):
    src = tmp_path / "copy"
    src.mkdir()
    raw = shared_data / "raw" / "llama3_isoflops" / "isoflops_points.csv"
    data = bytearray(raw.read_bytes())
    data[200] = ord("7") if data[200] != ord("7") else ord("8")
    (src / raw.name).write_bytes(bytes(data))
    cache = tmp_path / "cache"
    with pytest.raises(DataError, match="checksum") as info:
        datasets.fetch("llama3_isoflops", source=src, cache_dir=cache)
    message = str(info.value)
    assert "\n" not in message and "isoflops_points.csv" in message
    assert datasets.DATASETS["llama3_isoflops"].files[0].sha256[:12] in message
    assert _files(cache) == []


def test_corrupt_cached_file_is_replaced(shared_data, tmp_path):
    folder = tmp_path / "epoch_chinchilla"
    folder.mkdir()
    (folder / "svg_extracted_data.csv").write_text("not the data\n")
    df = datasets.load("epoch_chinchilla", source=shared_data / "raw", cache_dir=tmp_path)
    assert len(df) == 245
    assert [p.name for p in _files(folder)] == ["svg_extracted_data.csv"]


def test_offline_without_copy_names_the_variable(monkeypatch, tmp_path):
    monkeypatch.setenv(datasets.ENV_OFFLINE, "1")
    with pytest.raises(DataError, match="BAYESCALE_DATA_DIR") as info:
        datasets.fetch("epoch_chinchilla", cache_dir=tmp_path / "empty")
    assert "source=DIR" in str(info.value) and "\n" not in str(info.value)
    assert _files(tmp_path / "empty") == []


def test_unreachable_download_names_the_variable(monkeypatch, tmp_path):
    def unreachable(*args, **kwargs):
        raise urllib.error.URLError("no route to host")

    monkeypatch.setattr(urllib.request, "urlopen", unreachable)
    with pytest.raises(DataError, match="BAYESCALE_DATA_DIR"):
        datasets.fetch("llama3_isoflops", cache_dir=tmp_path)
    assert _files(tmp_path) == []


def test_data_dir_env_then_cache_is_reused(monkeypatch, shared_data, tmp_path):
    monkeypatch.setenv(datasets.ENV_DATA_DIR, str(shared_data / "raw"))
    first = datasets.load("llama3_isoflops")      # default cache: $BAYESCALE_CACHE
    assert len(first) == 133
    assert (tmp_path / "default-cache" / "llama3_isoflops" / "isoflops_points.csv").is_file()
    # the local copy is gone and downloads are forbidden: the checked cache still serves
    monkeypatch.setenv(datasets.ENV_DATA_DIR, str(tmp_path / "nowhere"))
    monkeypatch.setenv(datasets.ENV_OFFLINE, "1")
    second = datasets.load("llama3_isoflops")
    pd.testing.assert_frame_equal(first, second)


def test_flat_source_layout(shared_data, tmp_path):
    flat = tmp_path / "flat"
    flat.mkdir()
    shutil.copy(shared_data / "raw" / "epoch_chinchilla" / "svg_extracted_data.csv", flat)
    paths = datasets.fetch("epoch_chinchilla", source=flat, cache_dir=tmp_path / "c")
    assert paths["svg_extracted_data.csv"].parent == tmp_path / "c" / "epoch_chinchilla"


def test_source_missing_file_is_an_error(tmp_path):
    with pytest.raises(DataError, match="not found"):
        datasets.fetch("epoch_chinchilla", source=tmp_path, cache_dir=tmp_path / "c")


def test_download_path_checks_and_uses_the_pinned_url(monkeypatch, shared_data, tmp_path):
    raw = shared_data / "raw" / "gemstones"
    urls: list[str] = []

    def fake_urlopen(request, timeout=None):
        urls.append(request.full_url)
        assert timeout == datasets.DOWNLOAD_TIMEOUT
        name = request.full_url.rsplit("/", 1)[-1].replace("%2B", "+")
        return io.BytesIO((raw / name).read_bytes())

    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    df = datasets.load("gemstones", cache_dir=tmp_path)
    assert len(df) == 5248
    ds = datasets.DATASETS["gemstones"]
    prefix = f"https://raw.githubusercontent.com/{ds.repository}/{ds.commit}/wandb_dfs/"
    assert len(urls) == len(ds.files) and all(u.startswith(prefix) for u in urls)
    assert any("hot_100b%2B_477" in u for u in urls)


def test_download_with_wrong_content_keeps_nothing(monkeypatch, tmp_path):
    monkeypatch.setattr(urllib.request, "urlopen",
                        lambda request, timeout=None: io.BytesIO(b"<html>rate limited</html>"))
    with pytest.raises(DataError, match="checksum"):
        datasets.fetch("llama3_isoflops", cache_dir=tmp_path)
    assert _files(tmp_path) == []


def test_unknown_name_lists_the_available_ones(tmp_path):
    with pytest.raises(DataError, match="unknown dataset 'chinchila'") as info:
        datasets.load("chinchila", cache_dir=tmp_path)
    for name in datasets.names():
        assert name in str(info.value)


def test_available_lists_all():
    table = datasets.available()
    assert list(table["name"]) == datasets.names()
    assert {"epoch_chinchilla", "llama3_isoflops", "misfitting_li2025", "gemstones",
            "obsscaling"} <= set(table["name"])
    assert "porian2024" not in set(table["name"])  # pickles only: never unpickled
    assert {"name", "description", "rows", "licence", "citation", "files"} <= set(table.columns)
    assert table.set_index("name").loc["gemstones", "licence"] == "MIT"
    assert (table["rows"] > 0).all() and (table["files"] > 0).all()
    for ds in datasets.DATASETS.values():
        assert all(len(f.sha256) == 64 for f in ds.files)
        assert ds.url(ds.files[0]).startswith(
            f"https://raw.githubusercontent.com/{ds.repository}/{ds.commit}/")
