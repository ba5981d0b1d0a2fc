"""Try a case: a form generated from the criteria of two revisions, and the decision
and reasons of each revision for the facts a person ticks.

The questions are today's boolean facts: one per criterion id of either revision
(``codegen.compile``: an unchanged criterion has one id in both). ``questions`` is the
one place that builds them, so the form can switch to the Questionnaire of the rules
work when it lands. Decisions use today's closed-world evaluation
(``codegen.compile.evaluate``) with the semantics of the generated module: a criteria
tree ``holds``; initial approval and continuation are approved when their tree holds,
the exclusions approve when theirs does not.

Reasons: for a tree that holds, the ticked criteria that make it hold (the first branch
that holds of each OR); for one that does not, the fewest unticked criteria that would
make it hold (the closest branch of each OR).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..codegen.compile import (
    TREES,
    CompiledCriteria,
    FactView,
    GroupView,
    TreeName,
    TreeView,
    compile_criteria,
    evaluate,
)
from ..codegen.outcomes import outcome_report
from ..model.policy import PolicyDocument

__all__ = ["CaseResult", "Question", "TreeDecision", "questions", "suggested_cases", "try_case"]

TREE_TITLES: dict[TreeName, str] = {
    "initial": "Initial approval",
    "continuation": "Continuation (reauthorization)",
    "not_covered": "Not-covered uses (exclusions)",
}


@dataclass(frozen=True)
class Question:
    """One yes/no fact the form asks: is this criterion met?"""

    id: str
    text: str
    trees: tuple[TreeName, ...]
    revisions: str  # "both", "old" or "new": where the criterion is printed
    old_label: str
    new_label: str


def _order(compiled: CompiledCriteria) -> list[tuple[TreeName, str]]:
    return [(tree, cid) for tree in TREES for cid in compiled.ids(tree)]


def questions(old: PolicyDocument, new: PolicyDocument) -> list[Question]:
    """The questions of the form: every criterion of both revisions, in tree order (new
    revision first, then what only the old one asks)."""
    co, cn = compile_criteria(old), compile_criteria(new)
    trees: dict[str, list[TreeName]] = {}
    for tree, cid in _order(cn) + _order(co):
        if tree not in trees.setdefault(cid, []):
            trees[cid].append(tree)
    out = []
    for cid, where in trees.items():
        o, n = co.criteria.get(cid), cn.criteria.get(cid)
        main = n or o
        assert main is not None
        side = "both" if o and n else "new" if n else "old"
        labels = (o.label if o else "", n.label if n else "")
        out.append(Question(cid, main.text, tuple(where), side, *labels))
    return out


def _gap(view: TreeView, met: frozenset[str]) -> frozenset[str] | None:
    """The fewest unmet ids that would make ``view`` hold (None: it cannot hold)."""
    if isinstance(view, FactView):
        return frozenset() if view.id in met else frozenset({view.id})
    if not view.items:
        return None
    gaps = [_gap(child, met) for child in view.items]
    possible = sorted((g for g in gaps if g is not None), key=lambda g: (len(g), sorted(g)))
    if view.op == "AND":
        return None if len(possible) < len(gaps) else frozenset().union(*possible)
    need = view.n if view.op == "N_OF" else 1
    if len(possible) < need:
        return None
    return frozenset().union(*possible[:need])


def _ids_in_order(view: TreeView) -> list[str]:
    if isinstance(view, FactView):
        return [view.id]
    return list(dict.fromkeys(i for child in view.items for i in _ids_in_order(child)))


def _witness(view: TreeView, met: frozenset[str]) -> list[str]:
    """The met ids that make ``view`` hold (call only when it holds)."""
    if isinstance(view, FactView):
        return [view.id]
    holding = [c for c in view.items if evaluate(c, met)]
    chosen = holding if view.op == "AND" else holding[: view.n if view.op == "N_OF" else 1]
    return [i for c in chosen for i in _witness(c, met)]


@dataclass(frozen=True)
class TreeDecision:
    tree: TreeName
    title: str
    present: bool  # the revision has this tree
    holds: bool
    approved: bool
    months: int | None  # authorization months when approved (initial / continuation)
    because: tuple[str, ...]  # ids that make the tree hold
    lacking: tuple[str, ...]  # ids that would make it hold
    impossible: bool  # no ticking can make it hold (an empty group)


def _decide(
    tree: TreeName, view: GroupView | None, met: frozenset[str], months: int | None
) -> TreeDecision:
    title = TREE_TITLES[tree]
    if view is None:
        approved = tree == "not_covered"
        return TreeDecision(tree, title, False, False, approved, None, (), (), False)
    holds = evaluate(view, met)
    gap = None if holds else _gap(view, met)
    approved = not holds if tree == "not_covered" else holds
    return TreeDecision(
        tree=tree,
        title=title,
        present=True,
        holds=holds,
        approved=approved,
        months=months if approved and tree != "not_covered" else None,
        because=tuple(dict.fromkeys(_witness(view, met))) if holds else (),
        lacking=tuple(i for i in _ids_in_order(view) if i in gap) if gap else (),
        impossible=not holds and gap is None,
    )


def _months(doc: PolicyDocument, tree: TreeName) -> int | None:
    inds = doc.criteria.indications
    if len(inds) != 1:
        return None  # several indications: the months depend on the one approved
    auth = inds[0].authorization
    return auth.initial_months if tree == "initial" else auth.reauthorization_months


@dataclass(frozen=True)
class CaseResult:
    old: tuple[TreeDecision, ...]
    new: tuple[TreeDecision, ...]
    met: tuple[str, ...]
    ignored: int  # ticked ids neither revision knows

    def flips(self, tree: TreeName) -> bool:
        o = next(d for d in self.old if d.tree == tree)
        n = next(d for d in self.new if d.tree == tree)
        return (o.present or n.present) and o.approved != n.approved


def try_case(old: PolicyDocument, new: PolicyDocument, ticked: Iterable[str]) -> CaseResult:
    """The decision of each tree of both revisions for the ticked criterion ids."""
    co, cn = compile_criteria(old), compile_criteria(new)
    known = set(co.criteria) | set(cn.criteria)
    asked = list(dict.fromkeys(ticked))
    met = frozenset(i for i in asked if i in known)

    def decisions(doc: PolicyDocument, compiled: CompiledCriteria) -> tuple[TreeDecision, ...]:
        return tuple(_decide(t, compiled.trees[t], met, _months(doc, t)) for t in TREES)

    return CaseResult(
        decisions(old, co), decisions(new, cn), tuple(sorted(met)), len(asked) - len(met)
    )


@dataclass(frozen=True)
class Suggestion:
    tree: TreeName
    direction: str  # 'newly approved', 'newly denied', ...
    facts: tuple[str, ...]


def suggested_cases(old: PolicyDocument, new: PolicyDocument, limit: int) -> list[Suggestion]:
    """Minimal cases whose decision differs between the revisions (``outcomes``)."""
    report = outcome_report(old, new)
    return [Suggestion(c.tree, c.direction, c.facts) for c in report.changes[:limit]]
