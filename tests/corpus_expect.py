"""Compare an extraction with the per-file expectations read off the corpus PDFs
(``tests/data/corpus/<stem>.json``): indication names (fuzzy), the leaves of each tree
(an expected leaf is the first ~12 words of a printed criterion), the top operator of
each tree and the authorization months.

Used by ``tests/test_corpus_criteria.py``; kept apart so a reader can run it on one file
(``python -m tests.corpus_expect FILE.pdf``) to see what differs.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

from policy_tools.model.policy import Indication, Leaf, Node, PolicyDocument

DATA = Path(__file__).resolve().parent / "data" / "corpus"
NAME_MATCH = 80  # token_set_ratio of two printed names of one indication
LEAF_MATCH = 90  # partial ratio of an expected leaf (first words) and an extracted one


def expectation(pdf_name: str) -> dict[str, Any]:
    stem = pdf_name.removesuffix(".pdf")
    path = DATA / f"{stem}.json"
    if not path.exists():  # the PDFium save of IP0319 shares the Acrobat file's expectations
        path = DATA / f"{stem.replace('_pdfium', '_adobe')}.json"
    return json.loads(path.read_text(encoding="utf-8"))


def norm(text: str) -> str:
    t = unicodedata.normalize("NFKC", text).lower()
    t = t.translate(str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-"}))
    t = re.sub(r"\^", "", t)
    t = re.sub(r"[^\w%<>=≥≤/+\-.,()' ]+", " ", t)
    return re.sub(r"\s+", " ", t).strip(" .;,:")


def expected_leaves(tree: Any) -> list[str]:
    if tree is None:
        return []
    if isinstance(tree, str):
        return [tree]
    return [leaf for item in tree.get("items", []) for leaf in expected_leaves(item)]


def leaves(part: Node | Leaf | None) -> list[str]:
    if part is None:
        return []
    if isinstance(part, Leaf):
        return [part.text]
    return [t for item in part.items for t in leaves(item)]


def _prefix(expected: str, got: str) -> bool:
    e, g = norm(expected), norm(got)
    return bool(e and g) and (g.startswith(e) or e.startswith(g))


def leaf_matches(expected: str, got: str) -> bool:
    e, g = norm(expected), norm(got)
    if not e or not g:
        return False
    if g.startswith(e) or e.startswith(g):
        return True
    head = g[: len(e) + 8]
    return fuzz.partial_ratio(e, head) >= LEAF_MATCH or fuzz.ratio(e, g[: len(e)]) >= LEAF_MATCH


@dataclass
class TreeReport:
    missing: list[str] = field(default_factory=list)  # expected leaves not extracted
    extra: list[str] = field(default_factory=list)  # extracted leaves not expected
    op: tuple[str | None, str | None] = (None, None)  # (expected, got) top operator

    @property
    def op_ok(self) -> bool:
        return self.op[0] == self.op[1]


def compare_tree(expected: Any, got: Node | None, common: list[str] = ()) -> TreeReport:  # type: ignore[assignment]
    want = [*common, *expected_leaves(expected)]
    have = leaves(got)
    report = TreeReport(
        op=(
            expected.get("op") if isinstance(expected, dict) else None,
            got.op if got is not None else None,
        )
    )
    if expected is None and got is None:
        report.op = (None, None)
    used: set[int] = set()
    unmatched = []
    for w in want:  # exact prefixes first, then close spellings
        k = next((i for i, h in enumerate(have) if i not in used and _prefix(w, h)), None)
        if k is None:
            unmatched.append(w)
        else:
            used.add(k)
    for w in unmatched:
        k = next((i for i, h in enumerate(have) if i not in used and leaf_matches(w, h)), None)
        if k is None:
            report.missing.append(w)
        else:
            used.add(k)
    report.extra = [h for i, h in enumerate(have) if i not in used]
    return report


def match_indication(name: str, got: list[Indication]) -> Indication | None:
    best = max(got, key=lambda i: fuzz.token_set_ratio(norm(name), norm(i.name)), default=None)
    if best is None or fuzz.token_set_ratio(norm(name), norm(best.name)) < NAME_MATCH:
        return None
    return best


@dataclass
class FileReport:
    names_missing: list[str] = field(default_factory=list)
    names_extra: list[str] = field(default_factory=list)
    trees: dict[str, TreeReport] = field(default_factory=dict)  # "<indication>/<tree>"
    months: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # mismatches only

    def leaf_errors(self) -> int:
        return sum(len(t.missing) + len(t.extra) for t in self.trees.values())

    def op_errors(self) -> list[str]:
        return [k for k, t in self.trees.items() if not t.op_ok]

    def expected_leaf_count(self) -> int:
        return sum(len(t.missing) for t in self.trees.values()) + sum(
            0 for _ in self.trees.values()
        )


def common_leaves(
    exp: dict[str, Any], index: int, scopes: dict[int, list[int]] | None
) -> list[str]:
    """Leaves of the expectation's common criteria that apply to indication ``index``
    (every part of it, unless ``scopes`` names the indications of a part)."""
    common = exp.get("common_criteria")
    if not common:
        return []
    parts = common.get("items", [])
    out: list[str] = []
    for k, part in enumerate(parts):
        if scopes is None or k not in scopes or index in scopes[k]:
            out.extend(expected_leaves(part))
    return out


def compare(
    doc: PolicyDocument, exp: dict[str, Any], scopes: dict[int, list[int]] | None = None
) -> FileReport:
    report = FileReport()
    got = list(doc.criteria.indications)
    matched: set[str] = set()
    for k, ind in enumerate(exp.get("indications", [])):
        mine = match_indication(ind["name"], got)
        if mine is None:
            report.names_missing.append(ind["name"])
            continue
        matched.add(mine.name)
        for tree in ("initial", "continuation"):
            common = common_leaves(exp, k, scopes) if tree == "initial" else []
            report.trees[f"{ind['name']}/{tree}"] = compare_tree(
                ind.get(tree), getattr(mine, tree), common
            )
        a = mine.authorization
        for key, value in (
            ("initial_months", a.initial_months),
            ("reauthorization_months", a.reauthorization_months),
        ):
            if ind.get(key) != value:
                report.months[f"{ind['name']}/{key}"] = (ind.get(key), value)
    report.names_extra = [i.name for i in got if i.name not in matched]
    if "not_covered" in exp:
        report.trees["not_covered"] = compare_tree(exp["not_covered"], doc.criteria.not_covered)
    return report


def describe(report: FileReport) -> str:
    lines = []
    if report.names_missing:
        lines.append(f"indications missing: {report.names_missing}")
    if report.names_extra:
        lines.append(f"indications extra: {report.names_extra}")
    for key, t in report.trees.items():
        if t.missing or t.extra or not t.op_ok:
            lines.append(f"{key}: op {t.op[0]} -> {t.op[1]}")
            lines.extend(f"    missing: {m[:90]}" for m in t.missing)
            lines.extend(f"    extra:   {x[:90]}" for x in t.extra)
    for key, (want, have) in report.months.items():
        lines.append(f"{key}: {want} -> {have}")
    return "\n".join(lines) or "all as expected"
