"""Header metadata as payers print it: labelled header-table fields, date labels and
the lines that name the policy."""

from __future__ import annotations

import re

from . import Pattern
from .sections import ANTHEM, CENTENE, FEP, GENERAL, UHC

__all__ = ["DATE_FIELDS", "HEADER_LABELS", "NAME_PATTERNS"]

# "Label: value" fields of a running header table (MMM prints them on every page).
HEADER_LABELS = (
    "Policy Name",
    "Policy Number",
    "Scope",
    "Effective Date",
    "Origination Date",
    "Last Review Date",
    "Revision Frequency",
    "Frequently Revision",  # the 2026 MMM template's own wording
    "Line of Business",
)

_DATE_VALUE = (
    r"([A-Za-z]+\.?\s+\d{1,2},?\s+\d{4}|\d{1,2}/\d{1,2}/\d{2,4}|\d{4}-\d{2}-\d{2}"
    r"|\d{1,2}\.\d{1,2}\.\d{2,4})"
)
# field -> patterns; the first that matches the first pages' text gives the date
DATE_FIELDS: dict[str, tuple[Pattern, ...]] = {
    "effective_date": (
        Pattern(
            "effective date",
            re.compile(r"(?:Effective\s+Date|Date\s+Effective)\s*:?\s*" + _DATE_VALUE, re.I),
            GENERAL,
            "Effective Date: 04/01/2024",
            "04/01/2024",
        ),
    ),
    "last_review_date": (
        Pattern(
            "last review date",
            re.compile(r"Last\s+Review(?:ed)?\s+Date\s*:?\s*" + _DATE_VALUE, re.I),
            ANTHEM,
            "Last Review Date: 08/15/2025",
            "08/15/2025",
        ),
    ),
    "origination_date": (
        Pattern(
            "origination date",
            re.compile(
                r"(?:Original\s+Policy\s+Date|Date\s+of\s+Origin|Origination\s+Date"
                r"|Original\s+Effective\s+Date)\s*:?\s*" + _DATE_VALUE,
                re.I,
            ),
            FEP,
            "Original Policy Date: March 1, 2022",
            "March 1, 2022",
        ),
    ),
    "publish_date": (
        Pattern(
            "publish date",
            re.compile(r"Publish\s+Date\s*:?\s*" + _DATE_VALUE, re.I),
            ANTHEM,
            "Publish Date: 09/10/2025",
            "09/10/2025",
        ),
    ),
}

# lines that name the policy when no header table does
NAME_PATTERNS: tuple[Pattern, ...] = (
    Pattern(
        "subject line",
        re.compile(r"^\s*Subject\s*:\s*(.+?)\s*(?:Page\s*:.*)?$", re.M),
        FEP,
        "Subject: Breyanzi Page: 1 of 5",
        "Breyanzi",
    ),
    Pattern(
        "policy title",
        re.compile(r"^\s*Policy\s+Title\s*:\s*(.+)$", re.M),
        GENERAL,
        "Policy Title: Rituximab",
        "Rituximab",
    ),
    Pattern(
        "medications line",
        re.compile(r"^\s*Medications?\s+(\S[^()\n]*\([^()\n]+\))\s*$", re.M),
        UHC,
        "Medications Dupixent® (dupilumab)",
        "Dupixent® (dupilumab)",
    ),
    Pattern(
        "clinical policy line",
        re.compile(r"^\s*Clinical\s+Policy\s*:\s*(.+)$", re.M),
        CENTENE,
        "Clinical Policy: Blinatumomab (Blincyto)",
        "Blinatumomab (Blincyto)",
    ),
)
