"""``bayescale priors show|learn``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bayescale.cli import main
from bayescale.priors import read_priors_toml


def _studies() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    frames = []
    for study, (e, alpha, beta) in {"a": (1.8, 0.30, 0.30), "b": (2.1, 0.35, 0.40),
                                    "c": (1.9, 0.33, 0.36)}.items():
        n = np.repeat(np.geomspace(2e7, 1e9, 5), 3)
        d = np.tile([2e9, 1e10, 5e10], 5)
        loss = (e + 400 * n ** -alpha + 1500 * d ** -beta) * np.exp(rng.normal(0, 0.004, 15))
        frames.append(pd.DataFrame({"study": study, "N": n, "D": d, "loss": loss}))
    return pd.concat(frames, ignore_index=True)


def test_show_prints_the_field_priors(capsys) -> None:
    assert main(["priors", "show"]) == 0
    out = capsys.readouterr().out
    assert "alpha" in out and "LogNormal" in out and "--priors weak" in out


def test_learn_writes_a_priors_file_a_fit_reads(tmp_path, capsys) -> None:
    runs = tmp_path / "studies.csv"
    _studies().to_csv(runs, index=False)
    out = tmp_path / "p.toml"
    assert main(["priors", "learn", str(runs), "--by", "study", "--method", "map",
                 "-o", str(out), "--quiet"]) == 0
    priors = read_priors_toml(out)
    assert {"E", "alpha", "beta", "sigma"} <= set(priors)
    # the three studies' floors are 1.8-2.1 nats
    assert 1.6 < priors["E"].params["mu"] < 2.3
    # a second run refuses to replace the file
    assert main(["priors", "learn", str(runs), "--by", "study", "--method", "map",
                 "-o", str(out)]) == 1
    assert "already exists" in capsys.readouterr().err


def test_learn_needs_two_studies_and_the_column(tmp_path, capsys) -> None:
    runs = tmp_path / "one.csv"
    _studies().query("study == 'a'").to_csv(runs, index=False)
    assert main(["priors", "learn", str(runs), "--by", "study", "-o",
                 str(tmp_path / "p.toml")]) == 1
    assert "at least 2" in capsys.readouterr().err
    assert main(["priors", "learn", str(runs), "--by", "lab", "-o",
                 str(tmp_path / "p.toml")]) == 1
    assert "--by lab" in capsys.readouterr().err
    assert not (tmp_path / "p.toml").exists()
