"""The decision engine of executable criteria: three-valued (Kleene) evaluation of criteria
trees with AND, OR and N-of-M groups, typed facts, exclusions, reasons and what to ask.

This module is standard library only and self-contained: ``policy-tools codegen`` copies
its source (below this docstring) verbatim into every generated criteria module, and the
library (outcomes, test vectors, exports) evaluates through the same functions, so there
is one home for what a decision means.

Facts
    A mapping of keys to answers. A key is either a criterion id (the answer ``True`` or
    ``False``; absent = unknown) or a typed fact key with its unit (``age_years``,
    ``months_on_therapy``, ``prescriber_specialty``, ``diagnoses`` as a list of codes, ...)
    that every criterion with a typed condition on that key reads. An unknown key, a
    non-boolean answer to a criterion or a value of the wrong type for a typed fact is a
    :class:`FactError` naming the key. A criterion answered both ways (by its id and by a
    typed fact that disagrees) is an error too.

Decisions
    ``approved`` | ``denied`` | ``undetermined``: the indication's tree holds AND no
    policy-wide exclusion applies, in Kleene logic (an unknown answer is never a "no").
    ``reasons`` are the deciding criteria; ``missing`` the unanswered criteria on paths
    that could still decide; ``to_decide`` the smallest set of unanswered criteria that,
    answered as the policy asks (criteria met, exclusions absent), decides the case.
    ``closed_world=True`` reads every unanswered criterion as not met (explicit option).
"""

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Outcome = Literal["approved", "denied", "undetermined"]
Value = bool | None
TREE_TITLES: dict[str, str] = {
    "initial": "initial approval",
    "continuation": "continuation of therapy",
    "not_covered": "not covered",
}
_NUMERIC_OPS = (">=", ">", "<=", "<", "==", "between")
_LIST_OPS = ("any_in", "count_in")


class FactError(ValueError):
    """A fact the criteria cannot read: names the offending key."""


@dataclass(frozen=True)
class Cond:
    """A typed condition on one fact key (see the module doc)."""

    kind: str
    fact: str
    op: str
    value: float | None = None
    upper: float | None = None
    values: tuple[str, ...] = ()
    unit: str | None = None
    table: str | None = None  # the code table (value set) a code condition reads


@dataclass(frozen=True)
class Fact:
    id: str
    cond: Cond | None = None
    is_fact: bool = True


@dataclass(frozen=True)
class Group:
    op: str  # AND | OR | N_OF
    path: str
    items: tuple["Fact | Group", ...]
    n: int = 0  # N_OF: how many items must hold
    is_fact: bool = False


@dataclass(frozen=True)
class Criterion:
    """One leaf criterion: label path of its first occurrence, text exactly as printed."""

    id: str
    label: str
    text: str
    page: int
    paths: tuple[str, ...]
    cond: Cond | None = None


@dataclass(frozen=True)
class Indication:
    name: str
    page: int | None
    initial: Group | None
    continuation: Group | None
    initial_months: int | None = None
    reauthorization_months: int | None = None


@dataclass(frozen=True)
class Policy:
    number: str | None
    effective_date: str | None
    criteria: dict[str, Criterion]
    indications: tuple[Indication, ...]
    not_covered: Group | None
    fact_types: dict[str, str]  # typed fact key -> "number" | "text" | "list"
    tables: dict[str, tuple[str, ...]] = field(default_factory=dict)  # table -> codes


@dataclass(frozen=True)
class Reason:
    """A deciding criterion, with where it is printed (fit for a denial letter)."""

    id: str
    text: str
    page: int
    indication: str | None
    tree: str
    status: str  # "not met" | "excluded" | "met" | "unanswered"
    policy_number: str | None
    effective_date: str | None
    fact: str | None = None  # the typed fact key that answers it (typed criteria)
    value: str | None = None  # the typed answer, as given (None: not given)


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    tree: str
    indication: str | None
    reasons: list[Reason]
    missing: list[str]
    to_decide: list[str]
    met: list[str]
    unmet: list[str]
    authorization_months: int | None = None

    @property
    def approved(self) -> bool:
        return self.outcome == "approved"


# ----------------------------------------------------------------------- reading facts


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_typed(key: str, kind: str, value: object) -> None:
    if kind == "number" and not _is_number(value):
        raise FactError(f"fact {key!r}: expected a number, got {value!r}")
    if kind == "text" and not isinstance(value, str):
        raise FactError(f"fact {key!r}: expected a text, got {value!r}")
    if kind == "list" and not (
        isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)
    ):
        raise FactError(f"fact {key!r}: expected a list of texts, got {value!r}")


def check_facts(policy: Policy, facts: Mapping[str, object]) -> None:
    """Raise :class:`FactError` for an unknown key or a value of the wrong type."""
    if not isinstance(facts, Mapping):
        raise FactError(f"facts must be a mapping of keys to answers, got {facts!r}")
    for key in sorted(facts, key=str):
        value = facts[key]
        if not isinstance(key, str):
            raise FactError(f"fact key {key!r} is not a text")
        if key in policy.criteria:
            if value is not None and not isinstance(value, bool):
                raise FactError(f"fact {key!r}: expected True, False or None, got {value!r}")
        elif key in policy.fact_types:
            if value is not None:
                _check_typed(key, policy.fact_types[key], value)
        else:
            raise FactError(f"unknown fact key {key!r}: not a criterion id or typed fact")


def fold(text: str) -> str:
    """What two answers must share to be equal: case and white space aside
    ('c34.90 ' = 'C34.90', 'Dermatologist' = 'dermatologist')."""
    return re.sub(r"\s+", "", text).upper()


def cond_value(cond: Cond, value: Any, tables: Mapping[str, Sequence[str]]) -> bool:
    """The answer of a typed condition for a (type-checked, present) fact value."""
    if cond.op in _NUMERIC_OPS:
        low = cond.value if cond.value is not None else 0.0
        results = {
            ">=": value >= low,
            ">": value > low,
            "<=": value <= low,
            "<": value < low,
            "==": value == low,
            "between": low <= value <= (cond.upper if cond.upper is not None else low),
        }
        return bool(results[cond.op])
    if cond.op == "in":
        return fold(value) in {fold(v) for v in cond.values}
    given = {fold(v) for v in value}
    allowed = {fold(v) for v in (tables.get(cond.table, ()) if cond.table else cond.values)}
    hits = len(given & allowed)
    if cond.op == "count_in":
        return hits >= (cond.value or 1)
    return hits > 0


def leaf_values(
    policy: Policy, facts: Mapping[str, object], closed_world: bool
) -> dict[str, Value]:
    """Every criterion's answer: True, False or None (unknown)."""
    out: dict[str, Value] = {}
    for cid, crit in policy.criteria.items():
        direct = facts.get(cid)
        typed: Value = None
        cond = crit.cond
        if cond is not None and facts.get(cond.fact) is not None:
            typed = cond_value(cond, facts[cond.fact], policy.tables)
        if direct is not None and typed is not None and direct != typed:
            raise FactError(
                f"fact {cid!r} is {direct!r} but {cond.fact if cond else ''!r} says {typed!r}"
            )
        answer = direct if isinstance(direct, bool) else typed
        out[cid] = False if answer is None and closed_world else answer
    return out


# ----------------------------------------------------------------- Kleene evaluation


def kleene(view: "Fact | Group | None", values: Mapping[str, Value]) -> Value:
    """Three-valued value of a tree; an empty group is never satisfied; no tree: False."""
    if view is None:
        return False
    if isinstance(view, Fact):
        return values.get(view.id)
    if not view.items:
        return False
    results = [kleene(child, values) for child in view.items]
    true, unknown = results.count(True), results.count(None)
    need = view.n if view.op == "N_OF" else (len(results) if view.op == "AND" else 1)
    if true >= need:
        return True
    if true + unknown < need:
        return False
    return None


def fact_ids(view: "Fact | Group | None") -> Iterator[str]:
    if view is None:
        return
    if isinstance(view, Fact):
        yield view.id
        return
    for child in view.items:
        yield from fact_ids(child)


def _need(view: Group) -> int:
    return view.n if view.op == "N_OF" else (len(view.items) if view.op == "AND" else 1)


def deciding(view: "Fact | Group | None", values: Mapping[str, Value]) -> list[str]:
    """The leaves that give a decided tree its value (all failures of a failed AND, every
    branch of a failed OR, the met leaves of the first satisfied OR branch, ...)."""
    value = kleene(view, values)
    if view is None or value is None:
        return []
    if isinstance(view, Fact):
        return [view.id]
    children = [c for c in view.items if kleene(c, values) is value]
    if value and view.op != "AND":
        children = children[: _need(view)]
    return list(dict.fromkeys(i for c in children for i in deciding(c, values)))


def open_leaves(view: "Fact | Group | None", values: Mapping[str, Value]) -> list[str]:
    """Unanswered leaves on the paths that could still decide an undecided tree."""
    if view is None or kleene(view, values) is not None:
        return []
    if isinstance(view, Fact):
        return [view.id]
    return list(dict.fromkeys(i for c in view.items for i in open_leaves(c, values)))


_Cost = tuple[int, tuple[str, ...]]


def completion(
    view: "Fact | Group | None", values: Mapping[str, Value], target: bool
) -> _Cost | None:
    """The fewest unanswered leaves that, answered ``target``-wards, give the tree
    ``target`` (criteria met for True, not met for False); None when impossible."""
    value = kleene(view, values)
    if value is target:
        return (0, ())
    if view is None or value is (not target):
        return None
    if isinstance(view, Fact):
        return (1, (view.id,))
    costs = sorted(
        (c for c in (completion(ch, values, target) for ch in view.items) if c is not None),
        key=lambda c: (c[0], c[1]),
    )
    need = _need(view) if target else len(view.items) - _need(view) + 1
    have = sum(1 for ch in view.items if kleene(ch, values) is target)
    picked = [c for c in costs if c[0] > 0][: need - have]
    if len(picked) < need - have:
        return None
    ids = tuple(dict.fromkeys(i for c in picked for i in c[1]))
    return (len(ids), ids)


# --------------------------------------------------------------------------- decisions


def _and(a: Value, b: Value) -> Value:
    if a is False or b is False:
        return False
    return True if a is True and b is True else None


def _reasons(
    policy: Policy,
    ids: Sequence[str],
    status: str,
    where: tuple[str | None, str],
    facts: Mapping[str, object],
) -> list[Reason]:
    out = []
    for cid in ids:
        crit = policy.criteria[cid]
        key = crit.cond.fact if crit.cond is not None else None
        given = facts.get(key) if key is not None else None
        out.append(
            Reason(
                id=cid,
                text=crit.text,
                page=crit.page,
                indication=where[0],
                tree=where[1],
                status=status,
                policy_number=policy.number,
                effective_date=policy.effective_date,
                fact=key,
                value=repr(given) if given is not None else None,
            )
        )
    return out


def _decide_one(
    policy: Policy,
    ind: Indication | None,
    tree: str,
    values: Mapping[str, Value],
    facts: Mapping[str, object],
) -> Decision:
    """One indication's tree AND no exclusion (``tree == "not_covered"``: the exclusions)."""
    name = ind.name if ind is not None else None
    view = getattr(ind, tree) if ind is not None and tree != "not_covered" else None
    excl = policy.not_covered
    v_tree: Value = True if tree == "not_covered" else kleene(view, values)
    v_excl = kleene(excl, values)
    combined = _and(v_tree, None if v_excl is None else not v_excl)
    ids = list(dict.fromkeys([*fact_ids(view), *fact_ids(excl)]))
    reasons: list[Reason] = []
    missing: list[str] = []
    to_decide: list[str] = []
    if combined is True:
        reasons = _reasons(policy, deciding(view, values), "met", (name, tree), facts)
    elif combined is False:
        if v_tree is False:
            reasons += _reasons(policy, deciding(view, values), "not met", (name, tree), facts)
        if v_excl is True:
            reasons += _reasons(
                policy, deciding(excl, values), "excluded", (None, "not_covered"), facts
            )
    else:
        missing = list(dict.fromkeys([*open_leaves(view, values), *open_leaves(excl, values)]))
        a, b = completion(view, values, True), completion(excl, values, False)
        asked, excluding = list(a[1] if a else ()), [i for i in (b[1] if b else ()) if i]
        to_decide = list(dict.fromkeys([*asked, *excluding]))
        reasons = _reasons(policy, asked, "unanswered", (name, tree), facts)
        excl_only = [i for i in excluding if i not in asked]
        reasons += _reasons(policy, excl_only, "unanswered", (None, "not_covered"), facts)
    months = None
    if combined is True and ind is not None:
        months = ind.initial_months if tree == "initial" else ind.reauthorization_months
    outcomes: dict[Value, Outcome] = {True: "approved", False: "denied", None: "undetermined"}
    outcome = outcomes[combined]
    return Decision(
        outcome=outcome,
        tree=tree,
        indication=name,
        reasons=reasons,
        missing=missing,
        to_decide=to_decide,
        met=[i for i in ids if values.get(i) is True],
        unmet=[i for i in ids if values.get(i) is False],
        authorization_months=months,
    )


def _indications(policy: Policy, indication: str | int | None, tree: str) -> list[Indication]:
    inds = [i for i in policy.indications if getattr(i, tree) is not None]
    if indication is None:
        return inds
    if isinstance(indication, int) and not isinstance(indication, bool):
        if 0 <= indication < len(policy.indications):
            return [policy.indications[indication]]
    else:
        hits = [i for i in policy.indications if fold(i.name) == fold(str(indication))]
        if hits:
            return hits[:1]
    names = ", ".join(repr(i.name) for i in policy.indications) or "none"
    raise FactError(f"unknown indication {indication!r}; this policy has: {names}")


def _merge(decisions: list[Decision], tree: str) -> Decision:
    """Several indications: approved under any one of them (Kleene OR)."""
    for wanted in ("approved", "undetermined"):
        found = [d for d in decisions if d.outcome == wanted]
        if found and wanted == "approved":
            return found[0]
        if found:
            best = min(found, key=lambda d: (len(d.to_decide), d.to_decide))
            missing = list(dict.fromkeys(i for d in found for i in d.missing))
            return Decision(**{**best.__dict__, "missing": missing, "indication": None})
    reasons = [r for d in decisions for r in d.reasons]
    unmet = list(dict.fromkeys(i for d in decisions for i in d.unmet))
    met = list(dict.fromkeys(i for d in decisions for i in d.met))
    return Decision("denied", tree, None, reasons, [], [], met, unmet, None)


def decide(
    policy: Policy,
    tree: str,
    facts: Mapping[str, object],
    indication: str | int | None = None,
    closed_world: bool = False,
) -> Decision:
    """The decision of a case (an indication, or any indication, plus facts)."""
    check_facts(policy, facts)
    values = leaf_values(policy, facts, closed_world)
    if tree == "not_covered":
        return _decide_one(policy, None, tree, values, facts)
    inds = _indications(policy, indication, tree)
    if not inds:
        no = Decision("denied", tree, None, [], [], [], [], [], None)
        return no  # no criteria for this request: never approved
    decisions = [_decide_one(policy, ind, tree, values, facts) for ind in inds]
    return decisions[0] if len(decisions) == 1 else _merge(decisions, tree)


def reasons_text(decision: Decision) -> str:
    """The decision and its deciding criteria as plain text, fit for a denial letter."""
    first = decision.reasons[0] if decision.reasons else None
    revision = (
        f"policy {first.policy_number or '(no number)'}, effective {first.effective_date or '?'}"
        if first is not None
        else "this policy"
    )
    title = TREE_TITLES.get(decision.tree, decision.tree)
    lines = [f"Decision: {decision.outcome} ({title}) under {revision}."]
    heading = {
        "not met": "The request does not meet these criteria:",
        "excluded": "The request falls under these exclusions (not covered):",
        "met": "The request meets these criteria:",
        "unanswered": "These criteria must be answered before a decision can be made:",
    }
    for status in ("not met", "excluded", "unanswered", "met"):
        group = [r for r in decision.reasons if r.status == status]
        if not group:
            continue
        lines.append(heading[status])
        for r in group:
            where = f"{r.indication}, " if r.indication else ""
            given = f"; {r.fact} given as {r.value}" if r.value is not None else ""
            if r.value is None and r.fact is not None:
                given = f"; answer {r.fact} or the criterion"
            lines.append(
                f'- "{r.text}" ({where}{TREE_TITLES.get(r.tree, r.tree)}, page {r.page}{given})'
            )
    if not decision.reasons and decision.outcome == "denied":
        lines.append("No criteria of this policy apply to the request.")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------- building a policy


def _cond(data: Mapping[str, Any] | None) -> Cond | None:
    if data is None:
        return None
    return Cond(
        kind=data["kind"],
        fact=data["fact"],
        op=data["op"],
        value=data.get("value"),
        upper=data.get("upper"),
        values=tuple(data.get("values", ())),
        unit=data.get("unit"),
        table=data.get("table"),
    )


def _view(data: Mapping[str, Any], conds: Mapping[str, Cond | None]) -> "Fact | Group":
    if "id" in data:
        return Fact(data["id"], conds.get(data["id"]))
    items = tuple(_view(item, conds) for item in data["items"])
    return Group(data["op"], data["path"], items, int(data.get("n") or 0))


def _group(data: Mapping[str, Any] | None, conds: Mapping[str, Cond | None]) -> Group | None:
    if data is None:
        return None
    view = _view(data, conds)
    return view if isinstance(view, Group) else Group("AND", "", (view,))


def build_policy(data: Mapping[str, Any]) -> Policy:
    """The policy from its plain data (what ``codegen`` writes into a module)."""
    criteria = {
        cid: Criterion(
            id=cid,
            label=c["label"],
            text=c["text"],
            page=c["page"],
            paths=tuple(c["paths"]),
            cond=_cond(c.get("cond")),
        )
        for cid, c in data["criteria"].items()
    }
    conds = {cid: c.cond for cid, c in criteria.items()}
    indications = tuple(
        Indication(
            name=i["name"],
            page=i.get("page"),
            initial=_group(i.get("initial"), conds),
            continuation=_group(i.get("continuation"), conds),
            initial_months=i.get("initial_months"),
            reauthorization_months=i.get("reauthorization_months"),
        )
        for i in data["indications"]
    )
    return Policy(
        number=data.get("number"),
        effective_date=data.get("effective_date"),
        criteria=criteria,
        indications=indications,
        not_covered=_group(data.get("not_covered"), conds),
        fact_types=dict(data.get("fact_types", {})),
        tables={k: tuple(v) for k, v in data.get("tables", {}).items()},
    )
