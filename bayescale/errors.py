"""Exceptions and warnings.

Every error a user can cause is a :class:`BayescaleError`; its message names the row, column,
option or file at fault and fits on one line. The CLI prints it and exits with status 1.
Inference-quality problems are never errors: they are warnings (``InferenceWarning``,
``ExtrapolationWarning``) that are also kept on the fit and printed by the CLI.
"""

from __future__ import annotations

import math
from typing import Any


class Flag:
    """A flag a signal handler may set: a plain attribute, no lock (a handler taking a lock
    the interrupted code holds would deadlock)."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = False

    def set(self) -> None:
        self.value = True

    def clear(self) -> None:
        self.value = False

    def is_set(self) -> bool:
        return self.value


#: Set by the CLI's Ctrl-C handler. Python raises KeyboardInterrupt wherever the main thread
#: is; inside a garbage-collector callback (JAX registers one) the exception is swallowed, so
#: long waits (sampling) also watch this flag and stop when it is set.
INTERRUPTED = Flag()


class BayescaleError(Exception):
    """Base class of every user-facing error."""


class DataError(BayescaleError):
    """The runs table (or a table of prediction points) is unusable."""


class SpecError(BayescaleError):
    """An unknown or invalid law, prior, likelihood or option."""


class FileFormatError(BayescaleError):
    """A file cannot be read, is not a bayescale file, or comes from a newer schema."""


class BayescaleWarning(UserWarning):
    """Base class of bayescale warnings."""


class InferenceWarning(BayescaleWarning):
    """Divergences, high R-hat, low ESS, or a posterior pressed against a bound."""


class ExtrapolationWarning(BayescaleWarning):
    """A prediction lies far beyond the largest observed run."""


def shown(value: Any, limit: int = 40) -> str:
    """``value`` for a one-line message: numbers to 4 significant digits (an integer too large
    for a float by its number of digits), a mapping or list by its size, anything else as
    ``repr`` cut to ``limit`` characters. A user's 300-digit number never reaches a message
    whole."""
    import numpy as np

    if isinstance(value, (bool, np.bool_)) or value is None:
        return repr(value if value is None else bool(value))
    if isinstance(value, (int, np.integer)):
        v = int(value)
        if abs(v) < 10**15:
            return str(v)
        try:
            return f"{float(v):.4g}"
        except OverflowError:
            return f"an integer of about {int(v.bit_length() * math.log10(2)) + 1} digits"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.4g}"
    if isinstance(value, (dict, list)):
        kind = "mapping" if isinstance(value, dict) else "list"
        return f"a {kind} of {len(value)} item{'' if len(value) == 1 else 's'}"
    text = repr(value)
    return text if len(text) <= limit else text[: max(limit - 3, 1)] + "..."


def shown_names(names: Any, limit: int = 12) -> str:
    """Names for a one-line message: the first ``limit``, then how many more (a table with
    10,000 columns is not listed whole)."""
    names = [shown(n, 40) if not isinstance(n, str) else (n if len(n) <= 40 else n[:37] + "...")
             for n in names]
    if len(names) <= limit:
        return ", ".join(names)
    return f"{', '.join(names[:limit])} and {len(names) - limit:,} more"
