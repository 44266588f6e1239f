"""Two commands writing the same output at once: one wins, the other says so in one line and
never replaces the winner's file (no --force)."""

from __future__ import annotations

import multiprocessing
import os
import sys
from pathlib import Path

import pytest

import bayescale as bs

FOUNDING = Path(__file__).resolve().parents[2] / "data" / "founding_example.csv"


def _command(barrier, seed: int, folder: Path) -> None:
    """A forked child: the CLI with its stderr in a file, started with the other one."""
    from bayescale.cli import main

    os.chdir(folder)
    with open(folder / f".err{seed}", "w") as err:
        os.dup2(err.fileno(), 2)
        sys.stderr = err  # not pytest's capture
        barrier.wait(timeout=30)
        code = main(["fit", str(FOUNDING), "--law", "power", "--columns", "loss=error",
                     "--method", "map", "--discrepancy", "none", "--seed", str(seed),
                     "-o", "same.nc", "--quiet"])
        err.flush()
    os._exit(code)


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_two_fits_to_the_same_file_at_once(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    # the same fit once here first, so the forked commands start with everything imported
    bs.fit(str(FOUNDING), "power", columns="loss=error", method="map", discrepancy=None,
           progress=False).save(work / "warm.nc")
    context = multiprocessing.get_context("fork")  # everything imported: both start at once
    barrier = context.Barrier(2)
    procs = {seed: context.Process(target=_command, args=(barrier, seed, tmp_path))
             for seed in (1, 2)}
    for p in procs.values():
        p.start()
    for p in procs.values():
        p.join(timeout=120)
    codes = {seed: p.exitcode for seed, p in procs.items()}
    errors = {seed: (tmp_path / f".err{seed}").read_text() for seed in procs}
    assert sorted(codes.values()) == [0, 1], (codes, errors)
    winner = next(seed for seed, code in codes.items() if code == 0)
    loser = errors[3 - winner]
    assert loser.count("\n") == 1 and "Traceback" not in loser, loser
    # both passed the up-front check; the loser meets the winner's file when saving (checked
    # again there, and by the no-clobber link if both get that far): it says so, in one line
    assert "created by someone else" in loser or "already exists" in loser, loser
    assert f"--seed {winner}" in bs.load(tmp_path / "same.nc").meta["command"]
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".err")) == [
        "same.nc", "work"]
