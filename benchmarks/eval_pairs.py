"""Evaluation: every revision pair of the real corpus (pairs A-H of MANIFEST.tsv) and the
canonical MMM pair, judged against the true changes a person read off both PDFs
(tests/data/corpus/pairs/*.json; TennCare: tests/data/corpus/tenncare_pair_*.json).

For each pair it prints: content changes, unexplained differences, undocumented changes,
unsupported and unmapped claims, and, against the ground truth, true changes found /
false changes / missed changes, and the diff time.

Judging is automatic and approximate: a true change counts as found when one reported
change (content or unexplained) of a compatible part of the policy (criteria, narrative,
references, codes, dosing, history, metadata; criteria and narrative are one part while
criteria cannot be read) shares at least half of the true change's distinctive words.
A reported change that matches no true change is a false change (it may be a true
layout-only difference, which the ground truth lists apart, or an extraction artefact).

    .venv/bin/python benchmarks/eval_pairs.py [--corpus DIR] [--cache DIR] [--no-tenncare]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

from policy_tools.compare import diff_documents
from policy_tools.compare.conserve import date_forms, words
from policy_tools.extract import extract_file
from policy_tools.io import atomic_write_text, dumps
from policy_tools.model.changeset import Change, ChangeSet
from policy_tools.model.policy import PolicyDocument
from policy_tools.store.refs import read_revision_file

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("POLICY_TOOLS_SHARED", ROOT.parent / "shared"))
TRUTH = ROOT / "tests" / "data" / "corpus"
GOLDEN = ROOT / "extracted" / "MP-RX-FP-171-25"
FILLER = {"the", "of", "and", "or", "a", "an", "to", "in", "for", "with", "is", "be", "by", "on"}


def pairs(no_tenncare: bool) -> list[tuple[str, Path]]:
    out = [(p.stem.split("_")[0], p) for p in sorted((TRUTH / "pairs").glob("*.json"))]
    if not no_tenncare:
        out += [("G", p) for p in sorted(TRUTH.glob("tenncare_pair_*.json"))]
    return sorted(out)


def load(name: str, corpus: Path, cache: Path | None) -> PolicyDocument:
    date = re.search(r"_(\d{4}-\d{2}-\d{2})_", name)
    if (ROOT / "source_pdfs" / name).exists() and date:  # the canonical pair: its goldens
        return read_revision_file(GOLDEN / f"{date.group(1)}.json")
    cached = cache / f"{Path(name).stem}.json" if cache else None
    if cached and cached.exists():
        return read_revision_file(cached)
    doc = extract_file(corpus / name)
    if cached:
        atomic_write_text(cached, dumps(doc.model_dump(mode="json")))
    return doc


def part(section: str) -> str:
    """The ground truth's part of a policy for a change-set section."""
    if section == "policy":
        return "metadata"
    if section == "criteria.authorization":
        return "authorization"
    head = section.split(".")[0]
    return {"sections": "narrative", "unexplained": "any"}.get(head, head)


def change_words(ch: Change) -> set[str]:
    texts = [str(getattr(v, a, "") or "") for v in (ch.old, ch.new) for a in ("text", "outline")]
    texts += [str(getattr(v, "value", "") or "") for v in (ch.old, ch.new)]
    texts += [
        " ".join(c.value or "" for c in getattr(v, "cells", []) or []) for v in (ch.old, ch.new)
    ]
    texts += [str(getattr(v, "code", "") or "") for v in (ch.old, ch.new)]
    texts += [w.text for w in ch.words or []]
    texts += [ch.old_label or "", ch.new_label or ""]
    texts += [" ".join(date_forms(t)) for t in list(texts)]  # ISO dates as printed
    return {w for t in texts for w in words(t)} - FILLER


def truth_words(t: dict[str, Any]) -> set[str]:
    old = set(words(t.get("old_text", t.get("old"))))
    new = set(words(t.get("new_text", t.get("new"))))
    differing = (old ^ new) or (old | new) or set(words(t.get("drug")))
    return differing - FILLER


def compatible(truth_part: str, ours: str, readable: bool) -> bool:
    if "any" in (ours, truth_part) or truth_part == ours:
        return True
    loose = {"criteria", "narrative", "authorization"}
    return not readable and truth_part in loose and ours in loose


def judge(cs: ChangeSet, truth: list[dict[str, Any]], readable: bool) -> tuple[int, int, int]:
    """(true changes found, false changes, missed changes)."""
    ours = [(c, part(c.section), change_words(c)) for c in cs.changes]
    used: set[str] = set()
    found = 0
    for t in truth:
        tw = truth_words(t)
        tpart = t.get("section") or "any"
        hits = [
            c.id
            for c, p, cw in ours
            if compatible(tpart, p, readable) and tw and len(tw & cw) * 2 >= len(tw)
        ]
        if hits:
            found += 1
            used.update(hits)
    false = sum(1 for c, _, _ in ours if c.id not in used)
    return found, false, len(truth) - found


def row(key: str, spec: Path, corpus: Path, cache: Path | None) -> list[str]:
    data = json.loads(spec.read_text(encoding="utf-8"))
    old, new = load(data["old"], corpus, cache), load(data["new"], corpus, cache)
    start = time.perf_counter()
    cs = diff_documents(old, new)
    took = time.perf_counter() - start
    truth = data.get("changes", [])
    readable = old.criteria.readable and new.criteria.readable
    found, false, missed = judge(cs, truth, readable)
    a = cs.audit
    return [
        key,
        str(len(cs.changes)),
        str(cs.unexplained),
        str(sum(u.count for u in a.undocumented)),
        str(len(a.unsupported_claims)),
        str(len(a.unmapped)),
        f"{found}/{len(truth)}",
        str(false),
        str(missed),
        "yes" if readable else "no",
        f"{took:.2f}",
    ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=SHARED / "corpus" / "real")
    ap.add_argument("--cache", type=Path, default=None, help="keep / reuse extracted JSON here")
    ap.add_argument("--no-tenncare", action="store_true", help="skip pair G (277 pages)")
    args = ap.parse_args()
    if not (args.corpus / "MANIFEST.tsv").exists():
        print(f"corpus not found at {args.corpus}", file=sys.stderr)
        return 2
    head = ["pair", "changes", "unexplained", "undocumented", "unsupported", "unmapped"]
    head += ["true found", "false", "missed", "criteria read", "diff s"]
    rows = [row(k, spec, args.corpus, args.cache) for k, spec in pairs(args.no_tenncare)]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    for r in [head, *rows]:
        print("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
