"""Test vectors of a revision: cases -> the decision they must get, in every engine.

For every indication tree and each of its minimal satisfying sets (a "path"), capped at
``settings.codegen.vector_paths`` per tree:

- the path met with every other criterion answered "no" (typed facts at a value that
  meets it) -> its decision (normally approved);
- the same with the exclusions unanswered (undetermined when the policy has any);
- each criterion of the path answered "no";
- each exclusion answered "yes";
- each typed fact of the path or the exclusions at every value around its thresholds
  (17, 18 and 19 years for "18 years of age or older");

plus "nothing answered" per tree (undetermined) and the witness cases of ``outcomes``
against the neighbouring revisions, when given. The expected decision of a case is what
the decision engine (``codegen/runtime.py``) gives; the tests run the same vectors
through the generated Python module, the ELM in cql-execution and the Questionnaire.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from itertools import product
from typing import Any

from ..codegen.outcomes import terms_of, typed_values
from ..codegen.runtime import Policy, decide, fact_ids
from ..io import dumps
from ..settings import SETTINGS
from ..version import __version__

__all__ = ["Witness", "vector_cases", "vectors_json"]

_C = SETTINGS.codegen
Case = dict[str, Any]
Witness = tuple[str, str, int, Mapping[str, Any]]  # name, tree, indication, facts


def _typed(policy: Policy) -> set[str]:
    return {cid for cid, c in policy.criteria.items() if c.cond is not None}


def _answered(policy: Policy, true_ids: set[str], skip: set[str]) -> dict[str, Any]:
    return {
        cid: cid in true_ids
        for cid, c in sorted(policy.criteria.items())
        if c.cond is None and cid not in skip
    }


def _typed_fit(policy: Policy, tree: str, k: int, facts: Case) -> Case | None:
    """Typed values that make the answered case approved (first in a fixed order)."""
    values = typed_values([policy])
    keys = sorted(values)
    for combo in product(*(values[key] for key in keys)):
        case = {**facts, **dict(zip(keys, combo, strict=True))}
        if decide(policy, tree, case, k).approved:
            return dict(zip(keys, combo, strict=True))
    return None


def _path_cases(
    policy: Policy, tree: str, k: int, term: frozenset[str], n: int
) -> Iterator[tuple[str, Case]]:
    typed_ids = _typed(policy)
    excl = [e for e in dict.fromkeys(fact_ids(policy.not_covered)) if e not in typed_ids]
    true_ids = set(term) - typed_ids
    base = _answered(policy, true_ids, set())
    typed = _typed_fit(policy, tree, k, base)
    if typed is None:  # no typed values meet this path: keep the first representative ones
        typed = {key: vals[0] for key, vals in typed_values([policy]).items()}
    name = f"{k}:{tree}:path{n}"
    yield f"{name} met, all else no", {**base, **typed}
    yield (
        f"{name} met, exclusions unanswered",
        {
            **{c: v for c, v in base.items() if c not in excl},
            **{key: v for key, v in typed.items() if not _reads_only_exclusions(policy, key)},
        },
    )
    for cid in sorted(true_ids):
        yield f"{name} without {cid}", {**base, cid: False, **typed}
    for eid in excl:
        yield f"{name} excluded by {eid}", {**base, eid: True, **typed}
    for key, vals in typed_values([policy]).items():
        for v in vals:
            if v != typed.get(key):
                yield f"{name} with {key}={v!r}", {**base, **typed, key: v}


def _reads_only_exclusions(policy: Policy, key: str) -> bool:
    in_excl = set(fact_ids(policy.not_covered))
    readers = [
        cid for cid, c in policy.criteria.items() if c.cond is not None and c.cond.fact == key
    ]
    return bool(readers) and all(r in in_excl for r in readers)


def vector_cases(policy: Policy, witnesses: Sequence[Witness] = ()) -> list[dict[str, Any]]:
    """Every vector of a revision (module doc), each with its expected decision."""
    raw: list[tuple[str, str, int | None, Case]] = [
        (f"outcomes witness: {name}", tree, index, dict(facts))
        for name, tree, index, facts in witnesses
    ]
    for tree in ("initial", "continuation"):
        raw.append((f"any:{tree}: nothing answered", tree, None, {}))
        for k, ind in enumerate(policy.indications):
            view = getattr(ind, tree)
            if view is None:
                continue
            terms, _ = terms_of(view)
            for n, term in enumerate(terms[: _C.vector_paths], start=1):
                raw.extend(
                    (name, tree, k, case) for name, case in _path_cases(policy, tree, k, term, n)
                )
    raw.append(("not_covered: nothing answered", "not_covered", None, {}))
    out = []
    seen: set[str] = set()
    for name, tree, where, facts in raw:
        key = dumps([tree, where, facts])
        if key in seen:
            continue
        seen.add(key)
        d = decide(policy, tree, facts, where)
        expected = {
            "outcome": d.outcome,
            "reasons": [r.id for r in d.reasons],
            "to_decide": d.to_decide,
        }
        out.append(
            {"name": name, "tree": tree, "indication": where, "facts": facts, "expected": expected}
        )
    return out


def vectors_json(policy: Policy, source_sha256: str, witnesses: Sequence[Witness] = ()) -> str:
    """The vector file of a revision (deterministic JSON)."""
    return dumps(
        {
            "policy_number": policy.number,
            "effective_date": policy.effective_date,
            "source_sha256": source_sha256,
            "generator": f"policy-tools {__version__}",
            "vectors": vector_cases(policy, witnesses),
        }
    )
