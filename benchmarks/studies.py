"""The public scaling studies bayescale learns its default priors from and is calibrated on.

Each study is one lab's ladder of language-model pre-training runs, read from
``../shared/data`` (never copied into the repo), with canonical columns ``N, D, C, loss``
(loss in nats per token where ``nats`` is true). ``source`` is the unit of exclusion: runs and
published fits of one source never score a study of the same source (leave-one-study-out).

Used by ``benchmarks/learn_priors.py`` (regenerates ``bayescale/priors/field.toml``) and
``benchmarks/calibration.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"


@dataclass(frozen=True)
class Study:
    name: str
    source: str
    what: str
    load: Callable[[], pd.DataFrame]
    #: loss is LM cross-entropy in nats/token (so its floor E transfers between studies)
    nats: bool = True


def _epoch() -> pd.DataFrame:
    df = pd.read_csv(DATA / "epoch_chinchilla.csv")
    return df[~df["epoch_outlier"]][["N", "D", "C", "loss"]].astype(float)


def _misfitting() -> pd.DataFrame:
    df = pd.read_csv(DATA / "misfitting_li2025.csv")
    df = df[df["is_final"]].astype({"N": float, "D": float})
    df = df.groupby(["N", "D"], as_index=False)["loss"].min()  # best learning rate per (N, D)
    df["C"] = 6.0 * df["N"] * df["D"]
    return df[["N", "D", "C", "loss"]]


def _gemstones() -> pd.DataFrame:
    df = pd.read_csv(DATA / "gemstones.csv")
    return df[df["schedule"] == "cooldown_end"][["N", "D", "C", "loss"]].astype(float)


def _porian(dataset: str) -> Callable[[], pd.DataFrame]:
    def load() -> pd.DataFrame:
        df = pd.read_csv(DATA / "porian2024_isoflop.csv")
        keep = ((df["config_label"] == "Cosine decay") & (df["dataset"] == dataset)
                & (df["param_count"] == "standard") & (df["loss_split"] == "val"))
        return df[keep][["N", "D", "C", "loss"]].astype(float).reset_index(drop=True)
    return load


def _llama3() -> pd.DataFrame:
    return pd.read_csv(DATA / "llama3_isoflops.csv")[["N", "D", "C", "loss"]].astype(float)


STUDIES: dict[str, Study] = {s.name: s for s in (
    Study("epoch_chinchilla", "hoffmann2022",
          "Chinchilla Fig. 4 runs (Epoch's extraction), 240 points, MassiveText", _epoch),
    Study("misfitting_li2025", "li2025",
          "open_lm runs, final checkpoints, best learning rate per (N, D)", _misfitting),
    Study("gemstones", "mcleish2025",
          "Gemstones width x depth suite, fully cooled-down checkpoints", _gemstones),
    Study("porian2024_rw", "porian2024",
          "isoFLOP runs on RefinedWeb, cosine decay, standard parameter count",
          _porian("rw")),
    Study("porian2024_owt2", "porian2024",
          "isoFLOP runs on OpenWebText2, cosine decay, standard parameter count",
          _porian("owt2")),
    Study("llama3_isoflops", "meta2024",
          "Llama 3 isoFLOP points (digitised); the plotted loss is not nats/token", _llama3,
          nats=False),
)}

#: Published offset-form fits L = E + A/N^alpha + B/D^beta (modeling.md §2): source, what, E
#: (nats; None where not given or not comparable), alpha, beta.
PUBLISHED: list[dict] = [
    {"source": "hoffmann2022", "what": "Hoffmann et al. 2022, Eq. 10 (TeX values)",
     "E": 1.6934, "alpha": 0.33917, "beta": 0.28491},
    {"source": "muennighoff2023", "what": "Muennighoff et al. 2023, data-constrained fit (C4)",
     "E": 1.86914, "alpha": 0.35266, "beta": 0.35266},
    {"source": "olmo_hybrid", "what": "OLMo-Hybrid transformer, approach 3 (Open-Athena)",
     "E": None, "alpha": 0.252, "beta": 0.213},
    {"source": "mcleish2025", "what": "Gemstones authors' cool_end fit, Huber 1e-4",
     "E": 2.108, "alpha": 0.2970, "beta": 0.6904},
]


def available() -> bool:
    return DATA.is_dir()
