"""The HTML change report of MP-RX-FP-171-25 inception -> 2026, opened in headless Chromium.

Runs on the real pipeline: the committed extraction of the two canonical PDFs
(extracted/MP-RX-FP-171-25/*.json), the real diff and audit, and ``write_reports``
(what ``ingest`` calls). The page numbers asserted were read off the PDFs by eye:
2025 PDF p. 2 "C. Approval Duration / a. Initial Approval Duration: 6 months",
p. 3 the saline row "over 4 to 5 hours"; 2026 PDF p. 2 the two brain-metastasis
branches (v.-vii., viii.-x.), p. 3 "Initial Approval Duration: 12 months", p. 5 the
saline row "over 2 to 4 hours" and the ICD-10 rows C7A.1 and C79.31.

Chromium is Debian's /usr/bin/chromium driven by Playwright (never a downloaded
browser). Without it the test skips, except in CI (env CI set) where it fails.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from policy_tools.app import write_reports
from policy_tools.store.refs import read_revision_file

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "extracted" / "MP-RX-FP-171-25"
CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WHEN = datetime(2026, 5, 7, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    old = read_revision_file(GOLDEN / "2025-08-08.json")
    new = read_revision_file(GOLDEN / "2026-05-06.json")
    paths = write_reports(old, new, tmp_path_factory.mktemp("reports"), generated_at=WHEN)
    html = paths[0]
    assert html.name == "2025-08-08_to_2026-05-06.html"
    return html


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


def test_html_report_parses_without_errors(report_file: Path) -> None:
    parser = etree.HTMLParser(recover=False)
    root = etree.fromstring(report_file.read_bytes(), parser)
    assert [e for e in parser.error_log if e.level >= etree.ErrorLevels.ERROR] == []
    assert root.xpath("//script | //link | //img") == []


def test_report_in_chromium(report_file: Path, browser: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda err: problems.append(str(err)))
    page.on("request", lambda r: None if r.url.startswith("file:") else problems.append(r.url))
    page.goto(report_file.as_uri())

    # the audit panel, right after the summary, with the undocumented authorization change
    audit = page.locator("#audit")
    expect(audit).to_be_visible()
    assert page.evaluate("document.querySelector('#summary').nextElementSibling.id") == "audit"
    finding = page.locator("#undocumented li.finding", has_text="Authorization duration")
    expect(finding).to_be_visible()
    expect(finding).to_contain_text(re.compile(r"6\s*(->|→)\s*12 months"))
    expect(finding.locator("ul.refs li")).to_contain_text("old p. 2 · new p. 3")
    # its link leads to the change, which shows the same pages
    finding.locator("a.idlink").first.click()
    target = page.locator("li.change:target")
    expect(target).to_be_visible()
    expect(target).to_contain_text(re.compile(r"[Ii]nitial authorization"))
    expect(target.locator(".change-pages")).to_have_text("old p. 2 new p. 3")

    # the two brain-metastasis branches, added OR-branches of the new initial criteria
    new_tree = page.locator("#section-criteria-initial .tree-new")
    expect(new_tree).to_be_visible()
    for kind in ("limited", "extensive"):
        branch = new_tree.locator("li.node.st-added", has_text=f"{kind} brain metastases").first
        expect(branch).to_be_visible()
        expect(branch.locator("> .crit-line .op")).to_have_text("AND")
        expect(branch.locator("> .crit-line .pg")).to_have_text("p. 2")
        # the branch links to its change, which names the branch and its page
        href = branch.locator("> .crit-line a.idlink").first.get_attribute("href")
        assert href and href.startswith("#change-")
        change = page.locator(f"li.change{href}")
        expect(change).to_be_visible()
        expect(change).to_have_class(re.compile(r"\bk-added\b"))
        expect(change).to_contain_text(f"{kind} brain metastases")
        expect(change.locator(".change-pages")).to_have_text("new p. 2")
    # exactly two branches of the root were added (their nested lists inherit the mark)
    expect(new_tree.locator("ul.tree > li > ul > li.st-added")).to_have_count(2)
    root_op = new_tree.locator("ul.tree > li > .crit-line .op").first
    expect(root_op).to_have_text("OR")

    # the ICD-10 additions with their billable codes and page
    for code in ("C7A.1", "C79.31"):
        change = page.locator("#section-codes li.change.k-added", has_text=f"ICD-10-CM {code}")
        expect(change).to_be_visible()
        expect(change.locator(".billable code.gained")).to_have_text([code])
        expect(change.locator(".change-pages")).to_have_text("new p. 5")

    # the saline infusion time, redlined word by word, and in the premedication table
    saline = page.locator("#section-dosing-premedication li.change", has_text="normal saline")
    expect(saline).to_be_visible()
    expect(saline.locator("del")).to_have_text(["4 to 5"])
    expect(saline.locator("ins")).to_have_text(["2 to 4"])
    expect(saline.locator(".change-pages")).to_have_text("old p. 3 new p. 5")
    row = page.locator("#section-dosing-premedication table.dosing tr.st-modified")
    expect(row).to_have_count(1)
    expect(row.locator("td.cell-changed del")).to_have_text(["4 to 5"])
    expect(row.locator("td.pages")).to_contain_text("old p. 3 new p. 5")

    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 50_000
    assert problems == []
    page.close()


def test_report_prints_with_page_breaks(report_file: Path, browser: Any, tmp_path: Path) -> None:
    page = browser.new_page()
    page.goto(report_file.as_uri())
    page.emulate_media(media="print")
    breaks = page.evaluate(
        "[...document.querySelectorAll('section.report-section')]"
        ".map(s => getComputedStyle(s).breakBefore)"
    )
    assert breaks and set(breaks) == {"page"}
    pdf = tmp_path / "report.pdf"
    page.pdf(path=str(pdf), format="A4")
    assert pdf.read_bytes().startswith(b"%PDF")
    page.close()
