"""Semantic diff of two policy revisions.

Items are matched by *identity and content*, never by position or label:

- codes by (system, code); dosing rows by (schedule, day); premedication rows by
  (day, medication); history rows by (review type, dates); definitions by term;
- references, definitions, criteria nodes/leaves, dosing notes and the sentences of
  generic sections by text similarity (:func:`similarity`, thresholds below);
- rows whose identity key changed (the saline row whose medication text changed) are
  paired in a second pass by the similarity of the whole row.

After matching, both sides become dictionaries keyed by match key and DeepDiff
compares them (pages and labels excluded; unordered lists compared with
``ignore_order``), so deepdiff decides what differs and this module decides what a
difference *means* (renumbered, moved, OR-branch added, AND changed to OR, ...).

Text is compared through :func:`compare_key`: whitespace, spacing around punctuation
("deficiency ." == "deficiency."), case, typographic quotes/dashes, trademark signs and
trailing list punctuation (";", ".", ",") do not count. Modified text carries a
word-level diff (difflib over word tokens) for redlining.

Layout-only differences (section titles of another template, pages, line breaks,
header spellings of the policy name) are never content changes; the name, its header
spellings, the document title and section titles go in ``format_changes``.
"""

from __future__ import annotations

import calendar
import difflib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from deepdiff import DeepDiff
from rapidfuzz import fuzz

from .changeset import Change, ChangeKind, ChangeSet, CodeFinding, RevisionInfo, WordOp
from .codesets import check_code, covering_codes, normalize_code
from .models import (
    Block,
    Code,
    HistoryEntry,
    Leaf,
    Node,
    PolicyDocument,
)

__all__ = [
    "CRITERIA_MATCH",
    "REFERENCE_MATCH",
    "ROW_MATCH",
    "TEXT_MATCH",
    "compare_key",
    "diff_documents",
    "diff_view",
    "render_text",
    "similarity",
    "word_diff",
]

# --- matching thresholds (scores 0-100 from :func:`similarity`) ---------------------
# similarity = mean(rapidfuzz ratio, token_set_ratio) of the comparison keys. Tuned on
# the MP-RX-FP-171-25 pair and the FEP corpus pairs:
#  * a criterion that gained a qualifier keeps >= 69 ("Use as first-line therapy for
#    SCLC" -> "... first-line systemic therapy ..., except for ..." scores 69.5;
#    "limited-stage SCLC" -> "... without brain metastases" 89), while unrelated items
#    of the same list stay <= 60 ("limited-stage SCLC" vs "brain metastases from SCLC
#    that do not meet ..." 59.5; "18 years of age or older" vs "performance status
#    0-2" 56). Greedy best-first assignment settles the rest.
CRITERIA_MATCH = 65.0
#  * references share boilerplate (journal names, "Updated periodically"), so two
#    different papers score ~72 (Ahn 2023 vs Mountzios 2025 in NEJM); a revised
#    reference (new edition / retrieval date) scores >= 89.
REFERENCE_MATCH = 80.0
#  * definitions, dosing notes, sentences of generic sections.
TEXT_MATCH = 65.0
#  * table rows whose identity key changed, compared as whole rows (saline row 4-5 ->
#    2-4 hours scores 97; dexamethasone vs saline 50).
ROW_MATCH = 75.0
#  * two criteria headings with sub-items are the same criterion only if their own
#    texts are alike: "Follicular lymphoma grade 3B" vs "Relapsed or refractory mantle
#    cell lymphoma (MCL)" (FEP Breyanzi) scores 39 on text although the common items
#    below them make the subtrees look alike.
HEADING_FLOOR = 55.0

SECTION_ORDER = [
    "policy",
    "criteria.initial",
    "criteria.continuation",
    "criteria.authorization",
    "criteria.not_covered",
    "codes",
    "dosing.schedule",
    "dosing.premedication",
    "dosing.notes",
    "definitions",
    "references",
    "history",
]

T = TypeVar("T")

# --- text helpers ---------------------------------------------------------------------

_TYPO = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2012": "-",
        "\u2212": "-",
        "\u00a0": " ",
        "\u00ae": "",
        "\u2122": "",
        "\u2022": " ",
    }
)


@lru_cache(maxsize=1 << 16)
def clean_text(text: str | None) -> str:
    """Display form: NFKC, one space between words, no space before , . ; : ) ]."""
    if not text:
        return ""
    t = unicodedata.normalize("NFKC", text).translate(_TYPO)
    t = re.sub(r"\s+", " ", t).strip()
    t = re.sub(r"\s+([.,;:!?)\]])", r"\1", t)
    t = re.sub(r"([(\[])\s+", r"\1", t)
    t = re.sub(r"(\w)- (?=[a-z])", r"\1-", t)  # "non- supported" (a line-break hyphen)
    return t


@lru_cache(maxsize=1 << 16)
def compare_key(text: str | None) -> str:
    """What two texts must share to be 'the same': case, spacing, end punctuation aside."""
    t = clean_text(text).casefold()
    t = re.sub(r"[\s;,.:]+$", "", t)
    t = re.sub(r"[\s;,]+(and|or)$", "", t)  # a connector the extractor left behind
    return re.sub(r"[\s;,.:]+$", "", t)


def similarity(a: str | None, b: str | None) -> float:
    """0-100: mean of rapidfuzz ``ratio`` and ``token_set_ratio`` of the comparison keys."""
    ka, kb = compare_key(a), compare_key(b)
    if ka == kb:
        return 100.0
    if not ka or not kb:
        return 0.0
    return (fuzz.ratio(ka, kb) + fuzz.token_set_ratio(ka, kb)) / 2.0


def word_diff(old: str | None, new: str | None) -> list[WordOp]:
    """Word-level runs (equal / delete / insert) between two texts, for redlining."""
    a, b = clean_text(old).split(), clean_text(new).split()
    ops: list[WordOp] = []

    def push(op: str, words: Sequence[str]) -> None:
        if not words:
            return
        text = " ".join(words)
        if ops and ops[-1].op == op:
            ops[-1] = WordOp(op=ops[-1].op, text=ops[-1].text + " " + text)
        else:
            ops.append(WordOp(op=op, text=text))

    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            push("equal", a[i1:i2])
        else:
            push("delete", a[i1:i2])
            push("insert", b[j1:j2])
    return ops


def _short(text: str | None, width: int = 90) -> str:
    t = clean_text(text)
    return t if len(t) <= width else t[: width - 3].rstrip() + "..."


# --- generic matching -------------------------------------------------------------------


def match_items(
    olds: Sequence[T],
    news: Sequence[T],
    key: Callable[[T], Any],
    score: Callable[[T, T], float] | None = None,
    threshold: float = 0.0,
) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """Pair items by identity ``key`` first, then leftovers by ``score`` >= threshold.

    Equal keys pair in order of appearance; leftovers pair greedily best-first
    (ties: earlier old, then earlier new), so the result is deterministic.
    Returns (pairs of indexes, unmatched old indexes, unmatched new indexes).
    """
    by_key: dict[Any, list[int]] = defaultdict(list)
    for j, item in enumerate(news):
        by_key[key(item)].append(j)
    pairs: list[tuple[int, int]] = []
    lone_old: list[int] = []
    for i, item in enumerate(olds):
        bucket = by_key.get(key(item))
        if bucket:
            pairs.append((i, bucket.pop(0)))
        else:
            lone_old.append(i)
    taken = {j for _, j in pairs}
    lone_new = [j for j in range(len(news)) if j not in taken]
    if score is not None and lone_old and lone_new:
        cands = []
        for i in lone_old:
            for j in lone_new:
                s = score(olds[i], news[j])
                if s >= threshold:
                    cands.append((-s, i, j))
        cands.sort()
        used_o: set[int] = set()
        used_n: set[int] = set()
        for _, i, j in cands:
            if i in used_o or j in used_n:
                continue
            used_o.add(i)
            used_n.add(j)
            pairs.append((i, j))
        lone_old = [i for i in lone_old if i not in used_o]
        lone_new = [j for j in lone_new if j not in used_n]
    pairs.sort(key=lambda p: (p[1], p[0]))
    return pairs, lone_old, lone_new


def _deep(old_map: dict[str, Any], new_map: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """DeepDiff two keyed maps; returns {'added': [keys], 'removed': [keys],
    'changed': [(key, field path, old, new)]} in a stable order."""
    dd = DeepDiff(old_map, new_map, view="tree", verbose_level=2, **kwargs)
    added: list[str] = []
    removed: list[str] = []
    changed: list[tuple[str, tuple[Any, ...], Any, Any]] = []
    for report, levels in dd.items():
        for level in levels:
            path = level.path(output_format="list")
            if not path:
                continue
            head, rest = str(path[0]), tuple(path[1:])
            if report == "dictionary_item_added" and not rest:
                added.append(head)
            elif report == "dictionary_item_removed" and not rest:
                removed.append(head)
            else:
                t1 = None if type(level.t1).__name__ == "NotPresent" else level.t1
                t2 = None if type(level.t2).__name__ == "NotPresent" else level.t2
                changed.append((head, rest, t1, t2))
    changed.sort(key=lambda c: (c[0], str(c[1])))
    return {"added": sorted(added), "removed": sorted(removed), "changed": changed}


# --- change collection ------------------------------------------------------------------


@dataclass
class _Collector:
    changes: list[Change] = field(default_factory=list)
    formats: list[Change] = field(default_factory=list)

    def add(self, section: str, kind: ChangeKind, path: str, summary: str, **kw: Any) -> Change:
        ch = Change(id="", section=section, kind=kind, path=path, summary=summary, **kw)
        self.changes.append(ch)
        return ch

    def fmt(self, section: str, path: str, summary: str, **kw: Any) -> None:
        self.formats.append(
            Change(id="", section=section, kind="modified", path=path, summary=summary, **kw)
        )


def _text_change(
    out: _Collector,
    section: str,
    path: str,
    what: str,
    old: str | None,
    new: str | None,
    *,
    old_label: str | None = None,
    new_label: str | None = None,
    old_page: int | None = None,
    new_page: int | None = None,
    detail: str | None = None,
) -> None:
    """One added / removed / modified / renumbered text item."""
    labels = dict(old_label=old_label, new_label=new_label, old_page=old_page, new_page=new_page)
    if old is None:
        out.add(
            section, "added", path, f"Added {what}: {_short(new)}", new=new, detail=detail, **labels
        )
    elif new is None:
        out.add(
            section,
            "removed",
            path,
            f"Removed {what}: {_short(old)}",
            old=old,
            detail=detail,
            **labels,
        )
    elif compare_key(old) == compare_key(new):
        if (old_label or "") != (new_label or ""):
            out.add(
                section,
                "renumbered",
                path,
                f"Renumbered {what} {old_label or '(none)'} -> {new_label or '(none)'}: "
                f"{_short(new, 60)}",
                old=old,
                new=new,
                detail=detail,
                **labels,
            )
    else:
        relabel = ""
        if (old_label or "") != (new_label or ""):
            relabel = f" (renumbered {old_label or '(none)'} -> {new_label or '(none)'})"
        out.add(
            section,
            "modified",
            path,
            f"Modified {what}{relabel}: {_short(new, 70)}",
            old=old,
            new=new,
            words=word_diff(old, new),
            detail=detail,
            **labels,
        )


# --- policy metadata ----------------------------------------------------------------------

_DATE_FIELDS = ("origination_date", "last_review_date", "effective_date")
_META_LABELS = {
    "number": "Policy number",
    "line_of_business": "Line of business",
    "origination_date": "Origination date",
    "last_review_date": "Last review date",
    "effective_date": "Effective date",
    "revision_frequency": "Revision frequency",
    "drug": "Drug",
    "scope": "Scope",
    "service_categories": "Service categories",
}


def _meta_content(doc: PolicyDocument, other: PolicyDocument) -> dict[str, Any]:
    """The content fields of the header, in comparison form.

    A service-category box a source cannot read (None, e.g. Markdown lost the glyph)
    compares equal to whatever the other revision says for the same label.
    """
    p = doc.policy
    theirs = {compare_key(c.label): c.checked for c in other.policy.service_categories}
    cats = {}
    for c in p.service_categories:
        label = compare_key(c.label)
        known = c.checked is not None and theirs.get(label, False) is not None
        cats[label] = c.checked if known else None
    return {
        "number": p.number,
        "drug": {"brand": compare_key(p.drug.brand), "generic": compare_key(p.drug.generic)},
        "scope": sorted(compare_key(s) for s in p.scope),
        "line_of_business": p.line_of_business,
        "service_categories": cats,
        "origination_date": p.origination_date,
        "last_review_date": p.last_review_date,
        "effective_date": p.effective_date,
        "revision_frequency": compare_key(p.revision_frequency) or None,
    }


def _raw_meta(doc: PolicyDocument, name: str) -> Any:
    value = getattr(doc.policy, name)
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [v.model_dump(mode="json") if hasattr(v, "model_dump") else v for v in value]
    return value


def _diff_policy(old: PolicyDocument, new: PolicyDocument, out: _Collector) -> None:
    res = _deep(
        {"policy": _meta_content(old, new)}, {"policy": _meta_content(new, old)}, ignore_order=True
    )
    fields: list[str] = []
    for _, rest, _, _ in res["changed"]:
        if rest and str(rest[0]) not in fields:
            fields.append(str(rest[0]))
    for name in fields:
        o, n = _raw_meta(old, name), _raw_meta(new, name)
        kind: ChangeKind = (
            "added" if o in (None, [], "") else ("removed" if n in (None, [], "") else "modified")
        )
        label = _META_LABELS.get(name, name)
        out.add(
            "policy",
            kind,
            f"policy.{name}",
            f"{label}: {_fmt_value(o)} -> {_fmt_value(n)}",
            old=o,
            new=n,
            old_page=old.policy.page if o not in (None, [], "") else None,
            new_page=new.policy.page if n not in (None, [], "") else None,
            detail="date" if name in _DATE_FIELDS else None,
        )
    # layout-only: the name as headers print it, its spellings, the template title
    po, pn = old.policy, new.policy
    if clean_text(po.name) != clean_text(pn.name):
        out.fmt(
            "format.policy",
            "policy.name",
            f"Policy name as printed: {po.name} -> {pn.name}",
            old=po.name,
            new=pn.name,
            words=word_diff(po.name, pn.name),
        )
    ov, nv = set(po.name_variants), set(pn.name_variants)
    if ov != nv:
        gained, lost = sorted(nv - ov), sorted(ov - nv)
        out.fmt(
            "format.policy",
            "policy.name_variants",
            f"Header spellings of the name: +{len(gained)} -{len(lost)}",
            old=sorted(ov),
            new=sorted(nv),
            notes=[f"new spelling: {g}" for g in gained] + [f"gone: {x}" for x in lost],
        )
    if clean_text(po.title) != clean_text(pn.title):
        out.fmt(
            "format.policy",
            "policy.title",
            f"Document title: {po.title} -> {pn.title}",
            old=po.title,
            new=pn.title,
        )


def _fmt_value(v: Any) -> str:
    if v is None or v == [] or v == "":
        return "(none)"
    if isinstance(v, list):
        parts = []
        for x in v:
            if isinstance(x, dict) and "label" in x:
                checked = x.get("checked")
                box = "[?]" if checked is None else "[x]" if checked else "[ ]"
                parts.append(f"{box} {x['label']}")
            else:
                parts.append(str(x))
        return "; ".join(parts)
    if isinstance(v, dict):
        return ", ".join(f"{k}={val}" for k, val in v.items() if val)
    return str(v)


# --- criteria trees -------------------------------------------------------------------------

Item = Node | Leaf


def _own(item: Item) -> str:
    return item.text or ""


def _signature(item: Item) -> str:
    parts = [_own(item)] if _own(item) else []
    if isinstance(item, Node):
        parts.extend(_signature(c) for c in item.items)
    return " ".join(p for p in parts if p)


def _item_score(a: Item, b: Item) -> float:
    ta, tb = _own(a), _own(b)
    if ta and tb:
        s = similarity(ta, tb)
        if isinstance(a, Node) and isinstance(b, Node) and (a.items or b.items):
            if s < HEADING_FLOOR:
                return 0.0  # another heading is another criterion, whatever sits below it
            s = (s + similarity(_signature(a), _signature(b))) / 2.0
        return s
    s = similarity(_signature(a), _signature(b))
    return s if not ta and not tb else s * 0.9


def _move_score(a: _Lone, b: _Lone) -> float:
    """Only single criteria move; an unmatched group is reported whole (added/removed)."""
    if isinstance(a.item, Node) or isinstance(b.item, Node):
        return 0.0
    return _item_score(a.item, b.item)


def _page(item: Item) -> int | None:
    if item.page is not None:
        return item.page
    if isinstance(item, Node):
        for c in item.items:
            p = _page(c)
            if p is not None:
                return p
    return None


def outline(item: Item, indent: int = 0) -> str:
    """A node or leaf as indented text lines: 'v. Individual has ...' / '(AND)'."""
    pad = "  " * indent
    head = " ".join(x for x in (item.label or "", clean_text(item.text)) if x)
    lines = []
    if isinstance(item, Node):
        lines.append(f"{pad}{head} [{item.op}]" if head else f"{pad}[{item.op}]")
        lines.extend(outline(c, indent + 1) for c in item.items)
    else:
        lines.append(f"{pad}{head}")
    return "\n".join(lines)


def _what(item: Item) -> str:
    if isinstance(item, Leaf) or not item.items:
        return "criterion"
    if item.text:
        return "criterion heading"
    return f"{item.op} group"


@dataclass
class _Lone:
    item: Item
    path: str
    parent: Node


class _TreeDiff:
    """Compare two criteria trees as logic (see module doc)."""

    def __init__(self, section: str, out: _Collector) -> None:
        self.section = section
        self.out = out
        self.lone_old: list[_Lone] = []
        self.lone_new: list[_Lone] = []
        self.pairs: list[tuple[Item, Item, str]] = []

    def run(self, old: Node, new: Node, path: str) -> None:
        self._node(old, new, path, path)
        self._attributes()
        self._moves()
        self._leftovers()

    # structure -------------------------------------------------------------
    def _node(self, old: Node, new: Node, opath: str, npath: str) -> None:
        if old.op != new.op:
            wrap = self._wrap(old, new, opath, npath)
            if wrap:
                return
        self.pairs.append((old, new, npath))
        pairs, lone_o, lone_n = match_items(
            old.items,
            new.items,
            key=lambda it: (type(it).__name__, compare_key(_signature(it))),
            score=_item_score,
            threshold=CRITERIA_MATCH,
        )
        for i, j in pairs:
            o, n = old.items[i], new.items[j]
            if isinstance(o, Node) and isinstance(n, Node):
                self._node(o, n, f"{opath}.items[{i}]", f"{npath}.items[{j}]")
            else:
                self.pairs.append((o, n, f"{npath}.items[{j}]"))
                if isinstance(o, Node) or isinstance(n, Node):
                    self._children_of_leaf_node(o, n, opath, npath, i, j)
        self.lone_old.extend(_Lone(old.items[i], f"{opath}.items[{i}]", old) for i in lone_o)
        self.lone_new.extend(_Lone(new.items[j], f"{npath}.items[{j}]", new) for j in lone_n)

    def _children_of_leaf_node(
        self, o: Item, n: Item, opath: str, npath: str, i: int, j: int
    ) -> None:
        """A leaf that became a node (it gained sub-items) or the reverse."""
        if isinstance(n, Node):
            for k, c in enumerate(n.items):
                self.lone_new.append(_Lone(c, f"{npath}.items[{j}].items[{k}]", n))
        if isinstance(o, Node):
            for k, c in enumerate(o.items):
                self.lone_old.append(_Lone(c, f"{opath}.items[{i}].items[{k}]", o))

    def _wrap(self, old: Node, new: Node, opath: str, npath: str) -> bool:
        """A group that became one OR-branch among new ones (or the reverse)."""

        def best(group: Node, target: Node) -> tuple[float, int]:
            cands = [
                (_item_score(target, c), -k)
                for k, c in enumerate(group.items)
                if isinstance(c, Node) and c.op == target.op
            ]
            if not cands:
                return 0.0, -1
            s, negk = max(cands)
            return s, -negk

        s_wrap, k_wrap = best(new, old) if new.op == "OR" else (0.0, -1)
        s_unwrap, k_unwrap = best(old, new) if old.op == "OR" else (0.0, -1)
        if max(s_wrap, s_unwrap) < CRITERIA_MATCH:
            return False
        wrapped = s_wrap >= s_unwrap
        wrapper, k_keep = (new, k_wrap) if wrapped else (old, k_unwrap)
        inner = wrapper.items[k_keep]
        assert isinstance(inner, Node)
        # the group's own heading now sits on the OR wrapper: compare it there
        inner = inner.model_copy(
            update={"text": inner.text or wrapper.text, "label": inner.label or wrapper.label}
        )
        if wrapped:
            self._node(old, inner, opath, f"{npath}.items[{k_keep}]")
        else:
            self._node(inner, new, f"{opath}.items[{k_keep}]", npath)
        kind: ChangeKind = "added" if wrapped else "removed"
        side, path = ("new", npath) if wrapped else ("old", opath)
        for k, c in enumerate(wrapper.items):
            if k != k_keep:
                self.out.add(
                    self.section,
                    kind,
                    f"{path}.items[{k}]",
                    f"{kind.capitalize()} OR-branch: {_short(_signature(c), 80)}",
                    detail=f"OR-branch {kind}",
                    **{side: outline(c), f"{side}_label": c.label, f"{side}_page": _page(c)},
                )
        return True

    # attributes of matched pairs, compared with DeepDiff ------------------------
    def _attributes(self) -> None:
        def view(item: Item, other: Item) -> dict[str, Any]:
            v: dict[str, Any] = {"text": compare_key(item.text)}
            if isinstance(item, Node) and isinstance(other, Node):
                v["op"] = item.op
            return v

        keyed_old = {f"{k:05d}": view(o, n) for k, (o, n, _) in enumerate(self.pairs)}
        keyed_new = {f"{k:05d}": view(n, o) for k, (o, n, _) in enumerate(self.pairs)}
        res = _deep(keyed_old, keyed_new)
        changed: dict[int, set[str]] = defaultdict(set)
        for key, rest, _, _ in res["changed"]:
            changed[int(key)].add(str(rest[0]) if rest else "")
        for k, (o, n, npath) in enumerate(self.pairs):
            fields = changed.get(k, set())
            if "op" in fields:
                assert isinstance(o, Node) and isinstance(n, Node)
                one_of = n.op == "OR" and bool(n.text)
                detail = f"{o.op} changed to {n.op}" + (" (now a 'one of' list)" if one_of else "")
                self.out.add(
                    self.section,
                    "modified",
                    f"{npath}.op",
                    f"{detail}: {_short(_signature(n), 70)}",
                    detail=detail,
                    old=o.op,
                    new=n.op,
                    old_label=o.label,
                    new_label=n.label,
                    old_page=_page(o),
                    new_page=_page(n),
                )
            if "text" in fields or (o.text and n.text and (o.label or "") != (n.label or "")):
                _text_change(
                    self.out,
                    self.section,
                    npath if isinstance(n, Leaf) else f"{npath}.text",
                    _what(n),
                    o.text or "",
                    n.text or "",
                    old_label=o.label,
                    new_label=n.label,
                    old_page=_page(o),
                    new_page=_page(n),
                )

    # moves and leftovers -----------------------------------------------------------
    def _moves(self) -> None:
        pairs, lone_o, lone_n = match_items(
            self.lone_old,
            self.lone_new,
            key=lambda x: ("", id(x)),
            score=_move_score,
            threshold=CRITERIA_MATCH,
        )
        for i, j in pairs:
            o, n = self.lone_old[i], self.lone_new[j]
            where = _where(o.parent), _where(n.parent)
            detail = f"moved from {where[0]} to {where[1]}"
            changed_text = compare_key(_own(o.item)) != compare_key(_own(n.item))
            self.out.add(
                self.section,
                "moved",
                n.path,
                f"Moved {_what(n.item)}: {_short(_own(n.item) or _signature(n.item), 70)}",
                detail=detail + ("; text changed" if changed_text else ""),
                old=o.item.text,
                new=n.item.text,
                old_label=o.item.label,
                new_label=n.item.label,
                old_page=_page(o.item),
                new_page=_page(n.item),
                words=word_diff(o.item.text, n.item.text) if changed_text else None,
            )
        self.lone_old = [self.lone_old[i] for i in lone_o]
        self.lone_new = [self.lone_new[j] for j in lone_n]

    def _leftovers(self) -> None:
        removed: ChangeKind = "removed"
        added: ChangeKind = "added"
        for lone, kind in [(x, removed) for x in self.lone_old] + [
            (x, added) for x in self.lone_new
        ]:
            item, parent = lone.item, lone.parent
            detail = _added_detail(item, parent, kind)
            side = "old" if kind == "removed" else "new"
            text = outline(item) if isinstance(item, Node) else item.text
            verb = "Added" if kind == "added" else "Removed"
            self.out.add(
                self.section,
                kind,
                lone.path,
                f"{verb} {_what(item)}: {_short(_own(item) or _signature(item), 80)}",
                detail=detail,
                **{side: text, f"{side}_label": item.label, f"{side}_page": _page(item)},
            )


def _where(node: Node) -> str:
    if node.label or node.text:
        return " ".join(x for x in (node.label, _short(node.text, 40)) if x)
    return f"{node.op} group '{_short(_signature(node), 40)}'"


def _added_detail(item: Item, parent: Node, kind: str) -> str:
    verb = "added" if kind == "added" else "removed"
    if parent.op == "OR":
        if parent.text and isinstance(item, Leaf):
            return f"option {verb} {'to' if kind == 'added' else 'from'} a 'one of' list"
        return f"OR-branch {verb}"
    noun = "leaf" if isinstance(item, Leaf) or not item.items else "sub-branch"
    return f"{noun} {verb} {'to' if kind == 'added' else 'from'} an AND branch"


def _diff_tree(section: str, old: Node | None, new: Node | None, out: _Collector) -> None:
    path = section
    if old is None and new is None:
        return
    if old is None or new is None:
        item = new or old
        assert item is not None
        kind: ChangeKind = "added" if old is None else "removed"
        side = "new" if old is None else "old"
        out.add(
            section,
            kind,
            path,
            f"{'Added' if old is None else 'Removed'} {section} criteria",
            **{side: outline(item), f"{side}_page": _page(item)},
        )
        return
    _TreeDiff(section, out).run(old, new, path)


# --- tables keyed by identity -----------------------------------------------------------


def _norm_day(text: str) -> str:
    """'Day 1 ^a' / 'Day 1 a' -> 'day 1': footnote markers are layout."""
    t = compare_key(text)
    t = re.sub(r"\s*\^\s*[a-z]$", "", t)
    return re.sub(r"(\d)\s+[a-z]$", r"\1", t)


def _row_text(values: Iterable[str | None]) -> str:
    return " | ".join(clean_text(v) for v in values)


def _diff_rows(
    out: _Collector,
    section: str,
    base: str,
    olds: Sequence[Any],
    news: Sequence[Any],
    key: Callable[[Any], Any],
    fields: Sequence[str],
    noun: str,
    describe: Callable[[Any], str],
    norm: dict[str, Callable[[str], str]] | None = None,
) -> None:
    """Rows matched by identity key (then by whole-row similarity), fields via DeepDiff.

    ``norm`` gives a field its own comparison form (default :func:`compare_key`).
    """

    def val(row: Any, f: str) -> str:
        return (norm or {}).get(f, compare_key)(getattr(row, f) or "")

    pairs, lone_o, lone_n = match_items(
        olds,
        news,
        key=key,
        score=lambda a, b: similarity(
            _row_text(getattr(a, f) for f in fields), _row_text(getattr(b, f) for f in fields)
        ),
        threshold=ROW_MATCH,
    )
    old_map = {f"m{k:04d}": {f: val(olds[i], f) for f in fields} for k, (i, _) in enumerate(pairs)}
    new_map = {f"m{k:04d}": {f: val(news[j], f) for f in fields} for k, (_, j) in enumerate(pairs)}
    res = _deep(old_map, new_map)
    for mkey, rest, _, _ in res["changed"]:
        i, j = pairs[int(mkey[1:])]
        f = str(rest[0])
        o, n = olds[i], news[j]
        out.add(
            section,
            "modified",
            f"{base}[{j}].{f}",
            f"{noun} {describe(n)}: {f} changed",
            detail=f"{f} changed",
            old=getattr(o, f),
            new=getattr(n, f),
            words=word_diff(getattr(o, f), getattr(n, f)),
            old_page=getattr(o, "page", None),
            new_page=getattr(n, "page", None),
        )
    lone: tuple[tuple[ChangeKind, str, list[int], Sequence[Any]], ...] = (
        ("removed", "old", lone_o, olds),
        ("added", "new", lone_n, news),
    )
    for kind, side, positions, items in lone:
        for k in positions:
            item = items[k]
            out.add(
                section,
                kind,
                f"{base}[{k}]",
                f"{kind.capitalize()} {noun}: {describe(item)}",
                **{
                    side: item.model_dump(mode="json", exclude={"page"}),
                    f"{side}_page": getattr(item, "page", None),
                },
            )


# --- codes -------------------------------------------------------------------------------


def _code_key(c: Code) -> tuple[str, str]:
    return c.system, normalize_code(c.code)


def _diff_codes(old: list[Code], new: list[Code], out: _Collector) -> None:
    def overlap(a: Code, b: Code) -> float:
        if a.system != b.system:
            return 0.0
        sa = set(check_code(a.system, a.code).billable)
        sb = set(check_code(b.system, b.code).billable)
        return 100.0 * len(sa & sb) / len(sa | sb) if sa and sb else 0.0

    pairs, lone_o, lone_n = match_items(old, new, key=_code_key, score=overlap, threshold=1.0)
    old_all = {b for c in old for b in check_code(c.system, c.code).billable}
    new_all = {b for c in new for b in check_code(c.system, c.code).billable}
    new_printed = [(c.system, c.code) for c in new]
    old_printed = [(c.system, c.code) for c in old]

    def notes_for(c: Code, printed: Sequence[tuple[str, str]], added: bool) -> list[str]:
        notes = []
        chk = check_code(c.system, c.code)
        if chk.problem:
            notes.append(chk.problem)
        if added:
            cover = covering_codes(c.system, c.code, printed)
            if cover:
                notes.append(f"{c.code} is already covered by {', '.join(cover)}")
        return notes

    old_map = {
        f"m{k:04d}": {
            "code": normalize_code(old[i].code),
            "description": compare_key(old[i].description),
        }
        for k, (i, _) in enumerate(pairs)
    }
    new_map = {
        f"m{k:04d}": {
            "code": normalize_code(new[j].code),
            "description": compare_key(new[j].description),
        }
        for k, (_, j) in enumerate(pairs)
    }
    res = _deep(old_map, new_map)
    done: set[str] = set()
    for mkey, _, _, _ in res["changed"]:
        if mkey in done:
            continue
        done.add(mkey)
        i, j = pairs[int(mkey[1:])]
        o, n = old[i], new[j]
        so = set(check_code(o.system, o.code).billable)
        sn = set(check_code(n.system, n.code).billable)
        what = "range" if normalize_code(o.code) != normalize_code(n.code) else "description"
        out.add(
            "codes",
            "modified",
            f"codes[{j}]",
            f"{n.system} {o.code} -> {n.code}: {what} changed"
            if what == "range"
            else f"{n.system} {n.code}: description changed",
            detail=f"{what} changed",
            old=o.model_dump(mode="json", exclude={"page"}),
            new=n.model_dump(mode="json", exclude={"page"}),
            old_label=o.code,
            new_label=n.code,
            old_page=o.page,
            new_page=n.page,
            words=word_diff(o.description, n.description) if what == "description" else None,
            codes_gained=sorted(sn - so - old_all),
            codes_lost=sorted(so - sn - new_all),
            notes=notes_for(n, new_printed, False),
        )
    sides = (
        ("removed", "old", old, lone_o, new_all, old_printed),
        ("added", "new", new, lone_n, old_all, new_printed),
    )
    for _, side, items, lone, other_all, printed in sides:
        kind: ChangeKind = "added" if side == "new" else "removed"
        for i in lone:
            c = items[i]
            delta = sorted(set(check_code(c.system, c.code).billable) - other_all)
            out.add(
                "codes",
                kind,
                f"codes[{i}]",
                f"{kind.capitalize()} {c.system} {c.code} ({_short(c.description, 60)})",
                notes=notes_for(c, printed, kind == "added"),
                **{
                    side: c.model_dump(mode="json", exclude={"page"}),
                    f"{side}_label": c.code,
                    f"{side}_page": c.page,
                    "codes_gained" if kind == "added" else "codes_lost": delta,
                },
            )


def code_findings(doc: PolicyDocument, side: str) -> list[CodeFinding]:
    """Printed codes that do not exist / are malformed, and codes a range already covers."""
    out: list[CodeFinding] = []
    printed = [(c.system, c.code) for c in doc.codes]
    for c in doc.codes:
        chk = check_code(c.system, c.code)
        if chk.problem:
            out.append(
                CodeFinding(
                    side=side,
                    system=c.system,
                    code=c.code,
                    page=c.page,
                    problem="unknown" if not chk.known else "not_billable",
                    message=chk.problem,
                )
            )
        cover = covering_codes(c.system, c.code, printed)
        if cover:
            out.append(
                CodeFinding(
                    side=side,
                    system=c.system,
                    code=c.code,
                    page=c.page,
                    problem="covered_by_range",
                    message=f"{c.code} is already covered by {', '.join(cover)}",
                )
            )
    return out


# --- similarity lists (references, definitions, notes) -----------------------------------------


def _diff_texts(
    out: _Collector,
    section: str,
    base: str,
    olds: Sequence[Any],
    news: Sequence[Any],
    text: Callable[[Any], str],
    noun: str,
    threshold: float,
    key: Callable[[Any], Any] | None = None,
    cmp: Callable[[Any], str] | None = None,
    relabel: bool = True,
    old_base: str | None = None,
    index: Callable[[Any, int], int] | None = None,
) -> None:
    """Text items matched by identity key / exact text, then similarity; DeepDiff decides.

    ``text`` is what a reader sees; ``cmp`` (default: ``text``) is what is compared.
    ``relabel=False``: a label change alone is not reported (free text of generic
    sections, where list markers are layout). Paths are ``base[k]`` on the new side and
    ``old_base[k]`` (default ``base``) on the old side, ``k = index(item, position)``.
    """
    cmpf = cmp or text
    obase = old_base or base

    def at(items: Sequence[Any], k: int) -> int:
        return index(items[k], k) if index else k

    keyf = key or (lambda x: compare_key(cmpf(x)))
    pairs, lone_o, lone_n = match_items(
        olds,
        news,
        key=keyf,
        score=lambda a, b: similarity(cmpf(a), cmpf(b)),
        threshold=threshold,
    )
    old_map = {f"m{k:04d}": compare_key(cmpf(olds[i])) for k, (i, _) in enumerate(pairs)}
    new_map = {f"m{k:04d}": compare_key(cmpf(news[j])) for k, (_, j) in enumerate(pairs)}
    old_map.update({f"o{i:04d}": compare_key(cmpf(olds[i])) for i in lone_o})
    new_map.update({f"n{j:04d}": compare_key(cmpf(news[j])) for j in lone_n})
    res = _deep(old_map, new_map)
    modified = {k for k, _, _, _ in res["changed"]}

    def lab(x: Any) -> str | None:
        return getattr(x, "label", None)

    def pg(x: Any) -> int | None:
        return getattr(x, "page", None)

    for k, (i, j) in enumerate(pairs):
        o, n = olds[i], news[j]
        if f"m{k:04d}" in modified or (relabel and (lab(o) or "") != (lab(n) or "")):
            # equal under ``cmp``: only the label can have changed (renumbered)
            old_text = text(o) if f"m{k:04d}" in modified else text(n)
            _text_change(
                out,
                section,
                f"{base}[{at(news, j)}]",
                noun,
                old_text,
                text(n),
                old_label=lab(o),
                new_label=lab(n),
                old_page=pg(o),
                new_page=pg(n),
            )
    for mkey in res["removed"]:
        o = olds[int(mkey[1:])]
        _text_change(
            out,
            section,
            f"{obase}[{at(olds, int(mkey[1:]))}]",
            noun,
            text(o),
            None,
            old_label=lab(o),
            old_page=pg(o),
        )
    for mkey in res["added"]:
        n = news[int(mkey[1:])]
        _text_change(
            out,
            section,
            f"{base}[{at(news, int(mkey[1:]))}]",
            noun,
            None,
            text(n),
            new_label=lab(n),
            new_page=pg(n),
        )


# --- generic sections -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Unit:
    text: str  # as a reader sees it
    cmp: str  # what is compared: the document's own metadata dates as a placeholder
    label: str | None
    page: int
    block: int


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")
_ABBREV = re.compile(
    r"(?:\b(?:e\.g|i\.e|etc|vs|inc|al|no|dr|st|u\.s|fig|ed|vol|jr|sr)\.|"
    r"\b[A-Z]\.)$",
    re.IGNORECASE,
)
# a running page header that leaked into body text ("Subject: Spinraza Page: 6 of 7")
_PAGE_REMNANT = re.compile(
    r"\s*(?:\bSubject:\s*[\w\-]+(?:\s[\w\-]+)?\s+)?\bPage:?\s*\d+\s+of\s+\d+\b\s*",
    re.IGNORECASE,
)
_MONTH_NAMES = list(calendar.month_name)[1:]
DATE_PLACEHOLDER = "<policy date>"


def _date_pattern(doc: PolicyDocument) -> re.Pattern[str] | None:
    """The document's own metadata dates in the spellings a page prints them."""
    forms: set[str] = set()
    p = doc.policy
    for iso in (p.effective_date, p.last_review_date, p.origination_date):
        m = re.match(r"^(\d{4})-(\d{2})-(\d{2})$", iso or "")
        if not m:
            continue
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
        name = _MONTH_NAMES[mo - 1]
        forms.update(
            {
                iso or "",
                f"{mo}/{d}/{y}",
                f"{mo:02d}/{d:02d}/{y}",
                f"{name} {d}, {y}",
                f"{name[:3]} {d}, {y}",
                f"{name[:3]}. {d}, {y}",
                f"{name} {d} {y}",
                f"{mo}/{d}/{y % 100:02d}",
            }
        )
    if not forms:
        return None
    alts = "|".join(re.escape(f) for f in sorted(forms, key=lambda f: (-len(f), f)))
    return re.compile(rf"(?<![\w/])(?:{alts})(?![\w/])", re.IGNORECASE)


def _sentences(text: str) -> list[str]:
    parts: list[str] = []
    for piece in _SENTENCE_END.split(clean_text(text)):
        if parts and _ABBREV.search(parts[-1]):
            parts[-1] += " " + piece
        else:
            parts.append(piece)
    return [p for p in parts if p.strip()]


def _structural_keys(doc: PolicyDocument) -> set[str]:
    """Comparison keys of every text already represented by a structured field."""
    keys: set[str] = set()

    def walk(item: Item | None) -> None:
        if item is None:
            return
        if item.text:
            keys.add(compare_key(item.text))
        if isinstance(item, Node):
            for c in item.items:
                walk(c)

    c = doc.criteria
    for tree in (c.initial, c.continuation, c.not_covered):
        walk(tree)
    for code in doc.codes:
        keys.update({compare_key(code.code), compare_key(code.description)})
    for row in doc.dosing.schedule:
        keys.update(compare_key(x) for x in (row.schedule, row.day, row.dose, row.monitoring))
    for pre in doc.dosing.premedication:
        keys.update(compare_key(x) for x in (pre.day, pre.medication, pre.administration))
    keys.update(compare_key(n) for n in doc.dosing.notes)
    for d in doc.definitions:
        keys.update({compare_key(f"{d.term}: {d.text}"), compare_key(d.text)})
    keys.update(compare_key(r.text) for r in doc.references)
    for h in doc.history:
        keys.update(compare_key(x) for x in (h.review_type, h.summary))
    keys.discard("")
    return keys


# Sections whose whole content is a structured field (authorization months, the
# history table): their text is never compared again as generic text.
STRUCTURAL_SECTIONS = frozenset({"authorization_duration", "history"})
_CONNECTOR_ONLY = re.compile(r"^(?:and|or|and/or)$")


def _covered(text: str, keys: set[str], joined: str) -> bool:
    """Is this text already represented by a structured field (or just a connector)?"""
    k = compare_key(text)
    return not k or bool(_CONNECTOR_ONLY.match(k)) or k in keys or (len(k) >= 12 and k in joined)


def _units(
    blocks: list[Block], keys: set[str], joined: str, dates: re.Pattern[str] | None
) -> list[_Unit]:
    """Sentences of the section's uncovered text; text reflowed across blocks is re-joined."""
    paras: list[tuple[str, str | None, int, int]] = []
    for b_index, b in enumerate(blocks):
        if b.type == "table":
            cells = [c for row in (b.rows or []) for c in row if compare_key(c)]
            hits = sum(1 for c in cells if _covered(c, keys, joined))
            if cells and hits * 2 >= len(cells):
                continue  # a code / dosing / history table represented structurally
            for row in b.rows or []:
                if any(compare_key(c) for c in row):
                    paras.append((" | ".join(clean_text(c) for c in row), None, b.page, b_index))
            continue
        if not b.text or _covered(b.text, keys, joined):
            continue
        text = clean_text(_PAGE_REMNANT.sub(" ", b.text))
        if not text:
            continue
        if paras and b.label is None and not re.search(r"[.!?:;]$", paras[-1][0]):
            prev = paras[-1]  # the previous paragraph goes on (page break, reflow)
            paras[-1] = (prev[0] + " " + text, prev[1], prev[2], prev[3])
            continue
        paras.append((text, b.label, b.page, b_index))
    units: list[_Unit] = []
    for text, label, page, b_index in paras:
        for sentence in _sentences(text):
            if not _covered(sentence, keys, joined):
                cmp = dates.sub(DATE_PLACEHOLDER, sentence) if dates else sentence
                units.append(_Unit(sentence, cmp, label, page, b_index))
    return units


def _stream(units: list[_Unit]) -> list[str]:
    return compare_key(" ".join(u.cmp for u in units)).split()


def _diff_sections(old: PolicyDocument, new: PolicyDocument, out: _Collector) -> None:
    ok, nk = _structural_keys(old), _structural_keys(new)
    oj, nj = "\n".join(sorted(ok)), "\n".join(sorted(nk))
    od, nd = _date_pattern(old), _date_pattern(new)
    pairs, lone_o, lone_n = match_items(
        old.sections,
        new.sections,
        key=lambda s: s.key,
    )
    todo: list[tuple[int | None, int | None]] = [(i, j) for i, j in pairs]
    todo += [(i, None) for i in lone_o] + [(None, j) for j in lone_n]
    todo.sort(key=lambda p: (p[1] if p[1] is not None else 10**6, p[0] or 0))
    for i, j in todo:
        so = old.sections[i] if i is not None else None
        sn = new.sections[j] if j is not None else None
        sec = so or sn
        assert sec is not None
        section = f"sections.{sec.key}"
        if sec.key in STRUCTURAL_SECTIONS:
            continue
        if so is not None and sn is not None and clean_text(so.title) != clean_text(sn.title):
            out.fmt(
                "format.sections",
                f"sections[{j}].title",
                f"Section title: {so.title} -> {sn.title}",
                old=so.title,
                new=sn.title,
                old_page=so.page,
                new_page=sn.page,
            )
        uo = _units(so.blocks, ok, oj, od) if so else []
        un = _units(sn.blocks, nk, nj, nd) if sn else []
        if _stream(uo) == _stream(un):
            continue  # the same words, only broken into blocks/pages differently
        _diff_texts(
            out,
            section,
            f"sections[{j if j is not None else i}].blocks",
            uo,
            un,
            text=lambda u: u.text,
            noun="text",
            threshold=TEXT_MATCH,
            cmp=lambda u: u.cmp,
            relabel=False,
            old_base=f"sections[{i if i is not None else j}].blocks",
            index=lambda u, _: u.block,
        )


# --- the whole document ---------------------------------------------------------------------


def _revision(doc: PolicyDocument) -> RevisionInfo:
    return RevisionInfo(
        policy=doc.policy.number,
        name=doc.policy.name,
        effective_date=doc.policy.effective_date,
        review_type=doc.history[0].review_type if doc.history else None,
        source_path=doc.source.path,
        sha256=doc.source.sha256,
        pages=doc.source.pages,
    )


def _history_key(h: HistoryEntry) -> tuple[str, str | None, str | None, str | None]:
    return compare_key(h.review_type), h.pt_approval_date, h.um_approval_date, h.date


def _section_rank(section: str) -> tuple[int, str]:
    if section in SECTION_ORDER:
        return SECTION_ORDER.index(section), ""
    return len(SECTION_ORDER), section


def diff_documents(old: PolicyDocument, new: PolicyDocument) -> ChangeSet:
    """The change set OLD -> NEW, with the audit of NEW's history summary (pure)."""
    from .audit import audit_documents

    out = _Collector()
    _diff_policy(old, new, out)
    oc, nc = old.criteria, new.criteria
    _diff_tree("criteria.initial", oc.initial, nc.initial, out)
    _diff_tree("criteria.continuation", oc.continuation, nc.continuation, out)
    for name, label in (
        ("initial_months", "Initial authorization"),
        ("reauthorization_months", "Reauthorization"),
    ):
        res = _deep({"a": getattr(oc.authorization, name)}, {"a": getattr(nc.authorization, name)})
        if res["changed"]:
            o, n = getattr(oc.authorization, name), getattr(nc.authorization, name)
            kind: ChangeKind = "added" if o is None else "removed" if n is None else "modified"
            out.add(
                "criteria.authorization",
                kind,
                f"criteria.authorization.{name}",
                f"{label} duration: {_fmt_value(o)} -> {_fmt_value(n)} months",
                old=o,
                new=n,
                old_page=oc.authorization.page,
                new_page=nc.authorization.page,
            )
    _diff_tree("criteria.not_covered", oc.not_covered, nc.not_covered, out)
    _diff_codes(old.codes, new.codes, out)
    _diff_rows(
        out,
        "dosing.schedule",
        "dosing.schedule",
        old.dosing.schedule,
        new.dosing.schedule,
        key=lambda r: (compare_key(r.schedule), _norm_day(r.day)),
        fields=("schedule", "day", "dose", "monitoring"),
        noun="Dosing row",
        describe=lambda r: f"{clean_text(r.schedule)} / {clean_text(r.day)}",
        norm={"day": _norm_day},
    )
    _diff_rows(
        out,
        "dosing.premedication",
        "dosing.premedication",
        old.dosing.premedication,
        new.dosing.premedication,
        key=lambda r: (compare_key(r.day), compare_key(r.medication)),
        fields=("day", "medication", "administration"),
        noun="Premedication",
        describe=lambda r: f"{clean_text(r.day)} / {_short(r.medication, 50)}",
    )
    _diff_texts(
        out,
        "dosing.notes",
        "dosing.notes",
        old.dosing.notes,
        new.dosing.notes,
        text=lambda s: s,
        noun="dosing note",
        threshold=TEXT_MATCH,
    )
    _diff_texts(
        out,
        "definitions",
        "definitions",
        old.definitions,
        new.definitions,
        text=lambda d: f"{d.term}: {d.text}",
        noun="definition",
        threshold=TEXT_MATCH,
        key=lambda d: compare_key(d.term),
    )
    _diff_texts(
        out,
        "references",
        "references",
        old.references,
        new.references,
        text=lambda r: r.text,
        noun="reference",
        threshold=REFERENCE_MATCH,
    )
    _diff_rows(
        out,
        "history",
        "history",
        old.history,
        new.history,
        key=_history_key,
        fields=("review_type", "summary", "pt_approval_date", "um_approval_date", "date"),
        noun="History row",
        describe=lambda h: (
            f"{clean_text(h.review_type or h.summary)[:60]} "
            f"({h.um_approval_date or h.pt_approval_date or h.date or 'undated'})"
        ),
    )
    _diff_sections(old, new, out)

    changes = sorted(enumerate(out.changes), key=lambda p: (_section_rank(p[1].section), p[0]))
    final = [ch.model_copy(update={"id": f"C{k + 1:03d}"}) for k, (_, ch) in enumerate(changes)]
    formats = [ch.model_copy(update={"id": f"F{k + 1:03d}"}) for k, ch in enumerate(out.formats)]
    summary: dict[str, dict[str, int]] = {}
    for ch in final:
        summary.setdefault(ch.section, {}).setdefault(ch.kind, 0)
        summary[ch.section][ch.kind] += 1
    cs = ChangeSet(
        **{"from": _revision(old)},
        to=_revision(new),
        changes=final,
        format_changes=formats,
        summary={k: dict(sorted(v.items())) for k, v in sorted(summary.items())},
        code_findings=code_findings(new, "new"),
    )
    cs.audit = audit_documents(old, new, final, formats)
    return cs


# --- views ------------------------------------------------------------------------------------


def redline(words: list[WordOp] | None, old: Any = None, new: Any = None) -> str:
    """'[-old-]{+new+}' markup of a word diff (or of old/new when there is none)."""
    if words:
        parts = []
        for w in words:
            if w.op == "equal":
                parts.append(w.text)
            elif w.op == "delete":
                parts.append(f"[-{w.text}-]")
            else:
                parts.append(f"{{+{w.text}+}}")
        return " ".join(parts)
    bits = []
    if old not in (None, "", [], {}):
        bits.append(f"[-{_plain(old)}-]")
    if new not in (None, "", [], {}):
        bits.append(f"{{+{_plain(new)}+}}")
    return " ".join(bits)


def _plain(value: Any) -> str:
    if isinstance(value, dict):
        return " | ".join(clean_text(str(v)) for v in value.values() if v not in (None, ""))
    if isinstance(value, list):
        return _fmt_value(value)
    return str(value)


def _where_line(ch: Change) -> str:
    def side(label: str | None, page: int | None) -> str:
        bits = [label or ""] + ([f"p.{page}"] if page is not None else [])
        return " ".join(b for b in bits if b) or "-"

    return f"old {side(ch.old_label, ch.old_page)} / new {side(ch.new_label, ch.new_page)}"


def _indent(text: str, pad: str = "      ") -> str:
    return "\n".join(pad + line for line in text.splitlines())


def render_text(cs: ChangeSet) -> str:
    """A readable text view: grouped by section, redline markup, labels and pages."""
    f, t = cs.from_, cs.to
    lines = [
        f"policy-tools diff: {f.policy or '?'} {f.effective_date or '?'} ({f.source_path}) -> "
        f"{t.policy or '?'} {t.effective_date or '?'} ({t.source_path})",
        f"{len(cs.changes)} content change(s), {len(cs.format_changes)} layout/format "
        "difference(s)",
    ]
    by_section: dict[str, list[Change]] = defaultdict(list)
    for ch in cs.changes:
        by_section[ch.section].append(ch)
    for section, items in by_section.items():
        counts = ", ".join(f"{n} {k}" for k, n in cs.summary.get(section, {}).items())
        lines += ["", f"== {section} ({counts}) =="]
        for ch in items:
            head = f"{ch.id} [{ch.kind}] {ch.summary}"
            lines.append(head)
            if ch.detail:
                lines.append(f"      logic: {ch.detail}")
            lines.append(f"      where: {_where_line(ch)}")
            if (isinstance(ch.old, str) and "\n" in ch.old) or (
                isinstance(ch.new, str) and ("\n" in ch.new)
            ):
                if ch.old:
                    lines.append("      old:")
                    lines.append(_indent(str(ch.old), "        - "))
                if ch.new:
                    lines.append("      new:")
                    lines.append(_indent(str(ch.new), "        + "))
            elif ch.kind == "moved" and not ch.words:
                lines.append(f"      {_plain(ch.new)}")
            elif ch.kind != "renumbered":
                lines.append(f"      {redline(ch.words, ch.old, ch.new)}")
            if ch.codes_gained:
                lines.append(
                    f"      billable codes gained ({len(ch.codes_gained)}): "
                    f"{', '.join(ch.codes_gained)}"
                )
            if ch.codes_lost:
                lines.append(
                    f"      billable codes lost ({len(ch.codes_lost)}): {', '.join(ch.codes_lost)}"
                )
            lines.extend(f"      note: {n}" for n in ch.notes)
    if cs.format_changes:
        lines += ["", "== layout / format (not content) =="]
        lines += [f"{ch.id} {ch.summary}" for ch in cs.format_changes]
    if cs.code_findings:
        lines += ["", "== code-set findings (new revision) =="]
        lines += [f"- {x.code} (p.{x.page}): {x.message}" for x in cs.code_findings]
    lines += ["", *render_audit_lines(cs)]
    return "\n".join(lines) + "\n"


def render_audit_lines(cs: ChangeSet) -> list[str]:
    a = cs.audit
    lines = ["== audit of the policy-history summary =="]
    if not a.history_summary:
        lines.append("No new policy-history row describes this revision.")
    else:
        lines.append(f"Summary: {_short(a.history_summary, 200)}")
        for c in a.claims:
            where = ", ".join(c.sections) or "(no section recognised)"
            support = ", ".join(c.change_ids) or "no change"
            lines.append(f'  {c.id} "{_short(c.text, 100)}" -> {where}; supported by {support}')
    if a.undocumented:
        lines.append(f"Undocumented changes ({len(a.undocumented)}):")
        lines += [
            f"  - {u.section}: {u.message} [{', '.join(u.change_ids)}]" for u in a.undocumented
        ]
    if a.unsupported_claims:
        lines.append(f"Unsupported claims ({len(a.unsupported_claims)}):")
        lines += [
            f'  - {u.claim_id} "{_short(u.claim, 80)}": {u.message}' for u in a.unsupported_claims
        ]
    if not a.undocumented and not a.unsupported_claims:
        lines.append("The summary matches the changes found.")
    return lines


def load_pair(
    old_ref: str, new_ref: str, store_dir: Path | str | None
) -> tuple[PolicyDocument, PolicyDocument]:
    """Load two revisions (store references or files)."""
    from .store import load_revision

    return load_revision(old_ref, store_dir), load_revision(new_ref, store_dir)


def changeset_json(cs: ChangeSet) -> str:
    from .io import dumps

    return dumps(cs.model_dump(mode="json", by_alias=True))


def diff_view(
    old_ref: str, new_ref: str, *, store_dir: Path | str | None = None, fmt: str = "text"
) -> tuple[str, int]:
    """CLI body of ``diff``: (output text, exit code 0 no content changes / 1 changes)."""
    old, new = load_pair(old_ref, new_ref, store_dir)
    cs = diff_documents(old, new)
    text = changeset_json(cs) if fmt == "json" else render_text(cs)
    return text, 1 if cs.changes else 0
