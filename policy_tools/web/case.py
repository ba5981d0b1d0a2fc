"""Try a case: a form generated from the FHIR Questionnaire of two revisions, and the
three-valued decision of each revision for the answers a person gives.

Questions
    Each revision's criteria are exported as its Questionnaire (``export.fhir``: one item
    per criterion, ``linkId`` = the stable criterion id, typed items for typed facts) and
    the form asks what the two Questionnaires ask, merged:

    - a criterion without a typed condition is one yes / no / unknown question, named by
      its criterion id (an unchanged criterion has one id in both revisions, so one
      question answers it in both);
    - a typed criterion is answered through its fact key (``age_years``,
      ``performance_status``, ``prescriber_specialty``, ``diagnoses`` ...): one question
      per key, whatever criteria of either revision read it, so the same patient data
      meets "18 years of age or older" in one revision and "younger than 18 years" in the
      other. Its input follows the Questionnaire item: a whole number, a decimal, one
      choice, several choices (with "none of these"), or a list of codes.

    An empty answer is *unknown* (never a "no"). ``closed_world`` is the engine's
    explicit option that reads every unanswered criterion as not met.

Decisions
    ``codegen.runtime.decide`` of each revision, the engine the generated module runs:
    initial approval, continuation and the policy-wide exclusions, each ``approved``,
    ``denied`` or ``undetermined`` with its deciding criteria (text as printed, page)
    and, when undetermined, the smallest set of criteria still to ask.

Cases that flip
    The witness cases of ``codegen.outcomes`` (each complete in both revisions' ids),
    offered as answers of this form.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ..codegen.compile import TREES, compile_policy, policy_data
from ..codegen.outcomes import OutcomeReport, outcome_report
from ..codegen.runtime import Criterion, FactError, Outcome, Policy, Reason, decide, reasons_text
from ..compare.indications import pair_indications
from ..errors import PolicyToolsError
from ..export.fhir import FACT_SYSTEM, OTHER, questionnaire
from ..model.policy import PolicyDocument
from ..settings import SETTINGS
from .highlight import SIDES, Side

__all__ = [
    "CLOSED_WORLD",
    "INDICATION",
    "OTHER",
    "SIDES",
    "TYPED_GROUP",
    "Answers",
    "Asked",
    "CaseModel",
    "CaseResult",
    "IndicationChoice",
    "Question",
    "Suggestion",
    "Suggestions",
    "Verdict",
    "answers_query",
    "case_model",
    "merged_questions",
    "read_answers",
    "suggested_cases",
    "try_case",
]

Kind = Literal["boolean", "integer", "decimal", "choice", "choices", "codes"]
TREE_TITLES = {
    "initial": "Initial approval",
    "continuation": "Continuation (reauthorization)",
    "not_covered": "Not-covered uses (exclusions)",
}
TYPED_GROUP = "Patient data (typed facts)"
YES, NO, UNKNOWN = "yes", "no", "unknown"
INDICATION = "indication"  # form field: which indication (empty: any)
CLOSED_WORLD = "closed_world"  # form field: unanswered criteria count as not met
_CODE_SPLIT = re.compile(r"[\s,;]+")
_NONE_WORDS = ("none", "-")  # a code list answered "none of them"
# the input of a Questionnaire item type ("choice": one choice, or several when it repeats)
_ITEM_KINDS: dict[str, Kind] = {
    "boolean": "boolean",
    "integer": "integer",
    "decimal": "decimal",
    "open-choice": "codes",
}
# generality of an input when two revisions ask one fact differently (higher wins)
_KIND_RANK: dict[Kind, int] = {
    "boolean": 0,
    "integer": 1,
    "decimal": 2,
    "choice": 3,
    "choices": 4,
    "codes": 5,
}


@dataclass(frozen=True)
class Asked:
    """One criterion of one revision that a question answers."""

    side: Side
    id: str
    text: str
    page: int | None
    prefix: str
    group: str  # the title of its Questionnaire group


@dataclass(frozen=True)
class Question:
    """One field of the form: a criterion id (yes/no/unknown) or a typed fact key."""

    name: str
    kind: Kind
    asks: tuple[Asked, ...]
    options: tuple[str, ...] = ()  # choice / choices: the listed answers
    group: str = ""  # the fieldset it is shown in

    @property
    def text(self) -> str:
        return self.asks[0].text

    @property
    def revisions(self) -> str:
        sides = {a.side for a in self.asks}
        return "both" if len(sides) == 2 else next(iter(sides))


@dataclass(frozen=True)
class IndicationChoice:
    """An indication as the form offers it: its index on each side (None: not there)."""

    value: str
    name: str
    old: int | None
    new: int | None


@dataclass(frozen=True)
class CaseModel:
    """What a pair of revisions asks and decides with (built once per pair)."""

    questions: tuple[Question, ...]
    policies: dict[Side, Policy | None]  # None: the revision's criteria could not be read
    indications: tuple[IndicationChoice, ...]
    reads: dict[Side, frozenset[str]]  # the criterion ids and typed fact keys of each side
    unreadable: dict[Side, str] = field(default_factory=dict)  # why, per side


# ------------------------------------------------------------------------- questions


def _items(items: Sequence[Mapping[str, Any]], group: str) -> Iterator[tuple[str, Any]]:
    for item in items:
        if item.get("type") == "group":
            yield from _items(item.get("item", []), str(item.get("text") or group))
        else:
            yield group, item
            yield from _items(item.get("item", []), group)


def _page(item: Mapping[str, Any]) -> int | None:
    pages = [e.get("valueInteger") for e in item.get("extension", []) if "valueInteger" in e]
    return pages[0] if pages else None


def _fact_key(item: Mapping[str, Any]) -> str | None:
    codes = [c["code"] for c in item.get("code", []) if c.get("system") == FACT_SYSTEM]
    return codes[0] if codes else None


def _kind(item: Mapping[str, Any]) -> Kind:
    found = _ITEM_KINDS.get(str(item.get("type")))
    return found or ("choices" if item.get("repeats") else "choice")


def _options(item: Mapping[str, Any]) -> list[str]:
    codes = [o["valueCoding"]["code"] for o in item.get("answerOption", []) if "valueCoding" in o]
    return [c for c in codes if c != OTHER]


def _side_questions(data: Mapping[str, Any], title: str | None, side: Side) -> list[Question]:
    """The questions of one revision's Questionnaire (of its ``policy_data``), in order."""
    resource = json.loads(questionnaire(data, title))
    out = []
    for group, item in _items(resource.get("item", []), ""):
        asked = Asked(
            side, item["linkId"], item.get("text", ""), _page(item), item.get("prefix", ""), group
        )
        key = _fact_key(item)
        name = key or item["linkId"]
        kind = _kind(item)
        out.append(Question(name, kind, (asked,), tuple(_options(item)), group))
    return out


def _merge(one: Question, other: Question) -> Question:
    kind = max(one.kind, other.kind, key=lambda k: _KIND_RANK[k])
    options = tuple(dict.fromkeys([*one.options, *other.options]))
    return Question(one.name, kind, one.asks + other.asks, options, one.group)


def merged_questions(per_side: Sequence[list[Question]]) -> tuple[Question, ...]:
    """One question per criterion id or fact key: the new revision's order first, then
    what only the old one asks; typed facts lead, in a group of their own."""
    merged: dict[str, Question] = {}
    for qs in per_side:
        for q in qs:
            merged[q.name] = _merge(merged[q.name], q) if q.name in merged else q
    typed = [
        Question(q.name, q.kind, q.asks, q.options, TYPED_GROUP)
        for q in merged.values()
        if q.kind != "boolean"
    ]
    return tuple(typed + [q for q in merged.values() if q.kind == "boolean"])


def _indication_choices(old: PolicyDocument, new: PolicyDocument) -> tuple[IndicationChoice, ...]:
    o, n = old.criteria.indications, new.criteria.indications
    if len(o) <= 1 and len(n) <= 1:
        return ()  # one indication (or none): nothing to choose
    pairs, lone_old, lone_new = pair_indications(list(o), list(n))
    rows: list[tuple[str, int | None, int | None]]
    rows = [(n[j].name, i, j) for i, j in sorted(pairs, key=lambda p: p[1])]
    rows += [(n[j].name, None, j) for j in lone_new]
    rows += [(o[i].name, i, None) for i in lone_old]
    return tuple(IndicationChoice(str(k), name, i, j) for k, (name, i, j) in enumerate(rows, 1))


def case_model(old: PolicyDocument, new: PolicyDocument) -> CaseModel:
    """The questions and compiled policies of a pair of revisions."""
    docs: dict[Side, PolicyDocument] = {"old": old, "new": new}
    policies: dict[Side, Policy | None] = {}
    reads: dict[Side, frozenset[str]] = {}
    unreadable: dict[Side, str] = {}
    per_side: list[list[Question]] = []
    for side in ("new", "old"):
        doc = docs[side]
        if not doc.criteria.readable:
            policies[side], reads[side] = None, frozenset()
            unreadable[side] = "its criteria could not be read (no criteria tree was extracted)"
            continue
        data = policy_data(doc)
        policy = compile_policy(data)
        policies[side] = policy
        typed = {c.cond.fact for c in policy.criteria.values() if c.cond is not None}
        reads[side] = frozenset(typed | set(policy.criteria))
        per_side.append(_side_questions(data, doc.policy.name, side))
    return CaseModel(
        merged_questions(per_side), policies, _indication_choices(old, new), reads, unreadable
    )


# --------------------------------------------------------------------------- answers


def _number(q: Question, text: str) -> float | int:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or (q.kind == "integer" and not value.is_integer()):
        want = "a whole number" if q.kind == "integer" else "a number"
        raise PolicyToolsError(f"answer to {q.name}: expected {want}, got {text!r}")
    return int(value) if value.is_integer() else value


def _choice(q: Question, text: str) -> str:
    if text != OTHER and text not in q.options:
        raise PolicyToolsError(f"answer to {q.name}: {text!r} is not one of its choices")
    return text


def _codes(text: str) -> list[str]:
    words = [w for w in _CODE_SPLIT.split(text.strip()) if w]
    if [w.lower() for w in words] in ([w] for w in _NONE_WORDS):
        return []
    return list(dict.fromkeys(w.upper() for w in words))


def _answer(q: Question, given: Sequence[str]) -> Any:
    """The fact value of one question's answers; None: unknown."""
    texts = [t.strip() for t in given if t.strip() and t.strip() != UNKNOWN]
    if not texts:
        return None
    if q.kind == "choices":
        chosen = [_choice(q, t) for t in dict.fromkeys(texts)]
        return [c for c in chosen if c != OTHER]  # "none of these" alone: the empty list
    if len(texts) > 1:
        raise PolicyToolsError(f"answer to {q.name}: one answer expected, got {len(texts)}")
    text = texts[0]
    if q.kind == "boolean":
        if text not in (YES, NO):
            raise PolicyToolsError(f"answer to {q.name}: expected yes, no or unknown")
        return text == YES
    if q.kind in ("integer", "decimal"):
        return _number(q, text)
    if q.kind == "choice":
        return _choice(q, text)
    return _codes(text)


@dataclass(frozen=True)
class Answers:
    facts: dict[str, Any]  # question name -> value (unknown answers left out)
    given: dict[str, tuple[str, ...]]  # question name -> the texts as given (to re-fill)
    ignored: tuple[str, ...]  # field names neither revision asks
    indication: IndicationChoice | None
    closed_world: bool


def read_answers(model: CaseModel, params: Sequence[tuple[str, str]]) -> Answers:
    """The facts of the form's fields (``params``: the query string's items, in order)."""
    limit = SETTINGS.web.case_facts
    if len(params) > limit:
        raise PolicyToolsError(f"a case may give at most {limit} answers ({len(params)} given)")
    grouped: dict[str, list[str]] = {}
    for name, value in params:
        grouped.setdefault(name, []).append(value)
    indication = None
    wanted = "".join(grouped.pop(INDICATION, [])).strip()
    if wanted:
        indication = next((c for c in model.indications if c.value == wanted), None)
        if indication is None:
            raise PolicyToolsError(f"no indication {wanted!r} in this comparison")
    closed = "".join(grouped.pop(CLOSED_WORLD, [])).strip() in ("1", "on", "yes", "true")
    facts: dict[str, Any] = {}
    given: dict[str, tuple[str, ...]] = {}
    ignored: list[str] = []
    asked = {q.name: q for q in model.questions}
    for name, texts in grouped.items():
        q = asked.get(name)
        if q is None:
            ignored.append(name)
            continue
        given[name] = tuple(texts)
        value = _answer(q, texts)
        if value is not None:
            facts[name] = value
    return Answers(facts, given, tuple(ignored), indication, closed)


def answers_query(model: CaseModel, facts: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The form's fields answering ``facts`` (criterion ids and typed fact keys)."""
    out: list[tuple[str, str]] = []
    for q in model.questions:
        if q.name not in facts or facts[q.name] is None:
            continue
        value = facts[q.name]
        if q.kind == "boolean":
            out.append((q.name, YES if value else NO))
        elif q.kind == "choices":
            out.extend((q.name, v) for v in (value or [OTHER]))
        elif q.kind == "codes":
            out.append((q.name, ", ".join(value) if value else _NONE_WORDS[0]))
        else:
            out.append((q.name, f"{value:g}" if isinstance(value, float) else str(value)))
    return out


# ------------------------------------------------------------------------- decisions


@dataclass(frozen=True)
class Verdict:
    """The decision of one tree under one revision, or why there is none."""

    tree: str
    title: str
    present: bool  # the revision decides this (criteria read, tree and indication there)
    absent: str  # why not ('' when present)
    outcome: Outcome | None
    months: int | None
    reasons: tuple[Reason, ...]  # the deciding criteria (met / not met / excluded)
    to_ask: tuple[Reason, ...]  # undetermined: the fewest criteria still to ask
    missing: tuple[Criterion, ...]  # undetermined: every unanswered criterion that could decide
    letter: str  # the decision as text for a letter (reasons_text)


def _absent(tree: str, why: str) -> Verdict:
    return Verdict(tree, TREE_TITLES[tree], False, why, None, None, (), (), (), "")


def _has_tree(policy: Policy, tree: str, index: int | None) -> bool:
    if tree == "not_covered":
        return policy.not_covered is not None
    inds = policy.indications if index is None else (policy.indications[index],)
    return any(getattr(ind, tree) is not None for ind in inds)


def _verdict(
    policy: Policy, tree: str, facts: Mapping[str, Any], index: int | None, closed: bool
) -> Verdict:
    if not _has_tree(policy, tree, index):
        return _absent(tree, "this revision has no such criteria")
    chosen = None if tree == "not_covered" else index
    try:
        d = decide(policy, tree, facts, chosen, closed_world=closed)
    except FactError as err:  # a bug of ours (the form asks only what the policy reads)
        raise PolicyToolsError(f"the case cannot be decided: {err}") from err
    asked = tuple(r for r in d.reasons if r.status == "unanswered")
    return Verdict(
        tree=tree,
        title=TREE_TITLES[tree],
        present=True,
        absent="",
        outcome=d.outcome,
        months=d.authorization_months,
        reasons=tuple(r for r in d.reasons if r.status != "unanswered"),
        to_ask=asked,
        missing=tuple(policy.criteria[cid] for cid in d.missing),
        letter=reasons_text(d),
    )


@dataclass(frozen=True)
class CaseResult:
    old: tuple[Verdict, ...]
    new: tuple[Verdict, ...]
    answers: Answers

    def flips(self, tree: str) -> bool:
        """Both revisions decide ``tree`` and their outcomes differ."""
        o = next(v for v in self.old if v.tree == tree)
        n = next(v for v in self.new if v.tree == tree)
        return o.present and n.present and o.outcome != n.outcome

    def side(self, side: Side) -> tuple[Verdict, ...]:
        return self.old if side == "old" else self.new


def _side_verdicts(model: CaseModel, side: Side, answers: Answers) -> tuple[Verdict, ...]:
    policy = model.policies[side]
    if policy is None:
        why = model.unreadable.get(side, "its criteria could not be read")
        return tuple(_absent(t, why) for t in TREES)
    choice = answers.indication
    index = None if choice is None else (choice.old if side == "old" else choice.new)
    facts = {k: v for k, v in answers.facts.items() if k in model.reads[side]}
    out = []
    for tree in TREES:
        if choice is not None and index is None and tree != "not_covered":
            out.append(_absent(tree, f"this revision has no indication {choice.name!r}"))
        else:
            out.append(_verdict(policy, tree, facts, index, answers.closed_world))
    return tuple(out)


def try_case(model: CaseModel, params: Sequence[tuple[str, str]]) -> CaseResult:
    """The decisions of both revisions for the form's answers."""
    answers = read_answers(model, params)
    return CaseResult(
        _side_verdicts(model, "old", answers), _side_verdicts(model, "new", answers), answers
    )


# -------------------------------------------------------------------- cases that flip


@dataclass(frozen=True)
class Suggestion:
    tree: str
    indication: str
    direction: str  # 'newly approved' | 'newly denied'
    old_outcome: str
    new_outcome: str
    met: tuple[str, ...]  # texts of the criteria the witness meets
    typed: tuple[tuple[str, str], ...]  # (fact key, value) of the witness
    query: tuple[tuple[str, str], ...]  # the form's answers of the witness


@dataclass(frozen=True)
class Suggestions:
    cases: tuple[Suggestion, ...]
    total: int  # flips found (more than ``cases`` when cut at the limit)
    sampled: bool  # a tree was too large: candidates were sampled
    problem: str  # why there are none ('' when the analysis ran)


def _suggestion(model: CaseModel, report: OutcomeReport, k: int) -> Suggestion:
    change = report.changes[k]
    case = {**change.old_case, **change.new_case}
    met = tuple(report.criteria.get(i, i) for i, v in change.facts.items() if v is True)
    typed = tuple((key, repr(v)) for key, v in change.facts.items() if not isinstance(v, bool))
    choice = next(
        (c for c in model.indications if c.old == change.old_index and c.new == change.new_index),
        None,
    )
    query = answers_query(model, case)
    if choice is not None:
        query.append((INDICATION, choice.value))
    return Suggestion(
        change.tree,
        change.indication,
        change.direction,
        change.old_outcome,
        change.new_outcome,
        met,
        typed,
        tuple(query),
    )


def suggested_cases(
    model: CaseModel, old: PolicyDocument, new: PolicyDocument, limit: int
) -> Suggestions:
    """The witness cases whose decision differs between the revisions (``outcomes``)."""
    try:
        report = outcome_report(old, new)
    except PolicyToolsError as err:
        return Suggestions((), 0, False, str(err))
    cases = tuple(_suggestion(model, report, k) for k in range(min(limit, len(report.changes))))
    sampled = not all(t.complete for t in report.trees)
    return Suggestions(cases, len(report.changes), sampled, "")
