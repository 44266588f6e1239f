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


def _swallowed_interrupt() -> None:
    """A Ctrl-C whose KeyboardInterrupt Python swallows: it lands in a garbage-collector
    callback (as in JAX's, when JAX is installed), where exceptions are only reported."""
    import gc
    import os

    def callback(phase, _info):
        if phase == "start":
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)  # the handler runs here, inside the callback

    gc.callbacks.append(callback)
    try:
        gc.collect()
    finally:
        gc.callbacks.remove(callback)


def test_an_interrupt_python_swallowed_still_stops_sampling(tmp_path, monkeypatch, capsys):
    """Seen in CI: Ctrl-C as a fresh fit loaded its compiled model hit JAX's gc callback, the
    KeyboardInterrupt was swallowed and the sampler ran on. The CLI records every Ctrl-C and
    the sampler's wait watches for it."""
    from types import SimpleNamespace

    import bayescale.inference.samplers as samplers

    cancelled = []

    class Sampler:  # never finishes by itself
        is_finished = False

        def cancel(self):
            cancelled.append(True)

    def loaded(spec, runs):
        _swallowed_interrupt()
        return SimpleNamespace(n_dim=0, shape_info=([], [], [])), 0.5, "cache"

    monkeypatch.setattr(samplers, "compiled_model", loaded)
    monkeypatch.setitem(sys.modules, "nutpie", SimpleNamespace(sample=lambda *_, **__: Sampler()))
    out = tmp_path / "fit.nc"
    out.write_bytes(b"previous")
    start = time.monotonic()
    code = main(["fit", str(RUNS), "-o", str(out), "--force", "--discrepancy", "none"])
    err = capsys.readouterr().err
    assert code == 130 and cancelled == [True] and time.monotonic() - start < 30, err
    assert err.strip().splitlines()[-1] == "bayescale: interrupted"
    assert out.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fit.nc"]


@pytest.mark.slow
@pytest.mark.parametrize("delay", [4, 12])  # starting (imports, loading or compiling); sampling
def test_sigint_during_a_fit_leaves_the_previous_file(tmp_path, delay):
    out = tmp_path / "fit.nc"
    out.write_bytes(b"previous")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bayescale", "fit", str(RUNS), "-o", str(out), "--force",
         "--draws", "1000000", "--chains", "2", "--discrepancy", "none"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    time.sleep(delay)  # either moment must end the same way
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


@pytest.mark.slow
def test_ctrl_c_in_fit_by_with_workers_is_one_line_and_ends_them(tmp_path):
    """Ctrl-C reaches the whole process group (parent and workers) while the workers start
    (imports) and compile: one line, exit 130, no traceback from any worker, no output, and no
    worker left running."""
    import os

    import pandas as pd

    runs = pd.read_csv(RUNS)
    runs["g"] = ["a", "b"] * (len(runs) // 2) + ["a"] * (len(runs) % 2)
    runs.to_csv(tmp_path / "g.csv", index=False)
    for after in (0.2, 4.0):  # seconds after the workers appear: importing, compiling
        proc = subprocess.Popen(
            [sys.executable, "-m", "bayescale", "fit", "g.csv", "--by", "g", "--workers", "2",
             "-o", "fits", "--draws", "1000000", "--discrepancy", "none"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
            process_group=0)
        assert _workers_start(proc.pid), "no worker process started"
        time.sleep(after)
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
        try:
            _, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
        assert proc.returncode == 130, err
        assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
        assert err.strip().splitlines()[-1] == "bayescale: interrupted"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["g.csv"]
        assert _group_ends(proc.pid), "a worker outlived the interrupted command"


def _workers_start(pgid: int, seconds: float = 30.0) -> bool:
    """Wait until a worker process (multiprocessing's spawn_main) of the group is running."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                cmdline = (stat.parent / "cmdline").read_bytes()
            except OSError:
                continue
            if int(fields[2]) == pgid and b"spawn_main" in cmdline:
                return True
        time.sleep(0.05)
    return False


def _group_ends(pgid: int, seconds: float = 10.0) -> bool:
    """Whether every process of the group ``pgid`` has ended within ``seconds``."""
    import os

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False
