"""Change reports (HTML, Markdown, JSON) rendered from a change set with Jinja.

``render`` is pure: it turns a :class:`ChangeSet` plus the two documents it was
computed from into text. The templates in ``policy_tools/templates/`` receive
typed, frozen view objects (:class:`ReportContext` and friends), never raw dicts.
One module-level Jinja environment renders everything: ``StrictUndefined`` so a
misspelt field fails loudly, autoescaping for ``.html`` templates, and for
``.md`` templates the ``md`` filter escapes Markdown/HTML-significant characters,
because text from a PDF is never trusted.

``report_view`` (the ``report`` command) and ``write_reports`` (called by
``ingest`` when a newer revision arrives) are the I/O edges.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from jinja2 import Template

from ..compare.match import word_diff
from ..errors import PolicyToolsError
from ..history import newest_entry
from ..io import dumps
from ..model.changeset import (
    SECTION_TITLES,
    Change,
    ChangeSet,
    CodeValue,
    HistoryRowRef,
    ListValue,
    Payload,
    RevisionInfo,
    RowValue,
    ScalarValue,
    TextValue,
    TreeValue,
    WordOp,
    section_rank,
)
from ..model.policy import Leaf, Node, PolicyDocument
from ..text import squash as norm
from ..version import __version__
from .env import ENV
from .formulary import FormularyView, formulary_view, render_csv

ReportFormat = Literal["html", "md", "json"]
FORMATS: tuple[ReportFormat, ...] = ("html", "md", "json")

# --------------------------------------------------------------------------------------
# Section names and order
# --------------------------------------------------------------------------------------

CRITERIA_TREES: tuple[str, ...] = ("initial", "continuation", "not_covered")

SCHEDULE_COLUMNS: tuple[str, ...] = ("schedule", "day", "dose", "monitoring")
PREMED_COLUMNS: tuple[str, ...] = ("day", "medication", "administration")
TABLE_FIELDS: dict[str, tuple[str, ...]] = {
    "dosing.schedule": SCHEDULE_COLUMNS,
    "dosing.premedication": PREMED_COLUMNS,
}
TABLE_KEYS: dict[str, tuple[str, ...]] = {
    "dosing.schedule": ("schedule", "day"),
    "dosing.premedication": ("day", "medication"),
}

OP_WORDS = {"AND": "ALL of", "OR": "ANY of"}
MAX_FINDING_REFS = 25  # changes listed per audit finding; the rest are in their section


def section_title(section: str, docs: Sequence[PolicyDocument] = ()) -> str:
    """Human title of a change-set section key (``sections.<key>`` uses the printed title)."""
    if section in SECTION_TITLES:
        return SECTION_TITLES[section]
    if not section:
        return "Other"
    head, _, rest = section.partition(".")
    if head == "sections" and rest:
        printed = (sec.title for doc in docs for sec in doc.sections if sec.key == rest)
        return next((t for t in (norm(p).rstrip(":").strip() for p in printed) if t), "") or (
            rest.replace("_", " ").capitalize()
        )
    base = SECTION_TITLES.get(head, head.replace("_", " ").capitalize())
    return f"{base}: {rest.replace('_', ' ')}" if rest else base


# --------------------------------------------------------------------------------------
# Typed view objects handed to the templates
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WordRun:
    op: Literal["equal", "delete", "insert"]
    text: str


@dataclass(frozen=True)
class RevisionView:
    role: str
    effective_date: str
    review_type: str
    source_name: str
    sha256_prefix: str
    pages: str


@dataclass(frozen=True)
class CodeInfo:
    system: str
    code: str
    description: str
    old_description: str


@dataclass(frozen=True)
class ChangeView:
    id: str
    anchor: str
    section: str
    section_title: str
    kind: str
    summary: str
    detail: str
    old_text: str
    new_text: str
    old_label: str
    new_label: str
    old_page: str
    new_page: str
    runs: tuple[WordRun, ...]
    code: CodeInfo | None
    codes_gained: tuple[str, ...]
    codes_lost: tuple[str, ...]
    notes: tuple[str, ...]
    claim_ids: tuple[str, ...]
    undocumented: bool

    @property
    def pages_text(self) -> str:
        return pages_text(self.old_page, self.new_page)


@dataclass(frozen=True)
class ChangeLink:
    id: str
    anchor: str


@dataclass(frozen=True)
class ChangeRef:
    id: str
    anchor: str
    summary: str
    section_title: str
    pages_text: str


@dataclass(frozen=True)
class TreeItemView:
    is_node: bool
    op: str
    op_words: str
    label: str
    text: str
    page: str
    status: str
    links: tuple[ChangeLink, ...]
    children: tuple[TreeItemView, ...]


@dataclass(frozen=True)
class CriteriaTreeView:
    key: str
    title: str
    old: TreeItemView | None
    new: TreeItemView | None


@dataclass(frozen=True)
class CellView:
    old: str
    new: str
    changed: bool
    runs: tuple[WordRun, ...]


@dataclass(frozen=True)
class TableRowView:
    status: str
    cells: tuple[CellView, ...]
    old_page: str
    new_page: str
    links: tuple[ChangeLink, ...]


@dataclass(frozen=True)
class TableView:
    title: str
    columns: tuple[str, ...]
    rows: tuple[TableRowView, ...]


@dataclass(frozen=True)
class SectionView:
    key: str
    title: str
    anchor: str
    added: int
    removed: int
    modified: int
    other: int
    changes: tuple[ChangeView, ...]
    tree: CriteriaTreeView | None
    table: TableView | None
    is_codes: bool

    @property
    def total(self) -> int:
        return len(self.changes)


@dataclass(frozen=True)
class FindingView:
    section: str
    section_title: str
    section_anchor: str
    message: str
    changes: tuple[ChangeRef, ...]
    more: int


@dataclass(frozen=True)
class UnsupportedView:
    claim_id: str
    claim: str
    message: str


@dataclass(frozen=True)
class ClaimView:
    id: str
    text: str
    sections: tuple[str, ...]
    codes: tuple[str, ...]
    changes: tuple[ChangeRef, ...]
    source: str = ""  # the history row it was read from, with its page
    kind: str = "content"


@dataclass(frozen=True)
class HistoryRowView:
    source: str
    summary: str


@dataclass(frozen=True)
class AuditView:
    history_summary: str
    history_source: str
    claims: tuple[ClaimView, ...]
    undocumented: tuple[FindingView, ...]
    unsupported: tuple[UnsupportedView, ...]
    undocumented_changes: int
    rows: tuple[HistoryRowView, ...] = ()
    unmapped: tuple[UnsupportedView, ...] = ()
    criteria_read: bool = True

    @property
    def clean(self) -> bool:
        return not self.undocumented and not self.unsupported


@dataclass(frozen=True)
class HeadlineView:
    category: str
    text: str
    links: tuple[ChangeLink, ...]


@dataclass(frozen=True)
class VerdictView:
    criteria_changed: bool
    codes_text: str
    undocumented: int
    unsupported: int
    criteria_read: bool = True
    unexplained: int = 0
    unmapped: int = 0
    headlines: tuple[HeadlineView, ...] = ()

    @property
    def criteria_text(self) -> str:
        if not self.criteria_read:
            return "criteria: not read"
        return f"criteria changed: {'yes' if self.criteria_changed else 'no'}"

    @property
    def line(self) -> str:
        return (
            f"{self.criteria_text}; "
            f"codes changed: {self.codes_text}; "
            f"unexplained differences: {self.unexplained}; "
            f"history: {plural(self.undocumented, 'undocumented change')}, "
            f"{plural(self.unsupported, 'unsupported claim')}, "
            f"{plural(self.unmapped, 'unmapped statement')}"
        )


@dataclass(frozen=True)
class CodeFindingView:
    side: str
    system: str
    code: str
    page: str
    problem: str
    message: str


@dataclass(frozen=True)
class ReportContext:
    policy_number: str
    policy_name: str
    old: RevisionView
    new: RevisionView
    generated_at: str
    tool_version: str
    verdict: VerdictView
    sections: tuple[SectionView, ...]
    audit: AuditView
    format_changes: tuple[ChangeView, ...]
    code_findings: tuple[CodeFindingView, ...]
    change_count: int
    formulary: FormularyView | None = None

    @property
    def title(self) -> str:
        name = f" {self.policy_name}" if self.policy_name else ""
        return f"Change report: {self.policy_number}{name}"


# --------------------------------------------------------------------------------------
# Small pure helpers
# --------------------------------------------------------------------------------------


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def anchor_for(change_id: str) -> str:
    return "change-" + re.sub(r"[^A-Za-z0-9_-]", "-", change_id)


def section_anchor(section: str) -> str:
    return "section-" + re.sub(r"[^A-Za-z0-9_-]", "-", section)


def links_for(ids: Iterable[str]) -> tuple[ChangeLink, ...]:
    return tuple(ChangeLink(i, anchor_for(i)) for i in dict.fromkeys(ids))


def page_text(page: int | None) -> str:
    return "" if page is None else str(page)


def pages_text(old_page: str, new_page: str) -> str:
    parts = []
    if old_page:
        parts.append(f"old p. {old_page}")
    if new_page:
        parts.append(f"new p. {new_page}")
    return " · ".join(parts) if parts else "page not recorded"


def _lines(text: str) -> str:
    """A (multi-line) text with each line tidied; a criteria outline keeps its indentation."""
    lines = [(len(ln) - len(ln.lstrip())) * " " + norm(ln) for ln in text.splitlines()]
    return "\n".join(ln for ln in lines if ln.strip())


def text_of(value: Payload | None) -> str:
    """Readable text of a change payload."""
    if value is None:
        return ""
    if isinstance(value, TextValue):
        return _lines(value.text)
    if isinstance(value, TreeValue):
        return _lines(value.outline)
    if isinstance(value, CodeValue):
        return f"{value.code} {norm(value.description)}".strip()
    if isinstance(value, RowValue):
        return "; ".join(
            f"{c.name}: {norm(c.value)}" for c in value.cells if c.value not in (None, "")
        )
    if isinstance(value, ListValue):
        return "; ".join(norm(i) for i in value.items if norm(i))
    assert isinstance(value, ScalarValue)
    return "" if value.value is None else norm(str(value.value))


def word_runs(old: str, new: str) -> tuple[WordRun, ...]:
    """Redline runs of two texts, from the diff's own word-level diff."""
    return runs_from_words(word_diff(old, new))


@dataclass
class _Edit:
    """One edit of a redline: the words it deletes and the words it inserts."""

    old: list[str]
    new: list[str]


def runs_from_words(words: Iterable[WordOp], absorb: int = 2) -> tuple[WordRun, ...]:
    """Readable redline runs: each edit as one deletion then one insertion.

    An unchanged stretch of at most ``absorb`` words between two edits is folded into
    them ("over ~~4 to 5~~ **2 to 4** hours", not "over **2 to** 4 ~~to 5~~ hours").
    """
    chunks: list[_Edit | str] = []  # edits and unchanged stretches, alternating
    for op in words:
        text = norm(op.text)
        if not text:
            continue
        last = chunks[-1] if chunks else None
        if op.op == "equal":
            if isinstance(last, str):
                chunks[-1] = f"{last} {text}"
            else:
                chunks.append(text)
            continue
        if not isinstance(last, _Edit):
            last = _Edit([], [])
            chunks.append(last)
        (last.old if op.op == "delete" else last.new).append(text)
    merged: list[_Edit | str] = []
    for index, chunk in enumerate(chunks):
        prev = merged[-1] if merged else None
        if isinstance(prev, _Edit) and isinstance(chunk, _Edit):
            prev.old += chunk.old
            prev.new += chunk.new
        elif (
            isinstance(prev, _Edit)
            and isinstance(chunk, str)
            and index + 1 < len(chunks)
            and len(chunk.split()) <= absorb
        ):
            prev.old.append(chunk)  # a short unchanged stretch between two edits
            prev.new.append(chunk)
        else:
            merged.append(chunk)
    runs: list[WordRun] = []
    for chunk in merged:
        if isinstance(chunk, str):
            runs.append(WordRun("equal", chunk))
            continue
        if chunk.old:
            runs.append(WordRun("delete", " ".join(chunk.old)))
        if chunk.new:
            runs.append(WordRun("insert", " ".join(chunk.new)))
    return tuple(runs)


def newest_history_row(doc: PolicyDocument) -> tuple[str, str, int | None]:
    """(review type, summary, page) of the newest history row (``history.newest_entry``)."""
    newest = newest_entry(doc)
    if newest is None:
        return "", "", None
    return newest.review_type, newest.summary, newest.page


# --------------------------------------------------------------------------------------
# Building the context
# --------------------------------------------------------------------------------------


def revision_view(role: str, info: RevisionInfo, doc: PolicyDocument) -> RevisionView:
    review_type = info.review_type or newest_history_row(doc)[0]
    sha = info.sha256 or doc.source.sha256
    pages = info.pages if info.pages is not None else doc.source.pages
    return RevisionView(
        role=role,
        effective_date=info.effective_date or doc.policy.effective_date or "unknown",
        review_type=review_type or "not stated",
        source_name=Path(info.source_path or doc.source.path).name,
        sha256_prefix=sha[:12],
        pages=str(pages) if pages else "",
    )


def code_info(change: Change) -> CodeInfo | None:
    new = change.new if isinstance(change.new, CodeValue) else None
    old = change.old if isinstance(change.old, CodeValue) else None
    main = new or old
    if main is None:
        return None
    return CodeInfo(
        system=norm(main.system),
        code=norm(main.code),
        description=norm(main.description),
        old_description=norm(old.description) if old and new else "",
    )


def change_view(
    change: Change,
    title: str,
    claims_by_change: dict[str, list[str]],
    undocumented_ids: set[str],
) -> ChangeView:
    old_text, new_text = text_of(change.old), text_of(change.new)
    if change.words:
        runs = runs_from_words(change.words)
    elif change.kind == "modified" and old_text and new_text and old_text != new_text:
        runs = word_runs(old_text, new_text)
    else:
        runs = ()
    return ChangeView(
        id=change.id,
        anchor=anchor_for(change.id),
        section=change.section,
        section_title=title,
        kind=change.kind,
        summary=norm(change.summary) or f"{change.kind} in {title}",
        detail=norm(change.detail),
        old_text=old_text,
        new_text=new_text,
        old_label=norm(change.old_label),
        new_label=norm(change.new_label),
        old_page=page_text(change.old_page),
        new_page=page_text(change.new_page),
        runs=runs,
        code=code_info(change) if change.section.startswith("codes") else None,
        codes_gained=tuple(change.codes_gained),
        codes_lost=tuple(change.codes_lost),
        notes=tuple(norm(n) for n in change.notes),
        claim_ids=tuple(sorted(claims_by_change.get(change.id, []))),
        undocumented=change.id in undocumented_ids,
    )


def change_ref(view: ChangeView) -> ChangeRef:
    return ChangeRef(view.id, view.anchor, view.summary, view.section_title, view.pages_text)


STATUS_FOR_KIND = {
    "added": "added",
    "removed": "removed",
    "modified": "modified",
    "renumbered": "renumbered",
    "moved": "moved",
}


def tree_view(
    item: Node | Leaf,
    side: Literal["old", "new"],
    tree_key: str,
    changes: Sequence[Change],
    chain: tuple[int, ...] = (),
    inherited: str = "",
) -> TreeItemView:
    """One criteria item with the changes that touch it marked (by location or text)."""
    own_text = norm(item.text)
    matched: list[Change] = []
    for change in changes:
        if side == "new" and change.kind == "removed":
            continue
        if side == "old" and change.kind == "added":
            continue
        value = change.new if side == "new" else change.old
        loc = change.location
        by_place = False
        if loc.tree == tree_key and (side == "new" or change.kind == "removed"):
            index = loc.new_index if side == "new" else loc.old_index
            by_place = index is not None and tuple(index) == chain
        by_text = bool(own_text) and isinstance(value, TextValue) and own_text == text_of(value)
        if by_place or by_text:
            matched.append(change)
    status = inherited
    for change in matched:
        status = STATUS_FOR_KIND[change.kind]
        if status in ("added", "removed"):
            break
    child_status = status if status in ("added", "removed") else ""
    children: tuple[TreeItemView, ...] = ()
    op = ""
    if isinstance(item, Node):
        op = item.op
        children = tuple(
            tree_view(child, side, tree_key, changes, (*chain, i), child_status)
            for i, child in enumerate(item.items)
        )
    return TreeItemView(
        is_node=isinstance(item, Node),
        op=op,
        op_words=OP_WORDS.get(op, op),
        label=norm(item.label),
        text=own_text,
        page=page_text(item.page),
        status=status,
        links=links_for(c.id for c in matched),
        children=children,
    )


def _root(doc: PolicyDocument, key: str) -> Node | None:
    """The tree shown beside a section's changes: the exclusions, or the one indication's
    initial / continuation tree (several indications: their changes are listed alone)."""
    if key == "not_covered":
        return doc.criteria.not_covered
    inds = doc.criteria.indications
    return getattr(inds[0], key) if len(inds) == 1 else None


def criteria_tree(
    key: str, section: str, old: PolicyDocument, new: PolicyDocument, changes: Sequence[Change]
) -> CriteriaTreeView | None:
    several = len(old.criteria.indications) > 1 or len(new.criteria.indications) > 1
    if several and key != "not_covered":
        return None
    old_root, new_root = _root(old, key), _root(new, key)
    return CriteriaTreeView(
        key=key,
        title=section_title(section),
        old=tree_view(old_root, "old", key, changes) if old_root else None,
        new=tree_view(new_root, "new", key, changes) if new_root else None,
    )


def row_fields(row: Any, fields: Sequence[str]) -> tuple[str, ...]:
    data = row if isinstance(row, dict) else row.model_dump(mode="json")
    return tuple(norm(str(data.get(f) or "")) for f in fields)


def pair_rows(
    section: str, old_rows: Sequence[Any], new_rows: Sequence[Any], changes: Sequence[Change]
) -> list[tuple[int | None, int | None]]:
    """Align old and new table rows: same key first, then rows a change links, rest alone."""
    fields = TABLE_FIELDS[section]
    key_idx = [fields.index(k) for k in TABLE_KEYS[section]]
    old_vals = [row_fields(r, fields) for r in old_rows]
    new_vals = [row_fields(r, fields) for r in new_rows]
    pairs: list[tuple[int | None, int | None]] = []
    used_old: set[int] = set()
    used_new: set[int] = set()

    def key(vals: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(vals[i].casefold() for i in key_idx)

    for j, nv in enumerate(new_vals):
        for i, ov in enumerate(old_vals):
            if i not in used_old and key(ov) == key(nv):
                pairs.append((i, j))
                used_old.add(i)
                used_new.add(j)
                break
    for change in changes:
        if change.old is None or change.new is None:
            continue
        olds = texts_of_row_value(change.old, fields)
        news = texts_of_row_value(change.new, fields)
        cand_old = [i for i, ov in enumerate(old_vals) if i not in used_old and olds & set(ov)]
        cand_new = [j for j, nv in enumerate(new_vals) if j not in used_new and news & set(nv)]
        if len(cand_old) == 1 and len(cand_new) == 1:
            pairs.append((cand_old[0], cand_new[0]))
            used_old.add(cand_old[0])
            used_new.add(cand_new[0])
    pairs += [(i, None) for i in range(len(old_vals)) if i not in used_old]
    pairs += [(None, j) for j in range(len(new_vals)) if j not in used_new]

    def order(pair: tuple[int | None, int | None]) -> tuple[int, int]:
        i, j = pair
        return (j if j is not None else (i or 0), 0 if j is not None else 1)

    return sorted(pairs, key=order)


def row_of_change(change: Change) -> tuple[int, str] | None:
    """(row index, side) a table change points at: the new row, or the old row for a
    removal."""
    loc = change.location
    index = loc.old_index if change.kind == "removed" else loc.new_index
    if not index:
        return None
    return index[0], "old" if change.kind == "removed" else "new"


def texts_of_row_value(value: Payload, fields: Sequence[str]) -> set[str]:
    if isinstance(value, RowValue):
        cells = {c.name: c.value for c in value.cells}
        return {norm(cells.get(f) or "") for f in fields} - {""}
    text = norm(value.text) if isinstance(value, TextValue) else ""
    return {text} if text else set()


def dosing_table(
    section: str, old: PolicyDocument, new: PolicyDocument, changes: Sequence[Change]
) -> TableView:
    attr = section.split(".", 1)[1]
    old_rows: Sequence[Any] = getattr(old.dosing, attr)
    new_rows: Sequence[Any] = getattr(new.dosing, attr)
    fields = TABLE_FIELDS[section]
    # the diff's own word runs where a change is exactly one cell; difflib otherwise
    diff_runs = {
        (text_of(c.old), text_of(c.new)): runs_from_words(c.words) for c in changes if c.words
    }

    def cell(o: str, n: str) -> CellView:
        if o == n or not (o and n):
            return CellView(o, n, o != n, ())
        return CellView(o, n, True, diff_runs.get((o, n)) or word_runs(o, n))

    rows: list[TableRowView] = []
    for i, j in pair_rows(section, old_rows, new_rows, changes):
        ov = row_fields(old_rows[i], fields) if i is not None else ("",) * len(fields)
        nv = row_fields(new_rows[j], fields) if j is not None else ("",) * len(fields)
        cells = tuple(cell(o, n) for o, n in zip(ov, nv, strict=True))
        status = "added" if i is None else "removed" if j is None else ""
        if not status and any(c.changed for c in cells):
            status = "modified"
        ids = tuple(c.id for c in changes if row_of_change(c) in ((i, "old"), (j, "new")))
        rows.append(
            TableRowView(
                status=status,
                cells=cells,
                old_page=page_text(old_rows[i].page) if i is not None else "",
                new_page=page_text(new_rows[j].page) if j is not None else "",
                links=links_for(ids),
            )
        )
    return TableView(
        title=section_title(section),
        columns=tuple(f.capitalize() for f in fields),
        rows=tuple(rows),
    )


def section_view(
    key: str,
    title: str,
    views: Sequence[ChangeView],
    changes: Sequence[Change],
    old: PolicyDocument,
    new: PolicyDocument,
) -> SectionView:
    kinds = [v.kind for v in views]
    tree: CriteriaTreeView | None = None
    head, _, rest = key.partition(".")
    if head == "criteria" and rest in CRITERIA_TREES:
        tree = criteria_tree(rest, key, old, new, changes)
    table = dosing_table(key, old, new, changes) if key in TABLE_FIELDS else None
    return SectionView(
        key=key,
        title=title,
        anchor=section_anchor(key),
        added=kinds.count("added"),
        removed=kinds.count("removed"),
        modified=kinds.count("modified"),
        other=len(kinds) - kinds.count("added") - kinds.count("removed") - kinds.count("modified"),
        changes=tuple(views),
        tree=tree,
        table=table,
        is_codes=head == "codes",
    )


def claim_sections(
    patterns: Sequence[str], supported: Sequence[ChangeRef], docs: Sequence[PolicyDocument]
) -> tuple[str, ...]:
    """Where a claim points: the sections of its supporting changes, else its patterns."""
    if supported:
        return tuple(dict.fromkeys(r.section_title for r in supported))
    titles = (section_title(p.replace("*", "").strip("._"), docs) for p in patterns)
    return tuple(dict.fromkeys(titles))


def codes_text(sections: Sequence[SectionView]) -> str:
    codes = [s for s in sections if s.is_codes]
    counts = [
        (sum(s.added for s in codes), "added"),
        (sum(s.removed for s in codes), "removed"),
        (sum(s.modified for s in codes), "modified"),
        (sum(s.other for s in codes), "moved/renumbered"),
    ]
    parts = [f"{n} {word}" for n, word in counts if n]
    return ", ".join(parts) if parts else "no"


@dataclass
class _Views:
    """Change views of one report, by id, and the sections that hold them."""

    docs: tuple[PolicyDocument, PolicyDocument]
    by_id: dict[str, ChangeView]
    sections: list[SectionView]
    grouped: dict[str, list[Change]]

    def refs(self, ids: Iterable[str]) -> tuple[ChangeRef, ...]:
        return tuple(change_ref(self.by_id[i]) for i in ids if i in self.by_id)


def _section_views(changeset: ChangeSet, old: PolicyDocument, new: PolicyDocument) -> _Views:
    audit = changeset.audit
    claims_by_change: dict[str, list[str]] = {}
    for claim in audit.claims:
        for cid in claim.change_ids:
            claims_by_change.setdefault(cid, []).append(claim.id)
    undocumented_ids = {cid for f in audit.undocumented for cid in f.change_ids}
    grouped: dict[str, list[Change]] = {}
    for change in changeset.changes:
        grouped.setdefault(change.section, []).append(change)
    views = _Views((new, old), {}, [], grouped)
    for key in sorted(grouped, key=section_rank):
        title = section_title(key, views.docs)
        items = [change_view(c, title, claims_by_change, undocumented_ids) for c in grouped[key]]
        views.by_id.update((v.id, v) for v in items)
        views.sections.append(section_view(key, title, items, grouped[key], old, new))
    return views


def row_source(row: HistoryRowRef) -> str:
    """'Selected Revision history row, 2026-03-15, new PDF p. 20'."""
    text = f"{norm(row.review_type) or 'history'} row"
    if row.date:
        text += f", {row.date}"
    if row.page is not None:
        text += f", new PDF p. {row.page}"
    return text


def _audit_view(changeset: ChangeSet, new: PolicyDocument, views: _Views) -> AuditView:
    audit, docs = changeset.audit, views.docs
    review_type, printed_summary, history_page = newest_history_row(new)
    history_source = f"{review_type or 'newest'} history row"
    if history_page is not None:
        history_source += f", new PDF p. {history_page}"
    undocumented_ids = {cid for f in audit.undocumented for cid in f.change_ids}
    sources = [row_source(r) for r in audit.rows]
    return AuditView(
        history_summary=norm(audit.history_summary or printed_summary),
        history_source=history_source,
        rows=tuple(
            HistoryRowView(src, norm(r.summary)) for src, r in zip(sources, audit.rows, strict=True)
        ),
        unmapped=tuple(
            UnsupportedView(u.claim_id, norm(u.claim), norm(u.message)) for u in audit.unmapped
        ),
        criteria_read=changeset.from_.criteria_read and changeset.to.criteria_read,
        claims=tuple(
            ClaimView(
                id=c.id,
                text=norm(c.text),
                sections=claim_sections(c.sections, views.refs(c.change_ids), docs),
                codes=tuple(c.codes),
                changes=views.refs(c.change_ids),
                source=sources[c.row] if c.row is not None and c.row < len(sources) else "",
                kind=c.kind,
            )
            for c in audit.claims
        ),
        undocumented=tuple(
            FindingView(
                section=f.section,
                section_title=section_title(f.section, docs),
                section_anchor=section_anchor(f.section) if f.section in views.grouped else "",
                message=norm(f.message),
                changes=views.refs(f.change_ids[:MAX_FINDING_REFS]),
                more=max(0, len(views.refs(f.change_ids)) - MAX_FINDING_REFS),
            )
            for f in audit.undocumented
        ),
        unsupported=tuple(
            UnsupportedView(u.claim_id, norm(u.claim), norm(u.message))
            for u in audit.unsupported_claims
        ),
        undocumented_changes=len(undocumented_ids) or len(audit.undocumented),
    )


def build_context(
    changeset: ChangeSet,
    old: PolicyDocument,
    new: PolicyDocument,
    generated_at: datetime,
) -> ReportContext:
    """Everything the templates show, as typed frozen views."""
    views = _section_views(changeset, old, new)
    audit_view = _audit_view(changeset, new, views)
    verdict = VerdictView(
        criteria_changed=any(s.key.startswith("criteria") for s in views.sections),
        codes_text=codes_text(views.sections),
        undocumented=audit_view.undocumented_changes,
        unsupported=len(audit_view.unsupported),
        criteria_read=changeset.from_.criteria_read and changeset.to.criteria_read,
        unexplained=changeset.unexplained,
        unmapped=len(audit_view.unmapped),
        headlines=tuple(
            HeadlineView(h.category, norm(h.text), links_for(h.change_ids))
            for h in changeset.headlines
        ),
    )
    fmt_views = tuple(
        change_view(c, section_title(c.section, views.docs), {}, set())
        for c in sorted(changeset.format_changes, key=lambda c: section_rank(c.section))
    )
    return ReportContext(
        policy_number=changeset.to.policy or new.policy.number or old.policy.number or "unknown",
        policy_name=norm(changeset.to.name or new.policy.name or old.policy.name),
        old=revision_view("Old", changeset.from_, old),
        new=revision_view("New", changeset.to, new),
        generated_at=generated_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        tool_version=__version__,
        verdict=verdict,
        sections=tuple(views.sections),
        audit=audit_view,
        format_changes=fmt_views,
        code_findings=tuple(
            CodeFindingView(
                side=f.side,
                system=f.system,
                code=f.code,
                page=page_text(f.page),
                problem=f.problem.replace("_", " "),
                message=norm(f.message),
            )
            for f in changeset.code_findings
        ),
        change_count=len(changeset.changes),
        formulary=formulary_view(changeset, old, new, text_of),
    )


# --------------------------------------------------------------------------------------
# Jinja environment and filters
# --------------------------------------------------------------------------------------


def template(fmt: str) -> Template:
    return ENV.get_template(f"report.{fmt}")


def default_generated_at() -> datetime:
    """``SOURCE_DATE_EPOCH`` when set (reproducible builds), else the current time."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), UTC)
    return datetime.now(UTC)


# --------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------


def render(
    changeset: ChangeSet,
    old: PolicyDocument,
    new: PolicyDocument,
    fmt: str,
    *,
    generated_at: datetime | None = None,
) -> str:
    """Render the change report of ``old`` -> ``new`` as ``html``, ``md``, ``json`` or
    ``csv`` (one row per change)."""
    if fmt == "json":
        return dumps(changeset.model_dump(mode="json", by_alias=True))
    if fmt == "csv":
        return render_csv(changeset, text_of)
    if fmt not in FORMATS:
        raise PolicyToolsError(f"unknown report format {fmt!r} (expected html, md, json or csv)")
    context = build_context(changeset, old, new, generated_at or default_generated_at())
    return template(fmt).render(report=context)
