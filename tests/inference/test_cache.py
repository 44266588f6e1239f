"""Compiled models kept on disk (bayescale/inference/cache.py): a later load gives the
compiled model's numbers; a damaged or foreign folder is a miss, never an error; the folder
follows the model's structure, not its numbers; the cache can be turned off, may be unwritable,
and is pruned. The cross-process check (a second CLI process loads, same draws) is the slow
test in tests/model/test_temp_files.py."""

import json
import os
import shutil

import numpy as np
import pytest

from bayescale.inference import cache
from bayescale.inference.entry import META_FILE, SOURCE_FILE, load_model
from bayescale.model.config import ModelConfig
from bayescale.model.graph import model_inputs
from tests.conftest import ROOT
from tests.inference.test_entry import call

RUNS = ROOT / "data" / "chinchilla_runs.csv"


@pytest.fixture(scope="module")
def kept(tmp_path_factory):
    """One model compiled into a fresh cache: (root, spec, runs, compiled, folder)."""
    root = tmp_path_factory.mktemp("compiled")
    spec, runs = ModelConfig(law="chinchilla").configure(str(RUNS))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(cache.ENV, str(root))
        compiled, loaded = cache.cached_model(spec, runs, list(spec.stored_vars))
        folder = cache.model_folder(spec, runs, list(spec.stored_vars))
    assert not loaded
    return root, spec, runs, compiled, folder


def test_a_kept_model_loads_with_the_compiled_numbers(kept, monkeypatch):
    root, spec, runs, compiled, folder = kept
    assert {p.name for p in folder.iterdir()} >= {SOURCE_FILE, META_FILE}
    monkeypatch.setenv(cache.ENV, str(root))
    loaded, was_loaded = cache.cached_model(spec, runs, list(spec.stored_vars))
    assert was_loaded and loaded.logp_func is None  # no PyTensor function was built
    assert loaded.n_dim == compiled.n_dim and loaded.shape_info[0] == compiled.shape_info[0]
    inputs = model_inputs(spec, runs)
    a, b = compiled.with_data(**inputs), loaded.with_data(**inputs)
    rng = np.random.default_rng(0)
    for _ in range(5):
        x = rng.normal(0, 0.5, compiled.n_dim)
        code, logp, grad = call(b, x)
        want = call(a, x)
        assert code == want[0] == 0 and logp == want[1] and np.array_equal(grad, want[2])


def test_a_damaged_folder_is_a_miss_and_the_model_is_compiled_again(kept, tmp_path,
                                                                    monkeypatch):
    _, spec, runs, compiled, folder = kept
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    assert load_model(copy) is not None
    meta = json.loads((copy / META_FILE).read_text())
    for damage in ("not json", json.dumps({**meta, "n_dim": meta["n_dim"] + 1}),
                   json.dumps({**meta, "slices": meta["slices"][::-1]}),
                   json.dumps({**meta, "slots": []})):
        (copy / META_FILE).write_text(damage)
        assert load_model(copy) is None, damage
    (copy / META_FILE).write_text(json.dumps(meta))
    source = (copy / SOURCE_FILE).read_text()
    (copy / SOURCE_FILE).write_text(source.replace("return 3", "return 0"))
    assert load_model(copy) is None  # the source is not the one the description makes
    assert load_model(tmp_path / "absent") is None
    # a cache whose folder is damaged still fits: it compiles (into the same folder)
    other = tmp_path / "root"
    monkeypatch.setenv(cache.ENV, str(other))
    target = cache.model_folder(spec, runs, list(spec.stored_vars))
    (target / META_FILE).write_text("{")
    fresh, was_loaded = cache.cached_model(spec, runs, list(spec.stored_vars))
    assert not was_loaded and fresh.n_dim == compiled.n_dim


def test_the_folder_follows_the_structure_not_the_numbers(kept, monkeypatch):
    root, spec, runs, _, folder = kept
    monkeypatch.setenv(cache.ENV, str(root))
    names = list(spec.stored_vars)
    fewer = ModelConfig(law="chinchilla").configure(runs.table.iloc[:10].reset_index(drop=True))
    assert cache.model_folder(*fewer, names) == folder
    normal = ModelConfig(law="chinchilla", likelihood="normal").configure(str(RUNS))
    assert cache.model_folder(*normal, list(normal[0].stored_vars)) != folder
    assert cache.model_folder(spec, runs, names[:-1]) != folder
    monkeypatch.setenv("PYTENSOR_FLAGS", "optimizer=fast_compile")
    cache._environment.cache_clear()
    try:
        assert cache.model_folder(spec, runs, names) != folder
    finally:
        monkeypatch.delenv("PYTENSOR_FLAGS")
        cache._environment.cache_clear()


def test_the_cache_can_be_off_or_unwritable(kept, tmp_path, monkeypatch):
    _, spec, runs, _, _ = kept
    for off in ("off", "0", "none"):
        monkeypatch.setenv(cache.ENV, off)
        assert cache.root() is None and cache.model_folder(spec, runs, []) is None
    blocker = tmp_path / "a file"
    blocker.write_text("")
    monkeypatch.setenv(cache.ENV, str(blocker / "below"))
    assert cache.model_folder(spec, runs, []) is None
    monkeypatch.delenv(cache.ENV)
    assert cache.root() == cache.Path.home() / ".cache" / "bayescale" / "compiled"


def test_prune_keeps_the_most_recently_used(tmp_path):
    from bayescale.inference.entry import META_FILE

    names = [f"{i:032x}" for i in range(cache.KEEP + 5)]
    for i, name in enumerate(names):
        (tmp_path / name).mkdir()
        (tmp_path / name / META_FILE).write_text("{}")
        os.utime(tmp_path / name, (1_000_000 + i, 1_000_000 + i))
    (tmp_path / names[0]).touch()  # used just now
    cache._prune(tmp_path)
    left = {p.name for p in tmp_path.iterdir()}
    assert len(left) == cache.KEEP and names[0] in left and names[1] not in left
    assert names[-1] in left


def test_a_kept_model_with_an_array_the_fit_does_not_fill_is_compiled_instead(kept,
                                                                              monkeypatch):
    """A loaded model's arrays are empty until ``with_data`` fills them: one that the fit's
    inputs do not name would be read empty, so such a model is never used."""
    import dataclasses

    from bayescale.inference import entry
    from bayescale.model import graph

    root, spec, runs, _, folder = kept
    monkeypatch.setenv(cache.ENV, str(root))
    loaded = load_model(folder)
    extra = dataclasses.replace(loaded, shared_var_keys={**loaded.shared_var_keys,
                                                         entry.Slot("extra", "float64"): "z"})
    monkeypatch.setattr(entry, "load_model", lambda f: extra if f == folder else None)
    monkeypatch.setattr(graph, "build_model", lambda *_: "model")
    monkeypatch.setattr(entry, "compile_model", lambda model, names, f: ("new", model, f))
    names = list(spec.stored_vars)
    assert cache.cached_model(spec, runs, names) == (("new", "model", folder), False)
    monkeypatch.setattr(entry, "load_model", lambda f: loaded if f == folder else None)
    assert cache.cached_model(spec, runs, names) == (loaded, True)


def test_a_model_with_a_vector_of_run_effects_is_kept_and_loads(tmp_path, monkeypatch):
    """Vector coordinates (one effect per run) and their group labels survive the round
    trip; a fit then reads them with its own data."""
    from tests.laws.test_learning_curves import checkpoints

    monkeypatch.setenv(cache.ENV, str(tmp_path))
    spec, runs = ModelConfig(law="learning_curve", columns="run=run_name").configure(
        checkpoints())
    names = list(spec.stored_vars)
    compiled, loaded = cache.cached_model(spec, runs, names)
    again, was_loaded = cache.cached_model(spec, runs, names)
    assert not loaded and was_loaded
    assert again.shape_info[0] == compiled.shape_info[0]
    # the coordinates of the stored variables' dimensions come back (the data's do not)
    used = {d for dims in again.dims.values() for d in dims}
    assert "group" in used and used <= again.coords.keys()
    for dim in again.coords:
        assert list(again.coords[dim]) == list(compiled.coords[dim])
    inputs = model_inputs(spec, runs)
    a, b = compiled.with_data(**inputs), again.with_data(**inputs)
    x = np.random.default_rng(2).normal(0, 0.3, compiled.n_dim)
    (code_a, logp_a, grad_a), (code_b, logp_b, grad_b) = call(a, x), call(b, x)
    assert code_a == code_b == 0 and logp_a == logp_b and np.array_equal(grad_a, grad_b)
    # a fit reusing the model (from the cache, or within the process) keeps its own labels
    from collections import OrderedDict

    from bayescale.inference import samplers

    renamed = checkpoints().assign(run_name=lambda d: "other-" + d.run_name)
    spec2, runs2 = ModelConfig(law="learning_curve", columns="run=run_name").configure(renamed)
    monkeypatch.setattr(samplers, "_COMPILED", OrderedDict())
    first, _, how = samplers.compiled_model(spec, runs)
    second, _, how2 = samplers.compiled_model(spec2, runs2)
    assert (how, how2) == ("cache", "reused")
    assert list(first.coords["group"]) == list(runs.groups[1])
    assert list(second.coords["group"]) == list(runs2.groups[1]) != list(runs.groups[1])


def test_only_bayescales_own_portable_laws_are_kept(kept, monkeypatch):
    """A law or likelihood of the user's, or a custom law given as a Python function, could
    change without its structure changing: compiled per process, never kept."""
    import dataclasses

    root, spec, runs, _, folder = kept
    monkeypatch.setenv(cache.ENV, str(root))
    names = list(spec.stored_vars)
    assert cache.model_folder(spec, runs, names) == folder

    class Mine(type(spec.law)):
        pass

    assert not cache._keepable(dataclasses.replace(spec, law=Mine()))
    from bayescale.laws import CustomLaw

    function = CustomLaw(function=lambda xp, N, E, A, a: E + A * N ** -a,
                            params=["E", "A", "a"], inputs=["N"])
    expression = CustomLaw("E + A * N ** -a")
    assert not cache._keepable(dataclasses.replace(spec, law=function))
    assert cache._keepable(dataclasses.replace(spec, law=expression))


def test_prune_leaves_what_is_not_a_model_folder(tmp_path):
    """A cache folder the user named may hold other things: only model folders go."""
    from bayescale.inference.entry import SOURCE_FILE

    for i in range(cache.KEEP + 3):
        folder = tmp_path / f"{i:032x}"
        folder.mkdir()
        (folder / SOURCE_FILE).write_text("")
        os.utime(folder, (1_000_000 + i, 1_000_000 + i))
    mine = tmp_path / "my-notes"
    mine.mkdir()
    os.utime(mine, (1, 1))
    bare = tmp_path / ("f" * 32)  # a model-like name without a model's files
    bare.mkdir()
    os.utime(bare, (1, 1))
    cache._prune(tmp_path)
    assert mine.is_dir() and bare.is_dir()
    assert len([p for p in tmp_path.iterdir() if (p / SOURCE_FILE).exists()]) == cache.KEEP


def test_array_names_cannot_add_code_to_the_generated_module():
    """The module's text names its arrays (in a comment): a name with a line break in it,
    from a tampered description, stays inside that comment."""
    from bayescale.inference.entry import _source

    meta = {"n_dim": 2, "n_expanded": 3, "logp_slots": [0], "expand_slots": [0]}
    plain = _source({**meta, "slots": [["x", "float64"]]})
    hostile = _source({**meta, "slots": [["x\nimport os\nos.remove('f')", "float64"]]})
    assert len(hostile.splitlines()) == len(plain.splitlines())
    assert "\nimport os" not in hostile
    names = {}
    exec(compile(hostile, "<test>", "exec"), names)  # defines the two functions, runs nothing
    assert {k for k in names if not k.startswith("__")} == {"logp_numba", "expand_numba"}
