"""Benchmark: rendering change reports for the largest real revision pair.

The pair is TennCare's PDL clinical criteria, 2025-05-01 (277 pages) vs 2025-06-01
(279 pages), in ../shared/corpus/real (never copied into the project). Extraction and
the diff are done once, untimed; then ``render`` is timed for each format (best of
``--repeat`` runs). The issue's bound: rendering stays under 2 seconds beyond the diff.

    .venv/bin/python benchmarks/bench_report.py [--corpus DIR] [--repeat N]
        [--cache DIR]  (reuse / keep the extracted JSON: extraction takes minutes)
        [--out DIR]    (also write the three reports there, to look at)

Exit code 0 when every format renders under the bound, 1 otherwise, 2 when the
corpus is missing.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from policy_tools.compare import diff_documents
from policy_tools.extract import extract_file
from policy_tools.io import atomic_write_text, dumps
from policy_tools.model.policy import PolicyDocument
from policy_tools.render.report import render
from policy_tools.store.refs import read_revision_file

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("POLICY_TOOLS_SHARED", ROOT.parent / "shared"))
PAIR = (
    "tenncare_pdl-clinical-criteria_2025-05-01.pdf",
    "tenncare_pdl-clinical-criteria_2025-06-01.pdf",
)
BOUND_SECONDS = 2.0


def load(path: Path, cache: Path | None) -> PolicyDocument:
    """Extract ``path``, or read/write its JSON in ``cache``."""
    cached = cache / f"{path.stem}.json" if cache is not None else None
    if cached is not None and cached.exists():
        return read_revision_file(cached)
    doc = extract_file(path)
    if cached is not None:
        atomic_write_text(cached, dumps(doc))
    return doc


def main(argv: list[str] | None = None) -> int:

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=SHARED / "corpus" / "real")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    paths = [args.corpus / name for name in PAIR]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        print(f"corpus file(s) missing: {', '.join(missing)}", file=sys.stderr)
        return 2

    t0 = time.perf_counter()
    old, new = (load(p, args.cache) for p in paths)
    t1 = time.perf_counter()
    changeset = diff_documents(old, new)
    t2 = time.perf_counter()
    print(f"pair: {PAIR[0]} ({old.source.pages} pp) -> {PAIR[1]} ({new.source.pages} pp)")
    print(f"extract both: {t1 - t0:.2f} s (untimed setup)")
    print(
        f"diff: {t2 - t1:.2f} s, {len(changeset.changes)} changes, "
        f"{len(changeset.format_changes)} format changes (not counted)"
    )

    when = datetime(2025, 6, 1, tzinfo=UTC)
    worst = 0.0
    total = 0.0
    for fmt in ("html", "md", "json"):
        times = []
        size = 0
        for _ in range(max(1, args.repeat)):
            start = time.perf_counter()
            size = len(render(changeset, old, new, fmt, generated_at=when))
            times.append(time.perf_counter() - start)
        best = min(times)
        worst = max(worst, max(times))
        total += best
        if args.out is not None:
            atomic_write_text(args.out / f"tenncare.{fmt}", render(changeset, old, new, fmt))
        print(f"render {fmt:4}: best {best:.3f} s, worst {max(times):.3f} s, {size:,} chars")
    verdict = "OK" if worst < BOUND_SECONDS else "TOO SLOW"
    print(
        f"render all three formats: {total:.3f} s (bound {BOUND_SECONDS:.0f} s per report): "
        f"{verdict}"
    )
    return 0 if worst < BOUND_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
