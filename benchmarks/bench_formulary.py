"""Preferred drug list: extraction of the 279-page TennCare PDL, the formulary step's own
share of it, and the diff of two monthly revisions (target: under 5 s).

    python benchmarks/bench_formulary.py [OLD.pdf NEW.pdf]

Default PDFs: the TennCare pair 2025-05-01 (277 pages) and 2025-06-01 (279 pages) from
../shared/corpus/real (skipped with a note when absent). Wall and CPU seconds are printed;
the exit code is 1 when the diff takes 5 s or more.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from policy_tools.compare import diff_documents
from policy_tools.compare.formulary import change_kind
from policy_tools.extract import read_raw
from policy_tools.extract.assemble import assemble
from policy_tools.model.policy import PolicyDocument, Source
from policy_tools.version import EXTRACTOR_VERSION

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "real"
DEFAULT = [
    CORPUS / "tenncare_pdl-clinical-criteria_2025-05-01.pdf",
    CORPUS / "tenncare_pdl-clinical-criteria_2025-06-01.pdf",
]
DIFF_BUDGET = 5.0  # seconds, issue 16


def timed_extract(path: Path) -> tuple[PolicyDocument, float, float]:
    """(document, seconds reading the PDF, seconds assembling it)."""
    t0 = time.perf_counter()
    raw, digest = read_raw(path)
    t1 = time.perf_counter()
    source = Source(
        path=path.name,
        sha256=digest,
        format=raw.format,
        pages=raw.pages,
        extractor_version=EXTRACTOR_VERSION,
    )
    doc = assemble(raw, source)
    return doc, t1 - t0, time.perf_counter() - t1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pdfs", nargs="*", type=Path, help="OLD and NEW PDL PDFs")
    args = parser.parse_args(argv)
    pdfs: list[Path] = args.pdfs or DEFAULT
    missing = [p for p in pdfs if not p.exists()]
    if missing or len(pdfs) != 2:
        print(f"skipped: need two PDL PDFs (missing: {', '.join(map(str, missing))})")
        return 0
    docs = []
    for path in pdfs:
        doc, read_s, assemble_s = timed_extract(path)
        f = doc.formulary
        drugs, classes = (len(f.drugs), len(f.classes)) if f else (0, 0)
        print(
            f"{path.name:<48} {doc.source.pages:>4} pages  read {read_s:6.2f} s  "
            f"assemble {assemble_s:5.2f} s  {drugs} drug rows, {classes} classes",
            flush=True,
        )
        docs.append(doc)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    cs = diff_documents(docs[0], docs[1])
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    counts: dict[str, int] = {}
    for c in cs.changes:
        counts[change_kind(c)] = counts.get(change_kind(c), 0) + 1
    print(f"diff {wall:.2f} s wall, {cpu:.2f} s CPU (budget {DIFF_BUDGET:.0f} s): {counts}")
    return 0 if wall < DIFF_BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
