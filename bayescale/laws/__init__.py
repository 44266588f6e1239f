"""Scaling-law families: pure math (numpy, or PyTensor inside the model) and a registry.

>>> from bayescale.laws import get_law
>>> law = get_law("chinchilla")
>>> round(float(law.loss({"N": 7e10, "D": 1.4e12},
...     {"E": 1.8172, "A": 482.01, "B": 2085.43, "alpha": 0.3478, "beta": 0.3658})), 4)
1.9739
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import SpecError
from .base import INPUT_DOC, INPUTS, Law, Param, Scales
from .chinchilla import Chinchilla
from .power import PowerLaw

_REGISTRY: dict[str, type[Law]] = {"power": PowerLaw, "chinchilla": Chinchilla}

__all__ = [
    "INPUTS", "INPUT_DOC", "Chinchilla", "Law", "Param", "PowerLaw", "Scales",
    "available_laws", "get_law", "law_from_dict",
]


def available_laws() -> list[str]:
    return list(_REGISTRY)


def get_law(name: str | Law, *, available: Iterable[str] | None = None, **options: Any) -> Law:
    """Look up a law by name.

    ``available`` (the input columns present in the data) lets ``power`` pick its input when
    ``x`` is not given and exactly one of N, D, C is present.
    """
    if isinstance(name, Law):
        return name
    cls = _REGISTRY.get(str(name))
    if cls is None:
        raise SpecError(f"unknown law {name!r}; available: {', '.join(_REGISTRY)}")
    options = {k: v for k, v in options.items() if v is not None}
    if cls is PowerLaw and "x" not in options:
        have = [x for x in INPUTS if available is not None and x in set(available)]
        if available is None or len(have) == 1:
            options["x"] = have[0] if have else "N"
        else:
            raise SpecError(
                "law 'power' uses one input: choose N, D or C (CLI --x, Python x=); "
                f"the data has {', '.join(have) if have else 'none of N, D, C'}"
            )
    try:
        return cls(**options)
    except TypeError:
        extra = ", ".join(sorted(options))
        raise SpecError(f"law {name!r} has no option {extra} (x applies to law 'power' only)"
                        ) from None


def law_from_dict(data: Mapping[str, Any]) -> Law:
    """Inverse of :meth:`Law.to_dict`."""
    data = dict(data)
    return get_law(data.pop("name"), **data)
