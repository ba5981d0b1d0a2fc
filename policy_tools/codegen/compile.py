"""A policy revision compiled for decisions: criterion ids, typed conditions, the trees of
every indication and the policy-wide exclusions, as plain data and as a runtime policy.

``policy_data(doc)`` is the one description every engine reads: the generated Python
module embeds it as a literal (``render/module.py``), the library evaluates it through
``runtime.build_policy`` (outcomes, test vectors) and the exports (FHIR Questionnaire,
CQL/ELM) are written from it.

Criterion ids
    One id per distinct criterion text, derived from the text only (never from its label
    or position), so an unchanged criterion keeps its id across revisions and the same
    facts can be fed to the old and the new module. The id is ``<slug>_<hash8>``:
    ``hash8`` is the first 8 hex digits of the SHA-256 of the normalised text, ``slug``
    its first words. Normalised text = :func:`policy_tools.text.compare_key` (NFKC,
    typographic quotes/dashes folded, one space, case and end punctuation aside) with
    evidence-level citations removed (``(Label, NCCN 1)``, ``(NCCN 2A)``), because a new
    citation does not change what must be true of the patient. Two leaves with the same
    normalised text (e.g. "Requested use is as single-agent treatment" under two
    OR-branches) are one fact. Node texts ("Individual meets one of the following:") are
    headings, not facts; a group the extractor could not split (text, no items) is one.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any, Literal

from ..compare.codesets import check_code
from ..errors import PolicyToolsError
from ..model.policy import Condition, Indication, Leaf, Node, PolicyDocument
from ..settings import SETTINGS
from ..text import compare_key
from ..vocab.conditions import EVIDENCE_CITATION, FACT_TYPES
from .runtime import Policy, build_policy

__all__ = [
    "FUNCTION_OF_TREE",
    "TREES",
    "compile_policy",
    "criterion_id",
    "criterion_key",
    "policy_data",
    "require_readable",
    "revision_label",
]

TreeName = Literal["initial", "continuation", "not_covered"]
TREES: tuple[TreeName, ...] = ("initial", "continuation", "not_covered")
FUNCTION_OF_TREE: dict[str, str] = {
    "initial": "initial_approval",
    "continuation": "continuation",
    "not_covered": "not_covered",
}
_C = SETTINGS.codegen
_NON_SLUG = re.compile(r"[^a-z0-9]+")


def criterion_key(text: str) -> str:
    """The normalised text a criterion id is derived from (see module doc)."""
    return compare_key(EVIDENCE_CITATION.sub("", compare_key(text)))


def criterion_id(text: str) -> str:
    """``<slug>_<hash8>`` of the normalised text: stable while the text is unchanged."""
    key = criterion_key(text)
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:8]
    words = [w for w in _NON_SLUG.split(key) if w][: _C.slug_words]
    slug = "-".join(words)[: _C.slug_max].strip("-") or "criterion"
    return f"{slug}_{digest}"


def revision_label(doc: PolicyDocument) -> str:
    return f"{doc.policy.number or doc.source.path}@{doc.policy.effective_date or '?'}"


def require_readable(doc: PolicyDocument) -> None:
    """Refuse a revision whose criteria could not be read (nothing may pretend)."""
    if not doc.criteria.readable:
        raise PolicyToolsError(
            f"{revision_label(doc)} ({doc.source.path}): criteria could not be read "
            "(no criteria tree was extracted)"
        )


# --------------------------------------------------------------------------------------


def _label_part(label: str | None, index: int) -> str:
    part = re.sub(r"[^0-9A-Za-z]+", "", label or "")
    return part or str(index)


Found = dict[str, list[tuple[str, Leaf]]]


def _tree(item: Node | Leaf, path: str, found: Found) -> dict[str, Any]:
    if isinstance(item, Leaf):
        cid = criterion_id(item.text)
        found.setdefault(cid, []).append((path, item))
        return {"id": cid}
    if not item.items and item.text:  # a group the extractor could not split: one fact
        leaf = Leaf(label=item.label, text=item.text, page=item.page or 0)
        return _tree(leaf, path, found)
    items = [
        _tree(child, f"{path}.{_label_part(child.label, i)}", found)
        for i, child in enumerate(item.items, start=1)
    ]
    return {"op": item.op, "path": path, "items": items, "n": item.n or 0}


def _group(node: Node | None, path: str, found: Found) -> dict[str, Any] | None:
    if node is None:
        return None
    built = _tree(node, path, found)
    return built if "op" in built else {"op": "AND", "path": path, "items": [built], "n": 0}


def _cond(condition: Condition | None) -> dict[str, Any] | None:
    if condition is None:
        return None
    data: dict[str, Any] = {"kind": condition.kind, "fact": condition.fact, "op": condition.op}
    for name in ("value", "upper", "unit"):
        if getattr(condition, name) is not None:
            data[name] = getattr(condition, name)
    if condition.system is not None:
        data["table"] = condition.system
    elif condition.values:
        data["values"] = list(condition.values)
    return data


def _check(found: Found, where: str) -> None:
    for cid, occurrences in found.items():
        keys = {criterion_key(leaf.text) for _, leaf in occurrences}
        conds = {repr(_cond(leaf.condition)) for _, leaf in occurrences}
        if len(keys) > 1:
            raise PolicyToolsError(f"{where}: criterion id {cid} names two different texts")
        if len(conds) > 1:
            raise PolicyToolsError(f"{where}: criterion {cid} is typed two different ways")


def code_table(doc: PolicyDocument, system: str) -> list[str]:
    """Billable codes of every code of ``system`` the policy prints, sorted."""
    codes = {
        c
        for code in doc.codes
        if code.system == system
        for c in check_code(system, code.code).billable
    }
    return sorted(codes)


def _indication(ind: Indication, k: int, many: bool, found: Found) -> dict[str, Any]:
    prefix = f"{k}." if many else ""
    return {
        "name": ind.name,
        "page": ind.page,
        "initial": _group(ind.initial, f"{prefix}initial", found),
        "continuation": _group(ind.continuation, f"{prefix}continuation", found),
        "initial_months": ind.authorization.initial_months,
        "reauthorization_months": ind.authorization.reauthorization_months,
    }


def policy_data(doc: PolicyDocument) -> dict[str, Any]:
    """The plain, deterministic description of the revision's decisions (module doc)."""
    found: Found = {}
    inds = doc.criteria.indications
    indications = [_indication(i, k, len(inds) > 1, found) for k, i in enumerate(inds, 1)]
    not_covered = _group(doc.criteria.not_covered, "not_covered", found)
    _check(found, doc.source.path)
    criteria: dict[str, dict[str, Any]] = {
        cid: {
            "label": occ[0][0],
            "text": occ[0][1].text,
            "page": occ[0][1].page,
            "paths": [p for p, _ in occ],
            "cond": _cond(occ[0][1].condition),
        }
        for cid, occ in sorted(found.items())
    }
    systems = sorted(
        {c["cond"]["table"] for c in criteria.values() if c["cond"] and "table" in c["cond"]}
    )
    return {
        "number": doc.policy.number,
        "effective_date": doc.policy.effective_date,
        "criteria": criteria,
        "indications": indications,
        "not_covered": not_covered,
        "fact_types": dict(sorted(FACT_TYPES.items())),
        "tables": {s: code_table(doc, s) for s in systems},
    }


def compile_policy(doc: PolicyDocument | Mapping[str, Any]) -> Policy:
    """The runtime policy of a revision (or of its plain data)."""
    data = policy_data(doc) if isinstance(doc, PolicyDocument) else doc
    return build_policy(data)
