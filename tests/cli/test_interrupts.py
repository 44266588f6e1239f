"""Ctrl-C: exit 130 with one line, the previous output untouched, no temporaries left."""

from __future__ import annotations

import dataclasses
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bayescale.cli import main

RUNS = Path(__file__).resolve().parents[2] / "data" / "chinchilla_runs.csv"


def test_truncated_sampling_is_an_interrupt_not_a_fit(tmp_path, monkeypatch, capsys):
    """nutpie answers Ctrl-C by returning the draws it has: that must not be saved."""
    import bayescale.inference.samplers as samplers

    real = samplers.sample

    def interrupted(spec, runs, settings):
        # what an aborted run returns: fewer draws than asked
        return real(spec, runs, dataclasses.replace(settings, draws=20, tune=20))

    monkeypatch.setattr(samplers, "sample", interrupted)
    out = tmp_path / "fit.nc"
    out.write_bytes(b"the user's previous fit")
    code = main(["fit", str(RUNS), "-o", str(out), "--force", "--draws", "200", "--tune", "50",
                 "--chains", "2", "--discrepancy", "none"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 130
    assert err[-1] == "bayescale: interrupted"
    assert out.read_bytes() == b"the user's previous fit"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fit.nc"]


@pytest.mark.slow
def test_sigint_during_a_fit_leaves_the_previous_file(tmp_path):
    out = tmp_path / "fit.nc"
    out.write_bytes(b"previous")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bayescale", "fit", str(RUNS), "-o", str(out), "--force",
         "--draws", "1000000", "--chains", "2", "--discrepancy", "none"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    time.sleep(8)  # mid-compile or mid-sampling: either must end the same way
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == "bayescale: interrupted"
    assert out.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fit.nc"]
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())
