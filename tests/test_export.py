"""Exports: FHIR R4 Questionnaire and ValueSets (validated with fhir.resources R4B), CQL and
ELM (the ELM executed with the npm package cql-execution on Node), and test vectors.

One truth, four engines: for every revision that has criteria (the canonical pair and
every corpus file whose criteria were read), the same vectors are decided by the decision
engine (their expected outcome), the generated Python module loaded by path, the ELM in
cql-execution and the Questionnaire (answers in a QuestionnaireResponse -> decision
adapter); all four must agree on every vector.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import CORPUS, GOLDEN_DIR, ROOT
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from fhir.resources.R4B.valueset import ValueSet
from test_codegen import HOSTILE, hostile_doc, load_by_path

from policy_tools.cli import cli
from policy_tools.codegen.compile import compile_policy
from policy_tools.codegen.outcomes import outcome_report
from policy_tools.export import export_document
from policy_tools.export.fhir import OTHER, decision_from_response, icd10cm_release
from policy_tools.export.vectors import Witness
from policy_tools.model.policy import PolicyDocument
from policy_tools.render.module import generate_module
from policy_tools.store.refs import load_revision

STORE = ROOT / "extracted"
NEW_REF = "MP-RX-FP-171-25@2026-05-06"
JS = ROOT / "tests" / "js"
RUNNER = JS / "run_elm.js"


def node_ready() -> None:
    """cql-execution is installed by `make test` (npm ci in tests/js); CI must have it."""
    if shutil.which("node") and (JS / "node_modules" / "cql-execution").is_dir():
        return
    message = "node and tests/js/node_modules/cql-execution are needed (run `make node`)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def run_elm(elm: str, vectors: str, tmp: Path) -> list[str]:
    node_ready()
    (tmp / "lib.elm.json").write_text(elm, encoding="utf-8")
    (tmp / "vectors.json").write_text(vectors, encoding="utf-8")
    done = subprocess.run(
        ["node", str(RUNNER), str(tmp / "lib.elm.json"), str(tmp / "vectors.json")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    outcomes: list[str] = json.loads(done.stdout)
    return outcomes


# ------------------------------------------------------------ questionnaire adapter


def _enabled(item: dict[str, Any], answers: dict[str, Any]) -> bool:
    """A form's view of enableWhen (the operators this export uses)."""
    conds = item.get("enableWhen")
    if not conds:
        return True
    results = []
    for c in conds:
        given = answers.get(c["question"])
        if c["operator"] == "exists":
            results.append((given is not None) == c["answerBoolean"])
        else:
            results.append(given == c["answerBoolean"])
    return any(results) if item.get("enableBehavior") == "any" else all(results)


def _answer(item: dict[str, Any], value: Any) -> list[dict[str, Any]]:
    kind = item["type"]
    if kind == "boolean":
        return [{"valueBoolean": value}]
    if kind == "integer":
        assert float(value).is_integer(), (item["linkId"], value)
        return [{"valueInteger": int(value)}]
    if kind == "decimal":
        return [{"valueDecimal": value}]
    values = value if item.get("repeats") else [value]
    return [{"valueCoding": {"code": v}} for v in values or [OTHER]]  # []: "none of these"


def response_for(questionnaire: dict[str, Any], facts: dict[str, Any]) -> dict[str, Any]:
    """The QuestionnaireResponse a person fills in with ``facts`` (disabled items empty)."""
    answers: dict[str, Any] = {}
    groups = []
    for group in questionnaire["item"]:
        items = []
        for item in group["item"]:
            key = item["code"][0]["code"] if item.get("code") else item["linkId"]
            value = facts.get(key)
            if value is None or not _enabled(item, answers):
                continue
            answers[item["linkId"]] = value
            items.append({"linkId": item["linkId"], "answer": _answer(item, value)})
        if items:
            groups.append({"linkId": group["linkId"], "item": items})
    response = {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "questionnaire": questionnaire["url"],
        "item": groups,
    }
    QuestionnaireResponse.model_validate(response)
    return response


# ------------------------------------------------------------------- the revisions


def _manifest() -> list[str]:
    path = CORPUS / "MANIFEST.tsv"
    if not path.exists():
        return []
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return [r["file"] for r in rows if not r["file"].startswith("tenncare_")]


def golden(date: str) -> PolicyDocument:
    return load_revision(str(GOLDEN_DIR / f"{date}.json"))


def witnesses_of(doc: PolicyDocument, others: list[PolicyDocument]) -> list[Witness]:
    """The witness cases of outcomes against the other revisions of the same policy."""
    out: list[Witness] = []
    for other in others:
        if other.policy.effective_date == doc.policy.effective_date:
            continue
        older = (other.policy.effective_date or "") < (doc.policy.effective_date or "")
        report = outcome_report(other, doc) if older else outcome_report(doc, other)
        for ch in report.changes:
            case, k = (ch.new_case, ch.new_index) if older else (ch.old_case, ch.old_index)
            out.append((f"{report.old}->{report.new} {ch.direction}", ch.tree, k, case))
    return out


def four_engines(doc: PolicyDocument, witnesses: list[Witness], tmp: Path) -> int:
    """Run the vectors of ``doc`` through every engine; returns the number of vectors."""
    vectors_text = export_document(doc, "vectors", witnesses)
    vectors = json.loads(vectors_text)["vectors"]
    expected = [v["expected"]["outcome"] for v in vectors]
    module = load_by_path(generate_module(doc), tmp)
    call = {"initial": module.initial_approval, "continuation": module.continuation}

    def python(v: dict[str, Any]) -> str:
        if v["tree"] == "not_covered":
            return str(module.not_covered(v["facts"]).outcome)
        return str(call[v["tree"]](v["facts"], v["indication"]).outcome)

    assert [python(v) for v in vectors] == expected
    assert run_elm(export_document(doc, "elm"), vectors_text, tmp) == expected
    questionnaire = json.loads(export_document(doc, "fhir-questionnaire"))
    policy = compile_policy(doc)
    from_form = [
        decision_from_response(
            policy, response_for(questionnaire, v["facts"]), v["tree"], v["indication"]
        ).outcome
        for v in vectors
    ]
    assert from_form == expected
    return len(vectors)


def test_four_engines_agree_on_the_canonical_pair(tmp_path: Path) -> None:
    old, new = golden("2025-08-08"), golden("2026-05-06")
    counts = {}
    for doc, other in ((old, new), (new, old)):
        counts[doc.policy.effective_date] = four_engines(doc, witnesses_of(doc, [other]), tmp_path)
    print(f"\nvectors per revision: {counts}")
    assert all(n >= 20 for n in counts.values())


def readable_corpus(corpus_doc: Callable[[str], PolicyDocument]) -> Iterator[list[PolicyDocument]]:
    """Corpus revisions with criteria, grouped by policy number."""
    by_policy: dict[str, list[PolicyDocument]] = {}
    for name in _manifest():
        doc = corpus_doc(name)
        if doc.criteria.readable:
            by_policy.setdefault(doc.policy.series or doc.policy.number or name, []).append(doc)
    yield from by_policy.values()


def test_four_engines_agree_on_every_corpus_revision_with_criteria(
    corpus_doc: Callable[[str], PolicyDocument], tmp_path: Path
) -> None:
    counts: dict[str, int] = {}
    for revisions in readable_corpus(corpus_doc):
        for doc in revisions:
            label = f"{doc.source.path}"
            counts[label] = four_engines(doc, witnesses_of(doc, revisions), tmp_path)
    print("\nvectors per corpus revision:")
    for label, n in sorted(counts.items()):
        print(f"  {label}: {n}")
    assert counts  # the corpus has revisions with criteria


# ----------------------------------------------------------------------------- FHIR


def test_questionnaire_asks_every_criterion_as_printed() -> None:
    doc = golden("2026-05-06")
    text = export_document(doc, "fhir-questionnaire")
    q = Questionnaire.model_validate_json(text)
    data = json.loads(text)
    policy = compile_policy(doc)
    items = [i for g in data["item"] for i in g["item"]]
    assert sorted(i["linkId"] for i in items) == sorted(policy.criteria)
    for item in items:
        crit = policy.criteria[item["linkId"]]
        assert item["text"] == crit.text
        assert item["extension"][0]["valueInteger"] == crit.page
    age = next(i for i in items if i["text"] == "Use in individuals younger than 18 years of age")
    assert (age["type"], age["code"][0]["code"]) == ("integer", "age_years")
    status = next(i for i in items if i["text"].startswith("Individual has performance status"))
    assert status["type"] == "decimal"

    # a brain-metastasis branch: "single-agent" is printed twice (always asked); the
    # first ES-SCLC criterion opens its branch, so the next ones wait for it
    def starting(text: str) -> dict[str, Any]:
        return next(i for i in items if i["text"].startswith(text))

    progression = starting("Individual has experienced disease progression")
    assert progression["enableBehavior"] == "any"
    opener = starting("Individual has a diagnosis of extensive stage")["linkId"]
    assert {(w["question"], w["operator"]) for w in progression["enableWhen"]} == {
        (opener, "exists"),
        (opener, "="),
    }
    assert "enableWhen" not in starting("Requested use is as single-agent treatment")
    assert [g["linkId"] for g in data["item"]] == ["0:initial", "0:continuation", "not_covered"]
    assert q.url and q.status == "active" and str(q.effectivePeriod.start) == "2026-05-06"


def test_valuesets_per_code_table() -> None:
    text = export_document(golden("2026-05-06"), "fhir-valueset")
    bundle = Bundle.model_validate_json(text)
    data = json.loads(text)
    assert bundle.type == "collection"
    sets = {}
    for entry in data["entry"]:
        ValueSet.model_validate(entry["resource"])
        include = entry["resource"]["compose"]["include"][0]
        sets[include["system"]] = include
        period = entry["resource"]["extension"][0]["valuePeriod"]
        assert period == {"start": "2026-05-06"}
    icd = sets["http://hl7.org/fhir/sid/icd-10-cm"]
    codes = {c["code"] for c in icd["concept"]}
    # p. 5: C7A.1, C33, C34.00-C34.92, C79.31 (billable codes of the range)
    assert {"C7A.1", "C33", "C34.00", "C34.90", "C34.92", "C79.31"} <= codes
    assert "C34.9" not in codes and "C35" not in codes
    assert icd["version"] == icd10cm_release() == "April-1-2026"
    hcpcs = sets["http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"]
    assert [c["code"] for c in hcpcs["concept"]] == ["J9026"]


# --------------------------------------------------------------- CQL, ELM, hygiene


_CQL_STRING = re.compile(r"'(?:[^'\\]|\\.)*'")


def cql_unescape(literal: str) -> str:
    body = literal[1:-1]
    out = re.sub(r"\\u([0-9a-f]{4})", lambda m: chr(int(m.group(1), 16)), body)
    out = out.encode("utf-16", "surrogatepass").decode("utf-16")
    return re.sub(r"\\(['\\])", r"\1", out)


def test_pdf_text_cannot_inject_code_into_cql_or_elm(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    doc = hostile_doc(marker)
    cql = export_document(doc, "cql")
    assert cql.isascii() and "\r" not in cql
    outside = _CQL_STRING.sub("''", cql)
    for fragment in ("__import__", "open(", "pwned", '"""', "'''", "system("):
        assert fragment not in outside, fragment
    # outside string literals, only identifiers made of [a-z0-9_:-] are quoted
    quoted = re.findall(r'"([^"]*)"', outside)
    assert quoted and all(re.fullmatch(r"[a-z0-9_:-]+", q) for q in quoted)
    literals = {
        line: cql_unescape(nxt.strip())
        for line, nxt in zip(cql.splitlines(), cql.splitlines()[1:], strict=False)
        if line.startswith('define "text:')
    }
    policy = compile_policy(doc)
    assert sorted(literals.values()) == sorted(c.text for c in policy.criteria.values())
    assert set(HOSTILE) <= set(literals.values())
    elm = json.loads(export_document(doc, "elm"))
    texts = {
        d["expression"]["value"]
        for d in elm["library"]["statements"]["def"]
        if d["name"].startswith("text:")
    }
    assert texts == {c.text for c in policy.criteria.values()}
    # and it still decides as the module does
    assert four_engines(doc, [], tmp_path) > 0
    assert not marker.exists()


@pytest.mark.parametrize("fmt", ["fhir-questionnaire", "fhir-valueset", "cql", "elm", "vectors"])
def test_exports_are_byte_identical_on_rerun(fmt: str, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / f"export.{fmt}"
    first = runner.invoke(
        cli, ["export", NEW_REF, "--format", fmt, "--store", str(STORE), "-o", str(out)]
    )
    assert first.exit_code == 0, first.output
    again = subprocess.run(
        [
            sys.executable,
            "-m",
            "policy_tools.cli",
            "export",
            NEW_REF,
            "--format",
            fmt,
            "--store",
            str(STORE),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "7"},
        check=True,
    ).stdout
    assert again == out.read_text(encoding="utf-8")


def test_vectors_hold_the_cases_the_issue_names() -> None:
    result = CliRunner().invoke(
        cli, ["export", NEW_REF, "--format", "vectors", "--store", str(STORE)]
    )
    assert result.exit_code == 0
    vectors = json.loads(result.stdout)["vectors"]
    outcomes = {v["expected"]["outcome"] for v in vectors}
    assert outcomes == {"approved", "denied", "undetermined"}
    ages = {v["facts"].get("age_years") for v in vectors}
    assert {17, 18} <= ages  # the boundary of "younger than 18 years of age"
    minors = [v for v in vectors if v["facts"].get("age_years") == 17]
    assert minors and all(v["expected"]["outcome"] == "denied" for v in minors)
    witnesses = [v for v in vectors if v["name"].startswith("outcomes witness:")]
    assert len(witnesses) == len(outcome_report(golden("2025-08-08"), golden("2026-05-06")).changes)


def test_export_refuses_unreadable_criteria_and_unknown_formats(tmp_path: Path) -> None:
    from policy_tools.model.policy import Source

    empty = PolicyDocument(
        source=Source(path="x.pdf", sha256="5" * 64, format="pdf", pages=1, extractor_version="1")
    )
    path = tmp_path / "empty.json"
    path.write_text(empty.model_dump_json(), encoding="utf-8")
    out = tmp_path / "never.json"
    result = CliRunner().invoke(cli, ["export", str(path), "--format", "cql", "-o", str(out)])
    assert result.exit_code == 2 and "criteria could not be read" in result.stderr
    assert not out.exists()
    bad = CliRunner().invoke(cli, ["export", NEW_REF, "--format", "pdf", "--store", str(STORE)])
    assert bad.exit_code == 2


def test_four_engines_agree_on_every_typed_shape(tmp_path: Path) -> None:
    """Shapes the corpus does not print yet (a code table, "tried and failed", a duration,
    an N-of-M group) in a hand-built revision with two indications and exclusions."""
    from policy_tools.extract.assemble.conditions import parse_condition
    from policy_tools.model.policy import (
        Code,
        Criteria,
        Indication,
        Leaf,
        Node,
        PolicyMeta,
        Source,
    )

    codes = [
        Code(system="ICD-10-CM", code="L40.0-L40.4", first="L40.0", last="L40.4", page=5),
        Code(system="HCPCS", code="J1745", first="J1745", last="J1745", page=5),
    ]

    def typed(text: str) -> Leaf:
        return Leaf(text=text, page=2, condition=parse_condition(text, codes))

    psoriasis = Node(
        op="AND",
        items=[
            typed("Patient is 18 years of age or older"),
            typed("Diagnosis is listed in the ICD-10 code table below"),
            typed("Prescribed by or in consultation with a dermatologist"),
            Node(
                op="N_OF",
                n=2,
                items=[
                    typed(
                        "Patient has tried and failed two of the following: methotrexate, "
                        "cyclosporine, acitretin"
                    ),
                    Leaf(text="Body surface area involvement of at least 10%", page=2),
                    Leaf(text="Disease affects hands, feet or genitals", page=2),
                ],
            ),
        ],
    )
    renewal = Node(
        op="AND",
        items=[typed("at least 3 months of therapy"), Leaf(text="Documented response", page=3)],
    )
    crohns = Node(
        op="AND",
        items=[
            Leaf(text="Diagnosis of Crohn's disease", page=3),
            typed("Patient is between 6 and 17 years of age"),
        ],
    )
    doc = PolicyDocument(
        source=Source(
            path="typed.pdf", sha256="6" * 64, format="pdf", pages=5, extractor_version="1"
        ),
        policy=PolicyMeta(number="T-9", name="Typed shapes", effective_date="2026-03-01"),
        criteria=Criteria(
            indications=[
                Indication(name="Plaque psoriasis", initial=psoriasis, continuation=renewal),
                Indication(name="Pediatric Crohn's disease", initial=crohns),
            ],
            not_covered=Node(
                op="OR",
                items=[
                    Leaf(text="Use with another biologic", page=4),
                    typed("Use in patients younger than 6 years"),
                ],
            ),
        ),
        codes=codes,
    )
    assert all(
        leaf.condition is not None
        for leaf in (*psoriasis.items[:3], psoriasis.items[3].items[0], renewal.items[0])
    )
    assert four_engines(doc, [], tmp_path) > 40
    q = json.loads(export_document(doc, "fhir-questionnaire"))
    kinds = {i["code"][0]["code"]: i["type"] for g in q["item"] for i in g["item"] if "code" in i}
    assert kinds == {
        "age_years": "integer",
        "diagnoses": "open-choice",
        "prescriber_specialty": "choice",
        "drugs_tried_failed": "choice",
        "months_on_therapy": "integer",
    }
    bundle = json.loads(export_document(doc, "fhir-valueset"))
    icd = bundle["entry"][1]["resource"]["compose"]["include"][0]
    assert [c["code"] for c in icd["concept"]] == ["L40.0", "L40.1", "L40.2", "L40.3", "L40.4"]
