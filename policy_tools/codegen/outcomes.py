"""Outcome changes between two revisions: which cases (sets of met criteria) change
decision, found exhaustively for small trees and from minimal satisfying sets beyond."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from itertools import combinations, product
from typing import Any, Literal

from ..errors import PolicyToolsError
from ..model.policy import PolicyDocument
from ..settings import SETTINGS
from ..text import compare_key
from .compile import (
    TREES,
    FactView,
    GroupView,
    TreeName,
    TreeView,
    compile_criteria,
    evaluate,
)

_C = SETTINGS.codegen


@dataclass(frozen=True)
class OutcomeChange:
    """A minimal case whose decision differs: ``facts`` true, every other id false."""

    tree: TreeName
    facts: tuple[str, ...]
    old_approved: bool
    new_approved: bool
    lacking: tuple[str, ...] = ()  # what the rejecting tree also needs (closest minimal set)

    @property
    def direction(self) -> str:
        if self.tree == "not_covered":
            return "no longer excluded" if self.new_approved else "newly excluded"
        return "newly approved" if self.new_approved else "newly denied"

    @property
    def rejecting(self) -> Literal["old", "new"]:
        """The revision whose tree does not hold for the case (``lacking`` is its gap)."""
        new_holds = self.new_approved != (self.tree == "not_covered")
        return "old" if new_holds else "new"


@dataclass(frozen=True)
class TreeOutcome:
    tree: TreeName
    ids: int  # distinct criterion ids over both revisions
    strategy: Literal["exhaustive", "minimal-terms", "absent"]
    evaluated: int  # assignments (exhaustive) or candidate terms (bounded) evaluated
    flipped: int  # of those, how many change decision
    cases: int  # minimal cases reported


@dataclass(frozen=True)
class AuthorizationChange:
    field: str
    old: int | None
    new: int | None


@dataclass(frozen=True)
class OutcomeReport:
    old: str
    new: str
    trees: tuple[TreeOutcome, ...]
    changes: tuple[OutcomeChange, ...]
    authorization: tuple[AuthorizationChange, ...]
    criteria: dict[str, str] = field(default_factory=dict)  # id -> text, for the cases

    @property
    def exit_code(self) -> int:
        return 1 if self.changes or self.authorization else 0

    def to_json(self) -> dict[str, Any]:
        """Plain data for JSON output (each change with its direction and rejecting side)."""
        data = asdict(self)
        for change, ch in zip(data["changes"], self.changes, strict=True):
            change["direction"] = ch.direction
            change["rejecting"] = ch.rejecting
        return data


def _approved(tree: TreeName, satisfied: bool) -> bool:
    """``not_covered`` approves when its exclusion tree does NOT hold."""
    return not satisfied if tree == "not_covered" else satisfied


def _minimal(flipped: set[frozenset[str]]) -> list[frozenset[str]]:
    """Flipped sets none of whose one-smaller subsets is flipped (convexity: minimal)."""
    return [s for s in flipped if not any(s - {x} in flipped for x in s)]


def _exhaustive(
    old: GroupView | None, new: GroupView | None, ids: Sequence[str]
) -> tuple[int, dict[bool, set[frozenset[str]]]]:
    flipped: dict[bool, set[frozenset[str]]] = {True: set(), False: set()}
    count = 0
    for bits in product((False, True), repeat=len(ids)):
        true_ids = frozenset(i for i, b in zip(ids, bits, strict=True) if b)
        count += 1
        o, n = evaluate(old, true_ids), evaluate(new, true_ids)
        if o != n:
            flipped[n].add(true_ids)
    return count, flipped


Terms = set[frozenset[str]]


def _and_terms(acc: Terms, part: Terms) -> Terms:
    return {a | b for a in acc for b in part}


def _all_of(parts: Iterable[Terms]) -> Terms:
    acc: Terms = {frozenset()}
    for part in parts:
        acc = _and_terms(acc, part)
    return acc


def minimal_terms(view: TreeView | None, limit: int | None = None) -> set[frozenset[str]]:
    """Minimal satisfying fact sets of a negation-free tree (DNF, absorbed)."""
    if limit is None:
        limit = _C.max_terms
    if view is None:
        return set()
    if isinstance(view, FactView):
        return {frozenset({view.id})}
    if not view.items:
        return set()
    parts = [minimal_terms(child, limit) for child in view.items]
    if view.op == "OR":
        terms: set[frozenset[str]] = set().union(*parts)
    elif view.op == "N_OF":  # any n of the items: the union over every choice of n
        terms = set()
        for chosen in combinations(parts, view.n):
            terms |= _all_of(chosen)
    else:
        terms = _all_of(parts)
    if len(terms) > limit:
        raise PolicyToolsError(
            f"criteria tree {view.path} has more than {limit} minimal cases; "
            "outcome analysis is bounded"
        )
    return {t for t in terms if not any(o < t for o in terms)}


def _lacking(rejecting: GroupView | None, case: frozenset[str]) -> tuple[str, ...]:
    """Facts the rejecting tree's closest minimal satisfying set adds to ``case``."""
    gaps = [_sorted_ids(term - case) for term in minimal_terms(rejecting)]
    return min(gaps, key=lambda g: (len(g), g)) if gaps else ()


def _bounded(
    old: GroupView | None, new: GroupView | None
) -> tuple[int, dict[bool, set[frozenset[str]]]]:
    old_terms, new_terms = minimal_terms(old), minimal_terms(new)
    flipped = {
        True: {t for t in new_terms if not evaluate(old, t)},
        False: {t for t in old_terms if not evaluate(new, t)},
    }
    return len(old_terms) + len(new_terms), flipped


def _sorted_ids(ids: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(ids))


def outcome_report(
    old: PolicyDocument,
    new: PolicyDocument,
    *,
    exhaustive_limit: int | None = None,
) -> OutcomeReport:
    """Outcome changes of ``old`` -> ``new`` with the figures of how they were found."""
    if exhaustive_limit is None:
        exhaustive_limit = _C.exhaustive_limit
    a, b = compile_criteria(old), compile_criteria(new)
    texts = {**a.criteria, **b.criteria}
    stats: list[TreeOutcome] = []
    changes: list[OutcomeChange] = []
    for name in TREES:
        o_tree, n_tree = a.trees[name], b.trees[name]
        ids = _sorted_ids(set(a.ids(name)) | set(b.ids(name)))
        if o_tree is None and n_tree is None:
            stats.append(TreeOutcome(name, 0, "absent", 0, 0, 0))
            continue
        if len(ids) <= exhaustive_limit:
            strategy: Literal["exhaustive", "minimal-terms"] = "exhaustive"
            evaluated, flipped = _exhaustive(o_tree, n_tree, ids)
            minimal = {d: _minimal(sets) for d, sets in flipped.items()}
        else:
            strategy = "minimal-terms"
            evaluated, flipped = _bounded(o_tree, n_tree)
            minimal = {d: list(sets) for d, sets in flipped.items()}
        found = [
            OutcomeChange(
                name,
                _sorted_ids(case),
                _approved(name, not new_satisfied),
                _approved(name, new_satisfied),
                _lacking(o_tree if new_satisfied else n_tree, case),
            )
            for new_satisfied, cases in minimal.items()
            for case in cases
        ]
        found.sort(key=lambda c: (c.new_approved, len(c.facts), c.facts))
        changes.extend(found)
        n_flipped = sum(len(s) for s in flipped.values())
        stats.append(TreeOutcome(name, len(ids), strategy, evaluated, n_flipped, len(found)))
    auth = _authorization_changes(old, new)
    used = {i for c in changes for i in (*c.facts, *c.lacking)}
    return OutcomeReport(
        old=_revision_label(old),
        new=_revision_label(new),
        trees=tuple(stats),
        changes=tuple(changes),
        authorization=tuple(auth),
        criteria={i: texts[i].text for i in sorted(used)},
    )


def _authorization_changes(old: PolicyDocument, new: PolicyDocument) -> list[AuthorizationChange]:
    """Changed months of the indications the two revisions share (paired by name)."""
    olds = {compare_key(i.name): i for i in old.criteria.indications}
    news = {compare_key(i.name): i for i in new.criteria.indications}
    if len(olds) == 1 and len(news) == 1:
        olds, news = {"": next(iter(olds.values()))}, {"": next(iter(news.values()))}
    out = []
    for key in sorted(olds.keys() & news.keys()):
        oa, na = olds[key].authorization, news[key].authorization
        for f in ("initial_months", "reauthorization_months"):
            if getattr(oa, f) != getattr(na, f):
                out.append(AuthorizationChange(f, getattr(oa, f), getattr(na, f)))
    return out


def outcome_changes(old: PolicyDocument, new: PolicyDocument) -> list[OutcomeChange]:
    """The minimal cases (true-fact sets) whose decision differs between the revisions."""
    return list(outcome_report(old, new).changes)


def _revision_label(doc: PolicyDocument) -> str:
    return f"{doc.policy.number or doc.source.path}@{doc.policy.effective_date or '?'}"
