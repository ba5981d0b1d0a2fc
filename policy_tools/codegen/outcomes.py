"""Outcome changes between two revisions: which cases change their combined decision.

A case is an indication plus facts; its decision is the indication's initial (or
continuation) criteria met AND no policy-wide exclusion applying, evaluated with the
same engine as the generated module (``runtime.decide``, two-valued here: every
criterion answered). So moving "18 years of age or older" from the initial criteria to
an exclusion "younger than 18 years" is no outcome change: both read the typed fact
``age_years``.

Variables
    A criterion id shared by both revisions is one variable; an unshared criterion of one
    revision that matches an unshared criterion of the other by content (a reworded
    exclusion: rapidfuzz similarity >= ``settings.match.criteria_match``, best first, in
    the same role: exclusion with exclusion, criterion with criterion) is the same
    variable too. Typed facts take representative values around every threshold either
    revision prints (``age_years`` 17 and 18 for ">= 18" and "< 18").

Witnesses
    Candidate cases are the minimal satisfying sets of every indication tree of both
    revisions (criteria true, everything else false), each alone and with one exclusion
    added, under every combination of representative typed values. A candidate in which
    an exclusion holds together with a criterion its words negate ("in the absence of
    disease progression ..." with "has experienced disease progression ...") is no
    possible patient and is skipped. Flips are grouped by direction and by the criteria
    that decide them on each side (the exclusion that applies, or the fewest criteria the
    rejecting revision still needs); each group keeps its smallest witness.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from itertools import combinations, product
from typing import Any, Literal

from rapidfuzz import fuzz

from ..compare.match import match_items, similarity
from ..errors import PolicyToolsError
from ..model.policy import PolicyDocument
from ..settings import SETTINGS
from ..text import compare_key
from ..vocab.conditions import NEGATIONS
from .compile import compile_policy, require_readable, revision_label
from .runtime import Cond, Decision, Fact, Group, Policy, decide, fact_ids

_C = SETTINGS.codegen
Terms = set[frozenset[str]]
Direction = Literal["newly approved", "newly denied"]
Facts = dict[str, Any]


@dataclass(frozen=True)
class Decider:
    """A criterion that decides a witness on one side (with why)."""

    id: str
    text: str
    page: int
    role: str  # "met" | "not met" | "excluded"


@dataclass(frozen=True)
class OutcomeChange:
    """One flip: a witness case, its decision on each side and what decides it there."""

    tree: str  # "initial" | "continuation"
    indication: str
    direction: Direction
    facts: dict[str, Any]  # the witness: the ids answered True, and typed values
    old_outcome: str
    new_outcome: str
    old_deciding: tuple[Decider, ...]
    new_deciding: tuple[Decider, ...]
    old_case: dict[str, Any] = field(default_factory=dict)  # the witness in old's ids, complete
    new_case: dict[str, Any] = field(default_factory=dict)  # ... and in new's
    old_index: int = 0  # the indication's index on each side
    new_index: int = 0

    @property
    def old_approved(self) -> bool:
        return self.old_outcome == "approved"

    @property
    def new_approved(self) -> bool:
        return self.new_outcome == "approved"


@dataclass(frozen=True)
class TreeOutcome:
    tree: str
    indication: str
    variables: int  # boolean variables over both revisions
    typed: int  # typed fact keys
    evaluated: int  # candidate cases evaluated
    flipped: int  # of those, how many change decision
    cases: int  # flips reported (one witness per group)
    complete: bool = True  # False: the trees were too large, candidates were sampled


@dataclass(frozen=True)
class AuthorizationChange:
    indication: str
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
    unmatched: tuple[str, ...] = ()  # indications only one revision has
    matched: dict[str, str] = field(default_factory=dict)  # new id -> old id (reworded)
    criteria: dict[str, str] = field(default_factory=dict)  # id -> text, of the witnesses

    @property
    def exit_code(self) -> int:
        return 1 if self.changes or self.authorization or self.unmatched else 0

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for change, ch in zip(data["changes"], self.changes, strict=True):
            change["old_approved"], change["new_approved"] = ch.old_approved, ch.new_approved
        return data


# ------------------------------------------------------------------------ variables


def _typed_ids(policy: Policy) -> set[str]:
    return {cid for cid, c in policy.criteria.items() if c.cond is not None}


def _role_ids(policy: Policy, exclusion: bool) -> list[str]:
    if exclusion:
        return list(dict.fromkeys(fact_ids(policy.not_covered)))
    ids = (
        i
        for ind in policy.indications
        for t in (ind.initial, ind.continuation)
        for i in fact_ids(t)
    )
    return list(dict.fromkeys(ids))


def reworded(old: Policy, new: Policy) -> dict[str, str]:
    """New criterion id -> old id for unshared criteria matched by content, per role."""
    out: dict[str, str] = {}
    threshold = SETTINGS.match.criteria_match
    for exclusion in (True, False):
        skip = set(old.criteria) & set(new.criteria) | _typed_ids(old) | _typed_ids(new)
        olds = [i for i in _role_ids(old, exclusion) if i not in skip]
        news = [i for i in _role_ids(new, exclusion) if i not in skip and i not in out]
        pairs, _, _ = match_items(
            [old.criteria[i].text for i in olds],
            [new.criteria[i].text for i in news],
            key=compare_key,
            score=similarity,
            threshold=threshold,
        )
        out.update({news[j]: olds[i] for i, j in pairs if olds[i] not in out.values()})
    return out


def _negated_part(text: str) -> str | None:
    key = compare_key(text)
    for phrase, _, _ in NEGATIONS:
        at = key.find(f" {phrase} ")
        if at >= 0:
            return key[at + len(phrase) + 2 :]
    return None


def contradictions(policy: Policy) -> set[tuple[str, str]]:
    """(exclusion id, criterion id) pairs no patient can meet together (module doc)."""
    out: set[tuple[str, str]] = set()
    for eid in fact_ids(policy.not_covered):
        part = _negated_part(policy.criteria[eid].text)
        if part is None or len(part.split()) < 2:
            continue
        for cid in _role_ids(policy, exclusion=False):
            score = fuzz.token_set_ratio(part, compare_key(policy.criteria[cid].text))
            if score >= _C.negation_match:
                out.add((eid, cid))
    return out


# ---------------------------------------------------------------------- typed values


def _around(cond: Cond) -> list[Any]:
    if cond.op == "in":
        return [*cond.values, "(other)"]  # the Questionnaire's "none of these" option
    if cond.op == "any_in":
        return [[], ["(no listed code)"]]
    if cond.op == "count_in":
        need = int(cond.value or 1)
        return [list(cond.values[: need - 1]), list(cond.values[:need])]
    step = 1 if float(cond.value or 0).is_integer() else 0.1
    points = [cond.value or 0]
    if cond.op == "between":
        points.append(cond.upper if cond.upper is not None else cond.value or 0)
    out: list[Any] = []
    for p in points:
        out.extend([p - step, p, p + step])
    return out


def typed_values(policies: Sequence[Policy]) -> dict[str, list[Any]]:
    """Representative values of every typed fact key either revision reads."""
    found: dict[str, list[Any]] = {}
    for policy in policies:
        for crit in policy.criteria.values():
            if crit.cond is None:
                continue
            values = found.setdefault(crit.cond.fact, [])
            for v in _around(crit.cond):
                if v not in values:
                    values.append(v)
    out = {}
    for key in sorted(found):
        vals = found[key]
        numeric = all(isinstance(v, int | float) for v in vals)
        out[key] = sorted(vals) if numeric else vals
    return out


def _tables(policies: Sequence[Policy], values: dict[str, list[Any]]) -> None:
    """A listed code of each table stands in for "a code in the table"."""
    for policy in policies:
        for crit in policy.criteria.values():
            cond = crit.cond
            if cond and cond.op == "any_in" and cond.table and policy.tables.get(cond.table):
                sample = [policy.tables[cond.table][0]]
                if sample not in values[cond.fact]:
                    values[cond.fact].append(sample)


# ------------------------------------------------------------------- minimal terms


class Bounded(PolicyToolsError):
    """A tree has more minimal satisfying sets than the analysis enumerates."""


def _all_of(parts: Iterable[Terms], limit: int, where: str) -> Terms:
    acc: Terms = {frozenset()}
    for part in parts:
        acc = {a | b for a in acc for b in part}
        if len(acc) > limit:
            raise Bounded(f"criteria tree {where} has more than {limit} minimal cases")
    return acc


def minimal_terms(view: Fact | Group | None, limit: int | None = None) -> Terms:
    """Minimal satisfying leaf sets of a tree (DNF, absorbed; typed leaves included);
    :class:`Bounded` beyond ``limit`` (checked at every step, so it fails fast)."""
    limit = _C.max_terms if limit is None else limit
    if view is None:
        return set()
    if isinstance(view, Fact):
        return {frozenset({view.id})}
    if not view.items:
        return set()
    parts = [minimal_terms(child, limit) for child in view.items]
    if view.op == "OR":
        terms: Terms = set().union(*parts)
    elif view.op == "N_OF":
        terms = set()
        for chosen in combinations(parts, view.n):
            terms |= _all_of(chosen, limit, view.path)
            if len(terms) > limit:
                raise Bounded(f"criteria tree {view.path} has more than {limit} minimal cases")
    else:
        terms = _all_of(parts, limit, view.path)
    if len(terms) > limit:
        raise Bounded(f"criteria tree {view.path} has more than {limit} minimal cases")
    return {t for t in terms if not any(o < t for o in terms)}


def _smallest(terms: Iterable[frozenset[str]], k: int) -> list[frozenset[str]]:
    return sorted(set(terms), key=lambda t: (len(t), sorted(t)))[:k]


def some_terms(view: Fact | Group | None, k: int) -> list[frozenset[str]]:
    """Up to ``k`` satisfying leaf sets, smallest first (each branch keeps its ``k``
    smallest): a bounded sample when the full DNF is too large."""
    if view is None:
        return []
    if isinstance(view, Fact):
        return [frozenset({view.id})]
    parts = [some_terms(child, k) for child in view.items]
    if not view.items or (any(not p for p in parts) and view.op == "AND"):
        return []
    if view.op == "OR":
        return _smallest((t for p in parts for t in p), k)
    groups = (
        combinations(sorted(parts, key=lambda p: len(p[0]) if p else 1 << 30), view.n)
        if view.op == "N_OF"
        else iter([parts])
    )
    found: list[frozenset[str]] = []
    for chosen in (g for _, g in zip(range(k), groups, strict=False)):
        acc = [frozenset[str]()]
        for part in chosen:
            acc = _smallest((a | b for a in acc for b in part), k)
        found.extend(acc)
    return _smallest(found, k)


def terms_of(view: Fact | Group | None) -> tuple[list[frozenset[str]], bool]:
    """Every minimal satisfying set (complete), or a bounded sample of them."""
    try:
        return _smallest(minimal_terms(view), _C.max_terms), True
    except Bounded:
        return some_terms(view, _C.sample_terms), False


# ------------------------------------------------------------------------ the search


@dataclass(frozen=True)
class _Side:
    policy: Policy
    index: int  # the indication's index in the policy
    var: Mapping[str, str]  # criterion id -> variable (shared by both sides)
    impossible: set[tuple[str, str]]

    def facts(self, true_vars: frozenset[str], typed: Mapping[str, Any]) -> dict[str, Any]:
        """A complete case: every boolean criterion answered, every typed value given."""
        booleans = {
            cid: self.var.get(cid, cid) in true_vars
            for cid, crit in sorted(self.policy.criteria.items())
            if crit.cond is None
        }
        return {**booleans, **typed}

    def booleans(self) -> set[str]:
        """The variables of the side's untyped criteria."""
        return {self.var.get(c, c) for c, crit in self.policy.criteria.items() if crit.cond is None}

    def possible(self, true_vars: frozenset[str]) -> bool:
        return not any(
            self.var.get(e, e) in true_vars and self.var.get(c, c) in true_vars
            for e, c in self.impossible
        )


def _deciders(side: _Side, tree: str, decision: Decision) -> tuple[Decider, ...]:
    crit = side.policy.criteria
    if decision.approved or any(r.status == "excluded" for r in decision.reasons):
        keep = "met" if decision.approved else "excluded"
        ids = [r.id for r in decision.reasons if r.status == keep]
        return tuple(Decider(i, crit[i].text, crit[i].page, keep) for i in ids)
    view = getattr(side.policy.indications[side.index], tree)
    true = set(decision.met)
    gaps = [sorted(t - true) for t in terms_of(view)[0]]
    gap = min(gaps, key=lambda g: (len(g), g)) if gaps else []
    return tuple(Decider(i, crit[i].text, crit[i].page, "not met") for i in gap)


def _bases(sides: Sequence[_Side], tree: str, complete: list[bool]) -> set[frozenset[str]]:
    bases: set[frozenset[str]] = set()
    for side in sides:
        typed = _typed_ids(side.policy)
        terms, whole = terms_of(getattr(side.policy.indications[side.index], tree))
        complete.append(whole)
        for term in terms:
            bases.add(frozenset(side.var.get(i, i) for i in term if i not in typed))
    return bases


def _candidates(sides: Sequence[_Side], tree: str, complete: list[bool]) -> list[frozenset[str]]:
    """Minimal satisfying sets of both sides' trees, alone and with one exclusion; for
    continuation, joined with an initial one (reauthorization follows an approval)."""
    bases = _bases(sides, tree, complete)
    if tree == "continuation":
        bases = {a | b for a in bases for b in _bases(sides, "initial", complete)}
    exclusions = {
        side.var.get(e, e)
        for side in sides
        for e in fact_ids(side.policy.not_covered)
        if e not in _typed_ids(side.policy)
    }
    out = set(bases)
    for base in bases:
        out |= {base | {e} for e in exclusions}
    ordered = sorted(out, key=lambda s: (len(s), sorted(s)))
    if len(ordered) > _C.max_candidates:
        complete.append(False)
    return ordered[: _C.max_candidates]


def _typed_cases(values: Mapping[str, list[Any]]) -> list[dict[str, Any]]:
    keys = sorted(values)
    count = 1
    for k in keys:
        count *= len(values[k])
    if count > _C.max_typed_cases:
        raise PolicyToolsError(
            f"{count} combinations of typed facts ({', '.join(keys)}); outcome analysis is "
            f"bounded at {_C.max_typed_cases}"
        )
    return [dict(zip(keys, combo, strict=True)) for combo in product(*(values[k] for k in keys))]


def _initially_approved(old: _Side, new: _Side, fo: Facts, fn: Facts) -> bool:
    """A reauthorization case is a member approved initially under either revision."""
    return any(
        side.policy.indications[side.index].initial is None
        or decide(side.policy, "initial", facts, side.index).approved
        for side, facts in ((old, fo), (new, fn))
    )


def _flip(
    old: _Side, new: _Side, tree: str, name: str, case: tuple[frozenset[str], Facts]
) -> OutcomeChange | None:
    true_vars, typed = case
    fo, fn = old.facts(true_vars, typed), new.facts(true_vars, typed)
    d_old = decide(old.policy, tree, fo, old.index)
    d_new = decide(new.policy, tree, fn, new.index)
    if d_old.outcome == d_new.outcome:
        return None
    if tree == "continuation" and not _initially_approved(old, new, fo, fn):
        return None
    return OutcomeChange(
        tree=tree,
        indication=name,
        direction="newly approved" if d_new.approved else "newly denied",
        facts={**dict.fromkeys(sorted(true_vars), True), **typed},
        old_outcome=d_old.outcome,
        new_outcome=d_new.outcome,
        old_deciding=_deciders(old, tree, d_old),
        new_deciding=_deciders(new, tree, d_new),
        old_case=fo,
        new_case=fn,
        old_index=old.index,
        new_index=new.index,
    )


def _group_key(change: OutcomeChange) -> tuple[Any, ...]:
    """Flips of one kind: what the new revision decides by, and any old exclusion."""
    old_excl = tuple(d.id for d in change.old_deciding if d.role == "excluded")
    return (change.direction, tuple(d.id for d in change.new_deciding), old_excl)


def _rank(change: OutcomeChange) -> tuple[Any, ...]:
    """Smallest witness first: fewest criteria true, then fewest deciding criteria."""
    n_true = sum(1 for v in change.facts.values() if v is True)
    deciding = len(change.old_deciding) + len(change.new_deciding)
    return (n_true, deciding, repr(sorted(change.facts.items())))


def _flips(old: _Side, new: _Side, tree: str, name: str) -> tuple[TreeOutcome, list[OutcomeChange]]:
    values = typed_values([old.policy, new.policy])
    _tables([old.policy, new.policy], values)
    groups: dict[tuple[Any, ...], OutcomeChange] = {}
    evaluated = flipped = 0
    typed_cases = _typed_cases(values)
    complete: list[bool] = []
    for true_vars in _candidates((old, new), tree, complete):
        if not (old.possible(true_vars) and new.possible(true_vars)):
            continue
        for typed in typed_cases:
            evaluated += 1
            change = _flip(old, new, tree, name, (true_vars, typed))
            if change is None:
                continue
            flipped += 1
            key = _group_key(change)
            if key not in groups or _rank(change) < _rank(groups[key]):
                groups[key] = change
    changes = sorted(groups.values(), key=lambda c: (c.direction, _rank(c)))
    booleans = {v for s in (old, new) for v in s.booleans()}
    stats = TreeOutcome(
        tree, name, len(booleans), len(values), evaluated, flipped, len(changes), all(complete)
    )
    return stats, changes


def _pairs(old: Policy, new: Policy) -> tuple[list[tuple[int, int]], list[str]]:
    """Indications paired by name (a single indication on both sides: with each other)."""
    if len(old.indications) == 1 and len(new.indications) == 1:
        return [(0, 0)], []
    pairs, lone_old, lone_new = match_items(
        [i.name for i in old.indications],
        [i.name for i in new.indications],
        key=compare_key,
        score=similarity,
        threshold=SETTINGS.match.heading_floor,
    )
    lone = [
        f"only in {revision}: {ind.name}"
        for revision, inds, idx in (
            ("old", old.indications, lone_old),
            ("new", new.indications, lone_new),
        )
        for ind in (inds[k] for k in idx)
    ]
    return sorted(pairs), lone


def outcome_report(old_doc: PolicyDocument, new_doc: PolicyDocument) -> OutcomeReport:
    """Outcome changes of ``old`` -> ``new`` (module doc); refuses unreadable criteria."""
    for doc in (old_doc, new_doc):
        require_readable(doc)
    old, new = compile_policy(old_doc), compile_policy(new_doc)
    matched = reworded(old, new)
    stats: list[TreeOutcome] = []
    changes: list[OutcomeChange] = []
    auth: list[AuthorizationChange] = []
    pairs, lone = _pairs(old, new)
    for i, j in pairs:
        o_side = _Side(old, i, {}, contradictions(old))
        n_side = _Side(new, j, matched, contradictions(new))
        name = new.indications[j].name
        for tree in ("initial", "continuation"):
            if (
                getattr(old.indications[i], tree) is None
                and getattr(new.indications[j], tree) is None
            ):
                continue
            st, found = _flips(o_side, n_side, tree, name)
            stats.append(st)
            changes.extend(found)
        auth.extend(_authorization(old.indications[i], new.indications[j]))
    return OutcomeReport(
        old=revision_label(old_doc),
        new=revision_label(new_doc),
        trees=tuple(stats),
        changes=tuple(changes),
        authorization=tuple(auth),
        unmatched=tuple(lone),
        matched=dict(sorted(matched.items())),
        criteria=_texts((old, new), changes),
    )


def _texts(policies: Sequence[Policy], changes: Sequence[OutcomeChange]) -> dict[str, str]:
    """Text of every criterion a witness names (by the id of either revision)."""
    table = {cid: c.text for p in policies for cid, c in p.criteria.items()}
    used = {k for c in changes for k, v in c.facts.items() if v is True}
    return {k: table[k] for k in sorted(used) if k in table}


def _authorization(old: Any, new: Any) -> list[AuthorizationChange]:
    out = []
    for f in ("initial_months", "reauthorization_months"):
        if getattr(old, f) != getattr(new, f):
            out.append(AuthorizationChange(new.name, f, getattr(old, f), getattr(new, f)))
    return out


def outcome_changes(old: PolicyDocument, new: PolicyDocument) -> list[OutcomeChange]:
    """The flips (with witnesses) of the combined decisions between the revisions."""
    return list(outcome_report(old, new).changes)
