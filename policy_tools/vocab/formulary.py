"""Preferred drug lists (PDLs) and formularies as payers print them: the header cells
that name each column, the status legends, the PA / step-therapy / quantity-limit
markers, the page banners that carry the effective date, and the wording of rows that
are not drugs (continuations, criteria references, criteria headings, legend lines).

The reader (``extract.assemble.formulary``) is one general mechanism over these tables;
a new state's PDL is a new entry here, never a branch in the reader. Each entry names
its payer (``general`` for wording many PDLs share) and an example as printed;
``tests/test_formulary.py`` runs every entry against its example.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import Pattern
from .sections import GENERAL

__all__ = [
    "BANNERS",
    "BRAND_MARK",
    "COLUMN_CUES",
    "CONTINUED",
    "CRITERIA_HEADING",
    "CRITERIA_REFERENCE",
    "FORM_CUE",
    "LEGEND_LINE",
    "LEGEND_MARKER",
    "MARKERS",
    "NOTE_BLOCK",
    "QL_PARTS",
    "STATUS_LEGENDS",
    "SUBGROUP",
    "StatusCode",
    "StatusLegend",
]

TENNCARE = "TennCare (Tennessee Medicaid)"


def _cue(field: str, regex: str, payer: str, example: str) -> Pattern:
    """A header cell naming a column: the whole cell must match (case and spacing aside)."""
    return Pattern(field, re.compile(rf"^\s*(?:{regex})\s*$", re.I), payer, example, example)


# field -> header cells that name the column (the first matching field wins)
COLUMN_CUES: tuple[Pattern, ...] = (
    _cue(
        "name", r"medications?|drugs?(?: names?)?|products?|drug products?", TENNCARE, "Medication"
    ),
    _cue("name", r"(?:brand|generic|drug)\s*(?:/\s*generic)?\s*names?", GENERAL, "Drug Name"),
    _cue("status", r"pdl(?:\s+status)?|status|preferred(?:\s+status)?", TENNCARE, "PDL"),
    _cue("status", r"pdl\s+status|formulary\s+status|tier", GENERAL, "PDL Status"),
    _cue(
        "criteria",
        r"prior\s+authori[sz]ation(?:\s+\(pa\))?\s+criteria|pa\s+criteria|clinical\s+criteria"
        r"|criteria",
        TENNCARE,
        "Prior Authorization Criteria",
    ),
    _cue("pa", r"pa(?:\s+required)?|prior\s+auth(?:ori[sz]ation)?(?:\s+required)?", GENERAL, "PA"),
    _cue("step_therapy", r"step\s+therapy|st", GENERAL, "Step Therapy"),
    _cue(
        "quantity_limit",
        r"qty\.?\s+limits?|quantity\s+limits?(?:\s+\(ql\))?|ql",
        TENNCARE,
        "Qty. Limits",
    ),
    _cue("age_limit", r"age\s+limits?|age(?:\s+restrictions?)?", GENERAL, "Age Limit"),
    _cue("pa_form", r"pa\s+forms?|forms?|prior\s+authori[sz]ation\s+forms?", TENNCARE, "PA Form"),
    _cue("notes", r"notes?|comments?|restrictions?", GENERAL, "Notes"),
)


@dataclass(frozen=True)
class StatusCode:
    """One printed status value and what it means."""

    printed: str
    status: str  # 'preferred', 'non-preferred' or the plan's own word
    requires_pa: bool  # does the status alone require prior authorization?


@dataclass(frozen=True)
class StatusLegend:
    """A plan's status legend, for documents that do not print one.

    ``plan`` must match the document's title or first page for the legend to apply;
    ``example`` is such a title as printed; ``why`` says where the meaning comes from.
    """

    plan: re.Pattern[str]
    payer: str
    example: str
    codes: tuple[StatusCode, ...]
    why: str


STATUS_LEGENDS: tuple[StatusLegend, ...] = (
    StatusLegend(
        re.compile(r"\bTennCare\b", re.I),
        TENNCARE,
        "Clinical Criteria, Step Therapy, and Quantity Limits for TennCare Preferred Drug List",
        (
            StatusCode("P", "preferred", False),
            StatusCode("NP", "non-preferred", True),
        ),
        "no legend is printed; every category banner reads 'Approval of NP agents requires "
        "trial and failure ... of 2 preferred agents', so NP is non-preferred and needs PA",
    ),
    StatusLegend(
        re.compile(r"\b(?:preferred\s+drug\s+list|PDL|formulary)\b", re.I),
        GENERAL,
        "Preferred Drug List",
        (
            StatusCode("P", "preferred", False),
            StatusCode("NP", "non-preferred", True),
            StatusCode("Preferred", "preferred", False),
            StatusCode("Non-Preferred", "non-preferred", True),
            StatusCode("Non Preferred", "non-preferred", True),
        ),
        "the common spellings of a two-level PDL; non-preferred agents need PA",
    ),
)

# A printed legend line: "P = Preferred", "NP - Non-preferred (PA required)", "Y: preferred"
LEGEND_LINE = Pattern(
    "status legend entry",
    re.compile(
        r"(?<![\w/])([A-Z][A-Za-z\-]{0,14}|[*^†‡#]{1,2})\s*(?:=|:|–|-)\s+"
        r"((?:[Nn]on[- ]?)?[Pp]referred[^;,\n]*?)(?=\s*(?:[;,\n]|$|\s[A-Z][A-Za-z\-]{0,14}\s*=))"
    ),
    "synthetic PDL (tests)",
    "Status: Y = Preferred agent; N = Non-preferred agent (PA required)",
    "Y",
)

# Footnote markers that open a legend line ("* For children, ...", "*^Morphine ...")
LEGEND_MARKER = Pattern(
    "legend footnote",
    re.compile(r"^(\*\^|\*\*|\*|\^|†|‡)\s*(?=\S)(?![*^†‡])"),
    TENNCARE,
    "* For children, larger quantities may be approved as medically necessary.",
    "*",
)

# PA / ST / QL markers printed in a cell or after a name ("PA", "ST", "QL", "QLL")
MARKERS: dict[str, Pattern] = {
    "pa": Pattern(
        "prior authorization marker",
        re.compile(r"^(?:PA|Y|Yes|X|PA\s+required)$", re.I),
        GENERAL,
        "PA",
        "PA",
    ),
    "step_therapy": Pattern(
        "step therapy marker", re.compile(r"^(?:ST|Y|Yes|X)$", re.I), GENERAL, "ST", "ST"
    ),
    "quantity_limit": Pattern(
        "quantity limit marker", re.compile(r"^(?:QL|QLL|Y|Yes|X)$", re.I), GENERAL, "QLL", "QLL"
    ),
    "no": Pattern("no marker", re.compile(r"^(?:N|No|-|–|—|N/A)$", re.I), GENERAL, "No", "No"),
}

# Page banners: metadata (the effective date), never content or a class
BANNERS: tuple[Pattern, ...] = (
    Pattern(
        "effective banner",
        re.compile(
            r"^\s*Effective\s+(?:Date:?\s+)?([A-Za-z]+\.?\s+\d{1,2},?\s+\d{4}|\d{1,2}/\d{1,2}/\d{2,4})"
            r"(?:\s*\(\s*revised\s+[\d./]+\s*\))?\s*$",
            re.I,
        ),
        GENERAL,
        "Effective September 1, 2025 (revised 8.14.25)",
        "September 1, 2025",
    ),
    Pattern(
        "lone date banner",
        re.compile(
            r"^\s*((?:January|February|March|April|May|June|July|August|September"
            r"|October|November|December)\s+\d{1,2},\s+\d{4})\s*$"
        ),
        TENNCARE,
        "June 1, 2025",
        "June 1, 2025",
    ),
)

# "(continued)" on a class title or drug name reprinted after a page break
CONTINUED = Pattern(
    "continued marker",
    re.compile(r"\s*[\(\[]\s*(?:continued|cont(?:'d|\.)?)\s*[\)\]]\s*$", re.I),
    TENNCARE,
    "Dupixent® (continued)",
    " (continued)",
)

# A criteria cell that only refers to another drug's criteria
CRITERIA_REFERENCE = Pattern(
    "criteria reference",
    re.compile(
        r"^\s*(?:Criteria:\s*)?(?:[•●]\s*)?(?:See|Refer\s+to)\s+(?:prior\s+authorization\s+criteria\s+for\s+)?"
        r"(.+?)(?:\s+prior\s+authorization\s+criteria)?\s*(?:;\s*AND\b.*)?$",
        re.I,
    ),
    TENNCARE,
    "See Lucemyra® prior authorization criteria",
    "Lucemyra®",
)

# A criteria heading inside a cell or a band ("Initial Criteria:", "Renewal Criteria")
CRITERIA_HEADING = Pattern(
    "criteria heading",
    re.compile(
        r"((?:[A-Z][\w'’/()-]*\s+){0,8}?(?:Criteria|Information|Durations?)"
        r"(?:\s*\([^()]{0,80}\))?\s*:(?:\s*\([^()]{0,80}\))?|(?:Initial|Renewal|Continuation)"
        r"\s+Criteria\s*(?:\([^()]{0,80}\))?)(?=\s|$)"
    ),
    TENNCARE,
    "Renewal Criteria:",
    "Renewal Criteria:",
)

# A band row that opens a block of class-level notes, not a class ("CLASS PRIOR ...:")
NOTE_BLOCK = Pattern(
    "class note heading",
    re.compile(r"^\s*(?:Note\b|CLASS\s+PRIOR\s+AUTHORI[SZ]ATION\b|\*{3}|\(NOTE\b)", re.I),
    TENNCARE,
    "CLASS PRIOR AUTHORIZATION CRITERIA FOR PATIENTS WITH INTELLECTUAL AND DEVELOPMENTAL "
    "DISABILITIES (I/DD):",
    "CLASS PRIOR AUTHORIZATION",
)

# A sub-group title inside a class that already has sub-groups (manufacturers, providers)
SUBGROUP = Pattern(
    "sub-group title",
    re.compile(r"^\s*(All\s+(?:other\s+)?\w+(?:\s+\w+)?)\s*:?\s*$"),
    TENNCARE,
    "All Manufacturers",
    "All Manufacturers",
)

# A PA-form cell is complete when it ends in this (a merged cell split across grid rows
# gives "Buprenorphine" + "Products PA Form")
FORM_CUE = Pattern(
    "form cell", re.compile(r"\bForms?\s*$", re.I), TENNCARE, "General PA Form", "Form"
)

# Brand marks: a drug name, never a class title
BRAND_MARK = Pattern("brand mark", re.compile(r"[®™]"), GENERAL, "Lucemyra®", "®")

_NUM = r"\d+(?:[.,]\d+)*"
_UNIT = (
    r"tabs?|tablets?|caps?|capsules?|patch(?:es)?|sprayers?|injections?|vials?|syringes?|pens?"
    r"|kits?|packages?|packets?|bottles?|tubes?|units?|boxes|pods?|sensors?|strips?|doses?"
    r"|mg|mcg|g|gm|mL|ml|L|fills?|inhalers?|cartridges?"
)
_PERIOD = r"day|days|week|weeks|month|months|year|years|Rx|fill|course|cycle|prescription"
# Quantity-limit shapes: "16/day", "2 sprayers/30 days", "1 vial per 28 days",
# "12 tabs/Rx", "3/day; Max 14-day supply"; the groups are quantity, unit, days, period
QL_PARTS = Pattern(
    "quantity per period",
    re.compile(
        rf"(?<![\w.])({_NUM})\s*((?:{_UNIT})\b)?\s*(?:/|\bper\b|\bevery\b)\s*"
        rf"(?:({_NUM})[\s-]*)?({_PERIOD})(?![a-z])",
        re.I,
    ),
    TENNCARE,
    "2 sprayers/30 days",
    "2",
)
