"""How payers word their criteria: the connective words that become operators, the cues
that start an indication, a branch (initial / continuation), a dosing list or the
exclusions, the phrases that state an approval duration, and the lead-in words that
turn a printed condition into a criterion.

The assembler (``extract.assemble``) is general: it reads these tables and never holds
a payer's wording itself. Every entry names the payer whose documents showed it and an
example as printed; ``tests/test_vocab_criteria.py`` runs every entry against its example.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import Pattern
from .sections import ANTHEM, CENTENE, CIGNA, EMBLEM, FEP, GENERAL, MMM, UHC

__all__ = [
    "APPROVAL_LANGUAGE",
    "BRANCH_CUES",
    "COMMON_CUES",
    "CONDITION_CLAUSES",
    "CONDITION_LINKS",
    "CONNECTIVES",
    "CONNECTOR_LINES",
    "DEFINING_LINKS",
    "DIAGNOSIS_LABELS",
    "DOSING_CUES",
    "DURATIONS",
    "INDICATION_CUES",
    "INLINE_BULLETS",
    "INLINE_CONNECTORS",
    "INTRODUCER_WORDS",
    "ITEM_LABELS",
    "NOTE_CUES",
    "NOT_COVERED_CUES",
    "NUMBER_WORDS",
    "ROW_CRITERIA",
    "SAME_AS_ABOVE",
    "Phrase",
    "number_of",
]


@dataclass(frozen=True)
class Phrase(Pattern):
    """A :class:`Pattern` with what the wording means.

    ``meaning`` is an operator (``AND``, ``OR``, ``N_OF``), a branch (``initial``,
    ``continuation``), or ``context`` (a duration that belongs to the branch it is
    printed in); ``n`` is N of an ``N_OF``; ``strong`` phrases (an explicit count: ONE
    of, BOTH of, ALL of) outrank the connectors printed between the items, weak ones
    (``the following:``, ``including:``) only apply where no connector is printed;
    ``condition``: the matched text also states a condition of the patient (a branch
    heading such as 'Patient is Currently Receiving ...' is kept as a criterion).
    """

    meaning: str = ""
    n: int | None = None
    strong: bool = True
    condition: bool = False


def _re(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "twelve": 12,
    "a": 1,
}


def number_of(word: str) -> int | None:
    """'2' -> 2, 'TWO' -> 2, 'one' -> 1; None for anything else."""
    w = word.strip().lower()
    if w.isdigit():
        return int(w)
    return NUMBER_WORDS.get(w)


# ------------------------------------------------------------------ connectives
# A lead-in ('Patient meets ONE of the following (a or b):') gives its items' operator.
# Tried in order; the earliest match in the lead-in wins.

_ITEM = r"\(?[A-Za-z0-9]{1,4}\)?"
CONNECTIVES: tuple[Phrase, ...] = (
    Phrase(
        "N of the following",
        _re(
            r"\b(?:at\s+least\s+)?(two|three|four|five|2|3|4|5)(?:\s*\(\d\))?(?:\s+or\s+more)?"
            r"\s+of\s+the\s+following\b"
        ),
        UHC,
        "History of failure, contraindication, or intolerance to two of the following "
        "therapeutic classes",
        "two",
        meaning="N_OF",
    ),
    Phrase(
        "one (or more) of the following",
        _re(
            r"\b(?:at\s+least\s+)?(?:one|1)(?:\s*\(1\))?(?:\s+or\s+more)?\s+(?:of\s+)?the"
            r"\s+following\b"
        ),
        CIGNA,
        "Patient meets at least ONE of the following (a or b):",
        "at least ONE of the following",
        meaning="OR",
    ),
    Phrase(
        "either / any of the following",
        _re(r"\b(?:either|any)\s+(?:one\s+)?of\s+the\s+following\b"),
        UHC,
        "Patient is not receiving Dupixent in combination with either of the following:",
        "either of the following",
        meaning="OR",
    ),
    Phrase(
        "must meet one",
        _re(r"\bmust\s+meet\s+(?:one|any|\d+\s+or\s+\d+)\b"),
        CENTENE,
        "(must meet 1 or 2):",
        "must meet 1 or 2",
        meaning="OR",
    ),
    Phrase(
        "items listed with 'or'",
        _re(rf"[(\[]{_ITEM}(?:,?\s+{_ITEM})*,?\s+or\s+{_ITEM}[)\]]"),
        CIGNA,
        "Patient meets ONE of the following (a, b, c, or d):",
        "(a, b, c, or d)",
        meaning="OR",
    ),
    Phrase(
        "both / all of the following",
        _re(r"\b(?:both|all)\s+(?:of\s+)?the\s+following\b"),
        FEP,
        "AND ALL of the following:",
        "ALL of the following",
        meaning="AND",
    ),
    Phrase(
        "must meet all",
        _re(r"\bmust\s+meet\s+all\b"),
        CENTENE,
        "Acute Lymphoblastic Leukemia (must meet all):",
        "must meet all",
        meaning="AND",
    ),
    Phrase(
        "items listed with 'and'",
        _re(rf"[(\[](?:both\s+)?{_ITEM}(?:,?\s+{_ITEM})*,?\s+and\s+{_ITEM}[)\]]"),
        CIGNA,
        "Approve for 6 months if the patient meets ALL of the following (i, ii, and iii):",
        "(i, ii, and iii)",
        meaning="AND",
    ),
    Phrase(
        "the following (no count)",
        _re(r"\bthe\s+following\s*:\s*$"),
        FEP,
        "Patient must have the following:",
        "the following:",
        meaning="AND",
        strong=False,
    ),
    Phrase(
        "including (a list of what is required)",
        _re(r"\bincluding\s*:\s*$"),
        FEP,
        "Patient must have received ONE or more prior lines of therapy including:",
        "including:",
        meaning="AND",
        strong=False,
    ),
)

# a printed line (or block) that is only a connector: 'AND', 'OR', '- AND -', '-OR-'
CONNECTOR_LINES: tuple[Phrase, ...] = (
    Phrase(
        "connector between dashes",
        re.compile(r"^[\s\-–—•]*(AND|OR|And|Or|and|or)[\s\-–—]*$"),
        UHC,
        "- AND -",
        "AND",
    ),
)

# a connector inside a block, where the reader joined two printed items or an item and
# its note ('...for at least 6 months; AND Note: A patient who ...')
INLINE_CONNECTORS: tuple[Phrase, ...] = (
    Phrase(
        "semicolon connector before more text",
        re.compile(r";\s*(AND|OR)\.?(?=\s+\S)"),
        CIGNA,
        "Patient has been established on therapy for at least 6 months; AND Note: A patient",
        "AND",
    ),
    Phrase(
        "semicolon connector at the end",
        re.compile(r"[;,]\s*(AND|OR|and|or)\.?\s*$"),
        CIGNA,
        "at least 16 weeks will elapse between courses; AND.",
        "AND",
    ),
)

# printed sub-item marks the PDF text layer keeps as text ('o' of a Word list drawn in
# Courier, a dash, a Wingdings square) at the start of a printed line, or alone on one
INLINE_BULLETS: tuple[Pattern, ...] = (
    Pattern(
        "letter o bullet",
        re.compile(r"^\s*o(?:\s+(\S.*))?$"),
        UHC,
        "o Diagnosis of immune thrombocytopenic purpura (ITP); and",
        "Diagnosis of immune thrombocytopenic purpura (ITP); and",
    ),
    Pattern(
        "dash bullet",
        re.compile(r"^\s*[−–]\s+(\S.*)$"),
        EMBLEM,
        "− Decrease in T-score in comparison with baseline T-score from DXA scan",
        "Decrease in T-score in comparison with baseline T-score from DXA scan",
    ),
    Pattern(
        "symbol-font bullet",
        re.compile("^\\s*[\uf0a7\uf0b7\uf0d8\u25aa\u25a0](?:\\s+(\\S.*))?$"),
        UHC,
        "\u25aa Anti-D immunoglobulin",
        "Anti-D immunoglobulin",
    ),
)

# ------------------------------------------------------------------ notes

NOTE_CUES: tuple[Pattern, ...] = (
    Pattern(
        "note",
        re.compile(r"^\s*(?:Notes?|NOTES?)\s*:\s*(.*)$", re.DOTALL),
        CIGNA,
        "Note: Examples of corticosteroids are prednisone and methylprednisolone.",
        "Examples of corticosteroids are prednisone and methylprednisolone.",
    ),
    Pattern(
        "footnote line",
        re.compile(r"^\s*(?:\*+|[†‡±¥Ф◊])\s*(\S.*)$", re.DOTALL),
        CENTENE,
        "*Prior authorization is (or may be) required for these agents",
        "Prior authorization is (or may be) required for these agents",
    ),
)

# ------------------------------------------------------------------ branches

BRANCH_CUES: tuple[Phrase, ...] = (
    Phrase(
        "initial therapy / authorization / requests",
        _re(
            r"^\s*(?:criteria\s+for\s+|for\s+)?initial\s+(?:therapy|treatment|authori[sz]ation"
            r"|approval(?:\s+criteria)?|requests?)\b"
        ),
        CIGNA,
        "Initial Therapy. Approve for 6 months if the patient meets BOTH of the following",
        "Initial Therapy",
        meaning="initial",
    ),
    Phrase(
        "induction treatment",
        _re(r"^\s*induction\s+treatment\b"),
        CIGNA,
        "Induction Treatment. Approve for 1 month if the patient meets ALL of the following",
        "Induction Treatment",
        meaning="initial",
    ),
    Phrase(
        "prior-approval requirements",
        _re(r"^\s*prior\s*[-–]?\s*approval\s+requirements\b"),
        FEP,
        "Prior-Approval Requirements",
        "Prior-Approval Requirements",
        meaning="initial",
    ),
    Phrase(
        "continuation / renewal / reauthorization",
        _re(
            r"^\s*(?:criteria\s+for\s+|for\s+)?(?:continuation|continued\s+therapy"
            r"|re-?authori[sz]ation|renewal)\b"
        ),
        UHC,
        "Reauthorization",
        "Reauthorization",
        meaning="continuation",
    ),
    Phrase(
        "prior-approval renewal requirements",
        _re(r"^\s*prior\s*[-–]?\s*approval\s+renewal\b"),
        FEP,
        "Prior – Approval Renewal Requirements",
        "Prior – Approval Renewal",
        meaning="continuation",
    ),
    Phrase(
        "patient is currently receiving",
        _re(r"^\s*(?:the\s+)?(?:patient|individual|member)\s+is\s+currently\s+receiving\b"),
        CIGNA,
        "Patient is Currently Receiving an Infliximab Product. Approve for 1 year if",
        "Patient is Currently Receiving",
        meaning="continuation",
        condition=True,
    ),
    Phrase(
        "patient has already received",
        _re(r"^\s*(?:the\s+)?(?:patient|individual)\s+(?:has|have)\s+already\s+received\b"),
        CIGNA,
        "Patient has Already Received a Course of a Rituximab Product for Graft-Versus-Host",
        "Patient has Already Received",
        meaning="continuation",
        condition=True,
    ),
    Phrase(
        "patient is being treated for a relapse / maintenance",
        _re(
            r"^\s*(?:the\s+)?patient\s+is\s+being\s+treated\s+for\s+(?:a\s+)?"
            r"(?:relapse|maintenance)\b"
        ),
        CIGNA,
        "Patient is Being Treated for a Relapse of Pemphigus Vulgaris. Approve for 1 month",
        "Patient is Being Treated for a Relapse",
        meaning="continuation",
        condition=True,
    ),
    Phrase(
        "follow-up treatment",
        _re(r"^\s*follow[-\s]up\s+treatment\s+of\b"),
        CIGNA,
        "Follow-Up Treatment of Patients Who Have Received Induction Treatment for ANCA",
        "Follow-Up Treatment of",
        meaning="continuation",
        condition=True,
    ),
)

# a list of dosing regimens printed inside an indication
DOSING_CUES: tuple[Pattern, ...] = (
    Pattern(
        "dosing lead-in",
        _re(r"^\s*(Dosing)\s*[.:]"),
        CIGNA,
        "Dosing. Approve ONE of the following regimens (A or B):",
        "Dosing",
    ),
)

# headings and lead-ins of the exclusions ('criteria.not_covered')
NOT_COVERED_CUES: tuple[Pattern, ...] = (
    Pattern(
        "not medically necessary / unproven / not covered",
        _re(
            r"\b(not\s+medically\s+necessary|unproven|not\s+covered|NOT\s+authorized"
            r"|may\s+not\s+be\s+approved|considered\s+investigational"
            r"|experimental,?\s+investigational)\b"
        ),
        GENERAL,
        "Rituximab is unproven and not medically necessary for the treatment of:",
        "unproven",
    ),
)

# ------------------------------------------------------------------ indications

INDICATION_CUES: tuple[Phrase, ...] = (
    Phrase(
        "indication name, then its approval",
        re.compile(r"^(\S[^:;]{1,158}?)\.?\s+Approve\s+(?:for|if|the\s+duration)\b"),
        CIGNA,
        "Ankylosing Spondylitis. Approve for the duration noted if the patient meets ONE of",
        "Ankylosing Spondylitis",
    ),
    Phrase(
        "requests for the drug for an indication",
        _re(
            r"^\s*(?:initial|continuation)\s+(?:requests|of\s+therapy)\s+(?:for|with)\s+.+?"
            r"\s+for\s+(?:the\s+treatment\s+of\s+)?(.+?)\s+may\s+(?:not\s+)?be\b"
        ),
        ANTHEM,
        "Initial requests for Dupixent (dupilumab) for the treatment of asthma may be approved "
        "if the following criteria are met:",
        "asthma",
    ),
    Phrase(
        "medically necessary for the treatment of an indication when",
        _re(r"\bmedically\s+necessary\s+for\s+(?:the\s+treatment\s+of\s+)?(.+?)\s+when\b"),
        UHC,
        "Rituximab is medically necessary for the treatment of pemphigus vulgaris when all of "
        "the following criteria are met:",
        "pemphigus vulgaris",
    ),
)

# a printed row label whose next list names the diagnoses (FEP 'Diagnosis' / 'Diagnoses')
DIAGNOSIS_LABELS: tuple[Pattern, ...] = (
    Pattern(
        "diagnosis row", _re(r"^\s*(Diagnos(?:is|es))\s*:?\s*$"), FEP, "Diagnoses", "Diagnoses"
    ),
)

# a printed row that is itself a criterion ('Age  18 years of age or older')
ROW_CRITERIA: tuple[Pattern, ...] = (
    Pattern(
        "age row",
        re.compile(r"^\s*(Age)\s+\S"),
        FEP,
        "Age 18 years of age or older",
        "Age",
    ),
)

# criteria printed once for every indication that follows
COMMON_CUES: tuple[Pattern, ...] = (
    Pattern(
        "universal criteria",
        _re(r"\b(universal\s+criteria)\b"),
        EMBLEM,
        "Universal Criteria 1-8,43,47",
        "Universal Criteria",
    ),
    Pattern(
        "for all diagnoses",
        _re(r"\b(for\s+all\s+diagnoses)\b"),
        FEP,
        "AND ALL of the following for ALL diagnoses:",
        "for ALL diagnoses",
    ),
)

# ------------------------------------------------------------------ conditions in lead-ins

# a clause of a lead-in that states a condition: 'MMM considers continuation ... medically
# necessary ... when there is no evidence of an unacceptable toxicity or disease progression'
CONDITION_CLAUSES: tuple[Pattern, ...] = (
    Pattern(
        "when clause",
        _re(
            r"\bwhen\s+(?![^.:;]*\b(?:following|criteria|criterion)\b)([^.:;]{12,}?)\s*(?:[.:;]|$)"
        ),
        MMM,
        "in members requesting reauthorization when there is no evidence of an unacceptable "
        "toxicity or disease progression while on the current regimen. The following",
        "there is no evidence of an unacceptable toxicity or disease progression while on the "
        "current regimen",
    ),
)

# the words between a stated condition and its list ('... after TWO or more lines of
# systemic therapy including:'): the lead-in is a criterion of its own
CONDITION_LINKS: tuple[Pattern, ...] = (
    Pattern(
        "including",
        _re(r"(\bincluding)\s*$"),
        FEP,
        "Relapsed or refractory after TWO or more lines of systemic therapy including",
        "including",
    ),
    Pattern(
        "indicated by",
        _re(r"(?<!\bas\s)(\bindicated\s+by)\s*$"),
        EMBLEM,
        "Patient has a documented diagnosis of osteoporosis indicated by",
        "indicated by",
    ),
    Pattern(
        "demonstrated on",
        _re(r"(\bdemonstrated\s+on)\s*$"),
        ANTHEM,
        "individual has a diagnosis of CRSwNP demonstrated on",
        "demonstrated on",
    ),
)

# words that only say how a list defines or completes its lead-in: no criterion of its own
DEFINING_LINKS: tuple[Pattern, ...] = (
    Pattern(
        "as defined / demonstrated / indicated / evidenced by",
        _re(r"(\b(?:as\s+(?:defined|demonstrated|indicated|evidenced)|defined)\s+(?:by|as))\s*$"),
        UHC,
        "Classification of asthma as uncontrolled or inadequately controlled as defined by",
        "as defined by",
    ),
    Pattern(
        "defined below",
        _re(r"(\(\s*defined\s+below\s*\))"),
        FEP,
        "Compound heterozygous mutation of the SMN1 gene (defined below)",
        "(defined below)",
    ),
    Pattern(
        "confirming",
        _re(r"(\bconfirming)\s*$"),
        UHC,
        "Diagnosis of NMOSD by a neurologist confirming",
        "confirming",
    ),
)

# words that introduce without stating anything ('Patient has tried', 'Individual meets')
INTRODUCER_WORDS = frozenset(
    {
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "for",
        "by",
        "with",
        "from",
        "as",
        "at",
        "least",
        "patient",
        "patients",
        "individual",
        "individuals",
        "member",
        "members",
        "he",
        "she",
        "they",
        "has",
        "have",
        "had",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "must",
        "will",
        "shall",
        "may",
        "can",
        "meets",
        "meet",
        "met",
        "tried",
        "received",
        "experienced",
        "documentation",
        "provided",
        "that",
        "who",
        "which",
        "following",
        "criteria",
        "criterion",
        "one",
        "any",
        "either",
        "all",
        "both",
        "requested",
        "prescribed",
        "used",
        "use",
        "using",
        "if",
        "when",
        "there",
        "this",
        "these",
    }
)

# ------------------------------------------------------------------ durations

_N = r"(\d+|one|a|two|three|six|twelve)\s*(?:\(\d+\)\s*)?(months?|years?|weeks?|days?)\b"
DURATIONS: tuple[Phrase, ...] = (
    Phrase(
        "approve for N",
        _re(rf"\bapprove\s+for\s+{_N}"),
        CIGNA,
        "Approve for 6 months if the patient meets BOTH of the following",
        "6",
        meaning="context",
    ),
    Phrase(
        "authorization will be issued for N",
        _re(
            rf"\bauthori[sz]ation\s+will\s+be\s+issued"
            rf"\s+for\s+{_N}"
        ),
        UHC,
        "Authorization will be issued for 12 months.",
        "12",
        meaning="context",
    ),
    Phrase(
        "initial authorization will be for N",
        _re(
            rf"\binitial\s+authori[sz]ation\s+will\s+be"
            rf"\s+for\s+(?:no\s+more\s+than\s+)?{_N}"
        ),
        UHC,
        "Initial authorization will be for no more than 12 months",
        "12",
        meaning="initial",
    ),
    Phrase(
        "reauthorization will be for N",
        _re(
            rf"\breauthori[sz]ation\s+will\s+be\s+for\s+"
            rf"(?:no\s+more\s+than\s+)?{_N}"
        ),
        UHC,
        "Reauthorization will be for no more than 12 months",
        "12",
        meaning="continuation",
    ),
    Phrase(
        "approval duration: N",
        _re(rf"\bapproval\s+duration\s*:\s*(?:[^:.]*?\bor\s+)?{_N}"),
        CENTENE,
        "Approval duration: 6 months",
        "6",
        meaning="context",
    ),
    Phrase(
        "initial requests: N",
        _re(rf"\binitial\s+requests\s*:\s*{_N}"),
        ANTHEM,
        "Approval Duration for asthma Initial Requests: 6 months Continuation Requests: 12",
        "6",
        meaning="initial",
    ),
    Phrase(
        "continuation requests: N",
        _re(rf"\bcontinuation\s+requests\s*:\s*{_N}"),
        ANTHEM,
        "Continuation Requests: 12 months",
        "12",
        meaning="continuation",
    ),
    Phrase(
        "initial approval duration: N",
        _re(rf"\binitial\s+approval\s+duration\s*:\s*{_N}"),
        MMM,
        "Initial Approval Duration: 12 months",
        "12",
        meaning="initial",
    ),
    Phrase(
        "reauthorization approval duration: N",
        _re(
            rf"\breauthori[sz]ation\s+approval"
            rf"\s+duration\s*:\s*{_N}"
        ),
        MMM,
        "Reauthorization Approval Duration: 12 months",
        "12",
        meaning="continuation",
    ),
    Phrase(
        "duration N (limits row)",
        _re(rf"^(?:quantity\b.*?)?\bduration\s+{_N}"),
        FEP,
        "Quantity 4 doses (20mL) Duration 3 months",
        "3",
        meaning="context",
    ),
    Phrase(
        "validity provided initially for N",
        _re(rf"\binitial\b.*?\bvalidity\b.*?\bfor\s+{_N}"),
        EMBLEM,
        "Initial: Prior authorization validity will be provided initially for 12 months.",
        "12",
        meaning="initial",
    ),
    Phrase(
        "validity renewed every N",
        _re(rf"\brenew(?:al|ed)\b.*?\bevery\s+{_N}"),
        EMBLEM,
        "Renewal: Prior authorization validity may be renewed every 12 months thereafter.",
        "12",
        meaning="continuation",
    ),
)
# the labels of the items below as a lead-in lists them: a text whose only edit is this
# list ('(i, ii, and iii)' -> '(i, ii, iii, and iv)' when an item is added or the list is
# corrected) is renumbered, not reworded; the items themselves are compared one by one
ITEM_LABELS = Pattern(
    "list of the items' labels",
    _re(rf"[(\[](?:both\s+|either\s+)?{_ITEM}(?:,?\s+{_ITEM})*,?\s+(?:and|or)\s+{_ITEM}[)\]]"),
    CIGNA,
    "Approve for 1 month if the patient meets ALL of the following (i, ii, iii, and iv):",
    "(i, ii, iii, and iv)",
)

# a renewal limit printed as the same as the initial one
SAME_AS_ABOVE = Pattern(
    "same as above",
    _re(r"^\s*(same\s+as\s+above)\s*\.?\s*$"),
    FEP,
    "Same as above",
    "Same as above",
)

# ------------------------------------------------------------------ never silent

# words of approval language: a document holding them but no criteria tree is warned about
APPROVAL_LANGUAGE = Pattern(
    "approval language",
    _re(
        r"\b(approve[ds]?|approval\s+criteria|medically\s+necessary|must\s+meet"
        r"|criteria\s+(?:are|is)\s+met|prior\s+authori[sz]ation\s+(?:is\s+)?required)\b"
    ),
    GENERAL,
    "Requests may be approved when the patient must meet the conditions below",
    "approved",
)
