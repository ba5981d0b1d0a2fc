"""Preferred drug lists: the vocabulary, the cell readers, a synthetic PDL pair typeset
with reportlab in another layout than TennCare's (planted changes of every kind), the
report and its CSV form, and TennCare 2025-06-01 / the TennCare pair against the
expectations read off the PDFs by eye (tests/data/corpus/tenncare_*.json)."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from formulary_synth import PLANTED, build_pair

from policy_tools.cli import cli
from policy_tools.compare import diff_documents
from policy_tools.compare.formulary import change_kind
from policy_tools.extract import extract_file
from policy_tools.extract.assemble.formulary_cells import align, cell_tree, parse_limits
from policy_tools.model.changeset import ChangeSet
from policy_tools.model.policy import Leaf, Node, PolicyDocument
from policy_tools.render.report import render
from policy_tools.vocab import Pattern
from policy_tools.vocab.formulary import (
    BANNERS,
    BRAND_MARK,
    COLUMN_CUES,
    CONTINUED,
    CRITERIA_HEADING,
    CRITERIA_REFERENCE,
    FORM_CUE,
    LEGEND_LINE,
    LEGEND_MARKER,
    MARKERS,
    NOTE_BLOCK,
    QL_PARTS,
    STATUS_LEGENDS,
    SUBGROUP,
)

DATA = Path(__file__).parent / "data" / "corpus"
JUNE = "tenncare_pdl-clinical-criteria_2025-06-01.pdf"
MAY = "tenncare_pdl-clinical-criteria_2025-05-01.pdf"
FIELDS = ["name", "status", "criteria", "quantity_limit", "pa_form"]

PATTERNS: list[Pattern] = [
    *COLUMN_CUES,
    *BANNERS,
    *MARKERS.values(),
    BRAND_MARK,
    CONTINUED,
    CRITERIA_HEADING,
    CRITERIA_REFERENCE,
    FORM_CUE,
    LEGEND_LINE,
    LEGEND_MARKER,
    NOTE_BLOCK,
    QL_PARTS,
    SUBGROUP,
]


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda p: f"{p.payer}: {p.name}")
def test_every_formulary_pattern_matches_its_example(pattern: Pattern) -> None:
    assert pattern.payer and pattern.example
    assert pattern.captured(pattern.example) == pattern.expect


@pytest.mark.parametrize("legend", STATUS_LEGENDS, ids=lambda x: x.payer)
def test_every_status_legend_names_its_plan(legend: object) -> None:
    assert legend.plan.search(legend.example)
    assert legend.why and legend.codes


# ---------------------------------------------------------------- cells


def test_short_rows_are_aligned_by_content() -> None:
    statuses = {"p", "np"}
    # the PA-form position is merged and dropped by the reader: the other four stay put
    assert align(["Aemcolo®", "NP", "• Patient is ...", "12 tabs/Rx"], FIELDS, statuses) == {
        "name": "Aemcolo®",
        "status": "NP",
        "criteria": "• Patient is ...",
        "quantity_limit": "12 tabs/Rx",
    }
    # the criteria position is missing: the limit is not read as criteria
    got = align(["hydrocodone/ ibuprofen", "P", "5/200 mg tab: 12/day", ""], FIELDS, statuses)
    assert got["quantity_limit"] == "5/200 mg tab: 12/day" and "criteria" not in got
    # a criteria line cut out of its cell is no drug name
    got = align(["≥ 25 mg oral oxymorphone/day o", "", "General PA"], FIELDS, statuses)
    assert "name" not in got and got["pa_form"] == "General PA"


def test_quantity_limits_are_parsed_per_strength() -> None:
    limits = parse_limits("8 mg: 3/day; 2 mg: 3/day ^")
    assert [(x.strength, x.quantity, x.days) for x in limits] == [("8 mg", 3, 1), ("2 mg", 3, 1)]
    (one,) = parse_limits("1 vial per 28 days")
    assert (one.quantity, one.unit, one.days) == (1, "vial", 28)
    (rx,) = parse_limits("1 package/Rx")
    assert (rx.quantity, rx.unit, rx.days, rx.per) == (1, "package", None, "Rx")
    assert [x.days for x in parse_limits("12 tabs/Rx; max 24 tabs/year")] == [None, 365]


def test_criteria_cell_becomes_a_tree_with_levels_and_connectors() -> None:
    from policy_tools.extract.assemble.draft import Draft

    draft = Draft(raw=None, source=None)  # type: ignore[arg-type]
    text = (
        "Initial Criteria: • Must be ≥ 18 years of age; AND • In the case of OUD: "
        "o Has a referral; OR o Is unable to have counseling; AND • Prescriber attests"
    )
    tree = cell_tree(text, 1, draft, "drug")
    assert isinstance(tree, Node) and tree.op == "AND" and tree.text == "Initial Criteria:"
    middle = tree.items[1]
    assert isinstance(middle, Node) and middle.op == "OR"
    assert [x.text for x in middle.items if isinstance(x, Leaf)] == [
        "Has a referral",
        "Is unable to have counseling",
    ]


# ---------------------------------------------------------------- synthetic pair


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return build_pair(tmp_path_factory.mktemp("pdl"))


@pytest.fixture(scope="module")
def synth_docs(synth: tuple[Path, Path]) -> tuple[PolicyDocument, PolicyDocument]:
    return extract_file(synth[0]), extract_file(synth[1])


@pytest.fixture(scope="module")
def synth_changes(synth_docs: tuple[PolicyDocument, PolicyDocument]) -> ChangeSet:
    return diff_documents(*synth_docs)


def test_synthetic_pdl_is_read_with_its_printed_legend(
    synth_docs: tuple[PolicyDocument, PolicyDocument],
) -> None:
    old = synth_docs[0]
    f = old.formulary
    assert f is not None
    assert [c.name for c in f.classes] == [
        "Beta Blockers",
        "Statins",
        "Anticoagulants",
        "Inhaled Corticosteroids",
        "Leukotriene Modifiers",
    ]
    assert [c.name for c in f.categories] == ["CARDIOVASCULAR", "RESPIRATORY"]
    assert f.status_source == "document" and f.status_codes == {
        "Y": "preferred",
        "N": "non-preferred",
    }
    assert f.effective_date == old.policy.effective_date == "2025-09-01"
    # 5 + 6 + 3 + 4 + 3 printed rows, 14 filler rows per class, over several pages
    assert len(f.drugs) == 21 + 5 * 14 and old.source.pages > 2
    livalo = next(d for d in f.drugs if d.name == "Livalo®")
    assert (livalo.status, livalo.pa, livalo.step_therapy) == (
        "non-preferred",
        True,
        "Trial of atorvastatin",
    )
    assert [(x.quantity, x.days) for x in livalo.limits] == [(30, 30)]
    atenolol = next(d for d in f.drugs if d.name == "atenolol")
    assert (atenolol.status, atenolol.pa, atenolol.pa_text) == ("preferred", False, None)
    anti = next(c for c in f.classes if c.name == "Anticoagulants")
    assert anti.criteria_text == "Class criteria: trial of warfarin for 3 months is required."
    assert not [w for w in old.warnings if w.code == "unrecognised_section"]
    assert not [w for w in old.warnings if w.code.startswith("formulary")]


def test_synthetic_pair_diff_is_exactly_the_planted_changes(synth_changes: ChangeSet) -> None:
    got = Counter()
    for c in synth_changes.changes:
        if c.section.startswith("formulary"):
            key = c.location.row_key or []
            got[(change_kind(c), key[0], key[1] if len(key) > 1 else "")] += 1
    assert got == Counter(PLANTED)
    others = [
        (c.section, c.path) for c in synth_changes.changes if not c.section.startswith("formulary")
    ]
    assert others == [("policy", "policy.effective_date")]
    moved = next(c for c in synth_changes.changes if change_kind(c) == "moved")
    assert moved.detail == "moved from class Inhaled Corticosteroids to Leukotriene Modifiers"
    ql = next(c for c in synth_changes.changes if change_kind(c) == "QL changed")
    assert ql.detail == "limits 30 per 30 days -> 60 per 30 days"


def test_report_csv_has_one_header_row_and_one_row_per_change(
    synth: tuple[Path, Path], synth_changes: ChangeSet
) -> None:
    result = CliRunner().invoke(cli, ["report", str(synth[0]), str(synth[1]), "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.output)))
    assert rows[0][:4] == ["change_id", "kind", "class", "drug"]
    assert len(rows) == 1 + len(synth_changes.changes)
    assert {len(r) for r in rows} == {len(rows[0])}
    status = next(r for r in rows if r[1] == "status changed")
    assert status[2:7] == ["Beta Blockers", "metoprolol tartrate", "status", "Y", "N"]


def test_csv_cells_never_start_a_formula(synth_docs: tuple[PolicyDocument, PolicyDocument]) -> None:
    old, new = synth_docs
    hostile = new.model_copy(deep=True)
    assert hostile.formulary is not None
    hostile.formulary.drugs[0].status_printed = '=HYPERLINK("http://x")'
    text = render(diff_documents(old, hostile), old, hostile, "csv")
    cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "@")]
    assert any(c.startswith("'=HYPERLINK") for c in cells)


def test_html_and_markdown_reports_lead_with_the_drug_list_tables(
    synth_docs: tuple[PolicyDocument, PolicyDocument], synth_changes: ChangeSet
) -> None:
    old, new = synth_docs
    html = render(synth_changes, old, new, "html")
    first = html.index('id="formulary-status-table"')
    assert first < html.index('id="formulary-added"') < html.index('id="formulary-criteria"')
    assert "metoprolol tartrate" in html[first : html.index('id="formulary-added"')]
    md = render(synth_changes, old, new, "md")
    assert "### Status, PA, step therapy and quantity limits" in md
    assert "| status changed | Beta Blockers | metoprolol tartrate |" in md


# ---------------------------------------------------------------- TennCare corpus


def _expect(name: str) -> dict:  # type: ignore[type-arg]
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def _row(d: object) -> dict[str, object]:
    return {
        "drug": d.name,
        "class": d.class_name,
        "status": d.status_printed,
        "pa": d.pa,
        "quantity_limit": d.quantity_limit,
        "page": d.page,
    }


# The PDF reader returns only the name cell of the last table row of p238 ("Rocklatan®"):
# the formulary keeps the drug and says so (warning formulary_row_cells_lost).
CELLS_LOST = {("Ophthalmic Kinase Inhibitors", "Rocklatan®")}


@pytest.mark.corpus
def test_tenncare_classes_and_rows(corpus_doc: Callable[[str], PolicyDocument]) -> None:
    doc = corpus_doc(JUNE)
    exp = _expect("tenncare_pdl-clinical-criteria_2025-06-01.formulary.json")
    f = doc.formulary
    assert f is not None
    assert [(c.name, c.page) for c in f.classes] == [(c["name"], c["page"]) for c in exp["classes"]]
    assert [c.name for c in f.categories] == [c["name"] for c in exp["categories"]]
    assert f.legend == exp["legend"] and f.columns == exp["columns"]
    assert doc.policy.effective_date == exp["effective_date"] and f.banner == exp["banner_example"]
    assert not [w for w in doc.warnings if w.code == "unrecognised_section"]
    by_class: dict[tuple[str, str], list[dict[str, object]]] = {}
    for d in f.drugs:
        by_class.setdefault((d.class_name, d.name), []).append(_row(d))
    for cls in exp["complete_classes"]:
        assert [d.name for d in f.drugs if d.class_name == cls["name"]] == [
            r["drug"] for r in cls["rows"]
        ]
    seen: Counter[tuple[str, str]] = Counter()
    rows = [r for c in exp["complete_classes"] for r in c["rows"]] + exp["sample_rows"]
    for want in rows:
        key = (want["class"], want["drug"])
        got = by_class[key][seen[key]]
        seen[key] += 1
        if key in CELLS_LOST:
            assert got["status"] is None
            lost = [w for w in doc.warnings if w.code == "formulary_row_cells_lost"]
            assert any(want["drug"] in w.message and w.page == want["page"] for w in lost)
            continue
        assert got == want
    assert len(rows) >= 60 and len({r["class"] for r in rows}) >= 10


@pytest.mark.corpus
def test_tenncare_pair_lists_drug_level_changes_only(
    corpus_doc: Callable[[str], PolicyDocument],
) -> None:
    old, new = corpus_doc(MAY), corpus_doc(JUNE)
    cs = diff_documents(old, new)
    exp = _expect("tenncare_pair_2025-05-01_to_2025-06-01.json")
    # revision metadata aside, every change names its drug or class
    others = [c for c in cs.changes if not c.section.startswith("formulary")]
    assert [(c.section, c.path) for c in others] == [("policy", "policy.effective_date")]
    ours = [c for c in cs.changes if c.section.startswith("formulary")]
    assert all(c.location.row_key and all(c.location.row_key) for c in ours)
    got = {(c.location.row_key[0], c.location.row_key[-1], change_kind(c)) for c in ours}  # type: ignore[index]
    kinds = {"added": "added", "criteria_changed": "criteria changed", "wording": "wording only"}
    want = {(c["class"], c["drug"], kinds[c["kind"]]) for c in exp["changes"]}
    assert want <= got
    # the other changes seen by eye (Dupixent's three passages are one change of its row)
    seen = {(c["class"], c["drug"], kinds[c["kind"]]) for c in exp["other_changes_seen"]}
    seen.discard(("Respiratory and Allergy Biologics", "Dupixent®", "wording only"))
    assert got == want | seen
    pages = {(c.location.row_key[-1], c.new_page) for c in ours if c.kind == "added"}  # type: ignore[index]
    assert pages >= {(c["drug"], c["new_page"]) for c in exp["changes"] if c["kind"] == "added"}
    # the checked classes have no other change (reflow, merged cells, page breaks)
    checked = set(exp["checked_classes"])
    assert {k for k in got if k[0] in checked} == {k for k in want if k[0] in checked}
