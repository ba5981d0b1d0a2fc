"""Extraction against what a user would otherwise run, in one table (issue 13).

    python benchmarks/bench_extract.py [--repeat N] [--pages 100,1000] [--skip-jobs]

For each case, in the same run and each in its own process (so peak memory is that
process's own, read with ``wait4``):

- **pdfplumber floor**: ``pdfplumber.open`` + ``extract_words()`` on every page;
- **PDFium floor**: every character of every page with its box (``pypdfium2``);
- **ours**: ``policy_tools.extract.extract_file`` (``--jobs 1``; TennCare also
  ``--jobs 2``);
- peak resident memory of ours, and per page for the generated policies.

Cases: the 2026 canonical PDF, the 277-page TennCare PDL (from ../shared/corpus/real;
skipped with a note when absent) and generated policies of 100 and 1,000 pages
(typeset with reportlab: headings, criteria lists, a ruled table and running headers on
every page). Small files are run ``--repeat`` times and the median is shown. CPU seconds
are the stable figure on a shared machine; wall seconds are shown too.

Set PYTHONPATH to measure another checkout of ``policy_tools`` with the same script.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PDF_2026 = ROOT / "source_pdfs" / "MP-RX-FP-171-25_2026-05-06_annual-review.pdf"
TENNCARE = (
    ROOT.parent / "shared" / "corpus" / "real" / "tenncare_pdl-clinical-criteria_2025-05-01.pdf"
)
SMALL_PAGES = 50
KINDS = ("pdfplumber", "pdfium", "ours")


@dataclass(frozen=True)
class Run:
    wall: float  # whole process less interpreter start-up: imports + extraction
    cpu: float
    peak_mib: float
    run_wall: float  # extraction alone
    run_cpu: float


# ------------------------------------------------------------ child process


def _imports(kind: str) -> None:
    """What the measured code imports (timed apart: start-up is not extraction)."""
    if kind == "pdfplumber":
        import pdfplumber  # noqa: F401
    elif kind == "pdfium":
        import pypdfium2  # noqa: F401
    else:
        import policy_tools.extract  # noqa: F401


def _pdfplumber_floor(path: Path) -> None:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            page.extract_words()
            page.flush_cache()


def _pdfium_floor(path: Path) -> None:
    import ctypes

    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    doc = pdfium.PdfDocument(path)
    box = pdfium_c.FS_RECTF()
    for index in range(len(doc)):
        page = doc[index]
        text = page.get_textpage()
        chars = []
        for i in range(pdfium_c.FPDFText_CountChars(text.raw)):
            pdfium_c.FPDFText_GetLooseCharBox(text.raw, i, ctypes.byref(box))
            chars.append((pdfium_c.FPDFText_GetUnicode(text.raw, i), box.left, box.top))
        text.close()
        page.close()
    doc.close()


def _ours(path: Path, jobs: int) -> None:
    from policy_tools.extract import extract_file

    if jobs > 1:
        extract_file(path, jobs=jobs)
    else:
        extract_file(path)


def child(kind: str, path: Path, jobs: int) -> None:
    """Run one measurement in this process and print its times as JSON: ``wall``/``cpu``
    with the imports, ``run_wall``/``run_cpu`` without them."""
    wall0, cpu0 = time.perf_counter(), time.process_time()
    _imports(kind)
    wall1, cpu1 = time.perf_counter(), time.process_time()
    if kind == "pdfplumber":
        _pdfplumber_floor(path)
    elif kind == "pdfium":
        _pdfium_floor(path)
    else:
        _ours(path, jobs)
    wall2, cpu2 = time.perf_counter(), time.process_time()
    times = {"wall": wall2 - wall0, "cpu": cpu2 - cpu0}
    print(json.dumps({**times, "run_wall": wall2 - wall1, "run_cpu": cpu2 - cpu1}))


# ----------------------------------------------------------------- parent


def measure(kind: str, path: Path, jobs: int = 1) -> Run:
    """One measurement in a fresh process: its wall and CPU time, and its peak memory.

    With ``--jobs`` the CPU time is the parent's only; wall time is the figure then.
    """
    cmd = [sys.executable, __file__, "--child", kind, str(path), "--jobs", str(jobs)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} on {path.name} failed ({proc.returncode})")
    t = json.loads(out.strip().splitlines()[-1])
    return Run(t["wall"], t["cpu"], usage.ru_maxrss / 1024, t["run_wall"], t["run_cpu"])


def median(runs: list[Run]) -> Run:
    return Run(
        statistics.median(r.wall for r in runs),
        statistics.median(r.cpu for r in runs),
        max(r.peak_mib for r in runs),
        statistics.median(r.run_wall for r in runs),
        statistics.median(r.run_cpu for r in runs),
    )


def generated(pages: int, folder: Path) -> Path:
    """A policy of ``pages`` pages typeset with reportlab (cached per run)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import letter
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import (
        ListFlowable,
        PageBreak,
        Paragraph,
        SimpleDocTemplate,
        Table,
        TableStyle,
    )

    path = folder / f"generated-{pages}.pdf"
    if path.exists():
        return path
    ss = getSampleStyleSheet()

    def header(canvas: object, doc: object) -> None:
        canvas.saveState()  # type: ignore[attr-defined]
        canvas.setFont("Helvetica", 8)  # type: ignore[attr-defined]
        canvas.drawString(72, 760, "Policy Number: GEN-1000   Policy Name: Generated policy")  # type: ignore[attr-defined]
        canvas.drawString(500, 30, f"Page {canvas.getPageNumber()} of {pages}")  # type: ignore[attr-defined]
        canvas.restoreState()  # type: ignore[attr-defined]

    story: list[object] = []
    for n in range(1, pages + 1):
        story.append(Paragraph(f"Section {n}: Criteria for indication {n}", ss["Heading2"]))
        items = [
            Paragraph(f"Patient meets requirement {n}.{k} of the indication; AND", ss["Normal"])
            for k in range(1, 9)
        ]
        story.append(ListFlowable(items, bulletType="1"))
        rows = [["Code", "Description"]] + [
            [f"J{9000 + k}", f"Injection, drug {n}-{k}, 1 mg"] for k in range(6)
        ]
        table = Table(rows)
        table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black)]))
        story.append(table)
        story.append(PageBreak())
    SimpleDocTemplate(str(path), pagesize=letter).build(
        story, onFirstPage=header, onLaterPages=header
    )
    return path


def bench(path: Path, repeat: int) -> dict[str, Run]:
    import pypdfium2 as pdfium

    pages = len(pdfium.PdfDocument(path))
    runs = repeat if pages < SMALL_PAGES else 1
    got: dict[str, list[Run]] = {k: [] for k in KINDS}
    for _ in range(runs):  # alternate, so drift in machine load hits all alike
        for kind in KINDS:
            got[kind].append(measure(kind, path))
    return {k: median(v) for k, v in got.items()}


def row(name: str, pages: int, r: dict[str, Run]) -> str:
    ours, plumb, fium = r["ours"], r["pdfplumber"], r["pdfium"]
    return (
        f"{name[:30]:<30} {pages:>5} {plumb.run_cpu:>8.2f} {fium.run_cpu:>8.2f}"
        f" {ours.run_cpu:>8.2f} {ours.run_cpu / plumb.run_cpu:>7.2f}"
        f" {ours.run_cpu / fium.run_cpu:>7.2f} {ours.cpu / plumb.cpu:>8.2f}"
        f" {ours.run_wall / plumb.run_wall:>7.2f} {ours.peak_mib:>8.0f}"
        f" {ours.peak_mib / pages:>8.2f}"
    )


HEADER = (
    f"{'case':<30} {'pages':>5} {'plumb s':>8} {'pdfium s':>8} {'ours s':>8}"
    f" {'/plumb':>7} {'/pdfium':>7} {'/plumb+i':>8} {'/plumb w':>7} {'peak MiB':>8}"
    f" {'MiB/page':>8}"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs for small files (median)")
    parser.add_argument("--pages", default="100,1000", help="generated policies' page counts")
    parser.add_argument("--skip-jobs", action="store_true", help="no --jobs 2 measurement")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "PDF"), help=argparse.SUPPRESS)
    parser.add_argument("--jobs", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], Path(args.child[1]), args.jobs)
        return 0
    import pypdfium2 as pdfium

    print(
        "CPU seconds of the extraction alone (imports apart); ratios ours / floor;"
        " /plumb+i: with the imports; /plumb w: wall clock"
    )
    print(HEADER)
    print("-" * len(HEADER))
    cases = [PDF_2026, TENNCARE]
    with tempfile.TemporaryDirectory() as tmp:
        cases += [generated(int(n), Path(tmp)) for n in args.pages.split(",") if n]
        per_page: dict[int, float] = {}
        for path in cases:
            if not path.exists():
                print(f"{path.name:<34} missing: {path}", file=sys.stderr)
                continue
            pages = len(pdfium.PdfDocument(path))
            result = bench(path, max(1, args.repeat))
            per_page[pages] = result["ours"].peak_mib / pages
            print(row(path.name, pages, result), flush=True)
        if len(per_page) >= 2 and 100 in per_page and 1000 in per_page:
            print(f"per-page memory, 1,000 pages / 100 pages: {per_page[1000] / per_page[100]:.2f}")
    if TENNCARE.exists() and not args.skip_jobs:
        one, two = measure("ours", TENNCARE, 1), measure("ours", TENNCARE, 2)
        print(
            f"TennCare --jobs 1: {one.wall:.1f} s wall, --jobs 2: {two.wall:.1f} s wall,"
            f" speed-up {one.wall / two.wall:.2f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
