"""A failed fetch leaves no empty cache folders behind."""

from __future__ import annotations

import pytest

from bayescale.data import datasets
from bayescale.errors import DataError


def test_failed_fetch_leaves_no_folders(tmp_path, monkeypatch):
    monkeypatch.setenv(datasets.ENV_OFFLINE, "1")
    monkeypatch.delenv(datasets.ENV_DATA_DIR, raising=False)
    cache = tmp_path / "a" / "b" / "cache"
    with pytest.raises(DataError, match="forbids downloading"):
        datasets.fetch("epoch_chinchilla", cache_dir=cache)
    assert list(tmp_path.iterdir()) == []


def test_bad_source_creates_nothing(tmp_path):
    cache = tmp_path / "cache"
    with pytest.raises(DataError, match="is not a folder"):
        datasets.fetch("epoch_chinchilla", source=tmp_path / "missing", cache_dir=cache)
    assert not cache.exists()
