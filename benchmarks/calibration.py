"""Leave-one-study-out calibration: few small runs → frontier, and many runs → 3–30× beyond.

    python benchmarks/calibration.py       # ~5 minutes on 2 cores; needs ../shared/data

For every study of ``benchmarks/studies.py`` (the unit: a source's runs and published fits are
held out together) the **field priors and the δ prior are re-learned without that study's
source** (``benchmarks/learn_priors.py``'s steps on the other studies), then three methods are
fitted on each split and scored on its held-out runs:

* ``default``: bayescale's defaults (field priors + model discrepancy integrated over δ);
* ``weak``: today's weak priors, no discrepancy (``priors="weak", discrepancy=None``);
* ``point``: the Huber point fit users run (Hoffmann's grid, L-BFGS) + 200-replicate bootstrap.

Splits per study: ``few-5`` and ``few-8`` (the 5/8 smallest-compute runs → the 5 largest) and
``many`` (fit C ≤ C_max/30, predict the runs at ≥ 3× that cut, i.e. 3–30× beyond).

Metrics per split (modeling.md §5.1): median and mean ARE of the median, coverage of the
50/80/95% predictive intervals, median 95% width (upper/lower), NLPD on log loss. Writes
``benchmarks/results/calibration.{json,md}``.
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from learn_priors import all_estimates, delta_scale, field_without, study_curves  # noqa: E402
from studies import STUDIES, available  # noqa: E402

import bayescale as bs  # noqa: E402
from bayescale.evaluation.backtest import aggregate, score_fit, score_point_baseline  # noqa: E402
from bayescale.evaluation.discrepancy import estimate  # noqa: E402
from bayescale.model.config import ModelConfig  # noqa: E402
from bayescale.priors import Prior  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
SEED = 1
PARAMS = ["E", "alpha", "beta", "sigma"]


def splits(table: pd.DataFrame) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    t = table.sort_values("C", kind="stable").reset_index(drop=True)
    cut = float(t["C"].max()) / 30.0
    return {"few-5": (t.iloc[:5], t.iloc[-5:]), "few-8": (t.iloc[:8], t.iloc[-5:]),
            "many": (t[t["C"] <= cut], t[t["C"] >= 3.0 * cut])}


def loso_priors(estimates: pd.DataFrame, source: str, loss_min: float) -> dict:
    field = field_without(estimates, source)
    priors, _ = field.for_law("chinchilla", PARAMS, "loss", loss_min)
    return priors


def loso_delta(estimates: pd.DataFrame, held: str) -> Prior:
    """The δ prior from every study but ``held``'s source, each fitted with priors that saw
    neither it nor ``held``."""
    scale, _ = delta_scale(study_curves(estimates, held))
    return Prior("HalfNormal", sigma=scale)


def score(method: str, train: pd.DataFrame, test: pd.DataFrame, priors: dict,
          delta: Prior) -> tuple[dict, float]:
    observed = test["loss"].to_numpy(dtype=float)
    start = time.time()
    if method == "point":
        points, _ = score_point_baseline(train, test, observed, seed=SEED)
    else:
        if method == "weak":
            fit = bs.fit(train, priors="weak", discrepancy=None, random_seed=SEED)
        else:
            fit = bs.fit(train, priors=priors, base="weak", discrepancy=None,
                         random_seed=SEED)
            fit = fit.with_discrepancy(estimate(fit.runs.table, ModelConfig(
                law="chinchilla", priors=priors, base="weak"), prior=delta, fit=fit))
        points = score_fit(fit, test[["N", "D", "C"]], observed)
    seconds = time.time() - start
    out = aggregate(points)
    out["width_95_ratio"] = float(np.median(points["pp_upper_95"] / points["pp_lower_95"]))
    return out, seconds


def markdown(rows: pd.DataFrame) -> list[str]:
    cols = ["ARE_median", "ARE_mean", "coverage_50", "coverage_80", "coverage_95",
            "width_95_ratio", "NLPD"]
    head = "| study | split | runs | beyond | method | " + " | ".join(cols) + " |"
    lines = [head, "|" + "---|" * (5 + len(cols))]
    for r in rows.to_dict("records"):
        vals = [f"{100 * r[c]:.1f}%" if c.startswith(("ARE", "coverage")) else f"{r[c]:.3g}"
                for c in cols]
        lines.append(f"| {r['study']} | {r['split']} | {r['n_fit']} | {r['scale_up']:.0f}x | "
                     f"{r['method']} | " + " | ".join(vals) + " |")
    return lines


def pooled(rows: pd.DataFrame) -> pd.DataFrame:
    """Per method and split family: mean over splits of each metric; coverage pooled over
    held-out runs (weighted by their count)."""
    rows = rows.assign(family=rows["split"].str.replace(r"-\d+$", "", regex=True))
    out = []
    for (family, method), g in [*rows.groupby(["family", "method"]),
                                *(((("all", m), g) for m, g in rows.groupby("method")))]:
        rec = {"family": family, "method": method, "splits": len(g)}
        for c in ("coverage_50", "coverage_80", "coverage_95"):
            rec[c] = float(np.average(g[c], weights=g["n"]))
        for c in ("ARE_median", "ARE_mean", "width_95_ratio", "NLPD"):
            rec[c] = float(g[c].mean())
        out.append(rec)
    return pd.DataFrame(out)


def main() -> None:
    if not available():
        sys.exit("needs ../shared/data (the public scaling studies)")
    start = time.time()
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimates = all_estimates()
        for study in STUDIES.values():
            delta = loso_delta(estimates, study.source)
            table = study.load()
            for split, (train, test) in splits(table).items():
                priors = loso_priors(estimates, study.source, float(train["loss"].min()))
                if not study.nats:
                    priors.pop("E", None)
                for method in ("default", "weak", "point"):
                    result, seconds = score(method, train, test, priors, delta)
                    rows.append({"study": study.name, "split": split, "n_fit": len(train),
                                 "n_test": len(test),
                                 "scale_up": float(test["C"].max() / train["C"].max()),
                                 "method": method, "seconds": seconds,
                                 "delta_prior_sigma": delta.params["sigma"], **result})
                    print(f"{study.name:18s} {split:6s} {method:8s} ARE "
                          f"{100 * result['ARE_mean']:5.1f}%  cover 50/80/95 "
                          f"{100 * result['coverage_50']:3.0f}/{100 * result['coverage_80']:3.0f}"
                          f"/{100 * result['coverage_95']:3.0f}  NLPD {result['NLPD']:.2f}  "
                          f"{seconds:.1f}s", flush=True)
    table = pd.DataFrame(rows)
    pool = pooled(table)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "calibration.json").write_text(json.dumps(
        {"splits": rows, "pooled": pool.to_dict("records")}, indent=1))
    lines = ["# Calibration, leave one study out", "",
             f"Generated by `python benchmarks/calibration.py` in {time.time() - start:.0f} s "
             "(seed 1). Priors and the δ prior re-learned without the scored study's source.",
             "", "## Pooled", "", "| family | method | splits | cover 50 | cover 80 | cover 95 "
             "| mean of median ARE | mean ARE | 95% width | NLPD |", "|---|---|---|---|---|---|"
             "---|---|---|---|"]
    for r in pool.to_dict("records"):
        lines.append(f"| {r['family']} | {r['method']} | {r['splits']} | "
                     f"{100 * r['coverage_50']:.0f}% | {100 * r['coverage_80']:.0f}% | "
                     f"{100 * r['coverage_95']:.0f}% | {100 * r['ARE_median']:.1f}% | "
                     f"{100 * r['ARE_mean']:.1f}% | ×{r['width_95_ratio']:.2f} | "
                     f"{r['NLPD']:.2f} |")
    lines += ["", "## Per split", "", *markdown(table), ""]
    (RESULTS / "calibration.md").write_text("\n".join(lines))
    print("\n".join(lines[:20]))


if __name__ == "__main__":
    main()
