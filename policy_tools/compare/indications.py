"""Criteria per indication: indications are paired by name (exactly, then by similarity,
so a renamed indication is one rename; a policy with one indication on each side pairs
them whatever their names); a paired indication's trees, authorization months and dosing
(rows of generic dosing tables keyed by their key columns) are compared, an unpaired one
is one change carrying its whole criteria, and a criterion that left one indication for
another is one move."""

from __future__ import annotations

from ..model.changeset import Change, ChangeKind, Location, ScalarValue, TextValue, TreeValue
from ..model.policy import INDICATION_TREES, Indication, PolicyDocument
from ..settings import SETTINGS
from ..text import compare_key, short
from .collect import Collector
from .criteria import TreeAt, diff_tree, outline
from .match import match_items, similarity, word_diff
from .meta import fmt_value
from .tables import diff_dosing

__all__ = ["diff_indications", "pair_indications"]


def pair_indications(
    old: list[Indication], new: list[Indication]
) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """(pairs, unpaired old, unpaired new) of two revisions' indications."""
    if len(old) == 1 and len(new) == 1:
        return [(0, 0)], [], []
    return match_items(
        old,
        new,
        key=lambda ind: compare_key(ind.name),
        score=lambda a, b: similarity(a.name, b.name),
        threshold=SETTINGS.match.criteria_match,
    )


def _outline(ind: Indication) -> str:
    parts = [f"{ind.name}"]
    for name in INDICATION_TREES:
        tree = getattr(ind, name)
        if tree is not None:
            parts.append(f"  {name}:")
            parts.append("\n".join("    " + ln for ln in outline(tree).splitlines()))
    return "\n".join(parts)


def _authorization(o: Indication, n: Indication, j: int, out: Collector, name: str | None) -> None:
    oa, na = o.authorization, n.authorization
    for field, label in (
        ("initial_months", "Initial authorization"),
        ("reauthorization_months", "Reauthorization"),
    ):
        ov, nv = getattr(oa, field), getattr(na, field)
        if ov == nv:
            continue
        kind: ChangeKind = "added" if ov is None else "removed" if nv is None else "modified"
        out.add(
            "criteria.authorization",
            kind,
            f"criteria.indications[{j}].authorization.{field}",
            f"{label} duration: {fmt_value(ov)} -> {fmt_value(nv)} months",
            location=Location(indication=name, field=field),
            old=ScalarValue(value=ov) if ov is not None else None,
            new=ScalarValue(value=nv) if nv is not None else None,
            old_page=oa.page,
            new_page=na.page,
        )


def _renamed(o: Indication, n: Indication, i: int, j: int, out: Collector) -> None:
    if compare_key(o.name) == compare_key(n.name):
        return
    out.add(
        "criteria.indications",
        "modified",
        f"criteria.indications[{j}].name",
        f"Indication renamed: {short(o.name, 60)} -> {short(n.name, 60)}",
        location=Location(indication=n.name, old_index=[i], new_index=[j], field="name"),
        detail="indication renamed",
        old=TextValue(text=o.name),
        new=TextValue(text=n.name),
        words=word_diff(o.name, n.name),
        old_page=o.page,
        new_page=n.page,
    )


def diff_indications(old: PolicyDocument, new: PolicyDocument, out: Collector) -> None:
    """Changes of every indication's criteria, and of the policy-wide exclusions."""
    olds, news = old.criteria.indications, new.criteria.indications
    pairs, lone_o, lone_n = pair_indications(olds, news)
    several = len(olds) > 1 or len(news) > 1
    start = len(out.changes)
    for i, j in pairs:
        o, n = olds[i], news[j]
        name = n.name if several else None
        if several:
            _renamed(o, n, i, j, out)
        for tree in INDICATION_TREES:
            where = TreeAt(tree, name, f"criteria.indications[{j}].{tree}")
            diff_tree(where, getattr(o, tree), getattr(n, tree), out)
        _authorization(o, n, j, out, name)
        first = len(out.changes)
        diff_dosing(o.dosing, n.dosing, out, f"criteria.indications[{j}].dosing")
        for k in range(first, len(out.changes)):
            loc = out.changes[k].location.model_copy(update={"indication": name})
            out.changes[k] = out.changes[k].model_copy(update={"location": loc})
    if several:
        _cross_moves(out, start)
    for kind, items, lone in (("removed", olds, lone_o), ("added", news, lone_n)):
        for k in lone:
            ind = items[k]
            added = kind == "added"
            payload = TreeValue(outline=_outline(ind))
            out.add(
                "criteria.indications",
                "added" if added else "removed",
                f"criteria.indications[{k}]",
                f"{'Added' if added else 'Removed'} indication: {short(ind.name, 80)}",
                location=Location(
                    indication=ind.name,
                    old_index=None if added else [k],
                    new_index=[k] if added else None,
                ),
                old=None if added else payload,
                new=payload if added else None,
                old_page=None if added else ind.page,
                new_page=ind.page if added else None,
            )
    where = TreeAt("not_covered", None, "criteria.not_covered")
    diff_tree(where, old.criteria.not_covered, new.criteria.not_covered, out)


def _leaf_text(ch: Change) -> str | None:
    value = ch.new if ch.kind == "added" else ch.old
    return compare_key(value.text) if isinstance(value, TextValue) else None


def _cross_moves(out: Collector, start: int) -> None:
    """A criterion removed from one indication and added, with the same words, to another
    is one move between indications."""
    span = out.changes[start:]
    trees = ("criteria.initial", "criteria.continuation")
    gone = [c for c in span if c.kind == "removed" and c.section in trees and _leaf_text(c)]
    came = [c for c in span if c.kind == "added" and c.section in trees and _leaf_text(c)]
    by_text: dict[str, list[Change]] = {}
    for c in came:
        by_text.setdefault(_leaf_text(c) or "", []).append(c)
    drop: set[int] = set()
    moves: list[Change] = []
    for r in gone:
        bucket = [a for a in by_text.get(_leaf_text(r) or "", []) if id(a) not in drop]
        target = next((a for a in bucket if a.location.indication != r.location.indication), None)
        if target is None:
            continue
        drop.update({id(r), id(target)})
        moves.append(
            target.model_copy(
                update={
                    "kind": "moved",
                    "summary": f"Moved criterion from {short(r.location.indication, 40)} to "
                    f"{short(target.location.indication, 40)}: {short(_leaf_text(target), 60)}",
                    "detail": f"moved from indication {r.location.indication} to "
                    f"{target.location.indication}",
                    "location": target.location.model_copy(
                        update={"old_index": r.location.old_index}
                    ),
                    "old": r.old,
                    "old_label": r.old_label,
                    "old_page": r.old_page,
                }
            )
        )
    kept = [c for c in span if id(c) not in drop]
    out.changes[start:] = kept + moves
