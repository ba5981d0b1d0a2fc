"""The web app (``policy-tools serve``) through Starlette's test client, on a store of the
two canonical revisions (their committed extraction and copies of their PDFs).

Expectations read off the canonical PDFs: C7A.1 and C79.31 are printed only in the 2026
ICD-10 table (p. 5); J9026 in the HCPCS rows of both (2025 p. 3, 2026 p. 5); the 2026
history table (p. 7) adds one "Annual Review" row; the initial authorization is 6 months
in 2025 (p. 2) and 12 months in 2026 (p. 3); the 2025 initial criteria are four
(age 18+, ES-SCLC, progression after platinum, performance status 0-2) and the 2026
initial criteria add two brain-metastasis branches.
"""

from __future__ import annotations

import importlib.util
import json
import re
import time
from collections.abc import Sequence
from dataclasses import replace
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import PDF_2025, PDF_2026
from starlette.testclient import TestClient
from web_helpers import COMPARE, NEW, OLD, POLICY, canonical_store, find_change, set_boxes

from policy_tools import app as app_mod
from policy_tools import web
from policy_tools.cli import cli
from policy_tools.compare.codesets import check_code
from policy_tools.errors import PolicyToolsError
from policy_tools.io import sha256_file
from policy_tools.settings import SETTINGS
from policy_tools.web import server as server_mod
from policy_tools.web.server import CSP, create_app

# html attribute values we look for (the templates write double quotes)
IMG = re.compile(r'<img src="([^"]+)" width="(\d+)" height="(\d+)"')


@pytest.fixture(scope="module", autouse=True)
def _icd_loaded() -> None:
    check_code("ICD-10-CM", "C34.90")  # the code set loads once (seconds), not in a timing


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return canonical_store(tmp_path / "store")


def client(store: Path, **kw: Any) -> TestClient:
    return TestClient(
        create_app(store, allowed_hosts=["testserver"], **kw), raise_server_exceptions=False
    )


@pytest.fixture
def http(store: Path) -> TestClient:
    return client(store)


def message(html: str) -> str:
    m = re.search(r'<p class="error-message">(.*?)</p>', html, re.S)
    return m.group(1) if m else ""


# -- the contract URLs ---------------------------------------------------------------


def test_policy_list_and_its_twin(http: TestClient) -> None:
    page = http.get("/")
    assert page.status_code == 200
    assert f'href="/policy/{POLICY}"' in page.text
    assert "Tarlatab-m-dlle (Imdelltra)" in page.text
    data = http.get("/index.json").json()
    (entry,) = data["policies"]
    assert entry["policy"] == POLICY and entry["revisions"] == 2
    assert (entry["first"], entry["latest"]) == (OLD, NEW)
    assert (entry["brand"], entry["generic"]) == ("Imdelltra", "tarlatamab-dlle")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("mp-rx-fp-171", "number"),
        ("tarlatab-m-dlle", "name"),
        ("imdelltra", "drug"),
        ("tarlatamab", "drug"),
        ("MMM", "payer"),  # the plan prints its name in the scope: "MMM MA", "MMM MultiHealth"
    ],
)
def test_policy_search_fields(http: TestClient, query: str, field: str) -> None:
    (entry,) = http.get("/index.json", params={"q": query}).json()["policies"]
    assert field in entry["matched"]


def test_policy_search_needs_every_word(http: TestClient) -> None:
    assert http.get("/index.json", params={"q": "imdelltra nivolumab"}).json()["policies"] == []
    page = http.get("/", params={"q": "nivolumab"})
    assert "No stored policy has every word of" in page.text


def test_code_search_c7a1(http: TestClient) -> None:
    page = http.get("/codes", params={"q": "C7A.1"})
    assert page.status_code == 200
    assert f'href="/policy/{POLICY}"' in page.text
    data = http.get("/codes.json", params={"q": "c7a.1"}).json()
    assert (data["system"], data["billable_codes"]) == ("ICD-10-CM", 1)
    (hit,) = data["policies"]
    assert (hit["first_effective"], hit["last_effective"]) == (NEW, NEW)
    assert hit["in_latest_revision"] is True
    ((code,),) = [r["codes"] for r in hit["revisions"]]
    assert (code["code"], code["page"], code["whole"]) == ("C7A.1", 5, True)


def test_code_search_both_revisions_and_first_last(http: TestClient) -> None:
    (hit,) = http.get("/codes.json", params={"q": "J9026"}).json()["policies"]
    assert [r["effective_date"] for r in hit["revisions"]] == [OLD, NEW]
    assert (hit["first_effective"], hit["last_effective"]) == (OLD, NEW)
    assert [r["codes"][0]["page"] for r in hit["revisions"]] == [3, 5]


def test_code_search_category_expands(http: TestClient) -> None:
    """C79 (a category): the 2026 row C79.31 is one of its billable codes."""
    data = http.get("/codes.json", params={"q": "C79"}).json()
    (hit,) = data["policies"]
    (rev,) = hit["revisions"]
    assert rev["effective_date"] == NEW
    assert [(c["code"], c["whole"]) for c in rev["codes"]] == [("C79.31", False)]
    assert data["billable_codes"] > 1


@pytest.mark.parametrize(
    ("query", "problem"),
    [("hello", "is not an ICD-10-CM, HCPCS or CPT code"), ("C99.99", "does not exist")],
)
def test_code_search_says_what_is_wrong(http: TestClient, query: str, problem: str) -> None:
    data = http.get("/codes.json", params={"q": query}).json()
    assert problem in data["problem"]
    assert data["policies"] == []
    assert problem in http.get("/codes", params={"q": query}).text


def test_timeline(http: TestClient) -> None:
    page = http.get(f"/policy/{POLICY}")
    assert page.status_code == 200
    assert f'href="{COMPARE}"' in page.text
    data = http.get(f"/policy/{POLICY}.json").json()
    old, new = data["revisions"]
    assert (old["effective_date"], old["review_type"]) == (OLD, "Policy Inception")
    assert (new["effective_date"], new["review_type"]) == (NEW, "Annual Review")
    (row,) = new["history_rows_added"]
    assert (row["review_type"], row["page"]) == ("Annual Review", 7)
    assert new["compare_with_previous"] == COMPARE
    assert old["compare_with_previous"] is None


def test_timeline_form_and_aliases_lead_to_the_dated_url(http: TestClient) -> None:
    chosen = http.get(
        f"/policy/{POLICY}/compare", params={"old": OLD, "new": NEW}, follow_redirects=False
    )
    assert chosen.status_code == 303 and chosen.headers["location"] == COMPARE
    alias = http.get(f"/policy/{POLICY}/compare/previous...latest.json", follow_redirects=False)
    assert alias.headers["location"] == COMPARE + ".json"
    folded = http.get(f"/policy/{POLICY.lower()}", follow_redirects=False)
    assert folded.status_code == 308 and folded.headers["location"].endswith(f"/policy/{POLICY}")


def test_compare_page(http: TestClient) -> None:
    page = http.get(COMPARE)
    assert page.status_code == 200
    html = page.text
    assert "Initial authorization duration: 6 -&gt; 12 months" in html
    assert 'id="undocumented"' in html
    # every page of both PDFs as an image, letter size at the configured scale
    images = IMG.findall(html)
    assert [src for src, _, _ in images] == [
        f"/policy/{POLICY}/{OLD}/page/{n}.png" for n in range(1, 5)
    ] + [f"/policy/{POLICY}/{NEW}/page/{n}.png" for n in range(1, 8)]
    assert {(w, h) for _, w, h in images} == {("918", "1188")}
    twin = http.get(COMPARE + ".json").json()
    months = find_change(twin, section="criteria.authorization", field="initial_months")
    assert f'href="#hl-old-{months.id}-0">old p. 2</a>' in html
    assert f'href="#hl-new-{months.id}-0">new p. 3</a>' in html
    # the committed extraction's box of 'a. Initial Approval Duration: 6 months' (old p. 2,
    # pdfplumber's words at top 312.5-322.5, x 56.8-226.4), padded by 2 points
    rect = re.search(rf'<rect class="hl" id="hl-old-{months.id}-0"[^>]*>', html)
    assert rect is not None and 'y="310.5"' in rect.group(0) and 'height="14.0"' in rect.group(0)
    # an item without a box (the header's effective date) is marked by its page
    effective = find_change(twin, section="policy", field="effective_date")
    assert f'href="#hl-old-{effective.id}-0">old p. 1</a>' in html
    assert "box not recorded" in html


def test_compare_twin_is_the_change_set(http: TestClient, store: Path) -> None:
    twin = http.get(COMPARE + ".json")
    assert twin.headers["content-type"] == "application/json"
    expected = app_mod.report(f"{POLICY}@{OLD}", f"{POLICY}@{NEW}", "json", store)
    assert twin.text == expected


def test_compare_page_marks_hand_set_boxes(store: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["codes"][0]["box"] = [{"page": 5, "x0": 80, "top": 300, "x1": 500, "bottom": 312}]

    set_boxes(store, NEW, edit)
    http = client(store)
    html = http.get(COMPARE).text
    # the change adding C7A.1 (new codes[0]): one box on new page 5, padded by 2 points
    added = find_change(
        http.get(COMPARE + ".json").json(),
        section="codes",
        kind="added",
        row_key=["ICD-10-CM", "C7A.1"],
    )
    rect = re.search(rf'<rect class="hl" id="hl-new-{added.id}-0"[^>]*>', html)
    assert rect is not None
    assert 'x="78.0" y="298.0" width="424.0" height="16.0"' in rect.group(0)
    assert f'href="#change-{added.id}"' in html


def test_compare_is_fast_once_images_are_cached(store: Path) -> None:
    warm = client(store)
    for src, _, _ in IMG.findall(warm.get(COMPARE).text):
        assert warm.get(src).status_code == 200  # renders and caches every page
    fresh = client(store)  # a new app: nothing in memory, the page images on disk
    start = time.perf_counter()
    assert fresh.get(COMPARE).status_code == 200
    assert time.perf_counter() - start < 1.0


# -- try a case --------------------------------------------------------------------------
# Read off the canonical PDFs: 2025 p. 2 initial criteria (all required): i. 18 years of
# age or older, ii. ES-SCLC, iii. progression after platinum, iv. performance status 0-2;
# exclusions a.-d. (p. 2). 2026 p. 2: the ES-SCLC branch (i.-iv., iii. "subsequent
# systemic therapy as a single agent") OR limited brain metastases (v.-vii.) OR extensive
# brain metastases (viii.-x.); exclusions a.-g. on p. 3, f. "younger than 18 years".

Answers = list[tuple[str, str]]


def case(http: TestClient, answers: Sequence[tuple[str, str]] = (), suffix: str = ".json") -> Any:
    answer = http.get(COMPARE + "/case" + suffix, params=list(answers))
    assert answer.status_code == 200, answer.text[:300]
    return answer.json() if suffix else answer.text


def field(http: TestClient, start: str, side: str | None = None) -> str:
    """The form field answering the criterion whose printed text starts with ``start``."""
    names = [
        q["name"]
        for q in case(http)["questions"]
        if any(c["text"].startswith(start) and side in (None, c["side"]) for c in q["criteria"])
    ]
    assert len(names) == 1, (start, names)
    return names[0]


def exclusions(http: TestClient) -> Answers:
    """Every exclusion of both revisions answered "does not apply"."""
    return [
        (q["name"], "no")
        for q in case(http)["questions"]
        if q["kind"] == "boolean" and q["criteria"][0]["group"].startswith("Not covered")
    ]


def verdict(data: dict[str, Any], side: str, tree: str) -> dict[str, Any]:
    found: dict[str, Any] = next(v for v in data["decisions"][side] if v["tree"] == tree)
    return found


def texts(reasons: list[dict[str, Any]], status: str | None = None) -> list[str]:
    return [r["text"] for r in reasons if status in (None, r["status"])]


def old_criteria_met(http: TestClient) -> Answers:
    return [
        ("age_years", "18"),
        ("performance_status", "1"),
        (field(http, "Individual has a diagnosis of extensive stage"), "yes"),
        (field(http, "Individual has experienced disease progression"), "yes"),
    ]


def test_case_form_asks_what_the_questionnaires_ask(http: TestClient, store: Path) -> None:
    """Every item of each revision's FHIR Questionnaire is one question of the form
    (yes/no criteria by their linkId, typed items by their fact key), nothing else."""
    questions = case(http)["questions"]
    asked = {(c["side"], c["id"]): q for q in questions for c in q["criteria"]}
    expected = set()
    for side, date in (("old", OLD), ("new", NEW)):
        resource = json.loads(app_mod.export(f"{POLICY}@{date}", "fhir-questionnaire", store))
        for group in resource["item"]:
            for item in group["item"]:
                expected.add((side, item["linkId"]))
                q = asked[(side, item["linkId"])]
                codes = [c["code"] for c in item.get("code", [])]
                assert q["name"] == (codes[0] if codes else item["linkId"])
                assert q["kind"] == item["type"]
    assert set(asked) == expected
    (age,) = [q for q in questions if q["name"] == "age_years"]
    assert age["kind"] == "integer"
    assert [(c["side"], c["text"], c["page"]) for c in age["criteria"]] == [
        ("new", "Use in individuals younger than 18 years of age", 3),
        ("old", "Individual is 18 years of age or older", 2),
    ]
    html = case(http, suffix="")
    assert 'type="number" id="f-age_years" name="age_years" step="1"' in html
    assert html.count('value="unknown" checked') == len(questions) - 2  # the yes/no ones


def test_case_with_nothing_answered_is_undetermined_and_says_what_to_ask(
    http: TestClient,
) -> None:
    data = case(http)
    for side in ("old", "new"):
        for tree in ("initial", "continuation", "not_covered"):
            v = verdict(data, side, tree)
            assert v["outcome"] == "undetermined", (side, tree)
            assert v["to_ask"] and all(r["text"] and r["page"] for r in v["to_ask"])
    assert data["flips"] == []
    html = case(http, suffix="")
    assert "Undetermined" in html and "Still to ask" in html and "Denied" not in html


def test_case_asks_until_each_revision_decides(http: TestClient) -> None:
    """The old criteria met: each revision says what it still needs, then decides."""
    old_met = old_criteria_met(http)
    first = case(http, old_met)
    old_excl = [r["text"] for r in verdict(first, "old", "initial")["to_ask"]]
    assert old_excl == [
        "Use as first-line therapy for small cell lung cancer",
        "Use for limited-stage small cell lung cancer",
        "Use for malignancies other than small cell lung cancer.",
        "Use in combination with other antineoplastic agents",
    ]
    answered = old_met + exclusions(http)
    second = case(http, answered)
    old = verdict(second, "old", "initial")
    assert (old["outcome"], old["authorization_months"]) == ("approved", 6)
    assert len(texts(old["reasons"], "met")) == 4
    new = verdict(second, "new", "initial")
    assert new["outcome"] == "undetermined"
    assert texts(new["to_ask"]) == [
        "Requested use is as subsequent systemic therapy as a single agent"
    ]
    subsequent = field(http, "Requested use is as subsequent systemic therapy")
    third = verdict(case(http, [*answered, (subsequent, "no")]), "new", "initial")
    assert third["outcome"] == "undetermined"  # the brain-metastasis branches are open
    assert len(third["to_ask"]) == 3 and "brain metastases" in third["to_ask"][0]["text"]
    no_brain = [
        (field(http, "Individual has limited brain metastases"), "no"),
        (field(http, "Individual has extensive brain metastases"), "no"),
    ]
    last = case(http, [*answered, (subsequent, "no"), *no_brain])
    new = verdict(last, "new", "initial")
    assert new["outcome"] == "denied"
    assert "Requested use is as subsequent systemic therapy as a single agent" in texts(
        new["reasons"], "not met"
    )
    assert "initial" in last["flips"]
    html = case(http, [*answered, (subsequent, "no"), *no_brain], suffix="")
    assert "Approved for 6 months" in html and "Denied" in html and "flips" in html


def test_case_brain_metastases_branch_approves_only_the_new_revision(http: TestClient) -> None:
    answers = [
        ("age_years", "67"),
        ("performance_status", "1"),
        (field(http, "Individual has a diagnosis of extensive stage"), "no"),
        (field(http, "Individual has limited brain metastases"), "yes"),
        (field(http, "Requested use is as single-agent treatment"), "yes"),
        (field(http, "Use is for recurrent brain metastases"), "yes"),
        *exclusions(http),
    ]
    data = case(http, answers)
    old, new = verdict(data, "old", "initial"), verdict(data, "new", "initial")
    assert old["outcome"] == "denied"
    assert texts(old["reasons"], "not met")[0].startswith(
        "Individual has a diagnosis of extensive stage small cell lung cancer"
    )
    assert (new["outcome"], new["authorization_months"]) == ("approved", 12)
    assert "Use is for recurrent brain metastases" in texts(new["reasons"], "met")


def test_case_seventeen_years_old_is_denied_by_both_with_the_age_criterion(
    http: TestClient,
) -> None:
    """One typed fact answers "18 years of age or older" (2025) and the exclusion
    "younger than 18 years" (2026): a 17-year-old is denied by both, each citing its text."""
    data = case(http, [("age_years", "17")])
    old, new = verdict(data, "old", "initial"), verdict(data, "new", "initial")
    assert old["outcome"] == new["outcome"] == "denied"
    ((text, page, fact, value),) = [
        (r["text"], r["page"], r["fact"], r["value"]) for r in old["reasons"]
    ]
    assert (text, page, fact, value) == (
        "Individual is 18 years of age or older",
        2,
        "age_years",
        "17",
    )
    ((status, text, page),) = [(r["status"], r["text"], r["page"]) for r in new["reasons"]]
    assert (status, text, page) == (
        "excluded",
        "Use in individuals younger than 18 years of age",
        3,
    )
    assert "initial" not in data["flips"]
    html = case(http, [("age_years", "17")], suffix="")
    assert "<code>age_years</code> given as 17" in html
    assert 'name="age_years" step="1" value="17"' in html


def test_case_decisions_are_those_of_the_generated_modules(
    http: TestClient, store: Path, tmp_path: Path
) -> None:
    """The page decides as the module ``codegen`` writes (imported and run here)."""
    answers = [("age_years", "17"), *old_criteria_met(http)[1:], *exclusions(http)]
    data = case(http, answers)
    for side, date in (("old", OLD), ("new", NEW)):
        path = tmp_path / f"criteria_{side}.py"
        path.write_text(app_mod.codegen(f"{POLICY}@{date}", store), encoding="utf-8")
        spec = importlib.util.spec_from_file_location(f"criteria_{side}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        mine = {
            k: v
            for k, v in data["answers"].items()
            if k in module.CRITERIA or k in module.FACT_TYPES
        }
        for tree, run in (
            ("initial", module.initial_approval),
            ("continuation", module.continuation),
        ):
            got = run(mine)
            v = verdict(data, side, tree)
            assert got.outcome == v["outcome"], (side, tree)
            assert [r.id for r in got.reasons if r.status != "unanswered"] == [
                r["id"] for r in v["reasons"]
            ]
            assert got.to_decide == [r["id"] for r in v["to_ask"]]


def test_case_closed_world_is_an_explicit_option(http: TestClient) -> None:
    answers = old_criteria_met(http)
    assert verdict(case(http, answers), "old", "initial")["outcome"] == "undetermined"
    closed = case(http, [*answers, ("closed_world", "1")])
    assert closed["closed_world"] is True
    assert verdict(closed, "old", "initial")["outcome"] == "approved"
    assert verdict(closed, "new", "initial")["outcome"] == "denied"
    html = case(http, [*answers, ("closed_world", "1")], suffix="")
    assert "Closed world: every unanswered criterion counts as not met" in html


def test_case_ignores_unknown_fields_and_says_so(http: TestClient) -> None:
    data = case(http, [("bogus_12345678", "yes")])
    assert data["ignored"] == ["bogus_12345678"] and data["answers"] == {}
    html = case(http, [("bogus_12345678", "yes")], suffix="")
    assert "1 answer named a question neither revision asks and was ignored" in html


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("age_years", "seventeen", "answer to age_years: expected a whole number"),
        ("age_years", "17.5", "answer to age_years: expected a whole number"),
        ("age_years", "nan", "answer to age_years: expected a whole number"),
        ("performance_status", "1e999", "answer to performance_status: expected a number"),
        ("indication", "7", "no indication '7' in this comparison"),
    ],
)
def test_case_bad_answers_are_error_pages(
    http: TestClient, name: str, value: str, problem: str
) -> None:
    answer = http.get(COMPARE + "/case", params={name: value})
    assert answer.status_code == 400
    assert problem in unescape(message(answer.text))


def test_case_bad_yes_no_answer_is_an_error_page(http: TestClient) -> None:
    name = field(http, "Individual has a diagnosis of extensive stage")
    answer = http.get(COMPARE + "/case.json", params={name: "maybe"})
    assert answer.status_code == 400
    assert f"answer to {name}: expected yes, no or unknown" in answer.json()["error"]["message"]


def test_case_page_offers_cases_that_flip(http: TestClient) -> None:
    """Each offered case flips what it says it flips, with the outcomes it states."""
    html = case(http, suffix="")
    links = re.findall(r'<a class="suggestion" href="([^"]+)">', html)
    suggestions = case(http)["suggestions"]
    assert len(links) == len(suggestions) > 0
    assert {("initial", "newly approved"), ("initial", "newly denied")} <= {
        (s["tree"], s["direction"]) for s in suggestions
    }
    for link, s in zip(links, suggestions, strict=True):
        url = link.replace("&amp;", "&")
        assert url == s["url"]
        data = http.get(url.replace("/case?", "/case.json?")).json()
        assert s["tree"] in data["flips"], s
        old, new = verdict(data, "old", s["tree"]), verdict(data, "new", s["tree"])
        assert (old["outcome"], new["outcome"]) == (s["old_outcome"], s["new_outcome"])


def test_case_of_an_unreadable_revision_says_so(store: Path) -> None:
    set_boxes(store, OLD, lambda data: data["criteria"].update(indications=[], not_covered=None))
    http = client(store)
    data = case(http)
    for v in data["decisions"]["old"]:
        assert v["present"] is False and v["outcome"] is None
        assert "criteria could not be read" in v["absent"]
    assert verdict(data, "new", "initial")["outcome"] == "undetermined"
    assert "criteria could not be read" in data["suggestions_problem"]
    assert {c["side"] for q in data["questions"] for c in q["criteria"]} == {"new"}
    html = case(http, suffix="")
    assert "The old revision is not asked: its criteria could not be read" in html


# -- page images and source PDFs ------------------------------------------------------------


def test_page_image_rendered_and_cached(http: TestClient, store: Path) -> None:
    url = f"/policy/{POLICY}/{NEW}/page/3.png"
    first = http.get(url)
    assert first.status_code == 200 and first.headers["content-type"] == "image/png"
    assert first.content.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = (
        int.from_bytes(first.content[16:20], "big"),
        int.from_bytes(first.content[20:24], "big"),
    )
    assert (width, height) == (918, 1188)
    cached = store / ".pages" / sha256_file(PDF_2026) / "3-1.5.png"
    assert cached.read_bytes() == first.content
    etag = first.headers["etag"]
    again = http.get(url, headers={"if-none-match": etag})
    assert again.status_code == 304


def test_page_image_cache_is_used(
    http: TestClient, store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"/policy/{POLICY}/{OLD}/page/2.png"
    assert http.get(url).status_code == 200

    def no_pdfium(*args: Any, **kw: Any) -> Any:
        raise AssertionError("PDFium opened although the page is cached")

    monkeypatch.setattr("policy_tools.web.images._open", no_pdfium)
    assert http.get(url).status_code == 200


def test_source_pdf(http: TestClient) -> None:
    pdf = http.get(f"/policy/{POLICY}/{OLD}/source.pdf")
    assert pdf.status_code == 200 and pdf.content == PDF_2025.read_bytes()
    assert pdf.headers["content-type"] == "application/pdf"


def test_missing_source_pdf_is_said(tmp_path: Path) -> None:
    bare = canonical_store(tmp_path / "bare", keep_pdfs=False)
    html = client(bare).get(COMPARE).text
    assert "No page images: source PDF MP-RX-FP-171-25_2025-08-08_inception.pdf" in html
    assert "--sources FOLDER" in html
    assert client(bare).get(f"/policy/{POLICY}/{OLD}/page/1.png").status_code == 404
    # a --sources folder holding the PDFs under their file names is enough
    found = client(bare, sources=[PDF_2025.parent]).get(COMPARE).text
    assert len(IMG.findall(found)) == 11 and "No page images" not in found


# -- safety ------------------------------------------------------------------------------------

HOSTILE = [
    "/policy/%2E%2E",
    "/policy/..%2F..%2Fetc%2Fpasswd",
    "/policy/%2e%2e%2f%2e%2e%2fsecret.json",
    "/policy/.hidden",
    "/policy/MP-RX-FP-171-25%00",
    "/policy/MP-RX-FP-171-25%2F..%2F..%2Fsecret",
    "/policy/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "/policy/..%5C..%5Csecret.json",
    "/policy/index.json",
    f"/policy/{POLICY}/compare/..%2F..%2Fsecret...{NEW}",
    f"/policy/{POLICY}/compare/{OLD}...{OLD}",
    f"/policy/{POLICY}/compare/{OLD}...2031-01-01",
    f"/policy/{POLICY}/compare/{OLD}..{NEW}",
    f"/policy/{POLICY}/compare/{OLD}...{NEW}/..%2F..%2Fsecret.json",
    f"/policy/{POLICY}/..%2F..%2Fsecret/page/1.png",
    f"/policy/{POLICY}/{OLD}/page/..%2F..%2Fsecret.png",
    f"/policy/{POLICY}/{OLD}/page/0.png",
    f"/policy/{POLICY}/{OLD}/page/5.png",
    f"/policy/{POLICY}/{OLD}/page/99999.png",
    f"/policy/{POLICY}/{OLD}.json/source.pdf",
    "/static/..%2F..%2F..%2Fpyproject.toml",
    "/static/report.html",
    "/static/%2e%2e%2fweb%2fbase.html",
    "/nowhere",
]


@pytest.mark.parametrize("url", HOSTILE)
def test_hostile_urls_are_error_pages(store: Path, url: str) -> None:
    (store.parent / "secret.json").write_text('{"secret": "outside the store"}')
    (store.parent / "secret.png").write_text("outside the store")
    answer = client(store).get(url, follow_redirects=False)
    assert answer.status_code in (400, 404), answer.text[:300]
    assert answer.headers["content-security-policy"] == CSP
    assert "outside the store" not in answer.text
    assert "Traceback" not in answer.text and "<script>" not in answer.text
    if answer.headers["content-type"] == "application/json":
        assert answer.json()["error"]["message"]
    else:
        assert message(answer.text), answer.text[:400]


def test_hostile_policy_number_is_escaped(http: TestClient) -> None:
    answer = http.get("/policy/MP-1%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E")
    assert answer.status_code == 404
    assert "<img src=x" not in answer.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in answer.text


def test_json_errors_for_json_urls(http: TestClient) -> None:
    answer = http.get(f"/policy/{POLICY}/compare/{OLD}...2031-01-01.json")
    assert answer.status_code == 404
    error = answer.json()["error"]
    assert "has no revision effective 2031-01-01" in error["message"]


def test_pdf_text_is_escaped_everywhere(store: Path) -> None:
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'

    def edit(data: dict[str, Any]) -> None:
        data["policy"]["name"] = evil
        data["policy"]["drug"]["brand"] = evil
        data["history"][0]["summary"] = evil
        data["criteria"]["indications"][0]["initial"]["items"][0]["items"][0]["text"] = evil

    set_boxes(store, NEW, edit)
    http = client(store)
    for url in ("/", f"/policy/{POLICY}", COMPARE, COMPARE + "/case", "/?q=script"):
        html = http.get(url).text
        assert "<script>alert" not in html and "<img src=x" not in html, url
        assert "&lt;script&gt;alert" in html, url


def test_security_headers_on_every_kind_of_answer(http: TestClient) -> None:
    for url in ("/", "/index.json", "/static/web.css", f"/policy/{POLICY}/{OLD}/page/1.png"):
        headers = http.get(url).headers
        assert headers["content-security-policy"] == CSP, url
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"


def test_templates_have_no_inline_script_or_style(http: TestClient) -> None:
    for url in ("/", "/codes?q=C34", f"/policy/{POLICY}", COMPARE, COMPARE + "/case", "/upload"):
        html = http.get(url).text
        assert re.search(r"<script(?![^>]*\ssrc=)", html) is None, url
        assert " style=" not in html and "<style" not in html, url
        assert re.search(r"\son[a-z]+=", html) is None, url


def test_unknown_host_refused(store: Path) -> None:
    """DNS rebinding: a page of another site must not read this one."""
    http = TestClient(create_app(store), base_url="http://evil.example")
    answer = http.get("/")
    assert answer.status_code == 400 and "Invalid host header" in answer.text
    loopback = TestClient(create_app(store), base_url="http://127.0.0.1:8000")
    assert loopback.get("/").status_code == 200


def test_damaged_revision_is_a_page_not_a_traceback(store: Path) -> None:
    (store / POLICY / f"{OLD}.json").write_text('{"schema_version": "2.0", "source": ')
    answer = client(store).get(COMPARE)
    assert answer.status_code == 422
    assert "not valid policy JSON" in message(answer.text)
    assert "Traceback" not in answer.text


def test_a_crash_is_a_page_not_a_traceback(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: Any, **kw: Any) -> Any:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(server_mod, "timeline_page", boom)
    answer = client(store).get(f"/policy/{POLICY}")
    assert answer.status_code == 500
    assert "the server failed on this request (RuntimeError)" in message(answer.text)
    assert "secret internal detail" not in answer.text and "Traceback" not in answer.text
    assert answer.headers["content-security-policy"] == CSP


# -- upload ----------------------------------------------------------------------------------


def upload(http: TestClient, name: str, data: bytes, url: str = "/upload") -> Any:
    return http.post(url, files={"file": (name, data, "application/pdf")})


def test_upload_pdf_is_stored_and_non_pdf_refused(tmp_path: Path) -> None:
    store = tmp_path / "empty"
    http = client(store)
    refused = upload(http, "notes.pdf", b"just some text, not a PDF\n")
    assert refused.status_code == 415
    assert "notes.pdf: not a PDF" in message(refused.text)
    assert not (store / POLICY).exists()
    stored = upload(http, PDF_2025.name, PDF_2025.read_bytes())
    assert stored.status_code == 201, stored.text
    assert f"Stored {POLICY}@{OLD}" in stored.text
    assert (store / POLICY / f"{OLD}.json").is_file()
    assert (
        store / ".sources" / f"{sha256_file(PDF_2025)}.pdf"
    ).read_bytes() == PDF_2025.read_bytes()
    assert list((store / ".uploads").iterdir()) == []  # the staging folder is gone
    assert http.get(f"/policy/{POLICY}/{OLD}/page/2.png").status_code == 200
    again = upload(http, "again.pdf", PDF_2025.read_bytes(), "/upload.json")
    assert again.status_code == 200 and again.json()["result"] == "unchanged"


def test_upload_conflict_refused_with_the_ingest_message(tmp_path: Path) -> None:
    store = tmp_path / "s"
    http = client(store)
    assert upload(http, PDF_2025.name, PDF_2025.read_bytes()).status_code == 201
    other = PDF_2025.read_bytes() + b"\n% the same policy, other bytes\n"
    answer = upload(http, "other-copy.pdf", other, "/upload.json")
    assert answer.status_code == 409
    body = answer.json()
    assert body["result"] == "failed" and body["ref"] == f"{POLICY}@{OLD}"
    # the CLI's ingest of the same bytes says the same
    path = tmp_path / "other-copy.pdf"
    path.write_bytes(other)
    result = app_mod.ingest([path], store_dir=store, reports=False)
    assert body["message"] == result.files[0].message
    assert (
        "claims the same policy number and effective date; stored revision kept" in body["message"]
    )


def test_upload_too_large(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    small = replace(SETTINGS, web=replace(SETTINGS.web, upload_max_bytes=1000))
    monkeypatch.setattr("policy_tools.web.upload.SETTINGS", small)
    store = tmp_path / "s"
    answer = upload(client(store), "big.pdf", b"%PDF-1.4\n" + b"0" * 200_000)
    assert answer.status_code == 413
    assert "uploads are limited to" in message(answer.text)
    assert not (store / ".uploads").exists() or list((store / ".uploads").iterdir()) == []


def test_upload_without_file_and_cross_site(tmp_path: Path) -> None:
    http = client(tmp_path / "s")
    empty = http.post("/upload", data={"nothing": "here"})
    assert empty.status_code == 400 and "choose a PDF file" in message(empty.text)
    cross = http.post(
        "/upload",
        files={"file": ("a.pdf", PDF_2025.read_bytes(), "application/pdf")},
        headers={"origin": "http://evil.example", "sec-fetch-site": "cross-site"},
    )
    assert cross.status_code == 403
    assert not (tmp_path / "s" / POLICY).exists()


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\windows\\evil.pdf", "evil.pdf"),
        ("<img src=x onerror=alert(1)>.pdf", "img src-x onerror-alert-1.pdf"),
        ("report\x1b[31m red.PDF", "report-31m red.pdf"),
        ("policy", "policy.pdf"),
        ("....pdf", "upload.pdf"),
        ("", "upload.pdf"),
        ("a" * 500 + ".pdf", "a" * 120 + ".pdf"),
        ("MP-1_2025-05-01.pdf", "MP-1_2025-05-01.pdf"),
    ],
)
def test_upload_file_names_made_safe(name: str, safe: str) -> None:
    assert web.upload.safe_name(name) == safe


def test_hostile_upload_name_writes_nothing_outside(tmp_path: Path) -> None:
    store = tmp_path / "deep" / "store"
    answer = upload(client(store), "../../../escaped.pdf", PDF_2026.read_bytes())
    assert answer.status_code == 201
    assert not list(tmp_path.rglob("escaped.pdf"))
    doc = json.loads((store / POLICY / f"{NEW}.json").read_text())
    assert doc["source"]["path"] == "escaped.pdf"


# -- the command ----------------------------------------------------------------------------


def test_serve_command_binds_loopback_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(web, "serve", lambda store, **kw: calls.append({"store": store, **kw}))
    result = CliRunner().invoke(cli, ["serve", "--store", "somewhere"])
    assert result.exit_code == 0, result.output
    assert calls == [{"store": Path("somewhere"), "host": "127.0.0.1", "port": 8000, "sources": []}]
    assert "Warning" not in result.output
    wide = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0", "--port", "9000"])
    assert "Warning: --host 0.0.0.0 serves beyond this machine" in wide.output


def test_serve_refuses_a_file_as_store(tmp_path: Path) -> None:
    file = tmp_path / "store.txt"
    file.write_text("x")
    result = CliRunner().invoke(cli, ["serve", "--store", str(file)])
    assert result.exit_code == 2
    assert "Error:" in result.output and "is a file" in result.output
    with pytest.raises(PolicyToolsError, match="not a folder"):
        web.serve(file)
    with pytest.raises(PolicyToolsError, match="no such folder"):
        web.serve(tmp_path, sources=[tmp_path / "missing"])


def test_ingest_keep_sources(tmp_path: Path) -> None:
    store = tmp_path / "s"
    args = ["ingest", str(PDF_2025), "--store", str(store), "--no-reports", "--keep-sources"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert (store / ".sources" / f"{sha256_file(PDF_2025)}.pdf").is_file()
    plain = tmp_path / "plain"
    CliRunner().invoke(cli, ["ingest", str(PDF_2025), "--store", str(plain), "--no-reports"])
    assert not (plain / ".sources").exists()


def test_every_page_has_a_json_twin(http: TestClient) -> None:
    for url in (
        "/index.json",
        "/codes.json?q=C34",
        f"/policy/{POLICY}.json",
        COMPARE + ".json",
        COMPARE + "/case.json",
        "/upload.json",
    ):
        answer = http.get(url)
        assert answer.status_code == 200, url
        assert answer.headers["content-type"] == "application/json", url
        assert isinstance(answer.json(), dict), url
    assert http.get("/upload.json").json() == {"limit_bytes": SETTINGS.web.upload_max_bytes}


def test_a_revision_read_from_markdown_has_no_pages_and_says_so(store: Path) -> None:
    set_boxes(store, OLD, lambda data: data["source"].update(format="markdown"))
    http = client(store)
    html = http.get(COMPARE).text
    assert "No page images: the source is markdown, not a PDF: no pages to show" in html
    assert len(IMG.findall(html)) == 7  # the new side's pages only
    assert http.get(f"/policy/{POLICY}/{OLD}/page/1.png").status_code == 404
