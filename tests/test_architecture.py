"""The layer map of ARCHITECTURE.md, checked: no upward import, no import cycle (function-local
imports count), no private name imported across modules, no oversized module, no CLI flag in
a library message."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from itertools import pairwise
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "bayescale"

#: Each layer and its rank: a module may import its own layer and the layers of lower rank.
LAYERS = {
    "_version": 0, "errors": 0,
    "priors": 1,
    "laws": 2,
    "data": 3,
    "model": 4,
    "diagnostics": 5,
    "decisions": 6,
    "results": 7,
    "inference": 8,
    "evaluation": 9,
    "workflow": 10,
    "plot": 11, "testing": 11,
    "report": 12,
    "cli": 13,
}
#: Outside the layers: the lazy top level, ``python -m bayescale`` and the deprecated aliases
#: of the old flat modules (they import anything, nothing imports them).
OUTSIDE = {"bayescale", "bayescale.__main__", "bayescale._deprecated", "bayescale.fitting",
           "bayescale.checks", "bayescale.likelihoods", "bayescale.predict", "bayescale.io",
           "bayescale.discrepancy", "bayescale.twostep", "bayescale.optimal",
           "bayescale.laplace", "bayescale.evaluate", "bayescale.baselines",
           "bayescale.datasets", "bayescale.simulate"}
MAX_LINES = 800
CLI_ENTRY_MAX = 150


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def _imports(name: str, path: Path) -> list[tuple[str, list[str], int]]:
    """(module imported, names imported, line) for every import of a bayescale module, at any
    depth (function-local included), except under ``if TYPE_CHECKING:``."""
    tree = ast.parse(path.read_text())
    is_pkg = path.name == "__init__.py"
    base = name.split(".") if is_pkg else name.split(".")[:-1]
    found = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.ImportFrom):
            if node.level:
                target = ".".join(base[: len(base) - node.level + 1]
                                  + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] == "bayescale":
                names = [a.name for a in node.names]
                submodules = [f"{target}.{n}" for n in names if f"{target}.{n}" in MODULES]
                for sub in submodules:
                    found.append((sub, [], node.lineno))
                rest = [n for n in names if f"{target}.{n}" not in MODULES]
                if rest or not submodules:
                    found.append((target, rest, node.lineno))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "bayescale":
                    found.append((alias.name, [], node.lineno))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _layer(module: str) -> str:
    return module.split(".")[1] if "." in module else module


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in MODULES.items():
        for target, _, _ in _imports(name, path):
            if target != name:
                graph[name].add(target)
    return graph


def test_every_module_belongs_to_a_layer():
    unplaced = [m for m in MODULES if m not in OUTSIDE and _layer(m) not in LAYERS]
    assert not unplaced, f"modules outside the layer map (add them to ARCHITECTURE.md): {unplaced}"


def test_no_upward_imports():
    upward = []
    for name, path in MODULES.items():
        if name in OUTSIDE:
            continue
        for target, _, line in _imports(name, path):
            if target in OUTSIDE and target != "bayescale":
                upward.append(f"{name}:{line} imports the deprecated alias {target}")
            elif target != "bayescale" and LAYERS[_layer(target)] > LAYERS[_layer(name)]:
                upward.append(f"{name}:{line} imports {target} (layer {_layer(target)} is above "
                              f"{_layer(name)})")
            elif target == "bayescale":
                upward.append(f"{name}:{line} imports the top-level package")
    assert not upward, "\n".join(upward)


def test_no_import_cycles():
    graph = _graph()
    cycles = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt.startswith(node + "."):  # a package importing its own submodules
                continue
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for module in sorted(MODULES):
        if module not in state and module not in OUTSIDE:
            visit(module)
    # a submodule importing a name its package re-exports is not a cycle of code, only of
    # the package's __init__: report the rest
    real = [c for c in cycles if not any(b.startswith(a + ".") for a, b in pairwise(c))]
    assert not real, "\n".join(" -> ".join(c) for c in real)


def test_no_private_name_crosses_a_module_boundary():
    crossings = []
    for name, path in MODULES.items():
        for target, names, line in _imports(name, path):
            private = [n for n in names if n.startswith("_") and n != "__version__"]
            target_private = any(p.startswith("_") and p not in ("_version", "_deprecated")
                                 for p in target.split(".")[1:])
            if private or (target_private and _layer(target) != _layer(name)):
                crossings.append(f"{name}:{line} imports {', '.join(private) or target}")
    assert not crossings, "\n".join(crossings)


def test_private_attributes_are_not_reached_into():
    """``obj._name`` only on ``self``/``cls`` (or the module's own names)."""
    pattern = re.compile(r"\b(?!self\b|cls\b)([a-z]\w*)\._[a-z]\w*")
    hits = []
    for name, path in MODULES.items():
        for number, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            for m in pattern.finditer(code):
                if m.group(1) in ("os", "sys", "np", "pd", "xp", "re", "math", "warnings",
                                  "ast", "importlib", "argparse", "functools", "mp"):
                    continue
                hits.append(f"{name}:{number}: {m.group(0)}")
    assert not hits, "\n".join(hits)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_modules_are_small(module):
    lines = len(MODULES[module].read_text().splitlines())
    limit = CLI_ENTRY_MAX if module in ("bayescale.cli", "bayescale.cli.main") else MAX_LINES
    assert lines <= limit, f"{module} has {lines} lines (at most {limit})"


def test_library_messages_do_not_quote_cli_flags():
    """Messages name Python options (``draws=``); the CLI turns them into flags."""
    flag = re.compile(r"(?<![\w`])--[a-z][a-z-]+")
    hits = []
    for name, path in MODULES.items():
        if _layer(name) == "cli" or name in OUTSIDE:
            continue
        tree = ast.parse(path.read_text())
        docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                      if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef))
                      and n.body and isinstance(n.body[0], ast.Expr)}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and id(node) not in docstrings and flag.search(node.value)):
                hits.append(f"{name}:{node.lineno}: {node.value.strip()[:70]!r}")
    assert not hits, "\n".join(hits)


def test_each_layer_states_what_it_may_import():
    for layer in ("data", "model", "diagnostics", "results", "decisions", "inference",
                  "evaluation", "cli"):
        doc = ast.get_docstring(ast.parse((PACKAGE / layer / "__init__.py").read_text()))
        assert doc and f"Layer ``{layer}``" in doc, layer


def test_architecture_md_lists_every_layer():
    text = (PACKAGE.parent / "ARCHITECTURE.md").read_text()
    for layer in LAYERS:
        if layer != "_version":
            assert f"`{layer}" in text, layer
