"""Inputs that used to be accepted silently although they are ambiguous: a column mapped onto
another field's column, a column name given twice, a garbage or inconsistent C, a ragged CSV
row. Each is one line naming the column, row or line (or, for a mismatched C, a note)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bayescale.data import Runs, parse_columns, read_table
from bayescale.errors import DataError, SpecError


def frame(**cols):
    base = {"N": [1e8, 2e8, 4e8], "D": [2e9, 4e9, 8e9], "loss": [3.1, 2.9, 2.7]}
    base.update(cols)
    return pd.DataFrame({k: v for k, v in base.items() if v is not None})


def six_nd(df, k=6.0):
    return (k * df["N"] * df["D"]).tolist()


# -- (1) one column mapped onto two fields ----------------------------------------------------
def test_a_column_mapped_onto_a_field_whose_own_column_is_in_use():
    with pytest.raises(SpecError) as info:
        Runs.from_frame(frame(), ["N", "D"], columns="loss=N")
    assert str(info.value) == ("columns: 'loss=N' maps column N to loss, but N is also the "
                               "parameters column")


@pytest.mark.parametrize(("columns", "message"), [
    ("N=D", "columns: 'N=D' maps column D to N, but D is also the tokens column"),
    ({"C": "N"}, "columns: 'C=N' maps column N to C, but N is also the parameters column"),
    ("loss=D", "columns: 'loss=D' maps column D to loss, but D is also the tokens column"),
])
def test_other_clashes_name_both_fields(columns, message):
    with pytest.raises(SpecError, match=f"^{message}$"):
        Runs.from_frame(frame(), ["N", "D"], columns=columns)


def test_two_fields_given_one_column():
    with pytest.raises(SpecError, match=r"^columns: 'D=x' maps column x to D, but x is also the "
                                        r"parameters column \('N=x'\)$"):
        parse_columns("N=x,D=x")
    with pytest.raises(SpecError, match="'loss=p' maps column p to loss"):
        Runs.from_frame(frame(p=[1e8, 2e8, 4e8]), ["N", "D"], columns={"N": "p", "loss": "p"})


def test_unambiguous_mappings_still_work():
    df = frame().rename(columns={"N": "params", "loss": "val"}).assign(N=[9.0, 9.0, 9.0])
    runs = Runs.from_frame(df, ["N", "D"], columns="N=params,loss=val")  # column N unused
    assert runs.values("N").tolist() == [1e8, 2e8, 4e8]
    assert parse_columns("N=params,run=params") == {"N": "params", "run": "params"}
    swapped = frame().rename(columns={"N": "D", "D": "N"})  # the user's names swapped
    runs = Runs.from_frame(swapped, ["N", "D"], columns="N=D,D=N")
    assert runs.values("N").tolist() == [1e8, 2e8, 4e8]


# -- (2) a column name given twice ------------------------------------------------------------
def test_a_frame_with_a_duplicated_column_is_refused():
    df = frame()
    df.insert(3, "dup", [3.0, 3.0, 3.0])
    df.columns = ["N", "D", "loss", "loss"]
    with pytest.raises(DataError, match=r"^column 'loss' appears more than once; rename or "
                                        r"drop the extra one$"):
        Runs.from_frame(df, ["N", "D"])


def test_a_duplicated_unused_column_in_a_frame_is_harmless():
    df = frame()
    df.insert(3, "a", [0, 0, 0])
    df.insert(4, "b", [0, 0, 0])
    df.columns = ["N", "D", "loss", "note", "note"]
    assert Runs.from_frame(df, ["N", "D"]).n == 3


def test_a_csv_header_naming_a_column_twice(tmp_path):
    path = tmp_path / "runs.csv"
    path.write_text("N,D,loss,loss\n1e8,2e9,3.1,3.0\n2e8,4e9,2.9,2.8\n")
    with pytest.raises(DataError) as info:
        read_table(path)
    message = str(info.value)
    assert "\n" not in message and "runs.csv" in message
    assert "column 'loss' appears 2 times in the header (columns 3, 4)" in message
    tsv = tmp_path / "runs.tsv"
    tsv.write_text("N\tN\tloss\n1e8\t2e9\t3.1\n")
    with pytest.raises(DataError, match=r"column 'N' appears 2 times in the header \(columns "
                                        r"1, 2\)"):
        read_table(tsv)


def test_blank_header_cells_are_not_duplicates(tmp_path):
    path = tmp_path / "runs.csv"
    path.write_text("N,D,loss,,\n1e8,2e9,3.1,,\n2e8,4e9,2.9,,\n")
    assert read_table(path).shape == (2, 5)


# -- (3) a garbage C is an error, not silently 6·N·D ------------------------------------------
@pytest.mark.parametrize(("c", "message"), [
    ([1.2e18, "abc", 1.9e19], r"^column 'C', row 2: not a number \(first: 'abc'\)$"),
    ([1.2e18, -4.8e18, 0.0], r"^column 'C', rows 2, 3: must be > 0 \(first: -4.8e\+18\)$"),
    ([1.2e18, np.nan, 1.9e19], r"^column 'C', row 2: empty or NaN$"),
    ([1.2e18, np.inf, 1.9e19], r"^column 'C', row 2: not finite$"),
])
def test_a_garbage_compute_column_is_named(c, message):
    with pytest.raises(DataError, match=message):
        Runs.from_frame(frame(C=c), ["N", "D"])


def test_a_garbage_mapped_compute_column_in_a_file_names_its_lines(tmp_path):
    path = tmp_path / "runs.csv"
    path.write_text("N,D,flops,loss\n1e8,2e9,1.2e18,3.1\n2e8,4e9,oops,2.9\n4e8,8e9,1.9e19,2.7\n")
    with pytest.raises(DataError, match=r"^column 'flops' \(C\), row 2 \(line 3 of runs.csv\): "
                                        r"not a number"):
        Runs.from_frame(read_table(path), ["N", "D"], columns="C=flops", source=str(path))


def test_an_empty_compute_column_is_derived_with_a_note():
    runs = Runs.from_frame(frame(C=[np.nan] * 3), ["N", "D"])
    assert runs.values("C").tolist() == six_nd(frame())
    assert runs.notes == ("column 'C' is empty, so C is derived as 6·N·D",)


def test_no_compute_column_is_derived_silently_as_before():
    runs = Runs.from_frame(frame(), ["N", "D"])
    assert runs.values("C").tolist() == six_nd(frame()) and runs.notes == ()


# -- (4) a given C inconsistent with k·N·D: kept, with a note ---------------------------------
def test_a_consistent_compute_column_is_used_as_given_without_a_note():
    c = [v * 1.05 for v in six_nd(frame())]  # 5% off: attention FLOPs, rounding
    runs = Runs.from_frame(frame(C=c), ["N", "D"])
    assert runs.values("C").tolist() == c and runs.notes == ()


def test_an_inconsistent_compute_column_is_kept_with_a_note():
    c = [v * 2 for v in six_nd(frame())]
    runs = Runs.from_frame(frame(C=c), ["N", "D"])
    assert runs.values("C").tolist() == c
    (note,) = runs.notes
    assert note.startswith("column 'C' differs from 6·N·D by more than 10% in rows 1, 2, 3 ")
    assert "median 2," in note and "C is used as given" in note and "\n" not in note


def test_one_far_off_row_is_named_even_when_the_median_agrees(tmp_path):
    df = frame(C=six_nd(frame()))
    df.loc[2, "C"] *= 100
    path = tmp_path / "runs.csv"
    df.to_csv(path, index=False)
    runs = Runs.from_frame(read_table(path), ["N", "D"], source=str(path))
    (note,) = runs.notes
    assert "in row 3 (line 4 of runs.csv)" in note and "farthest 100" in note
    assert runs.values("C")[2] == pytest.approx(df.loc[2, "C"])


def test_the_check_uses_the_laws_compute_k():
    c = six_nd(frame(), k=8.0)
    assert Runs.from_frame(frame(C=c), ["N", "D"], compute_k=8.0).notes == ()
    (note,) = Runs.from_frame(frame(C=c), ["N", "D"]).notes
    assert "6·N·D" in note and "compute_k" in note


def test_compute_derived_tokens_get_no_mismatch_note():
    df = frame(D=None, C=[1.2e18, 4.8e18, 1.92e19])
    runs = Runs.from_frame(df, ["N", "D"])
    assert runs.notes == ("D derived as C/(6·N)",)


# -- a ragged CSV row ---------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "line"), [
    ("N,D,loss\n1e8,2e9,3.1\n2e8,4e9,2.9,7\n4e8,8e9,2.7\n", 3),
    ("N,D,loss\n1e8,2e9,3.1,7\n2e8,4e9,2.9\n", 2),  # pandas would shift it into the index
    ("N,D,loss\n1e8,2e9,3.1,7\n2e8,4e9,2.9,8\n", 2),  # every row: pandas guesses an index
    ("\nN,D,loss\n\n1e8,2e9,3.1\n2e8,4e9,2.9,\n", 5),  # blank lines count, trailing comma
])
def test_a_row_with_more_fields_than_the_header_names_its_line(tmp_path, text, line):
    path = tmp_path / "runs.csv"
    path.write_text(text)
    with pytest.raises(DataError) as info:
        read_table(path)
    message = str(info.value)
    assert "\n" not in message and "Error tokenizing" not in message and "C error" not in message
    assert f"line {line} has 4 fields but the header has 3" in message, message


def test_quoted_commas_are_not_extra_fields(tmp_path):
    path = tmp_path / "runs.csv"
    path.write_text('N,D,loss,name\n1e8,2e9,3.1,"a, b"\n2e8,4e9,2.9,c\n')
    assert read_table(path)["name"].tolist() == ["a, b", "c"]


def test_short_rows_still_reach_the_row_check(tmp_path):
    path = tmp_path / "runs.csv"
    path.write_text("N,D,loss\n1e8,2e9,3.1\n2e8,4e9\n4e8,8e9,2.7\n")
    with pytest.raises(DataError, match=r"column 'loss', row 2 \(line 3 of runs.csv\): empty"):
        Runs.from_frame(read_table(path), ["N", "D"], source=str(path))


def test_a_ragged_tsv_row(tmp_path):
    path = tmp_path / "runs.tsv"
    path.write_text("N\tD\tloss\n1e8\t2e9\t3.1\n2e8\t4e9\t2.9\t1\n")
    with pytest.raises(DataError, match="line 3 has 4 fields but the header has 3"):
        read_table(path)


def test_other_separators_keep_their_own_message(tmp_path):
    path = tmp_path / "runs.csv"
    path.write_text("N;D;loss\n1e8;2e9;3,1\n")
    with pytest.raises(DataError, match="separated by semicolons"):
        read_table(path)


def test_the_cli_prints_one_line_for_a_ragged_file(capsys, tmp_path, monkeypatch):
    from bayescale.cli import main

    monkeypatch.chdir(tmp_path)
    Path("runs.csv").write_text("N,D,loss\n1e8,2e9,3.1\n2e8,4e9,2.9,7\n4e8,8e9,2.7\n")
    code = main(["fit", "runs.csv", "--method", "map", "-o", "fit.nc"])
    _, err = capsys.readouterr()
    assert code == 1 and err.count("\n") == 1
    assert "line 3 has 4 fields but the header has 3" in err
    assert not Path("fit.nc").exists()


def test_the_cli_prints_one_line_for_a_column_clash(capsys, tmp_path, monkeypatch):
    from bayescale.cli import main

    monkeypatch.chdir(tmp_path)
    frame().assign(C=six_nd(frame())).to_csv("runs.csv", index=False)
    code = main(["fit", "runs.csv", "--method", "map", "-o", "fit.nc", "--columns", "loss=N"])
    _, err = capsys.readouterr()
    assert code == 1 and err.count("\n") == 1
    assert "'loss=N' maps column N to loss, but N is also the parameters column" in err
    assert not Path("fit.nc").exists()
