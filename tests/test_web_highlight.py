"""Highlights: each change of the canonical pair is marked on the old and the new page
by the box of the item its typed location points at (the committed extraction's boxes,
or boxes set by hand here), else by its page alone.

The changes are those of the real diff of the canonical pair (``policy-tools diff``),
each picked by what it is (``find_change``: section, kind, summary, location), never by
its id: the initial authorization 6 -> 12 months (old p. 2, new p. 3), the ES-SCLC
criterion (old initial item 1, new item 0.0), the added limited-brain-metastases branch
(new item 1), ICD-10 C7A.1 added (new codes[0]), the saline premedication row, the new
history row, the effective date.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from conftest import GOLDEN_DIR
from web_helpers import AUTH_LINES, NEW, OLD, find_change

from policy_tools.compare import diff_documents
from policy_tools.model.changeset import Change, ChangeSet, Location
from policy_tools.model.policy import Box, Indication, Leaf, Node, PolicyDocument
from policy_tools.store import read_revision_file
from policy_tools.web.highlight import Mark, change_marks, item_of


def load(date: str) -> PolicyDocument:
    return read_revision_file(GOLDEN_DIR / f"{date}.json")


@pytest.fixture
def docs() -> tuple[PolicyDocument, PolicyDocument]:
    return load(OLD), load(NEW)


def without_boxes(doc: PolicyDocument) -> PolicyDocument:
    """``doc`` as a reader without page geometry (Markdown, HTML) gives it: no boxes."""

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "box"}
        return [strip(v) for v in value] if isinstance(value, list) else value

    return PolicyDocument.model_validate(strip(doc.model_dump(mode="json")))


@pytest.fixture(scope="module")
def changeset() -> ChangeSet:
    return diff_documents(load(OLD), load(NEW))


# the changes these tests mark, by what they are
MONTHS: dict[str, Any] = {"section": "criteria.authorization", "field": "initial_months"}
ES_SCLC: dict[str, Any] = {
    "section": "criteria.initial",
    "kind": "modified",
    "summary": "Individual has a diagnosis of extensive stage",
}
BRAIN_BRANCH: dict[str, Any] = {
    "section": "criteria.initial",
    "kind": "added",
    "summary": "limited brain metastases",
}
C7A1: dict[str, Any] = {"section": "codes", "row_key": ["ICD-10-CM", "C7A.1"]}
SALINE: dict[str, Any] = {"section": "dosing.premedication", "summary": "normal saline"}
HISTORY_ROW: dict[str, Any] = {"section": "history", "kind": "added"}
EFFECTIVE: dict[str, Any] = {"section": "policy", "field": "effective_date"}
AMGEN_LABEL: dict[str, Any] = {"section": "references", "summary": "Amgen Inc."}
PD_DEFINITION: dict[str, Any] = {"section": "definitions", "summary": "Progressive Disease"}
CRITERIA_TEXT: dict[str, Any] = {"section": "sections.initial_criteria", "kind": "modified"}
DOSING_NOTE: dict[str, Any] = {
    "section": "dosing.notes",
    "kind": "modified",
    "summary": "Administer concomitant medications as recommended",
}


def change(cs: ChangeSet, what: dict[str, Any]) -> Change:
    return find_change(cs, **what)


def boxed(page: int, top: float) -> list[Box]:
    return [Box(page=page, x0=72, top=top, x1=540, bottom=top + 11)]


def test_the_changes_these_tests_rely_on(changeset: ChangeSet) -> None:
    """The real diff's locations of the changes below (a guard: the marks follow them)."""
    assert change(changeset, MONTHS).summary == "Initial authorization duration: 6 -> 12 months"
    es_sclc = change(changeset, ES_SCLC).location
    assert (es_sclc.tree, es_sclc.old_index, es_sclc.new_index) == ("initial", [1], [0, 0])
    assert change(changeset, BRAIN_BRANCH).location.new_index == [1]
    assert change(changeset, C7A1).location.new_index == [0]
    assert change(changeset, SALINE).location.new_index == [1]
    assert change(changeset, HISTORY_ROW).location.new_index == [0]
    assert change(changeset, AMGEN_LABEL).location.new_index == [0]
    assert change(changeset, PD_DEFINITION).location.new_index == [2]


def test_no_boxes_means_the_pages(changeset: ChangeSet, docs: Any) -> None:
    marks = change_marks(change(changeset, MONTHS), *(without_boxes(d) for d in docs))
    assert [(m.side, m.page, m.box) for m in marks] == [("old", 2, None), ("new", 3, None)]
    cid = change(changeset, MONTHS).id
    assert [m.anchor for m in marks] == [f"hl-old-{cid}-0", f"hl-new-{cid}-0"]


def test_committed_boxes_mark_the_printed_line(changeset: ChangeSet, docs: Any) -> None:
    """The extraction's own box: old p. 2 'a. Initial Approval Duration: 6 months' prints
    at top 312.5-322.5, x 56.8-226.4 (pdfplumber's words of that line, read by eye)."""
    old_mark = change_marks(change(changeset, MONTHS), *docs)[0]
    assert old_mark.side == "old" and old_mark.box is not None
    b = old_mark.box
    assert (b.page, round(b.top), round(b.bottom)) == (2, 312, 322)
    assert 50 < b.x0 < 60 and 220 < b.x1 < 232


def test_criterion_boxes_by_index_chain(changeset: ChangeSet, docs: Any) -> None:
    old, new = docs
    old_leaf = old.criteria.indications[0].initial.items[1]
    new_leaf = new.criteria.indications[0].initial.items[0].items[0]
    assert "extensive stage small cell" in old_leaf.text and "extensive stage" in new_leaf.text
    old_leaf.box, new_leaf.box = boxed(2, 400), boxed(2, 250)
    marks = change_marks(change(changeset, ES_SCLC), old, new)
    assert [(m.side, m.box) for m in marks] == [("old", old_leaf.box[0]), ("new", new_leaf.box[0])]


def test_added_branch_marked_on_the_new_side_only(changeset: ChangeSet, docs: Any) -> None:
    old, new = docs
    branch = new.criteria.indications[0].initial.items[1]
    assert isinstance(branch, Node) and "limited brain" in branch.items[0].text
    branch.box = boxed(2, 300)
    marks = change_marks(change(changeset, BRAIN_BRANCH), old, new)
    assert [(m.side, m.page, m.box) for m in marks] == [("new", 2, branch.box[0])]


def test_a_box_per_page(changeset: ChangeSet, docs: Any) -> None:
    """An item printed across a page break carries a box on each page: two marks."""
    old, new = docs
    row = new.history[0]
    row.box = boxed(6, 700) + boxed(7, 60)
    row_change = change(changeset, HISTORY_ROW)
    marks = change_marks(row_change, old, new)
    assert [(m.side, m.page, m.anchor) for m in marks] == [
        ("new", 6, f"hl-new-{row_change.id}-0"),
        ("new", 7, f"hl-new-{row_change.id}-1"),
    ]


@pytest.mark.parametrize(
    ("what", "pick"),
    [
        (C7A1, lambda d: d.codes[0]),
        (SALINE, lambda d: d.dosing.premedication[1]),
        (AMGEN_LABEL, lambda d: d.references[0]),
        (PD_DEFINITION, lambda d: d.definitions[2]),
    ],
)
def test_table_and_list_rows(
    changeset: ChangeSet, docs: Any, what: dict[str, Any], pick: Callable[[PolicyDocument], Any]
) -> None:
    old, new = docs
    target = pick(new)
    target.box = boxed(target.page, 123)
    marks = [m for m in change_marks(change(changeset, what), old, new) if m.side == "new"]
    assert [m.box for m in marks] == target.box


def test_generic_section_block(changeset: ChangeSet, docs: Any) -> None:
    old, new = docs
    c = change(changeset, CRITERIA_TEXT)  # a sentence of sections.initial_criteria [7, 0]
    assert c.location.old_index == [7, 0] and c.location.new_index == [7, 0]
    old.sections[7].blocks[0].box = boxed(1, 700)
    new.sections[7].blocks[0].box = boxed(2, 60)
    assert [(m.side, m.page) for m in change_marks(c, old, new)] == [("old", 1), ("new", 2)]


def test_authorization_marked_by_its_printed_line(changeset: ChangeSet, docs: Any) -> None:
    """The months have no item of their own: the block stating them is marked."""
    old, new = docs
    for doc, date in ((old, OLD), (new, NEW)):
        page, text, (x0, top, x1, bottom) = AUTH_LINES[date]
        (block,) = [b for s in doc.sections for b in s.blocks if b.text == text]
        block.box = [Box(page=page, x0=x0, top=top, x1=x1, bottom=bottom)]
    marks = change_marks(change(changeset, MONTHS), old, new)
    assert [(m.side, m.page, m.box.top if m.box else None) for m in marks] == [
        ("old", 2, 312.5),
        ("new", 3, 168.5),
    ]


def test_reauthorization_is_the_last_line_stating_its_months(docs: Any) -> None:
    """2026 p. 3 prints '12 months' twice: initial first, reauthorization second."""
    old, new = docs
    lines = [
        b for s in new.sections for b in s.blocks if b.page == 3 and "12 months" in (b.text or "")
    ]
    assert [b.text for b in lines] == [
        "Initial Approval Duration: 12 months",
        "Reauthorization Approval Duration: 12 months",
    ]
    for k, b in enumerate(lines):
        b.box = boxed(3, 100 + 20 * k)
    fake = Change(
        id="C900",
        section="criteria.authorization",
        kind="modified",
        path="criteria.indications[0].authorization.reauthorization_months",
        location=Location(field="reauthorization_months"),
        old={"type": "value", "value": 6},
        new={"type": "value", "value": 12},
        old_page=2,
        new_page=3,
    )
    new_marks = [m for m in change_marks(fake, old, new) if m.side == "new"]
    assert [m.box for m in new_marks] == lines[1].box
    initial = fake.model_copy(update={"location": Location(field="initial_months")})
    new_marks = [m for m in change_marks(initial, old, new) if m.side == "new"]
    assert [m.box for m in new_marks] == lines[0].box


def test_policy_field_marked_by_page(changeset: ChangeSet, docs: Any) -> None:
    marks = change_marks(change(changeset, EFFECTIVE), *docs)
    assert [(m.side, m.page, m.box) for m in marks] == [("old", 1, None), ("new", 1, None)]


def test_dosing_note_without_page_has_no_mark(changeset: ChangeSet, docs: Any) -> None:
    """Dosing notes are plain strings: no page, no box, nothing to mark (the page says so)."""
    assert change_marks(change(changeset, DOSING_NOTE), *docs) == []


def test_out_of_range_locations_mark_nothing(docs: Any) -> None:
    old, new = docs
    for section, loc in (
        ("criteria.initial", Location(tree="initial", new_index=[9, 9])),
        ("codes", Location(new_index=[99])),
        ("sections.background", Location(new_index=[99, 0])),
        ("sections.background", Location(new_index=[2])),
        ("criteria.not_covered", Location(tree="not_covered", new_index=[0, 42])),
    ):
        c = Change(id="C1", section=section, kind="added", path="x", location=loc)
        assert item_of(c, "new", new, old) is None, (section, loc)


def two_indications(names: tuple[str, str], boxes: tuple[float, float]) -> PolicyDocument:
    doc = load(NEW)
    inds = []
    for name, top in zip(names, boxes, strict=True):
        leaf = Leaf(text=f"criterion of {name}", page=4, box=boxed(4, top))
        inds.append(Indication(name=name, initial=Node(op="AND", items=[leaf])))
    doc.criteria.indications = inds
    return doc


def test_several_indications_old_side_found_through_the_pairing() -> None:
    """The location names the new side's indication; the old one is its diff pair."""
    old = two_indications(("Crohn's disease", "Ulcerative colitis"), (100, 200))
    new = two_indications(("Crohn’s Disease (adults)", "Ulcerative colitis"), (300, 400))
    c = Change(
        id="C1",
        section="criteria.initial",
        kind="modified",
        path="criteria.indications[0].initial.items[0]",
        location=Location(
            indication="Crohn’s Disease (adults)", tree="initial", old_index=[0], new_index=[0]
        ),
        old_page=4,
        new_page=4,
    )
    marks: list[Mark] = change_marks(c, old, new)
    assert [(m.side, m.box.top if m.box else None) for m in marks] == [
        ("old", 100),
        ("new", 300),
    ]
