"""Fast approximate fits: the posterior mode (MAP) and a Laplace approximation around it.

Same model, same priors, same sampling coordinates as MCMC, but evaluated in numpy (the
coordinate map :meth:`~bayescale.model.ModelSpec.transform`, the law, scipy log-densities), so
nothing is compiled: a fit takes a fraction of a second. The mode is found by L-BFGS from the
prior medians and a few jittered restarts; the Hessian there (:func:`scipy.differentiate.hessian`,
on the posterior's own scale) gives a Gaussian in the sampler's coordinates, whose draws are
mapped to the natural parameters.

It is an approximation, labelled as such everywhere: intervals assume the posterior is close to
Gaussian in those coordinates, which fails for weakly identified parameters (a floor far from
the data, an exponent at the edge of its prior). Use it for quick looks; use MCMC to report.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..data.runs import Runs
from ..errors import SpecError
from ..model.spec import ModelSpec

_FAILED = 1e300  # objective value of a point where the posterior is not finite


def _unpack(spec: ModelSpec, z: np.ndarray) -> dict[str, np.ndarray]:
    """Columns of ``z`` (B, d) → coordinates by name (scalars (B,), vectors (B, k))."""
    out, start = {}, 0
    for name, size in spec.sampling.z_sizes().items():
        out[name] = z[:, start] if name != "run_effect_z" else z[:, start:start + size]
        start += size
    return out


def log_posterior(spec: ModelSpec, runs: Runs) -> Any:
    """``f(z)``: the log posterior density (up to a constant) at rows of ``z`` (shape (B, d),
    coordinates in :meth:`ModelSpec.z_names` order), in the sampler's coordinates (Jacobians
    included), evaluated in numpy."""
    number = spec.sampling.settings().__getitem__
    logx = {k: runs.log(k)[None, :] for k in spec.law.inputs}
    y = spec.likelihood.link(runs.y)[None, :]
    run_index = runs.groups[0] if spec.n_groups else None

    def f(z: np.ndarray) -> np.ndarray:
        # points in blocks, so that (points × runs) temporaries stay small on large tables
        step = max(1, BLOCK_ELEMENTS // max(1, runs.n))
        if len(z) > step:
            return np.concatenate([block(z[i:i + step]) for i in range(0, len(z), step)])
        return block(z)

    def block(z: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            out = spec.sampling.transform(np, _unpack(spec, z), number)
            lp = np.asarray(out.log_jac, dtype=float) + np.zeros(len(z))
            for _, prior, target, log_jac in out.terms:
                lp = lp + prior.logpdf(target) + log_jac
            theta = {k: np.broadcast_to(np.asarray(v, dtype=float), (len(z),))[:, None]
                     for k, v in out.theta.items() if k != "run_effect"}
            if spec.n_groups:
                theta["run_effect"] = out.theta["run_effect"]
            mu = spec.location(np, logx, theta, run_index)
            lp = lp + spec.likelihood.logpdf(y, mu, theta).sum(axis=1)
        return np.where(np.isfinite(lp), lp, -np.inf)

    return f


#: Most (points × runs) elements the log posterior evaluates at once (a few MB per temporary).
BLOCK_ELEMENTS = 500_000
#: Step of the central differences of the gradient that L-BFGS follows.
GRADIENT_STEP = 1e-5
#: The Hessian at the mode, in two passes of :func:`scipy.differentiate.hessian` (adaptive
#: steps, Richardson extrapolation): a rough pass in the sampler's coordinates, whose steps
#: (:data:`ROUGH_STEP`) must resolve the narrowest direction of the posterior, then the
#: accurate pass in coordinates whitened by the rough Hessian, where one unit is about one
#: posterior standard deviation in every direction, so a single first step
#: (:data:`WHITENED_STEP`) suits them all. Without the whitening, no one step suits
#: posteriors whose widths differ by orders of magnitude. The whitened pass halves its step
#: at most ``WHITENED_MAXITER − 1`` times (down to 0.03 standard deviations): smaller steps
#: only add rounding error.
ROUGH_STEP, ROUGH_ORDER, ROUGH_MAXITER = 1e-2, 2, 2
WHITENED_STEP, WHITENED_ORDER, WHITENED_MAXITER = 0.5, 4, 5
#: Curvatures of the rough pass are floored here, so that where it finds the posterior flat no
#: whitened step is longer than ``WHITENED_STEP`` in the sampler's coordinates (half a unit of
#: a log or logit coordinate: already a factor 1.6 on a positive parameter).
MIN_CURVATURE = 1.0


def _value_and_gradient(f: Any, x: np.ndarray, h: float = GRADIENT_STEP
                        ) -> tuple[float, np.ndarray]:
    """``f(x)`` and its gradient by central differences, all 2d + 1 evaluations in one batch:
    what each L-BFGS step needs, cheaply (an adaptive derivative would cost several batches
    per step for a mode no better)."""
    d = len(x)
    values = f(np.vstack([x, x + h * np.eye(d), x - h * np.eye(d)]))
    with np.errstate(invalid="ignore"):  # -inf - -inf: the caller rejects such points
        return float(values[0]), (values[1:d + 1] - values[d + 1:]) / (2 * h)


def _hessian(f: Any, x: np.ndarray) -> np.ndarray:
    """Hessian of ``f`` (rows of points → values) at ``x``; see :data:`ROUGH_STEP`. The rough
    pass where the whitened one meets non-finite values; NaN entries where the rough one does
    (the posterior is not finite right next to ``x``)."""
    from scipy.differentiate import hessian

    d = len(x)

    def at(transform: np.ndarray) -> Any:
        # scipy passes points with the coordinates on the first axis: (d, ...) -> (...)
        def g(u: np.ndarray) -> np.ndarray:
            rows = np.moveaxis(u, 0, -1).reshape(-1, d)
            return f(x + rows @ transform.T).reshape(u.shape[1:])
        return g

    with np.errstate(all="ignore"):
        rough = hessian(at(np.eye(d)), np.zeros(d), initial_step=ROUGH_STEP, order=ROUGH_ORDER,
                        maxiter=ROUGH_MAXITER).ddf
    if not np.isfinite(rough).all():
        return (rough + rough.T) / 2
    curvature, axes = np.linalg.eigh(-(rough + rough.T) / 2)
    scale = np.sqrt(np.maximum(np.abs(curvature), MIN_CURVATURE))
    whiten = axes / scale  # x + whiten @ u: u ~ N(0, I) where the rough Hessian is right
    with np.errstate(all="ignore"):
        inner = hessian(at(whiten), np.zeros(d), initial_step=WHITENED_STEP,
                        order=WHITENED_ORDER, maxiter=WHITENED_MAXITER).ddf
    back = scale[:, None] * axes.T  # the inverse of whiten
    hess = back.T @ ((inner + inner.T) / 2) @ back
    if not np.isfinite(hess).all():
        return (rough + rough.T) / 2
    return (hess + hess.T) / 2


def fit_laplace(spec: ModelSpec, runs: Runs, *, draws: int = 4000, random_seed: int = 0,
                restarts: int = 8) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Posterior mode and Laplace draws.

    Returns (natural-scale draws of ``spec.free_params``, info with ``map`` (the natural
    parameters at the mode), ``log_posterior`` at the mode, ``hessian_ok`` and ``messages``).
    """
    from scipy.optimize import minimize

    rng = np.random.default_rng(random_seed)
    start = spec.sampling.initial_point()
    x0 = np.concatenate([np.ravel(start[n]) for n in spec.sampling.z_names()])

    batch = log_posterior(spec, runs)

    def f(z: np.ndarray) -> np.ndarray:
        return batch(np.atleast_2d(z))

    def objective(z: np.ndarray) -> tuple[float, np.ndarray]:
        value, gradient = _value_and_gradient(batch, z)
        if not np.isfinite(value):
            return _FAILED, np.zeros_like(z)
        return -value, -gradient

    best, agree = None, 0
    for k in range(restarts):  # stop once two restarts land on the same optimum
        x = x0 if k == 0 else x0 + rng.normal(0.0, 0.7, len(x0))
        res = minimize(objective, x, jac=True, method="L-BFGS-B",
                       options={"maxiter": 2000, "ftol": 1e-12, "gtol": 1e-8})
        if not np.isfinite(res.fun) or res.fun >= _FAILED:
            continue
        if best is not None and abs(res.fun - best.fun) < 1e-6 * max(1.0, abs(best.fun)):
            agree += 1
            if agree >= 1:
                break
        if best is None or res.fun < best.fun - 1e-9:
            best, agree = res, 0
    if best is None:
        raise SpecError("the MAP search found no point where the posterior is finite; check "
                        "the priors against the data, or fit with MCMC")
    mode = best.x
    messages: list[str] = []
    if not best.success:
        messages.append(f"the MAP optimiser did not converge ({best.message}); the mode and "
                        "the Laplace intervals are unreliable; fit with MCMC")
    hess = _hessian(f, mode)
    finite = bool(np.isfinite(hess).all())
    eigval, eigvec = np.linalg.eigh(-np.nan_to_num(hess, nan=0.0, posinf=0.0, neginf=0.0))
    hessian_ok = finite and bool(np.all(eigval > 1e-10))
    if not finite:
        messages.append("the posterior is not finite next to its mode, so its curvature there "
                        "could not be computed: the Laplace intervals are unreliable; fit with "
                        "MCMC")
    elif not hessian_ok:
        messages.append("the posterior is not curved like a Gaussian at its mode (the Hessian "
                        "is not negative definite): the Laplace intervals are unreliable; "
                        "fit with MCMC")
        eigval = np.maximum(eigval, 1e-6 * np.max(np.abs(eigval)) + 1e-12)
    scale = eigvec / np.sqrt(eigval)
    z = mode + rng.standard_normal((draws, len(mode))) @ scale.T
    numbers = spec.sampling.settings()
    with np.errstate(all="ignore"):
        theta = spec.sampling.transform(np, _unpack(spec, z), numbers.__getitem__).theta
        at_mode = spec.sampling.transform(np, _unpack(spec, mode[None, :]),
                                          numbers.__getitem__).theta
    out = {k: np.broadcast_to(np.asarray(theta[k], dtype=float), (draws,)).copy()
           for k in spec.free_params}
    if spec.n_groups:
        out["run_effect"] = np.asarray(theta["run_effect"], dtype=float)
    # the mode in the sampler's coordinates (their Jacobians included), which is what the
    # Gaussian approximates; it is close to the natural-parameter MAP when the data dominate
    info = {"map": {k: float(np.ravel(at_mode[k])[0]) for k in spec.free_params},
            "log_posterior": float(-best.fun), "hessian_ok": hessian_ok,
            "optimizer_converged": bool(best.success), "messages": messages}
    return out, info
