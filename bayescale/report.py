"""A report of a fit for papers and planning documents: HTML (self-contained, images embedded,
opens offline) and a Markdown twin (images as PNG files beside it); a LaTeX parameter table.

Sections: the command and versions that produced the fit, the runs, the law and its priors, the
parameter table with intervals and shrinkage, diagnostics and warnings, the posterior
predictive check, the extrapolation fan chart, the posterior pair plot, predictions at the
requested targets, and (for laws in N and D) the compute-optimal table and frontier plot.
Everything is computed by the same calls as the CLI and the Python API.

Every string a report shows may come from a fit file (law expression, command, column names,
notes, warnings, priors, run labels), so each is escaped for where it goes: HTML-escaped in the
HTML, and in the Markdown HTML-escaped too, with the characters Markdown acts on
backslash-escaped and line breaks folded, so ``<script>`` is shown, never run.
"""

from __future__ import annotations

import base64
import html
import io
import platform
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._version import __version__
from .errors import BayescaleError, BayescaleWarning, SpecError

#: Files a report folder receives.
REPORT_FILES = ("report.html", "report.md")


@dataclass
class Section:
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[tuple[str, pd.DataFrame]] = field(default_factory=list)
    images: list[tuple[str, str]] = field(default_factory=list)  # (file name, caption)


@dataclass
class Report:
    title: str
    sections: list[Section]
    images: dict[str, bytes]
    warnings: list[str]

    # -- rendering -----------------------------------------------------------------------------
    def html(self) -> str:
        parts = [
            "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
            f"<title>{html.escape(self.title)}</title>",
            "<style>body{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;"
            "padding:0 1em;color:#222}table{border-collapse:collapse;margin:.6em 0;"
            "font-size:.9em}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}"
            "th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}"
            "img{max-width:100%;height:auto;border:1px solid #eee;margin:.5em 0}"
            ".warn{color:#8a4b00}code,pre{background:#f6f6f6;padding:.1em .3em}</style>",
            "</head><body>", f"<h1>{html.escape(self.title)}</h1>"]
        for sec in self.sections:
            parts.append(f"<h2>{html.escape(sec.title)}</h2>")
            for text in sec.paragraphs:
                cls = ' class="warn"' if text.startswith("warning:") else ""
                parts.append(f"<p{cls}>{html.escape(text)}</p>")
            for caption, table in sec.tables:
                if caption:
                    parts.append(f"<p><b>{html.escape(caption)}</b></p>")
                parts.append(table.to_html(escape=True, float_format=_fmt, border=0))
            for name, caption in sec.images:
                data = base64.b64encode(self.images[name]).decode("ascii")
                parts.append(f'<figure><img alt="{html.escape(caption)}" '
                             f'src="data:image/png;base64,{data}">'
                             f"<figcaption>{html.escape(caption)}</figcaption></figure>")
        parts.append("</body></html>")
        return "\n".join(parts)

    def markdown(self) -> str:
        lines = [f"# {md_text(self.title)}", ""]
        for sec in self.sections:
            lines += [f"## {md_text(sec.title)}", ""]
            for text in sec.paragraphs:
                lines += [md_text(text), ""]
            for caption, table in sec.tables:
                if caption:
                    lines += [f"**{md_text(caption)}**", ""]
                lines += [_markdown_table(table), ""]
            for name, caption in sec.images:
                lines += [f"![{md_text(caption)}]({_md_link(name)})", ""]
        return "\n".join(lines)


def _fmt(v: float) -> str:
    return f"{v:.4g}"


#: Characters Markdown (CommonMark, GitHub's tables, strikethrough and math) acts on anywhere
#: in a line; ``<``, ``>`` and ``&`` become HTML entities first.
_MD_ACTIVE = re.compile(r"([\\`*_\[\]|~$])")
#: A block marker at the start of a line: heading, quote, list item, setext underline.
_MD_BLOCK = re.compile(r"^(\d{1,9}(?=[.)])|[#>+=-])")


def md_text(text: Any) -> str:
    """``text`` as inert Markdown on one line: HTML-active characters as entities,
    Markdown-active ones backslash-escaped, line breaks folded into spaces and no block
    marker at its start, so that it renders as the same text and nothing else."""
    out = html.escape(" ".join(str(text).split()), quote=False)
    out = _MD_ACTIVE.sub(r"\\\1", out)
    marker = _MD_BLOCK.match(out)
    if marker:
        end = marker.end()
        # "1." → "1\.", "#" → "\#": the marker loses its meaning, the text stays
        out = (out[:end] + "\\" + out[end:] if marker.group(1)[0].isdigit()
               else "\\" + out)
    return out


def _md_link(name: str) -> str:
    """An image's file name as a Markdown link target (the report's own names)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def _markdown_table(table: pd.DataFrame) -> str:
    df = table.reset_index() if table.index.name or not isinstance(
        table.index, pd.RangeIndex) else table
    heads = [md_text(c) for c in df.columns]
    rows = [[_fmt(v) if isinstance(v, (float, np.floating)) else md_text(v) for v in r]
            for r in df.itertuples(index=False)]
    out = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def _png(fig: Any) -> bytes:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120)
    plt.close(fig)
    return buf.getvalue()


def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    out = [f"bayescale {__version__}", f"Python {platform.python_version()}"]
    for pkg in ("pymc", "nutpie", "arviz", "numpy", "pandas"):
        try:
            out.append(f"{pkg} {version(pkg)}")
        except PackageNotFoundError:
            pass
    return ", ".join(out)


def build(fit: Any, *, at: Sequence[Mapping[str, float] | str] = (),
          compute: Sequence[float] = (), prob: float = 0.95,
          command: str | None = None) -> Report:
    """Assemble the report of ``fit`` (no files written)."""
    import matplotlib

    matplotlib.use("Agg")
    from . import plot
    from .data.points import check_prob, parse_point, percent
    from .decisions.allocation import has_allocation

    prob = check_prob(prob)
    pct = f"{percent(prob)}%"
    if compute and not has_allocation(fit.law) and tuple(fit.law.inputs) != ("C",):
        raise SpecError(f"compute budgets apply to laws in N and D or in C; law "
                        f"{fit.law.name!r} is in {', '.join(fit.law.inputs)}: give points "
                        "to predict at (at=) instead")
    targets = [parse_point(t) if isinstance(t, str) else dict(t) for t in at]
    images: dict[str, bytes] = {}
    sections: list[Section] = []
    marks: list[tuple[int, str]] = []  # (warnings so far, the section they arose in)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")

        def add(section: Section, target: str = "") -> None:
            sections.append(section)
            marks.append((len(caught), section.title + (f" ({target})" if target else "")))

        # provenance
        made = fit.meta.get("command") or "(made in Python)"
        sec = Section("How this was made", [
            f"Fit command: {made}", f"Report command: {command or '(made in Python)'}",
            f"Versions: {_versions()}",
            "Sampler: " + ", ".join(f"{k} {v}" for k, v in fit.meta.get("sampler",
                                                                         {}).items()),
            f"Method: {fit.method}; {fit.n_draws} draws; intervals are {pct} equal-tailed."
            + (f" Model discrepancy: delta = {fit.discrepancy.delta:.3g} per e-fold of "
               f"{fit.discrepancy.input} beyond {fit.discrepancy.reference:.3g} "
               f"({fit.discrepancy.source}); extrapolated bands include it."
               if fit.discrepancy is not None else "")])
        add(sec)
        # data
        runs = fit.runs.table
        shown = runs.drop(columns=[c for c in runs.columns if c == "run_id"], errors="ignore")
        sec = Section("Runs", [fit.runs.counted + (f" from {fit.runs.source}"
                                                        if fit.runs.source else "") + "."
                               + (" Notes: " + "; ".join(fit.runs.notes)
                                  if fit.runs.notes else "")])
        sec.tables.append(("", shown.head(60)))
        if len(shown) > 60:
            sec.paragraphs.append(f"(first 60 of {len(shown)} rows shown)")
        add(sec)
        # law and priors
        add(Section("Law, likelihood and priors", [
            f"{fit.law.name}: {fit.law.formula}",
            f"Likelihood: {fit.likelihood.name}",
            *[f"prior: {line}" for line in fit.spec.describe_priors()]]))
        # parameters
        table = fit.summary(prob=prob)
        if fit.group == "posterior":
            table = table.join(fit.shrinkage()[["shrinkage"]])
        sec = Section("Parameters", [f"Posterior of each parameter: median, mean, sd, {pct} "
                                     "equal-tailed interval, R-hat, bulk/tail ESS and the "
                                     "prior-to-posterior shrinkage (near 0: set by the prior)."])
        sec.tables.append(("", table))
        add(sec)
        # diagnostics
        diag = fit.diagnostics
        sec = Section("Diagnostics and warnings",
                      [", ".join(f"{k}: {v}" for k, v in diag.items())])
        notes = fit.check() if fit.group == "posterior" else []
        sec.paragraphs += [f"warning: {w}" for w in notes] or ["No inference warnings."]
        add(sec)
        # posterior predictive check
        if fit.group == "posterior":
            numbers = fit.ppc()
            axes = plot.ppc(fit)
            images["ppc.png"] = _png(np.asarray(axes).reshape(-1)[0].figure)
            add(Section("Posterior predictive check", [
                f"PIT vs uniform: KS distance {numbers['pit_ks']:.3f} (p = "
                f"{numbers['pit_ks_p']:.2g}); in-sample coverage of 50/80/95% predictive "
                f"intervals: {numbers['coverage_50']:.0%} / {numbers['coverage_80']:.0%} / "
                f"{numbers['coverage_95']:.0%}."], images=[
                ("ppc.png", "Residuals against each log input, and the PIT histogram")]))
        # extrapolation
        ax = plot.extrapolation(fit, to=targets, probs=(0.5, prob), target_prob=prob)
        images["extrapolation.png"] = _png(ax.figure)
        sec = Section("Extrapolation", images=[
            ("extrapolation.png", f"Observed runs, posterior median and 50%/{pct} bands out to "
                                  "the targets")])
        if targets:
            pred = fit.predict(targets, prob=prob)
            sec.tables.append((f"Predictions at the targets ({pct} intervals; pp: a new run)",
                               pred.drop(columns=["prob"])))
        add(sec, "; ".join(", ".join(f"{k}={v:.3g}" for k, v in p.items()) for p in targets))
        # pair plot
        axes = plot.pairs(fit)
        images["pairs.png"] = _png(np.asarray(axes).reshape(-1)[0].figure)
        add(Section("Posterior pair plot", images=[
            ("pairs.png", "Joint posterior draws; ridges show which combinations the data "
                          "pin down")]))
        # compute-optimal
        if has_allocation(fit.law) and "U" not in fit.law.inputs:
            budgets = list(compute) or [float(fit.runs.maxima()["C"]) * 100]
            opt = fit.optimal(budgets, prob=prob)
            sec = Section("Compute-optimal allocation", [
                f"Per posterior draw, C = {opt.attrs['k']:g}·N·D ({opt.attrs['method']}); "
                f"median and {pct} interval per budget."])
            shown = opt.pivot_table(index=["quantity", "C"], values=["median", "lower",
                                                                     "upper"], sort=False)
            sec.tables.append(("", shown[["median", "lower", "upper"]]))
            axes = plot.frontier(fit, compute=budgets, probs=(0.5, prob))
            images["frontier.png"] = _png(np.asarray(axes).reshape(-1)[0].figure)
            sec.images.append(("frontier.png", "N* and D* against compute with bands; "
                                               "iso-loss contours through the frontier"))
            add(sec, "C = " + ", ".join(f"{c:.3g}" for c in budgets))
        elif compute and tuple(fit.law.inputs) == ("C",):
            pred = fit.predict([{"C": c} for c in compute], prob=prob)
            sec = Section(f"{fit.law.response.capitalize()} at the budgets", [
                f"The law in compute at each budget: median and {pct} interval (pp: a new "
                "run)."])
            sec.tables.append(("", pred.drop(columns=["prob"])))
            add(sec, "C = " + ", ".join(f"{c:.3g}" for c in compute))

    def where(i: int) -> str:
        """The section (and its target) that was being built when warning ``i`` arose."""
        return next((title for count, title in marks if i < count), "Report")

    caught_all = list(dict.fromkeys(f"{where(i)}: {w.message}" for i, w in enumerate(caught)
                                    if issubclass(w.category, BayescaleWarning)))
    diagnostics = next(s for s in sections if s.title == "Diagnostics and warnings")
    diagnostics.paragraphs += [f"warning: {m}" for m in caught_all
                               if f"warning: {m}" not in diagnostics.paragraphs]
    title = f"bayescale report: {fit.law.name} fit to {fit.runs.counted}"
    return Report(title, sections, images, caught_all)


def latex_table(fit: Any, prob: float = 0.95) -> str:
    """The parameter table as a LaTeX ``tabular`` (booktabs), ready for a paper."""
    from .data.points import check_prob, percent

    prob = check_prob(prob)
    table = fit.summary(prob=prob)
    names = {"alpha": r"$\alpha$", "beta": r"$\beta$", "sigma": r"$\sigma$", "nu": r"$\nu$",
             "gamma": r"$\gamma$", "tau": r"$\tau$"}
    lines = [r"\begin{tabular}{lrrr}", r"\toprule",
             rf"Parameter & Median & \multicolumn{{2}}{{c}}{{{percent(prob)}\% interval}} \\",
             r"\midrule"]
    for name, row in table.iterrows():
        label = names.get(str(name), str(name).replace("_", r"\_"))
        lines.append(f"{label} & {_tex(row['median'])} & {_tex(row['lower'])} & "
                     f"{_tex(row['upper'])} \\\\")
    lines += [r"\bottomrule", r"\end{tabular}",
              f"% {' '.join(f'{fit.law.name}: {fit.law.formula}'.split())}; {fit.runs.n} "
              f"runs; {fit.n_draws} "
              f"{fit.group} draws ({fit.method}); equal-tailed intervals; bayescale "
              f"{__version__}"]
    return "\n".join(lines) + "\n"


def _tex(v: float) -> str:
    if not np.isfinite(v):
        return "--"
    text = f"{v:.4g}"
    if "e" in text:
        mant, exp = text.split("e")
        return f"${mant} \\times 10^{{{int(exp)}}}$"
    return text


def write(report: Report, folder: str | Path, *, overwrite: bool = False) -> list[Path]:
    """Write ``report.html``, ``report.md`` and the PNGs into ``folder`` (created if needed).
    Refuses to replace existing report files unless ``overwrite``; every file is written
    atomically."""
    from .results.io import atomic_write

    out = Path(folder)
    if out.exists() and not out.is_dir():
        raise BayescaleError(f"{str(out)!r} is a file; give a folder for the report")
    names = [*REPORT_FILES, *report.images]
    clash = [n for n in names if (out / n).exists()]
    if clash and not overwrite:
        raise BayescaleError(f"{str(out / clash[0])!r} exists; use overwrite=True to replace the "
                             "report")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in report.images.items():
        atomic_write(out / name, lambda tmp, d=data: Path(tmp).write_bytes(d),
                     overwrite=overwrite)
        written.append(out / name)
    for name, text in (("report.md", report.markdown()), ("report.html", report.html())):
        atomic_write(out / name, lambda tmp, t=text: Path(tmp).write_text(t, encoding="utf-8"),
                     overwrite=overwrite)
        written.append(out / name)
    return written
