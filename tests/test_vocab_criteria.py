"""The criteria vocabulary (connectives, branch and indication cues, durations, dosing
columns, policy series): every entry matches its own example, and the words mean what
the entry says they mean."""

from __future__ import annotations

import pytest

from policy_tools.extract.assemble.durations import durations_in, months_of
from policy_tools.extract.assemble.trees import connective, split_lead, stated_condition
from policy_tools.vocab import Pattern
from policy_tools.vocab import criteria as vc
from policy_tools.vocab import dosing as vd
from policy_tools.vocab.identifiers import SERIES_PATTERNS, series_of

PATTERNS: list[Pattern] = [
    *vc.CONNECTIVES,
    *vc.CONNECTOR_LINES,
    *vc.INLINE_CONNECTORS,
    *vc.INLINE_BULLETS,
    *vc.NOTE_CUES,
    *vc.BRANCH_CUES,
    *vc.DOSING_CUES,
    *vc.NOT_COVERED_CUES,
    *vc.INDICATION_CUES,
    *vc.DIAGNOSIS_LABELS,
    *vc.ROW_CRITERIA,
    *vc.COMMON_CUES,
    *vc.CONDITION_CLAUSES,
    *vc.CONDITION_LINKS,
    *vc.DEFINING_LINKS,
    *vc.DURATIONS,
    vc.SAME_AS_ABOVE,
    vc.APPROVAL_LANGUAGE,
    vd.DOSING_COLUMNS,
    vd.INDICATION_COLUMNS,
    vd.ALL_INDICATIONS,
    *SERIES_PATTERNS,
]


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda p: f"{p.payer}: {p.name}")
def test_every_criteria_entry_matches_its_example(pattern: Pattern) -> None:
    assert pattern.payer and pattern.example
    assert pattern.captured(pattern.example) == pattern.expect


@pytest.mark.parametrize("phrase", vc.CONNECTIVES, ids=lambda p: p.name)
def test_every_connective_names_an_operator(phrase: vc.Phrase) -> None:
    got = connective(phrase.example)
    assert got is not None
    assert got[0] == phrase.meaning


@pytest.mark.parametrize("phrase", [*vc.BRANCH_CUES], ids=lambda p: p.name)
def test_every_branch_cue_names_a_branch(phrase: vc.Phrase) -> None:
    assert phrase.meaning in ("initial", "continuation")


@pytest.mark.parametrize(
    ("lead", "op", "n"),
    [
        ("Patient meets ONE of the following (a or b):", "OR", None),
        ("Patient meets at least ONE of the following (a or b):", "OR", None),
        ("if the patient meets BOTH of the following (i and ii):", "AND", None),
        ("Two or more of the following symptoms for longer than 12 weeks duration:", "N_OF", 2),
        ("intolerance to three of the following therapeutic classes:", "N_OF", 3),
        ("Acute Lymphoblastic Leukemia (must meet all):", "AND", None),
        ("Other diagnoses/indications (must meet 1 or 2):", "OR", None),
        ("Requested as treatment for (a or b):", "OR", None),
        ("Prescribed by one of the following:", "OR", None),
        ("Requests may be approved if the following criteria are met:", None, None),
    ],
)
def test_connective_words_become_operators(lead: str, op: str | None, n: int | None) -> None:
    got = connective(lead)
    assert (got[0], got[1]) == (op, n) if op else got is None


@pytest.mark.parametrize(
    ("lead", "condition"),
    [
        (
            "Relapsed or refractory after TWO or more lines of systemic therapy including:",
            "Relapsed or refractory after TWO or more lines of systemic therapy",
        ),
        (
            "Received at least 2 prior lines of therapy including BOTH of the following:",
            "Received at least 2 prior lines of therapy",
        ),
        ("Relapsed or refractory B-ALL (i and ii):", "Relapsed or refractory B-ALL"),
        ("Patient meets ONE of the following (a or b):", None),  # only introduces
        ("Prescribed by one of the following:", None),
        (
            "Classification of asthma as uncontrolled as defined by at least one of the following:",
            None,
        ),
        ("Combination therapy including both of the following:", None),  # too few words
    ],
)
def test_a_lead_in_that_states_a_condition(lead: str, condition: str | None) -> None:
    assert stated_condition(lead) == condition


def test_a_lead_in_split_into_condition_and_node_text() -> None:
    cond, rest = split_lead(
        "Patient is Currently Receiving an Infliximab Product. Approve for 1 year if the "
        "patient meets BOTH of the following (i and ii):"
    )
    assert cond == "Patient is Currently Receiving an Infliximab Product"
    assert rest == "if the patient meets BOTH of the following (i and ii):"
    cond, rest = split_lead(
        "MMM considers continuation medically necessary when there is no evidence of an "
        "unacceptable toxicity or disease progression while on the current regimen. The "
        "following information should be submitted for reauthorization:"
    )
    assert cond == (
        "there is no evidence of an unacceptable toxicity or disease progression while on "
        "the current regimen"
    )
    assert rest == (
        "MMM considers continuation medically necessary. The following information should be "
        "submitted for reauthorization:"
    )
    assert split_lead("Initial Therapy. Approve for 6 months if ONE of the following:")[0] is None


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Approve for 6 months if the patient meets BOTH of the following", [("context", 6)]),
        ("Approve for 1 year if the patient meets ALL of the following", [("context", 12)]),
        ("Authorization will be issued for 12 months.", [("context", 12)]),
        (
            "Approval Duration for asthma Initial Requests: 6 months Continuation Requests: 12 "
            "months",
            [("initial", 6), ("continuation", 12)],
        ),
        ("Initial Approval Duration: 12 months", [("initial", 12)]),
        ("Reauthorization will be for no more than 12 months", [("continuation", 12)]),
        ("Quantity 4 doses (20mL) Duration 3 months", [("context", 3)]),
        ("Same as above", [("context", None)]),
        ("Patient has tried methotrexate for at least 3 months", []),  # a criterion, not a duration
    ],
)
def test_durations(text: str, found: list[tuple[str, int | None]]) -> None:
    assert [(d.branch, d.months) for d in durations_in(text, 1)] == found


def test_months_of_units() -> None:
    assert months_of("1", "year") == 12
    assert months_of("two", "weeks") == 1
    assert months_of("6", "months") == 6
    assert months_of("lots", "months") is None


def test_series_of_a_revision_counter() -> None:
    assert series_of("2024 P 2116-18") == series_of("2025 P 2116-22") == "P 2116"
    assert series_of("IP0660") is None
    assert series_of("MP-RX-FP-171-25") is None  # a number that ends in digits: no counter
    assert series_of(None) is None
