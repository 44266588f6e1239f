"""Fixtures of the CLI tests."""

from pathlib import Path

import pytest

from bayescale.data.simulate import EPOCH_CHINCHILLA, chinchilla_design, simulate_runs
from bayescale.testing import fake_fit


@pytest.fixture
def place(tmp_path, monkeypatch):
    """A folder with runs.csv, fit.nc, a file 'afile' and an existing 'taken.csv'."""
    monkeypatch.chdir(tmp_path)
    simulate_runs("chinchilla", EPOCH_CHINCHILLA, chinchilla_design(), seed=3).to_csv(
        "runs.csv", index=False)
    fake_fit("chinchilla", draws=100, chains=2).save("fit.nc")
    Path("afile").write_text("not a folder")
    Path("taken.csv").write_text("mine")
    return tmp_path
