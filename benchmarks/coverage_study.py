"""Do the intervals mean what they say? Empirical coverage on simulated small designs.

    python benchmarks/coverage_study.py [--reps 100]     # ~5 minutes on 2 cores; the defaults
    python benchmarks/coverage_study.py --weak           # the previous defaults (weak priors)
    python benchmarks/coverage_study.py --misspecified 40  # ~5 minutes: the discrepancy remedy

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
    from bayescale.data.simulate import chinchilla_design

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
    from bayescale.data.simulate import simulate_runs
    from bayescale.decisions.tables import allocation_draws
    from bayescale.laws import get_law
    from bayescale.testing import EPOCH_CHINCHILLA

    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--draws", type=int, default=500)
    parser.add_argument("--weak", action="store_true",
                        help="the previous defaults: weak priors, no discrepancy "
                             "(results/coverage_weak.*)")
    args = parser.parse_args()
    args.discrepancy = not args.weak
    if args.discrepancy:
        # the simulated truth is Epoch's re-fit of Chinchilla: the field priors and δ's prior
        # are re-learned without that study's source, as in benchmarks/calibration.py
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from calibration import PARAMS, loso_delta
        from learn_priors import all_estimates, field_without

        from bayescale.evaluation.discrepancy import estimate
        from bayescale.model.config import ModelConfig

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            estimates = all_estimates()
            delta_prior = loso_delta(estimates, "hoffmann2022")
        field = field_without(estimates, "hoffmann2022")
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
        deltas: list[float] = []
        start = time.time()
        for rep in range(args.reps):
            runs = simulate_runs(law, EPOCH_CHINCHILLA, design, sigma=0.01, seed=1000 + rep)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if args.discrepancy:
                    priors, _ = field.for_law("chinchilla", PARAMS, "loss",
                                              float(runs["loss"].min()))
                    fit = bs.fit(runs, "chinchilla", priors=priors, base="weak",
                                 discrepancy=None, draws=args.draws, tune=500, random_seed=rep)
                    fit = fit.with_discrepancy(estimate(
                        fit.runs.table, ModelConfig(priors=priors, base="weak"),
                        prior=delta_prior, fit=fit))
                    deltas.append(fit.discrepancy.delta)
                else:
                    fit = bs.fit(runs, "chinchilla", priors="weak", discrepancy=None,
                                 draws=args.draws, tune=500, random_seed=rep)
            draws = fit.draws()
            if fit.discrepancy is not None and fit.discrepancy.delta > 0:
                # the far quantities carry the discrepancy: the loss at the target through its
                # distance, N* through the loss surface it optimises (not widened here)
                d = fit.discrepancy.offsets(pd.DataFrame({"C": [6 * TARGET["N"] * TARGET["D"]]}),
                                            len(draws["E"]))[:, 0]
            else:
                d = 0.0
            values = {"E": draws["E"], "alpha": draws["alpha"], "beta": draws["beta"],
                      "a": draws["beta"] / (draws["alpha"] + draws["beta"]),
                      "loss_at_target": law.loss(TARGET, draws) * np.exp(d),
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
            "fits_with_divergences": divergent, "fits_with_warnings": warned,
            "delta_median": float(np.median(deltas)) if deltas else None,
            "delta_share_positive": float(np.mean(np.array(deltas) > 0)) if deltas else None}
        print(f"{name}: {seconds:.0f} s", json.dumps(cov), flush=True)
    out["seconds"] = time.time() - start_all
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = "coverage" if args.discrepancy else "coverage_weak"
    if args.discrepancy and (RESULTS / "coverage.json").exists():
        old = json.loads((RESULTS / "coverage.json").read_text())
        if "misspecified" in old:
            out["misspecified"] = old["misspecified"]
    (RESULTS / f"{stem}.json").write_text(json.dumps(out, indent=2))
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
    if args.discrepancy:
        lines[0] = ("# Coverage study, the defaults: field priors and δ's prior learned "
                    "without the Epoch/Chinchilla source, discrepancy integrated over δ")
        lines.append("Median δ per design: " + ", ".join(
            f"{n} {r['delta_median']:.3g}" for n, r in out["designs"].items()) + ".")
    else:
        lines[0] = "# Coverage study, weak priors and no discrepancy (the previous defaults)"
    text = "\n".join(lines) + "\n"
    if "misspecified" in out:
        text += misspecified_md(out["misspecified"])
    (RESULTS / f"{stem}.md").write_text(text)


KAPLAN = {"N_c": 8.8e13, "D_c": 5.4e13, "alpha_N": 0.076, "alpha_D": 0.095}


def misspecified(reps: int, draws: int) -> dict:
    """A law that is only approximately right: runs from Kaplan's joint law (no floor), fitted
    with Chinchilla's, on an isoFLOP ladder (5 budgets 1e17..1e19, 5 sizes each, ±4x around
    20 tokens/parameter), predicting new runs at 10x the largest budget (3 sizes, 0.5% noise).
    Coverage of the predictive intervals, plain and with the discrepancy learned from the runs
    (leave-future-out, MCMC refits)."""
    import bayescale as bs
    from bayescale.evaluation.backtest import aggregate, score_fit
    from bayescale.evaluation.discrepancy import estimate
    from bayescale.laws import get_law

    truth_law = get_law("kaplan")
    rows = []
    for c in np.geomspace(1e17, 1e19, 5):
        centre = np.sqrt(c / (6 * 20))
        for n in centre * np.geomspace(0.25, 4, 5):
            rows.append({"N": n, "D": c / (6 * n)})
    design = pd.DataFrame(rows)
    c_far = 1e20
    centre = np.sqrt(c_far / (6 * 20))
    target = pd.DataFrame({"N": centre * np.array([0.5, 1.0, 2.0])})
    target["D"] = c_far / (6 * target["N"])
    target["C"] = 6 * target["N"] * target["D"]
    mean_design = truth_law.loss(design, KAPLAN)
    mean_target = truth_law.loss(target, KAPLAN)
    scores = {"plain": [], "discrepancy": []}
    deltas = []
    for rep in range(reps):
        rng = np.random.default_rng(5000 + rep)
        runs = design.assign(loss=mean_design * np.exp(rng.normal(0, 0.005, len(design))))
        observed = mean_target * np.exp(rng.normal(0, 0.005, len(target)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = bs.fit(runs, "chinchilla", discrepancy=None, draws=draws, tune=500,
                         random_seed=rep)
            disc = estimate(fit.runs.table, fit.law, fit=fit)
        deltas.append(disc.delta)
        scores["plain"].append(score_fit(fit, target, observed))
        scores["discrepancy"].append(score_fit(fit.with_discrepancy(disc), target, observed))
    out = {name: aggregate(pd.concat(v, ignore_index=True)) for name, v in scores.items()}
    out["delta_median"] = float(np.median(deltas))
    out["reps"] = reps
    return out


def main_misspecified(reps: int, draws: int) -> None:
    start = time.time()
    res = misspecified(reps, draws)
    res["seconds"] = time.time() - start
    path = RESULTS / "coverage.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data["misspecified"] = res
    path.write_text(json.dumps(data, indent=2))
    md = RESULTS / "coverage.md"
    text = md.read_text() if md.exists() else "# Coverage study\n"
    text = text.split("\n## A law that is only approximately right")[0].rstrip("\n") + "\n"
    md.write_text(text + misspecified_md(res))
    print(json.dumps(res, indent=2))


def misspecified_md(res: dict) -> str:
    reps = res["reps"]
    lines = ["", "## A law that is only approximately right", "",
             f"Runs from Kaplan's joint law (no floor), fitted with Chinchilla's, on an isoFLOP "
             f"ladder (5 budgets 1e17..1e19 x 5 sizes); predictive intervals for new runs at 10x "
             f"the largest budget; {reps} datasets x 3 targets "
             f"(`python benchmarks/coverage_study.py --misspecified {reps}`).", "",
             "| | 50% | 80% | 95% | mean 95% width | mean ARE |", "|---|---|---|---|---|---|"]
    for name in ("plain", "discrepancy"):
        r = res[name]
        label = ("plain posterior" if name == "plain" else
                 f"with the learned discrepancy (median δ = {res['delta_median']:.3g})")
        lines.append(f"| {label} | {100 * r['coverage_50']:.0f} | {100 * r['coverage_80']:.0f}"
                     f" | {100 * r['coverage_95']:.0f} | {100 * r['width_95']:.2f}% | "
                     f"{100 * r['ARE_mean']:.2f}% |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    if "--misspecified" in sys.argv:
        i = sys.argv.index("--misspecified")
        main_misspecified(int(sys.argv[i + 1]), 500)
    else:
        main()
