"""The parts of the web app without HTTP: code and policy search, try-a-case reasons,
source copies kept by sha256, and the page-image cache.

Code expectations come from the ICD-10-CM tabular list (simple-icd-10-cm ships the CMS
code set): C34.9 has the billable codes C34.90, C34.91 and C34.92; C34 has 16 billable
codes (C34.00-C34.02, C34.10-C34.12, C34.2, C34.30-C34.32, C34.80-C34.82, C34.90-C34.92).
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from conftest import PDF_2025

from policy_tools.codegen.compile import FactView, GroupView
from policy_tools.errors import InputError
from policy_tools.model.policy import Code
from policy_tools.settings import SETTINGS
from policy_tools.store.sources import find_source, keep_source, source_copy
from policy_tools.web import images
from policy_tools.web.case import _gap, _witness
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


def fact(i: str) -> FactView:
    return FactView(i)


def group(op: str, *items: Any, n: int = 0) -> GroupView:
    return GroupView(op, "t", tuple(items), n=n)  # type: ignore[arg-type]


def test_gap_is_the_closest_branch() -> None:
    tree = group(
        "OR", group("AND", fact("a"), fact("b"), fact("c")), group("AND", fact("d"), fact("e"))
    )
    assert _gap(tree, frozenset()) == {"d", "e"}
    assert _gap(tree, frozenset({"a", "b"})) == {"c"}
    assert _gap(tree, frozenset({"a", "b", "c"})) == frozenset()


def test_gap_of_n_of_and_empty_groups() -> None:
    tree = group("N_OF", fact("a"), fact("b"), fact("c"), n=2)
    assert _gap(tree, frozenset({"b"})) in ({"a"}, {"c"})
    assert _gap(tree, frozenset()) == {"a", "b"}
    assert _gap(group("AND", fact("a"), group("OR")), frozenset({"a"})) is None


def test_witness_is_what_makes_it_hold() -> None:
    tree = group("AND", fact("a"), group("OR", fact("b"), fact("c")))
    assert _witness(tree, frozenset({"a", "c", "z"})) == ["a", "c"]
    assert _witness(group("N_OF", fact("a"), fact("b"), fact("c"), n=2), frozenset("abc")) == [
        "a",
        "b",
    ]


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
