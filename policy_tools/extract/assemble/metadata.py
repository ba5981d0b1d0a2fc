"""Header metadata: labelled header tables, else what the first pages state."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from ...model.policy import (
    ServiceCategory,
)
from ...text import normalize_space, to_iso_date
from ...vocab import Pattern
from ...vocab.headers import DATE_FIELDS, HEADER_LABELS, NAME_PATTERNS
from ...vocab.identifiers import NUMBER_PATTERNS, series_of
from .draft import Draft

_HEADER_SPLIT = re.compile(r"(" + "|".join(re.escape(h) for h in HEADER_LABELS) + r")\s*:", re.I)


def parse_header_fields(text: str) -> dict[str, str]:
    """'Policy Name: X Policy Number: Y ...' -> {'policy name': 'X', ...}."""
    fields: dict[str, str] = {}
    parts = _HEADER_SPLIT.split(text)
    # parts = [before, label1, value1, label2, value2, ...]
    for i in range(1, len(parts) - 1, 2):
        label = parts[i].lower()
        value = normalize_space(parts[i + 1])
        if label == "frequently revision":
            label = "revision frequency"
        if value and label not in fields:
            fields[label] = value
    return fields


def _checked_labels(text: str) -> list[tuple[str, bool]]:
    """'☒ MMM MA ☐ MMM MultiHealth' -> [('MMM MA', True), ('MMM MultiHealth', False)]."""
    out = []
    for m in re.finditer(r"([☒☑☐])\s*([^☒☑☐]+)", text):
        label = normalize_space(m.group(2))
        if label:
            out.append((label, m.group(1) != "☐"))
    return out


def header_metadata(d: Draft) -> None:
    names: list[tuple[str, int]] = []
    fields: dict[str, str] = {}
    for h in d.raw.headers:
        f = parse_header_fields(h.text)
        if "policy name" in f:
            names.append((f["policy name"], h.page))
        for k, v in f.items():
            fields.setdefault(k, v)
    if not fields:
        fields = _body_fields(d)
        if "policy name" in fields:
            names.append((fields["policy name"], 1))
    p = d.policy
    p.title = d.raw.title
    p.page = min((h.page for h in d.raw.headers), default=1)
    p.number = _clean_number(fields.get("policy number"))
    if names:
        counts = Counter(n for n, _ in names)
        order = list(dict.fromkeys(n for n, _ in names))
        p.name = max(order, key=lambda n: (counts[n], -order.index(n)))
        p.name_variants = order
        if len(order) > 1:
            where = "; ".join(
                f"'{n}' (page{'s' if counts[n] > 1 else ''} "
                + ", ".join(str(pg) for nm, pg in names if nm == n)
                + ")"
                for n in order
            )
            d.warn(
                "header_name_variants",
                f"the page headers spell the policy name {len(order)} different ways: {where}",
            )
    scope = fields.get("scope")
    if scope:
        checked = _checked_labels(scope)
        p.scope = [label for label, on in checked if on] if checked else [scope]
    p.line_of_business = fields.get("line of business")
    p.effective_date = _date(d, "effective date", fields.get("effective date"))
    p.origination_date = _date(d, "origination date", fields.get("origination date"))
    p.last_review_date = _date(d, "last review date", fields.get("last review date"))
    freq = fields.get("revision frequency")
    p.revision_frequency = freq.split()[0] if freq else None
    generic_metadata(d)


# a printed value shaped like a date (month/day/year, ISO, 'Month D, YYYY')
_DATE_SHAPE = re.compile(
    r"\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b|\b\d{4}-\d{1,2}-\d{1,2}\b"
    r"|\b[A-Za-z]{3,9}\.?\s+\d{1,2},?\s+\d{4}\b"
)


def _date(d: Draft, label: str, printed: str | None) -> str | None:
    """An ISO date of a printed value; an impossible one ('13/45/2026') is a warning
    naming what is printed, and no date: it is never replaced by another date."""
    iso = to_iso_date(printed)
    shape = _DATE_SHAPE.search(printed or "")
    if iso is None and shape is not None:
        d.invalid_dates.add(label)
        d.warn(
            "invalid_date",
            f"the {label} is printed as '{shape.group(0)}', which is not a valid date; "
            "it is left empty",
            d.policy.page,
        )
    return iso


def _clean_number(value: str | None) -> str | None:
    if not value:
        return None
    return value.split()[0].strip(" .,;")


_LEADERS = re.compile(r"\s*(?:\.{3,}|…+)\s*")


def _body_text(d: Draft, pages: int = 2) -> str:
    """Text of the first pages, tables included, with dot leaders read as ': '."""
    parts: list[str] = [h.text for h in d.raw.headers if h.page <= pages]
    for b in d.raw.blocks:
        if b.page > pages:
            break
        if b.kind == "table" and b.rows:
            parts.extend(" ".join(c for c in r if c) for r in b.rows)
        elif b.text:
            parts.append(b.text)
    return _LEADERS.sub(": ", "\n".join(parts))


def _body_fields(d: Draft) -> dict[str, str]:
    """Header-style 'Label: value' pairs written in the first page's body."""
    fields: dict[str, str] = {}
    for b in d.raw.blocks:
        if b.page > 1 or not b.text:
            continue
        for k, v in parse_header_fields(b.text).items():
            fields.setdefault(k, v)
    return fields


def _date_under_title(d: Draft) -> str | None:
    """A date printed alone near the top of page 1 (under the title)."""
    for b in d.raw.blocks[:6]:
        if b.page == 1 and b.text and len(b.text) <= 30:
            iso = to_iso_date(b.text)
            if iso and len(re.sub(r"[\d/.,\s-]", "", b.text)) <= 10:
                return iso
    return None


NAME_MAX_CHARS = 120  # a longer capture is a paragraph, not a policy name


def _first_capture(
    patterns: Iterable[Pattern], text: str, strip: str = " .,;", max_chars: int = 0
) -> str | None:
    """The tidied capture of the first pattern that matches (and is short enough)."""
    for pat in patterns:
        value = pat.captured(text)
        if value and (not max_chars or len(value) < max_chars):
            return normalize_space(value).strip(strip)
    return None


def generic_metadata(d: Draft) -> None:
    """What the text states when no known header template was found."""
    p = d.policy
    text = _body_text(d)
    if not p.number:
        p.number = _first_capture(NUMBER_PATTERNS, text)
    p.series = series_of(p.number)
    found = {
        k: _date(d, k.replace("_", " "), _first_capture(pats, text))
        for k, pats in DATE_FIELDS.items()
        if k.replace("_", " ") not in d.invalid_dates
    }
    p.effective_date = p.effective_date or found.get("effective_date")
    p.last_review_date = p.last_review_date or found.get("last_review_date")
    p.origination_date = p.origination_date or found.get("origination_date")
    if not p.effective_date and "effective date" not in d.invalid_dates:
        fallback = found.get("publish_date") or p.last_review_date
        kind = "publish" if found.get("publish_date") else "last review"
        if not fallback:
            fallback = _date_under_title(d)
            kind = "lone"
        if fallback:
            p.effective_date = fallback
            d.warn(
                "effective_date_inferred",
                f"no effective date printed; using the {kind} date {fallback}",
            )
    if not p.name:
        p.name = _first_capture(NAME_PATTERNS, text, strip="", max_chars=NAME_MAX_CHARS)
    if not p.name and d.raw.title:
        p.name = d.raw.title
    if not p.number:
        d.warn("no_policy_number", "no policy number found in the document")
    if not p.effective_date and "effective date" not in d.invalid_dates:
        d.warn("no_effective_date", "no effective date found in the document")


def service_categories(d: Draft) -> None:
    cats: list[ServiceCategory] = []
    for _, b in d.blocks("service_category"):
        texts = [c for r in b.rows for c in r] if b.kind == "table" and b.rows else [b.text]
        for t in texts:
            found = _checked_labels(t)
            if found:
                cats.extend(ServiceCategory(label=lbl, checked=on) for lbl, on in found)
            elif t.strip() and b.kind == "list_item":
                cats.append(ServiceCategory(label=normalize_space(t), checked=None))
    d.policy.service_categories = cats
