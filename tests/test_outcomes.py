"""Outcome changes compare combined decisions (an indication's criteria AND no exclusion).

The MMM expectations are read off the two canonical PDFs: 2025 p. 2 asks "18 years of
age or older" in section A; 2026 p. 3 moves it to section D ("Use in individuals younger
than 18 years of age"), adds the two brain-metastasis branches (p. 2) and requires the
ES-SCLC use to be "subsequent systemic therapy as a single agent"; four 2025 exclusions
are reworded in 2026 (first-line, limited-stage, combination, other malignancies).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import GOLDEN_DIR, ROOT, single

from policy_tools.cli import cli
from policy_tools.codegen.compile import compile_policy, criterion_id
from policy_tools.codegen.outcomes import OutcomeChange, outcome_report
from policy_tools.codegen.runtime import decide
from policy_tools.errors import PolicyToolsError
from policy_tools.extract.assemble.conditions import parse_condition
from policy_tools.model.policy import Leaf, Node, PolicyDocument, PolicyMeta, Source
from policy_tools.store.refs import load_revision

STORE = ROOT / "extracted"
OLD_REF = "MP-RX-FP-171-25@2025-08-08"
NEW_REF = "MP-RX-FP-171-25@2026-05-06"


@pytest.fixture(scope="module")
def docs() -> tuple[PolicyDocument, PolicyDocument]:
    return (
        load_revision(str(GOLDEN_DIR / "2025-08-08.json")),
        load_revision(str(GOLDEN_DIR / "2026-05-06.json")),
    )


def texts(deciding: tuple[object, ...]) -> list[str]:
    return [d.text for d in deciding]


def initial(changes: tuple[OutcomeChange, ...]) -> list[OutcomeChange]:
    return [c for c in changes if c.tree == "initial"]


def test_mmm_no_flip_for_the_age_condition(docs: tuple[PolicyDocument, PolicyDocument]) -> None:
    report = outcome_report(*docs)
    assert report.changes
    for change in report.changes:  # age may be a met criterion of a path, never what decides
        against = [d.text for d in (*change.old_deciding, *change.new_deciding) if d.role != "met"]
        assert not [t for t in against if "18 years" in t], change
        assert change.facts.get("age_years", 18) >= 18  # every witness is an adult


def test_mmm_flips_are_the_brain_metastasis_paths_and_the_single_agent_requirement(
    docs: tuple[PolicyDocument, PolicyDocument],
) -> None:
    report = outcome_report(*docs)
    found = initial(report.changes)
    approved = [c for c in found if c.direction == "newly approved"]
    denied = [c for c in found if c.direction == "newly denied"]
    # four new ways in, each decided on the new side by its met brain-metastasis branch
    assert sorted(tuple(texts(c.new_deciding)) for c in approved) == sorted(
        [
            (
                f"Individual has {size} brain metastases from small cell lung cancer (NCCN 2A)",
                "Requested use is as single-agent treatment",
                use,
            )
            for size, use in (
                (
                    "limited",
                    "Use is as initial treatment in select cases (e.g., small "
                    "asymptomatic brain metastases) for newly diagnosed or stable systemic disease "
                    "or if reasonable systemic treatment options exist",
                ),
                ("limited", "Use is for recurrent brain metastases"),
                (
                    "extensive",
                    "Use is as primary treatment in select cases (e.g., small "
                    "asymptomatic brain metastases)",
                ),
                (
                    "extensive",
                    "Use is for recurrent disease with stable systemic disease or "
                    "reasonable systemic treatment options.",
                ),
            )
        ]
    )
    for change in approved:  # each with a witness the old revision denies for ES-SCLC
        assert (change.old_outcome, change.new_outcome) == ("denied", "approved")
        assert change.facts["age_years"] >= 18
        assert all(d.role == "not met" for d in change.old_deciding)
        assert "extensive stage small cell" in " ".join(texts(change.old_deciding))
    # the single-agent requirement, and the new exclusion of unmet brain-metastasis criteria
    assert sorted(texts(c.new_deciding)[0] for c in denied) == [
        "Requested use is as subsequent systemic therapy as a single agent",
        "Use for brain metastases from small cell lung cancer that do not meet the "
        "NCCN-supported criteria for limited or extensive brain metastases described above",
    ]
    single_agent = next(c for c in denied if c.new_deciding[0].role == "not met")
    assert single_agent.old_outcome == "approved"
    assert "Individual is 18 years of age or older" in texts(single_agent.old_deciding)
    assert single_agent.new_deciding[0].page == 2
    assert [(a.field, a.old, a.new) for a in report.authorization] == [("initial_months", 6, 12)]


def test_mmm_reworded_exclusions_are_matched_by_content(
    docs: tuple[PolicyDocument, PolicyDocument],
) -> None:
    report = outcome_report(*docs)
    old, new = compile_policy(docs[0]), compile_policy(docs[1])
    pairs = {old.criteria[o].text: new.criteria[n].text for n, o in report.matched.items()}
    assert pairs == {
        "Use as first-line therapy for small cell lung cancer": (
            "Use as first-line systemic therapy for small cell lung cancer, except for the "
            "NCCN-supported select brain metastasis scenarios described in the Criteria for "
            "Initial Approval"
        ),
        "Use for limited-stage small cell lung cancer": (
            "Use for limited-stage small cell lung cancer without brain metastases"
        ),
        "Use in combination with other antineoplastic agents": (
            "Use in combination with other antineoplastic agents for small cell lung cancer"
        ),
        "Use for malignancies other than small cell lung cancer.": (
            "Use for malignancies other than small cell lung cancer or for any non-oncologic "
            "indication"
        ),
    }
    excluded = [d.text for c in report.changes for d in c.new_deciding if d.role == "excluded"]
    assert not [t for t in excluded if t in pairs.values()]


def test_witnesses_reproduce_their_decisions(docs: tuple[PolicyDocument, PolicyDocument]) -> None:
    old, new = compile_policy(docs[0]), compile_policy(docs[1])
    report = outcome_report(*docs)
    assert report.changes
    for change in report.changes:
        assert decide(old, change.tree, change.old_case, change.old_index).outcome == (
            change.old_outcome
        )
        assert decide(new, change.tree, change.new_case, change.new_index).outcome == (
            change.new_outcome
        )
    same = outcome_report(docs[1], docs[1])
    assert same.changes == () and same.authorization == () and same.exit_code == 0


# --- hand-built revisions -----------------------------------------------------------------


def doc(initial: list[str], excluded: list[str], date: str) -> PolicyDocument:
    def typed(text: str) -> Leaf:
        return Leaf(text=text, page=1, condition=parse_condition(text))

    return PolicyDocument(
        source=Source(
            path=f"{date}.pdf", sha256="3" * 64, format="pdf", pages=1, extractor_version="1"
        ),
        policy=PolicyMeta(number="T-2", effective_date=date),
        criteria=single(
            initial=Node(op="AND", items=[typed(t) for t in initial]),
            not_covered=Node(op="OR", items=[typed(t) for t in excluded]) if excluded else None,
        ),
    )


def test_age_moved_to_an_exclusion_is_no_outcome_change() -> None:
    before = doc(
        ["Patient is 18 years of age or older", "Diagnosis of psoriasis"], [], "2025-01-01"
    )
    after = doc(["Diagnosis of psoriasis"], ["Use in patients younger than 18 years"], "2026-01-01")
    report = outcome_report(before, after)
    assert report.changes == () and report.exit_code == 0
    lowered = doc(
        ["Diagnosis of psoriasis"], ["Use in patients younger than 12 years"], "2026-02-01"
    )
    flips = outcome_report(before, lowered).changes
    (flip,) = flips  # 12 to 17-year-olds: one kind of flip, one witness
    assert flip.direction == "newly approved" and 12 <= flip.facts["age_years"] < 18
    assert texts(flip.old_deciding) == ["Patient is 18 years of age or older"]


def test_a_reworded_exclusion_is_no_outcome_change_and_a_new_one_is() -> None:
    before = doc(
        ["Diagnosis of psoriasis"], ["Use in combination with another biologic"], "2025-01-01"
    )
    after = doc(
        ["Diagnosis of psoriasis"], ["Use in combination with another biologic agent"], "2026-01-01"
    )
    assert outcome_report(before, after).changes == ()
    added = doc(
        ["Diagnosis of psoriasis"],
        ["Use in combination with another biologic", "Use for pediatric plaque psoriasis"],
        "2026-01-01",
    )
    (flip,) = outcome_report(before, added).changes
    assert flip.direction == "newly denied"
    assert [(d.role, d.text) for d in flip.new_deciding] == [
        ("excluded", "Use for pediatric plaque psoriasis")
    ]
    assert flip.facts[criterion_id("Use for pediatric plaque psoriasis")] is True


def test_outcomes_refuse_unreadable_criteria(tmp_path: Path) -> None:
    empty = PolicyDocument(
        source=Source(path="x.pdf", sha256="4" * 64, format="pdf", pages=1, extractor_version="1"),
        policy=PolicyMeta(number="T-3", effective_date="2026-01-01"),
    )
    with pytest.raises(PolicyToolsError, match="criteria could not be read"):
        outcome_report(empty, empty)
    path = tmp_path / "empty.json"
    path.write_text(empty.model_dump_json(), encoding="utf-8")
    result = CliRunner().invoke(cli, ["outcomes", NEW_REF, str(path), "--store", str(STORE)])
    assert result.exit_code == 2
    assert "criteria could not be read" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_cli_outcomes_exit_codes_and_formats() -> None:
    runner = CliRunner()
    changed = runner.invoke(cli, ["outcomes", OLD_REF, NEW_REF, "--store", str(STORE)])
    assert changed.exit_code == 1, changed.output
    out = changed.stdout
    assert "Tarlatab-m-dlle (Imdelltra) / initial:" in out
    assert "newly approved" in out and "newly denied" in out
    assert "witness:" in out and "age_years = 18" in out
    assert "[not met] Requested use is as subsequent systemic therapy as a single agent" in out
    assert "authorization Tarlatab-m-dlle (Imdelltra) initial_months: 6 -> 12" in out
    as_json = runner.invoke(
        cli, ["outcomes", OLD_REF, NEW_REF, "--store", str(STORE), "--format", "json"]
    )
    assert as_json.exit_code == 1
    data = json.loads(as_json.stdout)
    assert {c["direction"] for c in data["changes"]} == {"newly approved", "newly denied"}
    assert all(c["new_deciding"] and c["old_deciding"] for c in data["changes"])
    same = runner.invoke(cli, ["outcomes", NEW_REF, NEW_REF, "--store", str(STORE)])
    assert same.exit_code == 0, same.output
    assert "No outcome changes." in same.stdout
