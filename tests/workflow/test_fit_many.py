"""Fitting many groups: validation, seeds, executors, the CLI (fast: method="map")."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

import bayescale as bs
from bayescale.cli import main
from bayescale.data.simulate import chinchilla_design, simulate_runs
from bayescale.errors import DataError, SpecError
from bayescale.testing import EPOCH_CHINCHILLA


@pytest.fixture
def grouped():
    frames = []
    for k, name in enumerate(["small/lab", "mid lab", "big"]):
        df = simulate_runs("chinchilla", EPOCH_CHINCHILLA, chinchilla_design(), seed=300 + k)
        df["task"] = name
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def test_groups_in_order_with_their_own_seeds(grouped):
    fits = bs.fit_many(grouped, "chinchilla", by="task", method="map", random_seed=7,
                       progress=False)
    assert list(fits) == ["small/lab", "mid lab", "big"]
    seeds = [f.meta["sampler"]["random_seed"] for f in fits.values()]
    assert len(set(seeds)) == 3
    assert all(f.runs.n == 30 for f in fits.values())
    again = bs.fit_many(grouped, "chinchilla", by="task", method="map", random_seed=7,
                        progress=False)
    assert again["big"].meta["map"] == fits["big"].meta["map"]
    single = bs.fit(grouped[grouped.task == "big"], "chinchilla", method="map",
                    random_seed=seeds[2])
    assert single.meta["map"] == fits["big"].meta["map"]


def test_a_groups_seed_depends_on_its_name_not_its_position(grouped):
    full = bs.fit_many(grouped, "chinchilla", by="task", method="map", random_seed=5,
                       progress=False)
    subset = grouped[grouped.task != "small/lab"].iloc[::-1]
    part = bs.fit_many(subset, "chinchilla", by="task", method="map", random_seed=5,
                       progress=False)
    assert list(part) == ["big", "mid lab"]
    for name in part:
        assert part[name].meta["sampler"]["random_seed"] == \
            full[name].meta["sampler"]["random_seed"]


def test_empty_group_values_are_refused(grouped):
    bad = grouped.astype({"task": object})
    bad.loc[4, "task"] = None
    with pytest.raises(DataError, match=r"by='task': the column is empty in row\(s\) 5"):
        bs.fit_many(bad, "chinchilla", by="task", method="map", progress=False)


def test_executor_gives_the_same_results(grouped):
    serial = bs.fit_many(grouped, "chinchilla", by="task", method="map", random_seed=1,
                         progress=False)
    with ThreadPoolExecutor(2) as pool:
        parallel = bs.fit_many(grouped, "chinchilla", by="task", method="map", random_seed=1,
                               progress=False, executor=pool)
    assert list(parallel) == list(serial)
    for name in serial:
        assert parallel[name].meta["map"] == serial[name].meta["map"]


def test_mapping_input_and_errors_name_the_group(grouped):
    groups = {name: frame for name, frame in grouped.groupby("task", sort=False)}
    fits = bs.fit_many(groups, "chinchilla", method="map", progress=False)
    assert set(fits) == set(groups)
    bad = grouped.copy()
    bad.loc[bad.task == "mid lab", "loss"] = -1.0
    with pytest.raises(DataError, match=r"group 'mid lab': column 'loss', rows 1, 2, 3"):
        bs.fit_many(bad, "chinchilla", by="task", method="map", progress=False)
    with pytest.raises(DataError, match="by='nope': no such column"):
        bs.fit_many(grouped, "chinchilla", by="nope", progress=False)
    with pytest.raises(SpecError, match="name the grouping column"):
        bs.fit_many(grouped, "chinchilla", progress=False)


def test_cli_by_writes_one_file_per_group_and_a_summary(grouped, tmp_path, capsys):
    runs = tmp_path / "runs.csv"
    grouped.to_csv(runs, index=False)
    out = tmp_path / "fits"
    code = main(["fit", str(runs), "--by", "task", "--method", "map", "-o", str(out),
                 "--seed", "3"])
    text = capsys.readouterr().out
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == ["big.nc", "mid_lab.nc", "small_lab.nc",
                                                     "summary.csv"]
    summary = pd.read_csv(out / "summary.csv")
    assert set(summary["group"]) == {"small/lab", "mid lab", "big"}
    assert {"parameter", "prob", "median", "lower", "upper"} <= set(summary.columns)
    assert "APPROXIMATE posterior (Laplace) medians per group" in text
    assert set(summary["method"]) == {"laplace"}
    assert bs.load(out / "big.nc").meta["by"] == {"task": "big"}
    before = (out / "big.nc").stat().st_mtime_ns
    code = main(["fit", str(runs), "--by", "task", "--method", "map", "-o", str(out)])
    assert code == 1 and "already exists; use --force" in capsys.readouterr().err
    assert (out / "big.nc").stat().st_mtime_ns == before
    code = main(["fit", str(runs), "--by", "task", "-o", str(tmp_path / "x.nc")])
    assert code == 1 and "must be a folder" in capsys.readouterr().err


@pytest.mark.slow
def test_mcmc_groups_compile_once(grouped):
    # 2 x 300 draws is short on purpose: one combined warning, not one per group
    with pytest.warns(bs.InferenceWarning, match="of 3 groups have inference warnings") as rec:
        fits = bs.fit_many(grouped, "chinchilla", by="task", draws=300, tune=300, chains=2,
                           random_seed=0, progress=False)
    assert len(rec) == 1
    compile_times = [f.meta["compile_seconds"] for f in fits.values()]
    assert all(t == 0.0 for t in compile_times[1:])  # reused, not recompiled (no timing)
    for f in fits.values():
        assert np.isfinite(f.summary()["median"]).all()
