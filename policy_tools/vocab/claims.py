"""How a policy-history summary names what changed.

Each :class:`ClaimAlias` maps wording of a history row to the change-set sections it
speaks about (``fnmatch`` patterns over ``Change.section``; generic sections are
``sections.<key>``). The audit imports these tables; ``example`` is a claim as printed
that the alias must recognise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import Pattern
from .sections import CIGNA, FEP, GENERAL, MMM

__all__ = [
    "ADD_VERB",
    "CLAIM_ALIASES",
    "CONTEXT_LABEL",
    "CRITERIA_TOPICS",
    "DURATION",
    "FILLER_WORDS",
    "FORMAT",
    "LIST_INTRO",
    "NO_CHANGE",
    "REMOVE_VERB",
    "REVIEW_ONLY",
    "STATEMENT_BREAK",
    "ClaimAlias",
]

FORMAT = "format"  # the pseudo-section of administrative / template claims


@dataclass(frozen=True)
class ClaimAlias:
    regex: re.Pattern[str]
    sections: tuple[str, ...]
    payer: str
    example: str


def _alias(pattern: str, sections: tuple[str, ...], payer: str, example: str) -> ClaimAlias:
    return ClaimAlias(re.compile(pattern, re.IGNORECASE), sections, payer, example)


CLAIM_ALIASES: tuple[ClaimAlias, ...] = (
    _alias(
        r"\bbackground|boxed warning|safety warning|adverse reaction|warnings and precaution"
        r"|\bdescription\b|\boverview\b",
        ("sections.*background*", "sections.*description*", "sections.*overview*"),
        GENERAL,
        "Updated background with the new boxed warning",
    ),
    _alias(
        r"FDA approv|approved indication|\bindications?\b|\blabel(?:ed|ing)?\b",
        ("sections.*indication*", "sections.*approved*"),
        GENERAL,
        "Added new FDA approved indication",
    ),
    _alias(
        r"compendi|other uses|off-label|NCCN",
        ("sections.*compendi*", "sections.*other_use*", "sections.*uses*"),
        MMM,
        "Updated compendia supported uses per NCCN",
    ),
    _alias(
        r"\binitial (?:approval |authorization |coverage )?criteria|initial approval"
        r"|coverage criteria|medical necessity criteria|approval criteria",
        ("criteria.initial", "sections.initial_criteria*", "sections.coverage_criteria*"),
        MMM,
        "Revised initial approval criteria",
    ),
    _alias(
        r"continuation|renewal|re-?authori[sz]ation criteria|continued therapy",
        ("criteria.continuation", "sections.continuation_criteria*"),
        MMM,
        "updating continuation criteria",
    ),
    _alias(
        r"not covered|investigational|experimental|not medically necessary|exclusion"
        r"|limitations? of coverage",
        ("criteria.not_covered", "sections.not_covered*"),
        GENERAL,
        "Added investigational uses",
    ),
    _alias(
        r"authori[sz]ation duration|approval duration|duration of (?:approval|authori[sz]ation)"
        r"|authori[sz]ation period|length of authori[sz]ation",
        ("criteria.authorization",),
        GENERAL,
        "Changed approval duration to 12 months",
    ),
    _alias(
        r"\bdos(?:e|es|ing|age)\b|premedication|pre-medication|concomitant|hydration|infusion"
        r"|monitoring|administration (?:section|instructions)|quantity limit",
        (
            "dosing.*",
            "sections.*dos*",
            "sections.*limit*",
            "sections.*administration*",
            "sections.*quantity*",
        ),
        MMM,
        "Updated premedication hydration",
    ),
    _alias(
        r"\bcod(?:e|es|ing)\b|\bICD|HCPCS|\bCPT\b",
        ("codes", "sections.*cod*"),
        MMM,
        "added ICD10 codes C7A.1 and C79.31",
    ),
    _alias(
        r"\breferences?\b|citation|bibliograph",
        ("references", "sections.*reference*"),
        FEP,
        "Annual review and reference update",
    ),
    _alias(
        r"\bdefinitions?\b|\bterms?\b",
        ("definitions", "sections.*definition*"),
        GENERAL,
        "Added definitions",
    ),
    _alias(
        r"\bformat(?:ting)?\b|template|administrative|layout|editorial|typograph|grammar",
        (FORMAT,),
        MMM,
        "Policy moved to new template",
    ),
    _alias(r"policy history|history table", ("history",), GENERAL, "Updated policy history"),
    _alias(
        r"^\W*no criteria changes?\b|\bcriteria (?:were )?(?:unchanged|not changed)",
        ("criteria.*",),
        CIGNA,
        "No criteria changes",
    ),
)

NO_CHANGE = Pattern(
    "no change",
    re.compile(
        r"\bno (?:content |clinical |criteria |policy )?changes?\b|without changes|no updates",
        re.IGNORECASE,
    ),
    GENERAL,
    "Annual review, no changes",
    "no changes",
)
# a review event that states no change ("Annual review", "Ad hoc editorial review")
REVIEW_ONLY = Pattern(
    "review only",
    re.compile(
        r"^(?:policy )?(?:annual|ad[- ]hoc|interim|off-cycle|scheduled|periodic)?\s*"
        r"(?:editorial\s+)?review(?:ed)?(?: and approved| completed)?$",
        re.IGNORECASE,
    ),
    FEP,
    "Annual review",
    "Annual review",
)
REMOVE_VERB = Pattern(
    "removal verb",
    re.compile(r"\b(?:remov|delet|retir|drop)", re.IGNORECASE),
    GENERAL,
    "Removed HCPCS J9999",
    "Remov",
)
ADD_VERB = Pattern(
    "addition verb",
    re.compile(r"\b(?:add|new\b|introduc|expand|includ|extend)", re.IGNORECASE),
    GENERAL,
    "Added new FDA approved indication",
    "Add",
)
# where one statement ends and the next begins inside a clause: "revised the X
# requirement and added a criterion excluding Y" -> two statements
STATEMENT_BREAK = Pattern(
    "statement break",
    re.compile(
        r"(?:,\s*(?:and\s+)?|\s+and\s+)(?=(?:add|remov|revis|updat|chang|delet|requir|expand"
        r"|refin|clarif|replac|retir|introduc|modif)(?:e|ed|es|ing|ion|s)?\b)",
        re.IGNORECASE,
    ),
    FEP,
    "change requirement of 4 prior lines of therapy to 1, and changed required categories",
    ", and ",
)
# "the following options of approval were removed: A; B; C" - the items are the objects
LIST_INTRO = Pattern(
    "list of objects",
    re.compile(r"^(.*\bthe following\b[^:]*):\s*(?=\S)", re.IGNORECASE),
    CIGNA,
    "Crohn's Disease: For initial therapy, the following options of approval were removed: A",
    "Crohn's Disease: For initial therapy, the following options of approval were removed",
)
# "Crohn's Disease: For initial therapy, ..." - the indication (or topic) a row speaks of
CONTEXT_LABEL = Pattern(
    "context label",
    re.compile(r"^([A-Z][^:;.]{2,70}?):\s+(?=\S)"),
    CIGNA,
    "Still's Disease: Removed this condition of approval",
    "Still's Disease",
)
DURATION = Pattern(
    "duration",
    re.compile(r"\b(\d{1,2})[\s-]*(months?|years?)\b", re.IGNORECASE),
    GENERAL,
    "Changed the initial approval duration to 12 months",
    "12",
)
# words that name no content of their own in a history statement: editing verbs,
# connectives and the words every criterion shares
FILLER_WORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "accordingly",
        "added",
        "adding",
        "after",
        "all",
        "also",
        "an",
        "and",
        "any",
        "approval",
        "approvals",
        "are",
        "as",
        "at",
        "based",
        "be",
        "been",
        "being",
        "both",
        "by",
        "change",
        "changed",
        "changes",
        "changing",
        "clarified",
        "condition",
        "conditions",
        "continuation",
        "criteria",
        "criterion",
        "current",
        "currently",
        "each",
        "following",
        "for",
        "from",
        "has",
        "have",
        "in",
        "including",
        "initial",
        "into",
        "is",
        "it",
        "its",
        "new",
        "no",
        "not",
        "of",
        "on",
        "option",
        "options",
        "or",
        "other",
        "patient",
        "patients",
        "per",
        "policy",
        "removed",
        "removing",
        "required",
        "requirement",
        "requirements",
        "requiring",
        "revised",
        "revising",
        "section",
        "sections",
        "that",
        "the",
        "their",
        "then",
        "these",
        "this",
        "those",
        "to",
        "under",
        "updated",
        "updating",
        "was",
        "were",
        "when",
        "which",
        "while",
        "with",
        "within",
    ]
)
# section words whose statements speak of the criteria too ("added indication of FL and
# MCL" adds the criteria of those indications): their content may match criteria changes
CRITERIA_TOPICS = ("indication",)
