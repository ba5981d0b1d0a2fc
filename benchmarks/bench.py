"""One benchmark table: for each case, our figure, the baseline measured in the same run,
their ratio, and the target it is held to (issue 13 item 5, issue 16 item 5).

    python benchmarks/bench.py [--quick] [--repeat N] [--only SECTION,...]
                               [--markdown OUT.md] [--json OUT.json]

Every figure is a whole process measured from outside (``os.wait4``: wall seconds, CPU
seconds, peak resident memory), the median of ``--repeat`` runs (default 3; the kinds of
a case run in turn, so a change in machine load hits all alike; a run over a minute is
not repeated), unless the row says otherwise. The processes import a frozen copy of
``policy_tools`` (PYTHONPATH), so edits during the run do not mix two code versions.

Sections (``--only``):

- ``extraction``: ``policy-tools extract`` against the pdfplumber floor (open + the
  words of every page) and the PDFium floor (every character with its box), on the 2026
  canonical PDF, the 279-page TennCare PDL (2025-06-01) and generated policies of 100 and
  1,000 pages (reportlab); peak memory, per-page memory 1,000 / 100 pages; TennCare
  ``--jobs 2`` against ``--jobs 1``;
- ``pdl``: the TennCare PDL pair (2025-05-01 -> 2025-06-01): each extraction within the
  budgets, its drug rows and classes; the diff under 5 s (issue 16);
- ``diff``: ``policy-tools diff`` and ``report`` (HTML) on the canonical pair (the golden
  revision files) and the TennCare pair, against ``redlines`` (word-level) on the text
  layer of the same two PDFs as PDFium reads it: its time and change count beside ours;
- ``ingest``: ``policy-tools ingest`` of the 20 corpus PDFs at ``-j 1`` and ``-j 2`` (a
  fresh store each run), and re-ingest of the same folder (all unchanged);
- ``catalog``: adding one revision to an empty store and to one of 10,000 revisions
  (``bench_catalog.py``, run in its own process).

``--quick`` skips the 20-PDF ingest and the 1,000-page policy. Cases whose files are
absent (the corpus in ../shared/corpus/real) are named and skipped. Exit code 0 when every
target measured is met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from benchlib import (
    CORPUS,
    GOLDEN,
    PDF_2025,
    PDF_2026,
    POLICY_SUFFIXES,
    TENNCARE_NEW,
    TENNCARE_OLD,
    Proc,
    Sample,
    alternate,
    cli,
    extract_cmd,
    frozen_code,
    generated_policy,
    load_average,
    page_count,
    redlines_cmd,
    run,
    text_layer,
)

HERE = Path(__file__).resolve().parent
# targets of issue 13 ("Done when") and issue 16 item 5; issue 4 for re-ingest
EXTRACT_VS_FLOOR = 0.5  # extraction at most 0.5x the pdfplumber floor (2026 PDF, TennCare)
PEAK_MIB = 300.0  # peak memory under 300 MiB on TennCare
PER_PAGE_GROWTH = 1.5  # 1,000-page per-page memory within 1.5x of the 100-page one
CANONICAL_DIFF_S = 1.0  # diff of the canonical pair, whole process
TENNCARE_DIFF_S = 2.0  # diff of the TennCare pair, whole process
PDL_DIFF_S = 5.0  # issue 16: the diff of two monthly PDL revisions
JOBS2_SPEEDUP = 1.7  # TennCare extract --jobs 2 at least 1.7x faster than --jobs 1
CATALOG_GROWTH = 1.2  # an add at 10,000 revisions at most 1.2x an add at 0
REINGEST_SHARE = 0.05  # issue 4: re-ingest under 5% of the first ingest
EXTRACT_BUDGET_S = 300.0  # settings.Budgets: the default --max-seconds of one file


@dataclass
class Context:
    """What every section is given: the children's environment, a scratch folder, the
    options, and the extraction samples (the PDL section reuses TennCare's)."""

    env: dict[str, str]
    tmp: Path
    args: argparse.Namespace
    extracted: dict[Path, Sample] = field(default_factory=dict)


@dataclass
class Row:
    case: str
    figure: str
    ours: str
    baseline: str = "-"
    ratio: float | None = None  # ours / baseline
    target: str = "-"
    met: bool | None = None  # None: no target
    runs: str = ""

    def cells(self) -> list[str]:
        ratio = "-" if self.ratio is None else f"{self.ratio:.2f}x"
        met = {None: "", True: "yes", False: "NO"}[self.met]
        return [self.case, self.figure, self.ours, self.baseline, ratio, self.target, met]


HEAD = ["case", "figure", "ours", "baseline (same run)", "ratio", "target", "met"]
WIDTHS = [34, 36, 12, 28, 8, 18, 3]


class Table:
    def __init__(self) -> None:
        self.rows: list[Row] = []
        self.notes: list[str] = []

    def add(self, row: Row) -> None:
        self.rows.append(row)
        print("  ".join(c.ljust(w) for c, w in zip(row.cells(), WIDTHS, strict=True)), flush=True)

    def note(self, text: str) -> None:
        self.notes.append(text)
        print(f"note: {text}", flush=True)

    def markdown(self) -> str:
        lines = ["| " + " | ".join(HEAD) + " |", "|" + "---|" * len(HEAD)]
        lines += [
            "| " + " | ".join(c.replace("|", "/") for c in r.cells()) + " |" for r in self.rows
        ]
        return "\n".join(lines) + "\n" + "".join(f"\n- {n}" for n in self.notes) + "\n"


def secs(value: float) -> str:
    return f"{value:.2f} s" if value < 100 else f"{value:.0f} s"


def runs(*samples: Sample) -> str:
    return "/".join(str(s.n) for s in samples)


# ------------------------------------------------------------------ extraction


def _extract_case(
    t: Table, env: dict[str, str], pdf: Path, name: str, repeat: int, out: Path, target: bool
) -> dict[str, Sample]:
    kinds: dict[str, Callable[[], Proc]] = {
        "pdfplumber": lambda: run(extract_cmd("pdfplumber", pdf), env),
        "pdfium": lambda: run(extract_cmd("pdfium", pdf), env),
        "ours": lambda: run(extract_cmd("ours", pdf, out=out), env),
    }
    s = alternate(kinds, repeat)
    plumb, fium, ours = s["pdfplumber"], s["pdfium"], s["ours"]
    n = runs(ours, plumb)
    goal = f"<= {EXTRACT_VS_FLOOR}x floor" if target else "-"

    def met(ratio: float) -> bool | None:
        return ratio <= EXTRACT_VS_FLOOR if target else None

    whole = ours.cpu / plumb.cpu
    t.add(
        Row(
            name,
            "CPU, whole process",
            secs(ours.cpu),
            f"pdfplumber {secs(plumb.cpu)}",
            whole,
            goal,
            met(whole),
            n,
        )
    )
    alone = ours.inner("work_cpu") / plumb.inner("work_cpu")
    t.add(
        Row(
            name,
            "CPU, extraction alone (imports apart)",
            secs(ours.inner("work_cpu")),
            f"pdfplumber {secs(plumb.inner('work_cpu'))}",
            alone,
            goal,
            met(alone),
            n,
        )
    )
    t.add(
        Row(
            name,
            "CPU, whole process",
            secs(ours.cpu),
            f"PDFium {secs(fium.cpu)}",
            ours.cpu / fium.cpu,
            runs=runs(ours, fium),
        )
    )
    t.add(
        Row(
            name,
            "wall, whole process",
            secs(ours.wall),
            f"pdfplumber {secs(plumb.wall)}",
            ours.wall / plumb.wall,
            runs=n,
        )
    )
    return s


def extraction(t: Table, c: Context) -> None:
    env, tmp, args = c.env, c.tmp, c.args
    cases = [(PDF_2026, "2026 canonical PDF", True), (TENNCARE_NEW, "TennCare PDL", True)]
    sizes = [100] if args.quick else [100, 1000]
    cases += [(generated_policy(n, tmp), "generated policy", False) for n in sizes]
    per_page: dict[int, float] = {}
    for pdf, label, target in cases:
        if not pdf.exists():
            t.note(f"{label} skipped: {pdf} is absent")
            continue
        pages = page_count(pdf)
        name = f"extract {label} ({pages:,} pp)"
        out = tmp / f"{pdf.stem}.json"
        s = _extract_case(t, env, pdf, name, args.repeat, out, target)
        c.extracted[pdf] = s["ours"]
        ours, plumb = s["ours"], s["pdfplumber"]
        tenn = pdf == TENNCARE_NEW
        t.add(
            Row(
                name,
                "peak memory",
                f"{ours.peak_mib:.0f} MiB",
                f"pdfplumber {plumb.peak_mib:.0f} MiB",
                ours.peak_mib / plumb.peak_mib,
                f"< {PEAK_MIB:.0f} MiB" if tenn else "-",
                ours.peak_mib < PEAK_MIB if tenn else None,
                runs(ours, plumb),
            )
        )
        if not target:
            per_page[pages] = ours.peak_mib / pages
        if tenn:
            _jobs(t, env, pdf, name, ours, args.repeat)
    if 100 in per_page and 1000 in per_page:
        growth = per_page[1000] / per_page[100]
        t.add(
            Row(
                "extract generated 1,000 vs 100 pp",
                "peak memory per page",
                f"{per_page[1000] * 1024:.0f} KiB/p",
                f"100 pp {per_page[100] * 1024:.0f} KiB/p",
                growth,
                f"<= {PER_PAGE_GROWTH}x",
                growth <= PER_PAGE_GROWTH,
            )
        )


def _jobs(t: Table, env: dict[str, str], pdf: Path, name: str, one: Sample, repeat: int) -> None:
    """``--jobs 2`` against ``--jobs 1`` (both wall, whole process), runs alternating."""
    s = alternate(
        {
            "1": lambda: run(extract_cmd("ours", pdf, jobs=1), env),
            "2": lambda: run(extract_cmd("ours", pdf, jobs=2), env),
        },
        repeat,
    )
    ratio = s["2"].wall / s["1"].wall
    t.add(
        Row(
            name,
            "wall, extract --jobs 2",
            secs(s["2"].wall),
            f"--jobs 1 {secs(s['1'].wall)}",
            ratio,
            f">= {JOBS2_SPEEDUP}x faster",
            1 / ratio >= JOBS2_SPEEDUP,
            runs(s["2"], s["1"]),
        )
    )
    t.note(f"TennCare extract --jobs 2: {1 / ratio:.2f}x faster than --jobs 1 (wall)")


# ------------------------------------------------------------------ PDL pair


def pdl(t: Table, c: Context) -> None:
    """Each TennCare revision extracted within the budgets (the newer one's runs are the
    extraction section's when it ran); its drug rows and classes."""
    for pdf in (TENNCARE_OLD, TENNCARE_NEW):
        if not pdf.exists():
            t.note(f"PDL {pdf.name} skipped: absent")
            continue
        out = c.tmp / f"{pdf.stem}.json"
        if pdf not in c.extracted:
            c.extracted[pdf] = Sample([run(extract_cmd("ours", pdf, out=out), c.env)])
        ours = c.extracted[pdf]
        doc = json.loads(out.read_text(encoding="utf-8"))
        f = doc.get("formulary") or {}
        name = f"PDL {pdf.stem[-10:]} ({doc['source']['pages']} pp)"
        t.add(
            Row(
                name,
                "wall, extract (default budgets)",
                secs(ours.wall),
                f"--max-seconds {EXTRACT_BUDGET_S:.0f} s",
                ours.wall / EXTRACT_BUDGET_S,
                f"< {EXTRACT_BUDGET_S:.0f} s",
                ours.wall < EXTRACT_BUDGET_S,
                runs(ours),
            )
        )
        t.add(
            Row(
                name,
                "peak memory",
                f"{ours.peak_mib:.0f} MiB",
                target=f"< {PEAK_MIB:.0f} MiB",
                met=ours.peak_mib < PEAK_MIB,
                runs=runs(ours),
            )
        )
        drugs, classes = len(f.get("drugs", [])), len(f.get("classes", []))
        t.add(Row(name, "drug rows / classes read", f"{drugs:,} / {classes}", runs="1"))


# ------------------------------------------------------------------ diff / report


def _pair(
    t: Table,
    env: dict[str, str],
    tmp: Path,
    label: str,
    jsons: tuple[Path, Path],
    pdfs: tuple[Path, Path],
    bound: float,
    repeat: int,
) -> Sample:
    key = label.replace(" ", "-")
    name = f"diff {label} ({'/'.join(str(page_count(p)) for p in pdfs)} pp)"
    texts = []
    for side, pdf in zip(("old", "new"), pdfs, strict=True):
        texts.append(tmp / f"{key}-{side}.txt")
        texts[-1].write_text(text_layer(pdf), encoding="utf-8")
    html = tmp / f"{key}.html"
    s = alternate(
        {
            "diff": lambda: run(cli("diff", *jsons), env, ok=(0, 1)),
            "report": lambda: run(cli("report", *jsons, "--format", "html", "-o", html), env),
            "redlines": lambda: run(redlines_cmd(*texts), env),
        },
        repeat,
    )
    rl = s["redlines"]
    as_json = run(cli("diff", *jsons, "--format", "json"), env, ok=(0, 1))
    ours_changes = len(json.loads(as_json.out)["changes"])
    rl_changes = int(rl.runs[0].last_json()["changes"])
    diff, report = s["diff"], s["report"]
    t.add(
        Row(
            name,
            "wall, diff",
            secs(diff.wall),
            f"redlines {secs(rl.wall)}",
            diff.wall / rl.wall,
            f"< {bound} s",
            diff.wall < bound,
            runs(diff, rl),
        )
    )
    t.add(
        Row(
            name,
            "wall, report --format html",
            secs(report.wall),
            f"redlines {secs(rl.wall)}",
            report.wall / rl.wall,
            runs=runs(report, rl),
        )
    )
    t.add(
        Row(
            name,
            "changes reported",
            f"{ours_changes}",
            f"redlines {rl_changes}",
            ours_changes / rl_changes if rl_changes else None,
            runs="1",
        )
    )
    return diff


def diffs(t: Table, c: Context) -> None:
    env, tmp, args = c.env, c.tmp, c.args
    golden = (GOLDEN / "2025-08-08.json", GOLDEN / "2026-05-06.json")
    _pair(
        t,
        env,
        tmp,
        "canonical pair",
        golden,
        (PDF_2025, PDF_2026),
        CANONICAL_DIFF_S,
        args.repeat,
    )
    jsons = (tmp / f"{TENNCARE_OLD.stem}.json", tmp / f"{TENNCARE_NEW.stem}.json")
    if not all(p.exists() for p in jsons):
        if not (TENNCARE_OLD.exists() and TENNCARE_NEW.exists()):
            t.note("TennCare pair skipped: the corpus is absent")
            return
        for pdf, out in zip((TENNCARE_OLD, TENNCARE_NEW), jsons, strict=True):
            run(extract_cmd("ours", pdf, out=out), env)
    diff = _pair(
        t,
        env,
        tmp,
        "TennCare pair",
        jsons,
        (TENNCARE_OLD, TENNCARE_NEW),
        TENNCARE_DIFF_S,
        args.repeat,
    )
    t.add(
        Row(
            "PDL pair (issue 16)",
            "wall, diff",
            secs(diff.wall),
            "-",
            None,
            f"< {PDL_DIFF_S} s",
            diff.wall < PDL_DIFF_S,
            runs(diff),
        )
    )


# ------------------------------------------------------------------ ingest


def ingest(t: Table, c: Context) -> None:
    env, tmp, args = c.env, c.tmp, c.args
    files = sorted(p for p in CORPUS.rglob("*") if p.suffix.lower() in POLICY_SUFFIXES)
    if not files:
        t.note(f"ingest skipped: no corpus in {CORPUS}")
        return
    count = iter(range(1_000_000))
    stores: dict[str, Path] = {}

    def first(jobs: int) -> Proc:
        stores[str(jobs)] = tmp / f"store-j{jobs}-{next(count)}"
        cmd = cli("ingest", CORPUS, "--store", stores[str(jobs)], "--jobs", jobs, "--no-reports")
        return run(cmd, env, ok=(0, 1))  # 1: the known refusal (one revision printed twice)

    def again() -> Proc:
        return run(cli("ingest", CORPUS, "--store", stores["1"], "--no-reports"), env, ok=(0, 1))

    s = alternate({"j1": lambda: first(1), "re": again, "j2": lambda: first(2)}, args.repeat)
    j1, j2, re_ = s["j1"], s["j2"], s["re"]
    name = f"ingest {len(files)} corpus PDFs"
    t.add(Row(name, "wall, ingest -j 1 (fresh store)", secs(j1.wall), runs=runs(j1)))
    ratio = j2.wall / j1.wall
    t.add(
        Row(
            name,
            "wall, ingest -j 2 (fresh store)",
            secs(j2.wall),
            f"-j 1 {secs(j1.wall)}",
            ratio,
            runs=runs(j2, j1),
        )
    )
    share = re_.wall / j1.wall
    t.add(
        Row(
            name,
            "wall, re-ingest (all unchanged)",
            secs(re_.wall),
            f"first -j 1 {secs(j1.wall)}",
            share,
            f"< {REINGEST_SHARE}x (issue 4)",
            share < REINGEST_SHARE,
            runs(re_, j1),
        )
    )
    a, b = stores["1"], stores["2"]
    differ = [
        p.name
        for p in sorted(a.glob("*/*.json"))
        if not (b / p.relative_to(a)).is_file()
        or (b / p.relative_to(a)).read_bytes() != p.read_bytes()
    ]
    same = not differ and len(list(b.glob("*/*.json"))) == len(list(a.glob("*/*.json")))
    t.add(
        Row(
            name,
            "revision files -j 2 = -j 1",
            "identical" if same else "DIFFER",
            target="identical",
            met=same,
        )
    )
    summary = j1.runs[-1].out.strip().splitlines()[-1:] or ["?"]
    t.note(f"ingest -j 1 said: {summary[0]}; CPU -j 1 {secs(j1.cpu)}, -j 2 {secs(j2.cpu)}")


# ------------------------------------------------------------------ catalog


def catalog(t: Table, c: Context) -> None:
    out = c.tmp / "catalog.json"
    cmd = [sys.executable, str(HERE / "bench_catalog.py"), "--json", str(out)]
    run(cmd, c.env, ok=(0, 1))
    figures = json.loads(out.read_text(encoding="utf-8"))
    n = figures["revisions"]
    labels = {
        "ingest_one_file": ("add one policy, ingest in process", "41"),
        "store_one_revision": ("add one revision, store write", "41"),
        "process": ("add one policy, policy-tools ingest", "7"),
        "catalog_row": ("one catalog row (information)", "201"),
    }
    for key, (figure, count) in labels.items():
        f = figures[key]
        target = bool(f["target"])
        t.add(
            Row(
                f"catalog add at {n:,} revisions",
                figure,
                f"{f['large_ms']:.2f} ms",
                f"empty store {f['empty_ms']:.2f} ms",
                f["ratio"],
                f"<= {CATALOG_GROWTH}x" if target else "-",
                f["ratio"] <= CATALOG_GROWTH if target else None,
                count,
            )
        )
    t.note(f"store of {n:,} revisions catalogued by rebuild-index in {figures['rebuild_s']} s")


SECTIONS = {
    "extraction": extraction,
    "pdl": pdl,
    "diff": diffs,
    "ingest": ingest,
    "catalog": catalog,
}


def machine() -> str:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"{model}, {os.cpu_count()} cores, {mem} RAM, Python {platform.python_version()}, "
        f"{platform.platform()}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="no 20-PDF ingest, no 1,000 pages")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each kind (median)")
    parser.add_argument("--only", default=",".join(SECTIONS), help="sections, comma-separated")
    parser.add_argument("--markdown", type=Path, default=None, help="also write the table here")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows here")
    args = parser.parse_args(argv)
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s): {', '.join(unknown)} (known: {', '.join(SECTIONS)})")
    if args.quick and "ingest" in chosen:
        chosen.remove("ingest")
    t = Table()
    started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    print(f"{started}; {machine()}; load average {load_average()}", flush=True)
    print("  ".join(h.ljust(w) for h, w in zip(HEAD, WIDTHS, strict=True)))
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        tmp = Path(folder)
        ctx = Context(frozen_code(tmp / "code"), tmp, args)
        for name in SECTIONS:
            if name in chosen:
                SECTIONS[name](t, ctx)
    t.note(f"load average at the end: {load_average()}")
    misses = [r for r in t.rows if r.met is False]
    print(f"targets met: {sum(r.met is True for r in t.rows)}, not met: {len(misses)}")
    if args.markdown:
        args.markdown.write_text(t.markdown(), encoding="utf-8")
    if args.json:
        rows = [asdict(r) for r in t.rows]
        args.json.write_text(json.dumps({"rows": rows, "notes": t.notes}, indent=2) + "\n")
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
