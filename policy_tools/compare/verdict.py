"""The verdict: the changes a reviewer must see first, in plain words, ranked by their
effect on decisions.

1. differences the diff could not explain, and criteria that could not be read (the
   verdict says so before anything else: nothing downstream may pretend);
2. indications added or removed;
3. authorization months (every approval of the indication lasts longer or shorter);
4. criteria that make approval harder or easier: a new way to qualify (an OR-branch or
   an option added), a way removed, a requirement added to or dropped from an AND group,
   an exclusion added or removed, AND changed to OR; a requirement removed from the
   approval criteria and added as an exclusion is one "moved to exclusions" line;
5. codes gained or lost;
6. dosing limits.

Rewordings and everything else come after, as counts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..model.changeset import Change, ChangeSet, Headline, TextValue, TreeValue
from ..settings import SETTINGS
from ..text import short
from .conserve import words

__all__ = ["headlines"]

_W = SETTINGS.match.headline_width

_RANK = {
    "unexplained": 0,
    "not_read": 0,
    "indication": 1,
    "authorization": 2,
    "criteria": 3,
    "codes": 4,
    "dosing": 5,
}


def _text(ch: Change, side: str) -> str:
    value = ch.new if side == "new" else ch.old
    if isinstance(value, TextValue):
        return value.text
    if isinstance(value, TreeValue):  # a group: its heading, else its first criterion
        for line in value.outline.splitlines():
            text = re.sub(r"\s*\[(?:AND|OR|N_OF)\]$", "", line.strip())
            if text and not text.startswith("["):
                return text
    return ""


def _where(ch: Change) -> str:
    return f" ({short(ch.location.indication, 40)})" if ch.location.indication else ""


def _criteria_line(ch: Change) -> str | None:
    """One criteria change in plain words, by its effect; None for a rewording."""
    tree = ch.location.tree
    detail = ch.detail or ""
    new, old = short(_text(ch, "new"), _W), short(_text(ch, "old"), _W)
    if tree == "not_covered":
        if ch.kind == "added":
            return f"New exclusion (harder): {new}"
        if ch.kind == "removed":
            return f"Exclusion removed (easier): {old}"
        return None
    if "OR-branch added" in detail or "option added" in detail:
        return f"New way to qualify (easier): {new}"
    if "OR-branch removed" in detail or "option removed" in detail:
        return f"Way to qualify removed (harder): {old}"
    if ch.kind == "added" and "AND branch" in detail:
        return f"New requirement (harder): {new}"
    if ch.kind == "removed" and "AND branch" in detail:
        return f"Requirement dropped (easier): {old}"
    if "AND changed to OR" in detail:
        return f"All-of became any-of (easier): {short(ch.summary, _W)}"
    if "OR changed to AND" in detail:
        return f"Any-of became all-of (harder): {short(ch.summary, _W)}"
    if ch.kind == "modified" and ch.words and _decisive(ch):
        edits = "; ".join(
            f"{d or '(nothing)'} -> {i or '(nothing)'}" for d, i in _decisive(ch)[:_EDITS_SHOWN]
        )
        return f"Criterion changed ({edits}): {new}"
    if ch.kind in ("added", "removed") and ch.section in ("criteria.initial",):
        verb = "added" if ch.kind == "added" else "removed"
        return f"Initial criteria {verb}{_where(ch)}"
    return None


# words whose change alters what a criterion demands: counts, quantifiers, negation
_DECISIVE = frozenset(
    [
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "all",
        "any",
        "both",
        "either",
        "each",
        "none",
        "no",
        "not",
        "least",
        "most",
        "more",
        "less",
        "fewer",
        "only",
        "except",
        "without",
    ]
)
_EDITS_SHOWN = 3


def _edits(ch: Change) -> list[tuple[str, str]]:
    """(deleted, inserted) word runs of a modified text, in order."""
    out: list[tuple[str, str]] = []
    pending: list[str] = ["", ""]
    for op in ch.words or []:
        if op.op == "equal":
            if any(pending):
                out.append((pending[0], pending[1]))
            pending = ["", ""]
        else:
            k = 0 if op.op == "delete" else 1
            pending[k] = (pending[k] + " " + op.text).strip()
    if any(pending):
        out.append((pending[0], pending[1]))
    return out


_NEGATION = frozenset({"not", "no", "without", "except", "only"})


def _decisive_edit(d: str, i: str) -> bool:
    """An edit that changes a number or a quantifier (FOUR -> ONE), or a negation."""
    both = words(d) + words(i)
    if d and i and any(w in _DECISIVE or w.isdigit() for w in both):
        return True
    return bool((not d or not i) and both and set(both) <= _NEGATION)


def _decisive(ch: Change) -> list[tuple[str, str]]:
    """The decisive edits of a modified criterion (none: a rewording)."""
    return [(d, i) for d, i in _edits(ch) if _decisive_edit(d, i)]


def _moved_to_exclusions(changes: list[Change]) -> list[tuple[Change, Change]]:
    """A requirement dropped from the approval criteria that comes back as an exclusion
    naming the same things (age 18, ...)."""
    dropped = [c for c in changes if c.kind == "removed" and c.location.tree in ("initial",)]
    excl = [c for c in changes if c.kind == "added" and c.location.tree == "not_covered"]
    pairs: list[tuple[Change, Change]] = []
    used: set[str] = set()
    for d in dropped:
        dw = {w for w in words(_text(d, "old")) if len(w) > 1}
        for e in excl:
            shared = dw & set(words(_text(e, "new")))
            if e.id not in used and len(shared) >= SETTINGS.match.claim_shared_words + 1:
                pairs.append((d, e))
                used.add(e.id)
                break
    return pairs


def _codes(changes: list[Change]) -> Iterable[Headline]:
    gained = sorted({c for ch in changes for c in ch.codes_gained})
    lost = sorted({c for ch in changes for c in ch.codes_lost})
    ids = [ch.id for ch in changes if ch.codes_gained or ch.codes_lost]
    for label, codes in (("Codes gained", gained), ("Codes lost", lost)):
        if codes:
            more = f" (+{len(codes) - 8} more)" if len(codes) > 8 else ""
            yield Headline(
                rank=_RANK["codes"],
                category="codes",
                text=f"{label}: {', '.join(codes[:8])}{more}",
                change_ids=ids,
            )


def _dosing(changes: list[Change]) -> Iterable[Headline]:
    dosing = [c for c in changes if c.section.startswith("dosing")]
    if dosing:
        kinds = sorted({c.kind for c in dosing})
        yield Headline(
            rank=_RANK["dosing"],
            category="dosing",
            text=f"Dosing: {len(dosing)} change(s) ({', '.join(kinds)}) to the dosing tables "
            "and notes",
            change_ids=[c.id for c in dosing],
        )


def _first(cs: ChangeSet) -> list[Headline]:
    out: list[Headline] = []
    if cs.unexplained:
        ids = [c.id for c in cs.changes if c.kind == "unexplained"]
        out.append(
            Headline(
                rank=0,
                category="unexplained",
                text=f"{cs.unexplained} difference(s) of words no reported change explains: "
                "check them by hand",
                change_ids=ids,
            )
        )
    unread = [side for side, info in (("old", cs.from_), ("new", cs.to)) if not info.criteria_read]
    if unread:
        out.append(
            Headline(
                rank=0,
                category="not_read",
                text=f"Criteria could not be read ({' and '.join(unread)} revision): criteria "
                "changes are shown as text only",
            )
        )
    return out


_ORDER = (
    "New way",
    "Way to qualify",
    "Moved to",
    "All-of",
    "Any-of",
    "New requirement",
    "Requirement dropped",
    "Continuation",
    "New exclusion",
    "Exclusion removed",
)


def _sub(h: Headline) -> int:
    """Within the criteria: paths to approval, then moves, requirements, exclusions."""
    return next((k for k, p in enumerate(_ORDER) if h.text.startswith(p)), len(_ORDER))


def headlines(cs: ChangeSet) -> list[Headline]:
    """The verdict of a change set, most consequential first."""
    out = _first(cs)
    changes = cs.changes
    for ch in changes:
        if ch.section == "criteria.indications" and ch.kind in ("added", "removed"):
            verb = "added" if ch.kind == "added" else "removed"
            text = f"Indication {verb}: {ch.location.indication or ''}"
            out.append(Headline(rank=1, category="indication", text=text, change_ids=[ch.id]))
        elif ch.section == "criteria.authorization":
            text = f"{ch.summary}{_where(ch)}"
            out.append(Headline(rank=2, category="authorization", text=text, change_ids=[ch.id]))
    moved = _moved_to_exclusions(changes)
    skip = {c.id for pair in moved for c in pair}
    for d, e in moved:
        out.append(
            Headline(
                rank=_RANK["criteria"],
                category="criteria",
                text=f"Moved to exclusions: '{short(_text(d, 'old'), _W)}' is now the "
                f"exclusion '{short(_text(e, 'new'), _W)}'",
                change_ids=[d.id, e.id],
            )
        )
    for ch in changes:
        line = None
        if ch.id not in skip and ch.section in (
            "criteria.initial",
            "criteria.continuation",
            "criteria.not_covered",
        ):
            line = _criteria_line(ch)
        if line:
            prefix = "Continuation: " if ch.location.tree == "continuation" else ""
            out.append(
                Headline(
                    rank=_RANK["criteria"],
                    category="criteria",
                    text=f"{prefix}{line}{_where(ch)}",
                    change_ids=[ch.id],
                )
            )
    out += _codes([c for c in changes if c.section == "codes"])
    out += _dosing(changes)
    return sorted(out, key=lambda h: (h.rank, _sub(h)))  # stable: reading order within
