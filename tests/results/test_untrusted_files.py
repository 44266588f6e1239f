"""A tampered or corrupt fit file is one FileFormatError line (CLI: exit 1, one stderr line),
never an internal error, a traceback or a huge allocation (cases from a fuzz run)."""

import json
import math
import shutil
import time
import tracemalloc

import netCDF4
import numpy as np
import pytest
import xarray as xr

import bayescale as bs
from bayescale.cli import main
from bayescale.errors import BayescaleError, FileFormatError
from bayescale.testing import fake_fit


@pytest.fixture(scope="module")
def original(tmp_path_factory):
    """One fabricated MCMC-like fit (posterior, sample_stats, runs), saved once."""
    path = tmp_path_factory.mktemp("untrusted") / "fit.nc"
    return fake_fit("chinchilla", draws=100, chains=2).save(path)


@pytest.fixture
def copy(original, tmp_path):
    def make(name: str = "tampered.nc"):
        target = tmp_path / name
        shutil.copy(original, target)
        return target
    return make


# -- tampering ---------------------------------------------------------------------------------
def set_attr(path, value):
    """Replace the JSON attribute by ``value`` (a string is written as is: raw JSON)."""
    with netCDF4.Dataset(path, "a") as handle:
        handle.setncattr("bayescale", value)


def edit_meta(path, change):
    """Apply ``change`` to the decoded JSON; it may return a raw string to write instead."""
    with netCDF4.Dataset(path, "a") as handle:
        meta = json.loads(handle.getncattr("bayescale"))
        out = change(meta)
        handle.setncattr("bayescale", out if isinstance(out, str) else json.dumps(meta))


def edit_values(path, group, name, change):
    """Rewrite one variable's values in place."""
    with netCDF4.Dataset(path, "a") as handle:
        var = handle[group][name]
        var[:] = change(var[:].data)


def rewrite(path, group, change):
    """Rewrite a whole group through xarray (changes of dims, types or variables)."""
    dt = xr.open_datatree(path, engine="netcdf4").load()
    dt[group] = change(dt[group].to_dataset())
    path.unlink()
    dt.to_netcdf(path, engine="netcdf4")


def assert_refused(path, *fragments):
    """``load`` raises one line naming the file and each fragment; the CLI says the same line
    and exits 1."""
    with pytest.raises(BayescaleError) as info:
        bs.load(path)
    message = str(info.value)
    assert isinstance(info.value, FileFormatError)
    assert "\n" not in message and len(message) < 600, message
    assert repr(str(path)) in message, message
    for fragment in fragments:
        assert fragment in message, message
    return message


def assert_cli_refuses(capsys, path, command="summary"):
    code = main([command, str(path)])
    _, err = capsys.readouterr()
    assert code == 1, err
    assert err.startswith(f"bayescale {command}: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err and "internal error" not in err
    return err


def nested(depth):
    return "[" * depth + "]" * depth


# -- the JSON attribute --------------------------------------------------------------------------
RAW = {
    # a number past a float's range: json reads it as inf (int() would raise OverflowError)
    "version 1e400": (lambda m: json.dumps(m).replace('"schema_version": 1', '"schema_version": '
                                                                             '1e400'),
                      "schema_version must be an integer"),
    "version of 5000 digits": (lambda m: json.dumps(m).replace(
        '"schema_version": 1', '"schema_version": 1' + "0" * 5000), "not valid JSON"),
    "nesting past the recursion limit": (lambda m: json.dumps(m)[:-1] + ', "x": '
                                         + nested(100_000) + "}", "nested more than 20"),
    "nesting past the schema's depth": (lambda m: json.dumps(m)[:-1] + ', "x": ' + nested(30)
                                        + "}", "nested more than 20 levels"),
    "not JSON": (lambda m: "{'model': ", "not valid JSON"),
    "a list at the top": (lambda m: "[1, 2]", "the top level must be a mapping"),
    "NaN loss_min": (lambda m: json.dumps(m).replace('"loss_min": ', '"loss_min": NaN, "_": '),
                     "model.loss_min must be a finite number"),
}

CHANGES = {
    "model a list": (lambda m: m.update(model=[]), "model must be a mapping"),
    "priors a list": (lambda m: m["model"].update(priors=[1, 2]),
                      "model.priors must be a mapping"),
    "reference a string": (lambda m: m["model"]["reference"].update(N="x"),
                           "model.reference.N must be a finite number > 0"),
    "law name a number": (lambda m: m["model"]["law"].update(name=3),
                          "model.law.name must be a string"),
    "unknown law": (lambda m: m["model"]["law"].update(name="<script>"),
                    "the stored model is invalid: unknown law"),
    "prior kwargs a list": (lambda m: m["model"]["priors"]["alpha"].update(kwargs=[1]),
                            "model.priors.alpha.kwargs must be a mapping"),
    "negative prior sigma": (lambda m: m["model"]["priors"]["alpha"]["kwargs"].update(
        sigma=-1.0), "the stored model is invalid"),
    "no prior for E": (lambda m: m["model"]["priors"].pop("E"), "no prior for 'E'"),
    "fixed nu out of range": (lambda m: m["model"]["priors"].update(nu=-1.0),
                              "nu fixed at -1 is outside its range"),
    "n_groups negative": (lambda m: m["model"].update(n_groups=-1),
                          "model.n_groups must be an integer ≥ 0"),
    "warnings a mapping": (lambda m: m.update(warnings={"a": 1}), "warnings must be a list"),
    "unknown group": (lambda m: m.update(group="likelihood"), "group must be one of"),
    "unknown method": (lambda m: m.update(method="advi"), "method must be one of"),
    "seed 1e400": (lambda m: m.update(sampler={"random_seed": math.inf}),
                   "sampler.random_seed must be an integer"),
    "config priors a path": (lambda m: m.update(config={"priors": "/etc/passwd"}),
                             "config.priors must be a mapping"),
    "config unknown field": (lambda m: m.update(config={"sampler": "x"}),
                             "the stored config is invalid"),
    "discrepancy a list": (lambda m: m.update(discrepancy=[0.1]),
                           "discrepancy must be a mapping"),
    "discrepancy negative": (lambda m: m.update(discrepancy={"delta": -1.0, "input": "C",
                                                             "reference": 1e21}),
                             "the stored discrepancy is invalid"),
    "discrepancy unknown key": (lambda m: m.update(discrepancy={"delta": 0.1, "input": "C",
                                                                "reference": 1e21, "zz": 1}),
                                "the stored discrepancy is corrupt (TypeError"),
    "string too long": (lambda m: m.update(notes=["x" * 200_000]),
                        "notes[0] is a string of 200,000 characters"),
    "list too long": (lambda m: m.update(warnings=[""] * 100_001), "has 100,001 items"),
    "terminal escape": (lambda m: m.update(command="bayescale fit \x1b[2J"),
                        "command holds a control character"),
    "integer too large": (lambda m: m["model"].update(n_groups=10**30),
                          "model.n_groups is 1e+30, too large"),
}


@pytest.mark.parametrize("case", sorted(RAW))
def test_raw_json_is_refused_in_one_line(copy, capsys, case):
    make, fragment = RAW[case]
    path = copy()
    edit_meta(path, make)
    assert_refused(path, "the bayescale attribute is corrupt", fragment)
    assert_cli_refuses(capsys, path)


@pytest.mark.parametrize("case", sorted(CHANGES))
def test_wrong_types_and_values_are_refused_in_one_line(copy, capsys, case):
    change, fragment = CHANGES[case]
    path = copy()
    edit_meta(path, change)
    assert_refused(path, fragment)
    assert_cli_refuses(capsys, path)


def test_an_attribute_that_is_not_a_string(copy):
    path = copy()
    set_attr(path, np.arange(3))
    assert_refused(path, "not a JSON string")


def test_a_newer_schema_keeps_its_own_message(copy):
    path = copy()
    edit_meta(path, lambda m: m.update(schema_version=7, model="from the future"))
    assert_refused(path, "(file schema 7)", "upgrade bayescale")


def test_what_bayescale_itself_writes_still_loads(copy, original):
    """Infinite prior bounds, NaN in δ's splits and unknown extra keys are legitimate."""
    path = copy()

    def change(meta):
        meta["model"]["priors"]["E"]["kwargs"]["lower"] = -math.inf
        meta["discrepancy"] = {"delta": 0.1, "input": "C", "reference": 1e21, "source": "test",
                               "splits": [{"held_out": 3, "khat": math.nan}]}
        meta["a_key_from_a_later_release"] = {"x": [math.nan, "text"]}
    edit_meta(path, change)
    fit = bs.load(path)
    assert fit.discrepancy.delta == 0.1 and fit.spec.priors["E"].params["lower"] == -math.inf
    assert bs.load(original).summary().equals(fake_fit("chinchilla", draws=100,
                                                       chains=2).summary())


# -- the arrays ------------------------------------------------------------------------------
def test_non_finite_draws_are_refused_naming_the_share(copy, capsys):
    path = copy()
    edit_values(path, "posterior", "E", lambda v: np.full_like(v, np.nan))
    assert_refused(path, "posterior/E is NaN or infinite in 100.0% of its values")
    assert_cli_refuses(capsys, path, "check")  # not "no warnings"
    path = copy("some.nc")

    def some_inf(v):
        v = v.copy()
        v.reshape(-1)[::10] = np.inf
        return v
    edit_values(path, "posterior", "alpha", some_inf)
    assert_refused(path, "posterior/alpha is NaN or infinite in 10.0% of its values")



def test_draws_outside_their_priors_support_are_refused(copy, capsys):
    """A negative noise scale or exponent cannot come from the sampler: the file was edited."""
    path = copy()
    edit_values(path, "posterior", "sigma", lambda v: -np.abs(v))
    assert_refused(path, "posterior/sigma = -")
    assert_refused(path, "lies outside its prior's support [0, inf] (100.0% of its values)")
    assert_cli_refuses(capsys, path, "summary")
    path = copy("alpha.nc")

    def one_negative(v):
        v = v.copy()
        v.reshape(-1)[0] = -0.5
        return v
    edit_values(path, "posterior", "alpha", one_negative)
    assert_refused(path, "posterior/alpha = -0.5 lies outside its prior's support")


ARRAYS = {
    "a parameter on one dim": ("posterior", lambda ds: ds.assign(E=("draw", ds["E"].values[0])),
                               "posterior/E lies on ('draw',), not ('chain', 'draw')"),
    "a parameter missing": ("posterior", lambda ds: ds.drop_vars("beta"),
                            "missing part 'posterior/beta'"),
    "text draws": ("posterior", lambda ds: ds.assign(E=(("chain", "draw"),
                                                        ds["E"].values.astype(str))),
                   "posterior/E is not numeric"),
    "negative N": ("constant_data", lambda ds: ds.assign(N=-ds["N"]),
                   "the stored runs are invalid: column constant_data/N"),
    "no C": ("constant_data", lambda ds: ds.drop_vars("C"), "no constant_data/C"),
    "losses fewer than runs": ("observed_data", lambda ds: ds.isel(run=slice(0, 5)),
                               "observed_data/loss has 5 runs, not"),
    "a sampler statistic on one dim": ("sample_stats", lambda ds: ds.assign(
        diverging=("draw", ds["diverging"].values[0])), "sample_stats/diverging does not match"),
}


@pytest.mark.parametrize("case", sorted(ARRAYS))
def test_inconsistent_arrays_are_refused_in_one_line(copy, capsys, case):
    group, change, fragment = ARRAYS[case]
    path = copy()
    rewrite(path, group, change)
    assert_refused(path, fragment)
    assert_cli_refuses(capsys, path)


# -- bombs: a small file that declares huge arrays ------------------------------------------------
def bomb(original, path, draws, *, write=False):
    """The fit's layout with ``draws`` draws declared, compressed, values unwritten (or one
    variable written: constant values that compress to almost nothing)."""
    with netCDF4.Dataset(original) as src, netCDF4.Dataset(path, "w") as dst:
        dst.setncattr("bayescale", src.getncattr("bayescale"))
        for name, group in src.groups.items():
            out = dst.createGroup(name)
            for dim, size in group.dimensions.items():
                out.createDimension(dim, draws if dim == "draw" else len(size))
            for var_name, var in group.variables.items():
                new = out.createVariable(var_name, var.dtype, var.dimensions, zlib=True,
                                         complevel=9)
                if "draw" not in var.dimensions:
                    new[:] = var[:]
                elif write and var_name == "E":
                    new[0, :] = 1.0
    return path


@pytest.mark.parametrize("draws, written, fragment", [
    (400_000_000, False, "a fit file may hold at most 2 GiB"),  # 21 GiB declared
    (3_000_000, False, "values compressed or missing"),
    (3_000_000, True, "values compressed or missing"),
])
def test_a_bomb_is_refused_before_any_value_is_read(original, tmp_path, capsys, draws,
                                                    written, fragment):
    path = bomb(original, tmp_path / "bomb.nc", draws, write=written)
    assert path.stat().st_size < 4 * 2**20
    bs.load(original)  # imports done: what follows is the load of the bomb alone
    tracemalloc.start()
    start = time.perf_counter()
    try:
        message = assert_refused(path, fragment, f"{2 * draws:,} values", "posterior/E")
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < 32 * 2**20 and time.perf_counter() - start < 5, (peak, message)
    assert_cli_refuses(capsys, path)

