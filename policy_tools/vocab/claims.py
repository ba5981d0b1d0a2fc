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
from .sections import FEP, GENERAL, MMM

__all__ = ["CLAIM_ALIASES", "FORMAT", "NO_CHANGE", "REMOVE_VERB", "REVIEW_ONLY", "ClaimAlias"]

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
