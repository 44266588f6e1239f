"""Every CLI command: --help with examples, a normal run, and JSON output that parses.

(Commands that sample are run with ``--method map`` here; their MCMC runs are in the slow
tier: test_slow.py's CLI tour and model comparison.)"""

import base64
import json
import re
from html.parser import HTMLParser
from io import BytesIO

import matplotlib.image as mpimg
import pytest

import bayescale as bs
from bayescale.cli import main
from bayescale.cli.commands import COMMANDS
from bayescale.data.simulate import EPOCH_CHINCHILLA, chinchilla_design, simulate_runs
from bayescale.testing import fake_fit


def run(capsys, *argv):
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:  # argparse (--help, usage errors)
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_help_with_examples(capsys, command):
    code, out, _ = run(capsys, command, "--help")
    assert code == 0
    assert f"usage: bayescale {command}" in out
    assert "examples:" in out
    if command not in ("laws",):
        assert "--quiet" in out


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    runs = root / "runs.csv"
    simulate_runs("chinchilla", EPOCH_CHINCHILLA, chinchilla_design(), seed=3).to_csv(
        runs, index=False)
    fit = root / "fit.nc"
    fake_fit("chinchilla").save(fit)
    return {"root": root, "runs": runs, "fit": fit}


def test_fit_json(capsys, files, tmp_path):
    code, out, _ = run(capsys, "fit", files["runs"], "--method", "map", "-o",
                       tmp_path / "f.nc", "--json", "--quiet")
    assert code == 0
    data = json.loads(out)
    assert data["law"]["name"] == "chinchilla" and "E" in data["parameters"]


@pytest.mark.parametrize("argv", [
    ["summary", "{fit}", "--json"],
    ["predict", "{fit}", "--at", "N=1e9,D=2e10", "--json"],
    ["optimal", "{fit}", "--compute", "1e20", "--json"],
    ["check", "{fit}", "--json"],
    ["laws", "--json"],
    ["datasets", "list", "--json"],
    ["simulate", "--json"],
    ["plot", "{fit}", "-o", "{tmp}/p.png", "--json"],
    ["backtest", "{runs}", "--holdout", "largest:3", "--method", "map", "--json",
     "--no-discrepancy"],
])
def test_json_output_parses(capsys, files, tmp_path, argv):
    argv = [a.format(fit=files["fit"], runs=files["runs"], tmp=tmp_path) for a in argv]
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    assert json.loads(out)


def test_quiet_silences_progress_lines(capsys, files, tmp_path):
    code, _, err = run(capsys, "plot", files["fit"], "-o", tmp_path / "q.png", "--quiet")
    assert code == 0 and "wrote" not in err
    code, _, err = run(capsys, "plot", files["fit"], "-o", tmp_path / "r.png")
    assert code == 0 and "wrote" in err


def test_simulate_default_is_the_founding_example(capsys, tmp_path):
    code, out, _ = run(capsys, "simulate")
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0] == "N,loss" and len(lines) == 11
    n, loss = (float(v) for v in lines[1].split(","))
    assert n == 1e6 and loss == pytest.approx(100 * 1e6 ** -0.07 + 10, rel=0.05)
    path = tmp_path / "iso.csv"
    code, _, err = run(capsys, "simulate", "--law", "chinchilla", "--isoflop", "1e18,1e19",
                       "--sigma", "0", "-o", path)
    assert code == 0 and "wrote" in err
    fit_runs = bs.fit(path, "chinchilla", method="map").runs.table
    assert len(fit_runs) == 14
    code, _, err = run(capsys, "simulate", "--law", "chinchilla", "-o", path)
    assert code == 1 and "--force" in err  # never overwrites silently


@pytest.mark.parametrize(("argv", "message"), [
    (["simulate", "--law", "sigmoid"], "needs --params for"),
    (["simulate", "--params", "E=1,zeta=2"], "has no parameter 'zeta'"),
    (["simulate", "--params", "E"], "expected NAME=NUMBER"),
    (["simulate", "--N", "1e9:1e6"], "LO:HI:K"),
    (["simulate", "--law", "power", "--isoflop", "1e18"], "needs --law chinchilla"),
    (["report", "{fit}"], "give -o FOLDER"),
])
def test_cli_user_errors_are_one_line_exit_1(capsys, files, argv, message):
    argv = [a.format(fit=files["fit"]) for a in argv]
    code, _, err = run(capsys, *argv)
    assert code == 1
    assert message in err and "Traceback" not in err and err.count("\n") == 1


class _Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.sources = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.sources.append(dict(attrs)["src"])


def test_report_html_is_self_contained_and_every_image_decodes(capsys, tmp_path):
    fit = fake_fit("chinchilla", draws=300, chains=2)
    path = tmp_path / "fit.nc"
    fit.save(path)
    out = tmp_path / "report"
    code, stdout, err = run(capsys, "report", path, "-o", out, "--at", "N=7e10,D=1.4e12",
                            "--compute", "5.76e23", "--json")
    assert code == 0, err
    files = json.loads(stdout)["files"]
    assert {p.rsplit("/", 1)[-1] for p in files} >= {"report.html", "report.md",
                                                      "extrapolation.png", "pairs.png",
                                                      "frontier.png", "ppc.png"}
    html = (out / "report.html").read_text()
    parser = _Images()
    parser.feed(html)
    assert len(parser.sources) == 4
    for src in parser.sources:
        assert src.startswith("data:image/png;base64,")  # embedded: opens offline
        image = mpimg.imread(BytesIO(base64.b64decode(src.split(",", 1)[1])), format="png")
        assert image.shape[0] > 100 and image.shape[1] > 100
    assert not re.search(r'(src|href)="https?://', html)
    for section in ("Runs", "Parameters", "Diagnostics and warnings", "Extrapolation",
                    "Compute-optimal allocation", "How this was made"):
        assert f"<h2>{section}</h2>" in html
    assert "bayescale report" in html and "extrapolating far beyond" in html
    md = (out / "report.md").read_text()
    assert "![" in md and "(extrapolation.png)" in md and "| E |" in md
    code, _, err = run(capsys, "report", path, "-o", out)
    assert code == 1 and "--force" in err  # an existing report is not replaced silently


def test_report_latex_table(capsys, files):
    code, out, _ = run(capsys, "report", files["fit"], "--format", "latex")
    assert code == 0
    assert out.startswith("\\begin{tabular}") and "$\\alpha$" in out
    assert "\\bottomrule" in out and out.count("\\\\") >= 6


def test_broken_pipe_is_not_an_internal_error():
    import subprocess
    import sys

    proc = subprocess.run(
        f"{sys.executable} -m bayescale simulate --N 1e6:1e9:5000 | head -1", shell=True,
        capture_output=True, text=True, timeout=120)
    assert proc.stdout.strip() == "N,loss"
    assert "internal error" not in proc.stderr


def test_datasets_fetch_through_the_cli(capsys, shared_data, tmp_path, monkeypatch):
    monkeypatch.setenv("BAYESCALE_OFFLINE", "1")
    monkeypatch.delenv("BAYESCALE_DATA_DIR", raising=False)
    out = tmp_path / "llama3.csv"
    code, stdout, err = run(capsys, "datasets", "fetch", "llama3_isoflops", "--from",
                            shared_data / "raw", "--cache", tmp_path / "cache", "-o", out,
                            "--json")
    assert code == 0, err
    data = json.loads(stdout)
    assert data["rows"] == 133 and data["units"]["C"] == "FLOPs"
    assert out.read_text().splitlines()[0].startswith("C,D,N,loss")
    code, _, err = run(capsys, "datasets", "fetch", "gemstones", "--cache",
                       tmp_path / "empty")
    assert code == 1 and "BAYESCALE_DATA_DIR" in err and err.count("\n") == 1
    code, _, err = run(capsys, "datasets", "fetch", "nope")
    assert code == 1 and "epoch_chinchilla" in err


def test_json_also_when_writing_a_file(capsys, tmp_path, files):
    code, out, _ = run(capsys, "simulate", "-o", tmp_path / "s.csv", "--json")
    assert code == 0 and len(json.loads(out)["runs"]) == 10
    code, out, _ = run(capsys, "predict", files["fit"], "--at", "N=1e9,D=2e10", "-o",
                       tmp_path / "p.csv", "--json")
    assert code == 0 and json.loads(out)["points"]
    code, out, _ = run(capsys, "report", files["fit"], "--format", "latex", "--json")
    assert code == 0 and json.loads(out)["latex"].startswith("\\begin{tabular}")


def test_compare_checks_its_options_before_fitting(capsys, files):
    code, _, err = run(capsys, "compare", files["runs"], "--laws", "chinchilla,kaplan",
                       "--at", "N=oops")
    assert code == 1 and "not a number" in err
    code, _, err = run(capsys, "compare", files["runs"], "--laws", "chinchilla,loglinear")
    assert code == 1 and "loglinear" in err  # refused before the chinchilla fit
