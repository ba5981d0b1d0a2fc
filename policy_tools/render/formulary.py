"""The formulary part of a change report, and the change set as CSV.

``formulary_view`` turns the ``formulary.*`` changes of a change set into the tables a
pharmacist reads first: status and PA / ST / QL changes, then drugs added and removed by
class, then criteria changes (the templates ``formulary.html`` / ``formulary.md``).
``render_csv`` writes one row per change with one header row, for a spreadsheet.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..compare.formulary import change_kind
from ..compare.match import word_diff
from ..model.changeset import Change, ChangeSet, Payload, RowValue, WordOp
from ..model.policy import PolicyDocument
from ..text import one_line

__all__ = ["CSV_COLUMNS", "FormularyView", "formulary_view", "render_csv"]

TextOf = Callable[[Payload | None], str]  # the report's own payload-to-text (render.report)

# the first table: what changes a claim at the pharmacy counter
FIRST_TABLE = (
    "formulary.status",
    "formulary.pa",
    "formulary.step_therapy",
    "formulary.quantity_limit",
)
ADDED_REMOVED = ("formulary.drugs",)
CRITERIA = ("formulary.criteria", "formulary.class_criteria", "formulary.wording")
CSV_COLUMNS = (
    "change_id",
    "kind",
    "class",
    "drug",
    "field",
    "old",
    "new",
    "old_page",
    "new_page",
    "summary",
    "detail",
    "section",
)


def page_text(page: int | None) -> str:
    return "" if page is None else str(page)


@dataclass(frozen=True)
class Run:
    """One run of a redline: 'equal', 'delete' or 'insert'."""

    op: str
    text: str


def _runs(words: Sequence[WordOp]) -> tuple[Run, ...]:
    return tuple(Run(w.op, one_line(w.text)) for w in words if one_line(w.text))


@dataclass(frozen=True)
class FormularyRowView:
    id: str
    anchor: str
    kind: str
    class_name: str
    drug: str
    old: str
    new: str
    detail: str
    old_page: str
    new_page: str
    runs: tuple[Run, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class FormularyClassView:
    name: str
    rows: tuple[FormularyRowView, ...]


@dataclass(frozen=True)
class FormularyView:
    old_drugs: int
    new_drugs: int
    old_classes: int
    new_classes: int
    counts: tuple[tuple[str, int], ...]
    first: tuple[FormularyRowView, ...]
    by_class: tuple[FormularyClassView, ...]
    criteria: tuple[FormularyRowView, ...]
    other: tuple[FormularyRowView, ...]


def _where(change: Change) -> tuple[str, str]:
    """(class, drug) of a formulary change."""
    key = change.location.row_key or []
    if change.section in ("formulary.class_criteria", "formulary.classes"):
        return (key[0] if key else change.location.indication or ""), ""
    return (key[0] if key else ""), (key[1] if len(key) > 1 else change.location.indication or "")


def _cell_text(change: Change, side: str, text_of: TextOf) -> str:
    value = change.old if side == "old" else change.new
    if isinstance(value, RowValue):
        cells = {c.name: c.value for c in value.cells}
        parts = [cells.get("status") or "(no status)", f"PA {cells.get('PA')}"]
        if cells.get("quantity limit"):
            parts.append(f"QL {cells['quantity limit']}")
        return " · ".join(one_line(p) for p in parts)
    return one_line(text_of(value), 400)


def _row(change: Change, text_of: TextOf) -> FormularyRowView:
    cls, drug = _where(change)
    old, new = _cell_text(change, "old", text_of), _cell_text(change, "new", text_of)
    if change.words:
        runs = _runs(change.words)
    elif old and new and old != new:
        runs = _runs(word_diff(old, new))
    else:
        runs = ()
    return FormularyRowView(
        id=change.id,
        anchor="change-" + change.id,
        kind=change_kind(change),
        class_name=one_line(cls),
        drug=one_line(drug),
        old=old,
        new=new,
        detail=one_line(change.detail, 300),
        old_page=page_text(change.old_page),
        new_page=page_text(change.new_page),
        runs=runs,
        notes=tuple(one_line(n, 200) for n in change.notes),
    )


def formulary_view(
    changeset: ChangeSet, old: PolicyDocument, new: PolicyDocument, text_of: TextOf
) -> FormularyView | None:
    """The formulary tables of a report (None when neither revision is a PDL)."""
    if old.formulary is None and new.formulary is None:
        return None
    ours = [c for c in changeset.changes if c.section.startswith("formulary")]
    counts: dict[str, int] = {}
    for c in ours:
        counts[change_kind(c)] = counts.get(change_kind(c), 0) + 1
    groups: dict[str, list[FormularyRowView]] = {}
    for c in ours:
        if c.section in ADDED_REMOVED and c.kind in ("added", "removed"):
            row = _row(c, text_of)
            groups.setdefault(row.class_name, []).append(row)
    return FormularyView(
        old_drugs=len(old.formulary.drugs) if old.formulary else 0,
        new_drugs=len(new.formulary.drugs) if new.formulary else 0,
        old_classes=len(old.formulary.classes) if old.formulary else 0,
        new_classes=len(new.formulary.classes) if new.formulary else 0,
        counts=tuple(sorted(counts.items())),
        first=_rows(ours, FIRST_TABLE, text_of),
        by_class=tuple(FormularyClassView(k, tuple(v)) for k, v in groups.items()),
        criteria=_rows(ours, CRITERIA, text_of),
        other=tuple(
            _row(c, text_of)
            for c in ours
            if c.section not in FIRST_TABLE + CRITERIA
            and not (c.section in ADDED_REMOVED and c.kind in ("added", "removed"))
        ),
    )


def _rows(
    changes: Sequence[Change], sections: Sequence[str], text_of: TextOf
) -> tuple[FormularyRowView, ...]:
    return tuple(_row(c, text_of) for c in changes if c.section in sections)


def render_csv(changeset: ChangeSet, text_of: TextOf) -> str:
    """Every change of the change set as one CSV row (one header row; RFC 4180 quoting).

    Text from a PDF is untrusted: control characters are dropped, and a cell that a
    spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@`` first) gets a leading
    apostrophe.
    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for c in changeset.changes:
        cls, drug = _where(c) if c.section.startswith("formulary") else ("", "")
        row = [
            c.id,
            change_kind(c),
            cls,
            drug,
            c.location.field or "",
            text_of(c.old),
            text_of(c.new),
            page_text(c.old_page),
            page_text(c.new_page),
            c.summary,
            c.detail or "",
            c.section,
        ]
        writer.writerow([_safe(v) for v in row])
    return buf.getvalue()


def _safe(value: str) -> str:
    text = one_line(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
