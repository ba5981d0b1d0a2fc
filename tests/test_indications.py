"""Per-indication diff: indications paired by name (renames detected), an indication
added or removed is one change with its whole tree, dosing tables keyed by their key
columns, criteria moved between indications are moves; relabelling and reordering
indications gives only renumbered / moved (hypothesis)."""

from __future__ import annotations

from conftest import value_of
from hypothesis import given, settings
from hypothesis import strategies as st
from test_diff import AND, leaf, make_doc

from policy_tools.compare import diff_documents
from policy_tools.model.policy import (
    Authorization,
    Criteria,
    Dosing,
    DosingTable,
    Indication,
    TableRow,
)

NAMES = [
    "Crohn's Disease",
    "Ulcerative Colitis",
    "Plaque Psoriasis",
    "Psoriatic Arthritis",
    "Rheumatoid Arthritis",
    "Still's Disease",
]
CRITERIA = {
    name: [
        f"Patient has a diagnosis of {name.lower()} confirmed by a specialist",
        f"Patient has tried one conventional therapy for {name.lower()}",
        f"The medication is prescribed in consultation with a {name.split()[0].lower()} expert",
    ]
    for name in NAMES
}


def indication(
    name: str, labels: tuple[str, ...] = ("i.", "ii.", "iii."), months: int = 6
) -> Indication:
    items = [leaf(lab, text) for lab, text in zip(labels, CRITERIA[name], strict=False)]
    return Indication(
        name=name,
        page=1,
        initial=AND(*items, text="Approve if the patient meets ALL of the following:"),
        authorization=Authorization(initial_months=months),
    )


def doc(*inds: Indication) -> object:
    return make_doc(criteria=Criteria(indications=list(inds)))


def test_removed_indication_is_one_change_with_its_tree() -> None:
    old = doc(*(indication(n) for n in NAMES))
    new = doc(*(indication(n) for n in NAMES if n != "Still's Disease"))
    cs = diff_documents(old, new)
    assert [(c.section, c.kind, c.location.indication) for c in cs.changes] == [
        ("criteria.indications", "removed", "Still's Disease")
    ]
    assert "tried one conventional therapy for still's disease" in value_of(cs.changes[0].old)
    assert cs.headlines[0].text == "Indication removed: Still's Disease"


def test_renamed_indication_is_one_rename() -> None:
    old = doc(indication("Crohn's Disease"), indication("Plaque Psoriasis"))
    renamed = indication("Plaque Psoriasis").model_copy(update={"name": "Plaque Psoriasis (PsO)"})
    cs = diff_documents(old, doc(indication("Crohn's Disease"), renamed))
    assert [(c.kind, c.detail) for c in cs.changes] == [("modified", "indication renamed")]


def test_criterion_moved_between_indications_is_a_move() -> None:
    a, b = indication("Crohn's Disease"), indication("Ulcerative Colitis")
    moving = CRITERIA["Crohn's Disease"][1]
    assert a.initial is not None and b.initial is not None
    a_items = [*a.initial.items[:1], *a.initial.items[2:]]
    a2 = a.model_copy(update={"initial": a.initial.model_copy(update={"items": a_items})})
    b_items = [*b.initial.items, leaf("iv.", moving)]
    b2 = b.model_copy(update={"initial": b.initial.model_copy(update={"items": b_items})})
    cs = diff_documents(doc(a, b), doc(a2, b2))
    moved = [c for c in cs.changes if c.kind == "moved"]
    assert len(moved) == 1 and value_of(moved[0].new) == moving
    assert "Crohn's Disease" in (moved[0].detail or "") and "Ulcerative Colitis" in (
        moved[0].detail or ""
    )
    assert [c.kind for c in cs.changes if c.kind != "renumbered"] == ["moved"]


def test_months_and_dosing_tables_per_indication_keyed_by_key_columns() -> None:
    def table(rows: list[tuple[str, str]]) -> Dosing:
        return Dosing(
            tables=[
                DosingTable(
                    title="Dosing",
                    page=3,
                    columns=["Indication", "Dose"],
                    key=["Indication"],
                    rows=[TableRow(cells={"Indication": i, "Dose": d}, page=3) for i, d in rows],
                )
            ]
        )

    old_i = indication("Crohn's Disease").model_copy(
        update={"dosing": table([("Induction", "5 mg/kg"), ("Maintenance", "5 mg/kg q8w")])}
    )
    # the rows swap places and one dose changes: matched by key, not position
    new_i = indication("Crohn's Disease", months=12).model_copy(
        update={"dosing": table([("Maintenance", "10 mg/kg q8w"), ("Induction", "5 mg/kg")])}
    )
    cs = diff_documents(
        doc(old_i, indication("Plaque Psoriasis")), doc(new_i, indication("Plaque Psoriasis"))
    )
    by = {(c.section, c.kind): c for c in cs.changes}
    assert value_of(by[("criteria.authorization", "modified")].new) == 12
    row = by[("dosing.tables", "modified")]
    assert row.location.row_key == ["maintenance"] and row.location.indication == "Crohn's Disease"
    assert value_of(row.new) == "10 mg/kg q8w"
    assert len(cs.changes) == 2


@settings(max_examples=60, deadline=None)
@given(
    st.permutations(NAMES),
    st.sampled_from([("a.", "b.", "c."), ("1.", "2.", "3."), ("A.", "B.", "C.")]),
)
def test_relabelling_and_reordering_indications_gives_only_renumbered(
    order: list[str], labels: tuple[str, str, str]
) -> None:
    old = doc(*(indication(n) for n in NAMES))
    new = doc(*(indication(n, labels) for n in order))
    cs = diff_documents(old, new)
    assert {c.kind for c in cs.changes} <= {"renumbered", "moved"}
    assert len(cs.changes) == 3 * len(NAMES)
    assert cs.unexplained == 0


def test_or_group_of_indications_pairs_by_name_not_position() -> None:
    old = doc(indication("Crohn's Disease"), indication("Ulcerative Colitis"))
    uc = indication("Ulcerative Colitis")
    assert uc.initial is not None
    changed = uc.model_copy(update={"initial": uc.initial.model_copy(update={"op": "OR"})})
    cs = diff_documents(old, doc(changed, indication("Crohn's Disease")))
    assert [(c.kind, c.location.indication) for c in cs.changes] == [
        ("modified", "Ulcerative Colitis")
    ]
    assert (cs.changes[0].detail or "").startswith("AND changed to OR")
