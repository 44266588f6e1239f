import numpy as np
import pandas as pd
import pytest

from bayescale.data import Runs, filter_rows, parse_columns, read_table
from bayescale.errors import DataError, SpecError


def frame(**cols):
    base = {"N": [1e8, 2e8, 4e8], "D": [2e9, 4e9, 8e9], "loss": [3.1, 2.9, 2.7]}
    base.update(cols)
    return pd.DataFrame({k: v for k, v in base.items() if v is not None})


def test_valid_runs_and_reference_scales():
    runs = Runs.from_frame(frame(), ["N", "D"])
    assert runs.n == 3
    np.testing.assert_allclose(runs.values("C"), 6 * runs.values("N") * runs.values("D"))
    ref = runs.reference(["N", "D"])
    assert ref["N"] == pytest.approx(2e8) and ref["D"] == pytest.approx(4e9)
    scales = runs.scales(["N", "D"])
    assert scales.loss_min == 2.7 and scales.reducible == pytest.approx(2.9 - 1.35)


def test_column_mapping_and_derived_tokens():
    df = pd.DataFrame({"params": [1e8, 2e8], "flops": [1.2e18, 4.8e18], "val": [3.0, 2.8]})
    runs = Runs.from_frame(df, ["N", "D"], columns="N=params,C=flops,loss=val")
    np.testing.assert_allclose(runs.values("D"), [2e9, 4e9])
    assert runs.notes == ("D derived as C/(6·N)",)


@pytest.mark.parametrize("cols, match", [
    ({"D": None},
     r"column 'D' not found; columns present: N, loss; map yours with columns='D=<name>'"),
    ({"N": [1e8, "abc", 3e8]}, r"column 'N', row 2: not a number \(first: 'abc'\)"),
    ({"N": [1e8, -5.0, 0.0]}, r"column 'N', rows 2, 3: must be > 0 \(first: -5\)"),
    ({"loss": [3.0, np.nan, 2.0]}, r"column 'loss', row 2: empty or NaN"),
    ({"loss": [3.0, np.inf, 2.0]}, r"column 'loss', row 2: not finite"),
    ({"D": [1e9, 2e9, " "]}, r"column 'D', row 3: empty or NaN"),
])
def test_bad_columns_are_named_with_rows(cols, match):
    with pytest.raises(DataError, match=match):
        Runs.from_frame(frame(**cols), ["N", "D"])


def test_mapped_column_missing():
    with pytest.raises(DataError, match=r"column 'val_loss' \(given for loss\) not found"):
        Runs.from_frame(frame(), ["N", "D"], columns={"loss": "val_loss"})


def test_parse_columns_errors():
    assert parse_columns("N=params, loss = val") == {"N": "params", "loss": "val"}
    with pytest.raises(SpecError, match="unknown field 'X'"):
        parse_columns("X=foo")
    with pytest.raises(SpecError, match="expected FIELD=COLUMN"):
        parse_columns("N")


def test_read_table_errors(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        read_table(tmp_path / "missing.csv")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataError, match="the file is empty"):
        read_table(tmp_path / "empty.csv")
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00\x01garbage\x00")
    with pytest.raises(DataError, match="cannot read"):
        read_table(tmp_path / "bin.csv")
    with pytest.raises(DataError, match="it is a directory"):
        read_table(tmp_path)


def test_query_filter():
    df = frame()
    assert len(filter_rows(df, "N > 1.5e8")) == 2
    with pytest.raises(DataError, match="keeps no rows"):
        filter_rows(df, "N > 1e20")
    with pytest.raises(DataError, match="query='nosuch > 1' failed"):
        filter_rows(df, "nosuch > 1")
