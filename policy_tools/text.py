"""Text normalisation: the one family of normalisers every stage imports.

From the lightest to the strongest:

- :func:`squash` - runs of white space become one space, ends trimmed;
- :func:`normalize_space` - what readers apply to printed text: no-break spaces,
  superscript footnote markers (``^a``) tidied, then :func:`squash`;
- :func:`join_lines` - wrapped printed lines joined (a line-break hyphen joins);
- :func:`clean_text` - display form for comparison output: NFKC, typographic quotes and
  dashes folded, no space before ``, . ; : ) ]``;
- :func:`compare_key` - what two texts must share to be "the same": :func:`clean_text`,
  case folded, end punctuation and a left-behind connector dropped;
- :func:`strip_control` / :func:`one_line` - text bound for a terminal or a report:
  C0/C1 control characters (tab and newline aside) and bidi overrides removed.

Dates printed in any of the usual forms become ISO 8601 (:func:`to_iso_date`).
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date
from functools import lru_cache

__all__ = [
    "MONTHS",
    "clean_text",
    "compare_key",
    "join_lines",
    "normalize_space",
    "one_line",
    "sentences",
    "short",
    "slug",
    "squash",
    "strip_control",
    "to_iso_date",
    "to_iso_month_or_date",
]

_WS = re.compile(r"\s+")


def squash(text: str | None) -> str:
    """Runs of white space become one space; ends trimmed."""
    return _WS.sub(" ", text or "").strip()


# --------------------------------------------------------------------- reader text

_SUPER_RUN = re.compile(r"(?:\^[^\s^])+")
_SUPER_SYMBOL = re.compile(r"\^([™®©*†‡])")


def normalize_space(text: str) -> str:
    """Printed text tidied: no-break spaces, superscript marks (``^a^b`` -> ``^ab``)."""
    text = _SUPER_SYMBOL.sub(r"\1", text.replace("\u00a0", " "))
    text = _SUPER_RUN.sub(lambda m: "^" + m.group(0).replace("^", ""), text)
    return squash(text)


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


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "section"


# ------------------------------------------------------------------ comparison text

_TYPO = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2012": "-",
        "\u2212": "-",
        "\u00a0": " ",
        "\u00ae": "",
        "\u2122": "",
        "\u2022": " ",
    }
)


@lru_cache(maxsize=1 << 16)
def clean_text(text: str | None) -> str:
    """Display form: NFKC, one space between words, no space before , . ; : ) ]."""
    if not text:
        return ""
    t = unicodedata.normalize("NFKC", text).translate(_TYPO)
    t = squash(t)
    t = re.sub(r"\s+([.,;:!?)\]])", r"\1", t)
    t = re.sub(r"([(\[])\s+", r"\1", t)
    t = re.sub(r"(\w)- (?=[a-z])", r"\1-", t)  # "non- supported" (a line-break hyphen)
    return t


@lru_cache(maxsize=1 << 16)
def compare_key(text: str | None) -> str:
    """What two texts must share to be 'the same': case, spacing, end punctuation aside."""
    t = clean_text(text).casefold()
    t = re.sub(r"[\s;,.:]+$", "", t)
    t = re.sub(r"[\s;,]+(and|or)$", "", t)  # a connector the extractor left behind
    return re.sub(r"[\s;,.:]+$", "", t)


def short(text: str | None, width: int = 90) -> str:
    """:func:`clean_text` cut to ``width`` characters with '...'."""
    t = clean_text(text)
    return t if len(t) <= width else t[: width - 3].rstrip() + "..."


# ------------------------------------------------------------------- terminal text

# C0 and C1 controls except TAB and LF, DEL, and the bidi embedding/override/isolate marks
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def strip_control(text: str) -> str:
    """Text from a PDF is untrusted: drop control characters (terminal escapes)."""
    return _CONTROL.sub("", text)


def one_line(text: str | None, limit: int = 0) -> str:
    """Control characters dropped, white space squashed, cut to ``limit`` with '…'."""
    s = squash(strip_control(text or ""))
    return s[: limit - 1] + "…" if limit and len(s) > limit else s


# --------------------------------------------------------------------------- dates

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTH_ALT = "|".join(MONTHS)
_US_DATE = re.compile(
    r"\b(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})\b|\b(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})\b(?!\.\d)"
)
_LONG_DATE = re.compile(r"\b(" + MONTH_ALT + r")\.?\s+(\d{1,2}),?\s+(\d{4})\b", re.IGNORECASE)
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_MONTH_YEAR = re.compile(r"\b(" + MONTH_ALT + r")\.?\s+(\d{4})\b", re.IGNORECASE)
_NUM_MONTH_YEAR = re.compile(r"\b(\d{1,2})/(\d{4})\b")


def _date_candidates(text: str) -> list[tuple[int, date]]:
    found: list[tuple[int, date]] = []
    for m in _US_DATE.finditer(text):
        g = m.groups()
        month, day, year = (int(x) for x in (g[0:3] if g[0] else g[3:6]))
        if year < 100:
            year += 2000
        try:
            found.append((m.start(), date(year, month, day)))
        except ValueError:
            continue
    for m in _LONG_DATE.finditer(text):
        try:
            found.append(
                (m.start(), date(int(m.group(3)), MONTHS[m.group(1).lower()], int(m.group(2))))
            )
        except ValueError:
            continue
    for m in _ISO_DATE.finditer(text):
        try:
            found.append((m.start(), date(int(m.group(1)), int(m.group(2)), int(m.group(3)))))
        except ValueError:
            continue
    return found


def to_iso_date(text: str | None) -> str | None:
    """First date in ``text`` as ISO 8601: 8/8/2025, August 8, 2025, 2025-08-08."""
    if not text:
        return None
    candidates = _date_candidates(text)
    return min(candidates)[1].isoformat() if candidates else None


def to_iso_month_or_date(text: str | None) -> str | None:
    """Like to_iso_date, but 'January 2017' or '1/2017' gives '2017-01'."""
    full = to_iso_date(text)
    if full or not text:
        return full
    m = _MONTH_YEAR.search(text)
    if m:
        return f"{int(m.group(2)):04d}-{MONTHS[m.group(1).lower()]:02d}"
    m2 = _NUM_MONTH_YEAR.search(text)
    if m2 and 1 <= int(m2.group(1)) <= 12:
        return f"{int(m2.group(2)):04d}-{int(m2.group(1)):02d}"
    return None


# ----------------------------------------------------------------------- sentences

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")
_ABBREV = re.compile(
    r"(?:\b(?:e\.g|i\.e|etc|vs|inc|al|no|dr|st|u\.s|fig|ed|vol|jr|sr)\.|"
    r"\b[A-Z]\.)$",
    re.IGNORECASE,
)


def sentences(text: str) -> list[str]:
    """The sentences of ``text`` (in :func:`clean_text` form); abbreviations do not end one."""
    parts: list[str] = []
    for piece in _SENTENCE_END.split(clean_text(text)):
        if parts and _ABBREV.search(parts[-1]):
            parts[-1] += " " + piece
        else:
            parts.append(piece)
    return [p for p in parts if p.strip()]
