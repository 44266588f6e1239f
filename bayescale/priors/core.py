"""Prior specifications as plain data.

A :class:`Prior` is a distribution name plus numeric parameters (or a fixed value). It round-trips
through dicts, JSON and TOML, draws samples with numpy (for the fit-free prior predictive) and
builds its log-density inside a PyMC graph (for the model). The supported distributions are a
whitelist, :data:`DISTRIBUTIONS`; anything else is a :class:`~bayescale.errors.SpecError`.

Dict form (pymc-extras compatible, the form stored with every fit)::

    {"dist": "LogNormal", "kwargs": {"mu": -1.2, "sigma": 0.6}}
    {"dist": "Fixed", "kwargs": {"value": 4.0}}

A TOML priors file accepts the flat form and numbers for fixed values::

    nu = 4                                           # fix a parameter
    alpha = { dist = "LogNormal", mu = -1.2, sigma = 0.6 }

    [E]
    dist = "TruncatedNormal"
    mu = 1.7
    sigma = 0.2
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import SpecError, shown

_INF = math.inf
#: Parameters that may be infinite (the bounds of a truncated normal); every other one is finite.
_MAY_BE_INFINITE = {"TruncatedNormal": ("lower", "upper")}
#: How far (in sd) a truncated normal's interval may lie from its mu.
TRUNCATION_SD = 30.0


@dataclass(frozen=True)
class _Dist:
    required: tuple[str, ...]
    optional: Mapping[str, float]
    positive: tuple[str, ...]
    support: Callable[[Mapping[str, float]], tuple[float, float]]
    sample: Callable[[np.random.Generator, int, Mapping[str, float]], np.ndarray]
    #: ``(pymc, params) -> pymc distribution`` (unit-scale for a rescaled Beta); None for Fixed
    pymc: Callable[[Any, Mapping[str, Any]], Any] | None
    #: ``(x, params) -> log density`` in numpy, for the compile-free MAP/Laplace path
    logpdf: Callable[[np.ndarray, Mapping[str, float]], np.ndarray] | None = None


def _truncnorm(rng: np.random.Generator, n: int, p: Mapping[str, float]) -> np.ndarray:
    from scipy.stats import truncnorm  # exact in the far tails, unlike inverting ndtr

    a = (p["lower"] - p["mu"]) / p["sigma"]
    b = (p["upper"] - p["mu"]) / p["sigma"]
    return truncnorm.rvs(a, b, loc=p["mu"], scale=p["sigma"], size=n, random_state=rng)


def _inside(x: np.ndarray, lo: float, hi: float, value: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.where((x >= lo) & (x <= hi), value, -np.inf)


def _scipy(name: str, args: Callable[[Mapping[str, float]], Mapping[str, float]]
           ) -> Callable[[np.ndarray, Mapping[str, float]], np.ndarray]:
    """The log-density ``scipy.stats.<name>.logpdf(x, **args(params))`` (``-inf`` outside the
    support), for the compile-free MAP/Laplace path."""

    def logpdf(x: np.ndarray, p: Mapping[str, float]) -> np.ndarray:
        from scipy import stats  # on first use: importing bayescale stays light

        return getattr(stats, name).logpdf(x, **args(p))

    return logpdf


def _halfstudent_lp(x: np.ndarray, p: Mapping[str, float]) -> np.ndarray:
    """Twice the Student-t density on [0, inf) (scipy.stats has no half-Student-t)."""
    from scipy import stats

    return _inside(x, 0.0, _INF, math.log(2.0) + stats.t.logpdf(x, p["nu"], scale=p["sigma"]))


def _width(p: Mapping[str, float]) -> dict[str, float]:
    return {"loc": p["lower"], "scale": p["upper"] - p["lower"]}


_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


# The commonest priors in closed form: scipy.stats' argument checks cost ~0.2 ms a call, and
# the MAP/Laplace path (learning δ refits several times) calls these thousands of times.
def _normal_lp(x: np.ndarray, p: Mapping[str, float]) -> np.ndarray:
    z = (np.asarray(x, dtype=float) - p["mu"]) / p["sigma"]
    return -0.5 * z * z - math.log(p["sigma"]) - _LOG_SQRT_2PI


def _lognormal_lp(x: np.ndarray, p: Mapping[str, float]) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_x = np.log(x)
        z = (log_x - p["mu"]) / p["sigma"]
        value = -0.5 * z * z - math.log(p["sigma"]) - log_x - _LOG_SQRT_2PI
    return np.where(x > 0, value, -np.inf)


def _halfnormal_lp(x: np.ndarray, p: Mapping[str, float]) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    return _inside(x, 0.0, _INF, math.log(2.0) + _normal_lp(x, {"mu": 0.0, "sigma": p["sigma"]}))


_student_lp = _scipy("t", lambda p: {"df": p["nu"], "loc": p["mu"], "scale": p["sigma"]})
_gamma_lp = _scipy("gamma", lambda p: {"a": p["alpha"], "scale": 1.0 / p["beta"]})
_exponential_lp = _scipy("expon", lambda p: {"scale": 1.0 / p["lam"]})
_beta_lp = _scipy("beta", lambda p: {"a": p["alpha"], "b": p["beta"], **_width(p)})
_uniform_lp = _scipy("uniform", _width)


def _truncnorm_lp(x: np.ndarray, p: Mapping[str, float]) -> np.ndarray:
    """A normal's log-density less the log of its mass in [lower, upper], that log taken on
    the side of the interval away from the mean (accurate far in the tails, like the
    sampler's)."""
    from scipy.special import log_ndtr

    a = (p["lower"] - p["mu"]) / p["sigma"]
    b = (p["upper"] - p["mu"]) / p["sigma"]
    if a > 0:  # the interval lies above the mean: the mass between upper tails
        a, b = -b, -a
    hi, lo = float(log_ndtr(b)), float(log_ndtr(a))
    log_mass = hi + math.log1p(-math.exp(lo - hi)) if lo < hi else -math.inf
    x = np.asarray(x, dtype=float)
    return _inside(x, p["lower"], p["upper"], _normal_lp(x, p) - log_mass)


def _real(p: Mapping[str, float]) -> tuple[float, float]:
    return (-_INF, _INF)


def _pos(p: Mapping[str, float]) -> tuple[float, float]:
    return (0.0, _INF)


def _bounded(p: Mapping[str, float]) -> tuple[float, float]:
    return (p["lower"], p["upper"])


DISTRIBUTIONS: dict[str, _Dist] = {
    "Normal": _Dist(("mu", "sigma"), {}, ("sigma",), _real,
                    lambda r, n, p: r.normal(p["mu"], p["sigma"], n),
                    lambda pm, p: pm.Normal.dist(mu=p["mu"], sigma=p["sigma"]),
                    _normal_lp),
    "LogNormal": _Dist(("mu", "sigma"), {}, ("sigma",), _pos,
                       lambda r, n, p: r.lognormal(p["mu"], p["sigma"], n),
                       lambda pm, p: pm.LogNormal.dist(mu=p["mu"], sigma=p["sigma"]),
                       _lognormal_lp),
    "HalfNormal": _Dist(("sigma",), {}, ("sigma",), _pos,
                        lambda r, n, p: np.abs(r.normal(0.0, p["sigma"], n)),
                        lambda pm, p: pm.HalfNormal.dist(sigma=p["sigma"]),
                        _halfnormal_lp),
    "StudentT": _Dist(("nu",), {"mu": 0.0, "sigma": 1.0}, ("nu", "sigma"), _real,
                      lambda r, n, p: p["mu"] + p["sigma"] * r.standard_t(p["nu"], n),
                      lambda pm, p: pm.StudentT.dist(nu=p["nu"], mu=p["mu"], sigma=p["sigma"]),
                      _student_lp),
    "HalfStudentT": _Dist(("nu",), {"sigma": 1.0}, ("nu", "sigma"), _pos,
                          lambda r, n, p: np.abs(p["sigma"] * r.standard_t(p["nu"], n)),
                          lambda pm, p: pm.HalfStudentT.dist(nu=p["nu"], sigma=p["sigma"]),
                          _halfstudent_lp),
    "Gamma": _Dist(("alpha", "beta"), {}, ("alpha", "beta"), _pos,
                   lambda r, n, p: r.gamma(p["alpha"], 1.0 / p["beta"], n),
                   lambda pm, p: pm.Gamma.dist(alpha=p["alpha"], beta=p["beta"]),
                   _gamma_lp),
    "Exponential": _Dist(("lam",), {}, ("lam",), _pos,
                         lambda r, n, p: r.exponential(1.0 / p["lam"], n),
                         lambda pm, p: pm.Exponential.dist(lam=p["lam"]),
                         _exponential_lp),
    "Beta": _Dist(("alpha", "beta"), {"lower": 0.0, "upper": 1.0}, ("alpha", "beta"), _bounded,
                  lambda r, n, p: p["lower"] + (p["upper"] - p["lower"]) * r.beta(
                      p["alpha"], p["beta"], n),
                  lambda pm, p: pm.Beta.dist(alpha=p["alpha"], beta=p["beta"]),
                  _beta_lp),
    "Uniform": _Dist(("lower", "upper"), {}, (), _bounded,
                     lambda r, n, p: r.uniform(p["lower"], p["upper"], n),
                     lambda pm, p: pm.Uniform.dist(lower=p["lower"], upper=p["upper"]),
                     _uniform_lp),
    "TruncatedNormal": _Dist(("mu", "sigma"), {"lower": -_INF, "upper": _INF}, ("sigma",),
                             _bounded, _truncnorm,
                             lambda pm, p: pm.TruncatedNormal.dist(
                                 mu=p["mu"], sigma=p["sigma"], lower=p["lower"],
                                 upper=p["upper"]),
                             _truncnorm_lp),
    "Fixed": _Dist(("value",), {}, (), lambda p: (p["value"], p["value"]),
                   lambda r, n, p: np.full(n, p["value"], dtype=float), None),
}


class Prior:
    """A prior distribution (or a fixed value) for one parameter.

    Parameters
    ----------
    dist : str
        One of :data:`DISTRIBUTIONS` (``"Normal"``, ``"LogNormal"``, ``"HalfNormal"``,
        ``"StudentT"``, ``"HalfStudentT"``, ``"Gamma"``, ``"Exponential"``, ``"Beta"`` (with
        optional ``lower``/``upper`` to rescale it), ``"Uniform"``, ``"TruncatedNormal"``) or
        ``"Fixed"`` (a point mass: the parameter is not sampled).
    **params : float
        The distribution's parameters, named as in PyMC.

    Examples
    --------
    >>> Prior("LogNormal", mu=-1.2, sigma=0.6)
    Prior('LogNormal', mu=-1.2, sigma=0.6)
    >>> Prior.fixed(4).value
    4.0
    """

    __slots__ = ("dist", "given", "params")

    def __init__(self, dist: str, /, **params: float) -> None:
        spec = DISTRIBUTIONS.get(dist)
        if spec is None:
            raise SpecError(f"unknown prior distribution {shown(dist)}; supported: "
                            f"{', '.join(DISTRIBUTIONS)}")
        unknown = set(params) - set(spec.required) - set(spec.optional)
        if unknown:
            raise SpecError(
                f"{dist} has no parameter {shown(sorted(unknown)[0])}; it takes "
                f"{', '.join(spec.required + tuple(spec.optional))}"
            )
        missing = [k for k in spec.required if k not in params]
        if missing:
            raise SpecError(f"{dist} needs parameter {missing[0]!r}")
        full: dict[str, float] = {}
        for key in spec.required + tuple(spec.optional):
            raw = params.get(key, spec.optional.get(key))
            try:
                value = float(raw)  # type: ignore[arg-type]
            except OverflowError:  # an integer beyond a float's range
                raise SpecError(f"{dist} parameter {key!r} must be finite, got "
                                f"{shown(raw)}") from None
            except (TypeError, ValueError):
                raise SpecError(f"{dist} parameter {key!r} must be a number, got "
                                f"{shown(raw)}") from None
            if math.isnan(value):
                raise SpecError(f"{dist} parameter {key!r} is NaN")
            if math.isinf(value) and key not in _MAY_BE_INFINITE.get(dist, ()):
                raise SpecError(f"{dist} parameter {key!r} must be finite, got {value:g}")
            full[key] = value
        for key in spec.positive:
            if not full[key] > 0:
                raise SpecError(f"{dist} parameter {key!r} must be > 0, got {full[key]:g}")
        lo, hi = spec.support(full)
        if dist != "Fixed" and not lo < hi:
            raise SpecError(f"{dist} needs lower < upper, got lower={lo:g}, upper={hi:g}")
        if dist == "Fixed" and not math.isfinite(full["value"]):
            raise SpecError("a fixed value must be finite")
        if dist == "TruncatedNormal":  # beyond ~37 sd a normal's density is 0 in floats
            gap = max(lo - full["mu"], full["mu"] - hi, 0.0) / full["sigma"]
            if not gap <= TRUNCATION_SD:
                raise SpecError(f"TruncatedNormal(mu={shown(full['mu'])}, "
                                f"sigma={shown(full['sigma'])}) has no usable mass in "
                                f"[{shown(lo)}, {shown(hi)}] ({shown(gap)} sd from mu; at most "
                                f"{TRUNCATION_SD:g}): move mu or widen sigma")
        object.__setattr__(self, "dist", dist)
        object.__setattr__(self, "params", full)
        object.__setattr__(self, "given", frozenset(params))

    def with_params(self, **params: float) -> Prior:
        """A copy with some parameters replaced (the others keep their given values)."""
        return Prior(self.dist, **{k: self.params[k] for k in self.given}, **params)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Prior is immutable")

    def __reduce__(self) -> tuple[Any, ...]:
        # for executors that ship specs to worker processes (not for persistence: fits are
        # saved as NetCDF with the dict form)
        return (Prior.from_dict, ({"dist": self.dist,
                                   "kwargs": {k: self.params[k] for k in self.given}},))

    @classmethod
    def fixed(cls, value: float) -> Prior:
        """A point mass: the parameter is held at ``value`` and not sampled."""
        return cls("Fixed", value=value)

    @property
    def is_fixed(self) -> bool:
        return self.dist == "Fixed"

    @property
    def value(self) -> float:
        if not self.is_fixed:
            raise AttributeError(f"{self.dist} prior has no fixed value")
        return self.params["value"]

    @property
    def support(self) -> tuple[float, float]:
        return DISTRIBUTIONS[self.dist].support(self.params)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` samples with numpy."""
        return np.asarray(DISTRIBUTIONS[self.dist].sample(rng, n, self.params), dtype=float)

    def logpdf(self, value: Any) -> np.ndarray:
        """Log-density in numpy, normalised like :meth:`logp` (``-inf`` outside the support)."""
        spec = DISTRIBUTIONS[self.dist]
        if spec.logpdf is None:
            raise SpecError("a fixed parameter has no density")
        return np.asarray(spec.logpdf(np.asarray(value, dtype=float), self.params))

    def logp(self, value: Any, params: Mapping[str, Any] | None = None) -> Any:
        """Log-density of ``value`` as a PyTensor expression (for the PyMC model).

        ``params`` may replace the numeric parameters by symbolic ones (``pm.Data``), so that
        changing a prior's values does not change the graph.
        """
        import pymc as pm
        import pytensor.tensor as pt

        # float64 explicitly: PyTensor makes a Python 3.0 a float32 constant, and arithmetic
        # between such constants would then run in float32.
        source = self.params if params is None else params
        p = {k: v if hasattr(v, "type") else pt.constant(float(v), dtype="float64")
             for k, v in source.items()}
        spec = DISTRIBUTIONS[self.dist]
        if spec.pymc is None:
            raise SpecError("a fixed parameter has no density")
        if self.dist == "Beta":  # rescaled from (lower, upper) to (0, 1)
            width = p["upper"] - p["lower"]
            return pm.logp(spec.pymc(pm, p), (value - p["lower"]) / width) - pt.log(width)
        return pm.logp(spec.pymc(pm, p), value)

    # -- plain-data round trip -------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        spec = DISTRIBUTIONS[self.dist]
        kwargs = {
            k: v for k, v in self.params.items()
            if k in spec.required or v != spec.optional.get(k)
        }
        return {"dist": self.dist, "kwargs": kwargs}

    @classmethod
    def from_dict(cls, data: Any, *, name: str = "parameter") -> Prior:
        """Parse the dict form (``{"dist": .., "kwargs": {..}}`` or flat), or a number."""
        if isinstance(data, Prior):
            return data
        if isinstance(data, bool):
            raise SpecError(f"prior for {shown(name)}: expected a number or a table, got "
                            f"{data!r}")
        if isinstance(data, (int, float)):
            try:
                return cls.fixed(data)
            except SpecError as exc:
                raise SpecError(f"prior for {shown(name)}: {exc}") from None
        if not isinstance(data, Mapping):
            raise SpecError(f"prior for {shown(name)}: expected a number or a table with "
                            f"'dist', got {shown(data)}")
        if "dist" not in data:
            raise SpecError(f"prior for {shown(name)} has no 'dist' key")
        kwargs = dict(data.get("kwargs", {}))
        kwargs.update({k: v for k, v in data.items() if k not in ("dist", "kwargs")})
        try:
            return cls(str(data["dist"]), **kwargs)
        except SpecError as exc:
            raise SpecError(f"prior for {shown(name)}: {exc}") from None

    def describe(self) -> str:
        if self.is_fixed:
            return f"fixed at {self.value:.6g}"
        body = ", ".join(f"{k}={v:.4g}" for k, v in self.params.items() if math.isfinite(v))
        return f"{self.dist}({body})"

    def __repr__(self) -> str:
        body = ", ".join(f"{k}={v!r}" for k, v in self.to_dict()["kwargs"].items())
        return f"Prior({self.dist!r}, {body})" if body else f"Prior({self.dist!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Prior) and (self.dist, self.params) == (other.dist, other.params)

    def __hash__(self) -> int:
        return hash((self.dist, tuple(sorted(self.params.items()))))


def parse_priors(data: Mapping[str, Any] | None) -> dict[str, Prior]:
    """Parse a mapping of parameter name → prior (dicts, numbers or Prior objects)."""
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise SpecError(f"priors must be a mapping of parameter name to prior, got "
                        f"{shown(data)}")
    return {str(k): Prior.from_dict(v, name=str(k)) for k, v in data.items()}


def read_priors_toml(path: str | Path) -> dict[str, Prior]:
    """Read a TOML priors file (see the module docstring for the format)."""
    import tomllib

    p = Path(path)
    try:
        text = p.read_bytes()
    except OSError as exc:
        raise SpecError(f"cannot read priors file {str(p)!r}: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(text.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SpecError(f"priors file {str(p)!r} is not valid TOML: {exc}") from None
    if isinstance(data.get("priors"), Mapping) and set(data) <= {"priors", "provenance",
                                                                  "applies"}:
        data = data["priors"]  # a learned priors file ('bayescale priors learn')
    try:
        return parse_priors(data)
    except SpecError as exc:
        raise SpecError(f"{p.name}: {exc}") from None
