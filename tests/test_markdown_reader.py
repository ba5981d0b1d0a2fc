"""Markdown reader: the seed (a converter's Markdown of the 2026 PDF) and small sources.

Expected values below were read off ../shared/seed/000_aaaa434be15a5c70.txt and the
2026 PDF by eye, not copied from the reader's output.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from policy_tools.cli import cli
from policy_tools.errors import InputError
from policy_tools.extract import extract_file
from policy_tools.extract.blocks import RawBlock, RawDocument
from policy_tools.extract.readers.markdown import markdown_to_html, read_markdown

GOLDEN_DIR = Path(__file__).resolve().parent.parent / "extracted" / "MP-RX-FP-171-25"

SPELLINGS = [  # the Policy Name cell of the seed's 7 page headers, in page order
    "Tarlatab-m-dlle (Imdelltra)",
    "Tarlatab-dlle (Imdelltra)",
    "Tarlatab-m-dlle (Imdelltra)",
    "Tarlatabamab-dlle (Imdelltra)",
    "Tarlataamab-dlle (Imdelltra)",
    "Tarlatab-m-dlle (Imdelltra)",
    "Tarlatacab-dlle (Imdelltra)",
]
TITLE = "Utilization Management and Clinical Medical Policy"


@pytest.fixture(scope="module")
def seed(seed_md: Path) -> RawDocument:
    return read_markdown(seed_md)


def _items(raw: RawDocument, page: int) -> list[RawBlock]:
    return [b for b in raw.blocks if b.page == page and b.kind in ("list_item", "connector")]


def _table(raw: RawDocument, first_cell: str) -> RawBlock:
    found = [b for b in raw.blocks if b.kind == "table" and b.rows and b.rows[0][0] == first_cell]
    assert len(found) == 1, f"expected one table headed {first_cell!r}, found {len(found)}"
    return found[0]


# ------------------------------------------------------------------ page headers


def test_seed_pages_come_from_the_seven_repeated_headers(seed: RawDocument) -> None:
    assert seed.format == "markdown"
    assert seed.pages == 7
    assert [h.page for h in seed.headers] == [1, 2, 3, 4, 5, 6, 7]
    assert seed.title == TITLE
    assert seed.headers[0].text == (
        "Policy Name: Tarlatab-m-dlle (Imdelltra) Policy Number: MP-RX-FP-171-25 "
        "Scope: ☒ MMM MA ☒ MMM MultiHealth Origination Date: 8/8/2025 "
        "Last Review Date: 5/6/2026 Effective Date: 5/6/2026 Frequently Revision: Annual"
    )


def test_seed_header_spellings(seed: RawDocument) -> None:
    names = []
    for h in seed.headers:
        m = re.match(r"Policy Name: (.*?) Policy Number:", h.text)
        assert m, h.text
        names.append(m.group(1))
    assert names == SPELLINGS
    assert len(set(names)) == 5


def test_seed_headers_are_removed_from_the_body(seed: RawDocument) -> None:
    texts = [b.text for b in seed.blocks] + [
        c for b in seed.blocks for r in b.rows or [] for c in r
    ]
    assert not any("Policy Number:" in t for t in texts)
    assert not any(t == TITLE for t in texts)


def test_blocks_get_the_page_of_the_header_above(seed: RawDocument) -> None:
    def page_of(text: str) -> int:
        return next(b.page for b in seed.blocks if b.text.startswith(text))

    assert page_of("Service Description:") == 1
    assert page_of("Medical Necessity Guidelines:") == 2
    assert page_of("C. Authorization Duration") == 3
    assert page_of("Limits or Restrictions:") == 4
    assert page_of("Codes Information:") == 5
    assert page_of("Reference Information:") == 6
    assert page_of("Policy History:") == 7


# ---------------------------------------------------------------------- headings


def test_seed_headings(seed: RawDocument) -> None:
    headings = [b.text for b in seed.blocks if b.kind == "heading"]
    for expected in (
        "Service Category:",  # "Service" and "Category:" are two lines in the seed
        "Service Description:",
        "Background Information:",
        "Definitions and Measures",  # no colon: a short line standing alone
        "Approved Indications",
        "Other Uses",
        "Medical Necessity Guidelines:",
        "B. Criteria For Continuation of Therapy",
        "D. Conditions Not Covered",
        "Limits or Restrictions:",
        "ICD-10 Diagnostic Codes:",
        "HCPCS Codes:",
        "Policy History:",
    ):
        assert expected in headings
    assert "Service" not in headings and "Category:" not in headings
    # long lines ending in ':' stay paragraphs
    intro = (
        "Requests for Imdelltra (tarlatab-dlle) may be approved if the following criteria are met:"
    )
    assert [b.kind for b in seed.blocks if b.text == intro] == ["paragraph"]
    # the copyright line is followed by a heading, not body text: not a heading
    cpt = [b for b in seed.blocks if b.text == "© CPT Only – American Medical Association"]
    assert [b.kind for b in cpt] == ["paragraph"]


def test_service_categories_are_plain_bullets(seed: RawDocument) -> None:
    i = next(i for i, b in enumerate(seed.blocks) if b.text == "Service Category:")
    cats = seed.blocks[i + 1 : i + 9]
    assert [(b.kind, b.label, b.level) for b in cats] == [("list_item", "•", 0)] * 8
    assert [b.text for b in cats] == [
        "Anesthesia",
        "Surgery",
        "Radiology Procedures",
        "Pathology and Laboratory Procedures",
        "Medicine Services and Procedures",
        "Evaluation and Management Services",
        "DME/Prosthetics or Supplies",
        "Other: Part B Drugs",
    ]


# ---------------------------------------------------------------------- criteria


def test_initial_criteria_items_labels_levels_connectors(seed: RawDocument) -> None:
    items = _items(seed, 2)
    got = [(b.kind, b.label, b.level, b.connector) for b in items]
    assert (
        got[:19]
        == [
            ("list_item", "i.", 0, "AND"),
            ("list_item", "ii.", 0, "AND"),
            ("list_item", "iii.", 0, "AND"),
            ("list_item", "iv.", 0, None),
            ("connector", None, 0, "OR"),
            ("list_item", "v.", 0, "AND"),
            ("list_item", "vi.", 0, "AND"),
            ("list_item", "vii.", 0, None),
            ("list_item", "a.", 1, "OR"),
            ("list_item", "b.", 1, None),
            ("connector", None, 0, "OR"),
            ("list_item", "viii.", 0, "AND"),
            ("list_item", "ix.", 0, "AND"),
            ("list_item", "x.", 0, None),
            ("list_item", "a.", 1, "OR"),
            ("list_item", "b.", 1, None),
            # B. Criteria For Continuation of Therapy starts on the same page
            ("list_item", "a.", 0, None),
            ("list_item", "i.", 1, "AND"),
        ][:19]
    )
    assert [b.text for b in items if b.kind == "connector"] == ["OR", "OR"]
    # the connector word and the ';' before it are out of the text; emphasis is plain text
    assert items[0].text == (
        "Individual has a diagnosis of extensive stage small cell lung cancer (ES-SCLC) "
        "(Label, NCCN 1))"
    )
    assert items[7].text == "Individual meets one of the following:"
    assert items[9].text == "Use is for recurrent brain metastases"


def test_list_cut_by_a_page_header_keeps_its_level(seed: RawDocument) -> None:
    # "- ii." follows the page-3 header unindented; it continues "i." at level 1
    first = next(b for b in seed.blocks if b.page == 3)
    assert (first.kind, first.label, first.level) == ("list_item", "ii.", 1)
    assert first.text.startswith("Current imaging studies")


def test_not_covered_list(seed: RawDocument) -> None:
    i = next(i for i, b in enumerate(seed.blocks) if b.text == "D. Conditions Not Covered")
    items = [b for b in seed.blocks[i:] if b.kind == "list_item"][:8]
    assert [(b.label, b.level, b.connector) for b in items] == [
        ("i.", 0, None),
        *[(f"{c}.", 1, "OR") for c in "abcdef"],
        ("g.", 1, None),
    ]


def test_latex_escape_becomes_the_glyph_the_pdf_shows(seed: RawDocument) -> None:
    texts = [b.text for b in seed.blocks]
    assert any("Grade ≥ 2 CRS" in t for t in texts)
    assert not any("\\geq" in t for t in texts)


# ------------------------------------------------------------------------ tables


def test_dosing_table_keeps_blank_first_column_cells(seed: RawDocument) -> None:
    t = _table(seed, "Dosing schedule")
    rows = t.rows or []
    assert rows[0] == ["Dosing schedule", "Day", "Dose of IMDELLTRA", "Recommended Monitoring"]
    assert [r[0] for r in rows] == [
        "Dosing schedule",
        "Step-up Dose and Schedule Cycle 1",
        "",
        "",
        "Cycle 2",
        "Cycle 3 and 4",
        "Cycle 5 and subsequent infusions",
        "Exceptions",
    ]
    assert rows[2] == ["", "Day 8 ^a", "10mg IV", ""]
    assert rows[4] == [
        "Cycle 2",
        "Day 1 and 15",
        "10mg IV",
        "Observe patients for 6-8 hours post IMDELLTRA infusion.",
    ]
    assert rows[7] == ["Exceptions", "", "", ""]
    assert t.page == 4


def test_icd10_and_hcpcs_tables(seed: RawDocument) -> None:
    codes = [b for b in seed.blocks if b.kind == "table" and (b.rows or [[""]])[0][0] == "Codes"]
    assert [b.rows for b in codes] == [
        [
            ["Codes", "Description"],
            ["C7A.1", "Malignant poorly differentiated neuroendocrine tumors"],
            ["C33", "Malignant neoplasm of trachea"],
            ["C34.00-C34.92", "Malignant neoplasm of bronchus and lung"],
            ["C79.31", "Secondary malignant neoplasm of brain"],
        ],
        [["Codes", "Description"], ["J9026", "Injection, tarlatamab-dlle, 1 mg [Imdelltra]"]],
    ]
    assert [b.page for b in codes] == [5, 5]


def test_history_table_two_rows(seed: RawDocument) -> None:
    rows = _table(seed, "Type of Review").rows or []
    assert rows[0] == [
        "Type of Review",
        "Summary of Changes",
        "P&T Approval Date",
        "UM/CMPC Approval Date",
    ]
    assert len(rows) == 3
    assert rows[1][0] == "Annual Review" and rows[1][2:] == ["5/1/2026", "5/6/2026"]
    assert rows[1][1].startswith("Updated the policy to align with the current IMDELTRA")
    assert rows[1][1].endswith("for consistency across sections.")
    assert rows[2] == ["Policy Inception", "MMM Developed Medical Policy.", "7/17/2025", "8/8/2025"]


def test_references_nested_items(seed: RawDocument) -> None:
    i = next(i for i, b in enumerate(seed.blocks) if b.text == "Reference Information:")
    refs = [b for b in seed.blocks[i + 1 : i + 9]]
    assert [(b.label, b.level) for b in refs] == [
        *[(f"{n}.", 0) for n in range(1, 7)],
        ("a.", 1),
        ("b.", 1),
    ]
    # autolinks are text; the URL is kept as the PDF prints it
    assert "http://dailymed.nlm.nih.gov/dailymed/about.cfm" in refs[1].text


def test_reading_is_deterministic(seed_md: Path, seed: RawDocument) -> None:
    assert read_markdown(seed_md) == seed


# ------------------------------------------------------- small Markdown sources


def _md(tmp_path: Path, text: str, name: str = "p.md") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_markdown_without_page_headers_is_one_page(tmp_path: Path) -> None:
    raw = read_markdown(
        _md(
            tmp_path,
            "# Coverage Criteria\n\n**Initial Approval**\n\n"
            "1. Diagnosis of X; **AND**\n2. Age 18 or older; OR\n3. Other\n\n"
            "| Code | Description |\n|---|---|\n| J9999 | Injection, *x* |\n\n"
            'Scope: <input checked="" type="checkbox"/> A <input type="checkbox"/> B\n\n'
            "- [x] Done item\n",
        )
    )
    assert raw.pages == 1 and raw.headers == []
    assert raw.title == "Coverage Criteria"  # no page header: the first # heading
    got = [(b.kind, b.text, b.label, b.level, b.connector, b.bold) for b in raw.blocks]
    assert got[:5] == [
        ("heading", "Coverage Criteria", None, 0, None, True),
        ("heading", "Initial Approval", None, 0, None, True),
        ("list_item", "Diagnosis of X", "1.", 0, "AND", False),
        ("list_item", "Age 18 or older", "2.", 0, "OR", False),
        ("list_item", "Other", "3.", 0, None, False),
    ]
    assert raw.blocks[5].rows == [["Code", "Description"], ["J9999", "Injection, x"]]
    assert raw.blocks[6].text == "Scope: ☒ A ☐ B"
    assert (raw.blocks[7].label, raw.blocks[7].text) == ("•", "☒ Done item")


def test_tab_table_separator_makes_a_header_row() -> None:
    html = markdown_to_html("Intro\n\nA\tB\n---\t---\n1\t2\n\tx\n")
    assert "<thead><tr><th>A</th><th>B</th></tr></thead>" in html
    assert "<tbody><tr><td>1</td><td>2</td></tr><tr><td></td><td>x</td></tr></tbody>" in html


def test_one_space_indent_nests_and_text_is_escaped() -> None:
    html = markdown_to_html("- i. a\n - a. b <script>x</script>\n - b. c\n- ii. d\n")
    assert html.count("<ul>") == 2  # the 1-space items nest under "i."
    assert "<li>i. a\n<ul>" in html


@pytest.mark.parametrize(
    ("content", "cause"),
    [
        (b"", "empty file"),
        (b"  \n\n\t\n", "empty file"),
        (b"\x00\x01\x02binary" * 50, "binary data"),
    ],
)
def test_bad_markdown_is_a_one_line_error(tmp_path: Path, content: bytes, cause: str) -> None:
    p = tmp_path / "bad.md"
    p.write_bytes(content)
    with pytest.raises(InputError, match=cause):
        extract_file(p)
    result = CliRunner().invoke(cli, ["extract", str(p), "-o", str(tmp_path / "o.json")])
    assert result.exit_code == 2
    assert cause in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "o.json").exists()


def test_non_utf8_markdown_is_read_as_cp1252(tmp_path: Path) -> None:
    p = tmp_path / "w.md"
    p.write_bytes("Caf\u00e9 \u2013 policy\n".encode("cp1252"))
    assert [b.text for b in read_markdown(p).blocks] == ["Café – policy"]


# ------------------------------------------------ end to end: seed vs the 2026 PDF

# Fields the Markdown cannot carry, and so may differ from the PDF's extraction:
ALLOWED_DIFFERENCES = {
    # the seed lost the category checkboxes (and prints the two columns one after
    # the other): labels are compared as a set, checked is None for every category
    "policy.service_categories[*].checked",
    "policy.service_categories (order)",
    "sections[service_category].blocks",  # 8 bullets vs one line of ☐/☒ glyphs
    # vertically merged cells of the dosing table are blank in the Markdown
    "sections[dosing].blocks[table].rows[2][0]",
    "sections[dosing].blocks[table].rows[2][3]",
    "sections[dosing].blocks[table].rows[3][0]",
    "source (path, sha256, format)",
    "box (every item: a Markdown rendering has no page geometry)",
}


def _without_boxes(value: Any) -> Any:
    """``value`` with every ``box`` key dropped (see ALLOWED_DIFFERENCES)."""
    if isinstance(value, dict):
        return {k: _without_boxes(v) for k, v in value.items() if k != "box"}
    if isinstance(value, list):
        return [_without_boxes(v) for v in value]
    return value


@pytest.fixture(scope="module")
def both(seed_md: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    golden = GOLDEN_DIR / "2026-05-06.json"
    pdf = _without_boxes(json.loads(golden.read_text(encoding="utf-8")))
    md = extract_file(seed_md).model_dump(mode="json")
    assert _without_boxes(md) == md  # the Markdown reader gives no boxes
    return md, pdf


def test_seed_metadata_matches_the_pdf(both: tuple[dict[str, Any], dict[str, Any]]) -> None:
    md, pdf = both
    assert md["source"]["format"] == "markdown"
    assert md["source"]["pages"] == pdf["source"]["pages"] == 7
    assert md["policy"]["number"] == pdf["policy"]["number"] == "MP-RX-FP-171-25"
    assert md["policy"]["effective_date"] == pdf["policy"]["effective_date"] == "2026-05-06"
    assert md["policy"]["scope"] == pdf["policy"]["scope"] == ["MMM MA", "MMM MultiHealth"]
    assert md["policy"]["name_variants"] == list(dict.fromkeys(SPELLINGS))
    assert md["policy"]["name_variants"] == pdf["policy"]["name_variants"]
    same = {k: v for k, v in md["policy"].items() if k != "service_categories"}
    assert same == {k: v for k, v in pdf["policy"].items() if k != "service_categories"}
    md_cats = md["policy"]["service_categories"]
    pdf_cats = pdf["policy"]["service_categories"]
    assert sorted(c["label"] for c in md_cats) == sorted(c["label"] for c in pdf_cats)
    assert {c["checked"] for c in md_cats} == {None}


@pytest.mark.parametrize(
    "field", ["criteria", "codes", "dosing", "references", "history", "definitions", "warnings"]
)
def test_seed_content_equals_the_pdf(
    both: tuple[dict[str, Any], dict[str, Any]], field: str
) -> None:
    md, pdf = both
    assert md[field] == pdf[field]  # pages included: every block is on the PDF's page


def test_seed_sections_equal_the_pdf_except_the_allowed(
    both: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    md, pdf = both
    assert [(s["key"], s["title"], s["page"]) for s in md["sections"]] == [
        (s["key"], s["title"], s["page"]) for s in pdf["sections"]
    ]
    blank_where_pdf_merged = []
    for ms, ps in zip(md["sections"], pdf["sections"], strict=True):
        if ms["key"] == "service_category":
            continue
        assert len(ms["blocks"]) == len(ps["blocks"]), ms["key"]
        for i, (mb, pb) in enumerate(zip(ms["blocks"], ps["blocks"], strict=True)):
            if mb["type"] != "table":
                assert mb == pb, (ms["key"], i)
                continue
            assert {k: v for k, v in mb.items() if k != "rows"} == {
                k: v for k, v in pb.items() if k != "rows"
            }
            assert len(mb["rows"]) == len(pb["rows"])
            for r, (mrow, prow) in enumerate(zip(mb["rows"], pb["rows"], strict=True)):
                for c, (mcell, pcell) in enumerate(zip(mrow, prow, strict=True)):
                    if mcell != pcell:
                        assert mcell == "", (ms["key"], r, c)
                        blank_where_pdf_merged.append(
                            f"sections[{ms['key']}].blocks[table].rows[{r}][{c}]"
                        )
    assert set(blank_where_pdf_merged) <= ALLOWED_DIFFERENCES
    assert len(blank_where_pdf_merged) == 3


def test_cli_diff_seed_against_the_pdf_finds_no_content_change(seed_md: Path) -> None:
    pdf = Path(__file__).resolve().parent.parent / "source_pdfs"
    pdf = pdf / "MP-RX-FP-171-25_2026-05-06_annual-review.pdf"
    result = CliRunner().invoke(cli, ["diff", str(seed_md), str(pdf), "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["changes"] == []
    assert report["format_changes"] == []
    assert report["from"]["pages"] == report["to"]["pages"] == 7


def test_a_single_header_table_at_the_top_is_the_page_header(tmp_path: Path) -> None:
    p = _md(
        tmp_path,
        "Utilization Management and Clinical Medical Policy\n\n"
        "Policy Name: Drug-abcd (Brand)\tPolicy Number: MP-RX-XX-001-26\t"
        "Effective Date: 2/3/2026\n---\t---\t---\n\n"
        "Medical Necessity Guidelines:\n\n- i. First; **AND**\n- ii. Second.\n",
    )
    raw = read_markdown(p)
    assert raw.pages == 1 and raw.title == TITLE
    assert [(h.page, h.text) for h in raw.headers] == [
        (
            1,
            "Policy Name: Drug-abcd (Brand) Policy Number: MP-RX-XX-001-26 "
            "Effective Date: 2/3/2026",
        )
    ]
    assert [b.kind for b in raw.blocks] == ["heading", "list_item", "list_item"]
    doc = extract_file(p)
    assert (doc.policy.number, doc.policy.effective_date) == ("MP-RX-XX-001-26", "2026-02-03")
    assert doc.policy.name_variants == ["Drug-abcd (Brand)"]


def test_tabs_after_list_markers_do_not_make_tables(tmp_path: Path) -> None:
    raw = read_markdown(_md(tmp_path, "- i.\tFirst; **AND**\n- ii.\tSecond\n\n#\tTitle\n"))
    assert [(b.kind, b.label, b.text) for b in raw.blocks] == [
        ("list_item", "i.", "First"),
        ("list_item", "ii.", "Second"),
        ("heading", None, "Title"),
    ]
