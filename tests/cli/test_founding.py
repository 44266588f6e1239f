"""The founding example end to end, as the README tells it: simulate, fit (no --law: the
columns choose the power law), then "what N reaches error 25?" and "how much more N halves the
reducible error?" — both answered with intervals that hold the truth."""

import json
import math

from bayescale.cli import main

#: error = 100·N^-0.07 + 10: N at error 25, and the multiple that halves error − 10
TRUE_N_AT_25 = 0.15 ** (-1 / 0.07)  # ≈ 5.9e11
TRUE_HALVING = 2 ** (1 / 0.07)  # ≈ 19,900


def test_the_founding_example_in_three_commands(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["simulate", "-o", "founding.csv", "--quiet"]) == 0
    assert main(["fit", "founding.csv", "--method", "map", "--seed", "1", "-o", "founding.nc",
                 "--quiet"]) == 0
    capsys.readouterr()
    assert main(["optimal", "founding.nc", "--target-loss", "25", "--halve",
                 "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    (n,) = [r for r in out["target"]["rows"] if r["quantity"] == "N"]
    # JSON writes an interval end among draws that never reach the target (∞) as null
    n = {k: math.inf if v is None else v for k, v in n.items()}
    assert n["lower"] < TRUE_N_AT_25 < n["upper"] and n["p_reachable"] > 0.9
    assert 0.2 < n["median"] / TRUE_N_AT_25 < 5
    (multiple,) = [r for r in out["halving"]["rows"] if r["quantity"] == "multiple"]
    multiple = {k: math.inf if v is None else v for k, v in multiple.items()}
    assert multiple["lower"] < TRUE_HALVING < multiple["upper"]
    assert out["halving"]["input"] == "N"
