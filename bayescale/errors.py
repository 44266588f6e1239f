"""Exceptions and warnings.

Every error a user can cause is a :class:`BayescaleError`; its message names the row, column,
option or file at fault and fits on one line. The CLI prints it and exits with status 1.
Inference-quality problems are never errors: they are warnings (``InferenceWarning``,
``ExtrapolationWarning``) that are also kept on the fit and printed by the CLI.
"""

from __future__ import annotations


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
