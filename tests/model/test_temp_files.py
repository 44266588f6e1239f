"""A fit in a fresh process with cold compile caches leaves nothing in the system temp folder
(PyTensor's generated source goes to its compile folder instead) and gives the same draws as a
warm in-process fit with the same seed; so does a second fresh process, which loads the
compiled model from bayescale's compile cache instead of compiling."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

RUNS = Path(__file__).resolve().parents[2] / "data" / "chinchilla_runs.csv"


@pytest.mark.slow
def test_cold_cache_fit_is_clean_and_identical_to_a_warm_one(tmp_path):
    import bayescale as bs

    temp, cold = tmp_path / "tmp", tmp_path / "cold"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp), "NUMBA_CACHE_DIR": str(cold / "numba"),
           "PYTENSOR_FLAGS": f"compiledir={cold / 'pytensor'}",
           "BAYESCALE_COMPILE_CACHE": str(cold / "bayescale")}
    outs = [tmp_path / "fit.nc", tmp_path / "again.nc"]
    for out in outs:
        proc = subprocess.run([sys.executable, "-m", "bayescale", "fit", str(RUNS), "-o",
                               str(out), "--quiet", "--draws", "200", "--tune", "200",
                               "--seed", "5", "--discrepancy", "none"],
                              capture_output=True, text=True, env=env, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert sorted(p.name for p in temp.iterdir()) == []
    first, second = bs.load(outs[0]), bs.load(outs[1])
    assert (first.meta["compiled"], second.meta["compiled"]) == ("compiled", "cache")
    warm = bs.fit(RUNS, draws=200, tune=200, random_seed=5, discrepancy=None)
    warm_draws = warm.draws()
    for fit in (first, second):
        for name, values in fit.draws().items():
            np.testing.assert_array_equal(values, warm_draws[name], err_msg=name)
