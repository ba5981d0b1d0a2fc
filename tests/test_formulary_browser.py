"""The HTML change report of a synthetic drug-list pair (tests/formulary_synth.py, planted
changes) opened in headless Chromium: the status-change table comes first and shows the
planted status, PA, step-therapy and quantity-limit changes with their pages."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from formulary_synth import build_pair

from policy_tools.compare import diff_documents
from policy_tools.extract import extract_file
from policy_tools.render.report import render

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pdl")
    old_pdf, new_pdf = build_pair(folder)
    old, new = extract_file(old_pdf), extract_file(new_pdf)
    path = folder / "report.html"
    path.write_text(render(diff_documents(old, new), old, new, "html"), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing; CI must install Debian chromium")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield instance
        instance.close()


def test_status_change_table_in_chromium(report_file: Path, browser: Any) -> None:
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on("pageerror", lambda err: problems.append(str(err)))
    page.on("request", lambda r: None if r.url.startswith("file:") else problems.append(r.url))
    page.goto(report_file.as_uri())
    # the drug list section comes right after the summary, the status table first in it
    assert page.evaluate("document.querySelector('#summary').nextElementSibling.id") == "formulary"
    table = page.locator("#formulary-status-table")
    expect(table).to_be_visible()
    first = page.evaluate("document.querySelector('#formulary table').id")
    assert first == "formulary-status-table"
    status = table.locator("tr.fm-row", has_text="metoprolol tartrate")
    expect(status).to_have_count(1)
    expect(status.locator(".fm-kind")).to_have_text("status changed")
    expect(status.locator(".fm-class")).to_have_text("Beta Blockers")
    expect(status.locator("del")).to_have_text(["Y"])
    expect(status.locator("ins")).to_have_text(["N"])
    expect(status.locator("td.pages")).to_contain_text("old p. 1")
    kinds = [k.strip() for k in table.locator(".fm-kind").all_text_contents()]
    assert sorted(set(kinds)) == [
        "PA added",
        "PA removed",
        "QL changed",
        "QL removed",
        "ST added",
        "ST changed",
        "ST removed",
        "status changed",
    ]
    # each row links to its change further down the report
    href = status.locator("a.idlink").get_attribute("href")
    assert href and page.locator(f"li.change{href}").count() == 1
    assert problems == []
    page.close()
