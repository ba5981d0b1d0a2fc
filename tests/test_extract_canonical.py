"""The two canonical revisions of MP-RX-FP-171-25 (Imdelltra) extract to what the PDFs say.

Every expected value below was read off the PDFs by eye (pdfplumber's extract_text /
extract_tables, page by page), not copied from the extractor's output. Text compares
"whitespace aside" (see extract_checks.norm: runs of white space collapse, and the
'; AND' / '; OR' connectors that the extractor turns into logic are not part of a text).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import GOLDEN_DIR, PDF_2025, PDF_2026, the
from extract_checks import (
    TOKEN,
    all_block_text,
    assert_valid,
    norm,
    page_problems,
    pdf_body_tokens,
    pdf_page_count,
    schema_errors,
)

from policy_tools import EXTRACTOR_VERSION, io
from policy_tools.extract import extract_file
from policy_tools.model.policy import Leaf, Node, PolicyDocument

GOLDEN_2025 = GOLDEN_DIR / "2025-08-08.json"
GOLDEN_2026 = GOLDEN_DIR / "2026-05-06.json"


@pytest.fixture(scope="module")
def doc25() -> PolicyDocument:
    return extract_file(PDF_2025)


@pytest.fixture(scope="module")
def doc26() -> PolicyDocument:
    return extract_file(PDF_2026)


# ----------------------------------------------------------------- helpers


def tree(node: Node | Leaf | None) -> Any:
    """Compact, comparable form: a leaf is (label, text, page); a node is a dict."""
    if node is None:
        return None
    if isinstance(node, Leaf):
        return (node.label, norm(node.text), node.page)
    return {
        "op": node.op,
        "label": node.label,
        "text": norm(node.text),
        "items": [tree(i) for i in node.items],
    }


def AND(*items: Any, label: str | None = None, text: str | None = None) -> dict[str, Any]:
    return {"op": "AND", "label": label, "text": text, "items": list(items)}


def OR(*items: Any, label: str | None = None, text: str | None = None) -> dict[str, Any]:
    return {"op": "OR", "label": label, "text": text, "items": list(items)}


def titles(doc: PolicyDocument) -> list[tuple[str, str, int]]:
    return [(s.key, s.title.rstrip(": "), s.page) for s in doc.sections]


SERVICE_CATEGORIES = {  # both templates: only "Other: Part B Drugs" is ☒
    "Anesthesia": False,
    "Medicine Services and Procedures": False,
    "Surgery": False,
    "Evaluation and Management Services": False,
    "Radiology Procedures": False,
    "DME/Prosthetics or Supplies": False,
    "Pathology and Laboratory Procedures": False,
    "Other: Part B Drugs": True,
}

# 2026 page headers, page 1..7 (the Policy Name cell, hyphenated line break joined)
SPELLINGS_2026 = {
    "Tarlatab-m-dlle (Imdelltra)",  # pages 1, 3, 6
    "Tarlatab-dlle (Imdelltra)",  # page 2
    "Tarlatabamab-dlle (Imdelltra)",  # page 4
    "Tarlataamab-dlle (Imdelltra)",  # page 5
    "Tarlatacab-dlle (Imdelltra)",  # page 7
}


# ----------------------------------------------------------------- policy metadata


def test_policy_meta_2026(doc26: PolicyDocument) -> None:
    p = doc26.policy
    assert doc26.source.format == "pdf"
    assert doc26.source.pages == 7
    assert doc26.source.path == PDF_2026.name
    assert p.number == "MP-RX-FP-171-25"
    assert p.name == "Tarlatab-m-dlle (Imdelltra)"  # printed on 3 of 7 pages, more than any other
    assert set(p.name_variants) == SPELLINGS_2026
    assert len(p.name_variants) == 5
    assert p.drug.brand == "Imdelltra"
    assert (p.drug.generic or "").lower() == "tarlatamab-dlle"
    assert p.scope == ["MMM MA", "MMM MultiHealth"]
    assert {c.label: c.checked for c in p.service_categories} == SERVICE_CATEGORIES
    assert len(p.service_categories) == 8
    assert p.origination_date == "2025-08-08"
    assert p.last_review_date == "2026-05-06"
    assert p.effective_date == "2026-05-06"
    assert p.revision_frequency == "Annual"


def test_policy_meta_2025(doc25: PolicyDocument) -> None:
    p = doc25.policy
    assert doc25.source.format == "pdf"
    assert doc25.source.pages == 4
    assert p.number == "MP-RX-FP-171-25"
    assert p.name == "Tarlatamab-dlle (Imdelltra)"
    assert p.name_variants == ["Tarlatamab-dlle (Imdelltra)"]
    assert p.drug.brand == "Imdelltra"
    assert (p.drug.generic or "").lower() == "tarlatamab-dlle"
    assert p.scope == ["MMM MA", "MMM MultiHealth"]
    assert p.line_of_business == "Medicare Part B"
    assert {c.label: c.checked for c in p.service_categories} == SERVICE_CATEGORIES
    assert p.origination_date == "2025-08-08"
    assert p.last_review_date == "2025-08-08"
    assert p.effective_date == "2025-08-08"
    assert p.revision_frequency == "Annual"


def test_header_spellings_warned_2026(doc26: PolicyDocument) -> None:
    messages = [w.message for w in doc26.warnings]
    assert any(all(s in m for s in SPELLINGS_2026) for m in messages), messages


def test_page_count_matches_pdf(doc25: PolicyDocument, doc26: PolicyDocument) -> None:
    assert doc25.source.pages == pdf_page_count(PDF_2025)
    assert doc26.source.pages == pdf_page_count(PDF_2026)


# ----------------------------------------------------------------- criteria

INITIAL_2026 = OR(
    AND(
        (
            "i.",
            "Individual has a diagnosis of extensive stage small cell lung cancer (ES-SCLC) "
            "(Label, NCCN 1))",
            2,
        ),
        (
            "ii.",
            "Individual has experienced disease progression on or after platinum-based "
            "chemotherapy",
            2,
        ),
        ("iii.", "Requested use is as subsequent systemic therapy as a single agent", 2),
        ("iv.", "Individual has performance status 0-2", 2),
    ),
    AND(
        ("v.", "Individual has limited brain metastases from small cell lung cancer (NCCN 2A)", 2),
        ("vi.", "Requested use is as single-agent treatment", 2),
        OR(
            (
                "a.",
                "Use is as initial treatment in select cases (e.g., small asymptomatic brain "
                "metastases) for newly diagnosed or stable systemic disease or if reasonable "
                "systemic treatment options exist",
                2,
            ),
            ("b.", "Use is for recurrent brain metastases", 2),
            label="vii.",
            text="Individual meets one of the following:",
        ),
    ),
    AND(
        (
            "viii.",
            "Individual has extensive brain metastases from small cell lung cancer (NCCN 2A)",
            2,
        ),
        ("ix.", "Requested use is as single-agent treatment", 2),
        OR(
            (
                "a.",
                "Use is as primary treatment in select cases (e.g., small asymptomatic brain "
                "metastases)",
                2,
            ),
            (
                "b.",
                "Use is for recurrent disease with stable systemic disease or reasonable "
                "systemic treatment options.",
                2,
            ),
            label="x.",
            text="Individual meets one of the following:",
        ),
    ),
    text="Requests for Imdelltra (tarlatab-dlle) may be approved if the following criteria "
    "are met:",
)

INITIAL_2025 = AND(
    ("i.", "Individual is 18 years of age or older", 2),
    ("ii.", "Individual has a diagnosis of extensive stage small cell lung cancer (ES-SCLC)", 2),
    (
        "iii.",
        "Individual has experienced disease progression on or after platinum-based chemotherapy",
        2,
    ),
    ("iv.", "Individual has performance status 0-2.", 2),
    text="Requests for Imdelltra (tarlatamab-dlle) may be approved if the following criteria "
    "are met:",
)

# the lead-in's 'when ...' clause states a condition of its own: the first criterion
CONTINUATION_2026 = AND(
    (
        None,
        "there is no evidence of an unacceptable toxicity or disease progression while on the "
        "current regimen",
        2,
    ),
    ("i.", "A current oncology note documenting the patient’s response to treatment", 2),
    (
        "ii.",
        "Current imaging studies and other objective clinical evidence, as appropriate, "
        "showing no progression of disease when compared with previous results.",
        3,
    ),
    label="a.",
    # the lead-in as printed, less the 'when ...' clause that is its first criterion
    text="MMM considers continuation of Tarlatab-dlle (Imdelltra) therapy medically necessary "
    "in members requesting reauthorization for an indication listed in Section A above "
    "(Criteria for Initial Approval). The following information should be submitted for "
    "reauthorization:",
)

CONTINUATION_2025 = AND(
    (None, "there is documentation of a positive clinical response to therapy", 2),
    ("i.", "A current oncology note documenting the patient’s response to treatment.", 2),
    label="a.",
    text="MMM considers continuation of Tarlatamab-dlle (Imdelltra) therapy medically necessary "
    "for members requesting reauthorization for an indication listed in Section A above. The "
    "following information should be submitted for reauthorization:",
)

ANY_OTHER_USE = (
    "Any other use is considered experimental, investigational, or unproven, including the "
    "following (this list may not be all inclusive):"
)

# a list of exclusions is an OR (any one excludes), even of one item
NOT_COVERED_2026 = OR(
    OR(
        (
            "a.",
            "Use as first-line systemic therapy for small cell lung cancer, except for the "
            "NCCN-supported select brain metastasis scenarios described in the Criteria for "
            "Initial Approval",
            3,
        ),
        ("b.", "Use for limited-stage small cell lung cancer without brain metastases", 3),
        (
            "c.",
            "Use for brain metastases from small cell lung cancer that do not meet the "
            "NCCN-supported criteria for limited or extensive brain metastases described "
            "above",
            3,
        ),
        ("d.", "Use in combination with other antineoplastic agents for small cell lung cancer", 3),
        (
            "e.",
            "Use for malignancies other than small cell lung cancer or for any non-oncologic "
            "indication",
            3,
        ),
        ("f.", "Use in individuals younger than 18 years of age", 3),
        (
            "g.",
            "Use for extensive-stage small cell lung cancer in the absence of disease "
            "progression on or after platinum-based chemotherapy or relapse.",
            3,
        ),
        label="i.",
        text="Requests for Tarlatab-m-dlle (Imdelltra) may not be approved for the following uses:",
    ),
    text=ANY_OTHER_USE,
)

NOT_COVERED_2025 = OR(
    OR(
        ("a.", "Use as first-line therapy for small cell lung cancer", 2),
        ("b.", "Use for limited-stage small cell lung cancer", 2),
        ("c.", "Use in combination with other antineoplastic agents", 2),
        ("d.", "Use for malignancies other than small cell lung cancer.", 2),
        label="i.",
        text="Requests for Imdelltra (tarlatamab-dlle) may not be approved for the following uses:",
    ),
    text=ANY_OTHER_USE,
)


def test_initial_criteria_2026(doc26: PolicyDocument) -> None:
    assert tree(the(doc26).initial) == INITIAL_2026


def test_initial_criteria_2025(doc25: PolicyDocument) -> None:
    assert tree(the(doc25).initial) == INITIAL_2025


def test_continuation_criteria(doc25: PolicyDocument, doc26: PolicyDocument) -> None:
    assert tree(the(doc26).continuation) == CONTINUATION_2026
    assert tree(the(doc25).continuation) == CONTINUATION_2025


def test_not_covered(doc25: PolicyDocument, doc26: PolicyDocument) -> None:
    assert tree(doc26.criteria.not_covered) == NOT_COVERED_2026
    assert tree(doc25.criteria.not_covered) == NOT_COVERED_2025


def test_connectors_removed_from_criterion_text(doc26: PolicyDocument) -> None:
    from extract_checks import iter_tree

    for root in (the(doc26).initial, the(doc26).continuation, doc26.criteria.not_covered):
        for x in iter_tree(root):
            text = (x.text or "").rstrip()
            assert not text.endswith((" AND", " OR", ";")), (x.label, text)


def test_authorization(doc25: PolicyDocument, doc26: PolicyDocument) -> None:
    a26, a25 = the(doc26).authorization, the(doc25).authorization
    assert (a26.initial_months, a26.reauthorization_months, a26.page) == (12, 12, 3)
    assert (a25.initial_months, a25.reauthorization_months, a25.page) == (6, 12, 2)


# ----------------------------------------------------------------- codes


def codes(doc: PolicyDocument) -> list[tuple[str, str, str, str, str | None, int]]:
    return [(c.system, c.code, c.first, c.last, norm(c.description), c.page) for c in doc.codes]


def test_codes_2026(doc26: PolicyDocument) -> None:
    assert codes(doc26) == [
        (
            "ICD-10-CM",
            "C7A.1",
            "C7A.1",
            "C7A.1",
            "Malignant poorly differentiated neuroendocrine tumors",
            5,
        ),
        ("ICD-10-CM", "C33", "C33", "C33", "Malignant neoplasm of trachea", 5),
        (
            "ICD-10-CM",
            "C34.00-C34.92",
            "C34.00",
            "C34.92",
            "Malignant neoplasm of bronchus and lung",
            5,
        ),
        ("ICD-10-CM", "C79.31", "C79.31", "C79.31", "Secondary malignant neoplasm of brain", 5),
        ("HCPCS", "J9026", "J9026", "J9026", "Injection, tarlatamab-dlle, 1 mg [Imdelltra]", 5),
    ]


def test_codes_2025(doc25: PolicyDocument) -> None:
    assert codes(doc25) == [
        ("HCPCS", "J9026", "J9026", "J9026", "Injection, tarlatamab-dlle, 1 mg [Imdelltra]", 3),
        ("ICD-10-CM", "C33", "C33", "C33", "Malignant neoplasm of trachea", 3),
        (
            "ICD-10-CM",
            "C34.00-C34.92",
            "C34.00",
            "C34.92",
            "Malignant neoplasm of bronchus and lung",
            3,
        ),
    ]


# ----------------------------------------------------------------- dosing

CYCLE1 = "Step-up Dose and Schedule Cycle 1"
MONITOR_2026 = (
    "Monitor patients from the start of the IMDELLTRA infusion for 22 to 24 hours on Cycle 1 "
    "Day 1 and Cycle 1 Day 8 in an appropriate healthcare setting. Recommend that patients "
    "remain within 1 hour of an appropriate healthcare setting for a total of 48 hours from "
    "start of the IMDELLTRA infusion, accompanied by a caregiver."
)
MONITOR_2025 = (
    "Monitor patients from the start of the infusion for 22 to 24 hours on Cycle 1 Day 1 and "
    "Cycle 1 Day 8 in an appropriate healthcare setting. Recommend that patients remain within "
    "1 hour of an appropriate healthcare setting for a total of 48 hours from start of the "
    "infusion, accompanied by a caregiver."
)


def schedule(doc: PolicyDocument) -> list[tuple[str | None, ...] | tuple[Any, ...]]:
    return [
        (norm(r.schedule), norm(r.day), norm(r.dose), norm(r.monitoring), r.page)
        for r in doc.dosing.schedule
    ]


def test_dosing_schedule_2026(doc26: PolicyDocument) -> None:
    # Day 1 and Day 8 share one (vertically merged) monitoring cell; Day 15 prints it again.
    # The superscript 'a' after "Day 1"/"Day 8" (5.2 pt) is a footnote mark, not the day.
    assert schedule(doc26) == [
        (CYCLE1, "Day 1", "Step up dose 1mg IV", MONITOR_2026, 4),
        (CYCLE1, "Day 8", "10mg IV", MONITOR_2026, 4),
        (CYCLE1, "Day 15", "10mg IV", MONITOR_2026, 4),
        (
            "Cycle 2",
            "Day 1 and 15",
            "10mg IV",
            "Observe patients for 6-8 hours post IMDELLTRA infusion.",
            4,
        ),
        (
            "Cycle 3 and 4",
            "Day 1 and 15",
            "10mg IV",
            "Observe patients for 3-4 hours post IMDELLTRA infusion.",
            4,
        ),
        (
            "Cycle 5 and subsequent infusions",
            "Day 1 and 15",
            "10mg IV",
            "Observe patients for 2 hours post IMDELLTRA infusion.",
            4,
        ),
    ]


def test_dosing_schedule_2025_breaks_across_pages(doc25: PolicyDocument) -> None:
    assert schedule(doc25) == [
        (CYCLE1, "Day 1", "Step up dose 1mg IV", MONITOR_2025, 2),
        (CYCLE1, "Day 8", "10mg IV", MONITOR_2025, 2),
        (CYCLE1, "Day 15", "10mg IV", "Observe patients for 6-8 hours post infusion.", 2),
        ("Cycle 2", "Day 1 and 15", "10mg IV", "Observe patients for 6-8 hours post infusion.", 2),
        (
            "Cycle 3 and 4",
            "Day 1 and 15",
            "10mg IV",
            "Observe patients for 3-4 hours post infusion.",
            3,
        ),
        (
            "Cycle 5 and subsequent infusions",
            "Day 1 and 15",
            "10mg IV",
            "Observe patients for 2 hours post infusion.",
            3,
        ),
    ]


def premed(doc: PolicyDocument) -> list[tuple[Any, ...]]:
    return [
        (norm(r.day), norm(r.medication), norm(r.administration), r.page)
        for r in doc.dosing.premedication
    ]


PREMED_DAY = "Cycle 1 Day 1 and Cycle 1 Day 8"
DEXA = "Dexamethasone 8 mg intravenously (or equivalent)"


def test_premedication(doc25: PolicyDocument, doc26: PolicyDocument) -> None:
    assert premed(doc25) == [
        (PREMED_DAY, DEXA, "Within 1 hour prior to IMDELLTRA administration", 3),
        (
            PREMED_DAY,
            "1 liter of normal saline intravenously over 4 to 5 hours",
            "Immediately after completion of IMDELLTRA infusion",
            3,
        ),
    ]
    assert premed(doc26) == [
        (PREMED_DAY, DEXA, "Within 1 hour prior to IMDELLTRA administration", 5),
        (
            PREMED_DAY,
            "1 liter of normal saline intravenously over 2 to 4 hours",
            "Immediately after completion of IMDELLTRA infusion",
            5,
        ),
    ]


def test_dosing_notes(doc25: PolicyDocument, doc26: PolicyDocument) -> None:
    notes26 = " ".join(norm(n) or "" for n in doc26.dosing.notes)
    assert "Ensure patients are well hydrated prior to administration." in notes26
    assert "Extended monitoring in a healthcare setting is not required" in notes26
    notes25 = " ".join(norm(n) or "" for n in doc25.dosing.notes)
    assert (
        "Evaluate complete blood count, liver enzymes, and bilirubin prior to each dose" in notes25
    )


# ----------------------------------------------------------------- references, history

REF_2 = (
    "DailyMed. Package inserts. U.S. National Library of Medicine, National Institutes of "
    "Health website. http://dailymed.nlm.nih.gov/dailymed/about.cfm. Updated periodically."
)
REF_3 = (
    "DrugPoints® System [electronic version]. Truven Health Analytics, Greenwood Village, CO. "
    "Updated periodically."
)
REF_4 = "Lexi-Comp ONLINE™ with AHFS™, Hudson, Ohio: Lexi-Comp, Inc. Updated periodically"


def refs(doc: PolicyDocument) -> list[tuple[str | None, str | None]]:
    return [(r.label, norm(r.text)) for r in doc.references]


def test_references_2026(doc26: PolicyDocument) -> None:
    got = refs(doc26)
    assert [text for _, text in got] == [
        "Amgen Inc. (2025, November). IMDELLTRA (tarlatamab-dlle) [Prescribing information]. "
        "Retrieved March 31, 2026.",
        REF_2,
        REF_3,
        REF_4,
        "Mountzios, G., Sun, L., Cho, B. C., et al. (2025). Tarlatamab in small-cell lung cancer "
        "after platinum-based chemotherapy. New England Journal of Medicine, 393(4), 349–361. "
        "https://doi.org/10.1056/NEJMoa2502099",
        "NCCN Clinical Practice Guidelines in Oncology™. © 2026 National Comprehensive Cancer "
        "Network, Inc. For additional information visit the NCCN website: "
        "http://www.nccn.org/index.asp. Retrieved March 31, 2026.",
        "Small Cell Lung Cancer. Version 2.2026.",
        "Central Nervous System. Version. 3.2025.",
    ]
    labels = [label for label, _ in got]
    assert labels[:6] == ["1.", "2.", "3.", "4.", "5.", "6."]
    assert labels[6] in ("a.", "6.a.") and labels[7] in ("b.", "6.b.")
    assert {r.page for r in doc26.references} == {6}


def test_references_2025(doc25: PolicyDocument) -> None:
    got = refs(doc25)
    assert [text for _, text in got] == [
        "Amgen Inc. (2024, May). IMDELLTRA (tarlatamab-dlle) [Prescribing information]. "
        "Retrieved June 30, 2025.",
        REF_2,
        REF_3,
        REF_4,
        "Ahn, M. J., Cho, B. C., Felip, E., et al. (2023). Tarlatamab for patients with "
        "previously treated small-cell lung cancer. New England Journal of Medicine, 389(22), "
        "2063–2075. https://doi.org/10.1056/NEJMoa2307980",
        "NCCN Clinical Practice Guidelines in Oncology™. © 2025 National Comprehensive Cancer "
        "Network, Inc. For additional information visit the NCCN website: "
        "http://www.nccn.org/index.asp. Retrieved June 30, 2025.",
        "Small Cell Lung Cancer. Version 4.2025.",
    ]
    assert [label for label, _ in got][:6] == ["1.", "2.", "3.", "4.", "5.", "6."]
    assert {r.page for r in doc25.references} == {3}


SUMMARY_2026 = (
    "Updated the policy to align with the current IMDELTRA prescribing information and NCCN "
    "guidance by revising the background to reflect traditional FDA approval, boxed warnings, "
    "additional key safety warnings, and current adverse reaction language; expanding initial "
    "approval criteria to include the labeled ES-SCLC subsequent therapy use and NCCN-supported "
    "single-agent use for limited and extensive brain metastases; refining conditions not "
    "covered to exclude non-supported uses while preserving valid NCCN scenarios; updating "
    "continuation criteria to require ongoing clinical benefit with no unacceptable toxicity or "
    "disease progression; revising the dosing and monitoring section to reflect the current "
    "step-up schedule, premedication, hydration, laboratory monitoring, and infusion "
    "observation requirements. Coding Review: added ICD10 codes C7A.1 and C79.31. Updated "
    "references accordingly. Completed an administrative adaptation to the new policy "
    "format/template for consistency across sections."
)


def history(doc: PolicyDocument) -> list[tuple[Any, ...]]:
    return [
        (norm(h.review_type), norm(h.summary), h.pt_approval_date, h.um_approval_date, h.page)
        for h in doc.history
    ]


def test_history(doc25: PolicyDocument, doc26: PolicyDocument) -> None:
    inception = ("Policy Inception", "MMM Developed Medical Policy.", "2025-07-17", "2025-08-08")
    assert history(doc26) == [
        ("Annual Review", SUMMARY_2026, "2026-05-01", "2026-05-06", 7),
        (*inception, 7),
    ]
    assert history(doc25) == [(*inception, 4)]


# ----------------------------------------------------------------- sections, pages

SECTIONS_2026 = [
    ("service_category", "Service Category", 1),
    ("description", "Service Description", 1),
    ("background", "Background Information", 1),
    ("definitions", "Definitions and Measures", 1),
    ("indications", "Approved Indications", 1),
    ("other_uses", "Other Uses", 1),
    ("coverage_criteria", "Medical Necessity Guidelines", 2),
    ("initial_criteria", "A. Criteria For Initial Approval", 2),
    ("continuation_criteria", "B. Criteria For Continuation of Therapy", 2),
    ("authorization_duration", "C. Authorization Duration", 3),
    ("not_covered", "D. Conditions Not Covered", 3),
    ("limits", "Limits or Restrictions", 4),
    ("dosing", "A. Quantity Limitations", 4),
    ("codes", "Codes Information", 5),
    ("codes_icd10", "ICD-10 Diagnostic Codes", 5),
    ("codes_hcpcs", "HCPCS Codes", 5),
    ("references", "Reference Information", 6),
    ("history", "Policy History", 7),
]

SECTIONS_2025 = [
    ("service_category", "Service Category", 1),
    ("description", "Description", 1),
    ("background", "Background", 1),
    ("definitions", "Definitions", 1),
    ("indications", "FDA Approved Indications", 1),
    ("other_uses", "Compendia Supported Uses", 1),
    ("coverage_criteria", "Coverage Criteria", 1),
    ("initial_criteria", "A. Initial Approval Criteria", 1),
    ("continuation_criteria", "B. Continuation of Therapy Criteria", 2),
    ("authorization_duration", "C. Approval Duration", 2),
    ("not_covered", "D. Investigational / Not Medically Necessary", 2),
    ("dosing", "Dosing and Administration", 2),
    ("premedication", "Recommended Concomitant Medications", 3),
    ("codes", "Coding", 3),
    ("references", "References", 3),
    ("history", "Policy History", 4),
]


def test_sections_in_document_order(doc25: PolicyDocument, doc26: PolicyDocument) -> None:
    assert titles(doc26) == SECTIONS_2026
    assert titles(doc25) == SECTIONS_2025


@pytest.mark.parametrize("which", ["2025", "2026"])
def test_every_item_carries_a_page_in_order(
    which: str, doc25: PolicyDocument, doc26: PolicyDocument
) -> None:
    doc = doc25 if which == "2025" else doc26
    assert page_problems(doc) == []
    pages = [b.page for s in doc.sections for b in s.blocks]
    assert pages == sorted(pages), "blocks must follow the page order"
    for s in doc.sections:
        assert all(b.page >= s.page for b in s.blocks), s.title


@pytest.mark.parametrize("which", ["2025", "2026"])
def test_headers_removed_from_body(
    which: str, doc25: PolicyDocument, doc26: PolicyDocument
) -> None:
    doc = doc25 if which == "2025" else doc26
    body = all_block_text(doc)
    for header_text in (
        "Policy Number",
        "Policy Name",
        "Origination Date",
        "Clinical Medical Policy",
    ):
        assert header_text not in body


@pytest.mark.parametrize("which", ["2025", "2026"])
def test_nothing_in_the_body_is_lost(
    which: str, doc25: PolicyDocument, doc26: PolicyDocument
) -> None:
    """Every word printed below the page-header table appears in some section."""
    doc, pdf = (doc25, PDF_2025) if which == "2025" else (doc26, PDF_2026)
    printed = pdf_body_tokens(pdf, skip_header_table=True)
    kept = {t.lower() for t in TOKEN.findall(all_block_text(doc))}
    assert sorted(printed - kept) == []


def test_table_blocks_keep_their_rows(doc26: PolicyDocument) -> None:
    tables = [b for s in doc26.sections for b in s.blocks if b.type == "table"]
    heads = [[" ".join(c.split()) for c in (t.rows or [[]])[0]] for t in tables]
    assert ["Codes", "Description"] in heads
    assert [
        "Type of Review",
        "Summary of Changes",
        "P&T Approval Date",
        "UM/CMPC Approval Date",
    ] in heads
    assert ["Treatment Day", "Medication", "Administration"] in heads


# ----------------------------------------------------------------- golden files, schema


@pytest.mark.parametrize(
    ("pdf", "golden"), [(PDF_2025, GOLDEN_2025), (PDF_2026, GOLDEN_2026)], ids=["2025", "2026"]
)
def test_golden_byte_identical(pdf: Any, golden: Any) -> None:
    fresh = io.dumps(extract_file(pdf))
    stored = json.loads(golden.read_text(encoding="utf-8"))
    # the extractor version is a digest of the extraction code: a change there must come
    # with reviewed goldens (`make goldens`, then `git diff extracted/`)
    assert stored["source"]["extractor_version"] == EXTRACTOR_VERSION, (
        "extraction code changed since the golden files were made: run `make goldens` "
        "and review `git diff extracted/`"
    )
    assert fresh == golden.read_text(encoding="utf-8")
    assert io.dumps(extract_file(pdf)) == fresh  # deterministic re-run


@pytest.mark.parametrize("golden", [GOLDEN_2025, GOLDEN_2026], ids=["2025", "2026"])
def test_golden_validates_against_committed_schema(golden: Any) -> None:
    data = json.loads(golden.read_text(encoding="utf-8"))
    assert schema_errors(data) == []
    PolicyDocument.model_validate(data)


def test_fresh_extraction_validates(doc25: PolicyDocument, doc26: PolicyDocument) -> None:
    assert_valid(doc25)
    assert_valid(doc26)


def test_schema_rejects_a_broken_document() -> None:
    """The validator really checks: a wrong type and an unknown key are reported."""
    data = json.loads(GOLDEN_2025.read_text(encoding="utf-8"))
    data["source"]["pages"] = "four"
    data["policy"]["colour"] = "blue"
    errors = schema_errors(data)
    assert any("source/pages" in e for e in errors), errors
    assert any("colour" in e for e in errors), errors
