"""Without a law named, the table's columns choose it (or the error names the laws)."""

import pandas as pd
import pytest

from bayescale.errors import SpecError
from bayescale.laws import infer_law
from bayescale.model.config import ModelConfig


@pytest.mark.parametrize(("available", "response", "x", "law"), [
    (["N", "D"], "loss", None, "chinchilla"), (["N", "D", "C"], "loss", None, "chinchilla"),
    (["N", "C"], "loss", None, "chinchilla"),
    (["N"], "loss", None, "power"), (["D"], "loss", None, "power"), (["C"], "loss", None, "power"),
    (["N", "D"], "loss", "N", "power"), (["C"], "accuracy", None, "sigmoid"),
])
def test_the_columns_choose_the_law(available, response, x, law):
    assert infer_law(available, response=response, x=x) == law


@pytest.mark.parametrize("available", [[], ["D", "C"]])
def test_an_undecidable_table_names_the_laws(available):
    with pytest.raises(SpecError, match="cannot tell which law to fit: .* give the law "
                                        r"\(chinchilla needs N and D; power one of N, D or C"):
        infer_law(available)


def test_a_config_without_a_law_resolves_it_per_table():
    config = ModelConfig()
    one = pd.DataFrame({"D": [1e9, 1e10, 1e11], "loss": [3.0, 2.8, 2.7]})
    law, runs = config.prepare(one)
    assert law.name == "power" and law.inputs == ("D",) and runs.n == 3
    acc = pd.DataFrame({"C": [1e18, 1e19, 1e20], "accuracy": [0.3, 0.4, 0.5]})
    law, _ = ModelConfig(law_options={"chance": 0.25}).prepare(acc)
    assert law.name == "sigmoid" and law.response == "accuracy"
    assert ModelConfig().to_dict()["law"] is None  # the user's choice is recorded, not a guess


def test_fit_without_law_on_the_founding_example(tmp_path, capsys):
    from bayescale.cli import main

    csv, out = tmp_path / "f.csv", tmp_path / "f.nc"
    assert main(["simulate", "-o", str(csv), "--quiet"]) == 0
    code = main(["fit", str(csv), "--method", "map", "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "law: power, chosen from the columns (N → loss); give --law to choose another" in err
    import bayescale as bs

    assert bs.load(out).law.name == "power"
