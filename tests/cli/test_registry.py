"""The CLI as a package: a lazy registry of one module per command, a small entry module, and
argparse used through its public API only."""

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from bayescale.cli import COMMANDS, main
from bayescale.cli.commands import load

CLI = Path(__file__).resolve().parents[2] / "bayescale" / "cli"


def test_one_module_per_command_with_add_parser_and_run():
    assert sorted(COMMANDS) == sorted(["fit", "summary", "predict", "plot", "optimal", "check",
                                       "backtest", "compare", "report", "simulate",
                                       "datasets", "laws", "priors"])
    for name in COMMANDS:
        module = load(name)
        assert module.__name__ == f"bayescale.cli.commands.{name}"
        assert callable(module.add_parser) and callable(module.run)
        assert module.__doc__ and f"bayescale {name}" in module.__doc__


def test_help_imports_no_command_and_a_command_imports_only_itself():
    code = ("import sys\nfrom bayescale.cli import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.startswith('bayescale.cli.commands.')))\n"
            "print(sorted(m for m in ('pandas', 'pymc', 'arviz', 'matplotlib', 'scipy', "
            "'xarray') if m in sys.modules))\n")
    for argv, commands, heavy in (
            (["--help"], "[]", "[]"),
            (["fit", "--help"], "['bayescale.cli.commands.fit']", "['pandas']")):
        proc = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True,
                              text=True, check=True)
        lines = proc.stdout.strip().splitlines()
        assert lines[-2:] == [commands, heavy], (argv, lines[-2:])


def test_entry_is_small_and_no_module_is_large():
    assert len((CLI / "main.py").read_text().splitlines()) + len(
        (CLI / "__init__.py").read_text().splitlines()) < 150
    for path in CLI.rglob("*.py"):
        assert len(path.read_text().splitlines()) < 400, path


def test_argparse_through_its_public_api_only():
    """No private argparse method is overridden and no private attribute is read."""
    for path in CLI.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                methods = [n.name for n in node.body if isinstance(n, ast.FunctionDef)]
                assert not [m for m in methods if m.startswith("_")], (path, node.name)
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                    and not node.attr.endswith("__")):
                assert isinstance(node.value, ast.Name) and node.value.id in ("os",), \
                    (path, node.attr)


def test_library_does_not_import_the_cli():
    package = CLI.parent
    for path in package.rglob("*.py"):
        if CLI in path.parents or path.name == "__main__.py":
            continue
        text = path.read_text()
        assert "from .cli" not in text and "from ..cli" not in text and \
            "bayescale.cli" not in text.replace('"""', ""), path


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_help(capsys, name):
    with pytest.raises(SystemExit) as exc:
        main([name, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: bayescale {name}") and "examples:" in out
    listing = importlib.import_module("bayescale.cli.main").build_parser().format_help()
    assert "".join(COMMANDS[name].summary.split()) in "".join(listing.split())


def test_usage_errors_are_one_line_with_status_1(capsys):
    for argv in (["nope"], ["fit"], ["fit", "runs.csv", "-o", "x.nc", "--draws", "0"],
                 ["optimal", "f.nc", "--compute", "abc"], ["fit", "r.csv", "-o", "x.nc", "--bad"]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        err = capsys.readouterr().err
        assert exc.value.code == 1 and err.count("\n") == 1, (argv, err)
        assert err.startswith("bayescale"), err
    assert main([]) == 1 and "usage: bayescale" in capsys.readouterr().out
