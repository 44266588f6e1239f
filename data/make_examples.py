"""Regenerate the bundled example data (deterministic): python data/make_examples.py"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from bayescale.simulate import chinchilla_design, simulate_runs
from bayescale.testing import EPOCH_CHINCHILLA, FOUNDING_EXAMPLE

HERE = Path(__file__).resolve().parent


def main() -> None:
    runs = simulate_runs("chinchilla", EPOCH_CHINCHILLA, chinchilla_design(), sigma=0.01,
                         seed=2024)
    runs.to_csv(HERE / "chinchilla_runs.csv", index=False, float_format="%.6g")

    design = pd.DataFrame({"N": [float(f"{n:.3g}") for n in np.geomspace(1e6, 1e9, 10)]})
    founding = simulate_runs("power", FOUNDING_EXAMPLE, design, sigma=0.01, seed=7)
    founding.rename(columns={"loss": "error"}).to_csv(
        HERE / "founding_example.csv", index=False, float_format="%.6g")


if __name__ == "__main__":
    main()
