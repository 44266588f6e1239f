"""Public scaling-law data sets: fetch the authors' raw files, check them, return a tidy table.

Not provided: Porian et al. (2024), whose released summaries are Python pickles; bayescale
never unpickles (loading a pickle can run arbitrary code).

The repository ships none of these files. Each data set lists the raw files of its public source
repository at a pinned commit, their original download URL and their sha256; :func:`fetch`
makes them available in a user cache and :func:`load` turns them into a tidy
:class:`pandas.DataFrame` with the canonical columns ``N`` (parameters), ``D`` (training tokens),
``C`` (training FLOPs) and ``loss`` (nats per token) where the data set has them.

Where the raw files come from, in order:

1. the cache (``$BAYESCALE_CACHE/<name>/``, default ``~/.cache/bayescale/datasets/<name>/``),
   when a cached file's checksum matches (unless ``force=True``);
2. an explicit ``source`` folder (CLI: ``--from DIR``) holding a copy, laid out either as
   ``<source>/<name>/<file>`` or with the files directly in ``<source>``;
3. the folder named by the environment variable ``BAYESCALE_DATA_DIR`` (same layouts);
4. the original public URL (``raw.githubusercontent.com`` at the pinned commit), unless
   ``BAYESCALE_OFFLINE=1``.

Every file is written to a temporary file in the cache folder, its sha256 checked, and only then
renamed into place: a checksum mismatch raises :class:`~bayescale.errors.DataError` and leaves no
partial file behind. Licences differ per data set (see :func:`available`); cite the papers.

Examples
--------
>>> from bayescale import datasets
>>> "epoch_chinchilla" in set(datasets.available()["name"])
True
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError

__all__ = [
    "DATASETS",
    "Dataset",
    "RawFile",
    "available",
    "cache_root",
    "fetch",
    "load",
    "names",
]

#: Environment variable: the root of the data set cache (files go to ``<root>/<name>/``).
ENV_CACHE = "BAYESCALE_CACHE"
#: Environment variable: a folder holding local copies of the raw files.
ENV_DATA_DIR = "BAYESCALE_DATA_DIR"
#: Environment variable: ``1`` forbids downloads.
ENV_OFFLINE = "BAYESCALE_OFFLINE"
#: Seconds before a download attempt gives up.
DOWNLOAD_TIMEOUT = 60.0

_HINT = f"set {ENV_DATA_DIR} to a folder holding a copy (or pass source=DIR)"
_CHUNK = 1 << 20

# Units shared by most data sets.
_PARAMS, _TOKENS, _FLOPS, _NATS = "parameters", "tokens", "FLOPs", "nats"


@dataclass(frozen=True)
class RawFile:
    """One raw file of a data set, as stored in its source repository.

    Attributes
    ----------
    path
        Path inside the source repository (also the tail of the download URL).
    sha256
        Hex sha256 of the file at the pinned commit.
    """

    path: str
    sha256: str

    @property
    def filename(self) -> str:
        """The file's name (its name in the cache and in a local copy)."""
        return self.path.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Dataset:
    """A public data set: where its raw files live and how to tidy them.

    Attributes
    ----------
    name, description, citation, licence
        Registry name, one-line description, the paper(s) to cite, the licence as stated by the
        source repository.
    repository, commit
        GitHub ``owner/name`` and the pinned commit the raw files come from.
    files
        The raw files needed by :attr:`tidy`.
    rows
        Number of rows of the tidy table.
    units
        Units of the tidy table's columns (kept in ``DataFrame.attrs["units"]``).
    tidy
        Function ``{filename: Path} -> DataFrame``.
    notes
        Conventions and caveats worth knowing before fitting.
    """

    name: str
    description: str
    citation: str
    licence: str
    repository: str
    commit: str
    files: tuple[RawFile, ...]
    rows: int
    units: Mapping[str, str]
    tidy: Callable[[Mapping[str, Path]], pd.DataFrame] = field(repr=False)
    notes: str = ""

    @property
    def source(self) -> str:
        """The source repository at the pinned commit, as a URL."""
        return f"https://github.com/{self.repository}/tree/{self.commit}"

    def url(self, raw: RawFile) -> str:
        """The original public download URL of one raw file."""
        from urllib.parse import quote

        return (f"https://raw.githubusercontent.com/{self.repository}/{self.commit}/"
                f"{quote(raw.path, safe='/')}")


# ---------------------------------------------------------------------------------------------
# tidy functions: raw files -> DataFrame


def _tidy_epoch_chinchilla(paths: Mapping[str, Path]) -> pd.DataFrame:
    raw = pd.read_csv(paths["svg_extracted_data.csv"])
    n = raw["Model Size"].astype(float)
    c = raw["Training FLOP"].astype(float)
    loss = raw["loss"].astype(float)
    rank = loss.rank(ascending=False, method="first").astype("int64")
    fifth = loss.nlargest(5).min()
    return pd.DataFrame({
        "run_id": np.arange(len(raw), dtype="int64"),
        "N": n, "D": c / (6.0 * n), "C": c, "loss": loss,
        "loss_rank_desc": rank,
        "epoch_outlier": loss >= fifth,
    })


def _tidy_llama3_isoflops(paths: Mapping[str, Path]) -> pd.DataFrame:
    raw = pd.read_csv(paths["isoflops_points.csv"])
    c = raw["compute_budget"].astype(float)
    d = raw["training_tokens"].astype(float)
    return pd.DataFrame({
        "C": c, "D": d, "N": c / (6.0 * d),
        "loss": raw["validation_loss"].astype(float),
        "x_page": raw["x_page"].astype(float), "y_page": raw["y_page"].astype(float),
    })


def _tidy_misfitting_li2025(paths: Mapping[str, Path]) -> pd.DataFrame:
    raw = pd.read_csv(paths["scaling_results.csv"])
    run_id = (raw["model"].astype(str) + "|" + raw["total_steps"].astype(str) + "|"
              + raw["peak_lr"].astype(float).astype(str) + "|" + raw["sweep"].astype(str))
    out = pd.DataFrame({
        "run_id": run_id,
        "model": raw["model"].astype(str),
        "N": raw["N"].astype("int64"),
        "N_nonembed": raw["N_no_emb"].astype("int64"),
        "D": raw["D"].astype("int64"),
        # C exceeds int64 for the largest runs: floats (exact to 1 part in 1e16)
        "C": raw["C"].astype(float),
        "C_6ND": raw["C_6ND"].astype(float),
        "step": raw["current_steps"].astype("int64"),
        "total_steps": raw["total_steps"].astype("int64"),
        "peak_lr": raw["peak_lr"].astype(float),
        "sweep": raw["sweep"].astype(str),
        "portion_steps_elapsed": raw["portion_steps_elapsed"].astype(float),
        "is_final": raw["current_steps"] == raw["total_steps"],
        "loss": raw["loss"].astype(float),
    })
    out = out.sort_values(["N_nonembed", "total_steps", "peak_lr", "sweep", "step"],
                          kind="stable").reset_index(drop=True)
    dup = out.duplicated(["run_id", "step"], keep=False)
    out["dup_flag"] = dup & out["is_final"]
    return out


def _read_jsonl(path: Path) -> pd.DataFrame:
    with open(path, encoding="utf-8") as fh:
        return pd.DataFrame([json.loads(line) for line in fh if line.strip()])


_GEM_MAIN = (
    ("wandb_df_for_fitting_hot_100b+_477.jsonl", "constant", ("hot", "hot_100b+")),
    ("wandb_df_for_fitting_cool_begin.jsonl", "cooldown_begin", ()),
    ("wandb_df_for_fitting_cool_end.jsonl", "cooldown_end", ()),
    ("wandb_df_for_fitting_lr_ablation_hot_477.jsonl", "lr_ablation_constant",
     ("lr_ablation_hot",)),
)


def _tidy_gemstones(paths: Mapping[str, Path]) -> pd.DataFrame:
    parts = []
    for fname, schedule, tables in _GEM_MAIN:
        raw = _read_jsonl(paths[fname])
        n = raw["params_active_precise"].astype("int64")
        d = raw["tokens"].astype("int64")
        part = pd.DataFrame({
            "run_name": raw["run_name"].astype(str),
            "width": raw["width"].astype("int64"), "depth": raw["depth"].astype("int64"),
            "N": n, "D": d, "C": 6.0 * n.astype(float) * d.astype(float),
            "step": raw["step"].astype("int64"), "schedule": schedule,
            "loss": raw["final_loss"].astype(float),
            "num_nodes": raw["num_nodes"].astype("int64"),
            "seconds_per_step": raw["seconds_per_step"].astype(float),
            "source_file": fname,
        })
        keys = list(zip(part["run_name"], part["step"], strict=True))
        tags: list[list[str]] = [[] for _ in keys]
        for table in tables:
            fit = _read_jsonl(paths[f"wandb_df_for_fitting_{table}.jsonl"])
            in_table = set(zip(fit["run_name"].astype(str), fit["step"].astype(int),
                               strict=True))
            for i, key in enumerate(keys):
                if key in in_table:
                    tags[i].append(table)
        part["in_fit_table"] = pd.Series([";".join(t) if t else None for t in tags],
                                         index=part.index, dtype=object)
        parts.append(part.sort_values(["N", "step"], kind="stable"))
    return pd.concat(parts, ignore_index=True)


_OBS_META = ("Model", "Model Family", "Model Size (B)", "Pretraining Data Size (T)",
             "FLOPs (1E21)")
_OBS_SOURCES = (
    ("base_llm_benchmark_eval.csv", "base", "benchmark"),
    ("base_llm_emergent_capability_eval.csv", "base", "emergent"),
    ("base_llm_leaderboard_v2_eval.csv", "base", "leaderboard_v2"),
    ("instruct_llm_benchmark_eval.csv", "instruct", "instruct_benchmark"),
    ("instruct_llm_agent_eval.csv", "instruct", "instruct_agent"),
)


def _tidy_obsscaling(paths: Mapping[str, Path]) -> pd.DataFrame:
    def meta(df: pd.DataFrame, model_type: str) -> pd.DataFrame:
        return pd.DataFrame({
            "model": df["Model"].astype(str), "family": df["Model Family"].astype(str),
            "model_type": model_type,
            "N": df["Model Size (B)"].astype(float) * 1e9,
            "D": df["Pretraining Data Size (T)"].astype(float) * 1e12,
            "C": df["FLOPs (1E21)"].astype(float) * 1e21,
        })

    tables = {f: pd.read_csv(paths[f]) for f, _, _ in _OBS_SOURCES}
    metas = {"base": meta(tables["base_llm_benchmark_eval.csv"], "base"),
             "instruct": meta(tables["instruct_llm_benchmark_eval.csv"], "instruct")}
    sub_10b = set(pd.read_csv(paths["base_llm_benchmark_eval_sub_10b.csv"])["Model"])
    parts = []
    for fname, model_type, source in _OBS_SOURCES:
        df = tables[fname]
        cols = [c for c in df.columns if c not in _OBS_META]
        long = pd.DataFrame({   # row-major: one model's metrics in file order
            "model": np.repeat(df["Model"].astype(str).to_numpy(), len(cols)),
            "metric": np.tile(np.asarray(cols, dtype=object), len(df)),
            "value": df[cols].to_numpy(dtype=float).ravel(),
        }).dropna(subset=["value"])
        long = long.merge(metas[model_type], on="model", how="left", validate="many_to_one")
        long["in_sub_10b"] = long["model"].isin(sub_10b)
        long["source"] = source
        parts.append(long[["model", "family", "model_type", "N", "D", "C", "in_sub_10b",
                           "source", "metric", "value"]])
    return pd.concat(parts, ignore_index=True)


# ---------------------------------------------------------------------------------------------
# registry

_LOSS_UNITS = {"N": _PARAMS, "D": _TOKENS, "C": _FLOPS, "loss": _NATS}

DATASETS: dict[str, Dataset] = {d.name: d for d in (
    Dataset(
        name="epoch_chinchilla",
        description="Chinchilla Fig. 4 runs (N, D, C, final loss) as extracted by Epoch AI",
        citation=("Besiroglu, Erdil, Barnett, You (2024), Chinchilla Scaling: A Replication "
                  "Attempt, arXiv:2404.10102; Hoffmann et al. (2022), arXiv:2203.15556"),
        licence="no LICENSE file (public research data; cite the papers)",
        repository="epoch-research/analyzing-chinchilla",
        commit="92258837425e1b5f2851d624287f0120583a3d0e",
        files=(RawFile("data/svg_extracted_data.csv",
                       "193478df4e90f040016431996c45682659306840ecdadf83cfb9cd5ca0aa1b30"),),
        rows=245,
        units={**_LOSS_UNITS, "loss_rank_desc": "rank (1 = highest loss)"},
        tidy=_tidy_epoch_chinchilla,
        notes=("Values read off an SVG: N has near-duplicates, loss is quantised; D = C/(6N). "
               "epoch_outlier marks the 5 highest-loss rows Epoch drop (240 rows remain)."),
    ),
    Dataset(
        name="llama3_isoflops",
        description="Llama 3 Fig. 2 isoFLOP points (digitised), 10 budgets 6e18-1e22 FLOPs",
        citation=("Grattafiori et al. (2024), The Llama 3 Herd of Models, arXiv:2407.21783 "
                  "(points extracted by eric-czech/llama3_isoflop_extraction)"),
        licence="no LICENSE file (cite the paper)",
        repository="eric-czech/llama3_isoflop_extraction",
        commit="1bc1755b76e6ee55a911549c8ec52b71cb480320",
        files=(RawFile("isoflops_points.csv",
                       "5675ea68f14be53bd09bf0d65667c0f25668aa82ecc48020864ae371e7a38a8a"),),
        rows=133,
        units={**_LOSS_UNITS, "x_page": "figure points", "y_page": "figure points"},
        tidy=_tidy_llama3_isoflops,
        notes="N = C/(6D) is derived, not in the figure; loss is the plotted validation NLL.",
    ),
    Dataset(
        name="misfitting_li2025",
        description="240 open_lm runs (12M-1B non-embedding params), all checkpoints, LR sweeps",
        citation=("Li, Kudugunta, Zettlemoyer (2025), (Mis)Fitting Scaling Laws: A Survey of "
                  "Scaling Law Fitting Techniques in Deep Learning, ICLR 2025, arXiv:2502.18969"),
        licence="no LICENSE file (cite the paper)",
        repository="hadasah/scaling_laws",
        commit="1f3708c0a12df0effb0ee906b1da5f9f0ff4f4f1",
        files=(RawFile("data/scaling_results.csv",
                       "193b4b7665365112605417e2ef06d55efe599cfa08412354e3ae42c3af7a9f58"),),
        rows=4852,
        units={**_LOSS_UNITS, "N_nonembed": _PARAMS, "C_6ND": _FLOPS, "step": "steps",
               "total_steps": "steps", "portion_steps_elapsed": "fraction"},
        tidy=_tidy_misfitting_li2025,
        notes=("N includes embeddings; loss is C4 validation loss. Intermediate checkpoints are "
               "mid-schedule: fit L(N, D) on is_final rows. dup_flag marks final rows sharing a "
               "run_id (apparent duplicates in the raw file; kept)."),
    ),
    Dataset(
        name="gemstones",
        description="22 width x depth models to 350B tokens, cooldowns and LR ablations",
        citation=("McLeish et al. (2025), Gemstones: A Model Suite for Multi-Faceted Scaling "
                  "Laws, arXiv:2502.06857"),
        licence="MIT",
        repository="mcleish7/gemstone-scaling-laws",
        commit="5f420478f6057b0cbb4d13405fb10ca64675bccb",
        files=tuple(RawFile(f"wandb_dfs/wandb_df_for_fitting_{stem}.jsonl", sha) for stem, sha in (
            ("hot_100b+_477", "c7a56e023c2cee6be296defc284126778c62387023a6e0c01e57599999591f5d"),
            ("cool_begin", "0e9991b2e0f694f7e01b4c49debd28b5075c1aff993344f753ebca96341b9510"),
            ("cool_end", "bdf01b6b21bafc414218124a6f9e195cee07f3d69ceacbfae2fcf069d34f4e61"),
            ("lr_ablation_hot_477",
             "10f606c27a52b31a8c97a8fe50ff265fdea795869b9a35804a7b1cad2fa233c2"),
            ("hot", "655467b59c99383403d6f73f5b7f23c02aea3f12935dc110382d8a8b43a0ff5d"),
            ("hot_100b+", "1da97ce3d1394e0223826c8f5ca081cb0fb289ec65d2707fb5430721e92e9659"),
            ("lr_ablation_hot",
             "acb4468e5fcba4f01bdf9584ccbaa513e9cece68f8daf46e452a867f355483ac"),
        )),
        rows=5248,
        units={**_LOSS_UNITS, "step": "steps", "seconds_per_step": "seconds"},
        tidy=_tidy_gemstones,
        notes=("N includes embeddings; C = 6ND. schedule: constant (main constant-LR run), "
               "cooldown_begin/cooldown_end (loss where a cooldown branch starts/ends), "
               "lr_ablation_constant. in_fit_table names the authors' fitting tables a row is in."),
    ),
    Dataset(
        name="obsscaling",
        description="148 base + 27 instruct public LLMs: N, D, C and benchmark scores (long)",
        citation=("Ruan, Maddison, Hashimoto (2024), Observational Scaling Laws and the "
                  "Predictability of Language Model Performance, arXiv:2405.10938"),
        licence="Apache-2.0",
        repository="ryoungj/ObsScaling",
        commit="4d6e1e43fd2635d04654aa77d1df9d5266ea0382",
        files=tuple(RawFile(f"eval_results/{fname}", sha) for fname, sha in (
            ("base_llm_benchmark_eval.csv",
             "511996815735a4c46251dc585dcc525e370d148201f86561e6f927f9df2d0db8"),
            ("base_llm_benchmark_eval_sub_10b.csv",
             "6a5fe6143b1fd86c2c10368de05e204c89ab6652b0f7e97c4965c37bff360d1d"),
            ("base_llm_emergent_capability_eval.csv",
             "a156beee73c39b7833c3c53535c473939105512d85e90b0143be7325e516ef7c"),
            ("base_llm_leaderboard_v2_eval.csv",
             "ace728c962dfb2b9133fe92081c818e3fba01391694c9590fa0198f850062563"),
            ("instruct_llm_benchmark_eval.csv",
             "9bc50f327f4e436b15a6d6e3edb8b4837e726b295a1c72d44fadb9c9d25a75ba"),
            ("instruct_llm_agent_eval.csv",
             "09abcdc2abb80d3bba2217b526fa0d88e480a8236c3ba3193bcc9928e871ba3d"),
        )),
        rows=2826,
        units={"N": _PARAMS, "D": _TOKENS, "C": _FLOPS,
               "value": "metric-dependent (accuracies in [0, 1]; other scores as published)"},
        tidy=_tidy_obsscaling,
        notes=("Long format, one row per (model, metric). D is missing for 25 base models. MoE "
               "sizes are inconsistent (total vs active): drop MoE rows for N-based fits."),
    ),
)}


# ---------------------------------------------------------------------------------------------
# public API


def names() -> list[str]:
    """Names of the registered data sets."""
    return list(DATASETS)


def _get(name: str) -> Dataset:
    try:
        return DATASETS[name]
    except (KeyError, TypeError):
        raise DataError(f"unknown dataset {name!r}; available: {', '.join(DATASETS)}") from None


def available() -> pd.DataFrame:
    """The registered data sets, one row each.

    Returns
    -------
    pandas.DataFrame
        Columns ``name``, ``description``, ``rows`` (of the tidy table), ``licence``,
        ``citation``, ``files`` (number of raw files fetched) and ``source`` (repository URL at
        the pinned commit).
    """
    return pd.DataFrame(
        [{"name": d.name, "description": d.description, "rows": d.rows, "licence": d.licence,
          "citation": d.citation, "files": len(d.files), "source": d.source}
         for d in DATASETS.values()],
        columns=["name", "description", "rows", "licence", "citation", "files", "source"],
    )


def cache_root(cache_dir: str | Path | None = None) -> Path:
    """The cache root: ``cache_dir``, else ``$BAYESCALE_CACHE``, else the default.

    The default is ``~/.cache/bayescale/datasets``; a data set's files are kept in
    ``<root>/<name>/``.
    """
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    env = os.environ.get(ENV_CACHE, "").strip()
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "bayescale" / "datasets"


def _offline() -> bool:
    return os.environ.get(ENV_OFFLINE, "").strip().lower() in {"1", "true", "yes", "on"}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def _local_copy(base: Path, ds: Dataset, raw: RawFile) -> Path | None:
    for candidate in (base / ds.name / raw.filename, base / raw.filename):
        if candidate.is_file():
            return candidate
    return None


def _install(ds: Dataset, raw: RawFile, target: Path, origin: str,
             write: Callable[[Any], None]) -> None:
    """Write a file via ``write(fh)`` to a temporary file, check its sha256, rename into place."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{raw.filename}.", suffix=".part",
                                    dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        actual = _sha256(tmp)
        if actual != raw.sha256:
            raise DataError(
                f"{ds.name}: checksum mismatch for {raw.filename} from {origin}: expected "
                f"sha256 {raw.sha256[:12]}..., got {actual[:12]}...; the file was not kept")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _copy_from(path: Path) -> Callable[[Any], None]:
    def write(fh: Any) -> None:
        with open(path, "rb") as src:
            while chunk := src.read(_CHUNK):
                fh.write(chunk)
    return write


def _download(ds: Dataset, raw: RawFile, target: Path) -> None:
    import urllib.request

    url = ds.url(raw)
    request = urllib.request.Request(url, headers={"User-Agent": "bayescale"})

    def write(fh: Any) -> None:
        with urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT) as response:
            while chunk := response.read(_CHUNK):
                fh.write(chunk)

    try:
        _install(ds, raw, target, url, write)
    except DataError:
        raise
    except (OSError, ValueError) as exc:   # URLError, HTTPError, timeouts are OSErrors
        raise DataError(f"{ds.name}: cannot download {raw.filename} from {url} "
                        f"({_one_line(exc)}); {_HINT}") from None


def fetch(name: str, *, source: str | Path | None = None, cache_dir: str | Path | None = None,
          force: bool = False) -> dict[str, Path]:
    """Make a data set's raw files available in the cache and return their paths.

    Parameters
    ----------
    name
        A registered data set (see :func:`available`).
    source
        A folder holding a local copy (CLI ``--from DIR``): ``<source>/<name>/<file>`` or
        ``<source>/<file>``. Without it, ``$BAYESCALE_DATA_DIR`` is searched the same way,
        then the file is downloaded from its public URL unless ``BAYESCALE_OFFLINE=1``.
    cache_dir
        Cache root (files go to ``<cache_dir>/<name>/``); default :func:`cache_root`.
    force
        Fetch again even when a cached file's checksum matches.

    Returns
    -------
    dict of str to Path
        File name → path of the checked file in the cache.

    Raises
    ------
    DataError
        Unknown name; a file whose sha256 differs from the registry's (nothing is kept); a file
        that is neither cached nor in a local copy while offline or unreachable (the message
        says to set ``BAYESCALE_DATA_DIR`` or pass ``--from DIR``).
    """
    ds = _get(name)
    folder = cache_root(cache_dir) / ds.name
    src = None if source is None else Path(source).expanduser()
    if src is not None and not src.is_dir():
        raise DataError(f"{ds.name}: source={str(src)!r} is not a folder")
    created = [p for p in (folder, *folder.parents) if not p.exists()]
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"{ds.name}: cannot create the cache folder {folder} "
                        f"({_one_line(exc)}); set {ENV_CACHE} to a writable folder") from None
    try:
        return _fetch_into(ds, folder, src, force)
    except BaseException:
        for path in created:  # innermost first: leave no empty folders behind
            with contextlib.suppress(OSError):
                path.rmdir()
        raise


def _fetch_into(ds: Dataset, folder: Path, src: Path | None, force: bool) -> dict[str, Path]:
    env_dir = os.environ.get(ENV_DATA_DIR, "").strip()
    data_dir = Path(env_dir).expanduser() if env_dir else None

    out: dict[str, Path] = {}
    for raw in ds.files:
        target = folder / raw.filename
        out[raw.filename] = target
        if not force and target.is_file() and _sha256(target) == raw.sha256:
            continue
        if src is not None:
            local = _local_copy(src, ds, raw)
            if local is None:
                raise DataError(f"{ds.name}: {raw.filename} not found in {src} (looked for "
                                f"{src / ds.name / raw.filename} and {src / raw.filename})")
            _install(ds, raw, target, str(local), _copy_from(local))
            continue
        local = _local_copy(data_dir, ds, raw) if data_dir is not None else None
        if local is not None:
            _install(ds, raw, target, str(local), _copy_from(local))
            continue
        if _offline():
            where = (f"not in the cache ({folder}) nor under {ENV_DATA_DIR}={data_dir}"
                     if data_dir is not None else f"not in the cache ({folder})")
            raise DataError(f"{ds.name}: {raw.filename} is {where} and {ENV_OFFLINE}=1 "
                            f"forbids downloading; {_HINT}")
        _download(ds, raw, target)
    return out


def load(name: str, *, source: str | Path | None = None,
         cache_dir: str | Path | None = None) -> pd.DataFrame:
    """Fetch a data set (see :func:`fetch`) and return its tidy table.

    Parameters
    ----------
    name
        A registered data set (see :func:`available`).
    source, cache_dir
        As for :func:`fetch`.

    Returns
    -------
    pandas.DataFrame
        The tidy table; ``attrs`` holds ``name``, ``description``, ``citation``, ``licence``,
        ``source`` (repository URL at the pinned commit), ``notes`` and ``units`` (column →
        unit, e.g. ``{"N": "parameters", "D": "tokens", "C": "FLOPs", "loss": "nats"}``).
    """
    ds = _get(name)
    paths = fetch(name, source=source, cache_dir=cache_dir)
    try:
        frame = ds.tidy(paths)
    except DataError:
        raise
    except Exception as exc:  # a checked file that this pandas cannot parse
        raise DataError(f"{ds.name}: cannot tidy the raw files ({type(exc).__name__}: "
                        f"{_one_line(exc)})") from exc
    frame.attrs.update({
        "name": ds.name, "description": ds.description, "citation": ds.citation,
        "licence": ds.licence, "source": ds.source, "notes": ds.notes,
        "units": dict(ds.units),
    })
    return frame
