"""The curated public API: lazy, complete, typed for IDEs; the old paths warn and still work."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import bayescale as bs
from bayescale._deprecated import MOVED

STUB = Path(bs.__file__).with_suffix(".pyi")


def test_every_public_name_resolves():
    for name in bs.__all__:
        assert getattr(bs, name) is not None, name
    assert "fit" in dir(bs) and "ModelConfig" in dir(bs)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        bs.nope  # noqa: B018


def test_the_stub_declares_exactly_the_public_names():
    tree = ast.parse(STUB.read_text())
    declared = {a.asname or a.name for node in tree.body if isinstance(node, ast.ImportFrom)
                for a in node.names}
    assert declared == set(bs.__all__)


def test_stub_targets_are_the_runtime_objects():
    tree = ast.parse(STUB.read_text())
    for node in tree.body:
        if not isinstance(node, ast.ImportFrom):
            continue
        module = importlib.import_module("bayescale" + ("." + node.module if node.module
                                                        else ""))
        for alias in node.names:
            expected = getattr(module, alias.name)
            name = alias.asname or alias.name
            if name in MOVED:  # bs.datasets: the module, or its old-path alias once imported
                assert getattr(bs, name).load is expected.load
                continue
            assert getattr(bs, name) is expected, name


def test_import_is_light():
    code = ("import sys, bayescale as bs; bs.fit; bs.ScalingFit; bs.Prior; "
            "heavy = [m for m in ('pymc', 'pytensor', 'nutpie', 'arviz', 'matplotlib') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("old", sorted(MOVED))
def test_old_module_paths_warn_and_still_work(old, monkeypatch):
    # importing bayescale.<old> binds it on the package; put back what was there (for
    # "datasets", the public bs.datasets) when the test ends
    if old in bs.__all__:
        getattr(bs, old)  # the public attribute, resolved before the old path shadows it
    if old in vars(bs):
        monkeypatch.setattr(bs, old, vars(bs)[old])
    else:
        monkeypatch.delattr(bs, old, raising=False)
    monkeypatch.delitem(sys.modules, f"bayescale.{old}", raising=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module = importlib.import_module(f"bayescale.{old}")
    assert any(issubclass(w.category, DeprecationWarning) and MOVED[old][0] in str(w.message)
               for w in caught)
    public = [n for n in dir(module) if not n.startswith("_")]
    assert public, old
    for name in public[:5]:
        assert getattr(module, name) is not None
    with pytest.raises(AttributeError):
        module.no_such_name  # noqa: B018


def test_old_names_land_where_they_moved():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from bayescale.fitting import configure, fit
        from bayescale.optimal import Cost, allocation_draws, optimal
    from bayescale import decisions, workflow
    assert fit is workflow.fit and configure is workflow.configure
    assert optimal is decisions.optimal and Cost is decisions.Cost
    assert allocation_draws is decisions.allocation_draws
