"""The real payer PDFs in ../shared/corpus/real (never copied into the project).

Generic checks run for every MANIFEST.tsv row; the concrete expectations further down
were read off each PDF by eye (pdfplumber extract_text / extract_tables), not copied
from the extractor's output. The 277-page TennCare PDF is extracted once, in one test.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import CORPUS
from extract_checks import (
    RUNNING_PAGE,
    TOKEN,
    all_block_text,
    assert_valid,
    block_text,
    iter_blocks,
    page_problems,
    pdf_body_tokens,
)

from policy_tools.extract import extract_file
from policy_tools.model.policy import HistoryEntry, PolicyDocument

pytestmark = pytest.mark.corpus

TENNCARE = "tenncare_pdl-clinical-criteria_2025-05-01.pdf"
TENNCARE_CLASSES = (
    "ANALGESICS",
    "ANTI-INFECTIVES",
    "CARDIOVASCULAR",
    "CENTRAL NERVOUS SYSTEM",
    "DERMATOLOGICS",
    "DIABETIC SUPPLIES",
    "ENDOCRINE/METABOLIC AGENTS",
    "GASTROINTESTINAL",
    "IMMUNOLOGICS",
    "MISCELLANEOUS",
    "ONCOLOGY AGENTS",
    "OPHTHALMICS",
    "RARE CONDITIONS",
    "RENAL AND GENITOURINARY",
    "RESPIRATORY",
    "VITAMINS/ELECTROLYTES",
)


def _manifest() -> list[dict[str, str]]:
    path = CORPUS / "MANIFEST.tsv"
    if not path.exists():
        return []
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


MANIFEST = _manifest()
# every row except the two 277/279-page TennCare PDFs, whose own test is below
ROWS = [r for r in MANIFEST if not r["file"].startswith("tenncare_")]


def _ids(rows: list[dict[str, str]]) -> list[str]:
    return [r["file"].removesuffix(".pdf") for r in rows]


def test_manifest_lists_every_pdf(corpus_dir: Path) -> None:
    on_disk = sorted(p.name for p in corpus_dir.glob("*.pdf"))
    assert sorted(r["file"] for r in MANIFEST) == on_disk
    assert len(on_disk) == 20


# ------------------------------------------------------------------ generic, every file


def running_page_lines(doc: PolicyDocument) -> list[str]:
    return [block_text(b)[:120] for b in iter_blocks(doc) if RUNNING_PAGE.search(block_text(b))]


@pytest.mark.parametrize("row", ROWS, ids=_ids(ROWS))
def test_extracts_valid_document(
    row: dict[str, str], corpus_doc: Callable[[str], PolicyDocument]
) -> None:
    doc = corpus_doc(row["file"])
    assert doc.source.format == "pdf"
    assert doc.source.path == row["file"]
    assert doc.source.pages == int(row["pages"])
    assert_valid(doc)
    assert page_problems(doc) == []


@pytest.mark.parametrize("row", ROWS, ids=_ids(ROWS))
def test_no_glyph_placeholders_or_control_characters(
    row: dict[str, str], corpus_doc: Callable[[str], PolicyDocument]
) -> None:
    """Text hygiene (issue 10): no "(cid:NNN)" and no C0/C1 or bidi controls anywhere."""
    text = corpus_doc(row["file"]).model_dump_json()
    assert "(cid:" not in text
    decoded = json.loads(text)
    controls = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
    assert not controls.search(json.dumps(decoded, ensure_ascii=False))


@pytest.mark.parametrize("row", ROWS, ids=_ids(ROWS))
def test_sections_found_and_page_furniture_removed(
    row: dict[str, str], corpus_doc: Callable[[str], PolicyDocument]
) -> None:
    doc = corpus_doc(row["file"])
    assert doc.sections, "no sections"
    assert sum(len(s.blocks) for s in doc.sections) >= doc.source.pages, "too few blocks"
    # only text before the first heading (a preamble) may lack a printed title
    assert [s.key for s in doc.sections[1:] if not s.title.strip()] == []
    assert running_page_lines(doc) == []


@pytest.mark.parametrize("row", ROWS, ids=_ids(ROWS))
def test_body_text_kept(
    row: dict[str, str], corpus_doc: Callable[[str], PolicyDocument], corpus_dir: Path
) -> None:
    """At least 97% of the distinct words printed anywhere appear in the sections
    (the rest: page numbers, footnote marks glued to words, running headers)."""
    doc = corpus_doc(row["file"])
    printed = pdf_body_tokens(corpus_dir / row["file"], skip_header_table=False)
    kept = {t.lower() for t in TOKEN.findall(all_block_text(doc))}
    lost = printed - kept
    assert len(lost) <= 0.03 * len(printed), sorted(lost)[:40]


def test_tenncare_277_pages(corpus_dir: Path) -> None:
    """One extraction of the 277-page PDL (a minute or so): pages, sections, validity."""
    doc = extract_file(corpus_dir / TENNCARE)
    assert doc.source.pages == 277
    assert_valid(doc)
    assert page_problems(doc) == []
    # the therapeutic classes, printed 11 pt bold at the top of their pages (body: 9 pt),
    # are the formulary's categories, each on the page it is printed on (read off the
    # PDF: ANTI-INFECTIVES p. 22, ENDOCRINE/METABOLIC AGENTS p. 132, the last two p. 276)
    assert doc.formulary is not None
    pages = {" ".join(c.name.split()).upper(): c.page for c in doc.formulary.categories}
    assert sorted(set(TENNCARE_CLASSES) - set(pages)) == []
    assert pages["ANALGESICS"] == 1 and pages["ANTI-INFECTIVES"] == 22
    assert pages["ENDOCRINE/METABOLIC AGENTS"] == 132
    assert pages["SMOKING CESSATION AGENTS"] == pages["VITAMINS/ELECTROLYTES"] == 276
    # every page is represented: blocks start on it, rows of a table joined across page
    # breaks come from it, or the formulary's drug rows, classes and categories are on it
    covered = {b.page for s in doc.sections for b in s.blocks}
    covered |= {p for s in doc.sections for b in s.blocks for p in b.row_pages or []}
    f = doc.formulary
    covered |= {p for d in f.drugs for p in d.pages or [d.page]}
    covered |= {c.page for c in f.classes} | {c.page for c in f.categories}
    assert covered == set(range(1, 278))
    assert running_page_lines(doc) == []
    # page 1: "Clinical Criteria, Step Therapy, and Quantity Limits for TennCare Preferred
    # Drug List (PDL)" / "May 1, 2025"
    meta = doc.policy
    assert "TennCare Preferred Drug List" in " ".join(filter(None, [meta.title, meta.name]))
    assert meta.effective_date == "2025-05-01"
    text = all_block_text(doc) + " ".join(d.name for d in f.drugs)
    for word in ("Lucemyra", "Veltassa", "cyanocobalamin"):  # first and last pages
        assert word in text


# ------------------------------------------------------------------ per-file expectations


@dataclass(frozen=True)
class Expect:
    number: str
    effective: str | None = None
    last_review: str | None = None
    origination: str | None = None
    hcpcs: frozenset[str] | None = None  # exactly these HCPCS codes (distinct)
    hcpcs_include: frozenset[str] = frozenset()
    icd10: tuple[str, ...] | None = None  # exactly these ICD-10 entries, as printed, in order
    icd10_distinct: int | None = None
    icd10_include: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> first, last
    history_dates: tuple[str, ...] | None = None  # one per row, in printed order
    history_rows: int | None = None  # row count when the dates are month-year only
    history_months: tuple[str, str] | None = None  # first and last row, "YYYY-MM"
    history_text: dict[int, str] = field(default_factory=dict)  # row index -> words in it


def _fep(number: str, eff: str, last: str, orig: str, months: tuple[str, str], rows: int) -> Expect:
    """BCBS FEP: Policy History rows are dated "March 2021"; first, last and count checked."""
    return Expect(
        number=number,
        effective=eff,
        last_review=last,
        origination=orig,
        history_rows=rows,
        history_months=months,
    )


CIGNA_IP0660_HCPCS = frozenset({"J1745", "Q5103", "Q5104", "Q5121"})
CIGNA_IP0660_HISTORY = ("2024-11-01", "2025-02-15", "2025-09-01", "2025-10-15", "2026-01-01")
CIGNA_IP0319 = Expect(
    number="IP0319",
    effective="2026-02-01",
    hcpcs=frozenset({"J9312", "Q5115", "Q5119", "Q5123"}),
    history_dates=("2025-07-01", "2025-08-15", "2025-10-15", "2026-02-01"),
    history_text={0: "Preferencing Product Table", 3: "Pemphigus Vulgaris"},
)

EXPECT: dict[str, Expect] = {
    # header: "Effective Date .... 01/01/2026", "Coverage Policy Number .... IP0660";
    # Coding Information: 4 HCPCS rows; Revision Details: 5 rows, oldest first
    "cigna_infliximab-iv_ip0660_2026-01-01.pdf": Expect(
        number="IP0660",
        effective="2026-01-01",
        hcpcs=CIGNA_IP0660_HCPCS,
        history_dates=CIGNA_IP0660_HISTORY,
        history_text={0: "New policy", 4: "Plaque Psoriasis"},
    ),
    "cigna_infliximab-iv_ip0660_2026-03-15.pdf": Expect(
        number="IP0660",
        effective="2026-03-15",
        hcpcs=CIGNA_IP0660_HCPCS,
        history_dates=(*CIGNA_IP0660_HISTORY, "2026-03-01", "2026-03-15"),
        history_text={5: "No criteria changes", 6: "Crohn"},
    ),
    # the same policy saved by Acrobat and by PDFium: identical expectations
    "cigna_rituximab-non-oncology_ip0319_2026-02-01_adobe.pdf": CIGNA_IP0319,
    "cigna_rituximab-non-oncology_ip0319_2026-02-01_pdfium.pdf": CIGNA_IP0319,
    # "Document #: CC-0029 Publish Date: 09/10/2025 / Status: Revised Last Review Date:
    # 08/15/2025"; Coding: HCPCS J3590, C9399 then 13 ICD-10 rows (pages 7-8)
    "anthem_dupixent_cc-0029_2025-09-10.pdf": Expect(
        number="CC-0029",
        last_review="2025-08-15",
        hcpcs=frozenset({"J3590", "C9399"}),
        icd10=(
            "L12.0",
            "L20.0-L20.9",
            "L28.1",
            "L50.1",
            "L50.8",
            "L50.9",
            "J44.0-J44.9",
            "J45.40-J45.52",
            "J45.901-J45.998",
            "J82.83",
            "J32.0-J32.9",
            "J33.0-J33.9",
            "K20.0",
        ),
        icd10_include={"J45.901-J45.998": ("J45.901", "J45.998")},
    ),
    # FEP header: "5.21.169 / Effective Date: April 1, 2024 / Original Policy Date: March 12,
    # 2021 / Last Review Date: March 8, 2024"; Policy History rows counted by their dates
    "bcbs-fep_breyanzi_5.21.169_2024-04-01.pdf": _fep(
        "5.21.169", "2024-04-01", "2024-03-08", "2021-03-12", ("2021-03", "2024-03"), 13
    ),
    "bcbs-fep_breyanzi_5.21.169_2025-04-01.pdf": _fep(
        "5.21.169", "2025-04-01", "2025-03-07", "2021-03-12", ("2021-03", "2025-03"), 16
    ),
    "bcbs-fep_carvykti_5.21.188_2024-04-01.pdf": _fep(
        "5.21.188", "2024-04-01", "2024-03-08", "2022-03-25", ("2022-03", "2024-03"), 7
    ),
    "bcbs-fep_carvykti_5.21.188_2025-07-01.pdf": _fep(
        "5.21.188", "2025-07-01", "2025-06-12", "2022-03-25", ("2022-03", "2025-06"), 11
    ),
    "bcbs-fep_ibrance_5.21.054_2024-07-01.pdf": _fep(
        "5.21.054", "2024-07-01", "2024-06-13", "2015-02-20", ("2015-02", "2024-06"), 19
    ),
    "bcbs-fep_ibrance_5.21.054_2025-07-01.pdf": _fep(
        "5.21.054", "2025-07-01", "2025-06-12", "2015-02-20", ("2015-02", "2025-06"), 22
    ),
    "bcbs-fep_spinraza_5.75.015_2024-10-01.pdf": _fep(
        "5.75.015", "2024-10-01", "2024-09-06", "2017-01-13", ("2017-01", "2024-09"), 16
    ),
    "bcbs-fep_spinraza_5.75.015_2025-01-01.pdf": _fep(
        "5.75.015", "2025-01-01", "2024-12-13", "2017-01-13", ("2017-01", "2024-12"), 17
    ),
    # "Reference Number: ERX.SPA.241 / Effective Date: 09.01.18"; one history row
    # "Policy created. | 05.08.18 | 08.18"
    "envolve_blincyto_erx-spa-241_2018-09-01.pdf": Expect(
        number="ERX.SPA.241",
        effective="2018-09-01",
        history_dates=("2018-05-08",),
        history_text={0: "Policy created"},
    ),
    # "Document Number: IC-0098 / Last Review Date: 11/04/2025 / Date of Origin: 11/28/2011";
    # Appendix 1: two ICD-10 tables (27 + 53 rows, pages 12-15; C50.011-C50.929 and Z85.3
    # in both) = 78 distinct; HCPCS bullets on page 7
    "emblemhealth_denosumab_ic-0098_2025-11-04.pdf": Expect(
        number="IC-0098",
        last_review="2025-11-04",
        origination="2011-11-28",
        hcpcs_include=frozenset({"J0897", "Q5136", "Q5157", "Q5158", "Q5159", "Q5161", "Q5162"}),
        icd10_distinct=78,
        icd10_include={
            "C50.011-C50.929": ("C50.011", "C50.929"),
            "M80.00XA-M80.08XS": ("M80.00XA", "M80.08XS"),
            "C00-C14": ("C00", "C14"),
            "D37-D44": ("D37", "D44"),
            "Z85.528": ("Z85.528", "Z85.528"),
        },
    ),
    # "Program Number 2024 P 2116-18 ... Effective Date 6/1/2024"
    "uhc_dupixent_pa-med-nec_2024-06-01.pdf": Expect(
        number="2024 P 2116-18", effective="2024-06-01"
    ),
    "uhc_dupixent_pa-med-nec_2025-11-01.pdf": Expect(
        number="2025 P 2116-22", effective="2025-11-01"
    ),
    # "Policy Number: 2026D0003AO / Effective Date: January 1, 2026"; Applicable Codes:
    # 7 HCPCS rows, 338 ICD-10 rows (D47.Z1 ... Z92.22); history: one row dated 01/01/2026
    "uhc_rituximab_mbdp-2026d0003ao_2026-01-01.pdf": Expect(
        number="2026D0003AO",
        effective="2026-01-01",
        hcpcs=frozenset({"J3590", "J9311", "J9312", "J9999", "Q5115", "Q5119", "Q5123"}),
        icd10_distinct=338,
        icd10_include={"D47.Z1": ("D47.Z1", "D47.Z1"), "Z92.22": ("Z92.22", "Z92.22")},
        history_dates=("2026-01-01",),
        history_text={0: "Preferred Product"},
    ),
}


def _files(predicate: Callable[[Expect], object]) -> list[str]:
    return sorted(name for name, e in EXPECT.items() if predicate(e))


def test_every_small_file_has_expectations(corpus_dir: Path) -> None:
    assert sorted(EXPECT) == sorted(r["file"] for r in ROWS)


@pytest.mark.parametrize("name", _files(lambda e: True))
def test_policy_number(name: str, corpus_doc: Callable[[str], PolicyDocument]) -> None:
    assert corpus_doc(name).policy.number == EXPECT[name].number


@pytest.mark.parametrize("name", _files(lambda e: e.effective or e.last_review or e.origination))
def test_dates(name: str, corpus_doc: Callable[[str], PolicyDocument]) -> None:
    e, meta = EXPECT[name], corpus_doc(name).policy
    want = {"effective": e.effective, "last_review": e.last_review, "origination": e.origination}
    got = {
        "effective": meta.effective_date,
        "last_review": meta.last_review_date,
        "origination": meta.origination_date,
    }
    assert {k: got[k] for k, v in want.items() if v} == {k: v for k, v in want.items() if v}


def _codes(doc: PolicyDocument, system: str) -> list[str]:
    return [c.code for c in doc.codes if c.system == system]


@pytest.mark.parametrize("name", _files(lambda e: e.hcpcs or e.hcpcs_include))
def test_hcpcs_codes(name: str, corpus_doc: Callable[[str], PolicyDocument]) -> None:
    e, got = EXPECT[name], set(_codes(corpus_doc(name), "HCPCS"))
    if e.hcpcs is not None:
        assert got == e.hcpcs
    assert e.hcpcs_include <= got


@pytest.mark.parametrize("name", _files(lambda e: e.icd10 or e.icd10_distinct or e.icd10_include))
def test_icd10_codes(name: str, corpus_doc: Callable[[str], PolicyDocument]) -> None:
    e, doc = EXPECT[name], corpus_doc(name)
    got = _codes(doc, "ICD-10-CM")
    if e.icd10 is not None:
        assert tuple(got) == e.icd10
    if e.icd10_distinct is not None:
        assert len(set(got)) == e.icd10_distinct
    ranges = {c.code: (c.first, c.last) for c in doc.codes if c.system == "ICD-10-CM"}
    for code, first_last in e.icd10_include.items():
        assert ranges.get(code) == first_last, code
    assert all(c.page >= 1 and c.first <= c.last for c in doc.codes)


def _entry_dates(h: HistoryEntry) -> set[str]:
    """Every date of a history row, whichever field the single 'Date' column went to."""
    fields = (h.pt_approval_date, h.um_approval_date, getattr(h, "date", None))
    return {d for d in fields if isinstance(d, str) and d}


def _entry_text(h: HistoryEntry) -> str:
    return " ".join([h.review_type, h.summary, *sorted(_entry_dates(h))])


MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def _month_forms(iso_month: str) -> tuple[str, str]:
    """'2021-03' -> ('2021-03', 'March 2021'): ISO preferred, as printed accepted."""
    year, month = iso_month.split("-")
    return iso_month, f"{MONTHS[int(month) - 1]} {year}"


@pytest.mark.parametrize("name", _files(lambda e: e.history_dates or e.history_rows))
def test_history_table(name: str, corpus_doc: Callable[[str], PolicyDocument]) -> None:
    e, history = EXPECT[name], corpus_doc(name).history
    if e.history_dates is not None:
        assert len(history) == len(e.history_dates)
        for entry, date in zip(history, e.history_dates, strict=True):
            assert date in _entry_dates(entry), (date, entry)
    if e.history_rows is not None and e.history_months is not None:
        assert len(history) == e.history_rows
        for entry, month in ((history[0], e.history_months[0]), (history[-1], e.history_months[1])):
            assert any(form in _entry_text(entry) for form in _month_forms(month)), (month, entry)
    for index, words in e.history_text.items():
        assert words in _entry_text(history[index]), (index, words)
    assert all(h.page >= 1 for h in history)


def test_anthem_document_history(corpus_doc: Callable[[str], PolicyDocument]) -> None:
    """Document History is a bulleted list '08/15/2025 – Annual Review: ...' (newest first)
    down to '08/17/2018 – Annual Review: First review of Dupixent'."""
    history = corpus_doc("anthem_dupixent_cc-0029_2025-09-10.pdf").history
    assert history, "no history"
    assert "2025-08-15" in _entry_text(history[0])
    assert "2018-08-17" in _entry_text(history[-1])
    assert "First review of Dupixent" in _entry_text(history[-1])


def test_cigna_control_pair_identical(corpus_doc: Callable[[str], PolicyDocument]) -> None:
    """The Acrobat and the PDFium save of IP0319 print the same text: same content."""
    a = corpus_doc("cigna_rituximab-non-oncology_ip0319_2026-02-01_adobe.pdf")
    b = corpus_doc("cigna_rituximab-non-oncology_ip0319_2026-02-01_pdfium.pdf")
    assert a.source.sha256 != b.source.sha256
    assert a.policy == b.policy
    assert a.criteria == b.criteria
    assert a.codes == b.codes
    assert a.history == b.history
    assert [(s.key, s.title) for s in a.sections] == [(s.key, s.title) for s in b.sections]
