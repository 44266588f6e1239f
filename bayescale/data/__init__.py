"""Layer ``data``: runs tables (validation, column mapping, groups), prediction points, public
datasets and simulated runs.

May import: ``errors``, ``priors``, ``laws``. Nothing here knows models, draws or samplers.
"""

from .runs import (
    CANONICAL,
    COMPUTE_K,
    RESPONSES,
    RUN,
    RUN_ID,
    Runs,
    filter_rows,
    numeric_column,
    parse_columns,
    read_inputs,
    read_table,
    run_labels,
    split_groups,
    squeeze_unit,
)

__all__ = ["CANONICAL", "COMPUTE_K", "RESPONSES", "RUN", "RUN_ID", "Runs", "filter_rows",
           "numeric_column", "parse_columns", "read_inputs", "read_table", "run_labels",
           "split_groups", "squeeze_unit"]
