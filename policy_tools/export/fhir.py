"""FHIR R4 exports: a Questionnaire (SDC / Da Vinci DTR conventions) that asks the
criteria of a revision, a ValueSet per code table, and the QuestionnaireResponse ->
decision adapter that proves the Questionnaire asks everything a decision needs.

Questionnaire
    One group per indication tree (initial, continuation) and one for the policy-wide
    exclusions; one item per criterion (where it first occurs), ``linkId`` = the stable
    criterion id, ``text`` = the criterion exactly as printed, ``prefix`` = its label,
    the page in an extension. A boolean item for a plain criterion; a typed item for a
    typed one: ``decimal`` for a number (``integer`` for ages and counts), ``choice``
    for a specialty or a drug list, ``open-choice`` with ``answerValueSet`` for codes;
    its ``code`` names the typed fact key it answers. ``enableWhen`` mirrors the tree
    where that cannot change a decision: the later criteria of an AND branch are asked
    unless the branch's first criterion is answered "no" (``enableBehavior: any`` of
    "not answered" and "yes"); criteria printed in more than one place are always asked.
    The ``cqf-library`` extension names the CQL library of the same revision.

Every resource is built as plain data and validated with ``fhir.resources`` (R4B models,
which match R4 for these resources) before it is printed, so an export is never invalid.
The models are imported when first used (``fhir_model``): otherwise every command of the
CLI would pay about 0.15 s of start-up for them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import lru_cache
from importlib import resources
from typing import Any

from pydantic import ValidationError

from ..codegen.runtime import Decision, Policy, decide
from ..compare.codesets import check_code, icd_description
from ..errors import PolicyToolsError
from ..io import dumps
from ..model.policy import PolicyDocument

__all__ = [
    "CODE_SYSTEMS",
    "FACT_SYSTEM",
    "OTHER",
    "decision_from_response",
    "fhir_model",
    "icd10cm_release",
    "questionnaire",
    "response_facts",
    "valuesets",
]

BASE = "urn:policy-tools"
PAGE_EXT = f"{BASE}:fhir:StructureDefinition:page"
FACT_SYSTEM = f"{BASE}:fact"
CQF_LIBRARY = "http://hl7.org/fhir/StructureDefinition/cqf-library"
EFFECTIVE_PERIOD = "http://hl7.org/fhir/StructureDefinition/resource-effectivePeriod"
CODE_SYSTEMS = {
    "ICD-10-CM": "http://hl7.org/fhir/sid/icd-10-cm",
    "HCPCS": "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
    "CPT": "http://www.ama-assn.org/go/cpt",
}
_TREE_TITLES = {"initial": "Initial approval", "continuation": "Continuation of therapy"}
OTHER = "(other)"  # the answer option "none of the listed values"
_INTEGER_FACTS = ("age_years", "months_on_therapy", "weeks_on_therapy", "days_on_therapy")


def slug(text: str | None) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text or "").strip("-").lower() or "policy"


def canonical(kind: str, data: Mapping[str, Any], suffix: str = "") -> str:
    """``urn:policy-tools:<kind>:<policy>:<date>[:<suffix>]`` (stable across re-runs)."""
    parts = [BASE, kind, slug(data.get("number")), data.get("effective_date") or "undated"]
    return ":".join(parts + ([suffix] if suffix else []))


def fhir_model(name: str) -> Any:
    """The ``fhir.resources`` R4B model class ``name`` (Bundle, Questionnaire,
    QuestionnaireResponse, ValueSet), imported on first use. Eager, they cost every CLI
    command 155-180 ms under ``python -X importtime``; whole process, ``policy-tools
    --version`` 0.61-0.64 s eager vs 0.40-0.50 s lazy (min of 7 runs, the shared 2-core
    machine). Only ``export`` and serve's try-a-case need them
    (``tests/test_architecture.py``, LAZY_IMPORTS)."""
    from fhir.resources.R4B import (  # lazy: measured above
        bundle,
        questionnaireresponse,
        valueset,
    )
    from fhir.resources.R4B import questionnaire as questionnaire_model

    models: dict[str, Any] = {
        "Bundle": bundle.Bundle,
        "Questionnaire": questionnaire_model.Questionnaire,
        "QuestionnaireResponse": questionnaireresponse.QuestionnaireResponse,
        "ValueSet": valueset.ValueSet,
    }
    return models[name]


def _valid(kind: str, data: dict[str, Any], what: str) -> str:
    try:
        fhir_model(kind).model_validate(data)
    except ValidationError as err:  # a bug of ours, never the user's: say exactly what
        first = err.errors()[0]
        raise PolicyToolsError(
            f"{what} export is not valid FHIR: {first['loc']}: {first['msg']}"
        ) from err
    return dumps(data)


# --------------------------------------------------------------------------- items


def _first_of_branch(data: Mapping[str, Any]) -> dict[str, str]:
    """Criterion id -> the id of the first criterion of its AND branch (only for criteria
    printed once, whose branch opens with a yes/no criterion printed once)."""
    once = {cid for cid, crit in data["criteria"].items() if len(crit["paths"]) == 1}
    boolean = {cid for cid in once if not data["criteria"][cid]["cond"]}
    out: dict[str, str] = {}

    def walk(node: Mapping[str, Any] | None) -> None:
        if node is None or "id" in node:
            return
        items = node["items"]
        first = items[0] if items else None
        if node["op"] == "AND" and first is not None and first.get("id") in boolean:
            for item in items[1:]:
                if item.get("id") in once:
                    out[item["id"]] = first["id"]
        for item in items:
            walk(item)

    for ind in data["indications"]:
        walk(ind.get("initial"))
        walk(ind.get("continuation"))
    walk(data.get("not_covered"))
    return out


def _answer_type(cond: Mapping[str, Any]) -> dict[str, Any]:
    fact = cond["fact"]
    if cond["op"] in (">=", ">", "<=", "<", "==", "between"):
        return {"type": "integer" if fact in _INTEGER_FACTS else "decimal"}
    if cond.get("table"):  # any code may be answered; the value set says which count
        return {"type": "open-choice", "repeats": True}
    options = [{"valueCoding": {"code": v, "display": v}} for v in cond.get("values", ())]
    options.append({"valueCoding": {"code": OTHER, "display": "none of these"}})
    kind = {"type": "choice", "answerOption": options}
    return {**kind, "repeats": True} if cond["op"] == "count_in" else kind


def _item(
    cid: str, crit: Mapping[str, Any], data: Mapping[str, Any], enabler: str | None
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "linkId": cid,
        **({"text": crit["text"]} if crit["text"].strip() else {}),
        "extension": [{"url": PAGE_EXT, "valueInteger": crit["page"]}],
        "type": "boolean",
    }
    label = crit["label"].rsplit(".", 1)[-1]
    if label and not label.isdigit():
        item["prefix"] = label
    cond = crit.get("cond")
    if cond:
        item.update(_answer_type(cond))
        item["code"] = [{"system": FACT_SYSTEM, "code": cond["fact"], "display": cond["fact"]}]
        if cond.get("table"):
            item["answerValueSet"] = canonical("ValueSet", data, slug(cond["table"]))
    if enabler is not None:
        item["enableWhen"] = [
            {"question": enabler, "operator": "exists", "answerBoolean": False},
            {"question": enabler, "operator": "=", "answerBoolean": True},
        ]
        item["enableBehavior"] = "any"
    return item


def _groups(data: Mapping[str, Any]) -> Iterator[tuple[str, str, Mapping[str, Any] | None]]:
    many = len(data["indications"]) > 1
    for k, ind in enumerate(data["indications"]):
        for tree in ("initial", "continuation"):
            if ind.get(tree) is not None:
                title = f"{_TREE_TITLES[tree]}: {ind['name']}" if many else _TREE_TITLES[tree]
                yield f"{k}:{tree}", title, ind[tree]
    yield (
        "not_covered",
        "Not covered (exclusions that apply to the whole policy)",
        data.get("not_covered"),
    )


def _ids(node: Mapping[str, Any] | None) -> Iterator[str]:
    if node is None:
        return
    if "id" in node:
        yield node["id"]
        return
    for item in node["items"]:
        yield from _ids(item)


def questionnaire(data: Mapping[str, Any], title: str | None) -> str:
    """The Questionnaire of a revision (module doc), validated."""
    enablers = _first_of_branch(data)
    seen: set[str] = set()
    groups = []
    for link, text, node in _groups(data):
        items = []
        for cid in dict.fromkeys(_ids(node)):
            if cid in seen:
                continue
            seen.add(cid)
            items.append(_item(cid, data["criteria"][cid], data, enablers.get(cid)))
        if items:
            groups.append({"linkId": link, "text": text, "type": "group", "item": items})
    resource: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": slug(f"{data.get('number')}-{data.get('effective_date')}"),
        "url": canonical("Questionnaire", data),
        "version": data.get("effective_date") or "undated",
        "name": re.sub(r"[^A-Za-z0-9]", "", f"Criteria{slug(data.get('number')).title()}")[:255],
        "status": "active",
        "subjectType": ["Patient"],
        "extension": [{"url": CQF_LIBRARY, "valueCanonical": canonical("Library", data)}],
        "item": groups,
    }
    if title:
        resource["title"] = title
    if data.get("effective_date"):
        resource["effectivePeriod"] = {"start": data["effective_date"]}
    return _valid("Questionnaire", resource, "Questionnaire")


# ------------------------------------------------------------------------ value sets


@lru_cache(maxsize=1)
def icd10cm_release() -> str:
    """The ICD-10-CM release simple-icd-10-cm ships (its tabular file: 'April-1-2026')."""
    names = [p.name for p in resources.files("simple_icd_10_cm").joinpath("data").iterdir()]
    found = sorted(m.group(1) for n in names if (m := re.match(r"icd10c-tabular-(.+)\.xml$", n)))
    if not found:
        raise PolicyToolsError("simple-icd-10-cm ships no ICD-10-CM tabular file")
    return found[-1]


def _concepts(doc: PolicyDocument, system: str) -> list[dict[str, str]]:
    described = {c.code: c.description for c in doc.codes if c.system == system}
    codes = {
        c
        for code in doc.codes
        if code.system == system
        for c in check_code(system, code.code).billable
    }
    out = []
    for code in sorted(codes):
        display = icd_description(code) if system == "ICD-10-CM" else described.get(code)
        out.append({"code": code, **({"display": display} if display else {})})
    return out


def valuesets(doc: PolicyDocument, data: Mapping[str, Any]) -> str:
    """A Bundle (collection) of one ValueSet per code table the policy prints."""
    entries = []
    for system in sorted({c.system for c in doc.codes}):
        include: dict[str, Any] = {
            "system": CODE_SYSTEMS[system],
            "concept": _concepts(doc, system),
        }
        if system == "ICD-10-CM":
            include["version"] = icd10cm_release()
        if not include["concept"]:
            continue
        resource: dict[str, Any] = {
            "resourceType": "ValueSet",
            "id": slug(f"{data.get('number')}-{data.get('effective_date')}-{system}"),
            "url": canonical("ValueSet", data, slug(system)),
            "version": data.get("effective_date") or "undated",
            "name": re.sub(r"[^A-Za-z0-9]", "", f"Codes{slug(data.get('number')).title()}{system}"),
            "title": f"{system} codes of policy {data.get('number') or '(no number)'}",
            "status": "active",
            "compose": {"include": [include]},
        }
        if data.get("effective_date"):
            period = {"url": EFFECTIVE_PERIOD, "valuePeriod": {"start": data["effective_date"]}}
            resource["extension"] = [period]
        _valid("ValueSet", resource, "ValueSet")
        entries.append({"fullUrl": resource["url"], "resource": resource})
    bundle = {
        "resourceType": "Bundle",
        "id": slug(f"{data.get('number')}-{data.get('effective_date')}-valuesets"),
        "type": "collection",
        "entry": entries,
    }
    return _valid("Bundle", bundle, "ValueSet bundle")


# -------------------------------------------------------------- response -> decision


def _answer_value(item_answer: Mapping[str, Any]) -> Any:
    for key in ("valueBoolean", "valueInteger", "valueDecimal", "valueString"):
        if key in item_answer:
            return item_answer[key]
    if "valueCoding" in item_answer:
        return item_answer["valueCoding"].get("code")
    raise PolicyToolsError(f"QuestionnaireResponse: unsupported answer {sorted(item_answer)}")


def _answered(items: list[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    for item in items:
        if item.get("answer"):
            yield item
        yield from _answered(list(item.get("item", [])))


def response_facts(policy: Policy, response: Mapping[str, Any]) -> dict[str, Any]:
    """The facts a QuestionnaireResponse answers (typed items give their fact keys; for a
    list, the answer "none of these" is the empty list)."""
    fhir_model("QuestionnaireResponse").model_validate(response)
    facts: dict[str, Any] = {}
    for item in _answered(list(response.get("item", []))):
        cid = item["linkId"]
        crit = policy.criteria.get(cid)
        if crit is None:
            raise PolicyToolsError(f"QuestionnaireResponse: unknown item {cid!r}")
        values = [_answer_value(a) for a in item["answer"]]
        if crit.cond is None:
            facts[cid] = values[0]
            continue
        listed = policy.fact_types.get(crit.cond.fact) == "list"
        value = [v for v in values if v != OTHER] if listed else values[0]
        if crit.cond.fact in facts and facts[crit.cond.fact] != value:
            raise PolicyToolsError(f"QuestionnaireResponse: two answers for {crit.cond.fact!r}")
        facts[crit.cond.fact] = value
    return facts


def decision_from_response(
    policy: Policy, response: Mapping[str, Any], tree: str, indication: int | None
) -> Decision:
    """The decision the answers of a QuestionnaireResponse give."""
    return decide(policy, tree, response_facts(policy, response), indication)
