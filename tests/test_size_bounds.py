"""Hostile sizes and numbers found by fuzzing: each is refused up front with one line (a
``BayescaleError``; status 1 and nothing written from the CLI), never an internal error, an
out-of-memory abort or a message that prints a 300-digit number. No MCMC: every refusal
happens before sampling."""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from bayescale.cli import main
from bayescale.data.points import check_prob, parse_point
from bayescale.data.simulate import (
    MAX_ROWS,
    default_design,
    log_grid,
    simulate_runs,
    simulation_params,
)
from bayescale.errors import BayescaleError, SpecError, shown
from bayescale.inference import samplers
from bayescale.inference.samplers import (
    MAX_CHAINS,
    MAX_DRAWS,
    MAX_SEED,
    MEMORY_LIMIT,
    SamplerSettings,
    check_memory,
    memory_estimate,
)
from bayescale.laws import get_law, law_from_dict
from bayescale.laws.custom import MAX_NUMBER_LENGTH
from bayescale.priors import Prior, read_priors_toml

ROOT = Path(__file__).resolve().parents[1]
FOUNDING = str(ROOT / "data" / "founding_example.csv")
POWER = [FOUNDING, "--law", "power", "--columns", "loss=error"]
BIG = 99999999999999999999999
HUGE = 10**400  # beyond a float


def one_line(exc: BaseException, longest: int = 300) -> str:
    text = str(exc)
    assert "\n" not in text and len(text) <= longest, text
    assert not any(len(w) > 40 and w.strip("'\".,;:()").isdigit() for w in text.split()), text
    return text


def cli_fails(capsys: pytest.CaptureFixture[str], argv: list[str], *, expect: str,
              written: Path) -> str:
    """``bayescale argv`` returns 1 with one stderr line matching ``expect`` and writes
    nothing at ``written``."""
    assert main(argv) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1, err
    assert err.startswith(f"bayescale {argv[0]}: error: ") and expect in err, err
    assert "internal error" not in err and len(err) < 400, err
    assert not written.exists() and not list(written.parent.iterdir())
    return err


# -- 1. seeds -------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [MAX_SEED + 1, BIG, HUGE, -1, 1.5, "1", True,
                                  np.uint64(2**63)])
def test_a_seed_outside_32_bits_is_refused(seed):
    with pytest.raises(SpecError, match=r"seed must be an integer from 0 to 4294967295") as info:
        SamplerSettings(random_seed=seed).validated()
    assert "random_seed=" in one_line(info.value)


@pytest.mark.parametrize("seed", [0, 1, MAX_SEED, np.uint32(MAX_SEED), np.int64(7)])
def test_every_32_bit_seed_is_accepted(seed):
    assert SamplerSettings(random_seed=seed).validated().random_seed == int(seed)
    assert isinstance(SamplerSettings().validated().random_seed, int)


def test_seed_messages_show_no_long_numbers():
    with pytest.raises(SpecError) as info:
        SamplerSettings(random_seed=BIG).validated()
    assert "random_seed=1e+23" in one_line(info.value)
    with pytest.raises(SpecError) as info:
        SamplerSettings(random_seed=HUGE).validated()
    assert "an integer of about 401 digits" in one_line(info.value)


# -- 2. draws, tune, chains and memory ------------------------------------------------------
@pytest.mark.parametrize("field, value, match", [
    ("draws", 1_000_000_000, "draws must be a positive integer no larger than 10000000"),
    ("draws", 10**300, "got draws=1e\\+300"),
    ("draws", 0, "draws must be a positive integer"),
    ("draws", -5, "got draws=-5"),
    ("draws", 2.0, "got draws=2"),
    ("draws", True, "got draws=True"),
    ("chains", MAX_CHAINS + 1, "chains must be a positive integer no larger than 64"),
    ("chains", 10**20, "got chains=1e\\+20"),
    ("tune", 100_000_000, "tune must be a non-negative integer no larger than 10000000"),
    ("tune", -1, "got tune=-1"),
    ("target_accept", math.nan, "target_accept must be in \\(0, 1\\)"),
    ("target_accept", "0.9", "got target_accept='0.9'"),
    ("target_accept", float(10**300), "got target_accept=1e\\+300"),
])
def test_counts_out_of_range_are_refused(field, value, match):
    with pytest.raises(SpecError, match=match) as info:
        SamplerSettings(**{field: value}).validated()
    one_line(info.value)


def test_the_caps_themselves_are_accepted_when_memory_allows():
    s = SamplerSettings(draws=MAX_DRAWS, chains=1, tune=0, random_seed=0).validated()
    assert s.draws == MAX_DRAWS
    assert SamplerSettings(chains=MAX_CHAINS, random_seed=0).validated().chains == MAX_CHAINS


def test_draws_beyond_the_memory_limit_are_refused_with_the_estimate():
    with pytest.raises(SpecError, match=r"would need about 4\.77 GiB of memory for the draws"
                                        r".*the limit is 4 GiB: lower draws= or chains=") as info:
        SamplerSettings(draws=MAX_DRAWS, chains=64, random_seed=0).validated()
    assert "draws=10000000 with chains=64, tune=1000" in one_line(info.value)
    # MAP keeps no warm-up draws: the estimate leaves out tune
    with pytest.raises(SpecError, match="chains=64 would need"):
        SamplerSettings(draws=MAX_DRAWS, chains=64, method="map", random_seed=0).validated()


def test_memory_estimate_counts_parameters_run_effects_stats_and_runs():
    s = SamplerSettings(draws=1000, tune=500, chains=4, random_seed=0)
    assert memory_estimate(s, 5) == 8 * 4 * 1500 * 5
    assert memory_estimate(s, 5, per_run=100) == 8 * 4 * (1500 * 5 + 1000 * 100)
    assert memory_estimate(SamplerSettings(draws=1000, chains=4, method="map"), 5) \
        == 8 * 4 * 1000 * 5
    spec = SimpleNamespace(free_params=["E", "A", "alpha", "sigma"], n_groups=3)
    assert samplers.stored_values(spec, SimpleNamespace(n=240)) == (7, 240)
    check_memory(SamplerSettings(random_seed=0).validated(), spec, SimpleNamespace(n=240))


def test_check_memory_refuses_a_model_too_large_for_its_draws():
    spec = SimpleNamespace(free_params=["E", "A", "alpha", "sigma"], n_groups=0)
    settings = SamplerSettings(draws=1_000_000, chains=4, random_seed=0).validated()
    check_memory(settings, spec)  # parameters alone: fine
    with pytest.raises(SpecError, match=r"a location for each of 200000 runs\); the limit is "
                                        r"4 GiB") as info:
        check_memory(settings, spec, SimpleNamespace(n=200_000))
    assert memory_estimate(settings, 12, 200_000) > MEMORY_LIMIT
    one_line(info.value)


def test_sample_checks_memory_before_compiling(monkeypatch):
    def compiled(*_):
        raise AssertionError("compiled before the memory check")

    monkeypatch.setattr(samplers, "compiled_model", compiled)
    spec = SimpleNamespace(free_params=["a"] * 50, n_groups=0)
    with pytest.raises(SpecError, match="would need about"):
        samplers.sample(spec, SimpleNamespace(n=20_000),
                        SamplerSettings(draws=1_000_000, chains=4, random_seed=0))


def test_no_starting_point_is_a_user_error_not_an_internal_one(monkeypatch):
    import sys

    def fail(*_, **__):
        raise RuntimeError("All initialization points failed\n\nCaused by: ErrorCode(3)")

    compiled = SimpleNamespace(n_dim=0, shape_info=([], [], []))
    monkeypatch.setitem(sys.modules, "nutpie", SimpleNamespace(sample=fail))
    monkeypatch.setattr(samplers, "compiled_model", lambda *_: (compiled, 0.0, "reused"))
    spec = SimpleNamespace(free_params=["a"], n_groups=0,
                           sampling=SimpleNamespace(initial_point=dict))
    with pytest.raises(SpecError, match=r"no starting point .* check the priors") as info:
        samplers.sample(spec, SimpleNamespace(n=10), SamplerSettings(random_seed=0))
    one_line(info.value)


# -- 3. simulate: grid sizes and parameters -------------------------------------------------
@pytest.mark.parametrize("lo, hi, k, match", [
    (1e6, 1e9, 1_000_000_000, "would make 1000000000 values; the limit is 1000000"),
    (1e6, 1e9, 10**31, "1e\\+06:1e\\+09:1e\\+31 would make 1e\\+31 values"),
    (1e6, math.inf, 5, "needs finite 0 < LO <= HI"),
    (math.nan, 1e9, 5, "needs finite 0 < LO <= HI"),
    (1e6, 1e9, 0, "a whole K >= 1"),
    (1e6, 1e9, 2.5, "a whole K >= 1"),
    (1e9, 1e6, 3, "0 < LO <= HI"),
])
def test_log_grid_bounds_its_count(lo, hi, k, match):
    with pytest.raises(SpecError, match=match) as info:
        log_grid(lo, hi, k)
    one_line(info.value)


def test_log_grid_names_its_option_and_accepts_the_limit():
    with pytest.raises(SpecError, match=r"^N 1e\+06:1e\+09:2000000 would make"):
        log_grid(1e6, 1e9, 2_000_000, name="N")
    assert len(log_grid(1e6, 1e9, 10)) == 10


def test_default_design_bounds_the_product_of_its_axes():
    chinchilla = get_law("chinchilla")
    axis = np.geomspace(1e6, 1e9, 2000)
    with pytest.raises(SpecError, match=r"the grid N x D \(2000 x 2000\) would make 4000000 "
                                        r"runs; the limit is 1000000"):
        default_design(chinchilla, N=axis, D=axis)
    with pytest.raises(SpecError, match=r"N at each ratio \(2000 x 600\) would make 1200000"):
        default_design(chinchilla, N=axis, ratios=tuple(range(1, 601)))
    with pytest.raises(SpecError, match="would make 1000001 runs"):
        default_design(get_law("power", x="N"), N=np.ones(MAX_ROWS + 1))
    assert len(default_design(chinchilla, N=axis[:10], D=axis[:10])) == 100


@pytest.mark.parametrize("value, shown", [(math.inf, "E=inf"), (-math.inf, "E=-inf"),
                                          (math.nan, "E=nan"), (HUGE, "about 401 digits"),
                                          ("x", "E='x'")])
def test_simulation_parameters_must_be_finite(value, shown):
    with pytest.raises(SpecError, match="params=: E must be a finite number") as info:
        simulation_params(get_law("power", x="N"), {"E": value})
    assert shown in one_line(info.value)


@pytest.mark.parametrize("kwargs, match", [
    ({"seed": MAX_SEED + 1}, "seed must be an integer from 0 to 4294967295"),
    ({"seed": -1}, "seed must be an integer"),
    ({"sigma": math.inf}, "sigma must be a finite number >= 0; got sigma=inf"),
    ({"sigma": -1.0}, "sigma must be a finite number >= 0"),
    ({"sigma": 1e300}, "not finite at N=1e\\+06 .*sigma=1e\\+300 is too large"),
    ({"params": {"E": 10.0, "A": 100.0, "alpha": -1e300}}, "not finite at N=1e\\+06 \\(10 of "
                                                          "10 runs\\): check params="),
    ({"params": {"E": 10.0, "A": 100.0}}, "needs params= for alpha"),
])
def test_simulate_runs_refuses_what_would_write_inf(kwargs, match):
    law = get_law("power", x="N")
    params = kwargs.pop("params", {"E": 10.0, "A": 100.0, "alpha": 0.07})
    with pytest.raises(SpecError, match=match) as info:
        simulate_runs(law, params, default_design(law), **kwargs)
    one_line(info.value)


# -- 4. constant arithmetic in a custom law -------------------------------------------------
LAW = " + E + A*N**(-alpha)"


@pytest.mark.parametrize("piece, match", [
    ("0*9**9**9", r"'9\*\*9\*\*9' is too large for a float"),
    ("0/0", r"'0/0' divides by zero"),
    ("1/(2-2)", r"'1/\(2-2\)' divides by zero"),
    ("0**-1", "divides by zero"),
    ("9" * 401, r"the number 999999999999\.\.\. is 401 characters long; the limit is 30"),
    ("0x" + "f" * 40, "is 42 characters long"),
    ("1e400", "the number 1e400 is not finite"),
    ("1e308*10", r"'1e308\*10' has no finite real value"),
    ("(-8)**0.5", r"'\(-8\)\*\*0.5' has no finite real value"),
    ("log(0)", r"'log\(0\)' has no finite real value"),
    ("sqrt(-1)", "has no finite real value"),
    ("exp(1000)", "has no finite real value"),
    ("N*9.0**9**9", "is too large for a float"),
])
def test_constant_pieces_without_a_finite_value_are_refused(piece, match):
    with pytest.raises(SpecError, match=match) as info:
        get_law("custom", expression=piece + LAW)
    assert one_line(info.value).startswith("custom law: ")
    with pytest.raises(SpecError, match=match):  # and when a saved fit is read back
        law_from_dict({"name": "custom", "expression": piece + LAW, "response": "loss"})


@pytest.mark.parametrize("piece", ["2**0.5", "9**9", "1e-400", "1_000", "0.5*log(10)",
                                   "1" * MAX_NUMBER_LENGTH])
def test_harmless_constants_still_work(piece):
    law = get_law("custom", expression=piece + LAW)
    value = law.loss({"N": [1e9]}, {"E": 1.0, "A": 1.0, "alpha": 0.1})
    assert np.all(np.isfinite(value))


# -- 5. priors and messages -----------------------------------------------------------------
@pytest.mark.parametrize("dist, params, match", [
    ("LogNormal", {"mu": 0.0, "sigma": math.inf}, "'sigma' must be finite, got inf"),
    ("Normal", {"mu": -math.inf, "sigma": 1.0}, "'mu' must be finite, got -inf"),
    ("Normal", {"mu": HUGE, "sigma": 1.0}, "'mu' must be finite, got an integer of about 401"),
    ("StudentT", {"nu": math.inf}, "'nu' must be finite"),
    ("Uniform", {"lower": -math.inf, "upper": 1.0}, "'lower' must be finite"),
    ("Beta", {"alpha": 2.0, "beta": 2.0, "upper": math.inf}, "'upper' must be finite"),
    ("Gamma", {"alpha": 2.0, "beta": math.inf}, "'beta' must be finite"),
    ("Fixed", {"value": HUGE}, "'value' must be finite"),
    ("Normal", {"mu": "x" * 300, "sigma": 1.0}, r"must be a number, got 'xxxx.*\.\.\."),
])
def test_prior_parameters_must_be_finite(dist, params, match):
    with pytest.raises(SpecError, match=match) as info:
        Prior(dist, **params)
    one_line(info.value)


def test_truncated_normal_keeps_infinite_bounds():
    assert Prior("TruncatedNormal", mu=0.0, sigma=1.0, lower=0.0).support == (0.0, math.inf)


def test_a_priors_file_with_sigma_inf_names_the_parameter(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text('alpha = { dist = "LogNormal", mu = -1.2, sigma = inf }\n'
                    f"E = {'9' * 400}\n")
    with pytest.raises(SpecError, match=r"p.toml: prior for 'alpha': LogNormal parameter "
                                        r"'sigma' must be finite, got inf") as info:
        read_priors_toml(path)
    one_line(info.value)


@pytest.mark.parametrize("value, expected", [
    (10**300, "1e+300"), (-(10**20), "-1e+20"), (HUGE, "an integer of about 401 digits"),
    (123, "123"), (1.23456789, "1.235"), ("z" * 100, "'" + "z" * 36 + "..."), (True, "True"),
])
def test_shown_value_keeps_numbers_short(value, expected):
    assert shown(value) == expected


def test_points_and_probabilities_show_no_long_numbers():
    with pytest.raises(SpecError, match="N must be a positive finite number, got inf") as info:
        parse_point("N=" + "9" * 400)
    one_line(info.value)
    for prob in (10**300, HUGE, -(10**300)):
        with pytest.raises(SpecError, match="prob must be") as info:
            check_prob(prob)
        one_line(info.value)


# -- the command line: status 1, one line, nothing written ----------------------------------
@pytest.mark.parametrize("extra, expect", [
    (["--seed", str(BIG)], "got --seed 1e+23"),
    (["--seed", str(2**32)], "seed must be an integer from 0 to 4294967295"),
    (["--draws", "1000000000", "--method", "map"], "got --draws 1000000000"),
    (["--chains", "65"], "got --chains 65"),
    (["--tune", "100000000"], "got --tune 100000000"),
    (["--draws", "10000000", "--chains", "64"], "the limit is 4 GiB: lower --draws or --chains"),
    (["--law", "custom", "--expression", "0*9**9**9 + E + A*N**(-alpha)"],
     "is too large for a float"),
    (["--law", "custom", "--expression", "1e400 + E + A*N**(-alpha)"], "is not finite"),
    (["--law", "custom", "--expression", "0/0 + E + A*N**(-alpha)"], "divides by zero"),
])
def test_fit_refuses_hostile_options_before_sampling(capsys, tmp_path, extra, expect):
    argv = ["fit", *POWER, *extra, "-o", str(tmp_path / "out" / "fit.nc")]
    (tmp_path / "out").mkdir()
    cli_fails(capsys, argv, expect=expect, written=tmp_path / "out" / "fit.nc")


def test_fit_with_a_priors_file_of_sigma_inf(capsys, tmp_path):
    priors = tmp_path / "p.toml"
    priors.write_text('alpha = { dist = "LogNormal", mu = -1.2, sigma = inf }\n')
    (tmp_path / "out").mkdir()
    cli_fails(capsys, ["fit", *POWER, "--priors", str(priors), "-o",
                       str(tmp_path / "out" / "fit.nc")],
              expect="'sigma' must be finite, got inf", written=tmp_path / "out" / "fit.nc")


@pytest.mark.parametrize("extra, expect", [
    (["--N", "1e6:1e9:1000000000"], "would make 1000000000 values; the limit is 1000000"),
    (["--N", "1e6:1e9:" + "1" * 40], "would make 1.111e+39 values"),
    (["--law", "chinchilla", "--N", "1e6:1e9:2000", "--D", "1e8:1e11:2000"],
     "the grid N x D (2000 x 2000) would make 4000000 runs"),
    (["--params", "E=inf"], "--params: E must be a finite number; got E=inf"),
    (["--params", "E=" + "9" * 400], "--params: E must be a finite number; got E=inf"),
    (["--params", "alpha=-1e300"], "the simulated loss is not finite"),
    (["--sigma", "1e300"], "sigma=1e+300 is too large"),
    (["--seed", str(BIG)], "seed must be an integer from 0 to 4294967295 (2**32 - 1); got 1e+23"),
])
def test_simulate_refuses_hostile_options(capsys, tmp_path, extra, expect):
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "runs.csv"
    cli_fails(capsys, ["simulate", *extra, "-o", str(out)], expect=expect, written=out)


def test_a_saved_fit_with_a_hostile_expression_is_refused_on_load(capsys, tmp_path):
    import xarray as xr

    from bayescale.testing import fake_fit

    law = "E + A*N**(-alpha)"
    fit = fake_fit("custom", law_options={"expression": law},
                   truth={"E": 10.0, "A": 100.0, "alpha": 0.07},
                   priors={"E": Prior("LogNormal", mu=2.0, sigma=1.0),
                           "A": Prior("LogNormal", mu=4.0, sigma=1.0),
                           "alpha": Prior("LogNormal", mu=-2.0, sigma=1.0)})
    fit.save(tmp_path / "good.nc")
    dt = xr.open_datatree(tmp_path / "good.nc")
    meta = json.loads(dt.attrs["bayescale"])
    meta["model"]["law"]["expression"] = "0*9**9**9 + " + law
    dt.attrs["bayescale"] = json.dumps(meta)
    dt.to_netcdf(tmp_path / "bad.nc")
    dt.close()
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "pred.csv"
    assert main(["predict", str(tmp_path / "bad.nc"), "--at", "N=1e9", "-o", str(out)]) == 1
    _, err = capsys.readouterr()
    assert err.count("\n") == 1 and "is too large for a float" in err, err
    assert "internal error" not in err and not out.exists()


def test_bayescale_errors_are_all_one_line():
    """Every refusal above is a BayescaleError (the CLI's status 1)."""
    assert issubclass(SpecError, BayescaleError)


@pytest.mark.parametrize("params", [dict(mu=-1e300, sigma=1, lower=0),
                                    dict(mu=0.0, sigma=0.01, lower=1.0),
                                    dict(mu=5.0, sigma=1e-3, upper=1.0)])
def test_a_truncated_normal_with_no_usable_mass_is_refused(params):
    with pytest.raises(SpecError, match=r"TruncatedNormal\(.*has no usable mass in .* sd from "
                                        r"mu; at most 30\): move mu or widen sigma") as info:
        Prior("TruncatedNormal", **params)
    one_line(info.value)
    Prior("TruncatedNormal", mu=0.0, sigma=0.1, lower=2.9)  # 29 sd off: still usable


def test_a_hopeless_prior_is_one_line_through_the_cli(tmp_path, capsys):
    (tmp_path / "p.toml").write_text('[priors]\nE = {dist = "TruncatedNormal", mu = -1e300, '
                                     'sigma = 1, lower = 0}\n')
    out = tmp_path / "t.nc"
    code = main(["fit", *POWER, "--method", "map", "--priors",
                 str(tmp_path / "p.toml"), "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 1 and "prior for 'E'" in err and "no usable mass" in err, err
    assert "internal error" not in err and not out.exists()
