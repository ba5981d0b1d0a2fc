"""Benchmark: adding one revision to an empty store vs a store of 10,000 revisions.

The catalog is SQLite (``<store>/.catalog.sqlite``), so an add should not grow with
the store (issue 13: an add at 10,000 revisions costs at most 1.2x an add at 0). A
store of ``--revisions`` revisions (``--per-policy`` per policy) is generated: real
policy JSON files written as ingest writes them, then catalogued by
``store rebuild-index`` (timed too). Then, in the empty store and in the large one:

1. ``ingest one file``: ``ingest_paths`` of one new Markdown policy, in process (the
   whole ingest: catalog open and upkeep, sha256 pre-check, a real extraction, the
   journaled write, the catalog row), median of ``--repeat`` adds;
2. ``store one revision``: the journaled write alone (``write.write_revision``: the
   journal entry, the revision file written atomically, its catalog row), on the
   connection a batch holds;
3. ``policy-tools ingest``: the same as a user runs it, a whole process, median of
   ``--process-repeat`` runs (start-up time included);
4. ``catalog row`` (for information): one SQLite transaction inserting a row, the part
   that depends on the store size at all (a B-tree: logarithmic), median of 201.

Each prints the two medians and their ratio (target <= 1.2 for 1-3).

Usage: ``python benchmarks/bench_catalog.py [--revisions 10000] [--per-policy 5]
[--repeat 41] [--process-repeat 7] [--json OUT]``
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchlib import cli, run

from policy_tools.io import dumps
from policy_tools.model.policy import (
    Coverage,
    HistoryEntry,
    PolicyDocument,
    PolicyMeta,
    Source,
)
from policy_tools.store import ingest_paths, rebuild_catalog, store_lock
from policy_tools.store.catalog import CATALOG_NAME, CatalogDB, iso_time, revision_row
from policy_tools.store.write import write_revision
from policy_tools.version import EXTRACTOR_VERSION

TARGET = 1.2

POLICY_MD = """# Benchmark Drug {n} Policy

Policy Number: BENCH-{n}
Effective Date: 01/01/2025

## Criteria

1. Patient is 18 years or older; AND
2. Has a diagnosis of the condition

## Coding

| Code | Description |
| --- | --- |
| J9999 | Benchmark drug injection |

## Policy History

| Date | Action |
| --- | --- |
| 01/01/2025 | New policy |
"""


def revision(policy: int, rev: int) -> PolicyDocument:
    """A small but complete revision document (as an extraction would give)."""
    sha = f"{policy:08x}{rev:08x}".ljust(64, "0")
    return PolicyDocument(
        source=Source(
            path=f"policy-{policy}-{rev}.pdf",
            sha256=sha,
            format="pdf",
            pages=3,
            extractor_version=EXTRACTOR_VERSION,
        ),
        policy=PolicyMeta(
            number=f"GEN-{policy:05d}",
            name=f"Generated policy {policy}",
            effective_date=f"{2000 + rev:04d}-01-01",
        ),
        history=[HistoryEntry(review_type="Annual Review", summary="generated", page=3)],
        coverage=Coverage(body_words=100, structured_words=80, ratio=0.8),
    )


def generate(store: Path, revisions: int, per_policy: int) -> float:
    """Write ``revisions`` revision files and catalog them; returns the rebuild seconds."""
    now = int(time.time())
    for i in range(revisions):
        policy, rev = divmod(i, per_policy)
        doc = revision(policy, rev)
        path = store / str(doc.policy.number) / f"{doc.policy.effective_date}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dumps(doc), encoding="utf-8")
        os.utime(path, (now, now))
    start = time.perf_counter()
    report = rebuild_catalog(store)
    elapsed = time.perf_counter() - start
    assert report.revisions == revisions and not report.problems, report
    return elapsed


def ingest_one(store: Path, src: Path, n: int) -> float:
    """Seconds of ``ingest_paths`` adding one new one-file policy."""
    src.write_text(POLICY_MD.format(n=n), encoding="utf-8")
    start = time.perf_counter()
    res = ingest_paths([src], store_dir=store)
    elapsed = time.perf_counter() - start
    assert [f.status for f in res.files] == ["added"], res.files
    return elapsed


_OPEN: dict[Path, CatalogDB] = {}  # one connection per store, as one ingest batch holds


def _db(store: Path) -> CatalogDB:
    if store not in _OPEN:
        _OPEN[store] = CatalogDB.connect(store / CATALOG_NAME)
    return _OPEN[store]


def catalog_row(store: Path, n: int) -> float:
    """Seconds of the catalog write of one revision (one transaction)."""
    db = _db(store)
    st = (store / CATALOG_NAME).stat()
    row = revision_row(revision(900_000 + n, 0), (f"ROW-{n}", "2025-01-01"), st, "0", "")
    row.ingested_at = iso_time(time.time())
    start = time.perf_counter()
    with db.write():
        db.put(row)
    return time.perf_counter() - start


def store_one(store: Path, n: int) -> float:
    """Seconds of the journaled write of one revision (under the lock, as ingest does)."""
    db = _db(store)
    doc = revision(800_000 + n, 0)
    where = (str(doc.policy.number), str(doc.policy.effective_date))
    start = time.perf_counter()
    with store_lock(store):
        write_revision(db, store, where, doc, None)
    return time.perf_counter() - start


def process_one(store: Path, src: Path, n: int) -> float:
    """Seconds of a whole ``policy-tools ingest`` process adding one policy."""
    src.write_text(POLICY_MD.format(n=n), encoding="utf-8")
    return run(cli("ingest", src, "--store", store, "--no-reports")).wall


def compare(
    name: str,
    measure: Callable[[Path, int], float],
    stores: list[Path],
    repeat: int,
    target: bool = True,
) -> dict[str, float | bool]:
    """Medians of ``measure`` in the empty and the large store (runs alternate between
    the two, so a change in machine load hits both), and their ratio."""
    runs: list[list[float]] = [[], []]
    for n in range(repeat):
        for k, store in enumerate(stores):
            runs[k].append(measure(store, 2 * n + k))
    empty, large = (statistics.median(r) * 1000 for r in runs)
    ratio = large / empty
    verdict = ("ok" if ratio <= TARGET else f"over {TARGET}x") if target else "information"
    print(
        f"{name:<22} empty {empty:9.2f} ms   large {large:9.2f} ms   "
        f"ratio {ratio:5.2f}  ({verdict})"
    )
    return {
        "empty_ms": round(empty, 3),
        "large_ms": round(large, 3),
        "ratio": round(ratio, 3),
        "target": target,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--revisions", type=int, default=10_000)
    parser.add_argument("--per-policy", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=41)
    parser.add_argument("--process-repeat", type=int, default=7)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-catalog-"))
    try:
        empty, large, sources = tmp / "empty", tmp / "large", tmp / "sources"
        sources.mkdir()
        ingest_paths([], store_dir=empty)  # an empty store with its catalog
        rebuild_s = generate(large, args.revisions, args.per_policy)
        print(
            f"store of {args.revisions} revisions ({args.per_policy} per policy) catalogued "
            f"by rebuild-index in {rebuild_s:.1f} s; {os.cpu_count()} CPUs"
        )
        stores = [empty, large]
        src, repeat = sources / "policy.md", args.repeat
        figures = {
            "revisions": args.revisions,
            "rebuild_s": round(rebuild_s, 2),
            "ingest_one_file": compare(
                "ingest one file", lambda s, n: ingest_one(s, src, n), stores, repeat
            ),
            "store_one_revision": compare("store one revision", store_one, stores, repeat),
            "process": compare(
                "policy-tools ingest",
                lambda s, n: process_one(s, src, 50_000 + n),
                stores,
                args.process_repeat,
            ),
            "catalog_row": compare("catalog row", catalog_row, stores, 201, target=False),
        }
        for db in _OPEN.values():
            db.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    worst = max(v["ratio"] for v in figures.values() if isinstance(v, dict) and v["target"])
    return 0 if worst <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
