"""Tunables of every stage, in one settings object (like pdfplumber's ``TableSettings``).

Each knob carries a one-line reason (``why``): what it decides and what it was
measured on. Code reads them from :data:`SETTINGS`; ``tests/test_settings.py`` checks
that every knob says why it has its value.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

__all__ = [
    "BUDGET_ENV",
    "SETTINGS",
    "AssembleSettings",
    "Budgets",
    "CodegenSettings",
    "FormularySettings",
    "HtmlSettings",
    "MatchSettings",
    "PdfSettings",
    "Settings",
    "StoreSettings",
    "WebSettings",
    "knobs",
]


def knob(value: Any, why: str) -> Any:
    """A settings field with its default and the reason for it."""
    return field(default=value, metadata={"why": why})


@dataclass(frozen=True)
class PdfSettings:
    header_band: float = knob(0.2, "top fraction of a page where running headers are looked for")
    header_table_max: float = knob(
        0.3, "a running header table must end within the top 30% of the page (MMM header box)"
    )
    footer_band: float = knob(0.10, "bottom fraction of a page where running footers live")
    repeat_ratio: float = knob(
        80,
        "rapidfuzz ratio for 'the same header line, spelled differently' (MMM 2026: 5 spellings)",
    )
    repeat_drift: float = knob(
        24.0, "points a running line may move up or down between pages and still recur"
    )
    running_sample: int = knob(
        4, "neighbour pages on each side compared for running lines (linear in page count)"
    )
    superscript_ratio: float = knob(
        0.7, "characters below this fraction of the page's median size are superscript marks"
    )
    indent_tolerance: float = knob(
        6.0, "points within which two list labels share one indentation level"
    )
    hanging_indent: float = knob(
        3.0, "points right of a list label beyond which a wrapped line continues the item"
    )
    line_gap: float = knob(
        0.75, "a gap below this fraction of the font size (min 8 pt) keeps lines in one block"
    )
    min_cell_width: float = knob(10.0, "empty table cells narrower than this are spacers")
    heading_max_words: int = knob(20, "a bold line of more words is body text, not a heading")
    large_heading_words: int = knob(
        15, "a larger-font line of more words is body text, not a heading"
    )
    heading_size_step: float = knob(1.5, "points above the body size that make a line a heading")
    prominent_step: float = knob(0.5, "points above the body size that make a heading prominent")
    title_lines: int = knob(15, "first lines of page 1 searched for the document title")
    title_gap: float = knob(4.0, "line gaps (in font sizes) that end a wrapped title")
    space_gap: float = knob(
        0.1,
        "a gap of this fraction of the font size where PDFium dropped a printed space is a "
        "word space (corpus: printed spaces leave >= 0.1 em, letters of a word <= 0.07 em)",
    )
    page_chunk: int = knob(
        4,
        "pages one worker reads per task with --jobs (load balance vs IPC; TennCare: 16 "
        "left a worker idle up to one 0.6 s chunk at the end, 4 costs no measurable IPC)",
    )
    word_gap: float = knob(
        3.0, "points between two characters that always part words (pdfplumber's x_tolerance)"
    )


@dataclass(frozen=True)
class Budgets:
    """Per-file limits of an extraction (issue 12); each can be overridden per call, on the
    command line (``extract --max-seconds`` ...) or by an environment variable
    (``POLICY_TOOLS_MAX_SECONDS`` ...)."""

    max_seconds: float = knob(
        300.0, "wall time of one file; the 279-page TennCare PDL takes well under a minute"
    )
    max_chars_per_page: int = knob(
        200_000, "characters on one page; the densest corpus page (UHC rituximab p. 17) has 6,433"
    )
    max_stream_mb: float = knob(
        16.0,
        "inflated size of one non-image stream (MiB); the largest in the corpus is 125 KB, and "
        "PDFium keeps about 100 bytes per character of a page's text",
    )
    max_objects_per_page: int = knob(
        200_000, "layout objects (paths, text runs, forms) on one page; the corpus has 904 at most"
    )


BUDGET_ENV = {
    "max_seconds": "POLICY_TOOLS_MAX_SECONDS",
    "max_chars_per_page": "POLICY_TOOLS_MAX_CHARS_PER_PAGE",
    "max_stream_mb": "POLICY_TOOLS_MAX_STREAM_MB",
    "max_objects_per_page": "POLICY_TOOLS_MAX_OBJECTS_PER_PAGE",
}


@dataclass(frozen=True)
class HtmlSettings:
    standalone_words: int = knob(
        6, "a short standalone paragraph of at most this many words is a heading"
    )
    short_words: int = knob(3, "paragraphs this short are headings only when followed by content")
    colon_heading_words: int = knob(
        8, "a line ending in ':' of at most this many words is a heading"
    )
    header_similarity: float = knob(
        85.0, "rapidfuzz ratio for repeated page-header tables (misspelt drug names per page)"
    )
    header_max_rows: int = knob(3, "a page-header table has at most this many rows")
    header_search: int = knob(4, "a lone page-header table must be among the first blocks")


@dataclass(frozen=True)
class AssembleSettings:
    alias_fuzzy: float = knob(92, "rapidfuzz ratio for a heading spelled slightly differently")
    alias_max_chars: int = knob(80, "longer text is never a section heading")
    title_max_words: int = knob(14, "an unrecognised heading of more words opens no section")
    plain_title_words: int = knob(8, "plain text naming a section counts only when this short")
    boxed_title_words: int = knob(6, "a boxed one-cell title ('Policy History') is this short")
    boxed_title_rows: int = knob(4, "a boxed title table has at most this many rows")
    sibling_indent: float = knob(
        6.0,
        "points by which a bullet must sit right of its sibling to open a deeper list "
        "(indentation is only compared between siblings, never with fixed positions)",
    )
    condition_words: int = knob(
        3,
        "content words a lead-in must state before its list to be a criterion of its own "
        "('Received at least 2 prior lines of therapy including' 5; 'Combination therapy' 2)",
    )
    lost_bullet_words: int = knob(
        14,
        "a line of at most this many words printed after a lead-in ending in ':' is an item "
        "whose bullet the text layer lost (UHC 'Pure red cell aplasia')",
    )
    header_cell_words: int = knob(
        6, "a table header cell has at most this many words ('Dose Limit/ Maximum Dose' 4)"
    )
    name_max_words: int = knob(
        20, "an indication heading has at most this many words (longer text is a criterion)"
    )


@dataclass(frozen=True)
class FormularySettings:
    header_cells: int = knob(
        2, "a table row is a PDL header when this many cells name known columns (drug and status)"
    )
    title_words: int = knob(
        12, "a one-cell row of more words is a note line, not a class title (TennCare max 9)"
    )
    name_words: int = knob(15, "a first cell of more words is criteria text, not a drug name")
    drug_band_words: int = knob(
        4, "a one-cell row this short with a brand mark is a drug whose other cells were lost"
    )
    name_match: float = knob(
        90.0, "rapidfuzz ratio of two drug names in one class that are one drug renamed"
    )
    rename_match: float = knob(
        80.0,
        "normalised names at least this similar, with the same cells otherwise, are a "
        "rename or strength change ('fentanyl patch 12, 25' -> 'fentanyl patch 12, 25, 50')",
    )


@dataclass(frozen=True)
class MatchSettings:
    # similarity = mean(rapidfuzz ratio, token_set_ratio) of the comparison keys, 0-100
    criteria_match: float = knob(
        65.0,
        "a criterion that gained a qualifier keeps >= 69, unrelated items of one list <= 60 "
        "(MP-RX-FP-171-25 pair and FEP pairs)",
    )
    reference_match: float = knob(
        80.0, "two different papers in one journal score ~72; a revised reference >= 89"
    )
    text_match: float = knob(65.0, "definitions, dosing notes, sentences of generic sections")
    section_title_match: float = knob(
        90.0,
        "sections whose keys differ pair by their headings, spaces aside, this closely "
        "(Cigna IP0660 'APPENDIX' printed letter-spaced as 'APP ENDIX')",
    )
    move_match: float = knob(
        85.0,
        "a sentence that left its section for another matches there only this closely (a new "
        "drug row 'X tablets 5 mg' is no moved 'Y tablets 10 mg', ~70)",
    )
    row_match: float = knob(
        75.0, "rows whose key changed, as whole rows (saline 4-5 -> 2-4 hours 97; other drug 50)"
    )
    heading_floor: float = knob(
        55.0,
        "criteria headings below this text score are different criteria whatever sits below "
        "(FEP Breyanzi 'Follicular lymphoma grade 3B' vs 'mantle cell lymphoma' 39)",
    )

    exhaustive_pairs: int = knob(
        2500,
        "leftover pairs scored exhaustively; above this an inverted index of rare words picks "
        "the candidates (near-linear matching: 10x / 100x synthetic policies, TennCare)",
    )
    blocking_words: int = knob(
        4, "rarest words of an item whose posting lists give its candidate partners"
    )
    claim_shared_words: int = knob(
        2,
        "content words a history statement must share with a change to be supported by it "
        "(FEP Carvykti 'prior lines of therapy', Cigna 'ileocolonic resection')",
    )
    claim_label_words: int = knob(
        6, "a leading 'Label:' of a history row of at most this many words names its topic"
    )
    headline_width: int = knob(90, "characters of a criterion quoted in a verdict line")
    conserve_region_words: int = knob(
        4000,
        "a differing region longer than this (words per side) is compared as a bag of words, "
        "not by difflib, so the conservation check stays bounded (TennCare PDL pair)",
    )


@dataclass(frozen=True)
class CodegenSettings:
    max_terms: int = knob(4096, "minimal satisfying sets per tree (outcome witnesses, vectors)")
    sample_terms: int = knob(
        64, "satisfying sets sampled per tree when its DNF exceeds max_terms (UHC Dupixent)"
    )
    max_candidates: int = knob(
        2000, "candidate witness cases per tree pair before outcomes says it sampled"
    )
    max_typed_cases: int = knob(
        4096, "combinations of representative typed-fact values tried per outcome candidate"
    )
    negation_match: float = knob(
        85.0,
        "token_set_ratio of an exclusion's negated words ('in the absence of disease "
        "progression ...') and a criterion ('has experienced disease progression ...') "
        "that makes the pair impossible together (MMM 2026: 91; unrelated <= 60)",
    )
    vector_paths: int = knob(
        24, "minimal satisfying sets per tree turned into test vectors (MMM 2026 has 5)"
    )
    slug_words: int = knob(6, "words of the criterion text in its readable id")
    slug_max: int = knob(40, "characters of the readable part of a criterion id")
    line_width: int = knob(100, "ruff line length of the project; generated code stays within it")


@dataclass(frozen=True)
class WebSettings:
    page_scale: float = knob(
        1.5, "page images at 108 dpi: a US-letter page is 918 px wide, print legible on a laptop"
    )
    png_level: int = knob(
        1, "zlib level of page PNGs: level 1 encodes a canonical page 2x faster than 6, +15% bytes"
    )
    max_page_pixels: int = knob(
        12_000_000, "a page image has at most about this many pixels (36 MB of RGB): bounded memory"
    )
    upload_max_bytes: int = knob(
        50 * 1024 * 1024, "largest upload; the biggest corpus PDF (TennCare, 279 pages) is 3 MB"
    )
    upload_name_max: int = knob(120, "characters of an uploaded file name kept (the rest is cut)")
    documents_cached: int = knob(
        12, "parsed revisions kept in memory (a compare needs 2; TennCare's JSON is the biggest)"
    )
    comparisons_cached: int = knob(16, "change sets kept in memory, keyed by both sha256s")
    search_results: int = knob(500, "rows a search lists at most; the page says when it cut")
    case_facts: int = knob(1000, "criterion ids a 'try a case' request may name at most")
    sources_rescan: float = knob(
        10.0, "seconds before a missing source PDF is looked for again in --sources folders"
    )


@dataclass(frozen=True)
class StoreSettings:
    key_max_chars: int = knob(
        60, "a policy folder name stays short (file systems allow 255 bytes; paths nest it)"
    )
    key_hash_chars: int = knob(
        8, "hex digits of sha256 that keep apart numbers whose folder-safe forms are equal"
    )
    worker_poll: float = knob(
        0.5, "seconds between an extraction worker's checks that its parent process lives"
    )


@dataclass(frozen=True)
class Settings:
    pdf: PdfSettings = field(default_factory=PdfSettings)
    budgets: Budgets = field(default_factory=Budgets)
    html: HtmlSettings = field(default_factory=HtmlSettings)
    assemble: AssembleSettings = field(default_factory=AssembleSettings)
    match: MatchSettings = field(default_factory=MatchSettings)
    codegen: CodegenSettings = field(default_factory=CodegenSettings)
    formulary: FormularySettings = field(default_factory=FormularySettings)
    web: WebSettings = field(default_factory=WebSettings)
    store: StoreSettings = field(default_factory=StoreSettings)


SETTINGS = Settings()


def knobs(settings: Settings = SETTINGS) -> list[tuple[str, Any, str]]:
    """(dotted name, value, why) of every knob, for documentation and tests."""
    out: list[tuple[str, Any, str]] = []
    for group in fields(settings):
        part = getattr(settings, group.name)
        for f in fields(part):
            out.append((f"{group.name}.{f.name}", getattr(part, f.name), f.metadata.get("why", "")))
    return out
