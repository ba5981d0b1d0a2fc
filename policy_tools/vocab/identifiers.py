"""Policy numbers as payers print them.

``NUMBER_PATTERNS`` are tried in order on the text of the first pages when no header
table names the number; the first match wins, so general labelled forms come first and
the unlabelled, payer-specific shapes after them.
"""

from __future__ import annotations

import re

from . import Pattern
from .sections import CENTENE, CIGNA, EMBLEM, FEP, GENERAL, UHC

__all__ = ["NUMBER_PATTERNS", "SERIES_PATTERNS", "series_of"]

NUMBER_PATTERNS: tuple[Pattern, ...] = (
    Pattern(
        "labelled policy number",
        re.compile(
            r"(?:Coverage\s+|Medical\s+)?Policy\s+(?:Number|No\.?|#)\s*:?\s*"
            r"([A-Z0-9][A-Z0-9.\-]{2,})",
            re.I,
        ),
        GENERAL,
        "Coverage Policy Number: IP0660",
        "IP0660",
    ),
    Pattern(
        "labelled document or reference number",
        re.compile(
            r"(?:Document|Reference)\s+(?:Number|No\.?|#)\s*:?\s*([A-Z]{1,4}[-.]?[A-Z0-9.\-]{2,})"
        ),
        EMBLEM,
        "Document Number: IC-0098",
        "IC-0098",
    ),
    Pattern(
        "clinical pharmacy program number",
        re.compile(r"Program\s+Number\s*:?\s*(\d{4}\s+P\s+\d{4}-\d+)", re.I),
        UHC,
        "Program Number 2024 P 2116-18",
        "2024 P 2116-18",
    ),
    Pattern(
        "number in parentheses after the title",
        re.compile(r"\(\s*((?:IP|CP|MP|PA)\d{3,5})\s*\)"),
        CIGNA,
        "Infliximab Intravenous Products Prior Authorization Policy (IP0660)",
        "IP0660",
    ),
    Pattern(
        "section.subsection.number on a line of its own",
        re.compile(r"^\s*(\d\.\d{2}\.\d{3})\s*$", re.M),
        FEP,
        "5.21.169",
        "5.21.169",
    ),
    Pattern(
        "dotted letters-and-number reference",
        re.compile(r"\b([A-Z]{2,5}\.[A-Z]{2,5}\.\d{2,4})\b"),
        CENTENE,
        "ERX.SPA.241",
        "ERX.SPA.241",
    ),
    Pattern(
        "medical benefit drug policy number",
        re.compile(r"\b(\d{4}[A-Z]\d{4}[A-Z]{0,3})\b"),
        UHC,
        "2026D0003AO",
        "2026D0003AO",
    ),
)

# A policy number whose trailing part counts revisions: the series (what stays the same
# from one revision to the next) keys one policy in the store; the number as printed is
# kept. The capture is the series.
SERIES_PATTERNS: tuple[Pattern, ...] = (
    Pattern(
        "program number with a year prefix and a revision suffix",
        re.compile(r"^\s*\d{4}\s+([A-Z]{1,3}\s+\d{3,5})\s*-\s*\d{1,3}\s*$"),
        UHC,
        "2024 P 2116-18",
        "P 2116",
    ),
)


def series_of(number: str | None) -> str | None:
    """The series a printed policy number belongs to ('2025 P 2116-22' -> 'P 2116'), or
    None when the number carries no revision counter."""
    if not number:
        return None
    for pat in SERIES_PATTERNS:
        found = pat.captured(number)
        if found:
            return " ".join(found.split())
    return None
