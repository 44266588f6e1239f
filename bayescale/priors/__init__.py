"""Priors: plain-data distributions (:mod:`.core`), what a population of studies says about a
new one (:mod:`.population`) and the default priors learned from public scaling studies
(:mod:`.field`, shipped as ``field.toml``).

Layer ``priors`` (rank 1): imports only ``errors``.
"""

from .core import DISTRIBUTIONS, Prior, parse_priors, read_priors_toml

__all__ = ["DISTRIBUTIONS", "Prior", "parse_priors", "read_priors_toml"]
