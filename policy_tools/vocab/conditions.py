"""How criteria print typed facts: ages, durations, prescriber specialties, code tables,
lab values and scores, "tried and failed N of ...".

The assembler step ``extract/assemble/conditions.py`` reads a criterion's text with these
tables and keeps a typed :class:`~policy_tools.model.policy.Condition` beside it only when
a rule accounts for the *whole* criterion (its subject words such as "Individual is" and
end punctuation aside): a criterion that says more than one rule reads stays a boolean
fact. Every entry names the payer that prints it and an example as printed;
``tests/test_conditions.py`` parses each example and checks what it yields.

Rules are matched against the comparison form of the text (``compare_key``: NFKC, case
folded, one space, end punctuation aside), with the symbols ``≥ ≤ > <`` kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .sections import CENTENE, CIGNA, EMBLEM, FEP, GENERAL, MMM, UHC

__all__ = [
    "CONDITION_RULES",
    "EVIDENCE_CITATION",
    "FACT_TYPES",
    "LABS",
    "LEAD_INS",
    "NEGATIONS",
    "NUMBER_WORDS",
    "OP_PHRASES",
    "SPECIALTIES",
    "SUBJECTS",
    "ConditionRule",
    "Lab",
    "LeadIn",
    "Specialty",
]

# evidence-level citations printed after a criterion ("(NCCN 2A)", "(Label, NCCN 1))"):
# they say where support comes from, not what must be true of the patient
EVIDENCE_CITATION = re.compile(
    r"\s*\((?:\s*(?:label|fda|nccn|category|cat\.?|compendia|[0-9]+[a-z]?)[\s,;/]*)+\)+",
    re.IGNORECASE,
)

NUMBER = r"(?P<n>\d+(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|twelve)"
UPPER = r"(?P<m>\d+(?:\.\d+)?)"
SIGNED = r"(?P<n>-?\d+(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|twelve)"

NUMBER_WORDS: dict[str, int] = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "twelve": 12,
}

# words that negate what follows them in an exclusion ("... in the absence of disease
# progression on or after platinum-based chemotherapy" - MMM 2026, p. 3)
NEGATIONS: tuple[tuple[str, str, str], ...] = (
    (
        "in the absence of",
        MMM,
        "Use for extensive-stage small cell lung cancer in the absence of disease progression "
        "on or after platinum-based chemotherapy or relapse.",
    ),
    (
        "without evidence of",
        GENERAL,
        "Use for maintenance therapy without evidence of response to induction",
    ),
    ("without", MMM, "Use for limited-stage small cell lung cancer without brain metastases"),
    ("no evidence of", MMM, "when there is no evidence of an unacceptable toxicity"),
)

# subject words a criterion may open with; they carry no condition themselves
SUBJECTS: tuple[tuple[str, str, str], ...] = (
    (
        r"(?:the )?(?:individual|patient|member|child)(?: is| has| must be| must have)?",
        MMM,
        "Individual is 18 years of age or older",
    ),
    (
        r"(?:use|request|requested use) (?:is )?(?:in|for) (?:individuals|patients|members)",
        MMM,
        "Use in individuals younger than 18 years of age",
    ),
    (r"(?:patient|member|individual) (?:age|aged)", GENERAL, "Patient aged 18 years or older"),
    (r"age", FEP, "Age 18 years of age or older"),
)

# how an operator is worded -> the operator
OP_PHRASES: dict[str, str] = {
    "≥": ">=",
    ">=": ">=",
    "greater than or equal to": ">=",
    "at least": ">=",
    "of at least": ">=",
    "more than": ">",
    "greater than": ">",
    ">": ">",
    "≤": "<=",
    "<=": "<=",
    "less than or equal to": "<=",
    "no more than": "<=",
    "does not exceed": "<=",
    "not exceeding": "<=",
    "at most": "<=",
    "less than": "<",
    "below": "<",
    "<": "<",
}
_OPS = "|".join(re.escape(k) for k in sorted(OP_PHRASES, key=len, reverse=True))


@dataclass(frozen=True)
class ConditionRule:
    """A whole-criterion shape: ``regex`` must match all of the criterion (subject aside).

    Named groups: ``n`` (the number), ``m`` (the upper end of a range), ``op`` (an
    operator phrase of :data:`OP_PHRASES`), ``unit``, ``lab`` (a lab name of
    :data:`LABS`), ``list`` (specialty names or drugs), ``system`` (a code system).
    ``fixed`` holds what the rule sets itself (fact, op, ...); ``expect`` what the
    example must yield (checked by the tests).
    """

    name: str
    kind: str
    regex: re.Pattern[str]
    payer: str
    example: str
    fixed: dict[str, Any] = field(default_factory=dict)
    expect: dict[str, Any] = field(default_factory=dict)


def _rule(
    name: str,
    kind: str,
    pattern: str,
    payer: str,
    example: str,
    expect: dict[str, Any],
    **fixed: Any,
) -> ConditionRule:
    return ConditionRule(name, kind, re.compile(pattern), payer, example, fixed, expect)


@dataclass(frozen=True)
class Specialty:
    """A prescriber specialty: canonical ``name`` (the fact's value) and how it is printed."""

    name: str
    pattern: str
    payer: str
    example: str


SPECIALTIES: tuple[Specialty, ...] = (
    Specialty("dermatologist", r"dermatolog(?:ist|y)", UHC, "Dermatologist"),
    Specialty("allergist", r"allergist|allergy", UHC, "Allergist"),
    Specialty("immunologist", r"(?:clinical )?immunolog(?:ist|y)", UHC, "Immunologist"),
    Specialty("pulmonologist", r"pulmonolog(?:ist|y)", UHC, "Pulmonologist"),
    Specialty(
        "otolaryngologist", r"otolaryngolog(?:ist|y)|ent specialist", UHC, "Otolaryngologist"
    ),
    Specialty("gastroenterologist", r"gastroenterolog(?:ist|y)", UHC, "Gastroenterologist"),
    Specialty("oncologist", r"(?:medical )?oncolog(?:ist|y)", CENTENE, "an oncologist"),
    Specialty("hematologist", r"hematolog(?:ist|y)", CENTENE, "hematologist"),
    Specialty("neurologist", r"neurolog(?:ist|y)", FEP, "a neurologist"),
    Specialty(
        "neuromuscular specialist", r"neuromuscular specialist", FEP, "neuromuscular specialist"
    ),
    Specialty("rheumatologist", r"rheumatolog(?:ist|y)", CIGNA, "a rheumatologist"),
    Specialty("nephrologist", r"nephrolog(?:ist|y)", CIGNA, "a nephrologist"),
    Specialty("endocrinologist", r"endocrinolog(?:ist|y)", EMBLEM, "an endocrinologist"),
    Specialty("ophthalmologist", r"ophthalmolog(?:ist|y)", CIGNA, "an ophthalmologist"),
    Specialty("cardiologist", r"cardiolog(?:ist|y)", GENERAL, "a cardiologist"),
    Specialty("urologist", r"urolog(?:ist|y)", GENERAL, "a urologist"),
)


@dataclass(frozen=True)
class Lab:
    """A lab value, score or count a threshold can be put on: its fact key with unit."""

    fact: str
    pattern: str  # the printed name
    unit: str | None
    payer: str
    example: str


LABS: tuple[Lab, ...] = (
    Lab(
        "performance_status",
        r"(?:ecog )?performance status(?: \(ps\))?",
        "ECOG",
        MMM,
        "performance status 0-2",
    ),
    Lab(
        "fev1_percent_predicted",
        r"(?:forced expiratory volume in 1 second )?\[?fev1\]?",
        "%",
        UHC,
        "FEV1 less than 80",
    ),
    Lab("egfr_ml_min", r"egfr", "mL/min/1.73 m2", EMBLEM, "eGFR < 30"),
    Lab(
        "eosinophils_cells_per_ul",
        r"(?:baseline )?(?:blood )?eosinophil(?:s| count)",
        "cells/µL",
        UHC,
        "blood eosinophil count ≥ 150",
    ),
    Lab(
        "acq_score",
        r"(?:asthma control questionnaire )?\[?acq\]? score",
        None,
        UHC,
        "ACQ score greater than 1.5",
    ),
    Lab(
        "easi_score",
        r"(?:eczema area and severity index )?\(?easi\)? score",
        None,
        UHC,
        "EASI score ≥ 16",
    ),
    Lab("t_score", r"(?:bmd )?t-score", None, EMBLEM, "T-score ≤ -2.5"),
    Lab("platelets_per_ul", r"platelet count", "/µL", GENERAL, "platelet count ≥ 50000"),
    Lab(
        "dose_mcg_per_day", r"(?:the )?(?:new )?dose", "mcg/day", CENTENE, "Dose does not exceed 28"
    ),
)


@dataclass(frozen=True)
class LeadIn:
    """A group heading that gives its items a shape ("Prescribed by ... one of the
    following:" over "Dermatologist", "Allergist")."""

    kind: str
    regex: re.Pattern[str]
    payer: str
    example: str


LEAD_INS: tuple[LeadIn, ...] = (
    LeadIn(
        "specialty",
        re.compile(
            r"^(?:the )?(?:drug|medication|dupixent|therapy|it )?\s*(?:is |must be )?"
            r"prescribed by,?(?: or in consultation with,?)? (?:one of the following|a specialist)"
        ),
        UHC,
        "Prescribed by or in consultation with one of the following:",
    ),
)

_SPECIALTY_LIST = r"(?P<list>[a-z ,/()-]+?)"

CONDITION_RULES: tuple[ConditionRule, ...] = (
    # --- age
    _rule(
        "age-or-older",
        "age",
        rf"^(?:at least )?{NUMBER} years(?: of age| old)? or (?:older|over|greater)$",
        MMM,
        "Individual is 18 years of age or older",
        {"op": ">=", "value": 18},
        fact="age_years",
        op=">=",
        unit="years",
    ),
    _rule(
        "age-at-least",
        "age",
        rf"^at least {NUMBER} years(?: of age| old)?$",
        EMBLEM,
        "Patient is at least 18 years of age",
        {"op": ">=", "value": 18},
        fact="age_years",
        op=">=",
        unit="years",
    ),
    _rule(
        "age-symbol",
        "age",
        rf"^(?:age )?(?P<op>≥|>=|>|≤|<=|<) ?{NUMBER}(?: years)?(?: of age)?$",
        GENERAL,
        "Patient age ≥ 18 years",
        {"op": ">=", "value": 18},
        fact="age_years",
        unit="years",
    ),
    _rule(
        "age-younger-than",
        "age",
        rf"^(?:younger|less) than {NUMBER} years(?: of age| old)?$",
        MMM,
        "Use in individuals younger than 18 years of age",
        {"op": "<", "value": 18},
        fact="age_years",
        op="<",
        unit="years",
    ),
    _rule(
        "age-under",
        "age",
        rf"^under (?:the age of )?{NUMBER}(?: years)?(?: of age| old)?$",
        GENERAL,
        "Patient is under 18 years of age",
        {"op": "<", "value": 18},
        fact="age_years",
        op="<",
        unit="years",
    ),
    _rule(
        "age-between",
        "age",
        rf"^(?:between )?{NUMBER} (?:and|to|-) {UPPER} years(?: of age| old)?$",
        GENERAL,
        "Patient is between 6 and 17 years of age",
        {"op": "between", "value": 6, "upper": 17},
        fact="age_years",
        op="between",
        unit="years",
    ),
    # --- durations of the therapy asked for
    _rule(
        "on-therapy-for",
        "duration",
        rf"^(?:has )?(?:been )?(?:on|receiving|treated with) (?:the requested (?:drug|medication)|"
        rf"therapy|treatment)(?: with [a-z0-9 ()-]+?)? for at least {NUMBER} "
        r"(?P<unit>months?|weeks?|days?)$",
        GENERAL,
        "Patient has been receiving therapy for at least 6 months",
        {"fact": "months_on_therapy", "op": ">=", "value": 6},
        op=">=",
    ),
    _rule(
        "months-of-therapy",
        "duration",
        rf"^(?:has completed |has received )?at least {NUMBER} (?P<unit>months?|weeks?) of "
        r"(?:continuous )?(?:therapy|treatment)(?: with the requested (?:drug|medication))?$",
        UHC,
        "at least 3 months of therapy",
        {"fact": "months_on_therapy", "op": ">=", "value": 3},
        op=">=",
    ),
    # --- prescriber specialty
    _rule(
        "prescribed-by",
        "specialty",
        rf"^(?:the )?(?:drug |medication |it )?(?:is |must be )?prescribed by,?"
        rf"(?: or in consultation with,?)? (?:an? )?{_SPECIALTY_LIST}$",
        CENTENE,
        "Prescribed by or in consultation with an oncologist or hematologist",
        {"op": "in", "values": ["oncologist", "hematologist"]},
        fact="prescriber_specialty",
        op="in",
    ),
    # --- diagnosis / procedure code in the policy's code table
    _rule(
        "diagnosis-in-table",
        "code_in_table",
        r"^(?:has )?(?:a )?(?:diagnosis|condition)(?: code)? (?:is )?(?:one of those )?"
        r"(?:listed|included|found|specified) in (?:the )?(?P<system>icd-10(?:-cm)? )?"
        r"(?:diagnosis )?(?:codes? )?(?:table|list)(?: below| above| of this policy)?$",
        UHC,
        "Diagnosis is listed in the ICD-10 code table below",
        {"fact": "diagnoses", "op": "any_in", "system": "ICD-10-CM"},
        fact="diagnoses",
        op="any_in",
        system="ICD-10-CM",
    ),
    _rule(
        "procedure-in-table",
        "code_in_table",
        r"^(?:the )?(?:procedure|service)(?: code)? (?:is )?(?:listed|included) in (?:the )?"
        r"(?P<system>cpt|hcpcs) (?:codes? )?(?:table|list)(?: below| above)?$",
        GENERAL,
        "Procedure is listed in the CPT code table below",
        {"fact": "procedures", "op": "any_in", "system": "CPT"},
        fact="procedures",
        op="any_in",
    ),
    # --- numeric lab values, scores and counts
    _rule(
        "lab-range",
        "lab",
        rf"^(?:has )?(?:an? )?(?P<lab>[a-z0-9 ()\[\]-]+?) (?:of )?{NUMBER} ?(?:-|to|–) ?{UPPER}$",
        MMM,
        "Individual has performance status 0-2",
        {"fact": "performance_status", "op": "between", "value": 0, "upper": 2},
        op="between",
    ),
    _rule(
        "lab-threshold",
        "lab",
        rf"^(?:has )?(?:an? )?(?P<lab>[a-z0-9 ()\[\]/-]+?) (?:is )?(?P<op>{_OPS}) ?{SIGNED}"
        r"(?: ?(?P<unit>%(?: predicted)?|cells/µl|cells/ul|mcg/day|mg/day|ml/min[/0-9. m^2]*))?$",
        CENTENE,
        "Dose does not exceed 28 mcg/day.",
        {"fact": "dose_mcg_per_day", "op": "<=", "value": 28},
    ),
    _rule(
        "prior-lines",
        "lab",
        rf"^(?:has )?(?:received )?(?:at least )?{NUMBER} (?:or more )?prior lines? of "
        r"(?:systemic )?(?:therapy|treatment)$",
        FEP,
        "Received at least 2 prior lines of systemic therapy",
        {"fact": "prior_lines_of_therapy", "op": ">=", "value": 2},
        fact="prior_lines_of_therapy",
        op=">=",
        unit="lines",
    ),
    # --- tried and failed N of a list of drugs
    _rule(
        "tried-failed",
        "tried_failed",
        rf"^(?:has )?(?:tried and failed|had a trial and failure of|trial and failure of|"
        rf"failed|had an inadequate response to) (?:at least )?{NUMBER} (?:\(\d+\) )?"
        r"(?:of the following|prior therapies|of):? (?P<list>[a-z0-9 ,/()-]+)$",
        GENERAL,
        "Patient has tried and failed two of the following: methotrexate, "
        "leflunomide, sulfasalazine",
        {
            "fact": "drugs_tried_failed",
            "op": "count_in",
            "value": 2,
            "values": ["methotrexate", "leflunomide", "sulfasalazine"],
        },
        fact="drugs_tried_failed",
        op="count_in",
    ),
)

# every typed fact key a condition can read, and the type of its value
FACT_TYPES: dict[str, str] = {
    "age_years": "number",
    "months_on_therapy": "number",
    "weeks_on_therapy": "number",
    "days_on_therapy": "number",
    "prescriber_specialty": "text",
    "diagnoses": "list",
    "procedures": "list",
    "drugs_tried_failed": "list",
    "prior_lines_of_therapy": "number",
    **{lab.fact: "number" for lab in LABS},
}
