"""Benchmark: ``diff`` wall time, the ICD-10-CM index, and how matching grows.

1. ``policy-tools diff`` as a whole process (median of ``--repeat`` runs) on the
   canonical pair (goldens) and, when the corpus is there, the TennCare pair (its
   extraction is cached in ``--cache``); issue 13's bounds: < 1.0 s and < 2 s.
2. Loading the cached ICD-10-CM index in a fresh process (bound: < 0.2 s).
3. ``diff_documents`` in-process on synthetic policies 1x, 10x and 100x the canonical
   size (every section, criterion, code and reference repeated with its own words, a few
   edits planted in each copy): the time per item should stay flat (near-linear).

    .venv/bin/python benchmarks/bench_diff.py [--repeat N] [--cache DIR] [--corpus DIR]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchlib import GOLDEN, SHARED, cli, run

from policy_tools.compare import diff_documents
from policy_tools.extract import extract_file
from policy_tools.io import atomic_write_text, dumps
from policy_tools.model.policy import Leaf, Node, PolicyDocument, Section
from policy_tools.store.refs import read_revision_file

CLI = cli("diff")
STRUCTURED_ONCE = ("codes", "dosing", "premedication", "history", "limits")
TENNCARE = (
    "tenncare_pdl-clinical-criteria_2025-05-01",
    "tenncare_pdl-clinical-criteria_2025-06-01",
)


def wall(args: list[str], repeat: int) -> float:
    """Median wall seconds of the whole process (exit 1: changes found)."""
    return statistics.median(run(args, ok=(0, 1)).wall for _ in range(repeat))


def icd_load(repeat: int) -> float:
    code = (
        "import time; from policy_tools.compare import codesets as c; c.icd_index(); "
        "c.icd_index.cache_clear(); t=time.perf_counter(); c.icd_index(); "
        "print(time.perf_counter()-t)"
    )
    runs = [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout)
        for _ in range(repeat)
    ]
    return statistics.median(runs)


def _copy(item: Node | Leaf, tag: str) -> Node | Leaf:
    text = f"{item.text} {tag}" if item.text else item.text
    if isinstance(item, Leaf):
        return item.model_copy(update={"text": text or tag})
    return item.model_copy(update={"text": text, "items": [_copy(c, tag) for c in item.items]})


def scaled(doc: PolicyDocument, times: int, edit: bool) -> PolicyDocument:
    """``doc`` repeated ``times`` over, each copy with its own words (and a planted edit)."""
    sections: list[Section] = []
    codes, refs = [], []
    inds = []
    for k in range(times):
        tag = f"copy{k:03d}"
        for s in doc.sections:
            if k and s.key.startswith(STRUCTURED_ONCE):
                continue  # codes, dosing, history: one structured copy, one printed copy
            blocks = [
                b.model_copy(update={"text": f"{b.text} {tag}" if b.text else b.text})
                for b in s.blocks
            ]
            if edit and blocks and blocks[0].text and k % 3 == 0:
                blocks[0] = blocks[0].model_copy(update={"text": blocks[0].text + " edited"})
            sections.append(s.model_copy(update={"key": f"{s.key}_{k}", "blocks": blocks}))
        for ind in doc.criteria.indications:
            trees = {
                t: _copy(getattr(ind, t), tag)
                for t in ("initial", "continuation")
                if getattr(ind, t)
            }
            inds.append(ind.model_copy(update={"name": f"{ind.name} {tag}", **trees}))
        refs += [r.model_copy(update={"text": f"{r.text} {tag}"}) for r in doc.references]
        codes += [c for c in doc.codes] if k == 0 else []
    criteria = doc.criteria.model_copy(update={"indications": inds})
    return doc.model_copy(
        update={"sections": sections, "references": refs, "codes": codes, "criteria": criteria}
    )


def tenncare_pair(corpus: Path, cache: Path) -> list[Path] | None:
    out = []
    for stem in TENNCARE:
        path = cache / f"{stem}.json"
        if not path.exists():
            pdf = corpus / f"{stem}.pdf"
            if not pdf.exists():
                return None
            atomic_write_text(path, dumps(extract_file(pdf).model_dump(mode="json")))
        out.append(path)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--cache", type=Path, default=Path(".bench-cache"))
    ap.add_argument("--corpus", type=Path, default=SHARED / "corpus" / "real")
    args = ap.parse_args()
    old, new = GOLDEN / "2025-08-08.json", GOLDEN / "2026-05-06.json"
    rows = [
        ("diff canonical pair (whole process)", wall([*CLI, str(old), str(new)], args.repeat), 1.0)
    ]
    pair = tenncare_pair(args.corpus, args.cache)
    if pair:
        rows.append(
            ("diff TennCare pair (whole process)", wall([*CLI, *map(str, pair)], args.repeat), 2.0)
        )
    rows.append(("ICD-10-CM index load (cached)", icd_load(args.repeat), 0.2))
    for label, seconds, bound in rows:
        verdict = "ok" if seconds < bound else "OVER"
        print(f"{label:40s} {seconds:7.3f} s   bound {bound:.1f} s   {verdict}")
    a, b = read_revision_file(old), read_revision_file(new)
    base = None
    for times in (1, 10, 100):
        o, n = scaled(a, times, False), scaled(b, times, True)
        items = sum(len(s.blocks) for s in n.sections) + len(n.references)
        start = time.perf_counter()
        cs = diff_documents(o, n)
        took = time.perf_counter() - start
        per = took / items
        base = base or per
        print(
            f"synthetic {times:3d}x: {items:6d} items, {len(cs.changes):5d} changes, "
            f"{took:7.2f} s, {per * 1e3:6.2f} ms/item ({per / base:4.1f}x the 1x cost per item), "
            f"unexplained {cs.unexplained}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
