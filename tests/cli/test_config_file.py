"""--config FILE.toml: every option of a command from a file; flags on the command line win."""

import pytest

import bayescale as bs
from bayescale.cli import main


def run(capsys, *argv):
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:  # usage errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def test_a_config_file_gives_the_options_and_flags_override(place, capsys):
    (place / "fit.toml").write_text('[fit]\nmethod = "map"\ndraws = 500\ntarget-accept = 0.95\n'
                                    'discrepancy = "none"\nseed = 7\n')
    code, _, err = run(capsys, "fit", "runs.csv", "--config", "fit.toml", "--draws", "300",
                       "-o", "c.nc")
    assert code == 0, err
    fit = bs.load("c.nc")
    assert fit.method == "laplace" and fit.meta["sampler"]["random_seed"] == 7
    assert fit.n_draws == 300 * 4  # --draws 300 on the command line beat the file's 500
    assert fit.discrepancy is None


def test_repeatable_options_from_a_file_and_replaced_by_flags(place, capsys):
    (place / "p.toml").write_text('at = ["N=1e9,D=2e10", "N=1e10,D=2e11"]\nprob = 0.9\n'
                                  'format = "csv"\n')
    code, out, err = run(capsys, "predict", "fit.nc", "--config", "p.toml")
    assert code == 0, err
    assert out.count("\n") == 3 and ",0.9," in out  # header + two points, at 90%
    code, out, err = run(capsys, "predict", "fit.nc", "--config", "p.toml", "--at",
                         "N=3e9,D=6e10")
    assert code == 0 and out.count("\n") == 2 and "3000000000" in out.replace(".0", "")


@pytest.mark.parametrize(("text", "message"), [
    ("drawz = 3\n", "--config bad.toml: unknown option 'drawz' for 'bayescale fit'"),
    ('draws = "many"\n', "--config bad.toml: draws = 'many': 'many' is not an integer"),
    ("draws = \n", "--config bad.toml: not valid TOML"),
    ('force = "yes"\n', "--config bad.toml: force = 'yes': use true or false"),
    ('method = "vi"\n', "--config bad.toml: method = 'vi': choose from mcmc, map"),
    ("draws = { a = 1 }\n", "--config bad.toml: draws = {'a': 1}: give a number"),
    ("config = 'x.toml'\n", "--config bad.toml: unknown option 'config'"),
])
def test_a_bad_config_file_is_one_line(place, capsys, text, message):
    (place / "bad.toml").write_text(text)
    code, _, err = run(capsys, "fit", "runs.csv", "--config", "bad.toml", "-o", "x.nc")
    assert code == 1 and message in err and err.count("\n") == 1, err
    assert not (place / "x.nc").exists()


def test_a_missing_config_file(place, capsys):
    code, _, err = run(capsys, "summary", "fit.nc", "--config", "none.toml")
    assert code == 1 and "--config none.toml: no such file" in err


def test_a_required_option_can_come_from_the_file(place, capsys):
    (place / "fit.toml").write_text('output = "from_file.nc"\nmethod = "map"\n'
                                    'discrepancy = "none"\n')
    code, _, err = run(capsys, "fit", "runs.csv", "--config", "fit.toml")
    assert code == 0, err
    assert (place / "from_file.nc").exists()
    code, _, err = run(capsys, "fit", "runs.csv", "--config", "fit.toml")  # exists now
    assert code == 1 and "'from_file.nc' already exists; use --force" in err


def test_an_optional_value_flag_as_true(place, capsys):
    from bayescale.testing import fake_fit

    fake_fit("power", draws=100, chains=2).save(place / "power.nc")
    (place / "o.toml").write_text("[optimal]\nhalve = true\n[predict]\nprob = 0.5\n")
    code, out, err = run(capsys, "optimal", "power.nc", "--config", "o.toml")
    assert code == 0, err
    assert "how many times more N halves the reducible loss" in out
