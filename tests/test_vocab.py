"""Payer knowledge as data: every vocabulary entry matches its own example, and the
one-home rules (codes, the newest history row) give the same answer in every consumer."""

from __future__ import annotations

import pytest

from policy_tools.compare.audit import map_claim
from policy_tools.compare.codesets import check_code
from policy_tools.extract.assemble.sections import match_alias
from policy_tools.settings import knobs
from policy_tools.vocab import Pattern
from policy_tools.vocab.claims import (
    ADD_VERB,
    CLAIM_ALIASES,
    CONTEXT_LABEL,
    DURATION,
    LIST_INTRO,
    NO_CHANGE,
    REMOVE_VERB,
    REVIEW_ONLY,
    STATEMENT_BREAK,
)
from policy_tools.vocab.codes import CODE_PATTERNS, system_of
from policy_tools.vocab.headers import DATE_FIELDS, NAME_PATTERNS
from policy_tools.vocab.identifiers import NUMBER_PATTERNS
from policy_tools.vocab.sections import SECTION_ALIASES

PATTERNS: list[Pattern] = [
    *CODE_PATTERNS,
    *NUMBER_PATTERNS,
    *NAME_PATTERNS,
    *(p for pats in DATE_FIELDS.values() for p in pats),
    NO_CHANGE,
    REVIEW_ONLY,
    REMOVE_VERB,
    ADD_VERB,
    STATEMENT_BREAK,
    LIST_INTRO,
    CONTEXT_LABEL,
    DURATION,
]


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda p: f"{p.payer}: {p.name}")
def test_every_pattern_matches_its_example(pattern: Pattern) -> None:
    assert pattern.payer and pattern.example
    assert pattern.captured(pattern.example) == pattern.expect


@pytest.mark.parametrize(
    ("key", "alias"),
    [(k, a) for k, aliases in SECTION_ALIASES.items() for a in aliases],
    ids=lambda x: str(getattr(x, "text", x)),
)
def test_every_section_alias_maps_to_its_key(key: str, alias: object) -> None:
    assert getattr(alias, "payer", "")
    assert match_alias(getattr(alias, "text", "")) == key


@pytest.mark.parametrize("alias", CLAIM_ALIASES, ids=lambda a: a.example)
def test_every_claim_alias_recognises_its_example(alias: object) -> None:
    example = getattr(alias, "example", "")
    assert getattr(alias, "payer", "") and alias.regex.search(example)
    sections, _ = map_claim(example)
    assert set(alias.sections) <= set(sections)


def test_every_knob_says_why() -> None:
    missing = [name for name, _, why in knobs() if len(why) < 10]
    assert missing == []


# --- one home per code rule: extraction, code-set checks and the audit agree ------------


@pytest.mark.parametrize("code", ["99213", "3008F", "0500T", "0001U", "0002M", "0001A"])
def test_every_cpt_form_is_one_rule(code: str) -> None:
    assert system_of(code) == "CPT"
    assert check_code("CPT", code).problem is None
    _, codes = map_claim(f"Added CPT code {code}")
    assert codes == [code]


def test_claim_keeps_every_code_it_names() -> None:
    sections, codes = map_claim("Added CPT code 99213 and HCPCS J9026")
    assert codes == ["99213", "J9026"] and "codes" in sections
    # a bare five-digit number is no CPT code unless the claim says CPT
    assert map_claim("Updated reference 12345 and HCPCS J9026")[1] == ["J9026"]


def test_hcpcs_and_icd10_patterns() -> None:
    assert system_of("J9026") == "HCPCS" and system_of("C7A.1") == "ICD-10-CM"
    assert check_code("HCPCS", "J90266").problem is not None
