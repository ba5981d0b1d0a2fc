"""Extraction time as a ratio to pdfplumber merely reading the words of the same PDF.

    python benchmarks/bench_extract.py [PDF ...] [--repeat N]

For each PDF, in the same run: baseline = ``pdfplumber.open`` + ``extract_words()`` on
every page; ours = ``policy_tools.extract.extract_file``. Small files (< 50 pages) are
timed ``--repeat`` times each, alternating baseline and ours, and the median is shown;
large ones once. Wall-clock and CPU seconds are both printed: the CPU ratio is the
stable one on a shared machine. Default PDFs: the 2026 canonical revision and the
277-page TennCare PDL from ../shared/corpus/real (skipped with a note when absent).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pdfplumber

from policy_tools.extract import extract_file

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PDFS = [
    ROOT / "source_pdfs" / "MP-RX-FP-171-25_2026-05-06_annual-review.pdf",
    ROOT.parent / "shared" / "corpus" / "real" / "tenncare_pdl-clinical-criteria_2025-05-01.pdf",
]
SMALL_PAGES = 50


@dataclass(frozen=True)
class Timing:
    wall: float
    cpu: float


def timed(func: Callable[[], object]) -> Timing:
    wall0, cpu0 = time.perf_counter(), time.process_time()
    func()
    return Timing(time.perf_counter() - wall0, time.process_time() - cpu0)


def baseline(path: Path) -> int:
    """pdfplumber opening the file and extracting the words of every page."""
    words = 0
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            words += len(page.extract_words())
    return words


def ours(path: Path) -> int:
    return len(extract_file(path).sections)


def median(timings: list[Timing]) -> Timing:
    return Timing(
        statistics.median(t.wall for t in timings), statistics.median(t.cpu for t in timings)
    )


def bench(path: Path, repeat: int) -> tuple[int, int, Timing, Timing]:
    with pdfplumber.open(path) as pdf:
        pages = len(pdf.pages)
    runs = repeat if pages < SMALL_PAGES else 1
    base: list[Timing] = []
    mine: list[Timing] = []
    for _ in range(runs):  # alternate, so drift in machine load hits both alike
        base.append(timed(lambda: baseline(path)))
        mine.append(timed(lambda: ours(path)))
    return pages, runs, median(base), median(mine)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pdfs", nargs="*", type=Path, help="PDF files (default: see module doc)")
    parser.add_argument("--repeat", type=int, default=5, help="runs for small files (median)")
    args = parser.parse_args(argv)
    pdfs: list[Path] = args.pdfs or DEFAULT_PDFS
    header = (
        f"{'file':<52} {'pages':>5} {'runs':>4} {'base s':>8} {'ours s':>8} {'ratio':>6}"
        f" {'base cpu':>9} {'ours cpu':>9} {'cpu ratio':>9}"
    )
    print(header)
    print("-" * len(header))
    status = 0
    for path in pdfs:
        if not path.exists():
            print(f"{path.name:<52} missing: {path}", file=sys.stderr)
            status = 1
            continue
        pages, runs, base, mine = bench(path, max(1, args.repeat))
        print(
            f"{path.name[:52]:<52} {pages:>5} {runs:>4} {base.wall:>8.2f} {mine.wall:>8.2f}"
            f" {mine.wall / base.wall:>6.2f} {base.cpu:>9.2f} {mine.cpu:>9.2f}"
            f" {mine.cpu / base.cpu:>9.2f}",
            flush=True,
        )
    return status


if __name__ == "__main__":
    sys.exit(main())
