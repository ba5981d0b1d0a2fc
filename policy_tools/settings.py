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
    "HtmlSettings",
    "MatchSettings",
    "PdfSettings",
    "Settings",
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
    page_chunk: int = knob(16, "pages one worker reads per task with --jobs (load balance vs IPC)")
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
    row_match: float = knob(
        75.0, "rows whose key changed, as whole rows (saline 4-5 -> 2-4 hours 97; other drug 50)"
    )
    heading_floor: float = knob(
        55.0,
        "criteria headings below this text score are different criteria whatever sits below "
        "(FEP Breyanzi 'Follicular lymphoma grade 3B' vs 'mantle cell lymphoma' 39)",
    )


@dataclass(frozen=True)
class CodegenSettings:
    exhaustive_limit: int = knob(16, "ids per tree pair evaluated over every assignment (65,536)")
    max_terms: int = knob(4096, "minimal satisfying sets per tree in the bounded strategy")
    slug_words: int = knob(6, "words of the criterion text in its readable id")
    slug_max: int = knob(40, "characters of the readable part of a criterion id")
    line_width: int = knob(100, "ruff line length of the project; generated code stays within it")


@dataclass(frozen=True)
class Settings:
    pdf: PdfSettings = field(default_factory=PdfSettings)
    budgets: Budgets = field(default_factory=Budgets)
    html: HtmlSettings = field(default_factory=HtmlSettings)
    assemble: AssembleSettings = field(default_factory=AssembleSettings)
    match: MatchSettings = field(default_factory=MatchSettings)
    codegen: CodegenSettings = field(default_factory=CodegenSettings)


SETTINGS = Settings()


def knobs(settings: Settings = SETTINGS) -> list[tuple[str, Any, str]]:
    """(dotted name, value, why) of every knob, for documentation and tests."""
    out: list[tuple[str, Any, str]] = []
    for group in fields(settings):
        part = getattr(settings, group.name)
        for f in fields(part):
            out.append((f"{group.name}.{f.name}", getattr(part, f.name), f.metadata.get("why", "")))
    return out
