"""Typed facts read from criterion text (vocab/conditions.py + extract/assemble/conditions.py).

Every vocabulary entry is run against its own example; the corpus test parses every leaf
of every corpus revision that has criteria, lists which shapes were typed and prints the
share typed per payer (``pytest -s``). The leaves named below were read off the PDFs.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import CORPUS, GOLDEN_DIR

from policy_tools.extract.assemble.conditions import parse_condition, specialty_of
from policy_tools.model.policy import Code, Leaf, Node, PolicyDocument
from policy_tools.store.refs import load_revision
from policy_tools.vocab.conditions import (
    CONDITION_RULES,
    FACT_TYPES,
    LABS,
    LEAD_INS,
    NEGATIONS,
    SPECIALTIES,
    SUBJECTS,
    ConditionRule,
)

CODES = [
    Code(system="ICD-10-CM", code="C34.00-C34.92", first="C34.00", last="C34.92", page=3),
    Code(system="CPT", code="96413", first="96413", last="96413", page=3),
]


@pytest.mark.parametrize("rule", CONDITION_RULES, ids=lambda r: f"{r.payer}: {r.name}")
def test_every_rule_reads_its_example(rule: ConditionRule) -> None:
    assert rule.payer and rule.example and rule.expect
    found = parse_condition(rule.example, CODES)
    assert found is not None, rule.example
    assert found.kind == rule.kind and found.rule == rule.name
    assert found.text == rule.example
    for key, value in rule.expect.items():
        assert getattr(found, key) == value, (key, getattr(found, key))
    assert found.fact in FACT_TYPES


@pytest.mark.parametrize("entry", SPECIALTIES, ids=lambda s: s.name)
def test_every_specialty_reads_its_example(entry: object) -> None:
    assert entry.payer and specialty_of(entry.example) == entry.name


@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.fact)
def test_every_lab_reads_its_example(lab: object) -> None:
    found = parse_condition(lab.example)
    assert lab.payer and found is not None and found.fact == lab.fact
    assert FACT_TYPES[found.fact] == "number"


def test_lead_ins_subjects_and_negations_have_payer_and_example() -> None:
    for entry in LEAD_INS:
        assert entry.payer and parse_condition("Dermatologist", lead_in=entry.example)
    # UHC Dupixent 2024 p. 2 prints the shorter form
    assert parse_condition("Allergist", lead_in="Prescribed by one of the following:")
    assert parse_condition("Allergist", lead_in="Patient has one of the following:") is None
    for pattern, payer, example in SUBJECTS:
        assert payer and example and pattern
        assert parse_condition(example) is not None, example
    for phrase, payer, example in NEGATIONS:
        assert payer and f" {phrase} " in f" {example.lower()} "


@pytest.mark.parametrize(
    "text",
    [
        "Prescribed by a neurologist, neuromuscular specialist, or pediatrician with expertise "
        "in treating SMA",  # FEP Spinraza: the expertise is more than a specialty
        "Received at least 2 prior lines of systemic therapy including a Bruton tyrosine "
        "kinase (BTK) inhibitor",  # FEP Breyanzi 2025: more than a count
        "Relapsed within 12 months of first-line chemoimmunotherapy",
        "Patient is at least 18 years of age; AND Patient must try and have an inadequate "
        "response",  # EmblemHealth: two criteria in one leaf
        "Individual has a diagnosis of extensive stage small cell lung cancer (ES-SCLC)",
        "Diagnosis is listed in the HCPCS code table below",  # no such table in CODES
    ],
)
def test_a_criterion_saying_more_stays_a_boolean_fact(text: str) -> None:
    assert parse_condition(text, CODES) is None


def test_code_table_condition_reads_the_policy_codes() -> None:
    found = parse_condition("Diagnosis is listed in the ICD-10 code table below", CODES)
    assert found is not None
    assert (found.fact, found.op, found.system, found.values) == (
        "diagnoses",
        "any_in",
        "ICD-10-CM",
        ["C34.00-C34.92"],
    )
    assert parse_condition("Diagnosis is listed in the ICD-10 code table below") is None


def test_canonical_goldens_carry_their_typed_conditions() -> None:
    old = load_revision(str(GOLDEN_DIR / "2025-08-08.json"))
    new = load_revision(str(GOLDEN_DIR / "2026-05-06.json"))
    typed = {
        (leaf.text, leaf.condition.fact, leaf.condition.op, leaf.condition.value)
        for doc in (old, new)
        for leaf in leaves(doc)
        if leaf.condition is not None
    }
    assert typed == {
        ("Individual is 18 years of age or older", "age_years", ">=", 18),
        ("Individual has performance status 0-2.", "performance_status", "between", 0),
        ("Individual has performance status 0-2", "performance_status", "between", 0),
        ("Use in individuals younger than 18 years of age", "age_years", "<", 18),
    }


# --------------------------------------------------------------------------- corpus


def leaves(doc: PolicyDocument) -> Iterator[Leaf]:
    def walk(node: Node | Leaf) -> Iterator[Leaf]:
        if isinstance(node, Leaf):
            yield node
            return
        for child in node.items:
            yield from walk(child)

    for _, _, tree in doc.criteria.trees():
        yield from walk(tree)


def _payers() -> dict[str, str]:
    path = CORPUS / "MANIFEST.tsv"
    if not path.exists():
        return {}
    with open(path, encoding="utf-8", newline="") as fh:
        return {r["file"]: r["payer"] for r in csv.DictReader(fh, delimiter="\t")}


PAYERS = _payers()
# read off the PDFs: leaves that are one typed condition each
TYPED_ON_PAPER = {
    "envolve_blincyto_erx-spa-241_2018-09-01.pdf": {
        "Prescribed by or in consultation with an oncologist or hematologist": (
            "prescriber_specialty",
            ["oncologist", "hematologist"],
        ),
        "Dose does not exceed 28 mcg/day.": ("dose_mcg_per_day", 28),
    },
    "emblemhealth_denosumab_ic-0098_2025-11-04.pdf": {
        "Patient is at least 18 years of age": ("age_years", 18),
    },
    "bcbs-fep_breyanzi_5.21.169_2025-04-01.pdf": {
        "Received at least 2 prior lines of systemic therapy": ("prior_lines_of_therapy", 2),
    },
    "uhc_dupixent_pa-med-nec_2024-06-01.pdf": {
        "Dermatologist": ("prescriber_specialty", ["dermatologist"]),
        "Pulmonologist": ("prescriber_specialty", ["pulmonologist"]),
    },
}


def test_corpus_leaves_typed_per_payer(
    corpus_doc: Callable[[str], PolicyDocument], corpus_dir: Path
) -> None:
    names = sorted(n for n in PAYERS if not n.startswith("tenncare_"))
    shares: dict[str, Counter[str]] = defaultdict(Counter)
    shapes: Counter[str] = Counter()
    for name in names:
        doc = corpus_doc(name)
        for leaf in leaves(doc):
            shares[PAYERS[name]]["leaves"] += 1
            again = parse_condition(leaf.text, doc.codes)
            if leaf.condition is None:
                continue
            assert leaf.condition.text == leaf.text
            if again is not None:  # typed by its own words (else: by its group's heading)
                assert again == leaf.condition  # deterministic
            shares[PAYERS[name]]["typed"] += 1
            shapes[f"{leaf.condition.kind}:{leaf.condition.rule}"] += 1
        for text, (fact, value) in TYPED_ON_PAPER.get(name, {}).items():
            hits = [lf for lf in leaves(doc) if lf.text == text]
            assert hits, (name, text)
            cond = hits[0].condition
            assert cond is not None and cond.fact == fact, (name, text)
            assert (cond.values if isinstance(value, list) else cond.value) == value
    print("\nshare of criteria typed per payer:")
    for payer in sorted(set(PAYERS[n] for n in names)):
        c = shares[payer]
        if not c["leaves"]:
            print(f"  {payer}: no criteria read")
            continue
        print(f"  {payer}: {c['typed']}/{c['leaves']} = {c['typed'] / c['leaves']:.0%}")
    print("shapes typed:", dict(sorted(shapes.items())))
    assert shapes  # the corpus has typed leaves at all
