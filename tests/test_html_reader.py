"""HTML reader: a policy web page, a multi-page HTML export, and malformed input.

Expected values are those written into tests/fixtures/*.html (checked there by eye).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import the
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policy_tools.cli import cli
from policy_tools.errors import InputError
from policy_tools.extract import extract_file
from policy_tools.extract.blocks import RawBlock, RawDocument
from policy_tools.extract.readers.html import read_html

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PAGE = FIXTURES / "policy_page.html"
PRINT = FIXTURES / "policy_print.html"


@pytest.fixture(scope="module")
def page() -> RawDocument:
    return read_html(PAGE)


def _after(raw: RawDocument, heading: str, n: int) -> list[RawBlock]:
    i = next(i for i, b in enumerate(raw.blocks) if b.text == heading)
    return raw.blocks[i + 1 : i + 1 + n]


# -------------------------------------------------------------- the policy page


def test_page_header_from_the_header_element(page: RawDocument) -> None:
    assert page.format == "html" and page.pages == 1
    assert page.title == "Utilization Management and Clinical Medical Policy"
    assert [h.page for h in page.headers] == [1]
    assert page.headers[0].text == (
        "Policy Name: Epcoritamab-bysp (Epkinly) Policy Number: MP-RX-EX-204-26 "
        "Scope: ☒ Example MA ☐ Example Medicaid Origination Date: 1/15/2026 "
        "Last Review Date: 3/2/2026 Effective Date: 4/1/2026 Frequently Revision: Annual"
    )


def test_navigation_scripts_and_header_stay_out_of_the_body(page: RawDocument) -> None:
    text = " ".join(b.text for b in page.blocks)
    assert "Home" not in text and "analytics" not in text and "border" not in text
    assert "Policy Number" not in text
    assert page.blocks[0].text == "Service Category:"
    assert page.blocks[-1].text == "© 2026 Example Health Plan. Privacy"


def test_page_headings(page: RawDocument) -> None:
    headings = [b.text for b in page.blocks if b.kind == "heading"]
    assert headings == [
        "Service Category:",
        "Service Description:",
        "Definitions and Measures",
        "Medical Necessity Guidelines:",
        "A. Criteria For Initial Approval",
        "B. Criteria For Continuation of Therapy",
        "C. Authorization Duration",
        "D. Conditions Not Covered",
        "Limits or Restrictions:",
        "A. Quantity Limitations",
        "Codes Information:",
        "ICD-10 Diagnostic Codes:",
        "HCPCS Codes:",
        "Reference Information:",
        "Policy History:",
    ]


def test_checkbox_inputs_become_glyphs(page: RawDocument) -> None:
    cats = _after(page, "Service Category:", 1)[0]
    assert cats.rows == [
        ["☐ Anesthesia", "☐ Medicine Services and Procedures"],
        ["☐ Surgery", "☒ Other: Part B Drugs"],
    ]


def test_ordered_lists_labels_from_type_and_start(page: RawDocument) -> None:
    items = _after(page, "A. Criteria For Initial Approval", 9)
    assert items[0].text.startswith("Requests for Epkinly (epcoritamab-bysp) may be approved")
    got = [(b.kind, b.label, b.level, b.connector, b.text) for b in items[1:]]
    assert got == [
        (
            "list_item",
            "i.",
            0,
            "AND",
            "Individual has a diagnosis of diffuse large B-cell lymphoma (DLBCL)",
        ),
        (
            "list_item",
            "ii.",
            0,
            "AND",
            "Individual has received two or more lines of systemic therapy",
        ),
        ("list_item", "iii.", 0, None, "Individual meets one of the following:"),
        ("list_item", "a.", 1, "OR", "Individual is not eligible for CAR T-cell therapy"),
        ("list_item", "b.", 1, None, "Individual has relapsed after CAR T-cell therapy"),
        ("connector", None, 0, "OR", "OR"),
        ("list_item", "iv.", 0, "AND", "Individual has follicular lymphoma (FL)"),
        ("list_item", "v.", 0, None, "Requested use is as a single agent."),
    ]


def test_explicit_labels_in_bullets(page: RawDocument) -> None:
    items = _after(page, "D. Conditions Not Covered", 3)
    assert [(b.label, b.level, b.connector) for b in items] == [
        ("i.", 0, None),
        ("a.", 1, "OR"),
        ("b.", 1, None),
    ]
    defs = _after(page, "Definitions and Measures", 2)
    assert [(b.label, b.text.split(":")[0]) for b in defs] == [
        ("•", "Relapsed disease"),
        ("•", "Refractory disease"),
    ]


def test_table_rowspan_filled_down_and_colspan_repeated(page: RawDocument) -> None:
    dosing = next(
        b for b in page.blocks if b.kind == "table" and b.rows and b.rows[0][0] == "Dosing schedule"
    )
    monitor = "Monitor for cytokine release syndrome for 24 hours after the Cycle 1 Day 15 dose."
    assert dosing.rows == [
        ["Dosing schedule", "Day", "Dose of EPKINLY", "Recommended Monitoring"],
        ["Cycle 1", "Day 1 ^a", "0.16 mg", monitor],  # <sup>a</sup>: a footnote mark
        ["Cycle 1", "Day 8", "0.8 mg", monitor],
        ["Cycle 1", "Day 15 and 22", "48 mg", "Hospitalize for 24 hours after the Day 15 dose."],
        [
            "Cycles 2 and 3",
            "Days 1, 8, 15 and 22: 48 mg",
            "Days 1, 8, 15 and 22: 48 mg",
            "None required.",
        ],
    ]


def test_code_and_history_tables(page: RawDocument) -> None:
    tables = [b.rows for b in page.blocks if b.kind == "table"]
    assert [
        ["Codes", "Description"],
        ["C83.30-C83.39", "Diffuse large B-cell lymphoma"],
        ["C82.90", "Follicular lymphoma, unspecified, unspecified site"],
    ] in tables
    assert [["Codes", "Description"], ["J9321", "Injection, epcoritamab-bysp, 0.16 mg"]] in tables
    history = tables[-1]
    assert history == [
        ["Type of Review", "Summary of Changes", "P&T Approval Date", "UM/CMPC Approval Date"],
        [
            "Annual Review",
            "Added follicular lymphoma criteria. Grade ≥ 3 CRS language updated.",
            "2/20/2026",
            "3/2/2026",
        ],
        ["Policy Inception", "Developed Medical Policy.", "12/18/2025", "1/15/2026"],
    ]


def test_page_extracts_to_the_contract() -> None:
    doc = extract_file(PAGE)
    assert (doc.source.format, doc.source.pages) == ("html", 1)
    p = doc.policy
    assert p.number == "MP-RX-EX-204-26"
    assert p.name == "Epcoritamab-bysp (Epkinly)"
    assert (p.origination_date, p.last_review_date, p.effective_date) == (
        "2026-01-15",
        "2026-03-02",
        "2026-04-01",
    )
    assert p.scope == ["Example MA"]
    assert [(c.label, c.checked) for c in p.service_categories] == [
        ("Anesthesia", False),
        ("Medicine Services and Procedures", False),
        ("Surgery", False),
        ("Other: Part B Drugs", True),
    ]
    initial = the(doc).initial
    assert initial is not None and initial.op == "OR" and len(initial.items) == 2
    assert the(doc).authorization.initial_months == 6
    assert the(doc).authorization.reauthorization_months == 12
    assert [(c.system, c.code, c.first, c.last) for c in doc.codes] == [
        ("ICD-10-CM", "C83.30-C83.39", "C83.30", "C83.39"),
        ("ICD-10-CM", "C82.90", "C82.90", "C82.90"),
        ("HCPCS", "J9321", "J9321", "J9321"),
    ]
    assert [(r.schedule, r.day, r.dose) for r in doc.dosing.schedule][:3] == [
        ("Cycle 1", "Day 1", "0.16 mg"),
        ("Cycle 1", "Day 8", "0.8 mg"),
        ("Cycle 1", "Day 15 and 22", "48 mg"),
    ]
    assert [(h.review_type, h.pt_approval_date, h.um_approval_date) for h in doc.history] == [
        ("Annual Review", "2026-02-20", "2026-03-02"),
        ("Policy Inception", "2025-12-18", "2026-01-15"),
    ]
    assert [r.label for r in doc.references] == ["1.", "2."]


# ------------------------------------------------ a multi-page HTML export


def test_repeated_header_tables_count_pages() -> None:
    raw = read_html(PRINT)
    assert raw.pages == 3
    assert raw.title == "Utilization Management and Clinical Medical Policy"
    assert [h.text.split(" Policy Number")[0] for h in raw.headers] == [
        "Policy Name: Teclistamab-cqyv (Tecvayli)",
        "Policy Name: Teclistamab-cqvy (Tecvayli)",
        "Policy Name: Teclistamab-cqyv (Tecvayli)",
    ]
    # the list cut by the page-2 header continues at the level of "i."
    cont = [(b.label, b.level, b.page) for b in raw.blocks if b.kind == "list_item"]
    assert cont == [("a.", 0, 1), ("i.", 1, 1), ("ii.", 1, 2), ("1.", 0, 3)]
    assert [b.page for b in raw.blocks if b.kind == "table"] == [2]
    doc = extract_file(PRINT)
    assert doc.policy.name_variants == [
        "Teclistamab-cqyv (Tecvayli)",
        "Teclistamab-cqvy (Tecvayli)",
    ]
    assert doc.policy.effective_date == "2026-06-01"


# ----------------------------------------------------------- malformed input


def _write(tmp_path: Path, name: str, content: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(content)
    return p


def test_unclosed_tags_are_recovered(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        "u.html",
        b"<html><body><h2>Coverage Criteria<p>Requests <b>may be approved if:<ul>"
        b"<li>i. one; <b>AND</b><li>ii. two<table><tr><td>C33<td>Trachea",
    )
    raw = read_html(p)
    assert [(b.kind, b.text, b.label, b.connector) for b in raw.blocks] == [
        ("heading", "Coverage Criteria", None, None),
        ("paragraph", "Requests may be approved if:", None, None),
        ("list_item", "one", "i.", "AND"),
        ("list_item", "two", "ii.", None),
        ("table", "", None, None),
    ]
    assert raw.blocks[-1].rows == [["C33", "Trachea"]]
    assert extract_file(p).source.format == "html"


def test_odd_attributes_and_encodings(tmp_path: Path) -> None:
    weird = _write(
        tmp_path,
        "w.html",
        b'<html><body><table><tr><td rowspan="999999999">a</td></tr><tr></tr></table>'
        b'<ol type="z" start="abc"><li value="x">item</li></ol></body></html>',
    )
    raw = read_html(weird)
    assert raw.blocks[0].rows == [["a"], ["a"]]
    assert (raw.blocks[1].label, raw.blocks[1].text) == ("1.", "item")
    latin = _write(tmp_path, "l.html", b"<html><body><p>Caf\xe9 \x96 policy</p></body></html>")
    assert [b.text for b in read_html(latin).blocks] == ["Café – policy"]
    xml = _write(
        tmp_path,
        "x.xhtml",
        b'<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml">'
        b"<body><p>Caf\xc3\xa9 policy</p></body></html>",
    )
    assert [b.text for b in read_html(xml).blocks] == ["Café policy"]


def test_html_is_detected_by_content_whatever_the_suffix(tmp_path: Path) -> None:
    p = _write(tmp_path, "policy.txt", PAGE.read_bytes())
    doc = extract_file(p)
    assert doc.source.format == "html"
    assert doc.policy.number == "MP-RX-EX-204-26"


@pytest.mark.parametrize(
    ("content", "cause"),
    [
        (b"", "empty file"),
        (b"  \n \n", "empty file"),
        (b"<html>\x00\x01\x02\x03" + bytes(range(256)) * 8, "binary data"),
        (bytes((i * 37 + 11) % 255 + 1 for i in range(3000)), "binary data"),
        (b"<html><head><title>t</title><script>x()</script></head><body></body></html>", "no text"),
    ],
)
def test_bad_html_is_a_one_line_error(tmp_path: Path, content: bytes, cause: str) -> None:
    p = _write(tmp_path, "bad.html", content)
    with pytest.raises(InputError, match=cause):
        extract_file(p)
    out = tmp_path / "o.json"
    result = CliRunner().invoke(cli, ["extract", str(p), "-o", str(out)])
    assert result.exit_code == 2
    assert cause in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not out.exists()


_TOKENS = st.sampled_from(
    [
        "<p>", "</p>", "<ul>", "<ol type='i'>", "<li>", "</li>", "<table>", "<tr>",
        "<td rowspan=2>", "<td colspan=3>", "<b>", "</b>", "AND", "OR", "<header>",
        "</header>", "i. x", "a.",
        "<input type=checkbox checked>", "<h2>", "Policy Name: X", "\t", "\n", ";", "&amp;", "<",
        "<!--", "-->", "<script>", "\\geq", "\x85", "<?xml version='1.0' encoding='utf-8'?>",
    ]
)  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=600), st.lists(_TOKENS, max_size=60).map("".join)))
def test_any_input_gives_a_document_or_an_input_error(content: bytes | str) -> None:
    data = content.encode("utf-8") if isinstance(content, str) else content
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "fuzz.html"
        p.write_bytes(data)
        try:
            raw = read_html(p)
        except InputError as err:
            assert "\n" not in str(err)
            return
        assert raw.pages >= 1
        assert all(b.page >= 1 and (b.text or b.rows) for b in raw.blocks)


# ------------------------------------------------------------ <header> elements


def _page(tmp_path: Path, body: str) -> RawDocument:
    return read_html(_write(tmp_path, "h.html", f"<html><body>{body}</body></html>".encode()))


def test_header_label_cells_are_joined_to_their_values(tmp_path: Path) -> None:
    over = _page(
        tmp_path,
        "<header><table><tr><th>Policy Name</th><th>Policy Number</th><th>Effective Date</th></tr>"
        "<tr><td>Drug (Brand)</td><td>MP-1</td><td>6/1/2026</td></tr></table></header>"
        "<p>Body text.</p>",
    )
    assert [h.text for h in over.headers] == [
        "Policy Name: Drug (Brand) Policy Number: MP-1 Effective Date: 6/1/2026"
    ]
    beside = _page(
        tmp_path,
        "<header><table><tr><td>Policy Number:</td><td>MP-2</td></tr>"
        "<tr><td>Effective Date</td><td>7/1/2026</td></tr></table></header><p>Body.</p>",
    )
    assert [h.text for h in beside.headers] == ["Policy Number: MP-2 Effective Date: 7/1/2026"]


def test_header_elements_count_pages_only_when_they_repeat(tmp_path: Path) -> None:
    site = _page(
        tmp_path,
        "<header><p>Example Health Plan</p></header><article><header><h1>Drug X Policy</h1>"
        "<p>Policy Number: MP-9</p></header><p>Body.</p></article>",
    )
    assert site.pages == 1
    assert [(h.page, h.text) for h in site.headers] == [
        (1, "Example Health Plan"),
        (1, "Drug X Policy Policy Number: MP-9"),
    ]
    assert [(b.text, b.page) for b in site.blocks] == [("Body.", 1)]
    paged = _page(
        tmp_path,
        "".join(
            f"<header><p>Policy Name: Drug {s} Policy Number: MP-9</p></header><p>Page {n}.</p>"
            for n, s in enumerate(["Xa", "Xb", "Xa"], start=1)
        ),
    )
    assert paged.pages == 3
    assert [(b.text, b.page) for b in paged.blocks] == [
        ("Page 1.", 1),
        ("Page 2.", 2),
        ("Page 3.", 3),
    ]


def test_the_seed_as_a_web_page_reads_like_the_seed(tmp_path: Path, seed_md: Path) -> None:
    from policy_tools.extract.readers.markdown import markdown_to_html, read_markdown

    html = markdown_to_html(seed_md.read_text(encoding="utf-8"))
    page = _write(tmp_path, "seed.html", f"<html><body>{html}</body></html>".encode())
    as_html, as_md = read_html(page), read_markdown(seed_md)
    assert (as_html.format, as_md.format) == ("html", "markdown")
    assert (as_html.pages, as_html.title, as_html.headers) == (7, as_md.title, as_md.headers)
    assert as_html.blocks == as_md.blocks
