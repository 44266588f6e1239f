"""bayescale.results.summary: a fit's summary as plain data (what ``bayescale summary``
prints and ``--format json`` writes)."""

import json

import pytest

from bayescale.results.summary import fit_summary, summary_csv_table, summary_json
from bayescale.testing import fake_fit


def test_fit_summary_parts():
    fit = fake_fit("chinchilla")
    s = fit_summary(fit, prob=0.9)
    assert s.title.startswith("chinchilla: L = E + A / N^alpha + B / D^beta    likelihood "
                              "studentt, ")
    assert s.interval == "90% equal-tailed credible intervals"
    assert list(s.table.columns) == ["median", "mean", "sd", "lower 90%", "upper 90%", "r_hat",
                                     "ess_bulk", "ess_tail"]
    assert list(s.table.index) == list(fit.spec.free_params)
    assert s.notes[0] == "fixed: nu = 4"
    assert s.notes[1].startswith("learned from the data (shrinkage")
    assert "priors:" in s.notes and any(n.startswith("  A_ref   ~ LogNormal") for n in s.notes)
    assert s.lines("TABLE")[:3] == [s.title, s.interval, "TABLE"]


def test_fit_summary_names_approximate_posteriors_and_the_discrepancy():
    fit = fake_fit("chinchilla").with_discrepancy(0.02)
    fit.meta["method"] = "laplace"
    s = fit_summary(fit)
    assert "APPROXIMATE posterior" in s.interval
    assert any(n.startswith("model discrepancy: delta = 0.02 per e-fold of") for n in s.notes)


def test_summary_json_is_json():
    fit = fake_fit("power")
    data = json.loads(json.dumps(summary_json(fit, prob=0.8)))
    assert data["prob"] == 0.8 and data["interval"] == "equal-tailed"
    assert set(data["parameters"]) == set(fit.spec.free_params)
    assert data["parameters"]["alpha"]["lower"] < data["parameters"]["alpha"]["upper"]
    assert data["discrepancy"] is None and isinstance(data["shrinkage"], dict)
    table = summary_csv_table(fit, prob=0.8)
    assert list(table.columns[:2]) == ["prob", "method"] and (table["prob"] == 0.8).all()


def test_summary_rejects_a_bad_probability():
    with pytest.raises(Exception, match="prob"):
        fit_summary(fake_fit("power"), prob=1.5)
