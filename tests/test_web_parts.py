"""The parts of the web app without HTTP: code and policy search, try-a-case reasons,
source copies kept by sha256, and the page-image cache.

Code expectations come from the ICD-10-CM tabular list (simple-icd-10-cm ships the CMS
code set): C34.9 has the billable codes C34.90, C34.91 and C34.92; C34 has 16 billable
codes (C34.00-C34.02, C34.10-C34.12, C34.2, C34.30-C34.32, C34.80-C34.82, C34.90-C34.92).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from conftest import PDF_2025

from policy_tools.errors import InputError, PolicyToolsError
from policy_tools.model.policy import Code
from policy_tools.settings import SETTINGS
from policy_tools.store.sources import find_source, keep_source, source_copy
from policy_tools.web import images
from policy_tools.web.case import (
    OTHER,
    TYPED_GROUP,
    Asked,
    CaseModel,
    Question,
    answers_query,
    merged_questions,
    read_answers,
)
from policy_tools.web.search import parse_code_query, search_codes, search_policies
from policy_tools.web.store_view import LRU, RevisionSummary, valid_key


def rev(policy: str, date: str, *codes: tuple[str, str], **meta: Any) -> RevisionSummary:
    fields: dict[str, Any] = {
        "number": policy,
        "series": None,
        "name": None,
        "name_variants": (),
        "brand": None,
        "generic": None,
        "title": None,
        "line_of_business": None,
        "scope": (),
        "source": f"{policy}_{date}.pdf",
        "sha256": "0" * 64,
        "format": "pdf",
        "pages": 3,
        "review_type": None,
    }
    fields.update(meta)
    printed = tuple(
        Code(system=s, code=c, first=c.split("-")[0], last=c.split("-")[-1], page=2)  # type: ignore[arg-type]
        for s, c in codes
    )
    return RevisionSummary(policy=policy, date=date, codes=printed, **fields)


STORE = [
    rev("LUNG-1", "2024-01-01", ("ICD-10-CM", "C34.00-C34.92"), ("HCPCS", "J9999")),
    rev("LUNG-1", "2025-01-01", ("ICD-10-CM", "C34.10-C34.12")),
    rev("LUNG-1", "2026-01-01"),
    rev("INF-2", "2025-06-01", ("HCPCS", "J1745"), ("CPT", "96413")),
    rev("INF-2", "2026-06-01", ("HCPCS", "J1745"), ("ICD-10-CM", "C34.90")),
]


def covering(query: str) -> dict[str, list[str]]:
    result = search_codes(query, STORE)
    return {p.policy: [r.date for r in p.revisions] for p in result.policies}


def test_code_query_systems_and_expansion() -> None:
    assert parse_code_query(" c34.9 ").billable == {"C34.90", "C34.91", "C34.92"}
    assert len(parse_code_query("C34").billable) == 16
    assert parse_code_query("J9999").system == "HCPCS"
    assert parse_code_query("96413").system == "CPT"
    assert parse_code_query("C34.00–C34.02").billable == {"C34.00", "C34.01", "C34.02"}
    mixed = parse_code_query("C34.00-J9999")
    assert mixed.system is None and "not an ICD-10-CM, HCPCS or CPT code" in (mixed.problem or "")


def test_a_code_inside_a_printed_range() -> None:
    assert covering("C34.90") == {"LUNG-1": ["2024-01-01"], "INF-2": ["2026-06-01"]}


def test_a_category_finds_every_row_sharing_a_billable_code() -> None:
    result = search_codes("C34", STORE)
    lung = next(p for p in result.policies if p.policy == "LUNG-1")
    assert [r.date for r in lung.revisions] == ["2024-01-01", "2025-01-01"]
    assert [h.whole for r in lung.revisions for h in r.hits] == [True, False]
    assert [h.shared for r in lung.revisions for h in r.hits] == [16, 3]


def test_a_range_query_and_first_last_dates() -> None:
    result = search_codes("C34.11-C34.12", STORE)
    (lung,) = result.policies
    assert (lung.first_effective, lung.last_effective, lung.latest) == (
        "2024-01-01",
        "2025-01-01",
        "2026-01-01",
    )
    assert not lung.in_latest  # the 2026 revision prints no code table


def test_hcpcs_and_cpt_stand_for_themselves() -> None:
    assert covering("J1745") == {"INF-2": ["2025-06-01", "2026-06-01"]}
    assert covering("J9999") == {"LUNG-1": ["2024-01-01"]}
    assert covering("96413") == {"INF-2": ["2025-06-01"]}
    assert covering("J1746") == {}


def test_revisions_without_code_tables_are_counted() -> None:
    result = search_codes("J1745", STORE)
    assert result.searched == 5 and result.without_codes == ("LUNG-1@2026-01-01",)


def test_unknown_icd_code_still_matched_as_printed() -> None:
    store = [rev("X-1", "2025-01-01", ("ICD-10-CM", "C34.99"))]
    result = search_codes("C34.99", store)
    assert "does not exist in ICD-10-CM" in (result.query.problem or "")
    assert [p.policy for p in result.policies] == ["X-1"]


def test_policy_search_fields_and_words() -> None:
    store = [
        rev(
            "IP0660",
            "2026-01-01",
            brand="Remicade",
            generic="infliximab",
            source="cigna_ip0660.pdf",
        ),
        rev(
            "5.21.169",
            "2025-04-01",
            name="Breyanzi",
            title="BCBS Federal Employee Program",
            source="breyanzi.pdf",
        ),
    ]
    assert [h.policy for h in search_policies("", store)] == ["5.21.169", "IP0660"]
    (hit,) = search_policies("INFLIXIMAB cigna", store)
    assert hit.policy == "IP0660" and hit.matched == ("drug", "payer")
    (hit,) = search_policies("federal employee", store)
    assert hit.matched == ("payer",)
    assert search_policies("infliximab breyanzi", store) == []
    (hit,) = search_policies("5.21", store)
    assert hit.matched == ("number",)


# -- try a case ----------------------------------------------------------------------


def asked(side: str, cid: str, text: str = "t") -> Asked:
    return Asked(side, cid, text, 2, "", "Initial approval")  # type: ignore[arg-type]


def model(*questions: Question) -> CaseModel:
    return CaseModel(
        questions, {"old": None, "new": None}, (), {"old": frozenset(), "new": frozenset()}
    )


YESNO = Question("crit_0000aaaa", "boolean", (asked("new", "crit_0000aaaa"),))
AGE = Question("age_years", "integer", (asked("old", "age_a"), asked("new", "age_b")))
SCORE = Question("fev1_percent_predicted", "decimal", (asked("new", "fev1_c"),))
SPECIALTY = Question("prescriber_specialty", "choice", (asked("new", "s"),), ("dermatologist",))
TRIED = Question(
    "drugs_tried_failed", "choices", (asked("new", "d"),), ("methotrexate", "cyclosporine")
)
CODES = Question("diagnoses", "codes", (asked("new", "dx"),))
FORM = model(YESNO, AGE, SCORE, SPECIALTY, TRIED, CODES)


def facts(*params: tuple[str, str]) -> dict[str, Any]:
    return read_answers(FORM, list(params)).facts


def test_unanswered_is_unknown_never_no() -> None:
    assert facts() == {}
    blank = [(q.name, "") for q in FORM.questions] + [(YESNO.name, "unknown")]
    assert facts(*blank) == {}
    assert facts((YESNO.name, "yes")) == {YESNO.name: True}
    assert facts((YESNO.name, "no")) == {YESNO.name: False}


def test_typed_answers_are_read_by_their_kind() -> None:
    got = facts(
        ("age_years", " 17 "),
        ("fev1_percent_predicted", "49.5"),
        ("prescriber_specialty", "dermatologist"),
        ("drugs_tried_failed", "methotrexate"),
        ("drugs_tried_failed", "cyclosporine"),
        ("diagnoses", "l20.9, L20.89;L20.9"),
    )
    assert got == {
        "age_years": 17,
        "fev1_percent_predicted": 49.5,
        "prescriber_specialty": "dermatologist",
        "drugs_tried_failed": ["methotrexate", "cyclosporine"],
        "diagnoses": ["L20.9", "L20.89"],
    }
    assert isinstance(got["age_years"], int)


def test_none_of_these_is_a_known_empty_answer() -> None:
    """'none of these' / 'none' is an answer (the empty list, or no listed specialty)."""
    assert facts(("drugs_tried_failed", OTHER)) == {"drugs_tried_failed": []}
    assert facts(("diagnoses", "None")) == {"diagnoses": []}
    assert facts(("prescriber_specialty", OTHER)) == {"prescriber_specialty": OTHER}


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ([(YESNO.name, "true")], "expected yes, no or unknown"),
        ([(YESNO.name, "yes"), (YESNO.name, "no")], "one answer expected, got 2"),
        ([("age_years", "18.5")], "expected a whole number"),
        ([("age_years", "inf")], "expected a whole number"),
        ([("fev1_percent_predicted", "lots")], "expected a number"),
        ([("prescriber_specialty", "astrologer")], "'astrologer' is not one of its choices"),
        ([("drugs_tried_failed", "aspirin")], "'aspirin' is not one of its choices"),
        ([("indication", "1")], "no indication '1'"),
    ],
)
def test_bad_answers_name_the_question(params: list[tuple[str, str]], problem: str) -> None:
    with pytest.raises(PolicyToolsError, match=re.escape(problem)):
        read_answers(FORM, params)


def test_answers_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    small = replace(SETTINGS, web=replace(SETTINGS.web, case_facts=3))
    monkeypatch.setattr("policy_tools.web.case.SETTINGS", small)
    with pytest.raises(PolicyToolsError, match="at most 3 answers"):
        read_answers(FORM, [(YESNO.name, "yes")] * 4)


def test_unknown_fields_are_ignored_and_listed() -> None:
    answers = read_answers(FORM, [("nope", "yes"), (YESNO.name, "yes"), ("closed_world", "1")])
    assert answers.ignored == ("nope",) and answers.closed_world is True
    assert answers.given == {YESNO.name: ("yes",)}


def test_a_case_round_trips_through_the_form() -> None:
    case = {
        YESNO.name: False,
        "age_years": 18,
        "fev1_percent_predicted": 49.5,
        "prescriber_specialty": OTHER,
        "drugs_tried_failed": [],
        "diagnoses": ["C34.90"],
        "not_asked_here": True,
    }
    query = answers_query(FORM, case)
    assert ("diagnoses", "C34.90") in query and ("drugs_tried_failed", OTHER) in query
    back = read_answers(FORM, query).facts
    assert back == {k: v for k, v in case.items() if k != "not_asked_here"}


def test_questions_merge_by_criterion_id_and_fact_key() -> None:
    """One question per id or fact key; a fact asked as a whole number by one revision and
    as a decimal by the other takes the decimal; typed facts lead."""
    new = [
        Question("crit_0000aaaa", "boolean", (asked("new", "crit_0000aaaa"),), group="Initial"),
        Question("age_years", "integer", (asked("new", "age_b"),), group="Initial"),
    ]
    old = [
        Question("age_years", "decimal", (asked("old", "age_a"),), group="Initial"),
        Question("crit_0000aaaa", "boolean", (asked("old", "crit_0000aaaa"),), group="Initial"),
        Question("crit_1111bbbb", "boolean", (asked("old", "crit_1111bbbb"),), group="Excl"),
    ]
    merged = merged_questions([new, old])
    assert [(q.name, q.kind, q.revisions, q.group) for q in merged] == [
        ("age_years", "decimal", "both", TYPED_GROUP),
        ("crit_0000aaaa", "boolean", "both", "Initial"),
        ("crit_1111bbbb", "boolean", "old", "Excl"),
    ]
    assert [a.side for a in merged[0].asks] == ["new", "old"]


# -- source copies -----------------------------------------------------------------------


def test_keep_source_copies_once_by_sha(tmp_path: Path) -> None:
    sha = hashlib.sha256(PDF_2025.read_bytes()).hexdigest()
    copy = keep_source(tmp_path, PDF_2025, sha)
    assert copy == tmp_path / ".sources" / f"{sha}.pdf"
    assert copy.read_bytes() == PDF_2025.read_bytes()
    assert find_source(tmp_path, sha) == copy
    assert find_source(tmp_path, "../../etc/passwd") is None
    with pytest.raises(ValueError):
        source_copy(tmp_path, "ab/../cd")


def test_keep_source_refuses_non_pdfs_and_wrong_digests(tmp_path: Path) -> None:
    text = tmp_path / "policy.md"
    text.write_text("# not a PDF\n")
    assert keep_source(tmp_path, text, hashlib.sha256(text.read_bytes()).hexdigest()) is None
    with pytest.raises(InputError, match="sha256 differs"):
        keep_source(tmp_path, PDF_2025, "0" * 64)
    assert list((tmp_path / ".sources").iterdir()) == []  # no partial copy left


# -- page images -------------------------------------------------------------------------


def test_page_sizes_cached(tmp_path: Path) -> None:
    sha = "a" * 64
    sizes = images.page_sizes(tmp_path, sha, PDF_2025)
    assert [(s.width, s.height) for s in sizes] == [(612.0, 792.0)] * 4
    assert (tmp_path / ".pages" / sha / "pages.json").is_file()
    assert images.page_sizes(tmp_path, sha, tmp_path / "gone.pdf") == sizes  # from the cache


def test_page_image_bounded_in_pixels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    small = replace(SETTINGS, web=replace(SETTINGS.web, max_page_pixels=100_000))
    monkeypatch.setattr(images, "SETTINGS", small)
    png = images.page_png(tmp_path, "b" * 64, PDF_2025, 1, 1.5)
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert width * height <= 100_000 * 1.01  # PDFium rounds each side up to a pixel
    assert abs(width / height - 612 / 792) < 0.01


def test_page_image_without_a_writable_cache(tmp_path: Path) -> None:
    (tmp_path / ".pages").write_text("a file where the cache folder should be")
    png = images.page_png(tmp_path, "c" * 64, PDF_2025, 2, 1.0)
    assert png.startswith(b"\x89PNG")


def test_page_image_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="has no page 9"):
        images.page_png(tmp_path, "d" * 64, PDF_2025, 9, 1.0)
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.4 truncated")
    with pytest.raises(InputError, match="PDFium cannot open it"):
        images.page_png(tmp_path, "e" * 64, bad, 1, 1.0)
    with pytest.raises(ValueError):
        images.pages_folder(tmp_path, "../x")


# -- small helpers -------------------------------------------------------------------------


def test_valid_keys() -> None:
    assert valid_key("MP-RX-FP-171-25") and valid_key("5.21.169") and valid_key("2024-P-2116-18")
    for bad in ("..", ".hidden", "a/b", "a..b", "", "a b", "x" * 300, "<script>"):
        assert not valid_key(bad), bad


def test_lru_keeps_the_most_recent() -> None:
    cache: LRU[str, int] = LRU(2)
    made: list[str] = []

    def make(k: str) -> int:
        made.append(k)
        return len(made)

    for k in ("a", "b", "a", "c", "b", "a"):
        cache.get(k, lambda k=k: make(k))
    assert made == ["a", "b", "c", "b", "a"]
