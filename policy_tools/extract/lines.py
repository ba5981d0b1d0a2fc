"""Printed-line helpers shared by the readers and the assembler: list labels,
AND/OR connectors, and the start of an entry of an unruled (line-based) table."""

from __future__ import annotations

import re
from typing import Literal

from ..text import MONTH_ALT
from ..vocab.codes import ANY_CODE

__all__ = ["CONNECTOR_LINE", "LINE_ENTRY", "split_label", "strip_trailing_connector"]

CONNECTOR_LINE = re.compile(r"^\s*(AND|OR|and|or|And|Or)\s*$")
_TRAILING_CONNECTOR = re.compile(r"(?:[;,]\s*|\s+)(AND|OR)\s*$")
_TRAILING_SEMICOLON = re.compile(r"\s*;\s*$")
_BULLETS = "•●○◦▪■\u2022\u25aa\u25cf\u25e6\uf0b7\uf0a7-"

# list labels: roman numerals, letters, numbers (with '.' or ')'), bullets
_LABEL = re.compile(
    r"^(?P<label>"
    r"\(?(?:[ivxlc]{1,6}|[a-z]|[A-Z]|[IVXLC]{1,6}|\d{1,3})[.)]"
    rf"|[{_BULLETS}]"
    r")(?:\s+|(?=[A-Z]))(?P<body>\S.*)$",
    re.DOTALL,
)
# a printed line that starts an entry of an unruled table: a code (range) or a date
LINE_ENTRY = re.compile(
    rf"^\s*(?:{ANY_CODE}(?:\s*[-–]\s*{ANY_CODE})?\s+\S"
    rf"|(?i:{MONTH_ALT})\.?\s+(?:\d{{1,2}},?\s+)?\d{{4}}\b"
    r"|\d{1,2}/(?:\d{1,2}/)?\d{4}\b)"
)


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
    if label[0] in _BULLETS:
        label = "•"
    return label, body


def strip_trailing_connector(text: str) -> tuple[str, Literal["AND", "OR"] | None]:
    """'x; AND' -> ('x', 'AND'); 'x;' -> ('x', None)."""
    m = _TRAILING_CONNECTOR.search(text)
    if m and len(text) > m.end(1) - m.start(1) + 2:
        conn: Literal["AND", "OR"] = "AND" if m.group(1) == "AND" else "OR"
        return _TRAILING_SEMICOLON.sub("", text[: m.start()]).strip(), conn
    return _TRAILING_SEMICOLON.sub("", text).strip(), None
