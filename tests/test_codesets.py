"""ICD-10-CM range expansion and code checks (against the simple-icd-10-cm code set)."""

from __future__ import annotations

import pytest

from policy_tools.compare.codesets import (
    check_code,
    covering_codes,
    expand,
    expand_icd10,
    normalize_code,
    split_range,
)

# C34 (malignant neoplasm of bronchus and lung) has these 16 billable codes in ICD-10-CM
C34_BILLABLE = (
    "C34.00",
    "C34.01",
    "C34.02",
    "C34.10",
    "C34.11",
    "C34.12",
    "C34.2",
    "C34.30",
    "C34.31",
    "C34.32",
    "C34.80",
    "C34.81",
    "C34.82",
    "C34.90",
    "C34.91",
    "C34.92",
)


def test_canonical_range_expands_to_billable_codes() -> None:
    assert expand_icd10("C34.00-C34.92") == C34_BILLABLE
    assert expand_icd10("C34.00–C34.92") == C34_BILLABLE  # en dash as printed by some PDFs
    assert expand_icd10("C34") == C34_BILLABLE  # a category stands for its billable codes
    assert expand_icd10("C34-C34.9")[-3:] == ("C34.90", "C34.91", "C34.92")


@pytest.mark.parametrize("code", ["C33", "C7A.1", "C79.31", "c79.31", "C7A1"])
def test_billable_single_codes(code: str) -> None:
    chk = check_code("ICD-10-CM", code)
    assert chk.problem is None and len(chk.billable) == 1


def test_non_billable_header_code_expands_to_children() -> None:
    assert expand_icd10("C79.3") == ("C79.31", "C79.32")


def test_unknown_and_reversed_codes() -> None:
    assert expand_icd10("C99.99") is None
    assert check_code("ICD-10-CM", "C99.99").problem == "C99.99 does not exist in ICD-10-CM"
    assert expand_icd10("C34.92-C34.00") is None


def test_hcpcs_and_cpt_format() -> None:
    assert expand("HCPCS", "J9026") == ("J9026",)
    assert expand("HCPCS", "j9026") == ("J9026",)
    assert expand("HCPCS", "J902") is None
    assert expand("HCPCS", "W1234") is None  # W is not a HCPCS Level II letter
    assert expand("HCPCS", "J9020-J9022") == ("J9020", "J9021", "J9022")
    assert expand("CPT", "96413") == ("96413",)
    assert expand("CPT", "0001T") == ("0001T",)
    assert expand("CPT", "9641") is None
    assert check_code("HCPCS", "J902X").problem is not None


def test_covering_codes() -> None:
    others = [("ICD-10-CM", "C34.00-C34.92"), ("ICD-10-CM", "C33"), ("HCPCS", "J9026")]
    assert covering_codes("ICD-10-CM", "C34.91", others) == ["C34.00-C34.92"]
    assert covering_codes("ICD-10-CM", "C34.9", others) == ["C34.00-C34.92"]
    assert covering_codes("ICD-10-CM", "C79.31", others) == []
    assert covering_codes("ICD-10-CM", "C34.00-C34.92", others) == []  # not itself


def test_normalize_and_split() -> None:
    assert normalize_code(" c34.00 – C34.92 ") == "C34.00-C34.92"
    assert split_range("C34.00-C34.92") == ("C34.00", "C34.92")
    assert split_range("C33") == ("C33", "C33")
    assert split_range("C00-C14") == ("C00-C14", "C00-C14")  # a block of the code set


def test_expansions_are_cached() -> None:
    expand_icd10.cache_clear()
    expand_icd10("C34.00-C34.92")
    expand_icd10("C34.00-C34.92")
    info = expand_icd10.cache_info()
    assert info.hits == 1 and info.misses == 1
