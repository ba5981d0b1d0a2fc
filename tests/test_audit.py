"""Audit of the policy-history summary against the changes found."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import single
from test_diff import AND, NEW_JSON, OLD_JSON, crit, leaf, load_golden, make_doc

from policy_tools.cli import cli
from policy_tools.compare import diff_documents
from policy_tools.compare.audit import audit_documents, map_claim, split_claims
from policy_tools.model.policy import (
    Authorization,
    Code,
    HistoryEntry,
    PolicyMeta,
    Reference,
)

INCEPTION = HistoryEntry(
    review_type="Policy Inception",
    summary="MMM Developed Medical Policy.",
    pt_approval_date="2025-07-17",
    um_approval_date="2025-08-08",
    page=4,
)


def row(summary: str) -> HistoryEntry:
    return HistoryEntry(
        review_type="Annual Review",
        summary=summary,
        pt_approval_date="2026-05-01",
        um_approval_date="2026-05-06",
        page=7,
    )


def icd(c: str) -> Code:
    return Code(system="ICD-10-CM", code=c, first=c, last=c, description="x", page=5)


def test_split_claims_of_the_2026_summary() -> None:
    claims = split_claims(load_golden()[1].history[0].summary)
    assert len(claims) == 8
    assert claims[0].startswith("Updated the policy to align")
    assert claims[1].startswith("expanding initial approval criteria")
    assert claims[5] == "Coding Review: added ICD10 codes C7A.1 and C79.31"
    assert claims[6] == "Updated references accordingly"
    assert claims[7].startswith("Completed an administrative adaptation")


@pytest.mark.parametrize(
    ("claim", "section"),
    [
        (
            "updating continuation criteria to require ongoing clinical benefit",
            "criteria.continuation",
        ),
        ("refining conditions not covered to exclude non-supported uses", "criteria.not_covered"),
        ("revising the dosing and monitoring section", "dosing.*"),
        ("Updated references accordingly", "references"),
        ("expanding initial approval criteria", "criteria.initial"),
        ("revising the background to reflect traditional FDA approval", "sections.*background*"),
        ("Added a definition of progressive disease", "definitions"),
        ("Changed the initial approval duration to 12 months", "criteria.authorization"),
    ],
)
def test_map_claim_sections(claim: str, section: str) -> None:
    sections, _ = map_claim(claim)
    assert section in sections


def test_map_claim_codes_and_format() -> None:
    sections, codes = map_claim("Coding Review: added ICD10 codes C7A.1 and C79.31")
    assert codes == ["C7A.1", "C79.31"] and "codes" in sections
    assert map_claim("Completed an administrative adaptation to the new policy format/template")[
        0
    ] == ["format"]
    # "information" must not read as "format"
    assert "format" not in map_claim("align with the current prescribing information")[0]


def test_canonical_audit_figures() -> None:
    cs = diff_documents(*load_golden())
    a = cs.audit
    assert a.history_summary is not None and a.history_summary.startswith("Updated the policy")
    assert [c.id for c in a.claims] == [f"K{k:02d}" for k in range(1, 9)]
    assert sorted(u.section for u in a.undocumented) == ["criteria.authorization", "definitions"]
    assert a.unsupported_claims == []
    fmt = a.claims[7]
    assert fmt.kind == "format" and any(i.startswith("F") for i in fmt.change_ids)
    # every content change but the two undocumented ones is cited by some claim
    cited = {i for c in a.claims for i in c.change_ids}
    exempt = {
        c.id
        for c in cs.changes
        if c.section == "history" or c.detail == "date" or c.kind == "renumbered"
    }
    undocumented = {i for u in a.undocumented for i in u.change_ids}
    assert {c.id for c in cs.changes} - cited - exempt == undocumented


def test_unsupported_code_claim_and_undocumented_section() -> None:
    old = make_doc(
        codes=[icd("C33")],
        history=[INCEPTION],
        criteria=single(authorization=Authorization(initial_months=6)),
    )
    new = make_doc(
        codes=[icd("C33"), icd("C79.31")],
        history=[row("Coding Review: added ICD10 codes C7A.1 and C79.31."), INCEPTION],
        criteria=single(authorization=Authorization(initial_months=12)),
    )
    cs = diff_documents(old, new)
    a = cs.audit
    assert len(a.claims) == 1 and a.claims[0].codes == ["C7A.1", "C79.31"]
    assert [(u.claim_id, u.message) for u in a.unsupported_claims] == [
        ("K01", "C7A.1 is not among the added codes")
    ]
    assert [u.section for u in a.undocumented] == ["criteria.authorization"]
    assert "Initial authorization duration: 6 -> 12 months" in a.undocumented[0].message


def test_claimed_section_without_change_is_unsupported() -> None:
    refs = [Reference(label="1.", text="Package insert, 2024.", page=3)]
    old = make_doc(
        references=refs, history=[INCEPTION], criteria=crit(AND(leaf("i.", "Has diagnosis X")))
    )
    new = make_doc(
        references=refs,
        history=[row("Updated references; updating continuation criteria."), INCEPTION],
        criteria=crit(AND(leaf("i.", "Has diagnosis Y"))),
    )
    a = diff_documents(old, new).audit
    assert [u.claim for u in a.unsupported_claims] == [
        "Updated references",
        "updating continuation criteria",
    ]
    assert a.unsupported_claims[0].message == "no change found that matches it in references"
    assert [u.section for u in a.undocumented] == ["criteria.initial"]


def test_no_change_claim_and_format_claim_without_format_change() -> None:
    old = make_doc(history=[INCEPTION])
    new = make_doc(
        history=[row("Miscellaneous updates; no changes. Updated to the new template."), INCEPTION]
    )
    a = diff_documents(old, new).audit
    kinds = [c.kind for c in a.claims]
    assert kinds == ["unmapped", "no_change", "format"]
    # "Miscellaneous updates" names nothing: unmapped, apart, never a false claim; the
    # template claim has no layout difference
    assert [u.claim_id for u in a.unmapped] == ["K01"]
    assert [u.claim_id for u in a.unsupported_claims] == ["K03"]
    assert a.undocumented == []


def test_no_change_claim_contradicted() -> None:
    old = make_doc(history=[INCEPTION], criteria=crit(AND(leaf("i.", "Has diagnosis X"))))
    new = make_doc(
        history=[row("Annual review, no changes to policy."), INCEPTION],
        criteria=crit(AND(leaf("i.", "Has diagnosis Y"))),
    )
    a = diff_documents(old, new).audit
    assert len(a.unsupported_claims) == 1
    assert "says nothing changed, but 1 content change(s)" in a.unsupported_claims[0].message


def test_no_new_history_row_makes_every_change_undocumented() -> None:
    old = make_doc(history=[INCEPTION], criteria=crit(AND(leaf("i.", "Has diagnosis X"))))
    new = make_doc(
        history=[INCEPTION],
        criteria=crit(AND(leaf("i.", "Has diagnosis Y"))),
        policy=PolicyMeta(number="P-1", effective_date="2026-01-01"),
    )
    cs = diff_documents(old, new)
    assert cs.audit.history_summary is None and cs.audit.claims == []
    assert [u.section for u in cs.audit.undocumented] == ["criteria.initial"]  # dates exempt
    assert "no new policy-history row" in cs.audit.undocumented[0].message


def test_audit_documents_direct_call_without_format_changes() -> None:
    old = make_doc(history=[INCEPTION])
    new = make_doc(
        history=[row("Completed an administrative adaptation to the new template."), INCEPTION],
        policy=PolicyMeta(number="P-1", title="Utilization Management Policy"),
    )
    a = audit_documents(old, new, [])
    assert a.unsupported_claims == []  # the document title differs: a layout change exists


def test_audit_cli_and_view(tmp_path: Path) -> None:
    load_golden()
    runner = CliRunner()
    res = runner.invoke(cli, ["audit", str(OLD_JSON), str(NEW_JSON)])
    assert res.exit_code == 1, res.output
    assert "Undocumented changes (2):" in res.output
    assert "criteria.authorization" in res.output and "definitions" in res.output
    same = runner.invoke(cli, ["audit", str(NEW_JSON), str(NEW_JSON)])
    assert same.exit_code == 0 and "No new policy-history row" in same.output
    res_json = runner.invoke(cli, ["audit", str(OLD_JSON), str(NEW_JSON), "--format", "json"])
    data = json.loads(res_json.output)
    assert res_json.exit_code == 1 and set(data) == {"schema_version", "from", "to", "audit"}
    assert len(data["audit"]["claims"]) == 8
    missing = runner.invoke(cli, ["audit", str(tmp_path / "a.json"), str(NEW_JSON)])
    assert missing.exit_code == 2 and "a.json" in missing.output


def test_review_event_is_not_an_unsupported_claim() -> None:
    old = make_doc(history=[INCEPTION])
    new = make_doc(history=[row("Annual review."), INCEPTION])
    a = diff_documents(old, new).audit
    assert [(c.kind, c.text) for c in a.claims] == [("review", "Annual review")]
    assert a.unsupported_claims == [] and a.undocumented == []
