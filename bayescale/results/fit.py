"""ScalingFit: posterior (or prior) draws plus the spec that produced them.

A fit is an immutable result. Everything it answers is a pure function of its draws and spec,
computed in numpy: ``summary``, ``predict``, ``bands`` and the decisions of
:mod:`bayescale.decisions` (``optimal``, ``compute_for_loss``, ``regret``, ``stopping``).
``save``/``bayescale.load`` round-trip it through NetCDF with no refit and no recompile.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..data.points import as_points, check_prob, parse_point, require_inputs
from ..data.runs import Runs
from ..decisions import tables as decisions
from ..diagnostics import checks
from ..model.predictive import PREDICTIVE_SEED, location_draws, predictive_draws
from ..model.spec import ModelSpec
from . import io
from .location import location_sample, predictive_offsets
from .predict import band_table, extrapolation_paths, interval_table

#: Most (draws × runs) elements the residual check holds at once.
RESIDUAL_BLOCK = 4_000_000
SUMMARY_COLUMNS = ("median", "mean", "sd", "lower", "upper", "r_hat", "ess_bulk", "ess_tail")


def make_datatree(runs: Runs, group: str, draws: Any, stats: Any = None) -> Any:
    """The DataTree of a fit: ``group`` (``posterior`` or ``prior``) on (chain, draw), numeric
    ``sample_stats`` when given, and the runs as ``constant_data`` (their inputs on ``run``) and
    ``observed_data`` (their response: loss or accuracy)."""
    import xarray as xr

    def clean(ds: Any) -> Any:
        ds = ds.copy()
        ds.attrs = {}
        for v in ds.variables.values():
            v.attrs = {}
        return ds

    run = np.arange(runs.n)
    table = runs.table
    groups = {group: clean(draws)}
    if stats is not None:
        groups["sample_stats"] = clean(stats)
    groups["constant_data"] = xr.Dataset(
        {k: ("run", table[k].to_numpy()) for k in table if k != runs.response},
        coords={"run": run})
    groups["observed_data"] = xr.Dataset(
        {runs.response: ("run", table[runs.response].to_numpy())}, coords={"run": run})
    return xr.DataTree.from_dict(groups)


class ScalingFit:
    """Draws of a scaling law's parameters with everything needed to use them.

    Attributes
    ----------
    dt : xarray.DataTree
        Groups ``posterior`` (or ``prior`` for a prior predictive), ``sample_stats`` (MCMC
        only), ``constant_data`` (the runs' N, D, C on dim ``run``) and ``observed_data``
        (their loss).
    spec : ModelSpec
        Law, likelihood, resolved priors, reference scales.
    runs : Runs
        The runs fitted.
    meta : dict
        Sampler settings and seed, timing, warnings, versions (stored in the file).
    """

    def __init__(self, dt: Any, spec: ModelSpec, runs: Runs, meta: Mapping[str, Any]) -> None:
        self.dt = dt
        self.spec = spec
        self.runs = runs
        self.meta = dict(meta)
        self.meta.setdefault("warnings", [])
        self.meta.setdefault("group", "posterior")

    # -- basic views ------------------------------------------------------------------------
    @property
    def law(self) -> Any:
        return self.spec.law

    @property
    def likelihood(self) -> Any:
        return self.spec.likelihood

    @property
    def group(self) -> str:
        """``"posterior"`` for a fit, ``"prior"`` for a prior predictive."""
        return str(self.meta["group"])

    @property
    def method(self) -> str:
        """``"mcmc"``, ``"laplace"`` (approximate, from ``method="map"``) or ``"prior"``."""
        return "prior" if self.group == "prior" else str(self.meta.get("method", "mcmc"))

    @property
    def warnings(self) -> list[str]:
        """Inference-quality warnings found when the fit was made."""
        return list(self.meta["warnings"])

    @property
    def draws_dataset(self) -> Any:
        return self.dt[self.group].to_dataset()

    @property
    def n_draws(self) -> int:
        ds = self.draws_dataset
        return int(ds.sizes["chain"] * ds.sizes["draw"])

    def draws(self) -> dict[str, np.ndarray]:
        """Natural-scale draws of every parameter, fixed ones included, flattened."""
        ds = self.draws_dataset
        free = {k: ds[k].to_numpy().reshape(-1) for k in self.spec.free_params}
        return self.spec.complete(free)

    # -- tables -----------------------------------------------------------------------------
    def summary(self, prob: float = 0.95) -> pd.DataFrame:
        """One row per sampled parameter: median, mean, sd, the equal-tailed ``prob`` interval
        (``lower``, ``upper``), R-hat and bulk/tail ESS. ``attrs`` holds ``prob``, the interval
        kind and the fixed parameters."""
        from ..diagnostics import convergence

        prob = check_prob(prob)
        ds = self.draws_dataset
        rows = {}
        for name in self.spec.free_params:
            a = ds[name].to_numpy()
            flat = a.reshape(-1)
            lo, med, hi = np.quantile(flat, [(1 - prob) / 2, 0.5, (1 + prob) / 2])
            mcmc = self.group == "posterior" and self.meta.get("method", "mcmc") == "mcmc"
            diag = convergence(a) if mcmc else dict.fromkeys(
                ("r_hat", "ess_bulk", "ess_tail"), float("nan"))
            rows[name] = {"median": med, "mean": flat.mean(), "sd": flat.std(ddof=1),
                          "lower": lo, "upper": hi, **diag}
        table = pd.DataFrame.from_dict(rows, orient="index", columns=list(SUMMARY_COLUMNS))
        table.index.name = "parameter"
        fixed = self.spec.fixed
        table.attrs.update({"prob": prob, "interval": "equal-tailed", "fixed": fixed,
                            "group": self.group, "method": self.method})
        return table

    def predict(self, points: Any, prob: float = 0.95) -> pd.DataFrame:
        """Predicted loss at new points.

        Parameters
        ----------
        points : DataFrame, mapping of columns, list of dicts, or ``"N=7e10,D=1.4e12"``
            The law's inputs (N, D or C; for an (N, D) law, N and C also work). Other columns
            are kept.
        prob : float
            Probability of the equal-tailed intervals (default 0.95).

        Returns
        -------
        DataFrame
            The input columns plus ``median``, ``lower``, ``upper`` (interval of the law's mean)
            and ``pp_lower``, ``pp_upper`` (posterior predictive: a new run's loss, noise
            included), and ``scale_up_N``/``_D``/``_C``: the extrapolation distance, each input
            over its largest observed value (a warning fires above 30x).
            ``attrs["prob"]`` states the probability.
        """
        import warnings

        from ..errors import ExtrapolationWarning

        if isinstance(points, str):
            points = [parse_point(points)]
        if isinstance(points, list) and all(isinstance(p, Mapping) for p in points):
            for p in points:
                require_inputs(p, self.law, "point")
        table = as_points(points, self.law, columns=self.runs.columns)
        draws = self.draws()
        # points in blocks: (draws × points) arrays stay a few tens of MB for long tables
        step = max(1, RESIDUAL_BLOCK // max(1, self.n_draws))
        parts, notes = [], []
        for i, start in enumerate(range(0, len(table), step)):
            block = table.iloc[start:start + step]
            offset, new_run_sd = predictive_offsets(self, block, draws)
            part = interval_table(block, self.law, self.likelihood, draws, prob, offset=offset,
                                  new_run_sd=new_run_sd, seed=PREDICTIVE_SEED + i)
            raw = location_draws(self.law, draws, block)  # before any clipping
            notes += [n for n in self.law.prediction_checks(part, raw) if n not in notes]
            parts.append(part)
        out = pd.concat(parts) if len(parts) > 1 else parts[0]
        out.attrs = dict(parts[0].attrs)
        for key, largest in self.runs.maxima().items():
            if key in out and key in (*self.law.inputs, "C"):
                out[f"scale_up_{key}"] = out[key].to_numpy(dtype=float) / largest
        message = checks.extrapolation_warning(out, self.runs.maxima(),
                                               hint=self.discrepancy is None)
        if message:
            warnings.warn(message, ExtrapolationWarning, stacklevel=2)
        out.attrs["extrapolation_warning"] = message
        for note in notes:
            warnings.warn(note, ExtrapolationWarning, stacklevel=2)
        return out

    def run_effects(self) -> np.ndarray | None:
        """Draws of each fitted run's effect on the log loss, shape (draws, runs), for laws with
        run effects (runs in the order of :attr:`Runs.groups`); else None."""
        ds = self.draws_dataset
        if "run_effect" not in ds:
            return None
        return ds["run_effect"].to_numpy().reshape(-1, ds.sizes["group"])

    @property
    def discrepancy(self) -> Any:
        """The model-discrepancy term
        (:class:`~bayescale.results.discrepancy.Discrepancy`) or None."""
        from .discrepancy import Discrepancy

        data = self.meta.get("discrepancy")
        return Discrepancy.from_dict(data) if data else None

    def with_discrepancy(self, discrepancy: Any) -> ScalingFit:
        """A copy whose predictions include ``discrepancy``: a
        :class:`~bayescale.results.discrepancy.Discrepancy`, a number δ, or None to remove it.
        Nothing is refitted; to learn δ from the runs (which refits) use
        :func:`bayescale.evaluation.learn_discrepancy` or ``bayescale.fit(...,
        discrepancy="auto")``."""
        from .discrepancy import Discrepancy, resolve

        if not isinstance(discrepancy, Discrepancy):
            discrepancy = resolve(discrepancy, self.runs.table, self.law)
        meta = {**self.meta, "discrepancy": discrepancy.to_dict() if discrepancy else None}
        return ScalingFit(self.dt, self.spec, self.runs, meta)

    def predictive_offsets(self, points: pd.DataFrame, draws: Mapping[str, np.ndarray]
                           ) -> tuple[np.ndarray | None, np.ndarray | None]:
        """What the fit adds to the law's location at ``points`` (run effects, discrepancy):
        see :func:`bayescale.results.location.predictive_offsets`."""
        return predictive_offsets(self, points, draws)

    def bands(self, to: Sequence[Mapping[str, float] | str] | None = None,
              probs: Sequence[float] = (0.5, 0.95), n: int = 120) -> pd.DataFrame:
        """Data twin of :func:`bayescale.plot.extrapolation`: the median and bands of the mean
        (and the posterior predictive) along paths from the data out to the targets ``to``."""
        targets = [parse_point(t) if isinstance(t, str) else dict(t) for t in (to or [])]
        path = extrapolation_paths(self.law, self.runs.table, targets, n=n)
        draws = self.draws()
        offset, new_run_sd = predictive_offsets(self, path, draws)
        return band_table(path, self.law, self.likelihood, draws, probs, new_run_sd=new_run_sd,
                          offset=offset)

    # -- decisions (bayescale.decisions) -----------------------------------------------------
    def optimal(self, compute: float | Sequence[float], *, prob: float = 0.95,
                k: float | None = None, unique: float | None = None,
                cost: Any = None) -> pd.DataFrame:
        """Compute-optimal N*, D*, tokens per parameter, L*, exponents at each budget, per
        draw, summarised (tidy). See :func:`bayescale.decisions.optimal`."""

        return decisions.optimal(self, compute, prob=prob, k=k, unique=unique, cost=cost)

    def compute_for_loss(self, target: float | Sequence[float], *, prob: float = 0.95,
                         k: float | None = None, unique: float | None = None,
                         cost: Any = None) -> pd.DataFrame:
        """Compute (and allocation) needed to reach each target loss, with P(reachable). See
        :func:`bayescale.decisions.compute_for_loss`."""

        return decisions.compute_for_loss(self, target, prob=prob, k=k, unique=unique, cost=cost)

    def halving(self, start: float | Sequence[float] | None = None, *,
                prob: float = 0.95) -> pd.DataFrame:
        """For a one-input law, how many times more of its input halves the reducible loss.
        See :func:`bayescale.decisions.halving`."""

        return decisions.halving(self, start, prob=prob)

    def regret(self, compute: float | Sequence[float], *, tokens_per_param: float | None = None,
               N: float | None = None, D: float | None = None, prob: float = 0.95,
               k: float | None = None, unique: float | None = None) -> pd.DataFrame:
        """Expected excess loss and wasted compute of a heuristic plan. See
        :func:`bayescale.decisions.regret`."""

        return decisions.regret(self, compute, tokens_per_param=tokens_per_param, N=N, D=D,
                                prob=prob,
                      k=k, unique=unique)

    def probability_below(self, points: Any, target: float) -> pd.DataFrame:
        """P(loss < target) at planned runs. See :func:`bayescale.decisions.probability_below`."""

        if isinstance(points, str):
            points = [parse_point(points)]
        return decisions.probability_below(self, points, target)

    def stopping(self, N: float | Sequence[float], *, prob: float = 0.95,
                 k: float | None = None, unique: float | None = None) -> pd.DataFrame:
        """Compute-efficient stopping point of a model of size N. See
        :func:`bayescale.decisions.stopping`."""

        return decisions.stopping(self, N, prob=prob, k=k, unique=unique)

    @property
    def diagnostics(self) -> dict[str, Any]:
        """Sampler-level numbers: divergences, draws, chains, sampling seconds."""
        out: dict[str, Any] = {"group": self.group, "draws": self.n_draws,
                               "chains": int(self.draws_dataset.sizes["chain"])}
        if "sample_stats" in self.dt.children:
            stats = self.dt["sample_stats"].to_dataset()
            if "diverging" in stats:
                out["divergences"] = int(stats["diverging"].sum())
            if self.meta.get("gradient_evaluations") is not None:  # tuning included
                out["gradient_evaluations"] = int(self.meta["gradient_evaluations"])
            elif "n_steps" in stats:
                out["gradient_evaluations"] = int(stats["n_steps"].sum())
        for key in ("compile_seconds", "sampling_seconds"):
            if key in self.meta:
                out[key] = self.meta[key]
        return out

    # -- what the data taught, and how well the law fits them --------------------------------
    def shrinkage(self) -> pd.DataFrame:
        """Prior vs posterior sd of each sampled parameter and ``shrinkage = 1 −
        var(post)/var(prior)`` (log scale for positive parameters): near 0 means the prior,
        not the data, sets it. See :func:`bayescale.diagnostics.checks.shrinkage`."""
        return checks.shrinkage(self.spec, self.draws())

    def residuals(self, prob: float = 0.95) -> pd.DataFrame:
        """Posterior predictive check on the fitted runs: per run its inputs, ``observed``,
        ``fitted`` (median of the law's mean, a fitted run's effect included), the ``prob``
        interval of a new observation (``pp_lower``, ``pp_upper``), ``residual`` (observed −
        fitted on the likelihood's scale: log loss, or accuracy) and ``pit`` (the predictive
        CDF at the observation; uniform when the noise model is right)."""
        prob = check_prob(prob)
        table = self.runs.table.copy()
        draws = self.draws()
        observed = self.runs.y
        q = [(1 - prob) / 2, (1 + prob) / 2]
        centre, lo, hi, pit = (np.empty(len(table)) for _ in range(4))
        # runs in blocks: (draws × runs) arrays stay a few tens of MB on large tables
        step = max(1, RESIDUAL_BLOCK // max(1, self.n_draws))
        for i, start in enumerate(range(0, len(table), step)):
            part = slice(start, start + step)
            # fitted runs: their own effects
            location = location_sample(self, table.iloc[part], draws)
            simulated = predictive_draws(self.likelihood, location, draws,
                                         seed=PREDICTIVE_SEED + i)
            centre[part] = np.median(location, axis=0)
            lo[part], hi[part] = np.quantile(simulated, q, axis=0)
            pit[part] = (simulated < observed[None, part]).mean(axis=0)
        out = table[[c for c in table.columns if c in (*self.law.inputs, "C", "run_id")]].copy()
        out["observed"] = observed
        out["fitted"] = self.likelihood.natural(centre)
        out["pp_lower"], out["pp_upper"] = lo, hi
        out["residual"] = self.likelihood.link(observed) - centre
        out["pit"] = pit
        out.attrs.update({"prob": prob, "scale": "log" if self.law.response == "loss"
                          else "accuracy"})
        return out

    def ppc(self) -> dict[str, Any]:
        """Numbers of the posterior predictive check: the PIT's distance from uniform
        (Kolmogorov–Smirnov), in-sample coverage of the 50/80/95% predictive intervals, and
        per log input the share of residual variance a quadratic trend explains (R², p)."""
        table = self.residuals()
        out: dict[str, Any] = checks.pit_summary(table["pit"].to_numpy())
        for k in ("N", "D", "C"):
            if k in table and table[k].nunique() >= 4:
                r2, p = checks.residual_trend(np.log(table[k].to_numpy(dtype=float)),
                                              table["residual"].to_numpy(dtype=float))
                out[f"trend_{k}"] = {"r2": r2, "p": p}
        return out

    def check(self) -> list[str]:
        """Recompute the inference-quality warnings from the draws."""
        out: list[str] = []
        if self.group == "posterior" and "sample_stats" in self.dt.children:
            stats = {k: v.to_numpy() for k, v in self.dt["sample_stats"].to_dataset().items()}
            out += checks.convergence_warnings(self.summary(), stats, self.n_draws)
        if self.group == "posterior":
            out += list(self.meta.get("approximation_messages", []))
            draws = self.draws()
            out += checks.bound_warnings(self.spec, draws)
            out += checks.design_warnings(self.spec, self.runs)
            out += self.law.checks(self.spec, draws)
            out += checks.shrinkage_warnings(checks.shrinkage(self.spec, draws),
                                             spec=self.spec, runs=self.runs)
            out += checks.residual_warnings(self.residuals(),
                                            [k for k in ("N", "D", "C") if k in self.runs.table])
            huge = self.discrepancy.warning() if self.discrepancy is not None else None
            out += [huge] if huge else []
        return out

    # -- persistence ------------------------------------------------------------------------
    def save(self, path: str | Path, *, overwrite: bool = False) -> Path:
        """Write to NetCDF (``.nc``; see :mod:`bayescale.io`). Refuses to replace an existing
        file unless ``overwrite=True``."""
        return io.save(self, path, overwrite=overwrite)

    def __repr__(self) -> str:
        what = {"prior": "prior predictive", "mcmc": "posterior",
                "laplace": "approximate posterior (Laplace)"}[self.method]
        return (
            f"<ScalingFit {self.law.name} ({self.likelihood.name}), {what}: "
            f"{self.n_draws} draws, {self.runs.counted}, {len(self.warnings)} warnings>"
        )


def load(path: str | Path) -> ScalingFit:
    """Load a fit saved by :meth:`ScalingFit.save` (NetCDF); no refit, no recompile."""
    return ScalingFit(*io.read(path))
