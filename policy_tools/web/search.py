"""Searching the store: policies by number, name, drug or payer; revisions by code.

Policy search: every word of the query must occur (case and spacing aside) in one of a
policy's fields over all its revisions: its number (the store key, the number as
printed, its series), its name (and every header spelling), its drug (brand, generic),
or its payer. The policy model has no payer field, so the payer is matched wherever a
revision prints it in its header metadata (title, line of business, scope) or in the
source file name.

Code search: a code (``C34.90``, ``C34``, ``J9999``) or a range (``C34.00-C34.92``)
is expanded to billable codes with ``compare/codesets.py``; a printed code-table row
covers the query when its own expansion shares a billable code with it (so ``C34``
finds a row ``C34.10-C34.12``, and ``C34.90`` finds ``C34.00-C34.92``). The result
lists every covering revision and, per policy, its first and last effective date among
them. Never silent: a query that is no code says so, a code missing from the code set is
still looked up as printed (and said), and revisions without code tables are counted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from ..compare.codesets import check_code, normalize_code
from ..model.policy import Code
from ..text import compare_key
from ..vocab.codes import system_of
from .store_view import RevisionSummary

__all__ = [
    "CodeHit",
    "CodeQuery",
    "CodeSearch",
    "PolicyHit",
    "PolicyRevisionHits",
    "parse_code_query",
    "search_codes",
    "search_policies",
]

FIELDS = ("number", "name", "drug", "payer")


def _fields(rev: RevisionSummary) -> dict[str, list[str]]:
    return {
        "number": [rev.policy, rev.number or "", rev.series or ""],
        "name": [rev.name or "", *rev.name_variants],
        "drug": [rev.brand or "", rev.generic or ""],
        "payer": [rev.title or "", rev.line_of_business or "", *rev.scope, rev.source],
    }


@dataclass(frozen=True)
class PolicyHit:
    policy: str
    number: str | None
    name: str | None
    brand: str | None
    generic: str | None
    revisions: int
    first: str
    latest: str
    matched: tuple[str, ...]  # the fields the query words were found in


def _folded(text: str) -> str:
    return compare_key(text.replace("_", " "))


def search_policies(query: str, revisions: Sequence[RevisionSummary]) -> list[PolicyHit]:
    """Policies whose fields hold every word of ``query`` (all policies when it is empty)."""
    words = [_folded(w) for w in query.split() if _folded(w)]
    by_policy: dict[str, list[RevisionSummary]] = {}
    for rev in revisions:
        by_policy.setdefault(rev.policy, []).append(rev)
    hits: list[PolicyHit] = []
    for policy, revs in sorted(by_policy.items()):
        texts: dict[str, str] = {name: "" for name in FIELDS}
        for rev in revs:
            for name, values in _fields(rev).items():
                texts[name] += " | " + " | ".join(_folded(v) for v in values if v)
        if not all(any(w in texts[f] for f in FIELDS) for w in words):
            continue
        matched = [f for f in FIELDS if any(w in texts[f] for w in words)]
        latest = revs[-1]
        hits.append(
            PolicyHit(
                policy=policy,
                number=latest.number,
                name=latest.name,
                brand=latest.brand,
                generic=latest.generic,
                revisions=len(revs),
                first=revs[0].date,
                latest=latest.date,
                matched=tuple(matched),
            )
        )
    return hits


# -- code search --------------------------------------------------------------------


@dataclass(frozen=True)
class CodeQuery:
    text: str  # normalised, e.g. 'C34.00-C34.92'
    system: str | None
    billable: frozenset[str]
    problem: str | None  # one line when the query is not a known code (None: fine)


def parse_code_query(query: str) -> CodeQuery:
    """The system and billable codes of a code or range as a person types it."""
    text = normalize_code(query)
    first, sep, last = text.partition("-")
    systems = {system_of(first), system_of(last) if sep else system_of(first)}
    if not text or None in systems or len(systems) != 1:
        problem = (
            f"'{query.strip()}' is not an ICD-10-CM, HCPCS or CPT code or range "
            "(e.g. C34.90, C34, C34.00-C34.92, J9999)"
        )
        return CodeQuery(text, None, frozenset(), problem)
    system = systems.pop()
    assert system is not None
    check = check_code(system, text)
    return CodeQuery(text, system, frozenset(check.billable), check.problem)


@lru_cache(maxsize=16384)
def _billable(system: str, code: str) -> frozenset[str]:
    return frozenset(check_code(system, code).billable)


@dataclass(frozen=True)
class CodeHit:
    system: str
    code: str  # as printed
    description: str | None
    page: int
    shared: int  # billable codes the row shares with the query
    whole: bool  # the row covers every billable code of the query


def _covers(query: CodeQuery, code: Code) -> CodeHit | None:
    if code.system != query.system:
        return None
    theirs = _billable(code.system, code.code)
    shared = len(theirs & query.billable)
    literal = normalize_code(code.code) == query.text
    if not shared and not literal:
        return None
    whole = literal or (bool(query.billable) and query.billable <= theirs)
    return CodeHit(code.system, code.code, code.description, code.page, shared, whole)


@dataclass(frozen=True)
class PolicyRevisionHits:
    date: str
    review_type: str | None
    hits: tuple[CodeHit, ...]


@dataclass
class PolicyCodes:
    policy: str
    number: str | None
    name: str | None
    latest: str  # the policy's newest stored revision
    revisions: list[PolicyRevisionHits] = field(default_factory=list)

    @property
    def first_effective(self) -> str:
        return self.revisions[0].date

    @property
    def last_effective(self) -> str:
        return self.revisions[-1].date

    @property
    def in_latest(self) -> bool:
        return self.last_effective == self.latest


@dataclass(frozen=True)
class CodeSearch:
    query: CodeQuery
    policies: tuple[PolicyCodes, ...]
    searched: int  # revisions searched
    without_codes: tuple[str, ...]  # 'POLICY@DATE' of revisions printing no code table


def search_codes(query: str, revisions: Iterable[RevisionSummary]) -> CodeSearch:
    """Every revision whose code tables cover ``query`` (see module doc)."""
    parsed = parse_code_query(query)
    found: dict[str, PolicyCodes] = {}
    searched, empty = 0, []
    for rev in revisions:
        searched += 1
        if not rev.codes:
            empty.append(f"{rev.policy}@{rev.date}")
        entry = found.setdefault(rev.policy, PolicyCodes(rev.policy, rev.number, rev.name, ""))
        entry.latest, entry.number, entry.name = rev.date, rev.number, rev.name
        if parsed.system is None:
            continue
        hits = tuple(h for h in (_covers(parsed, c) for c in rev.codes) if h is not None)
        if hits:
            entry.revisions.append(PolicyRevisionHits(rev.date, rev.review_type, hits))
    policies = tuple(p for _, p in sorted(found.items()) if p.revisions)
    return CodeSearch(parsed, policies, searched, tuple(empty))
