"""``bayescale optimal``: decisions from the posterior — compute-optimal allocation, what a
target loss takes, stopping points, regret of a plan, partial-run forecasts."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from ...errors import BayescaleError
from .. import output
from ..options import (
    add_force,
    add_format,
    add_output,
    add_plot,
    add_prob,
    add_quiet,
    new_parser,
    number_list,
    one,
)

EPILOG = """examples:
  bayescale optimal fit.nc --compute 1e22,1e24,3.8e25
  bayescale optimal fit.nc --compute 5.76e23 --heuristic 20 --plot frontier.png
  bayescale optimal fit.nc --compute 1e24 --gpu-flops 9.89e14 --mfu 0.4 --price 2.5
  bayescale optimal fit.nc --target-loss 1.9,1.95 --plan N=7e10,D=1.4e12
  bayescale optimal fit.nc --compute 1e24 --parabola        # isoFLOP runs: Approach 2 too
  bayescale optimal lc.nc --run r3 --final-tokens 2e10 --target-loss 2.6
  bayescale optimal founding.nc --target-loss 25 --halve   # one-input law: N for loss 25, and
                                                            # how much more N halves L - E
"""

#: How each quantity of a decision table is labelled in text.
LABELS = {
    "N_opt": "N* parameters", "D_opt": "D* tokens", "tokens_per_param": "D*/N* tokens/param",
    "loss": "L* loss", "a": "a  (N* ~ C^a)", "b": "b  (D* ~ C^b)",
    "gamma": "gamma  (L*-E ~ C^-gamma)", "halving_multiple": "x compute to halve L*-E",
    "C": "C compute (FLOPs)", "N_min": "N_min (unlimited data)",
    "D_min": "D_min (unlimited params)", "gpu_hours": "accelerator-hours", "cost": "cost",
    "excess_loss": "excess loss", "compute_wasted": "share of compute wasted",
    "D_stop": "D_stop tokens", "C_stop": "C_stop compute", "loss_stop": "loss at D_stop",
    "N": "N parameters", "D": "D tokens", "multiple": "x more (multiple)",
}


def add_parser(subparsers: Any) -> None:
    p = new_parser(subparsers, "optimal",
                   "Decisions from the posterior, per draw: the compute-optimal model size N*, "
                   "tokens D*, tokens per parameter and loss at each budget (--compute); the "
                   "compute needed to reach a target loss with P(reachable) (--target-loss); "
                   "the compute-efficient stopping point of a model size (--stop). Intervals "
                   "are equal-tailed.", EPILOG)
    p.add_argument("fit", help="NetCDF file written by 'bayescale fit'")
    p.add_argument("--compute", metavar="C1,C2,..", type=number_list,
                   help="budgets in FLOPs, e.g. 1e22,1e24,3.8e25")
    p.add_argument("--target-loss", metavar="L1,L2,..", type=number_list,
                   help="target losses: the compute (and N, D) needed to reach each")
    p.add_argument("--halve", metavar="X1,X2,..", nargs="?", const=[], type=number_list,
                   help="one-input laws: how many times more N (D or C) halves the reducible "
                        "loss L - E, from the largest run (or from these values)")
    p.add_argument("--stop", metavar="N1,N2,..", type=number_list,
                   help="model sizes: the tokens after which a larger model would use the "
                        "compute better")
    p.add_argument("--heuristic", metavar="D/N", type=number_list,
                   help="with --compute: regret of a tokens-per-parameter rule, e.g. 20")
    p.add_argument("--plan", metavar="N=..,D=..",
                   help="with --target-loss: P(loss < target) for this planned run; with "
                        "--compute: regret of a fixed N (N=..) or D (D=..)")
    p.add_argument("--run", metavar="RUN",
                   help="learning-curve fits: forecast this fitted run's final loss at "
                        "--final-tokens (and its stopping point)")
    p.add_argument("--final-tokens", metavar="D", type=number_list,
                   help="with --run: the tokens the run is planned to reach")
    p.add_argument("--parabola", action="store_true",
                   help="with --compute: also run the isoFLOP parabola baseline (Approach 2) "
                        "on the fit's runs and show it side by side")
    p.add_argument("--k", type=number_list, metavar="K",
                   help="FLOPs per parameter per token in C = k*N*D (default: the law's, 6)")
    p.add_argument("--unique", type=number_list, metavar="U",
                   help="unique tokens available (data-constrained law)")
    p.add_argument("--gpu-flops", type=number_list, metavar="FLOP/S",
                   help="peak FLOP/s of one accelerator, e.g. 9.89e14 (H100 BF16 dense): adds "
                        "accelerator-hours")
    p.add_argument("--mfu", type=number_list, metavar="FRACTION", default=[0.4],
                   help="model-FLOPs utilisation for --gpu-flops (default 0.4)")
    p.add_argument("--price", type=number_list, metavar="PER_HOUR",
                   help="price per accelerator-hour: adds a cost")
    add_prob(p)
    add_plot(p, "with --compute: write the frontier plot (N*, D* vs C; iso-loss map)")
    add_output(p, "write the tidy table as CSV")
    add_format(p)
    add_force(p, "replace output files that exist")
    add_quiet(p)


def outputs(args: argparse.Namespace) -> dict[str, str]:
    return {"output": "csv", "plot": "image"}


def plan(args: argparse.Namespace) -> dict[str, Any]:
    """Every check of the options before the fit is read: which questions, and their
    one-number options. Returns k, unique, cost and the parsed --plan."""
    from ...data.points import parse_point
    from ...decisions.cost import Cost

    if all(getattr(args, m) is None for m in ("compute", "target_loss", "stop", "run", "halve")):
        raise BayescaleError("give --compute, --target-loss, --halve, --stop or --run")
    if args.compute is not None and args.target_loss is not None:
        raise BayescaleError("give --compute or --target-loss, not both (run twice)")
    if args.stop is not None and args.target_loss is not None and args.run is None:
        raise BayescaleError("give --stop or --target-loss, not both (run twice)")
    if args.run is None and args.final_tokens:
        raise BayescaleError("--final-tokens goes with --run")
    if args.run is not None and args.compute is not None:
        raise BayescaleError("--run forecasts a fitted run; give it without --compute")
    if args.run is not None and args.final_tokens is None:
        raise BayescaleError("--run needs --final-tokens D (the tokens the run will reach)")
    if args.compute is None and (args.heuristic or args.parabola or args.plot):
        flag = "--heuristic" if args.heuristic else "--parabola" if args.parabola else "--plot"
        raise BayescaleError(f"{flag} goes with --compute")
    point = parse_point(args.plan) if args.plan else {}
    if args.compute is not None and (set(point) - {"N", "D"} or len(point) > 1):
        raise BayescaleError("with --compute, --plan gives one of N=.. or D=..")
    cost = None
    if args.gpu_flops is not None:
        cost = Cost(one(args.gpu_flops, "--gpu-flops"), one(args.mfu, "--mfu"),
                    one(args.price, "--price"))
    elif args.price is not None:
        raise BayescaleError("--price needs --gpu-flops (and optionally --mfu)")
    return {"k": one(args.k, "--k"), "unique": one(args.unique, "--unique"), "cost": cost,
            "plan": point, "heuristic": one(args.heuristic, "--heuristic")}


def run(args: argparse.Namespace) -> int:
    from ...data.points import percent
    from ...results.fit import load

    opts = plan(args)
    k, unique = opts["k"], opts["unique"]
    fit = load(args.fit)
    pct = f"{percent(args.prob)}%"
    approx = " (APPROXIMATE Laplace posterior)" if fit.method == "laplace" else ""
    tables: dict[str, Any] = {}
    texts: list[Callable[[], None]] = []
    if args.compute is not None:
        table = fit.optimal(args.compute, prob=args.prob, k=k, unique=unique, cost=opts["cost"])
        tables["optimal"] = table
        texts.append(lambda t=table: print_tidy(
            t, "C", f"{fit.law.name}: compute-optimal allocation, {pct} equal-tailed "
            f"intervals{approx}; C = {t.attrs['k']:g}*N*D ({t.attrs['method']})",
            lambda c, _: f"C = {c:.4g} FLOPs"))
        heuristic, point = opts["heuristic"], opts["plan"]
        if heuristic is not None or point:
            reg = fit.regret(args.compute, tokens_per_param=heuristic, N=point.get("N"),
                             D=point.get("D"), prob=args.prob, k=k, unique=unique)
            tables["regret"] = reg
            what = (f"{heuristic:g} tokens per parameter" if heuristic is not None else
                    ", ".join(f"{a}={b:g}" for a, b in point.items()))
            texts.append(lambda r=reg, w=what: print_tidy(
                r, "C", f"regret of the plan '{w}' against the optimum at the same compute "
                "(mean: the posterior expectation)",
                lambda c, row: f"C = {c:.4g} FLOPs: plan N = {row['N']:.4g}, D = {row['D']:.4g}"))
        if args.parabola:
            from ...evaluation.baselines import parabola_comparison

            tables["parabola"] = parabola_comparison(fit, args.compute, k=k)
            texts.append(lambda p=tables["parabola"]: print_parabola(p))
    elif args.target_loss is not None and args.stop is None and args.run is None:
        table = fit.compute_for_loss(args.target_loss, prob=args.prob, k=k, unique=unique,
                                     cost=opts["cost"])
        tables["target"] = table
        texts.append(lambda t=table: print_tidy(
            t, "target", f"{fit.law.name}: what it takes to reach each target loss, {pct} "
            f"equal-tailed intervals{approx}; 'never': an interval end falls among draws that "
            "never reach the target",
            lambda L, row: f"target loss {L:.4g}: P(reachable) = {row['p_reachable']:.3f}"))
        if args.plan:
            import pandas as pd

            rows = [fit.probability_below([opts["plan"]], t) for t in args.target_loss]
            prob_table = pd.concat(rows, ignore_index=True)
            tables["plan"] = prob_table
            texts.append(lambda p=prob_table: print(
                "planned run " + args.plan + ": " + "; ".join(
                    f"P(loss < {r.target:g}) = {r.p_mean_below:.3f} (law's mean), "
                    f"{r.p_observed_below:.3f} (observed, noise included)"
                    for r in p.itertuples())))
    if args.halve is not None:
        table = fit.halving(args.halve or None, prob=args.prob)
        tables["halving"] = table
        x = table.attrs["input"]
        texts.append(lambda t=table, x=x: print_tidy(
            t, "start", f"{fit.law.name}: how many times more {x} halves the reducible loss "
            f"(L - E; the law's mean), {pct} equal-tailed intervals{approx}",
            lambda s, row: f"from {x} = {s:.4g}: P(reached) = {row['p_reachable']:.3f}"))
    stop = args.stop
    if args.run is not None:
        from ...decisions.tables import run_forecast

        tables["run"] = run_forecast(fit, args.run, args.final_tokens, prob=args.prob,
                                     targets=args.target_loss)
        texts.append(lambda r=tables["run"]: print_run(r, args.run, pct))
        if stop is None:  # the stopping point of the run's own size
            stop = [float(tables["run"]["N"].iloc[0])]
    if stop is not None:
        table = fit.stopping(stop, prob=args.prob, k=k, unique=unique)
        tables["stop"] = table
        texts.append(lambda t=table: print_tidy(
            t, "N", f"{fit.law.name}: compute-efficient stopping point, {pct} equal-tailed "
            "intervals: past D_stop, a larger model would turn the same compute into lower loss",
            lambda n, _: f"model size N = {n:.4g}"))
    if args.plot is not None:
        from ...plot import frontier

        output.pyplot()
        axes = frontier(fit, compute=args.compute, k=k, unique=unique)
        output.write_figure(axes[0].figure, args.plot, force=args.force)
    emit(args, tables, texts)
    if args.plot is not None:
        output.say(args, f"wrote {args.plot}")
    return 0


def emit(args: argparse.Namespace, tables: dict[str, Any],
         texts: list[Callable[[], None]]) -> None:
    """Write the tables as one CSV (-o), or print them as CSV, JSON or text."""
    import pandas as pd

    if args.output is not None or args.format == "csv":
        both = pd.concat([t.assign(table=name) for name, t in tables.items()],
                         ignore_index=True)
        if args.output is not None:
            output.write_csv(args.output, both, force=args.force)
            output.say(args, f"wrote {args.output} ({len(both)} rows)")
        else:
            sys.stdout.write(both.to_csv(index=False))
    elif args.format == "json":
        out = {}
        for name, t in tables.items():
            attrs = {k: v for k, v in t.attrs.items() if k != "notes"}
            out[name] = {**_plain(attrs), "notes": list(t.attrs.get("notes", [])),
                         "rows": output.records(t)}
        output.print_json(out)
    else:
        for i, show in enumerate(texts):
            if i:
                print()
            show()
        for t in tables.values():
            for note in t.attrs.get("notes", []):
                print(f"note: {output.one_line(note)}")


def _plain(attrs: dict[str, Any]) -> Any:
    import json

    return json.loads(json.dumps(attrs, default=str))


def print_tidy(table: Any, key: str, title: str, heading: Callable[[Any, Any], str]) -> None:
    """A tidy decision table as text: a block per key value (budget, target, size), a line
    per quantity with its median and interval (and mean, when the table has one)."""
    print(title)
    if table.empty:
        print("  (nothing to report)")
        return
    cols = ["median", "lower", "upper"] + (["mean"] if "mean" in table.columns else [])
    for at, sub in table.groupby(key, sort=False):
        print(heading(at, sub.iloc[0]))
        rows = [[LABELS.get(q, q), *vals]
                for q, *vals in sub[["quantity", *cols]].itertuples(index=False)]
        print(output.render(["", *cols], rows, indent="  "))


def print_parabola(table: Any) -> None:
    print(f"isoFLOP parabola baseline (Approach 2, {table.attrs['budgets']} budgets, "
          f"a = {table.attrs['a_parabola']:.3f}) vs the posterior (full surface)")
    rows = [[f"{r.C:.3g}", r.quantity, f"{r.parabola:.3g}",
             f"{r.median:.3g} [{r.lower:.3g}, {r.upper:.3g}]",
             f"{100 * r.parabola_vs_median:+.1f}%"] for r in table.itertuples()]
    print(output.render(["C", "quantity", "parabola", "posterior median [interval]",
                         "parabola/median-1"], rows, left=0, widths=(9, 16, 10, 34, 17)))


def print_run(table: Any, run: str, pct: str) -> None:
    print(f"run {run}: forecast final loss (its own run effect), median [{pct} interval]")
    for r in table.to_dict("records"):
        extra = "".join(f", P(loss < {c[8:]}) = {r[c]:.3f}" for c in r if c.startswith("p_below"))
        print(f"  N={r['N']:.3g}, D={r['D']:.3g}: {r['median']:.4g} "
              f"[{r['lower']:.4g}, {r['upper']:.4g}] (observed: [{r['pp_lower']:.4g}, "
              f"{r['pp_upper']:.4g}]){extra}")
