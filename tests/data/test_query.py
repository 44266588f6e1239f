"""The row-filter language of ``query=``: what it accepts, and every construct it refuses with
one line (never evaluated as Python: no call, attribute, ``@`` reference or lambda runs)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bayescale.data import filter_rows
from bayescale.data.query import MAX_DEPTH, MAX_LENGTH, query_mask
from bayescale.errors import DataError

RUNS_CSV = Path(__file__).resolve().parents[2] / "data" / "chinchilla_runs.csv"


@pytest.fixture
def df():
    return pd.DataFrame({
        "N": [1e8, 2e8, 4e8, 8e8],
        "D": [2e9, 4e9, 2e10, 4e10],
        "C": [1.2e18, 4.8e18, 4.8e22, 1.9e23],
        "loss": [3.1, 2.9, 2.7, 2.5],
        "epoch_outlier": [False, True, False, False],
        "schedule": ["cosine", "cooldown_end", "cosine", "wsd"],
        "val loss": [1.0, 2.0, 3.0, np.nan],
        "steps": [10, 20, 30, 40],
    })


@pytest.mark.parametrize(("query", "keep"), [
    ("epoch_outlier == False", [1, 0, 1, 1]),
    ("epoch_outlier != True", [1, 0, 1, 1]),
    ("schedule == \"cooldown_end\"", [0, 1, 0, 0]),
    ("schedule == 'cooldown_end'", [0, 1, 0, 0]),
    ("C > 1e21", [0, 0, 1, 1]),
    ("N >= 1e8 and D < 2e10", [1, 1, 0, 0]),
    ("1e9 <= D < 1e10", [1, 1, 0, 0]),
    ("2e8 <= N <= 4e8 < C", [0, 1, 1, 0]),
    ("1e8 < N <= 4e8 != 0", [0, 1, 1, 0]),
    ("(N > 1e8) & (D < 3e10)", [0, 1, 1, 0]),
    ("N > 1e8 & D < 3e10", [0, 1, 1, 0]),  # & binds like `and` (as in pandas)
    ("N < 2e8 | schedule == 'wsd'", [1, 0, 0, 1]),
    ("N < 2e8 or schedule == 'wsd'", [1, 0, 0, 1]),
    ("~epoch_outlier", [1, 0, 1, 1]),
    ("not epoch_outlier", [1, 0, 1, 1]),
    ("epoch_outlier", [0, 1, 0, 0]),
    ("~(N > 2e8)", [1, 1, 0, 0]),
    ("not (N > 2e8 or epoch_outlier)", [1, 0, 0, 0]),
    ("schedule in ['cosine', 'wsd']", [1, 0, 1, 1]),
    ("schedule not in ('cosine',)", [0, 1, 0, 1]),
    ("schedule in {'wsd'}", [0, 0, 0, 1]),
    ("N in [1e8, 8e8]", [1, 0, 0, 1]),
    ("steps in [10, -5, 40]", [1, 0, 0, 1]),
    ("epoch_outlier in [True]", [0, 1, 0, 0]),
    ("`val loss` >= 2", [0, 1, 1, 0]),  # NaN compares False
    ("`val loss` < 3 and `N` > 1e8", [0, 1, 0, 0]),
    ("D / N >= 25", [0, 0, 1, 1]),
    ("C / (6 * N * D) > 1.5", [0, 0, 1, 1]),
    ("N + D - 1 > 4e9", [0, 1, 1, 1]),
    ("-N < -2e8", [0, 0, 1, 1]),
    ("+N > 2e8", [0, 0, 1, 1]),
    ("N > 100000000", [0, 1, 1, 1]),
    ("N > 1_0000_0000", [0, 1, 1, 1]),
    ("N > 1E8", [0, 1, 1, 1]),
    ("steps == 20.0", [0, 1, 0, 0]),
    ("schedule == 'a&b|c' or N > 4e8", [0, 0, 0, 1]),  # & and | inside strings are text
    ("schedule == '`x`' or N > 4e8", [0, 0, 0, 1]),
    ("True", [1, 1, 1, 1]),
    ("  N > 2e8  ", [0, 0, 1, 1]),
    ("(\n N > 2e8\n)", [0, 0, 1, 1]),
    ("1 < 2", [1, 1, 1, 1]),
])
def test_accepted_forms(df, query, keep):
    assert query_mask(df, query).astype(int).tolist() == keep


def test_filter_rows_keeps_its_behaviour(df):
    out = filter_rows(df, "N > 1.5e8")
    assert out["N"].tolist() == [2e8, 4e8, 8e8] and list(out.index) == [0, 1, 2]
    with pytest.raises(DataError, match=r"^query='N > 1e20' keeps no rows$"):
        filter_rows(df, "N > 1e20")
    with pytest.raises(DataError, match="keeps no rows"):
        filter_rows(df, "False")


HINT = "use columns, numbers, strings, comparisons"

#: (hostile or wrong query, a fragment of its one-line message)
REFUSED = [
    # pandas' @ references to Python variables
    ("(N > 0) | (@Path('marker').touch() == 1)",
     "'@' references to Python variables are not allowed ('@Path')"),
    ("N > @threshold", "'@' references to Python variables are not allowed ('@threshold')"),
    ("N > 1 and @os.system('touch marker')", "('@os.system')"),
    ("N @ D > 1", "'@' references"),
    # calls
    ("(N > 0) | (__import__('pathlib').Path('marker').touch() == 1)",
     "function calls are not allowed (\"__import__('pathlib').Path('marker')"),
    ("__import__('os').system('touch marker') == 0", "function calls are not allowed"),
    ("exec('open(\"marker\", \"w\")') == 1", "function calls are not allowed ('exec(...)')"),
    ("eval('1') == 1", "function calls are not allowed ('eval(...)')"),
    ("open('marker', 'w') == 1", "function calls are not allowed ('open(...)')"),
    ("globals() == 1", "function calls are not allowed ('globals(...)')"),
    ("N.sum() > 1", "function calls are not allowed ('N.sum(...)')"),
    ("abs(N) > 1", "function calls are not allowed ('abs(...)')"),
    # attributes, dunders, subscripts
    ("N.values > 1", "attribute access is not allowed ('N.values')"),
    ("N.__class__ == 1", "attribute access is not allowed ('N.__class__')"),
    ("().__class__.__bases__[0].__subclasses__() == 1", "function calls are not allowed"),
    ("N.__dict__ == 1", "attribute access is not allowed ('N.__dict__')"),
    ("N[0] > 1", "subscripts are not allowed ('N[0]')"),
    ("schedule[0:2] == 'co'", "subscripts are not allowed"),
    # lambdas, comprehensions, f-strings, walrus, conditionals, dicts
    ("(lambda: 1)() == 1", "function calls are not allowed ('(lambda: 1)(...)')"),
    ("(lambda x: x) == 1", "lambdas are not allowed"),
    ("[x for x in N] == 1", "comprehensions are not allowed"),
    ("any(x > 1 for x in N)", "function calls are not allowed ('any(...)')"),
    ("schedule in [x for x in 'ab']", "comprehensions are not allowed"),
    ("schedule == f'{N}'", "f-strings are not allowed"),
    ("schedule == f'{__import__(\"os\")}'", "f-strings are not allowed"),
    ("(x := 1) == 1", "assignments (:=) are not allowed ('x := 1')"),
    ("N > 1 if True else False", "conditional expressions (x if c else y) are not allowed"),
    ("{'a': 1} == N", "dicts are not allowed"),
    ("[1] == N", "a list is allowed only after 'in' or 'not in' ('[1]')"),
    ("*N", "invalid syntax"),
    ("await N", "await is not allowed"),
    # statements and syntax
    ("N > 1; import os", "invalid syntax"),
    ("N > 1\nimport os", "invalid syntax"),
    ("import os", "invalid syntax"),
    ("N >", "invalid syntax"),
    ("N = 1", "invalid syntax"),
    # operators and literals
    ("N ** 2 > 1", "operator '**' is not allowed ('N ** 2')"),
    ("9 ** 9 ** 9 > N", "operator '**' is not allowed"),
    ("N % 2 == 0", "operator '%' is not allowed"),
    ("N // 2 > 0", "operator '//' is not allowed"),
    ("N > 1 >> 2", "operator '>>' is not allowed"),
    ("N ^ D", "operator '^' is not allowed"),
    ("N is None", "'is' is not allowed ('N is None'); use == or != instead"),
    ("N == None", "None is not allowed ('None')"),
    ("N > 1j", "complex numbers are not allowed ('1j')"),
    ("schedule == b'x'", "bytes are not allowed (\"b'x'\")"),
    ("N == ...", "'...' is not allowed"),
    ("N > 1" + "0" * 40, "the number 10000000000000000000... is 41 characters long; the limit "
                         "is 30"),
    ("N > 0x" + "f" * 40, "is 42 characters long; the limit is 30"),
    ("N < " + "9" * 5000, "a number is longer than 30 characters"),
    ("N > 1e999", "the number 1e999 is out of range"),
    ("'(' * 5000 == schedule", "'*' needs numbers, and \"'('\" is not a number"),
    # names, types and conditions
    ("nosuch > 1", "unknown column 'nosuch'; columns: N, D, C, loss, epoch_outlier, schedule, "
                   "`val loss`, steps"),
    ("__builtins__ == 1", "unknown column '__builtins__'"),
    ("`no such` > 1", "unknown column 'no such'"),
    ("`val loss > 1", "a backtick (`) is not closed"),
    ("`` > 1", "empty column name in backticks"),
    ("N", "'N' is not a condition; compare it, e.g. N > 0"),
    ("schedule", "'schedule' is not a condition; compare it, e.g. schedule == 'value'"),
    ("'text'", "is not a condition"),
    ("N and D", "'and' joins conditions, and 'N' is not one; compare it, e.g. N > 0"),
    ("not N", "'not' joins conditions, and 'N' is not one"),
    ("~schedule", "'~' joins conditions"),
    ("N == 'abc'", "'N' holds numbers and 'abc' is text; write it without quotes"),
    ("epoch_outlier == 'True'", "'epoch_outlier' holds True/False"),
    ("schedule > 1", "cannot compare schedule > 1"),
    ("schedule + 1 > 1", "'+' needs numbers, and 'schedule' is not a number"),
    ("N < -'a'", "'-' needs numbers"),
    ("N in D", "'in' needs a list of values, e.g. schedule in ['cosine', 'wsd'], got 'D'"),
    ("N in [D]", "the list after 'in' may hold only numbers, strings and True/False, got 'D'"),
    ("N in [[1]]", "the list after 'in' may hold only"),
    ("N in [-'a']", "the list after 'in' may hold only"),
    ("N in [1, 2] < 3", "'in' cannot be chained with other comparisons"),
    ("", "the query is empty"),
    ("   ", "the query is empty"),
]


@pytest.mark.parametrize(("query", "fragment"), REFUSED)
def test_refused_constructs_are_one_line_data_errors(df, query, fragment, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError) as info:
        filter_rows(df, query)
    message = str(info.value)
    assert "\n" not in message and message.startswith("query="), message
    assert fragment in message, message
    assert not list(tmp_path.iterdir())  # nothing ran: no marker written


def test_refusals_name_the_allowed_language(df):
    with pytest.raises(DataError, match=rf"^query=.* failed: function calls are not allowed "
                                        rf"\('Path\(\.\.\.\)'\); {HINT}"):
        filter_rows(df, "N > Path('x')")


def test_there_are_many_refusals():
    assert len(REFUSED) >= 25


@pytest.mark.parametrize("query", [
    "(" * 5000 + "N > 1" + ")" * 5000,  # over the length limit
    "(" * 300 + "N > 1" + ")" * 300,  # Python's own parenthesis limit
    "not " * 2000 + "N > 1",
    "-" * 5000 + "1 < N",
    "~" * 5000 + "(N > 1)",
    "+" * 5000 + "N > 1",
    "(" * 90 + "not " * 150 + "N > 1" + ")" * 90,
    "N " + "< N " * 3000,
])
def test_deep_or_long_queries_are_clean_errors_not_recursion(df, query):
    with pytest.raises(DataError) as info:
        filter_rows(df, query)
    message = str(info.value)
    assert "\n" not in message and len(message) < 300, message
    assert any(s in message for s in (
        f"the limit is {MAX_LENGTH}", f"nested more than {MAX_DEPTH} deep",
        "too many nested parentheses", "keeps no rows")), message


def test_long_flat_queries_are_fine(df):
    names = [f"'run{i}'" for i in range(500)]
    query = f"schedule in [{', '.join(names)}, 'wsd']"
    assert len(query) < MAX_LENGTH
    assert query_mask(df, query).tolist() == [False, False, False, True]
    assert query_mask(df, " or ".join(["N > 4e8"] * 400)).tolist() == [0, 0, 0, 1]


def test_columns_that_are_not_plain_identifiers(df):
    df = df.rename(columns={"steps": "run.id", "loss": "class"})
    assert query_mask(df, "`run.id` == 20").tolist() == [0, 1, 0, 0]
    assert query_mask(df, "`class` < 3").tolist() == [0, 1, 1, 1]
    with pytest.raises(DataError, match=r"columns: .*`class`.*`run.id`"):
        filter_rows(df, "nosuch > 1")


def test_columns_with_missing_values_and_nullable_types():
    df = pd.DataFrame({"N": pd.array([1, None, 3], dtype="Int64"),
                       "flag": pd.array([True, None, False], dtype="boolean"),
                       "tag": pd.array(["a", None, "b"], dtype="string"),
                       "mixed": [1.0, "x", None]})
    assert query_mask(df, "N >= 1").tolist() == [True, False, True]
    assert query_mask(df, "flag == True").tolist() == [True, False, False]
    assert query_mask(df, "tag == 'b' or tag in ['a']").tolist() == [True, False, True]
    assert query_mask(df, "mixed == 'x'").tolist() == [False, True, False]
    with pytest.raises(DataError, match="cannot compare mixed > 0"):
        filter_rows(df, "mixed > 0")


def test_duplicated_column_in_a_query_is_named():
    df = pd.DataFrame([[1.0, 2.0, 3.0]], columns=["N", "loss", "loss"])
    with pytest.raises(DataError, match="column 'loss' appears more than once"):
        filter_rows(df, "loss > 1")


def test_query_must_be_text(df):
    with pytest.raises(DataError, match="query must be a string"):
        filter_rows(df, 3)  # type: ignore[arg-type]


def test_long_query_is_shortened_in_the_message(df):
    with pytest.raises(DataError) as info:
        filter_rows(df, "nosuch > 1 and " + " and ".join(["N > 1"] * 100))
    assert "..." in str(info.value) and len(str(info.value)) < 250


# -- through the CLI, in-process ---------------------------------------------------------------
@pytest.mark.parametrize("query", [
    "(N > 0) | (@Path('marker').touch() == 1)",
    "(N > 0) | (__import__('pathlib').Path('marker').touch() == 1)",
    "N.__class__.__init__.__globals__ == 1",
])
def test_cli_refuses_a_hostile_query_and_writes_nothing(capsys, tmp_path, monkeypatch, query):
    from bayescale.cli import main

    monkeypatch.chdir(tmp_path)
    code = main(["fit", str(RUNS_CSV), "--method", "map", "-o", str(tmp_path / "q.nc"),
                 "--query", query])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "--query" in err and "Traceback" not in err, err
    assert not (tmp_path / "marker").exists() and not (tmp_path / "q.nc").exists()
    assert not list(tmp_path.iterdir())


def test_a_plain_query_reaches_the_runs_a_fit_would_use():
    from bayescale.model.config import ModelConfig

    _, runs = ModelConfig(law="chinchilla",
                          query="N >= 1e8 and D < 2e10 & loss > 0").prepare(RUNS_CSV)
    table = pd.read_csv(RUNS_CSV)
    keep = (table["N"] >= 1e8) & (table["D"] < 2e10)
    assert runs.n == int(keep.sum()) > 3
    np.testing.assert_allclose(runs.values("N"), table.loc[keep, "N"])
