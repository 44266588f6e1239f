"""Outputs: exclusive temporaries, no clobbering a file a concurrent writer created."""

from __future__ import annotations

import os

import pytest

import bayescale as bs
from bayescale.errors import FileFormatError
from bayescale.results.io import atomic_write


def test_a_file_created_meanwhile_is_not_replaced(tmp_path):
    out = tmp_path / "out.csv"

    def write(tmp):
        tmp.write_text("mine")
        out.write_text("theirs")  # a concurrent writer got there first

    with pytest.raises(FileFormatError, match="created by someone else"):
        atomic_write(out, write, overwrite=False)
    assert out.read_text() == "theirs"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_a_planted_symlink_is_not_followed(tmp_path):
    out = tmp_path / "out.csv"
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    for name in (f".{out.name}.{os.getpid()}.tmp", f".{out.name}.tmp"):
        (tmp_path / name).symlink_to(victim)
    atomic_write(out, lambda tmp: tmp.write_text("data"))
    assert out.read_text() == "data" and victim.read_text() == "keep"
    assert not out.is_symlink()


def test_failed_write_leaves_nothing(tmp_path):
    out = tmp_path / "out.csv"

    def boom(tmp):
        tmp.write_text("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(out, boom)
    assert list(tmp_path.iterdir()) == []


def test_save_without_overwrite_and_permissions(tmp_path):
    fit = bs.testing.fake_fit("chinchilla")
    path = fit.save(tmp_path / "a.nc")
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    with pytest.raises(bs.BayescaleError):
        fit.save(path)
