"""Allocation numerics on (law, draws): compute-optimal allocation and the inverse questions.

Everything here is numpy on posterior draws (no PyMC): each quantity is computed **per draw** and
then summarised, so its interval carries the whole posterior (modeling.md §3).

* :func:`allocation_draws` — for a budget ``C = k·N·D``: the loss-minimising ``N*``, ``D*``,
  tokens per parameter ``D*/N*``, the loss there ``L*``, the allocation exponents ``a``
  (``N* ∝ C^a``) and ``b`` (``D* ∝ C^b``) and the frontier exponent ``gamma``
  (``L* − E ∝ C^−gamma``). For ``chinchilla`` (and ``learning_curve``) in closed form
  (Hoffmann Eq. 4); for any other law with inputs N and D (data-constrained, joint Kaplan,
  custom) by a vectorised minimisation along each isoFLOP line (a grid in ``log N``, then
  :func:`scipy.optimize.elementwise.find_minimum` in the grid's best bracket), with the
  exponents as local slopes. Compute-only laws give
  ``L(C)``.
* :func:`compute_for_loss_draws` — the compute that first reaches a target loss, its allocation,
  and (for laws with terms in N and D) the smallest N at unlimited data and the fewest tokens at
  unlimited size. Draws that never reach the target (``E ≥ target``) get ``inf``; tables report
  ``P(reachable)`` next to intervals that keep those draws (so an upper end may be ``inf``).
  One-input loss laws (in N, D or C) answer with the value of their input that reaches the
  target.
* :func:`halving_draws` — for a one-input loss law, how many times more of its input halves the
  reducible loss (``L − E``) from a starting value (``2^(1/α)`` for ``E + A·X^-α``).
* :func:`stopping_draws` — for a model of size N, the tokens at which it stops being the
  compute-optimal size: beyond them, spending the same compute on a larger model buys more.

The tables (:func:`optimal`, :func:`compute_for_loss`, :func:`regret`,
:func:`probability_below`, :func:`stopping`) are tidy: one row per (budget or target, quantity)
with ``median``, ``lower``, ``upper`` (equal-tailed, ``prob``), and ``mean`` where an expectation
is the quantity users want (the regret).

Layer: ``decisions``; numpy on (law, draws) only: no fit object, no PyMC.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
from scipy.optimize import elementwise

from ..errors import SpecError, shown
from ..laws import Law
from ..laws.chinchilla import Chinchilla

#: Half-width, in ``ln N``, of the search along an isoFLOP line around ``N = sqrt(C/k)``:
#: tokens per parameter from ``e^-40`` ≈ 4e-18 to ``e^40`` ≈ 2e17.
SEARCH_HALF_WIDTH = 20.0
#: Grid points of the coarse search (step 1 in ``ln N``); the best point and its neighbours are
#: the bracket that :func:`scipy.optimize.elementwise.find_minimum` refines.
SEARCH_POINTS = 41
#: Absolute tolerance, in ``ln N``, of that refinement (relative tolerance 0), and its most
#: iterations (Chandrupatla's method: parabolic steps, golden sections as fallback). Rounding of
#: the loss near its flat minimum already blurs ``ln N*`` by a few 1e-7, so a finer tolerance
#: only adds iterations.
LOG_N_XTOL = 1e-7
MINIMISE_MAXITER = 100
#: Search range (log10 FLOPs) of inverse questions solved numerically, and the tolerances of
#: :func:`scipy.optimize.elementwise.find_root` there: absolute, in the root's variable (a log)
#: and in the function's value (a log of a loss gap or of N), and its most iterations.
LOG10_C_RANGE = (0.0, 60.0)
ROOT_XTOL = 1e-10
ROOT_FTOL = 1e-12
ROOT_MAXITER = 60
#: Stand-in for the (log) loss where the law overflows or is undefined, worse than any real
#: loss: the scipy solvers stop on non-finite values.
_HUGE = 1e100
#: Step in ``ln C`` of the local slopes that give numerical allocation exponents.
SLOPE_STEP = 0.05

FORWARD_QUANTITIES = ("N_opt", "D_opt", "tokens_per_param", "loss", "a", "b", "gamma",
                      "halving_multiple")
QUANTITY_DOC = {
    "N_opt": "compute-optimal parameters N*",
    "D_opt": "compute-optimal tokens D*",
    "tokens_per_param": "tokens per parameter D*/N*",
    "loss": "loss at the optimum L* (the law's mean)",
    "a": "allocation exponent a (N* ∝ C^a)",
    "b": "allocation exponent b (D* ∝ C^b)",
    "gamma": "frontier exponent (L* − E ∝ C^-gamma)",
    "halving_multiple": "compute multiple that halves the reducible loss",
    "C": "compute (FLOPs)",
    "N": "parameters N that reach the target (one-input law in N)",
    "D": "tokens D that reach the target (one-input law in D)",
    "multiple": "times more of the input that halves the reducible loss",
    "N_min": "smallest N that reaches the target with unlimited data",
    "D_min": "fewest tokens that reach the target with unlimited parameters",
    "gpu_hours": "accelerator-hours",
    "cost": "cost (price × hours)",
    "excess_loss": "loss above the optimum at the same compute",
    "compute_wasted": "share of the budget the optimum would not need for the same loss",
    "D_stop": "tokens at which N stops being compute-optimal",
    "C_stop": "compute at that point",
    "loss_stop": "loss at that point",
}


# -- which laws support what -----------------------------------------------------------------
def has_allocation(law: Law) -> bool:
    """True for loss laws in N and D (an allocation between them exists)."""
    return law.response == "loss" and {"N", "D"} <= set(law.inputs)


def is_compute_only(law: Law) -> bool:
    return law.response == "loss" and tuple(law.inputs) == ("C",)


def is_one_input(law: Law) -> bool:
    """True for loss laws of one input (N, D or C): they answer inverse questions in it."""
    return law.response == "loss" and len(law.inputs) == 1


def closed_form(law: Law) -> bool:
    """True when Hoffmann's closed form applies (``E + A/N^α + B/D^β``)."""
    return isinstance(law, Chinchilla)


def _require_loss_law(law: Law, what: str, one_input: bool = False) -> None:
    """Refuse a law that cannot answer ``what`` (``one_input``: laws of one input can)."""
    if law.response != "loss":
        raise SpecError(f"{what}: law {law.name!r} predicts {law.response}, not loss; "
                        "compute-optimal questions need a loss law")
    if one_input and is_one_input(law):
        return
    if not (has_allocation(law) or is_compute_only(law)):
        raise SpecError(f"{what}: law {law.name!r} has inputs {', '.join(law.inputs)}; "
                        "compute-optimal questions need a law in N and D (e.g. chinchilla) "
                        "or in compute C (e.g. compute)")


def check_k(k: float | None, law: Law) -> float:
    k = law.compute_k if k is None else k
    try:
        k = float(k)
    except (TypeError, ValueError):
        raise SpecError(f"k must be a number, got {k!r}") from None
    if not (math.isfinite(k) and k > 0):
        raise SpecError(f"k must be a positive number (FLOPs per parameter per token), got {k}")
    return k


def positive_values(values: float | Sequence[float], name: str = "compute") -> np.ndarray:
    arr = np.atleast_1d(np.asarray(values, dtype=float)).reshape(-1)
    if arr.size == 0:
        raise SpecError(f"{name}: give at least one value")
    bad = ~(np.isfinite(arr) & (arr > 0))
    if bad.any():
        raise SpecError(f"{name}: {arr[bad][0]!r} is not a positive finite number")
    if name == "compute":
        lo, hi = (10.0 ** v for v in LOG10_C_RANGE)
        outside = arr[(arr < lo * (1 - 1e-9)) | (arr > hi * (1 + 1e-9))]
        if outside.size:
            raise SpecError(f"compute={outside[0]:.3g}: FLOPs outside the range bayescale "
                            f"answers in, {lo:g} to {hi:g}")
    return arr


def _column(theta: Mapping[str, Any], *extra: int) -> dict[str, np.ndarray]:
    """Draws as columns (S, 1, ...) that broadcast against budgets (and grids)."""
    shape = (-1,) + (1,) * (1 + len(extra))
    return {k: np.asarray(v, dtype=float).reshape(shape) for k, v in theta.items()}


def _n_draws(theta: Mapping[str, Any]) -> int:
    return len(np.asarray(next(iter(theta.values()))).reshape(-1))


# -- the law along an isoFLOP line ---------------------------------------------------------
class _Fixed(NamedTuple):
    """What stays fixed along an isoFLOP line besides the draws: ``ln U`` (unique tokens
    available, for laws with a U input) and ``ln k`` (for laws that also read C = k·N·D)."""

    log_u: float | None
    log_k: float


def _fixed(law: Law, unique: float | None, k: float) -> _Fixed:
    return _Fixed(_check_unique(law, unique), math.log(k))


def _log_loss_nd(law: Law, th: Mapping[str, np.ndarray], log_n: np.ndarray, log_d: np.ndarray,
                 fx: _Fixed) -> np.ndarray:
    logx: dict[str, Any] = {"N": log_n, "D": log_d}
    if "U" in law.inputs:  # a run uses at most D of the unique tokens available
        logx["U"] = np.minimum(np.broadcast_to(fx.log_u, np.shape(log_d)), log_d)
    if "C" in law.inputs:  # a custom law may use C as well: C = k·N·D
        logx["C"] = log_n + log_d + fx.log_k
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        out = np.asarray(law.location(np, logx, th), dtype=float)
    return np.where(np.isnan(out), np.inf, out)


def _check_unique(law: Law, unique: float | None) -> float | None:
    if "U" not in law.inputs:
        if unique is not None:
            raise SpecError(f"unique={shown(unique)}: law {law.name!r} has no unique-token "
                            "input (it applies to the data-constrained law)")
        return None
    if unique is None:
        raise SpecError(f"law {law.name!r} needs the unique tokens available: unique="
                        "(the most unique tokens there are)")
    return float(np.log(positive_values(unique, "unique")[0]))


def _numeric_log_n(law: Law, th: Mapping[str, np.ndarray], x: np.ndarray,
                   fx: _Fixed, strict: bool = True) -> np.ndarray:
    """``ln N*`` minimising the law along ``ln N + ln D = x`` (x = ln(C/k)), shape of ``x``
    broadcast against the draws. Where the minimum is not inside the search range: NaN, or
    with ``strict=False`` the best end of the range (an upper bound on the frontier's loss,
    which keeps root finding far out, e.g. at 1e60 FLOPs, monotone)."""
    x = np.asarray(x, dtype=float)
    offsets = np.linspace(-SEARCH_HALF_WIDTH, SEARCH_HALF_WIDTH, SEARCH_POINTS)
    u = x[..., None] / 2.0 + offsets  # (..., grid)
    th_grid = {k: v[..., None] for k, v in th.items()}
    f_grid = _log_loss_nd(law, th_grid, u, x[..., None] - u, fx)
    best = np.argmin(f_grid, axis=-1)
    inside = (best > 0) & (best < SEARCH_POINTS - 1) & np.isfinite(np.min(f_grid, axis=-1))
    step = offsets[1] - offsets[0]
    centre = x / 2.0 + offsets[np.clip(best, 1, SEARCH_POINTS - 2)]

    names = tuple(th)

    def along(v: np.ndarray, x: np.ndarray, *values: np.ndarray) -> np.ndarray:
        out = _log_loss_nd(law, dict(zip(names, values, strict=True)), v, x - v, fx)
        return np.nan_to_num(out, nan=_HUGE, posinf=_HUGE, neginf=-_HUGE)

    # elementwise: scipy passes each argument reduced to the elements still iterating; its
    # parabolic step divides 0 by 0 where the law is flat (then it takes a golden section)
    with np.errstate(invalid="ignore", divide="ignore"):
        res = elementwise.find_minimum(along, (centre - step, centre, centre + step),
                                       args=(x, *(th[name] for name in names)),
                                       tolerances={"xatol": LOG_N_XTOL, "xrtol": 0.0},
                                       maxiter=MINIMISE_MAXITER)
    log_n = np.where(np.isfinite(res.x), res.x, centre)  # NaN only where not `inside`
    if strict:
        return np.where(inside, log_n, np.nan)
    return np.where(inside, log_n, x / 2.0 + offsets[best])


# -- allocation --------------------------------------------------------------------------------
def _chinchilla_terms(th: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    alpha, beta = th["alpha"], th["beta"]
    log_g = (np.log(alpha * th["A"]) - np.log(beta * th["B"])) / (alpha + beta)
    a = beta / (alpha + beta)
    gamma = alpha * beta / (alpha + beta)
    log_k = np.logaddexp(np.log(th["A"]) - alpha * log_g, np.log(th["B"]) + beta * log_g)
    return {"log_g": log_g, "a": a, "b": 1.0 - a, "gamma": gamma, "log_K": log_k}


def allocation_draws(law: Law, theta: Mapping[str, Any], compute: float | Sequence[float], *,
                     k: float | None = None, unique: float | None = None
                     ) -> dict[str, np.ndarray]:
    """Per-draw compute-optimal quantities at each budget, arrays of shape (draws, budgets).

    Keys: ``N_opt``, ``D_opt``, ``tokens_per_param``, ``loss``, ``a``, ``b``, ``gamma``,
    ``halving_multiple`` for laws in N and D; ``loss``, ``gamma`` (where defined) and
    ``halving_multiple`` for compute-only laws. ``k`` is the FLOPs per parameter per token of
    ``C = k·N·D`` (default: the law's, 6); ``unique`` the unique tokens available, for laws
    with a U input.
    """
    _require_loss_law(law, "allocation")
    c = positive_values(compute)
    k = check_k(k, law)
    th = _column(theta)
    s = _n_draws(theta)
    if is_compute_only(law):
        log_c = np.log(c)[None, :]
        loss = np.exp(_log_loss_x(law, th, log_c))
        out = {"loss": loss}
        floor = _floor(law, th)
        gamma = _single_exponent(law, th)
        if gamma is not None:
            out["gamma"] = np.broadcast_to(gamma, loss.shape).copy()
            out["halving_multiple"] = np.broadcast_to(2.0 ** (1.0 / gamma), loss.shape).copy()
        else:
            half = floor + 0.5 * (loss - floor)
            out["halving_multiple"] = _input_for_loss(law, th, half) / c[None, :]
        return out
    x = np.log(c / k)[None, :]
    fx = _fixed(law, unique, k)
    if closed_form(law):
        t = _chinchilla_terms(th)
        log_n = t["log_g"] + t["a"] * x
        log_d = x - log_n
        shape = (s, len(c))
        a, b = (np.broadcast_to(t[key], shape).copy() for key in ("a", "b"))
        gamma = np.broadcast_to(t["gamma"], shape).copy()
        halving = 2.0 ** (1.0 / gamma)
    else:
        log_n = _numeric_log_n(law, th, x, fx)
        log_d = x - log_n
        hi = _numeric_log_n(law, th, x + SLOPE_STEP, fx)
        lo = _numeric_log_n(law, th, x - SLOPE_STEP, fx)
        a = (hi - lo) / (2 * SLOPE_STEP)
        b = 1.0 - a
        loss_hi = np.exp(_log_loss_nd(law, th, hi, x + SLOPE_STEP - hi, fx))
        loss_lo = np.exp(_log_loss_nd(law, th, lo, x - SLOPE_STEP - lo, fx))
        floor = _floor(law, th)
        with np.errstate(invalid="ignore", divide="ignore"):
            gamma = -(np.log(loss_hi - floor) - np.log(loss_lo - floor)) / (2 * SLOPE_STEP)
        halving = None
    loss = np.exp(_log_loss_nd(law, th, log_n, log_d, fx))
    if halving is None:
        with np.errstate(invalid="ignore"):
            target = floor + 0.5 * (loss - floor)
        halving = np.exp(_compute_for_nd(law, th, target, k, fx)[0] - np.log(c)[None, :])
    return {"N_opt": np.exp(log_n), "D_opt": np.exp(log_d),
            "tokens_per_param": np.exp(log_d - log_n), "loss": loss, "a": a, "b": b,
            "gamma": gamma, "halving_multiple": halving}


def _floor(law: Law, th: Mapping[str, np.ndarray]) -> np.ndarray | float:
    """The irreducible loss of each draw: the law's floor parameter; for a custom law, its
    parameter named ``E`` if it has one; else 0 (Kaplan's laws have no floor)."""
    floors = [p.name for p in law.params if p.kind == "floor"]
    if not floors and law.name == "custom" and "E" in law.param_names:
        floors = ["E"]
    return th[floors[0]] if floors else 0.0


def _single_exponent(law: Law, th: Mapping[str, np.ndarray]) -> np.ndarray | None:
    """The exponent of a one-term additive law (``E + A·X^-gamma``), else None."""
    if not law.additive:
        return None
    amps = [p for p in law.params if p.kind == "amplitude"]
    return th[amps[0].exponent] if len(amps) == 1 else None


def _log_loss_x(law: Law, th: Mapping[str, np.ndarray], log_x: np.ndarray) -> np.ndarray:
    """Log loss of a one-input law at ``log_x`` (its input)."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return np.asarray(law.location(np, {law.inputs[0]: log_x}, th), dtype=float)


# -- inverse questions -------------------------------------------------------------------------
def _root(decreasing: Callable[[np.ndarray, dict[str, np.ndarray]], np.ndarray],
          th: Mapping[str, np.ndarray], target: np.ndarray, lo: float, hi: float
          ) -> np.ndarray:
    """Per element, the x in [lo, hi] where ``decreasing(x, th) = target``: ``inf`` where even
    ``hi`` does not reach the target, ``lo`` where ``lo`` already does.

    :func:`scipy.optimize.elementwise.find_root` (Chandrupatla's bracketing method, inverse
    quadratic steps with bisection as fallback): callers pass functions that are close to linear
    in x (logs of power laws), so it converges in a handful of steps where bisection would need
    dozens, each step being a full minimisation along an isoFLOP line. ``decreasing`` gets the
    draws ``th`` reduced to the elements still iterating, like ``x``."""
    names = tuple(th)

    def h(x: np.ndarray, target: np.ndarray, *values: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", over="ignore"):
            value = decreasing(x, dict(zip(names, values, strict=True))) - target
        return np.nan_to_num(value, nan=-1e6, posinf=1e6, neginf=-1e6)

    res = elementwise.find_root(h, (lo, hi), args=(target, *(th[name] for name in names)),
                                tolerances={"xatol": ROOT_XTOL, "xrtol": 0.0,
                                            "fatol": ROOT_FTOL},
                                maxiter=ROOT_MAXITER)
    # no sign change between lo and hi: the solver stops at once with the values at the ends
    f_lo, f_hi = res.f_bracket
    unbracketed = res.status == -1
    never, already = unbracketed & (f_hi > 0), unbracketed & (f_lo <= 0)
    return np.where(never, np.inf, np.where(already, lo, res.x))


def _input_for_loss(law: Law, th: Mapping[str, np.ndarray], target: np.ndarray
                    ) -> np.ndarray:
    """The value of a one-input law's input at which it reaches ``target`` (draws, targets);
    ``inf`` beyond 1e60."""
    target = np.broadcast_to(target, np.broadcast_shapes(target.shape, (_len(th), 1)))
    lo, hi = (v * math.log(10.0) for v in LOG10_C_RANGE)
    log_x = _root(lambda v, t: _log_gap(np.exp(_log_loss_x(law, t, v)), _floor(law, t)), th,
                  _log_gap(target, _floor(law, th)), lo, hi)
    return np.exp(log_x)


def _log_gap(loss: np.ndarray, floor: np.ndarray) -> np.ndarray:
    """``log(loss − floor)`` (−inf at or below the floor): nearly linear in log compute."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.log(np.where(loss > floor, loss - floor, 0.0))


def _len(th: Mapping[str, np.ndarray]) -> int:
    return int(np.asarray(next(iter(th.values()))).shape[0])


def _compute_for_nd(law: Law, th: Mapping[str, np.ndarray], target: np.ndarray, k: float,
                    fx: _Fixed) -> tuple[np.ndarray, np.ndarray]:
    """``(ln C, ln N*)`` at which the frontier of an (N, D) law reaches ``target``."""
    target = np.broadcast_to(target, np.broadcast_shapes(np.shape(target), (_len(th), 1)))
    if closed_form(law):
        t = _chinchilla_terms(th)
        with np.errstate(invalid="ignore", divide="ignore"):
            log_gap = np.log(target - th["E"])
        reachable = target > th["E"]
        x = np.where(reachable, (t["log_K"] - log_gap) / t["gamma"], np.inf)
        log_n = np.where(reachable, t["log_g"] + t["a"] * x, np.inf)
        return x + math.log(k), log_n

    def frontier(x: np.ndarray, t: dict[str, np.ndarray]) -> np.ndarray:
        log_n = _numeric_log_n(law, t, x, fx, strict=False)
        loss = np.exp(_log_loss_nd(law, t, log_n, x - log_n, fx))
        return np.where(np.isnan(log_n), np.inf, _log_gap(loss, _floor(law, t)))

    lo, hi = (v * math.log(10.0) - math.log(k) for v in LOG10_C_RANGE)
    x = _root(frontier, th, _log_gap(target, _floor(law, th)), lo, hi)
    finite = np.isfinite(x)
    log_n = np.full(x.shape, np.inf)
    if finite.any():
        log_n = np.where(finite, _numeric_log_n(law, th, np.where(finite, x, 0.0), fx),
                         np.inf)
    return x + math.log(k), log_n


def _minimal_input(law: Law, th: Mapping[str, np.ndarray], target: np.ndarray, name: str
                   ) -> np.ndarray | None:
    """For an additive law ``E + Σ A·X^-a``: the X that reaches ``target`` when every other
    term has vanished, ``(A/(target − E))^(1/a)``; None when the law has no such term."""
    if not law.additive or "U" in law.inputs:
        return None
    term = next((p for p in law.params if p.kind == "amplitude" and p.input == name), None)
    if term is None:
        return None
    gap = target - _floor(law, th)  # additive laws have a floor parameter
    with np.errstate(invalid="ignore", divide="ignore"):
        value = (th[term.name] / gap) ** (1.0 / th[term.exponent])
    return np.where(gap > 0, value, np.inf)


def compute_for_loss_draws(law: Law, theta: Mapping[str, Any],
                           target: float | Sequence[float], *, k: float | None = None,
                           unique: float | None = None) -> dict[str, np.ndarray]:
    """Per-draw answers to "what does it take to reach loss ``target``?", shape
    (draws, targets): ``C`` (the least compute, on the compute-optimal frontier) and, for laws
    in N and D, ``N_opt`` and ``D_opt`` there; ``N_min``/``D_min`` for laws with such terms;
    ``reachable`` (bool). Unreachable draws hold ``inf``."""
    _require_loss_law(law, "target loss", one_input=True)
    targets = positive_values(target, "target loss")[None, :]
    th = _column(theta)
    k = check_k(k, law)
    out: dict[str, np.ndarray] = {}
    if is_one_input(law):
        name = law.inputs[0]
        out[name] = _input_for_loss(law, th, targets)
        out["reachable"] = np.isfinite(out[name])
        return out
    else:
        fx = _fixed(law, unique, k)
        log_c, log_n = _compute_for_nd(law, th, targets, k, fx)
        with np.errstate(invalid="ignore"):
            out["C"] = np.exp(log_c)
            out["N_opt"] = np.exp(log_n)
            out["D_opt"] = np.where(np.isfinite(log_c), np.exp(log_c - math.log(k) - log_n),
                                    np.inf)
        for name in ("N", "D"):
            value = _minimal_input(law, th, targets, name)
            if value is not None:
                out[f"{name}_min"] = value
    out["reachable"] = np.isfinite(out["C"])
    return out


def halving_draws(law: Law, theta: Mapping[str, Any], start: float | Sequence[float]
                  ) -> dict[str, np.ndarray]:
    """For a one-input loss law, per draw and starting value of its input (draws, starts):
    ``multiple``, how many times more of the input halves the reducible loss ``L − E`` (the loss
    itself for laws without a floor), and the input there (keyed by the input's name);
    ``inf`` where it is not reached below 1e60. For ``E + A·X^-α`` the multiple is
    ``2^(1/α)`` whatever the start."""
    _require_loss_law(law, "halving", one_input=True)
    if not is_one_input(law):
        raise SpecError(f"halving: law {law.name!r} has inputs {', '.join(law.inputs)}; the "
                        "halving question is for laws of one input (for laws in N and D, "
                        "optimal() reports the compute multiple that halves L* − E)")
    name = law.inputs[0]
    starts = positive_values(start, f"halving from {name}")[None, :]
    th = _column(theta)
    floor = _floor(law, th)
    with np.errstate(over="ignore", invalid="ignore"):
        loss = np.exp(_log_loss_x(law, th, np.log(starts)))
        target = floor + (loss - floor) / 2.0
    x = _input_for_loss(law, th, target)
    return {"multiple": x / starts, name: x, "reachable": np.isfinite(x)}


def stopping_draws(law: Law, theta: Mapping[str, Any], size: float | Sequence[float], *,
                   k: float | None = None, unique: float | None = None
                   ) -> dict[str, np.ndarray]:
    """Per draw, for a model of ``size`` parameters: the tokens ``D_stop`` at which it is the
    compute-optimal size for its compute (beyond them the same FLOPs buy more loss reduction
    in a larger model), the compute ``C_stop = k·N·D_stop`` and the loss there."""
    _require_loss_law(law, "stopping point")
    if not has_allocation(law):
        raise SpecError(f"stopping point: law {law.name!r} has no N and D inputs")
    sizes = positive_values(size, "model size N")
    k = check_k(k, law)
    th = _column(theta)
    fx = _fixed(law, unique, k)
    log_size = np.log(sizes)[None, :]
    if closed_form(law):
        t = _chinchilla_terms(th)
        x = (log_size - t["log_g"]) / t["a"]
    else:
        def minus_n_opt(v: np.ndarray, t: dict[str, np.ndarray]) -> np.ndarray:  # decreasing
            n = _numeric_log_n(law, t, v, fx, strict=False)
            return np.where(np.isnan(n), -np.inf, -n)

        lo, hi = (v * math.log(10.0) - math.log(k) for v in LOG10_C_RANGE)
        target = np.broadcast_to(-log_size, (_len(th), len(sizes)))
        x = _root(minus_n_opt, th, target, lo, hi)
    log_d = x - log_size
    loss = np.exp(_log_loss_nd(law, th, np.broadcast_to(log_size, log_d.shape), log_d, fx))
    return {"D_stop": np.exp(log_d), "C_stop": k * np.exp(x), "loss_stop": loss}


def regret_draws(law: Law, theta: Mapping[str, Any], compute: np.ndarray, n: np.ndarray,
                 d: np.ndarray, *, k: float, unique: float | None = None
                 ) -> dict[str, np.ndarray]:
    """Per draw and budget, the cost of a plan (N, D) against the optimum at the same compute:
    ``excess_loss`` = L(plan) − L*(C) and ``compute_wasted`` = 1 − C_opt(L(plan))/C."""
    best = allocation_draws(law, theta, compute, k=k, unique=unique)
    th = _column(theta)
    fx = _fixed(law, unique, k)
    plan_loss = np.exp(_log_loss_nd(law, th, np.log(n)[None, :], np.log(d)[None, :], fx))
    log_c_eq, _ = _compute_for_nd(law, th, plan_loss, k, fx)
    return {"excess_loss": plan_loss - best["loss"],
            "compute_wasted": 1.0 - np.exp(log_c_eq - np.log(compute)[None, :])}
