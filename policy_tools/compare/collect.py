"""Collecting changes: the collector every differ adds to, and the builders of the
common change shapes (a text item added / removed / modified / renumbered)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..model.changeset import Change, ChangeKind, Location, Payload, TextValue
from ..text import compare_key, short
from ..vocab.criteria import ITEM_LABELS
from .match import word_diff, words

__all__ = ["PUNCTUATION_ONLY", "Collector", "text_change", "text_value"]


def text_value(text: str | None) -> TextValue | None:
    return TextValue(text=text) if text is not None else None


@dataclass
class Collector:
    changes: list[Change] = field(default_factory=list)
    formats: list[Change] = field(default_factory=list)

    def add(
        self,
        section: str,
        kind: ChangeKind,
        path: str,
        summary: str,
        *,
        location: Location | None = None,
        old: Payload | None = None,
        new: Payload | None = None,
        **kw: Any,
    ) -> Change:
        ch = Change(
            id="",
            section=section,
            kind=kind,
            path=path,
            summary=summary,
            location=location or Location(),
            old=old,
            new=new,
            **kw,
        )
        self.changes.append(ch)
        return ch

    def fmt(self, section: str, path: str, summary: str, **kw: Any) -> None:
        self.formats.append(
            Change(id="", section=section, kind="modified", path=path, summary=summary, **kw)
        )


def text_change(
    out: Collector,
    section: str,
    path: str,
    what: str,
    old: str | None,
    new: str | None,
    *,
    location: Location,
    old_label: str | None = None,
    new_label: str | None = None,
    old_page: int | None = None,
    new_page: int | None = None,
    detail: str | None = None,
) -> None:
    """One added / removed / modified / renumbered text item."""
    common: dict[str, Any] = dict(
        location=location,
        old_label=old_label,
        new_label=new_label,
        old_page=old_page,
        new_page=new_page,
        detail=detail,
    )
    if old is None:
        out.add(
            section, "added", path, f"Added {what}: {short(new)}", new=text_value(new), **common
        )
        return
    if new is None:
        out.add(
            section, "removed", path, f"Removed {what}: {short(old)}", old=text_value(old), **common
        )
        return
    shape = _modified(what, old, new, old_label, new_label)
    if shape is not None:
        kind, summary, with_words = shape
        if kind == "modified" and common["detail"] is None and words(old) == words(new):
            common["detail"] = PUNCTUATION_ONLY
        out.add(
            section,
            kind,
            path,
            summary,
            old=text_value(old),
            new=text_value(new),
            words=word_diff(old, new) if with_words else None,
            **common,
        )


def _modified(
    what: str, old: str, new: str, old_label: str | None, new_label: str | None
) -> tuple[ChangeKind, str, bool] | None:
    """(kind, summary, with a word diff) of a text on both sides; None: no change."""
    relabel = (old_label or "") != (new_label or "")
    labels = f"{old_label or '(none)'} -> {new_label or '(none)'}"
    if _relisted(old, new):
        return "renumbered", f"Renumbered the list of items of a {what}: {short(new, 60)}", True
    if compare_key(old) == compare_key(new):
        if not relabel:
            return None
        return "renumbered", f"Renumbered {what} {labels}: {short(new, 60)}", False
    more = f" (renumbered {labels})" if relabel else ""
    if words(old) == words(new):
        more += f" ({PUNCTUATION_ONLY})"
    return "modified", f"Modified {what}{more}: {short(new, 70)}", True


# a text whose words are the same and only its punctuation changed ('(other than the
# requested medication),' -> 'other than the requested medication),'): said in its summary,
# never expected in a summary of changes
PUNCTUATION_ONLY = "punctuation only"


def _relisted(old: str, new: str) -> bool:
    """Only the list of the items' labels differs ('(i, ii, and iii)' -> '(i, ii, iii, and
    iv)', ``vocab.criteria.ITEM_LABELS``): the items are compared one by one elsewhere."""
    rx = ITEM_LABELS.regex
    if compare_key(old) == compare_key(new) or not (rx.search(old) and rx.search(new)):
        return False
    return compare_key(rx.sub(" ", old)) == compare_key(rx.sub(" ", new))
