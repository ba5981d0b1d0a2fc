"""Criteria per indication: indications are paired by name (exactly, then by similarity,
and a policy with one indication on each side pairs them whatever their names); a
paired indication's trees and authorization months are compared, an unpaired one is
one change carrying its whole criteria."""

from __future__ import annotations

from ..model.changeset import ChangeKind, Location, ScalarValue, TreeValue
from ..model.policy import INDICATION_TREES, Indication, PolicyDocument
from ..settings import SETTINGS
from ..text import compare_key, short
from .collect import Collector
from .criteria import TreeAt, diff_tree, outline
from .match import match_items, similarity
from .meta import fmt_value

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


def diff_indications(old: PolicyDocument, new: PolicyDocument, out: Collector) -> None:
    """Changes of every indication's criteria, and of the policy-wide exclusions."""
    olds, news = old.criteria.indications, new.criteria.indications
    pairs, lone_o, lone_n = pair_indications(olds, news)
    several = len(olds) > 1 or len(news) > 1
    for i, j in pairs:
        o, n = olds[i], news[j]
        name = n.name if several else None
        for tree in INDICATION_TREES:
            where = TreeAt(tree, name, f"criteria.indications[{j}].{tree}")
            diff_tree(where, getattr(o, tree), getattr(n, tree), out)
        _authorization(o, n, j, out, name)
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
