import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bayescale as bs
from bayescale.errors import SpecError
from bayescale.laws.custom import MAX_LENGTH, CustomLaw

CHINCHILLA = "E + A * N**(-alpha) + B * D**(-beta)"


@pytest.mark.parametrize("expression, match", [
    ("E + A.real * N**(-alpha)", "attribute access is not allowed"),
    ("__import__('os').system('ls') + N", "calling .*__import__.* is not allowed"),
    ("import os", "is not a valid expression"),
    ("E + eval('1') * N", "calling 'eval' is not allowed"),
    ("E + open(N)", "calling 'open' is not allowed"),
    ("E + A * N[0]", "a subscript is not allowed"),
    ("E + (lambda q: q)(N)", "calling"),
    ("E + exp(N, base=2)", r"exp\(\) takes no keyword arguments"),
    ("E + minimum(N)", r"minimum\(\) takes 2 argument"),
    ("E + A * N if N > 1 else E", "a conditional expression is not allowed"),
    ("E + 'x' * N", "only numbers are allowed"),
    ("E + _secret * N", "may not start with '_'"),
    ("E + exp * N", "'exp' is a function"),
    ("E + A", "uses none of the inputs"),
    ("N ** 2", "has no parameters"),
    ("E // A + N", "operator FloorDiv is not allowed"),
    ("", "the expression is empty"),
])
def test_parser_rejects_with_one_line_errors(expression, match):
    with pytest.raises(SpecError, match=match) as info:
        CustomLaw(expression)
    assert "\n" not in str(info.value)


def test_overlong_and_oversized_input():
    with pytest.raises(SpecError, match=f"the limit is {MAX_LENGTH}"):
        CustomLaw("E + A * N**(-alpha)" + " + 0" * 200)
    deep = "E + " + "+".join(f"A{i} * N" for i in range(60))
    with pytest.raises(SpecError, match="parts; the limit is"):
        CustomLaw(deep)


def test_accepts_the_chinchilla_expression_and_matches_the_law():
    law = CustomLaw(CHINCHILLA)
    assert law.inputs == ("N", "D") and law.param_names == ("E", "A", "alpha", "B", "beta")
    assert law.to_dict() == {"name": "custom", "expression": CHINCHILLA, "response": "loss"}
    assert bs.laws.law_from_dict(law.to_dict()).expression == CHINCHILLA


@settings(max_examples=100, deadline=None)
@given(e=st.floats(0.5, 3), a=st.floats(10, 1e4), b=st.floats(10, 1e4),
       alpha=st.floats(0.1, 0.8), beta=st.floats(0.1, 0.8), n=st.floats(6, 12),
       d=st.floats(8, 14))
def test_expression_equals_chinchilla(e, a, b, alpha, beta, n, d):
    p = {"E": e, "A": a, "B": b, "alpha": alpha, "beta": beta}
    point = {"N": 10**n, "D": 10**d}
    assert CustomLaw(CHINCHILLA).loss(point, p) == pytest.approx(
        bs.get_law("chinchilla").loss(point, p), rel=1e-12)


def test_functions_and_accuracy_response():
    law = CustomLaw("0.25 + (ceil - 0.25) * sigmoid(k * (log10(C) - m))", response="accuracy")
    assert law.response == "accuracy" and law.inputs == ("C",)
    value = law.evaluate({"C": [1e22]}, {"ceil": 0.9, "k": 1.0, "m": 22.0})
    assert value[0] == pytest.approx(0.25 + 0.65 / 2)


def test_custom_law_needs_priors_for_every_parameter():
    df = pd.DataFrame({"N": [1e7, 1e8, 1e9, 1e10], "loss": [4.0, 3.5, 3.1, 2.8]})
    with pytest.raises(SpecError, match="no default prior for E, A, alpha"):
        bs.configure(df, "custom", law_options={"expression": "E + A * N**(-alpha)"})


def test_python_function_law_fits_but_cannot_be_saved(tmp_path):
    def law(xp, N, E, A, alpha):
        return E + A * xp.exp(-alpha * xp.log(N))

    custom = CustomLaw(function=law, inputs=["N"], params=["E", "A", "alpha"])
    n = np.geomspace(1e6, 1e9, 10)
    noise = np.exp(np.random.default_rng(0).normal(0, 0.01, len(n)))
    df = pd.DataFrame({"N": n, "loss": (10 + 100 * n**-0.07) * noise})
    priors = {"E": {"dist": "LogNormal", "mu": 2.0, "sigma": 1.0},
              "A": {"dist": "LogNormal", "mu": 4.0, "sigma": 1.0},
              "alpha": {"dist": "LogNormal", "mu": -2.5, "sigma": 0.7}}
    fit = bs.fit(df, custom, priors=priors, method="map", random_seed=0)
    assert fit.meta["map"]["alpha"] == pytest.approx(0.07, rel=0.5)
    with pytest.raises(bs.FileFormatError, match="defined by a Python function cannot be saved"):
        fit.save(tmp_path / "f.nc")
    assert not (tmp_path / "f.nc").exists()


def test_cli_custom_and_accuracy_laws(tmp_path, capsys):
    from bayescale.cli import main
    from bayescale.data.simulate import chinchilla_design, simulate_runs
    from bayescale.testing import EPOCH_CHINCHILLA

    runs = tmp_path / "runs.csv"
    simulate_runs("chinchilla", EPOCH_CHINCHILLA, chinchilla_design()).to_csv(runs, index=False)
    priors = tmp_path / "p.toml"
    priors.write_text('E = { dist = "LogNormal", mu = 0.5, sigma = 0.5 }\n'
                      'A = { dist = "LogNormal", mu = 6, sigma = 1.5 }\n'
                      'B = { dist = "LogNormal", mu = 7, sigma = 1.5 }\n'
                      'alpha = { dist = "LogNormal", mu = -1.2, sigma = 0.6 }\n'
                      'beta = { dist = "LogNormal", mu = -1.2, sigma = 0.6 }\n')
    out = tmp_path / "c.nc"
    assert main(["fit", str(runs), "--law", "custom", "--expression", CHINCHILLA, "--priors",
                 str(priors), "--method", "map", "-o", str(out)]) == 0
    assert "L = E + A * N**(-alpha) + B * D**(-beta)" in capsys.readouterr().out
    assert bs.load(out).law.expression == CHINCHILLA
    code = main(["fit", str(runs), "--law", "custom", "--expression", "E + os.system(1)",
                 "-o", str(tmp_path / "bad.nc")])
    err = capsys.readouterr().err
    assert code == 1 and "calling 'os.system' is not allowed" in err and err.count("\n") == 1
    acc = tmp_path / "acc.csv"
    c = np.geomspace(1e19, 1e25, 20)
    pd.DataFrame({"C": c, "accuracy": 0.25 + 0.6 / (1 + np.exp(-1.5 * (np.log10(c) - 22.5)))
                  }).to_csv(acc, index=False)
    out = tmp_path / "s.nc"
    assert main(["fit", str(acc), "--law", "sigmoid", "--chance", "0.25", "--method", "map",
                 "-o", str(out)]) == 0
    assert "beta" in bs.load(out).likelihood.name
    assert main(["predict", str(out), "--at", "C=1e26"]) == 0
    assert main(["plot", str(out), "--to", "C=1e26", "-o", str(tmp_path / "s.png")]) == 0
