from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = (ROOT / ".." / "shared" / "data").resolve()


@pytest.fixture
def shared_data() -> Path:
    """../shared/data: skipped when absent, except under CI where it must be present."""
    if not SHARED_DATA.is_dir():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{SHARED_DATA} is missing; CI must provide ../shared/data")
        pytest.skip("../shared/data (third-party scaling data) is not present on this machine")
    return SHARED_DATA


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture
def chinchilla_fit():
    from bayescale.testing import fake_fit

    return fake_fit("chinchilla")


@pytest.fixture
def power_fit():
    from bayescale.testing import fake_fit

    return fake_fit("power")


@pytest.fixture
def saved_fit(tmp_path):
    """A factory of fabricated fits saved to NetCDF (the one copy of this fixture):
    ``saved_fit("chinchilla", draws=300)`` → the file's path as a string."""
    from bayescale.testing import fake_fit

    def make(law: str = "chinchilla", name: str | None = None, **kwargs) -> str:
        path = tmp_path / (name or f"{law}.nc")
        return str(fake_fit(law, **kwargs).save(path))

    return make
