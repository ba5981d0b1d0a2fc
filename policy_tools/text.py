"""Small text helpers shared by every reader and the assembler."""

from __future__ import annotations

import calendar
import re
from datetime import date
from typing import Literal

CONNECTOR_LINE = re.compile(r"^\s*(AND|OR|and|or|And|Or)\s*$")
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
# month name -> number, from the standard library (English names)
_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTH_ALT = "|".join(_MONTHS)
# code-set patterns shared by readers and the assembler
ICD10 = r"[A-TV-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?"
HCPCS = r"[A-V][0-9]{4}"
CPT = r"[0-9]{4}[0-9AFMTU]"
ANY_CODE = rf"(?:{HCPCS}|{CPT}|{ICD10})"
# a printed line that starts an entry of an unruled table: a code (range) or a date
LINE_ENTRY = re.compile(
    rf"^\s*(?:{ANY_CODE}(?:\s*[-–]\s*{ANY_CODE})?\s+\S"
    rf"|(?i:{_MONTH_ALT})\.?\s+(?:\d{{1,2}},?\s+)?\d{{4}}\b"
    r"|\d{1,2}/(?:\d{1,2}/)?\d{4}\b)"
)
_US_DATE = re.compile(
    r"\b(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})\b|\b(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})\b(?!\.\d)"
)
_LONG_DATE = re.compile(
    r"\b(" + "|".join(_MONTHS) + r")\.?\s+(\d{1,2}),?\s+(\d{4})\b", re.IGNORECASE
)
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


_SUPER_RUN = re.compile(r"(?:\^[^\s^])+")
_SUPER_SYMBOL = re.compile(r"\^([™®©*†‡])")


def normalize_space(text: str) -> str:
    text = _SUPER_SYMBOL.sub(r"\1", text.replace("\u00a0", " "))
    text = _SUPER_RUN.sub(lambda m: "^" + m.group(0).replace("^", ""), text)
    return re.sub(r"\s+", " ", text).strip()


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
        g = m.groups()
        month, day, year = (int(x) for x in (g[0:3] if g[0] else g[3:6]))
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


_MONTH_YEAR = re.compile(r"\b(" + "|".join(_MONTHS) + r")\.?\s+(\d{4})\b", re.IGNORECASE)
_NUM_MONTH_YEAR = re.compile(r"\b(\d{1,2})/(\d{4})\b")


def to_iso_month_or_date(text: str | None) -> str | None:
    """Like to_iso_date, but 'January 2017' or '1/2017' gives '2017-01'."""
    full = to_iso_date(text)
    if full or not text:
        return full
    m = _MONTH_YEAR.search(text)
    if m:
        return f"{int(m.group(2)):04d}-{_MONTHS[m.group(1).lower()]:02d}"
    m2 = _NUM_MONTH_YEAR.search(text)
    if m2 and 1 <= int(m2.group(1)) <= 12:
        return f"{int(m2.group(2)):04d}-{int(m2.group(1)):02d}"
    return None


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "section"
