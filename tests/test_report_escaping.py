"""Strings a fit file carries reach report.html and report.md as text, never as markup."""

import dataclasses
import json
import re
from types import SimpleNamespace

import netCDF4
import numpy as np
import pandas as pd
import pytest

import bayescale.plot
from bayescale import report
from bayescale.cli import main
from bayescale.report import Report, Section, md_text
from bayescale.results.discrepancy import Discrepancy
from bayescale.results.fit import ScalingFit
from bayescale.testing import fake_fit

SCRIPT = "<script>alert(1)</script>"
MARKDOWN = "| `code` *em* _em_ [link](javascript:alert(2)) ![img](http://x/y.png) ~~s~~ $x$ \\"


def unescaped_pipes(line: str) -> int:
    return len(re.findall(r"(?<!\\)\|", line))


@pytest.mark.parametrize("text, expected", [
    (SCRIPT, "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ("a & b", "a &amp; b"),
    ("a|b `c` *d* _e_", r"a\|b \`c\` \*d\* \_e\_"),
    ("[x](javascript:alert(1))", r"\[x\](javascript:alert(1))"),
    ("# heading", r"\# heading"),
    ("- item", r"\- item"),
    ("> quote", "&gt; quote"),  # an entity at the start of a line is no block quote
    ("1. item", r"1\. item"),
    ("line\n# injected\n\n    code", r"line # injected code"),
    ("$\\alpha$", r"\$\\alpha\$"),
    ("plain text, 3.5e+09", "plain text, 3.5e+09"),
])
def test_md_text_neutralises_markup(text, expected):
    assert md_text(text) == expected


def test_rendered_report_escapes_every_string():
    table = pd.DataFrame({SCRIPT: [SCRIPT, MARKDOWN], "x|y": ["a\nb", "`c`"]},
                         index=pd.Index([SCRIPT, "# h"], name="<b>name</b>"))
    rep = Report(f"title {SCRIPT}", [Section(f"section {SCRIPT}", [SCRIPT, "# not a heading",
                                                                   MARKDOWN, "a\n## b"],
                                             [(f"caption {SCRIPT}", table)],
                                             [("fig.png", f"image {SCRIPT} ](x)")])],
                 {"fig.png": b"png"}, [])
    page, md = rep.html(), rep.markdown()
    for text in (page, md):
        assert "<script" not in text and "<b>name" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    lines = md.splitlines()
    assert [line for line in lines if line.startswith("#")] == [
        "# title &lt;script&gt;alert(1)&lt;/script&gt;",
        "## section &lt;script&gt;alert(1)&lt;/script&gt;"]
    rows = [line for line in lines if line.startswith("| ")]
    assert len(rows) == 3 and all(unescaped_pipes(row) == 4 for row in rows)  # 3 columns
    assert "](javascript" not in md.replace(r"\](javascript", "")
    assert "![image &lt;script&gt;alert(1)&lt;/script&gt; \\](x)](fig.png)" in md
    assert "\\`code\\`" in md and "\\~\\~s\\~\\~" in md


def cheap_plots(monkeypatch):
    """The report's figures replaced by stand-ins: this test is about its text."""
    axes = SimpleNamespace(figure=None)
    for name in ("ppc", "extrapolation", "pairs", "frontier"):
        monkeypatch.setattr(bayescale.plot, name, lambda *a, **k: np.array([axes]))
    monkeypatch.setattr(bayescale.plot, "extrapolation", lambda *a, **k: axes)
    monkeypatch.setattr(report, "_png", lambda fig: b"\x89PNG")


def test_hostile_strings_from_a_fit_file_are_text_in_both_reports(tmp_path, monkeypatch,
                                                                   capsys):
    fit = fake_fit("chinchilla", draws=100, chains=2)
    runs = dataclasses.replace(fit.runs, source=f"runs{SCRIPT}.csv",
                               notes=(f"note {SCRIPT}", MARKDOWN))
    meta = {**fit.meta, "command": f"bayescale fit {SCRIPT}",
            "approximation_messages": [f"warned {SCRIPT} {MARKDOWN}"],
            "discrepancy": Discrepancy(0.1, "C", float(runs.table["C"].max()),
                                       source=f"given {SCRIPT}").to_dict()}
    path = ScalingFit(fit.dt, fit.spec, runs, meta).save(tmp_path / "fit.nc")
    column = "x<img src=x onerror=alert(3)>|`y`"
    with netCDF4.Dataset(path, "a") as handle:  # a column name from the file (legal in NetCDF)
        group = handle["constant_data"]
        group.createVariable(column, "f8", ("run",))[:] = np.ones(fit.runs.n)
        assert json.loads(handle.getncattr("bayescale"))["command"].endswith(SCRIPT)
    cheap_plots(monkeypatch)
    out = tmp_path / "report"
    assert main(["report", str(path), "-o", str(out)]) == 0, capsys.readouterr().err
    page = (out / "report.html").read_text()
    md = (out / "report.md").read_text()
    for text in (page, md):
        assert "<script" not in text and "<img src=x" not in text
        for shown in ("bayescale fit &lt;script&gt;alert(1)&lt;/script&gt;",
                      "note &lt;script&gt;alert(1)&lt;/script&gt;",
                      "warned &lt;script&gt;alert(1)&lt;/script&gt;",
                      "given &lt;script&gt;alert(1)&lt;/script&gt;",
                      "x&lt;img src=x onerror=alert(3)&gt;"):
            assert shown in text, shown
    assert "x&lt;img src=x onerror=alert(3)&gt;\\|\\`y\\`" in md
    header = next(line for line in md.splitlines() if "onerror" in line)
    assert unescaped_pipes(header) == len(fit.runs.table.columns) + 2  # the new column too
    assert "\\[link\\](javascript:alert(2))" in md
