"""The criteria assembler on documents built here, block by block: indications and their
branches, operators from connective words, conditions in lead-ins, notes, durations,
dosing lists, exclusions, box provenance, labels over positions, and never silent."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from corpus_expect import leaves

from policy_tools.extract import extract_file
from policy_tools.extract.assemble import assemble
from policy_tools.extract.blocks import PageHeader, RawBlock, RawDocument
from policy_tools.model.policy import Box, Leaf, Node, PolicyDocument, Source
from policy_tools.store.keys import storage_key

_TOP = [100.0]


def _box(page: int, x: float) -> Box:
    _TOP[0] += 14
    return Box(page=page, x0=x, top=_TOP[0], x1=x + 300, bottom=_TOP[0] + 10)


def item(label: str, text: str, x: float, conn: str | None = None, page: int = 1) -> RawBlock:
    return RawBlock(
        kind="list_item",
        text=text,
        page=page,
        label=label,
        indent=x,
        connector=conn,  # type: ignore[arg-type]
        lines=[f"{label} {text}"],
        boxes=[_box(page, x)],
    )


def para(text: str, page: int = 1, bold: bool = False) -> RawBlock:
    return RawBlock(
        kind="heading" if bold else "paragraph",
        text=text,
        page=page,
        bold=bold,
        lines=[text],
        boxes=[_box(page, 54)],
    )


def doc_of(blocks: list[RawBlock], pages: int = 2) -> PolicyDocument:
    raw = RawDocument(
        format="pdf",
        pages=pages,
        headers=[
            PageHeader(
                page=1, text="Policy Name: Drug X Policy Number: DX-1 Effective Date: 1/1/2026"
            )
        ],
        blocks=blocks,
    )
    source = Source(path="x.pdf", sha256="0" * 64, format="pdf", pages=pages, extractor_version="t")
    return assemble(raw, source)


def cigna_like(shift: float = 0.0, jitter: float = 0.0) -> list[RawBlock]:
    """A numbered indication holding an initial and a continuation branch and a dosing
    list, a second indication, and the exclusions (Cigna's drug coverage template)."""

    def x(level: int, k: int = 0) -> float:
        return 54 + 18 * level + shift + (jitter if k % 2 else -jitter)

    return [
        para("Coverage Policy", bold=True),
        item(
            "1.",
            "Crohn's Disease. Approve for the duration noted if the patient meets ONE of "
            "the following (A or B):",
            x(0),
        ),
        item(
            "A)",
            "Initial Therapy. Approve for 6 months if the patient meets ALL of the "
            "following (i, ii, and iii):",
            x(1),
        ),
        item("i.", "Patient is ≥ 6 years of age", x(2, 1), "AND"),
        item("ii.", "Patient meets ONE of the following (a or b):", x(2, 2)),
        item("a)", "Patient has tried corticosteroids; OR Note: Examples are prednisone.", x(3, 1)),
        item("b)", "Patient has enterocutaneous fistulas", x(3, 2), "AND"),
        item("iii.", "The medication is prescribed by a gastroenterologist", x(2, 3), "OR"),
        item(
            "B)",
            "Patient is Currently Receiving the Drug. Approve for 1 year if the patient "
            "meets BOTH of the following (i and ii):",
            x(1, 1),
        ),
        item("i.", "Patient has been established on therapy for at least 6 months", x(2), "AND"),
        item("ii.", "Patient experienced a beneficial clinical response", x(2, 1)),
        para("Dosing. Approve ONE of the following regimens (A or B):", page=2),
        item("A)", "Initial Therapy. Approve up to 5 mg/kg at weeks 0, 2 and 6.", x(1), page=2),
        item(
            "B)",
            "Patient is Currently Receiving the Drug. Approve up to 10 mg/kg every 4 weeks.",
            x(1, 1),
            page=2,
        ),
        item(
            "2.",
            "Uveitis. Approve for 6 months if the patient meets BOTH of the following (A and B):",
            x(0),
            page=2,
        ),
        item("A.", "Patient is ≥ 18 years of age", x(1), "AND", page=2),
        item("B.", "The medication is prescribed by an ophthalmologist", x(1, 1), page=2),
        para("Conditions Not Covered", page=2, bold=True),
        para(
            "Drug X for any other use is considered not medically necessary, including the "
            "following:",
            page=2,
        ),
        item("1.", "Concurrent use with a biologic.", x(0), page=2),
    ]


@pytest.fixture(scope="module")
def cigna() -> PolicyDocument:
    return doc_of(cigna_like())


def test_numbered_indications_with_branches(cigna: PolicyDocument) -> None:
    crohn, uveitis = cigna.criteria.indications
    assert (crohn.name, uveitis.name) == ("Crohn's Disease", "Uveitis")
    initial = crohn.initial
    assert initial is not None and initial.op == "AND"
    assert initial.text == "if the patient meets ALL of the following (i, ii, and iii):"
    age, one_of, specialist = initial.items
    assert isinstance(one_of, Node) and one_of.op == "OR" and len(one_of.items) == 2
    assert isinstance(age, Leaf) and age.text == "Patient is ≥ 6 years of age"
    assert isinstance(specialist, Leaf)
    # the note printed after a criterion is that criterion's note, not a criterion
    steroid = one_of.items[0]
    assert isinstance(steroid, Leaf) and steroid.text == "Patient has tried corticosteroids"
    assert steroid.notes == ["Examples are prednisone."]


def test_continuation_heading_is_its_first_criterion(cigna: PolicyDocument) -> None:
    crohn = cigna.criteria.indications[0]
    cont = crohn.continuation
    assert cont is not None and cont.op == "AND"
    assert leaves(cont) == [
        "Patient is Currently Receiving the Drug",
        "Patient has been established on therapy for at least 6 months",
        "Patient experienced a beneficial clinical response",
    ]
    assert (crohn.authorization.initial_months, crohn.authorization.reauthorization_months) == (
        6,
        12,
    )


def test_dosing_list_and_an_indication_without_branches(cigna: PolicyDocument) -> None:
    crohn, uveitis = cigna.criteria.indications
    (table,) = crohn.dosing.tables
    assert [r.cells["Regimen"][:22] for r in table.rows] == [
        "Initial Therapy. Appro",
        "Patient is Currently R",
    ]
    assert [r.page for r in table.rows] == [2, 2]
    assert uveitis.continuation is None and uveitis.initial is not None
    assert uveitis.initial.op == "AND" and len(uveitis.initial.items) == 2
    assert (uveitis.authorization.initial_months, uveitis.authorization.reauthorization_months) == (
        6,
        None,
    )


def test_exclusions_are_an_or(cigna: PolicyDocument) -> None:
    nc = cigna.criteria.not_covered
    assert nc is not None and nc.op == "OR"
    assert leaves(nc) == ["Concurrent use with a biologic."]


def _shape(doc: PolicyDocument) -> object:
    def tree(p: Node | Leaf | None) -> object:
        if p is None:
            return None
        if isinstance(p, Leaf):
            return (p.label, p.text, p.notes)
        return (p.op, p.n, p.label, p.text, [tree(i) for i in p.items])

    return [
        (i.name, tree(i.initial), tree(i.continuation), i.authorization.initial_months)
        for i in doc.criteria.indications
    ], tree(doc.criteria.not_covered)


@pytest.mark.parametrize(("shift", "jitter"), [(37.5, 0.0), (-20.0, 3.5), (0.0, 5.0)])
def test_labels_not_positions_decide_the_tree(
    cigna: PolicyDocument, shift: float, jitter: float
) -> None:
    """Other margins and indents of one producer or another give the same trees."""
    assert _shape(doc_of(cigna_like(shift, jitter))) == _shape(cigna)


def test_without_any_position_the_labels_suffice(cigna: PolicyDocument) -> None:
    blocks = [replace(b, indent=None, boxes=None) for b in cigna_like()]
    assert _shape(doc_of(blocks)) == _shape(cigna)


# ------------------------------------------------------------------ box provenance


def test_boxes_reach_every_item_built_from_a_block(cigna: PolicyDocument) -> None:
    crohn = cigna.criteria.indications[0]
    assert crohn.box and crohn.box[0].page == 1
    assert crohn.initial is not None and crohn.initial.box
    for leaf in leaves_of(crohn.initial):
        assert leaf.box and leaf.box[0].page == leaf.page
    table = crohn.dosing.tables[0]
    assert all(r.box and r.box[0].page == 2 for r in table.rows)
    for section in cigna.sections:
        for block in section.blocks:
            assert block.box and block.box[0].page == block.page


def leaves_of(part: Node | Leaf) -> list[Leaf]:
    if isinstance(part, Leaf):
        return [part]
    return [x for p in part.items for x in leaves_of(p)]


def _table(rows: list[list[str]], page: int = 1) -> RawBlock:
    boxes = [_box(page, 54) for _ in rows]
    return RawBlock(
        kind="table",
        text="",
        page=page,
        rows=rows,
        row_pages=[page] * len(rows),
        row_boxes=boxes,
        boxes=[_box(page, 54)],
    )


def test_boxes_of_rows_reach_codes_dosing_and_history() -> None:
    doc = doc_of(
        [
            para("Dosing and Administration", bold=True),
            _table(
                [
                    ["Dosing schedule", "Day", "Dose", "Monitoring"],
                    ["Step-up", "Day 1", "1 mg IV", "Monitor 22 hours"],
                ]
            ),
            _table(
                [
                    ["Treatment Day", "Medication", "Administration"],
                    ["Day 1", "Dexamethasone 8 mg", "Within 1 hour prior"],
                ]
            ),
            _table(
                [
                    ["Indication", "Dosing Regimen", "Maximum Dose"],
                    ["All indications", "10 mg weekly", "40 mg/month"],
                ]
            ),
            para("Codes Information", bold=True),
            _table([["Codes", "Description"], ["J9026", "Injection, drug x"]]),
            para("Definitions", bold=True),
            item("•", "Chemotherapy: Treatment with drugs.", 60),
            para("References", bold=True),
            item("1.", "Amgen Inc. Prescribing information. 2025.", 57),
            para("Policy History", bold=True),
            _table(
                [
                    [
                        "Type of Review",
                        "Summary of Changes",
                        "P&T Approval Date",
                        "UM Approval Date",
                    ],
                    ["Annual Review", "Updated the policy", "5/1/2026", "5/6/2026"],
                ]
            ),
        ]
    )
    assert doc.dosing.schedule[0].box and doc.dosing.premedication[0].box
    (generic,) = doc.dosing.tables
    assert generic.columns == ["Indication", "Dosing Regimen", "Maximum Dose"]
    assert generic.key == ["Indication"]
    assert generic.rows[0].cells["Maximum Dose"] == "40 mg/month" and generic.rows[0].box
    assert doc.codes[0].box and doc.definitions[0].box and doc.references[0].box
    assert doc.history[0].box
    parts = doc.coverage.by_part
    assert {"dosing", "codes", "history", "references", "definitions"} <= set(parts)
    assert sum(parts.values()) == doc.coverage.body_words
    assert doc.coverage.structured_words == doc.coverage.body_words - parts.get("generic", 0)


# ------------------------------------------------------------------ other templates


def test_diagnoses_with_criteria_of_their_own_are_indications() -> None:
    """FEP: a 'Diagnoses' row whose diagnoses carry criteria of their own; a lead-in
    printed between two of them belongs to the first; one after the last to all."""
    doc = doc_of(
        [
            para("Prior-Approval Requirements", bold=True),
            para("Age 18 years of age or older"),
            para("Diagnoses", bold=True),
            para("Patient must have ONE of the following:"),
            item("1.", "Large B-cell lymphoma (LBCL)", 140),
            item("a.", "Diffuse large B-cell lymphoma", 158),
            para("AND ONE of the following for large B-cell lymphoma ONLY:"),
            item("a.", "Refractory to first-line chemoimmunotherapy", 158),
            item("b.", "Relapsed within 12 months of first-line chemoimmunotherapy", 158),
            item("2.", "Relapsed or refractory follicular lymphoma (FL)", 140),
            item("a.", "Received at least 2 prior lines of systemic therapy", 158),
            para("AND ALL of the following for ALL diagnoses:"),
            item("a.", "NO diagnosis of primary central nervous system lymphoma", 158),
            item("b.", "Absence of active infection", 158),
            para("Prior – Approval Renewal Requirements", bold=True),
            para("None"),
        ]
    )
    lbcl, fl = doc.criteria.indications
    assert (lbcl.name, fl.name) == (
        "Large B-cell lymphoma (LBCL)",
        "Relapsed or refractory follicular lymphoma (FL)",
    )
    common = [
        "Age 18 years of age or older",
        "NO diagnosis of primary central nervous system lymphoma",
        "Absence of active infection",
    ]
    for ind in (lbcl, fl):
        assert set(common) <= set(leaves(ind.initial))
        assert ind.continuation is None
    assert "Refractory to first-line chemoimmunotherapy" in leaves(lbcl.initial)
    assert "Refractory to first-line chemoimmunotherapy" not in leaves(fl.initial)
    assert "Received at least 2 prior lines of systemic therapy" in leaves(fl.initial)


def test_at_least_n_of_and_inline_bullets() -> None:
    """UHC: a lead-in naming a count is N_OF; 'o' bullets the text layer keeps as letters
    are items; '- AND -' lines are connectors."""
    block = RawBlock(
        kind="paragraph",
        page=1,
        text="x",
        lines=[
            "For initial therapy, all of the following:",
            "o Diagnosis of moderate-to-severe disease; and",
            "o History of failure to two of the following:",
        ],
    )
    doc = doc_of(
        [
            para("Coverage Rationale", bold=True),
            para(
                "Drug X is medically necessary for the treatment of severe disease when all of the "
                "following criteria are met:",
                bold=True,
            ),
            block,
            item("•", "Topical corticosteroid", 72),
            item("•", "Topical calcineurin inhibitor", 72),
            item("•", "Phototherapy", 72),
            RawBlock(kind="heading", text="AND-", label="•", page=1, bold=True),
            para("o Prescribed by a dermatologist"),
            para("For continuation of therapy:"),
            para("o Reauthorization will be for no more than 12 months"),
        ]
    )
    (ind,) = doc.criteria.indications
    assert ind.name == "Severe disease"
    initial = ind.initial
    assert initial is not None and initial.op == "AND"
    _diagnosis, n_of, prescriber = initial.items
    assert isinstance(n_of, Node) and (n_of.op, n_of.n, len(n_of.items)) == ("N_OF", 2, 3)
    assert isinstance(prescriber, Leaf) and prescriber.text == "Prescribed by a dermatologist"
    assert ind.continuation is None  # only its duration is printed
    assert ind.authorization.reauthorization_months == 12


# ------------------------------------------------------------------ never silent


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.md"
    path.write_text(text, encoding="utf-8")
    return path


def test_approval_language_without_a_tree_is_warned(tmp_path: Path) -> None:
    doc = extract_file(
        _write(
            tmp_path,
            (
                "# Drug X policy\n\nPolicy Number: DX-2\n\nEffective Date: 1/1/2026\n\n"
                "## Coverage\n\nRequests for Drug X may be approved when the member meets the "
                "plan's medical necessity requirements, as the reviewer judges them on the "
                "records sent.\n"
            ),
        )
    )
    assert doc.criteria.indications == []
    codes = [w.code for w in doc.warnings]
    assert "criteria_not_found" in codes
    found = next(w for w in doc.warnings if w.code == "criteria_not_found")
    assert "approved" in found.message
    structured = extract_file(
        _write(
            tmp_path,
            (
                "# Drug X policy\n\nPolicy Number: DX-2\n\nEffective Date: 1/1/2026\n\n"
                "## Initial Approval Criteria\n\nRequests may be approved if the following "
                "criteria are met:\n\n- i. Patient is 18 years of age or older; AND\n"
                "- ii. Diagnosis of X\n"
            ),
        )
    )
    assert "criteria_not_found" not in [w.code for w in structured.warnings]
    assert structured.criteria.readable


def test_an_impossible_date_is_a_warning_never_another_date(tmp_path: Path) -> None:
    doc = extract_file(
        _write(
            tmp_path,
            (
                "# Drug X policy\n\nPolicy Number: DX-3 Effective Date: 13/45/2026 "
                "Last Review Date: 5/6/2026\n\n## Background\n\nText.\n"
            ),
        )
    )
    assert doc.policy.effective_date is None
    assert doc.policy.last_review_date == "2026-05-06"
    invalid = [w for w in doc.warnings if w.code == "invalid_date"]
    assert invalid and "13/45/2026" in invalid[0].message
    assert "effective_date_inferred" not in [w.code for w in doc.warnings]


def test_a_revision_counter_keys_one_policy() -> None:
    def named(number: str) -> PolicyDocument:
        d = doc_of([para("Background", bold=True), para("Text.")])
        d.policy.number, d.policy.series = number, None
        d.policy.effective_date = "2026-01-01"
        return d

    old, new = named("2024 P 2116-18"), named("2025 P 2116-22")
    (k1, _, notes), (k2, _, _) = storage_key(old, Path("a.pdf")), storage_key(new, Path("b.pdf"))
    # one policy; its folder is the store's one-to-one key of the series 'P 2116' (a
    # space is not folder-safe: store/keys.py adds a hash)
    assert k1 == k2 == "P-2116"
    assert any("2024 P 2116-18" in n for n in notes)
    assert storage_key(named("IP0660"), Path("c.pdf"))[0] == "IP0660"
