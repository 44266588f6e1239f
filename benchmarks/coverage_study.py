"""Do the intervals mean what they say? Empirical coverage on simulated small designs.

    python benchmarks/coverage_study.py [--reps 100]   # ~10 minutes on 2 cores; writes results/

For each design, simulate runs from a known Chinchilla law (Besiroglu et al.'s re-fit; 1% log-normal
noise), fit with the defaults (Student-t likelihood, default priors, NUTS), and count how often
the 50/80/95% equal-tailed intervals contain the truth, for the parameters (E, alpha, beta, and
a = beta/(alpha+beta)) and for frontier predictions (the law's mean loss at N=7e10, D=1.4e12,
about 1,000x beyond the largest simulated compute; and N* at 5.76e23 FLOPs). With R reps, the
standard error of an empirical coverage p is sqrt(p(1-p)/R): 4 points at 80% for R = 100.

Designs (the few-runs regime the tool is for):

* ``6 runs, 2 token counts``: 3 sizes (3e7..3e8) x D in {1e9, 4e9};
* ``10 runs, 2 token counts``: 5 sizes (3e7..1e9) x D in {2e9, 2e10};
* ``10 runs, isoFLOP-like``: 5 sizes x tokens/param in {10, 40};
* ``30 runs``: 6 sizes x 5 tokens/param (the bundled example's design).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT))

PROBS = (0.5, 0.8, 0.95)
TARGET = {"N": 7e10, "D": 1.4e12}
BUDGET = 5.76e23


def designs() -> dict[str, pd.DataFrame]:
    from bayescale.simulate import chinchilla_design

    def grid(sizes, tokens):
        return pd.DataFrame([{"N": n, "D": d} for n in sizes for d in tokens])

    def ratios(sizes, rs):
        return pd.DataFrame([{"N": n, "D": n * r} for n in sizes for r in rs])

    return {
        "6 runs, 2 token counts": grid(np.geomspace(3e7, 3e8, 3), (1e9, 4e9)),
        "10 runs, 2 token counts": grid(np.geomspace(3e7, 1e9, 5), (2e9, 2e10)),
        "10 runs, isoFLOP-like": ratios(np.geomspace(3e7, 1e9, 5), (10, 40)),
        "30 runs": chinchilla_design(),
    }


def main() -> None:
    import bayescale as bs
    from bayescale.laws import get_law
    from bayescale.optimal import allocation_draws
    from bayescale.simulate import simulate_runs
    from bayescale.testing import EPOCH_CHINCHILLA

    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--draws", type=int, default=500)
    args = parser.parse_args()
    law = get_law("chinchilla")
    truth = dict(EPOCH_CHINCHILLA)
    truth["a"] = truth["beta"] / (truth["alpha"] + truth["beta"])
    one = {k: np.array([v]) for k, v in EPOCH_CHINCHILLA.items()}
    truth["loss_at_target"] = float(law.loss(TARGET, EPOCH_CHINCHILLA))
    truth["N_opt_at_budget"] = float(allocation_draws(law, one, [BUDGET])["N_opt"][0, 0])
    quantities = ("E", "alpha", "beta", "a", "loss_at_target", "N_opt_at_budget")
    out: dict = {"reps": args.reps, "draws_per_chain": args.draws, "truth": truth,
                 "designs": {}}
    start_all = time.time()
    for name, design in designs().items():
        hits = {q: {p: 0 for p in PROBS} for q in quantities}
        widths = {q: [] for q in quantities}
        divergent = warned = 0
        start = time.time()
        for rep in range(args.reps):
            runs = simulate_runs(law, EPOCH_CHINCHILLA, design, sigma=0.01, seed=1000 + rep)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fit = bs.fit(runs, "chinchilla", draws=args.draws, tune=500, random_seed=rep)
            draws = fit.draws()
            values = {"E": draws["E"], "alpha": draws["alpha"], "beta": draws["beta"],
                      "a": draws["beta"] / (draws["alpha"] + draws["beta"]),
                      "loss_at_target": law.loss(TARGET, draws),
                      "N_opt_at_budget": allocation_draws(law, draws, [BUDGET])["N_opt"][:, 0]}
            for q in quantities:
                v = np.asarray(values[q])
                for p in PROBS:
                    lo, hi = np.quantile(v, [(1 - p) / 2, (1 + p) / 2])
                    hits[q][p] += int(lo <= truth[q] <= hi)
                lo, hi = np.quantile(v, [0.025, 0.975])
                widths[q].append(hi / lo if q in ("loss_at_target", "N_opt_at_budget")
                                 else hi - lo)
            divergent += int(fit.diagnostics.get("divergences", 0) > 0)
            warned += int(bool(fit.warnings))
        seconds = time.time() - start
        cov = {q: {f"{round(100 * p)}": hits[q][p] / args.reps for p in PROBS}
               for q in quantities}
        out["designs"][name] = {
            "runs": len(design), "coverage": cov, "seconds": seconds,
            "median_width_95": {q: float(np.median(widths[q])) for q in quantities},
            "fits_with_divergences": divergent, "fits_with_warnings": warned}
        print(f"{name}: {seconds:.0f} s", json.dumps(cov), flush=True)
    out["seconds"] = time.time() - start_all
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "coverage.json").write_text(json.dumps(out, indent=2))
    se80 = 100 * np.sqrt(0.8 * 0.2 / args.reps)
    lines = ["# Coverage study", "",
             f"Generated by `python benchmarks/coverage_study.py --reps {args.reps}`: {args.reps} "
             "simulated datasets per design from Besiroglu et al.'s Chinchilla re-fit with 1% "
             "noise, each fitted with the defaults (NUTS, 4 chains x "
             f"{args.draws} draws). Empirical coverage (%) of the nominal 50/80/95% intervals "
             f"(standard error about {se80:.0f} points at 80%).", "",
             "| design | quantity | 50% | 80% | 95% | median 95% width |",
             "|---|---|---|---|---|---|"]
    for name, res in out["designs"].items():
        for q in quantities:
            c = res["coverage"][q]
            w = res["median_width_95"][q]
            wtxt = f"x{w:.3g}" if q in ("loss_at_target", "N_opt_at_budget") else f"{w:.3g}"
            lines.append(f"| {name} | {q} | {100 * c['50']:.0f} | {100 * c['80']:.0f} | "
                         f"{100 * c['95']:.0f} | {wtxt} |")
    lines += ["", "loss_at_target: the law's mean loss at N=7e10, D=1.4e12; N_opt_at_budget: "
              "N* at 5.76e23 FLOPs; widths of those are ratios upper/lower."]
    (RESULTS / "coverage.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
