"""Executable criteria modules generated from a policy revision, and outcome changes.

``generate_module(doc)`` renders ``templates/criteria_module.py.j2`` into a
self-contained Python module (standard library only) that enforces the policy's
criteria trees: ``initial_approval(facts)``, ``continuation(facts)`` and
``not_covered(facts)``, each returning a ``Decision``.

Criterion ids
    One id per distinct criterion text, derived from the text only (never from
    its label or position), so an unchanged criterion keeps its id across
    revisions and the same ``facts`` mapping can be fed to the old and the new
    module. The id is ``<slug>_<hash8>``: ``hash8`` is the first 8 hex digits of
    the SHA-256 of the normalised text, ``slug`` its first words for readability.
    Normalised text = :func:`policy_tools.diff.compare_key` (NFKC, typographic
    quotes/dashes folded, one space, case and end punctuation aside) with
    evidence-level citations removed (``(Label, NCCN 1)``, ``(NCCN 2A)``), because
    a new citation does not change what must be true of the patient. Two leaves
    with the same normalised text (e.g. "Requested use is as single-agent
    treatment" under two OR-branches) are one fact.

Facts
    Closed world: a fact counts as met only when ``facts[id] is True``; a missing
    id is unmet (and listed in ``Decision.missing``); ids the module does not know
    are ignored (they may belong to another revision). Node texts ("Individual
    meets one of the following:") are headings, not facts; a group without items
    is never satisfied.

Outcome changes
    ``outcome_changes(old, new)`` compares each tree (initial, continuation,
    not_covered) of two revisions over the union of their criterion ids. With at
    most ``EXHAUSTIVE_LIMIT`` (16) ids in a tree pair every assignment is
    evaluated; the cases reported are the minimal true-fact sets whose decision
    flips (a flipped set none of whose one-fact-smaller subsets flips the same
    way; the trees have no negation, so the flipped sets of one direction are
    convex and local minimality is global minimality). Above the limit the same
    minimal cases are found from the trees' minimal satisfying sets (DNF terms,
    at most ``MAX_TERMS``): a case newly approved is a minimal satisfying set of
    the new tree that the old tree rejects, and vice versa.

Text from a PDF reaches the generated code only through the ``py`` and
``py_lines`` filters, which emit ``repr()`` literals, so it is always data.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import reduce
from itertools import product
from pathlib import Path
from typing import Any, Literal

from jinja2 import Environment

from . import __version__
from .diff import clean_text, compare_key
from .errors import PolicyToolsError
from .io import dumps
from .models import Leaf, Node, PolicyDocument

TreeName = Literal["initial", "continuation", "not_covered"]
TREES: tuple[TreeName, ...] = ("initial", "continuation", "not_covered")
FUNCTION_OF_TREE: dict[TreeName, str] = {
    "initial": "initial_approval",
    "continuation": "continuation",
    "not_covered": "not_covered",
}
EXHAUSTIVE_LIMIT = 16  # ids per tree pair evaluated over every assignment
MAX_TERMS = 4096  # minimal satisfying sets per tree in the bounded strategy
LINE_WIDTH = 100  # ruff line-length of the project (generated code stays within it)
TEMPLATE = "criteria_module.py.j2"

# --------------------------------------------------------------------------------------
# Criterion ids
# --------------------------------------------------------------------------------------

_CITATION = re.compile(
    r"\s*\((?:\s*(?:label|fda|nccn|category|cat\.?|compendia|[0-9]+[a-z]?)[\s,;/]*)+\)+",
    re.IGNORECASE,
)
_NON_SLUG = re.compile(r"[^a-z0-9]+")
SLUG_WORDS = 6
SLUG_MAX = 40


def criterion_key(text: str) -> str:
    """The normalised text a criterion id is derived from (see module doc)."""
    return compare_key(_CITATION.sub("", compare_key(text)))


def criterion_id(text: str) -> str:
    """``<slug>_<hash8>`` of the normalised text: stable while the text is unchanged."""
    key = criterion_key(text)
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:8]
    words = [w for w in _NON_SLUG.split(key) if w][:SLUG_WORDS]
    slug = "-".join(words)[:SLUG_MAX].strip("-") or "criterion"
    return f"{slug}_{digest}"


# --------------------------------------------------------------------------------------
# Trees of ids (what the template renders and what outcome analysis evaluates)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FactView:
    id: str
    is_fact: bool = True


@dataclass(frozen=True)
class GroupView:
    op: Literal["AND", "OR"]
    path: str
    items: tuple[FactView | GroupView, ...]
    is_fact: bool = False


@dataclass(frozen=True)
class CriterionView:
    id: str
    label: str  # label path of the first occurrence, e.g. "initial.2.vii.a"
    text: str  # the leaf text exactly as extracted
    page: int
    paths: tuple[str, ...]  # every occurrence


TreeView = FactView | GroupView


def _label_part(label: str | None, index: int) -> str:
    part = re.sub(r"[^0-9A-Za-z]+", "", label or "")
    return part or str(index)


def _build(item: Node | Leaf, path: str, found: dict[str, list[tuple[str, Leaf]]]) -> TreeView:
    if isinstance(item, Leaf):
        cid = criterion_id(item.text)
        found.setdefault(cid, []).append((path, item))
        return FactView(cid)
    if not item.items and item.text:  # a group the extractor could not split: one fact
        leaf = Leaf(label=item.label, text=item.text, page=item.page or 0)
        return _build(leaf, path, found)
    children = tuple(
        _build(child, f"{path}.{_label_part(child.label, i)}", found)
        for i, child in enumerate(item.items, start=1)
    )
    return GroupView(item.op, path, children)


def _check_collisions(found: Mapping[str, list[tuple[str, Leaf]]], where: str) -> None:
    for cid, occurrences in found.items():
        keys = {criterion_key(leaf.text) for _, leaf in occurrences}
        if len(keys) > 1:
            raise PolicyToolsError(f"{where}: criterion id {cid} names two different texts")


@dataclass(frozen=True)
class CompiledCriteria:
    trees: dict[TreeName, GroupView | None]
    criteria: dict[str, CriterionView]  # sorted by id

    def ids(self, tree: TreeName) -> tuple[str, ...]:
        return tuple(dict.fromkeys(_fact_ids(self.trees[tree])))


def _fact_ids(view: TreeView | None) -> Iterator[str]:
    if view is None:
        return
    if isinstance(view, FactView):
        yield view.id
        return
    for child in view.items:
        yield from _fact_ids(child)


def compile_criteria(doc: PolicyDocument) -> CompiledCriteria:
    """The criteria trees of ``doc`` with leaves replaced by criterion ids."""
    found: dict[str, list[tuple[str, Leaf]]] = {}
    trees: dict[TreeName, GroupView | None] = {}
    for name in TREES:
        node: Node | None = getattr(doc.criteria, name)
        if node is None:
            trees[name] = None
            continue
        built = _build(node, name, found)
        trees[name] = built if isinstance(built, GroupView) else GroupView("AND", name, (built,))
    _check_collisions(found, doc.source.path)
    criteria = {
        cid: CriterionView(
            id=cid,
            label=occ[0][0],
            text=occ[0][1].text,
            page=occ[0][1].page,
            paths=tuple(p for p, _ in occ),
        )
        for cid, occ in sorted(found.items())
    }
    return CompiledCriteria(trees, criteria)


def evaluate(view: TreeView | None, true_ids: frozenset[str] | set[str]) -> bool:
    """Closed-world AND/OR evaluation; an empty group is never satisfied."""
    if view is None:
        return False
    if isinstance(view, FactView):
        return view.id in true_ids
    if not view.items:
        return False
    results = (evaluate(child, true_ids) for child in view.items)
    return all(results) if view.op == "AND" else any(results)


# --------------------------------------------------------------------------------------
# Module generation
# --------------------------------------------------------------------------------------

_LITERAL_TYPES = (str, int, bool, type(None))


def py_literal(value: Any) -> str:
    """A Python literal for ``value`` (``repr``); anything but str/int/bool/None is refused."""
    if not isinstance(value, _LITERAL_TYPES):
        raise TypeError(f"py filter: {type(value).__name__} is not a literal type")
    return repr(value)


def py_lines(text: str, width: int = 60) -> list[str]:
    """``text`` as ``repr`` literals of word runs, each at most ``width`` characters.

    Concatenated (implicitly, inside parentheses) they equal ``text``; every piece
    is a complete literal, so an escape sequence is never split.
    """
    if not isinstance(text, str):
        raise TypeError("py_lines filter: expects a string")
    pieces: list[str] = []
    current = ""
    for word in re.findall(r"\S*\s*", text):
        if not word:
            continue
        if current and len(repr(current + word)) > width:
            pieces.append(current)
            current = ""
        while len(repr(word)) > width:  # one very long word: cut by characters
            cut = len(word)
            while cut > 1 and len(repr(word[:cut])) > width:
                cut -= 1
            pieces.append(word[:cut])
            word = word[cut:]
        current += word
    if current or not pieces:
        pieces.append(current)
    return [repr(p) for p in pieces]


def _environment() -> Environment:
    """The project's one Jinja environment (report.ENV), overlaid without autoescape."""
    from .report import ENV

    env = ENV.overlay(autoescape=False)
    env.filters = dict(ENV.filters)  # an overlay shares the dict: do not touch ENV's
    env.filters["py"] = py_literal
    env.filters["py_lines"] = py_lines
    return env


def module_context(doc: PolicyDocument) -> dict[str, Any]:
    compiled = compile_criteria(doc)
    auth = doc.criteria.authorization
    return {
        "meta": {
            "POLICY_NUMBER": doc.policy.number,
            "POLICY_NAME": doc.policy.name,
            "EFFECTIVE_DATE": doc.policy.effective_date,
            "SOURCE_PATH": doc.source.path,
            "SOURCE_SHA256": doc.source.sha256,
            "EXTRACTOR_VERSION": doc.source.extractor_version,
            "CODEGEN_VERSION": __version__,
        },
        "initial_months": auth.initial_months,
        "reauthorization_months": auth.reauthorization_months,
        "criteria": list(compiled.criteria.values()),
        "trees": [(name.upper(), compiled.trees[name]) for name in TREES],
    }


def generate_module(doc: PolicyDocument) -> str:
    """Python source of the executable criteria module for ``doc`` (deterministic)."""
    template = _environment().get_template(TEMPLATE)
    return template.render(**module_context(doc))


def codegen_view(ref: str, *, store_dir: Path | str | None = None) -> str:
    """The ``codegen`` command: load revision ``ref`` and generate its module."""
    from .store import load_revision

    return generate_module(load_revision(ref, store_dir))


# --------------------------------------------------------------------------------------
# Outcome changes
# --------------------------------------------------------------------------------------


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


def minimal_terms(view: TreeView | None, limit: int = MAX_TERMS) -> set[frozenset[str]]:
    """Minimal satisfying fact sets of a negation-free tree (DNF, absorbed)."""
    if view is None:
        return set()
    if isinstance(view, FactView):
        return {frozenset({view.id})}
    if not view.items:
        return set()
    parts = [minimal_terms(child, limit) for child in view.items]
    if view.op == "OR":
        terms: set[frozenset[str]] = set().union(*parts)
    else:
        terms = reduce(lambda acc, part: {a | b for a in acc for b in part}, parts, {frozenset()})
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
    exhaustive_limit: int = EXHAUSTIVE_LIMIT,
) -> OutcomeReport:
    """Outcome changes of ``old`` -> ``new`` with the figures of how they were found."""
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
    auth = [
        AuthorizationChange(
            f, getattr(old.criteria.authorization, f), getattr(new.criteria.authorization, f)
        )
        for f in ("initial_months", "reauthorization_months")
        if getattr(old.criteria.authorization, f) != getattr(new.criteria.authorization, f)
    ]
    used = {i for c in changes for i in (*c.facts, *c.lacking)}
    return OutcomeReport(
        old=_revision_label(old),
        new=_revision_label(new),
        trees=tuple(stats),
        changes=tuple(changes),
        authorization=tuple(auth),
        criteria={i: texts[i].text for i in sorted(used)},
    )


def outcome_changes(old: PolicyDocument, new: PolicyDocument) -> list[OutcomeChange]:
    """The minimal cases (true-fact sets) whose decision differs between the revisions."""
    return list(outcome_report(old, new).changes)


def _revision_label(doc: PolicyDocument) -> str:
    return f"{doc.policy.number or doc.source.path}@{doc.policy.effective_date or '?'}"


def render_outcomes_text(report: OutcomeReport) -> str:
    lines = [f"Outcome changes {report.old} -> {report.new}"]
    for st in report.trees:
        if st.strategy == "absent":
            lines.append(f"{st.tree}: no criteria in either revision")
            continue
        lines.append(
            f"{st.tree}: {st.ids} criteria, {st.strategy} ({st.evaluated} evaluated, "
            f"{st.flipped} flip), {st.cases} minimal case(s)"
        )
        for ch in (c for c in report.changes if c.tree == st.tree):
            lines.append(f"  - {ch.direction} when only these hold:")
            lines.extend(f"      {fid}: {clean_text(report.criteria[fid])}" for fid in ch.facts)
            if not ch.facts:
                lines.append("      (no criterion met)")
            need = "would exclude it with, e.g." if st.tree == "not_covered" else "would also need"
            lines.append(f"    the {ch.rejecting} revision {need}:")
            lines.extend(f"      {fid}: {clean_text(report.criteria[fid])}" for fid in ch.lacking)
            if not ch.lacking:
                lines.append("      (nothing satisfies it)")
    for au in report.authorization:
        lines.append(f"authorization {au.field}: {au.old} -> {au.new}")
    if report.exit_code == 0:
        lines.append("No outcome changes.")
    return "\n".join(lines) + "\n"


def outcomes_view(
    old_ref: str, new_ref: str, *, store_dir: Path | str | None = None, fmt: str = "text"
) -> tuple[str, int]:
    """The ``outcomes`` command: (output text, exit code 0 no outcome change / 1 changes)."""
    from .diff import load_pair

    old, new = load_pair(old_ref, new_ref, store_dir)
    report = outcome_report(old, new)
    if fmt == "json":
        data = asdict(report)
        for change, ch in zip(data["changes"], report.changes, strict=True):
            change["direction"] = ch.direction
            change["rejecting"] = ch.rejecting
        return dumps(data), report.exit_code
    return render_outcomes_text(report), report.exit_code
