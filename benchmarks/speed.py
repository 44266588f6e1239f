"""How fast is a posterior, against the point fit and bootstrap a user would run instead?

    python benchmarks/speed.py            # ~4 minutes on 2 cores; writes benchmarks/results/

Everything runs in one process and one run (the cold CLI fit is a child process), so ratios
compare like with like on the same machine at the same time. Reports wall and CPU seconds
(CPU is steadier on a shared machine), gradient evaluations, min bulk ESS and max R-hat, for:

* ``bayescale fit`` as a fresh CLI process (PyTensor's on-disk cache warm), first with an empty
  compile cache (it compiles), then with the one it left (it loads the compiled model:
  :mod:`bayescale.inference.cache`, the default since 2026-12), and the same fit phase by phase
  in fresh processes (imports, model, compile, sampling) with nutpie's own entry points
  (``nutpie.compile_pymc_model``, the default until 2026-12), with bayescale's lean ones
  (:mod:`bayescale.inference.entry`), and loaded from the compile cache;
* our fit in this process: cold (compiles), warm (compiled model reused), a refit on new data;
* ``fit_many`` on 100 datasets of 250 points;
* 2,500- and 25,000-point synthetic sets;
* the baselines: Huber(δ=1e-3) L-BFGS from the top 20 of Hoffmann's grid (single-threaded
  BLAS, loss scaled by 1/δ) and a 1000-replicate bootstrap of it.

Data: Epoch's 240 Chinchilla points (``../shared/data/epoch_chinchilla.csv``) and synthetic sets
as in ``../shared/reference/perf.md`` (N log-uniform in [7e7, 1.6e10], D in [5e9, 5e11], Epoch's
parameters, 1% log-normal noise, seed 1234).
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
EPOCH = ROOT.parent / "shared" / "data" / "epoch_chinchilla.csv"
RESULTS = ROOT / "benchmarks" / "results"

sys.path.insert(0, str(ROOT))
import bayescale as bs  # noqa: E402
from bayescale.evaluation.baselines import (  # noqa: E402
    bootstrap,
    huber_fit,
    percentile_intervals,
)
from bayescale.testing import EPOCH_CHINCHILLA  # noqa: E402


def synthetic(n: int, seed: int = 1234) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    big_n = np.exp(rng.uniform(np.log(7e7), np.log(1.6e10), n))
    big_d = np.exp(rng.uniform(np.log(5e9), np.log(5e11), n))
    mean = bs.get_law("chinchilla").loss({"N": big_n, "D": big_d}, EPOCH_CHINCHILLA)
    return pd.DataFrame({"N": big_n, "D": big_d, "loss": mean * np.exp(rng.normal(0, 0.01, n))})


def markdown(df: pd.DataFrame, index: bool = False, floatfmt: str = "{:.4g}") -> str:
    frame = df.reset_index() if index else df
    cells = [[floatfmt.format(v) if isinstance(v, float) else str(v) for v in row]
             for row in frame.itertuples(index=False)]
    head = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in cells])


class Clock:
    def __enter__(self) -> Clock:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def gradient_cost(df: pd.DataFrame) -> float:
    """Seconds per log-density + gradient evaluation of our model on ``df``: the numba
    function PyTensor compiles, called directly (about 1 µs of Python call overhead; nutpie
    calls it without any)."""
    from bayescale.model import build_model
    from bayescale.workflow import configure

    spec, runs = configure(df, "chinchilla")
    model = build_model(spec, runs)
    f = model.logp_dlogp_function(ravel_inputs=True, mode="NUMBA")
    f.set_extra_values({})
    x = np.concatenate([np.atleast_1d(v) for v in model.initial_point().values()])
    fn = f._pytensor_function
    inputs = [x] + [v.get_value() for v in fn.get_shared()]
    jit = fn.vm.jit_fn
    jit(*inputs)
    k = max(50, int(2e6 / len(df)))
    start = time.perf_counter()
    for _ in range(k):
        jit(*inputs)
    return (time.perf_counter() - start) / k


#: A fresh process timing each phase of an MCMC fit of Epoch's points (argv: csv, entry):
#: ``nutpie`` (nutpie's own entry points), ``bayescale`` (ours, compiled), ``cache`` (ours,
#: loaded from the compile cache named by $BAYESCALE_COMPILE_CACHE: no PyMC model is built).
PHASES = r"""
import json, sys, time
start = time.perf_counter()
import warnings; warnings.simplefilter("ignore")
import numpy as np, nutpie
from bayescale.inference.cache import cached_model
from bayescale.inference.entry import compile_model, with_starts
from bayescale.inference.samplers import start_vector
from bayescale.model.config import ModelConfig
from bayescale.model.graph import build_model, model_inputs
t = {"imports": time.perf_counter() - start}
spec, runs = ModelConfig(law="chinchilla").configure(sys.argv[1])
names = list(spec.stored_vars)
model = None if sys.argv[2] == "cache" else build_model(spec, runs)
t["model"] = time.perf_counter() - start - sum(t.values())
if sys.argv[2] == "cache":
    compiled, loaded = cached_model(spec, runs, names)
    assert loaded, "the compile cache was cold"
elif sys.argv[2] == "nutpie":
    compiled = nutpie.compile_pymc_model(model, var_names=names)
else:
    compiled = compile_model(model, names)
compiled = compiled.with_data(**model_inputs(spec, runs))
compiled = with_starts(compiled, start_vector(compiled, spec))
t["compile"] = time.perf_counter() - start - sum(t.values())
dt = nutpie.sample(compiled, draws=1000, tune=1000, chains=4, seed=1, progress_bar=False,
                   adaptation="low_rank", save_warmup=True)
t["sampling"] = time.perf_counter() - start - sum(t.values())
t["total"] = time.perf_counter() - start
t["E_mean"] = float(dt["posterior"]["E"].mean())
print(json.dumps(t))
"""


def fresh_phases(csv: Path, entry: str, env: dict[str, str]) -> dict:
    """Seconds per phase of a fit in a fresh process with ``entry`` points
    (nutpie|bayescale|cache)."""
    out = subprocess.run([sys.executable, "-c", PHASES, str(csv), entry], check=True,
                         capture_output=True, text=True, cwd=ROOT, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def fresh_cli(csv: Path, out: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds of ``bayescale fit`` on ``csv`` in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "bayescale", "fit", str(csv), "--law", "chinchilla",
                    "--seed", "1", "-o", str(out), "--quiet"], check=True, cwd=ROOT, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def fit_row(name: str, fit: bs.ScalingFit, clock: Clock, n: int) -> dict:
    table = fit.summary()
    d = fit.diagnostics
    grads = d.get("gradient_evaluations")
    return {"what": name, "points": n, "wall_s": clock.wall, "cpu_s": clock.cpu,
            "compile_s": fit.meta.get("compile_seconds"),
            "sampling_s": fit.meta.get("sampling_seconds"), "gradients": grads,
            "min_ess_bulk": float(table["ess_bulk"].min()),
            "max_r_hat": float(table["r_hat"].max()), "divergences": d.get("divergences"),
            "floor_ratio": None}


def main() -> None:
    warnings.simplefilter("ignore")
    if not EPOCH.exists():
        raise SystemExit(f"benchmark needs {EPOCH} (../shared/data)")
    epoch = pd.read_csv(EPOCH)
    epoch = epoch[~epoch.epoch_outlier].reset_index(drop=True)
    rows: list[dict] = []
    print("bayescale speed benchmark: 4 chains x (1000 tune + 1000 draws), 2 cores\n")

    # 1. fresh CLI processes, as a user runs them (PyTensor's on-disk cache warm): the first
    # with an empty compile cache (it compiles), the next with the cache it left (it loads)
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "epoch.csv"
        epoch.to_csv(csv, index=False)
        env = {**os.environ, "BAYESCALE_COMPILE_CACHE": str(Path(tmp) / "compiled")}
        for what, repeats in (("cold", 1), ("warm", 3)):
            # the median of `repeats` processes (a busy machine's spikes are not the tool's)
            times = [fresh_cli(csv, Path(tmp) / f"{what}{i}.nc", env) for i in range(repeats)]
            clock = Clock()
            clock.wall, clock.cpu = sorted(times)[repeats // 2]
            cli = bs.load(Path(tmp) / f"{what}0.nc")
            assert cli.meta["compiled"] == ("compiled" if what == "cold" else "cache")
            rows.append(fit_row(f"bayescale fit, fresh CLI process, compile cache {what}", cli,
                                clock, len(epoch)))
            rows[-1]["wall_s_each"] = [round(wall, 2) for wall, _ in times]
        fresh = {entry: fresh_phases(csv, entry, env) for entry in ("nutpie", "bayescale",
                                                                    "cache")}
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import bayescale.cli"], check=True)
        import_cli = time.perf_counter() - start
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import pymc, nutpie"], check=True)
        import_stack = time.perf_counter() - start

    # 2. in this process: cold (compiles: an empty compile cache), warm (reuses), refit on new
    # data
    os.environ["BAYESCALE_COMPILE_CACHE"] = tempfile.mkdtemp(prefix="bayescale-bench-")
    with Clock() as clock:
        fit = bs.fit(epoch, "chinchilla", random_seed=1)
    rows.append(fit_row("fit in process, cold (compiles)", fit, clock, len(epoch)))
    with Clock() as clock:
        fit = bs.fit(epoch, "chinchilla", random_seed=2)
    rows.append(fit_row("fit in process, warm (reuses the compiled model)", fit, clock,
                        len(epoch)))
    new = synthetic(240, seed=7)
    with Clock() as clock:
        refit = bs.fit(new, "chinchilla", random_seed=3)
    rows.append(fit_row("refit in process on new data (240 points)", refit, clock, 240))
    with Clock() as clock:
        approx = bs.fit(epoch, "chinchilla", method="map", random_seed=1)
    rows.append({"what": "--method map (MAP + Laplace, approximate)", "points": len(epoch),
                 "wall_s": clock.wall, "cpu_s": clock.cpu})

    # 3. fit_many on 100 datasets of 250 points
    data = {k: synthetic(250, seed=1000 + k) for k in range(100)}
    with Clock() as clock:
        fits = bs.fit_many(data, "chinchilla", random_seed=0, progress=False)
    ess = [f.summary()["ess_bulk"].min() for f in fits.values()]
    rhat = [f.summary()["r_hat"].max() for f in fits.values()]
    rows.append({"what": "fit_many, 100 datasets x 250 points", "points": 25000,
                 "wall_s": clock.wall, "cpu_s": clock.cpu,
                 "gradients": sum(f.diagnostics["gradient_evaluations"] for f in fits.values()),
                 "min_ess_bulk": float(np.min(ess)), "max_r_hat": float(np.max(rhat)),
                 "divergences": sum(f.diagnostics["divergences"] for f in fits.values()),
                 "share_r_hat_ok": float(np.mean(np.array(rhat) <= 1.01))})

    # 4. bigger sets
    for n in (2500, 25000):
        df = synthetic(n)
        with Clock() as clock:
            big = bs.fit(df, "chinchilla", random_seed=4)
        rows.append(fit_row(f"fit in process, {n:,} points", big, clock, n))
        with Clock() as clock:
            huber_fit(df.N.to_numpy(), df.D.to_numpy(), df.loss.to_numpy())
        rows.append({"what": f"Huber top-20 L-BFGS, {n:,} points", "points": n,
                     "wall_s": clock.wall, "cpu_s": clock.cpu})

    # 5. the baselines on Epoch's points
    with Clock() as clock:
        point = huber_fit(epoch.N.to_numpy(), epoch.D.to_numpy(), epoch.loss.to_numpy())
    rows.append({"what": "Huber top-20 L-BFGS (point fit)", "points": len(epoch),
                 "wall_s": clock.wall, "cpu_s": clock.cpu})
    with Clock() as clock:
        reps = bootstrap(epoch.N.to_numpy(), epoch.D.to_numpy(), epoch.loss.to_numpy(),
                         replicates=1000, seed=0, start=point)
    rows.append({"what": "bootstrap of the point fit, 1000 replicates", "points": len(epoch),
                 "wall_s": clock.wall, "cpu_s": clock.cpu})

    # the gradient-cost floor: gradients x the cost of one log-density + gradient of our model
    cost = {240: gradient_cost(epoch), 2500: gradient_cost(synthetic(2500)),
            25000: gradient_cost(synthetic(25000))}
    for row in rows:
        if row.get("gradients") and row.get("sampling_s") and row["points"] in cost:
            row["us_per_gradient"] = 1e6 * cost[row["points"]]
            row["floor_ratio"] = row["cpu_s"] / (row["gradients"] * cost[row["points"]])
    table = pd.DataFrame(rows)
    cols = [c for c in table.columns if c not in ("us_per_gradient", "floor_ratio")]
    table = table[cols + [c for c in ("us_per_gradient", "floor_ratio") if c in table]]
    by = {r["what"]: r for r in rows}
    boot = by["bootstrap of the point fit, 1000 replicates"]["wall_s"]
    ratios = {
        "warm fit / bootstrap (wall)": by["fit in process, warm (reuses the compiled model)"]
        ["wall_s"] / boot,
        "fresh CLI fit (compile cache warm) / bootstrap (wall)":
        by["bayescale fit, fresh CLI process, compile cache warm"]["wall_s"] / boot,
        "warm fit / Huber point fit (wall)": by["fit in process, warm (reuses the compiled "
                                                 "model)"]["wall_s"]
        / by["Huber top-20 L-BFGS (point fit)"]["wall_s"],
        "refit on new data (wall s)": by["refit in process on new data (240 points)"]
        ["wall_s"],
        "fit_many per dataset (wall s)": by["fit_many, 100 datasets x 250 points"]["wall_s"]
        / 100,
    }
    post = fit.summary(prob=0.95)
    boot_table = percentile_intervals(reps, prob=0.95)
    intervals = pd.DataFrame({
        "posterior median": post["median"], "posterior 95% lower": post["lower"],
        "posterior 95% upper": post["upper"], "bootstrap median": boot_table["median"],
        "bootstrap 95% lower": boot_table["lower"], "bootstrap 95% upper": boot_table["upper"],
    }).loc[["E", "A", "B", "alpha", "beta"]]
    env = {"python": platform.python_version(), "machine": platform.machine(),
           "cpus": os.cpu_count(), "bayescale": bs.__version__,
           "load_average": os.getloadavg()[0],
           "import bayescale.cli (s)": import_cli, "import pymc + nutpie (s)": import_stack,
           "date": time.strftime("%Y-%m-%d %H:%M")}
    for key in ("pymc", "nutpie", "pytensor", "arviz", "numpy", "scipy"):
        env[key] = __import__(key).__version__

    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {"environment": env, "rows": rows, "ratios": ratios, "fresh_phases": fresh,
               "intervals_epoch": intervals.to_dict(orient="index"),
               "map_epoch": approx.meta["map"]}
    (RESULTS / "speed.json").write_text(json.dumps(payload, indent=2, default=float))
    fmt = {"wall_s": "{:.2f}", "cpu_s": "{:.2f}", "compile_s": "{:.1f}", "sampling_s": "{:.2f}",
           "min_ess_bulk": "{:.0f}", "max_r_hat": "{:.3f}", "us_per_gradient": "{:.0f}",
           "floor_ratio": "{:.1f}"}
    shown = table.drop(columns=[c for c in ("share_r_hat_ok", "wall_s_each") if c in table])
    for col, f in fmt.items():
        shown[col] = shown[col].map(lambda v, f=f: "" if v is None or v != v else f.format(v))
    for col in ("gradients", "divergences"):
        shown[col] = shown[col].map(lambda v: "" if v is None or v != v else f"{int(v):,}")
    md = ["# Speed benchmark", "", f"`python benchmarks/speed.py`, {env['date']}, "
          f"{env['cpus']} CPUs, load average {env['load_average']:.1f}, Python "
          f"{env['python']}, PyMC {env['pymc']}, nutpie {env['nutpie']}.", "",
          markdown(shown), "", "Ratios:", ""]
    md += [f"- {k}: {v:.2f}" for k, v in ratios.items()]
    phases = pd.DataFrame(fresh).T[["imports", "model", "compile", "sampling", "total"]]
    phases.index = ["nutpie's, compiled", "bayescale's, compiled",
                    "bayescale's, loaded from the compile cache"]
    md += ["", "A fit of Epoch's points in a fresh process, phase by phase (seconds; PyTensor's "
           "on-disk cache warm), with nutpie's own entry points and with bayescale's "
           "(bayescale/inference/entry.py), compiled or loaded from bayescale's compile cache "
           "(bayescale/inference/cache.py; no PyMC model is built). The same draws for a seed: "
           "posterior mean of E " + ", ".join(f"{fresh[k]['E_mean']:.6f}" for k in fresh)
           + ".", "",
           markdown(phases.rename_axis("entry points"), index=True, floatfmt="{:.2f}")]
    each = by["bayescale fit, fresh CLI process, compile cache warm"]["wall_s_each"]
    md += ["", "gradients: log-density gradient evaluations of the whole run, tuning included. "
           "The fresh CLI process with a warm compile cache is the median of "
           f"{len(each)} processes (wall s: {', '.join(f'{w:.2f}' for w in each)}). "
           "floor_ratio: CPU seconds of the whole call (sampling, diagnostics, bookkeeping) / "
           "(gradients x us_per_gradient), us_per_gradient being one log-density + gradient of "
           "our model (the compiled numba function, called directly); the cold rows' excess is "
           "compilation. Imports: bayescale.cli "
           f"{import_cli:.2f} s, pymc + nutpie {import_stack:.2f} s.", "",
           "Epoch's 240 points, 95% intervals (posterior: Student-t likelihood; bootstrap: "
           "Huber):", "", markdown(intervals, index=True)]
    (RESULTS / "speed.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
