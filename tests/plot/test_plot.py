import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import bayescale as bs


def test_extrapolation_structure(chinchilla_fit):
    with pytest.warns(bs.ExtrapolationWarning, match="C 1,225x"):
        ax = bs.plot.extrapolation(chinchilla_fit, to=["N=7e10,D=1.4e12"])
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert "compute" in ax.get_xlabel() and ax.get_ylabel() == "loss"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "95% credible band of the mean (D/N = 20)" in labels
    assert "50% credible band of the mean (D/N = 20)" in labels
    assert "target, 95% interval" in labels
    assert any(label.startswith("observed runs (30)") for label in labels)
    assert "95%" in ax.get_title()
    # the target marker sits at its compute and the curve reaches past it
    xmax = max(np.max(np.asarray(line.get_xdata(), dtype=float)) for line in ax.get_lines())
    assert xmax >= 6 * 7e10 * 1.4e12


def test_uses_given_axes_and_returns_them(power_fit):
    _fig, ax = plt.subplots()
    out = bs.plot.extrapolation(power_fit, ax=ax, probs=(0.8,))
    assert out is ax
    assert ax.get_xlabel() == "parameters N"
    assert any("80% credible band" in t.get_text() for t in ax.get_legend().get_texts())


def test_plot_signature_is_keyword_only():
    import inspect

    sig = inspect.signature(bs.plot.extrapolation)
    params = list(sig.parameters.values())
    assert params[0].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params[1:])
    assert "ax" in sig.parameters and sig.parameters["ax"].default is None


@pytest.mark.parametrize("to", [None, ["N=1e9,D=2e10", "N=1e10,D=1e12"]])
def test_paths_follow_target_ratios(chinchilla_fit, to):
    table = chinchilla_fit.bands(to=to)
    expected = {"D/N = 20", "D/N = 100"} if to else {"D/N = 20"}
    assert set(table["path"]) == expected


def test_power_law_in_compute_through_plot_and_cli(tmp_path):
    from bayescale.cli import main
    from bayescale.testing import fake_fit

    runs = pd.DataFrame({"C": np.geomspace(1e17, 1e21, 8)})
    runs["loss"] = 1.8 + 60 * runs["C"] ** -0.1
    fit = fake_fit("power", x="C", truth={"E": 1.8, "A": 60.0, "alpha": 0.1}, runs=runs)
    with pytest.warns(bs.ExtrapolationWarning):
        ax = bs.plot.extrapolation(fit, to=["C=1e24"])
    assert ax.get_xlabel() == "training compute C (FLOPs)"
    path = fit.save(tmp_path / "power_c.nc")
    assert main(["plot", str(path), "--to", "C=1e24", "-o", str(tmp_path / "p.png")]) == 0


def test_every_family_plots(tmp_path):
    """Each law family draws its extrapolation from a fabricated fit (no MCMC)."""
    import matplotlib.pyplot as plt

    from tests.laws.test_families import FAMILIES, priors_for, synthetic

    for name in FAMILIES:
        law, df = synthetic(name)
        options = FAMILIES[name][0]
        fit = bs.testing.fake_fit(name, truth=FAMILIES[name][1], runs=df, law_options=options,
                                  priors=priors_for(name))
        ax = bs.plot.extrapolation(fit)
        assert ax.get_xscale() == "log", name
        assert ax.get_ylabel() == law.response, name
        plt.close(ax.figure)


def test_frontier_structure(chinchilla_fit):
    with pytest.warns(bs.ExtrapolationWarning):
        axes = bs.plot.frontier(chinchilla_fit, compute=[5.76e23])
    left, plane = axes
    assert left.get_xscale() == "log" and left.get_yscale() == "log"
    assert "C = 6·N·D" in left.get_xlabel()
    labels = [t.get_text() for t in left.get_legend().get_texts()]
    assert "parameters N*: 95% interval" in labels and "tokens D*: 50% interval" in labels
    # the curves run from the smallest observed compute past the requested budget
    xmax = max(np.max(np.asarray(line.get_xdata(), dtype=float)) for line in left.get_lines())
    assert xmax >= 5.76e23
    plane_labels = [t.get_text() for t in plane.get_legend().get_texts()]
    assert "frontier (median N*, D*)" in plane_labels
    assert any(label.startswith("requested budgets") for label in plane_labels)
    assert plane.get_xlabel() == "parameters N" and len(plane.collections) > 0


def test_frontier_refuses_laws_without_n_and_d(power_fit):
    with pytest.raises(bs.SpecError, match="no N and D"):
        bs.plot.frontier(power_fit)
