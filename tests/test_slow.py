"""Real MCMC: recovery, paper reproduction, reproducibility, the CLI end to end."""

import json

import numpy as np
import pandas as pd
import pytest

import bayescale as bs
from bayescale.cli import main
from bayescale.data.simulate import chinchilla_design, simulate_runs
from bayescale.testing import EPOCH_CHINCHILLA, FOUNDING_EXAMPLE

from .conftest import ROOT

pytestmark = pytest.mark.slow


def test_recovery_chinchilla_synthetic():
    truth = {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28}  # Hoffmann Eq. 10
    design = chinchilla_design(n_sizes=8, ratios=(4, 8, 16, 32, 64), n_min=2e7, n_max=2e9)
    df = simulate_runs("chinchilla", truth, design, sigma=0.01, seed=11)
    # 4000 draws (about +1 s): fit.warnings == [] checks the fit's own R-hat <= 1.01 and
    # ESS >= 400, a knife edge at 1000 draws on another CPU (worst R-hat over 5 seeds 1.0044);
    # with 4000 draws the worst over 8 seeds is R-hat 1.0012, ESS 10000. The truths sit at
    # tail probability >= 0.25 (the 95% check cuts at 0.025).
    fit = bs.fit(df, law="chinchilla", random_seed=3, draws=4000)
    table = fit.summary(prob=0.95)
    for name, value in truth.items():
        row = table.loc[name]
        assert row["lower"] < value < row["upper"], (name, value, row.to_dict())
    assert (table["r_hat"] <= 1.01).all(), table["r_hat"]
    assert fit.diagnostics["divergences"] == 0
    assert fit.warnings == []


def test_epoch_chinchilla_reproduction(shared_data):
    """Besiroglu et al. 2024, Table 1 (laplace = Huber δ=1e-3 analogue), modeling.md §2.3."""
    df = pd.read_csv(shared_data / "epoch_chinchilla.csv")
    # 4000 draws (about +2 s), as in test_recovery_chinchilla_synthetic: R-hat <= 1.01 and
    # fit.warnings == [] need the margin (worst over 8 seeds: R-hat 1.0011, ESS 9600; 1000
    # draws: 1.0028). The medians sit 0.004 (E), 0.003 (alpha), 0.001 (beta) and 0.002 (a)
    # from the published values, and vary by < 0.001 between seeds.
    fit = bs.fit(df, law="chinchilla", likelihood="laplace", query="epoch_outlier == False",
                 random_seed=1, draws=4000)
    assert fit.runs.n == 240
    table = fit.summary(prob=0.95)
    assert table.loc["E", "median"] == pytest.approx(1.817, abs=0.01)
    assert table.loc["alpha", "median"] == pytest.approx(0.348, abs=0.01)
    assert table.loc["beta", "median"] == pytest.approx(0.366, abs=0.015)
    bootstrap = {"E": (1.769, 1.871), "alpha": (0.317, 0.373), "beta": (0.331, 0.415),
                 "A": (285.2, 743.6), "B": (1042.4, 5810.3)}
    for name, (lo, hi) in bootstrap.items():
        assert table.loc[name, "lower"] < hi and lo < table.loc[name, "upper"], name
    assert (table["r_hat"] <= 1.01).all()
    assert fit.warnings == []
    # compute-optimal allocation (issue 5): a = beta/(alpha+beta) against Epoch's bootstrap,
    # a = 0.513 (SE 0.020), i.e. about (0.474, 0.552); tokens per parameter in the high teens
    alloc = fit.optimal([5.76e23]).set_index("quantity")
    a = alloc.loc["a"]
    assert a["median"] == pytest.approx(0.513, abs=0.02)
    assert a["lower"] < 0.552 and 0.474 < a["upper"]
    assert 15 <= alloc.loc["tokens_per_param", "median"] <= 20


# short runs on purpose: their R-hat/ESS warnings are expected and not what these tests check
@pytest.mark.filterwarnings("ignore::bayescale.errors.InferenceWarning")
def test_same_seed_same_draws_and_power_law_end_to_end(tmp_path):
    design = pd.DataFrame({"N": np.geomspace(1e6, 1e9, 10)})
    df = simulate_runs("power", FOUNDING_EXAMPLE, design, sigma=0.01, seed=7)
    kwargs = {"law": "power", "draws": 300, "tune": 300, "chains": 2, "random_seed": 5}
    a, b = bs.fit(df, **kwargs), bs.fit(df, **kwargs)
    for name in ("E", "A", "alpha", "sigma"):
        np.testing.assert_array_equal(a.dt["posterior"][name].values,
                                      b.dt["posterior"][name].values)
    c = bs.fit(df, **{**kwargs, "random_seed": 6})
    assert not np.array_equal(a.dt["posterior"]["E"].values, c.dt["posterior"]["E"].values)
    loaded = bs.load(a.save(tmp_path / "power.nc"))
    assert loaded.predict({"N": [1e10]}).equals(a.predict({"N": [1e10]}))
    assert loaded.meta["sampler"]["random_seed"] == 5


@pytest.mark.filterwarnings("ignore::bayescale.errors.InferenceWarning")
def test_pymc_sampler_back_end():
    df = simulate_runs("chinchilla", EPOCH_CHINCHILLA, chinchilla_design(), seed=3)
    fit = bs.fit(df, law="chinchilla", sampler="pymc", draws=200, tune=300, chains=2,
                 random_seed=2)
    table = fit.summary()
    assert set(table.index) == {"E", "A", "B", "alpha", "beta", "sigma"}
    assert table.loc["beta", "lower"] < EPOCH_CHINCHILLA["beta"] < table.loc["beta", "upper"]
    assert fit.meta["sampler"]["sampler"] == "pymc"


@pytest.mark.filterwarnings("ignore::bayescale.errors.InferenceWarning")
def test_numpyro_sampler_back_end(capsys):
    df = simulate_runs("chinchilla", EPOCH_CHINCHILLA, chinchilla_design(), seed=3)
    kwargs = {"law": "chinchilla", "sampler": "numpyro", "draws": 300, "tune": 300,
              "chains": 2, "random_seed": 4}
    a, b = bs.fit(df, **kwargs), bs.fit(df, **kwargs)
    np.testing.assert_array_equal(a.dt["posterior"]["E"].values, b.dt["posterior"]["E"].values)
    table = a.summary()
    assert table.loc["beta", "lower"] < EPOCH_CHINCHILLA["beta"] < table.loc["beta", "upper"]
    assert a.meta["compile_seconds"] is None
    assert "Initializing" not in capsys.readouterr().err


def test_readme_cli_tour(tmp_path, capsys):
    runs = ROOT / "data" / "chinchilla_runs.csv"
    fit_nc, pred, png = tmp_path / "fit.nc", tmp_path / "pred.csv", tmp_path / "ext.png"
    assert main(["fit", str(runs), "--law", "chinchilla", "--seed", "1", "-o", str(fit_nc)]) == 0
    out = capsys.readouterr().out
    assert "95% equal-tailed credible intervals" in out
    assert main(["summary", str(fit_nc), "--prob", "0.95", "--format", "json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    for name, value in EPOCH_CHINCHILLA.items():  # the bundled data's true parameters
        p = summary["parameters"][name]
        assert p["lower"] < value < p["upper"], name
    assert main(["predict", str(fit_nc), "--at", "N=7e10,D=1.4e12", "--at", "N=4e11,D=8e12",
                 "-o", str(pred)]) == 0
    table = pd.read_csv(pred)
    truth = bs.get_law("chinchilla").loss({"N": table["N"], "D": table["D"]}, EPOCH_CHINCHILLA)
    assert ((table["lower"] < truth) & (truth < table["upper"])).all()
    assert main(["plot", str(fit_nc), "--to", "N=7e10,D=1.4e12", "-o", str(png)]) == 0
    assert png.stat().st_size > 10_000


def test_full_surface_fit_of_isoflop_grids_beats_the_parabola():
    """Noise-free isoFLOP grids (±8x, 1e17..1e21) on the asymmetric surface (modeling.md §3.1),
    losses logged to 4 decimals: the posterior median of D*(1e24) is within 0.5% of the truth;
    the parabola baseline is off by the published -13.9%."""
    from bayescale.decisions.design import isoflop_design
    from bayescale.decisions.tables import allocation_draws
    from bayescale.evaluation.baselines import isoflop_parabola
    from bayescale.laws import get_law

    surface = {"E": 1.69, "A": 400.0, "B": 400.0, "alpha": 0.465, "beta": 0.155}
    truth = allocation_draws(get_law("chinchilla"), {k: np.array([v]) for k, v in
                                                     surface.items()}, [1e24])
    runs = simulate_runs("chinchilla", surface, isoflop_design(surface, width=8), sigma=0.0,
                         digits=4)
    fit = bs.fit(runs, law="chinchilla", random_seed=1)
    d_star = fit.optimal([1e24]).set_index("quantity").loc["D_opt"]
    assert d_star["median"] == pytest.approx(truth["D_opt"][0, 0], rel=0.005)
    assert d_star["lower"] < truth["D_opt"][0, 0] < d_star["upper"]
    parabola = isoflop_parabola(runs["N"], runs["loss"], runs["C"]).predict(1e24)
    assert parabola["D_opt"].iloc[0] / truth["D_opt"][0, 0] - 1 < -0.05


def test_llama3_isoflops_token_exponent(shared_data):
    """Llama 3's isoFLOP points (digitised): the paper's parabola fit gives D* ~ C^0.53. The
    full-surface posterior's b (report: median and 95% interval in the closing note) is
    close; our parabola baseline on the same points reproduces 0.53."""
    from bayescale.evaluation.baselines import isoflop_parabola

    df = pd.read_csv(shared_data / "llama3_isoflops.csv")[["N", "D", "C", "loss"]]
    fit = bs.fit(df, law="chinchilla", random_seed=1)
    b = fit.optimal([3.8e25]).set_index("quantity").loc["b"]
    assert b["median"] == pytest.approx(0.53, abs=0.06)
    assert b["upper"] - b["lower"] < 0.15
    parabola = isoflop_parabola(df["N"], df["loss"], df["C"])
    assert parabola.b == pytest.approx(0.53, abs=0.015)


def test_loo_and_lfo_pick_the_true_family(tmp_path, capsys):
    """Data from a power law with an offset (E + A/N^alpha): PSIS-LOO prefers 'power' over
    Kaplan's offset-free 'kaplan_n', and so does leave-future-out on the largest runs; the
    model-averaged prediction follows the stacking weights (through the CLI)."""
    design = pd.DataFrame({"N": np.geomspace(1e6, 3e9, 14)})
    runs = simulate_runs("power", {"E": 2.0, "A": 40.0, "alpha": 0.25}, design, sigma=0.005,
                         seed=4)
    path = tmp_path / "runs.csv"
    runs.to_csv(path, index=False)
    assert main(["compare", str(path), "--laws", "power,kaplan_n", "--x", "N", "--holdout",
                 "largest:3", "--at", "N=3e10", "--seed", "2", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    loo, lfo = data["loo"], data["lfo"]
    assert loo["power"]["weight"] > 0.9
    assert loo["kaplan_n"]["elpd_diff"] > 2 * loo["kaplan_n"]["dse"]
    assert lfo["power"]["elpd_lfo"] > lfo["kaplan_n"]["elpd_lfo"]
    assert lfo["power"]["weight"] > 0.5
    assert data["model_average"]["weights"]["power"] == pytest.approx(lfo["power"]["weight"])
    point = data["model_average"]["points"][0]
    assert point["lower"] < point["median"] < point["upper"]
