"""Parquet input beside CSV: the same runs give the same fit; a broken file is one line."""

import pandas as pd
import pytest

import bayescale as bs
from bayescale.cli import main
from bayescale.data.runs import read_table
from bayescale.errors import DataError
from tests.conftest import ROOT

RUNS = ROOT / "data" / "chinchilla_runs.csv"


def test_parquet_reads_like_the_csv(tmp_path):
    pd.read_csv(RUNS).to_parquet(tmp_path / "runs.parquet")
    assert read_table(tmp_path / "runs.parquet").equals(read_table(RUNS))
    a = bs.fit(str(tmp_path / "runs.parquet"), method="map", random_seed=1, discrepancy=None)
    b = bs.fit(str(RUNS), method="map", random_seed=1, discrepancy=None)
    assert a.summary().equals(b.summary())


@pytest.mark.parametrize("content", [b"", b"garbage", b"PAR1" + b"\0" * 64 + b"PAR1"])
def test_a_broken_parquet_file_is_one_line(tmp_path, capsys, content):
    path = tmp_path / "bad.parquet"
    path.write_bytes(content)
    with pytest.raises(DataError, match=r"cannot read '.*bad.parquet': "):
        read_table(path)
    assert main(["fit", str(path), "--method", "map", "-o", str(tmp_path / "x.nc")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.parquet"]
