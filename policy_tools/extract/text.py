"""Small text helpers shared by every reader and the assembler."""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

CONNECTOR_LINE = re.compile(r"^\s*(AND|OR)\s*$")
_TRAILING_CONNECTOR = re.compile(r"(?:[;,]\s*|\s+)(AND|OR)\s*$")
_TRAILING_SEMICOLON = re.compile(r"\s*;\s*$")

# list labels: roman numerals, letters, numbers (with '.' or ')'), bullets
_LABEL = re.compile(
    r"^(?P<label>"
    r"\(?(?:[ivxlc]{1,6}|[a-z]|[A-Z]|[IVXLC]{1,6}|\d{1,3})[.)]"
    r"|[•●○◦▪■\u2022\u25aa\u25cf\u25e6\uf0b7\uf0a7-]"
    r")(?:\s+|(?=[A-Z]))(?P<body>\S.*)$",
    re.DOTALL,
)
_US_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{2,4})\b")
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ]
    )
}
_LONG_DATE = re.compile(
    r"\b(" + "|".join(_MONTHS) + r")\.?\s+(\d{1,2}),?\s+(\d{4})\b", re.IGNORECASE
)
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def normalize_space(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()


def join_lines(text: str) -> str:
    """Join wrapped lines: a line ending in '-' joins the next without a space."""
    lines = [ln.strip() for ln in text.replace("\r", "").split("\n")]
    out = ""
    for ln in lines:
        if not ln:
            continue
        if not out:
            out = ln
        elif out.endswith("-") and not out.endswith(" -"):
            out += ln
        else:
            out += " " + ln
    return normalize_space(out)


def split_label(text: str) -> tuple[str | None, str]:
    """Split a list label off the start of a line: ('ii.', 'Individual has ...')."""
    m = _LABEL.match(text.strip())
    if not m:
        return None, text.strip()
    label = m.group("label")
    body = m.group("body").strip()
    if label in ("-",) and not body:
        return None, text.strip()
    # "A. Smith" style initials in references are labels too; "U.S." is not a label
    if re.match(r"^[A-Za-z]\.[A-Za-z]\.", text.strip()):
        return None, text.strip()
    if label[0] in "•●○◦▪■\u2022\u25aa\u25cf\u25e6\uf0b7\uf0a7-":
        label = "•"
    return label, body


def strip_trailing_connector(text: str) -> tuple[str, Literal["AND", "OR"] | None]:
    """'x; AND' -> ('x', 'AND'); 'x;' -> ('x', None)."""
    m = _TRAILING_CONNECTOR.search(text)
    if m and len(text) > m.end(1) - m.start(1) + 2:
        conn: Literal["AND", "OR"] = "AND" if m.group(1) == "AND" else "OR"
        return _TRAILING_SEMICOLON.sub("", text[: m.start()]).strip(), conn
    return _TRAILING_SEMICOLON.sub("", text).strip(), None


def to_iso_date(text: str | None) -> str | None:
    """First date in ``text`` as ISO 8601: 8/8/2025, August 8, 2025, 2025-08-08."""
    if not text:
        return None
    candidates: list[tuple[int, date]] = []
    for m in _US_DATE.finditer(text):
        month, day, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if year < 100:
            year += 2000
        try:
            candidates.append((m.start(), date(year, month, day)))
        except ValueError:
            continue
    for m in _LONG_DATE.finditer(text):
        try:
            d = date(int(m.group(3)), _MONTHS[m.group(1).lower()], int(m.group(2)))
            candidates.append((m.start(), d))
        except ValueError:
            continue
    for m in _ISO_DATE.finditer(text):
        try:
            d = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            candidates.append((m.start(), d))
        except ValueError:
            continue
    if not candidates:
        return None
    return min(candidates)[1].isoformat()


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "section"
