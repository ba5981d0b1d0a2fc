"""Change reports: HTML / Markdown / JSON rendering, safety, file output.

``hand_pair()`` builds the two MP-RX-FP-171-25 revisions and their change set by
hand from the canonical PDFs (texts and page numbers checked against
source_pdfs/*.pdf), so the templates are tested independently of extraction and
diff. Tests marked "real" run the real extraction output and diff when present.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from click.testing import CliRunner
from conftest import single
from lxml import etree
from markdown_it import MarkdownIt

from policy_tools import __version__
from policy_tools.app import report_paths, write_reports
from policy_tools.cli import cli
from policy_tools.compare.criteria import outline
from policy_tools.errors import PolicyToolsError
from policy_tools.model.changeset import (
    Audit,
    Cell,
    Change,
    ChangeSet,
    Claim,
    CodeValue,
    Location,
    RevisionInfo,
    RowValue,
    ScalarValue,
    TextValue,
    TreeValue,
    UndocumentedFinding,
    UnsupportedClaim,
    WordOp,
)
from policy_tools.model.policy import (
    Authorization,
    Code,
    Dosing,
    DosingRow,
    HistoryEntry,
    Leaf,
    Node,
    PolicyDocument,
    PolicyMeta,
    Premedication,
    Source,
)
from policy_tools.render.env import md_escape
from policy_tools.render.report import render

WHEN = datetime(2026, 5, 7, 9, 30, tzinfo=UTC)
NAME = "Tarlatamab-dlle (Imdelltra)"
SHA_OLD = "a1" * 32
SHA_NEW = "b2" * 32
MONITOR = (
    "Monitor patients from the start of the infusion for 22 to 24 hours on Cycle 1 Day 1 and "
    "Cycle 1 Day 8 in an appropriate healthcare setting."
)
HISTORY_2026 = (
    "Updated the policy to align with the current IMDELTRA prescribing information and NCCN "
    "guidance by revising the background ...; expanding initial approval criteria to include the "
    "labeled ES-SCLC subsequent therapy use and NCCN-supported single-agent use for limited and "
    "extensive brain metastases; ... revising the dosing and monitoring section ... Coding Review: "
    "added ICD10 codes C7A.1 and C79.31. Updated references accordingly."
)


def leaf(label: str, text: str, page: int) -> Leaf:
    return Leaf(label=label, text=text, page=page)


def doc(
    *,
    date: str,
    sha: str,
    path: str,
    pages: int,
    initial: Node,
    months: int,
    codes: list[Code],
    schedule: list[DosingRow],
    premed: list[Premedication],
    history: list[HistoryEntry],
) -> PolicyDocument:
    return PolicyDocument(
        source=Source(path=path, sha256=sha, format="pdf", pages=pages, extractor_version="1.0.0"),
        policy=PolicyMeta(number="MP-RX-FP-171-25", name=NAME, effective_date=date),
        criteria=single(
            initial=initial,
            authorization=Authorization(initial_months=months, reauthorization_months=12),
        ),
        codes=codes,
        dosing=Dosing(schedule=schedule, premedication=premed),
        history=history,
    )


def code(system: Any, value: str, description: str, page: int) -> Code:
    return Code(
        system=system, code=value, first=value, last=value, description=description, page=page
    )


def code_value(c: Code) -> CodeValue:
    return CodeValue(
        system=c.system, code=c.code, first=c.first, last=c.last, description=c.description
    )


def row_value(row: DosingRow) -> RowValue:
    fields = ("schedule", "day", "dose", "monitoring")
    return RowValue(cells=[Cell(name=f, value=getattr(row, f)) for f in fields])


def code_added(change_id: str, new: PolicyDocument, index: int) -> Change:
    added = new.codes[index]
    return Change(
        id=change_id,
        section="codes",
        kind="added",
        path=f"codes[{index}]",
        location=Location(new_index=[index], row_key=[added.system, added.code]),
        summary=f"{added.system} {added.code} added",
        new=code_value(added),
        new_page=added.page,
        codes_gained=[added.code],
    )


def saline(hours: str, page: int) -> Premedication:
    return Premedication(
        day="Cycle 1 Day 1 and Cycle 1 Day 8",
        medication=f"1 liter of normal saline intravenously over {hours} hours",
        administration="Immediately after completion of IMDELLTRA infusion",
        page=page,
    )


def brain_branch(kind: str, page: int, labels: tuple[str, str]) -> Node:
    return Node(
        op="AND",
        page=page,
        items=[
            leaf(
                labels[0],
                f"Individual has {kind} brain metastases from small cell lung cancer (NCCN 2A)",
                page,
            ),
            leaf(labels[1], "Requested use is as single-agent treatment", page),
        ],
    )


def hand_pair(evil: str = "") -> tuple[PolicyDocument, PolicyDocument, ChangeSet]:
    """Inception (2025-08-08) and annual review (2026-05-06), and their change set.

    ``evil`` is appended to texts that come from the PDFs (safety tests).
    """
    inception = HistoryEntry(
        review_type="Policy Inception",
        summary="MMM Developed Medical Policy.",
        pt_approval_date="2025-07-17",
        um_approval_date="2025-08-08",
        page=4,
    )
    old_initial = Node(
        op="AND",
        page=2,
        items=[
            leaf("i.", "Individual is 18 years of age or older", 2),
            leaf(
                "ii.",
                "Individual has a diagnosis of extensive stage small cell lung cancer (ES-SCLC)",
                2,
            ),
            leaf(
                "iii.",
                "Individual has experienced disease progression on or after "
                "platinum-based chemotherapy",
                2,
            ),
            leaf("iv.", "Individual has performance status 0-2", 2),
        ],
    )
    new_initial = Node(
        op="OR",
        page=2,
        items=[
            Node(
                op="AND",
                page=2,
                items=[
                    leaf(
                        "i.",
                        "Individual has a diagnosis of extensive stage small cell lung cancer "
                        "(ES-SCLC) (Label, NCCN 1)" + evil,
                        2,
                    ),
                    leaf(
                        "ii.",
                        "Individual has experienced disease progression on or after "
                        "platinum-based chemotherapy",
                        2,
                    ),
                    leaf(
                        "iii.",
                        "Requested use is as subsequent systemic therapy as a single agent",
                        2,
                    ),
                    leaf("iv.", "Individual has performance status 0-2", 2),
                ],
            ),
            brain_branch("limited", 2, ("v.", "vi.")),
            brain_branch("extensive", 2, ("viii.", "ix.")),
        ],
    )
    old = doc(
        date="2025-08-08",
        sha=SHA_OLD,
        pages=4,
        path="MP-RX-FP-171-25_2025-08-08_inception.pdf",
        initial=old_initial,
        months=6,
        codes=[
            code("HCPCS", "J9026", "Injection, tarlatamab-dlle, 1 mg [Imdelltra]", 3),
            code("ICD-10-CM", "C33", "Malignant neoplasm of trachea", 3),
        ],
        schedule=[
            DosingRow(
                schedule="Step-up Dose and Schedule Cycle 1",
                day="Day 1",
                dose="Step up dose 1mg IV",
                monitoring=MONITOR,
                page=2,
            ),
            DosingRow(
                schedule="Cycle 2",
                day="Day 1 and 15",
                dose="10mg IV",
                monitoring="Observe patients for 6-8 hours post infusion.",
                page=2,
            ),
        ],
        premed=[saline("4 to 5", 3)],
        history=[inception],
    )
    new = doc(
        date="2026-05-06",
        sha=SHA_NEW,
        pages=7,
        path="MP-RX-FP-171-25_2026-05-06_annual-review.pdf",
        initial=new_initial,
        months=12,
        codes=[
            code(
                "ICD-10-CM",
                "C7A.1",
                "Malignant poorly differentiated neuroendocrine tumors" + evil,
                5,
            ),
            code("ICD-10-CM", "C33", "Malignant neoplasm of trachea", 5),
            code("ICD-10-CM", "C79.31", "Secondary malignant neoplasm of brain", 5),
            code("HCPCS", "J9026", "Injection, tarlatamab-dlle, 1 mg [Imdelltra]", 5),
        ],
        schedule=[
            DosingRow(
                schedule="Step-up Dose and Schedule Cycle 1",
                day="Day 1",
                dose="Step up dose 1mg IV",
                monitoring=MONITOR.replace("the infusion", "the IMDELLTRA infusion"),
                page=4,
            ),
            DosingRow(
                schedule="Cycle 2",
                day="Day 1 and 15",
                dose="10mg IV",
                monitoring="Observe patients for 6-8 hours post IMDELLTRA infusion.",
                page=4,
            ),
        ],
        premed=[saline("2 to 4", 5)],
        history=[
            HistoryEntry(
                review_type="Annual Review",
                summary=HISTORY_2026 + evil,
                pt_approval_date="2026-05-01",
                um_approval_date="2026-05-06",
                page=7,
            ),
            inception,
        ],
    )
    ini = "criteria.initial"
    changes = [
        Change(
            id="C001",
            section="policy",
            kind="modified",
            path="policy.effective_date",
            location=Location(field="effective_date"),
            summary="Effective date changed",
            old=ScalarValue(value="2025-08-08"),
            new=ScalarValue(value="2026-05-06"),
            old_page=1,
            new_page=1,
        ),
        Change(
            id="C002",
            section=ini,
            kind="removed",
            path="criteria.initial.items[0]",
            location=Location(tree="initial", old_index=[0]),
            summary="Removed criterion: Individual is 18 years of age or older",
            old=TextValue(text=old_initial.items[0].text or ""),
            old_label="i.",
            old_page=2,
        ),
        Change(
            id="C003",
            section=ini,
            kind="modified",
            path="criteria.initial.items[0].items[0]",
            location=Location(tree="initial", old_index=[1], new_index=[0, 0], field="text"),
            summary="Diagnosis criterion now cites its sources" + evil,
            old=TextValue(text=old_initial.items[1].text or ""),
            new=TextValue(text=new_initial.items[0].items[0].text or ""),  # type: ignore[union-attr]
            old_label="ii.",
            new_label="i.",
            old_page=2,
            new_page=2,
            words=[
                WordOp(
                    op="equal",
                    text="Individual has a diagnosis of extensive stage "
                    "small cell lung cancer (ES-SCLC)",
                ),
                WordOp(op="insert", text="(Label, NCCN 1)" + evil),
            ],
        ),
        Change(
            id="C004",
            section=ini,
            kind="added",
            path="criteria.initial.items[1]",
            location=Location(tree="initial", new_index=[1]),
            summary="OR-branch added: limited brain metastases",
            detail="OR-branch added",
            new=TreeValue(outline=outline(new_initial.items[1])),
            new_label="v.",
            new_page=2,
        ),
        Change(
            id="C005",
            section=ini,
            kind="added",
            path="criteria.initial.items[2]",
            location=Location(tree="initial", new_index=[2]),
            summary="OR-branch added: extensive brain metastases",
            detail="OR-branch added",
            new=TreeValue(outline=outline(new_initial.items[2])),
            new_label="viii.",
            new_page=2,
        ),
        Change(
            id="C006",
            section="criteria.authorization",
            kind="modified",
            path="criteria.authorization.initial_months",
            location=Location(field="initial_months"),
            summary="Initial authorization 6 -> 12 months",
            old=ScalarValue(value=6),
            new=ScalarValue(value=12),
            old_page=2,
            new_page=3,
            words=[
                WordOp(op="delete", text="6"),
                WordOp(op="insert", text="12"),
                WordOp(op="equal", text="months"),
            ],
        ),
        code_added("C007", new, 0),
        code_added("C008", new, 2),
        Change(
            id="C009",
            section="dosing.schedule",
            kind="modified",
            path="dosing.schedule[1].monitoring",
            location=Location(old_index=[1], new_index=[1], field="monitoring"),
            summary="Cycle 2 observation text",
            old=TextValue(text="Observe patients for 6-8 hours post infusion."),
            new=TextValue(text="Observe patients for 6-8 hours post IMDELLTRA infusion."),
            old_page=2,
            new_page=4,
        ),
        Change(
            id="C010",
            section="dosing.premedication",
            kind="modified",
            path="dosing.premedication[0].medication",
            location=Location(old_index=[0], new_index=[0], field="medication"),
            summary="Saline infusion time 4 to 5 -> 2 to 4 hours",
            old=TextValue(text=old.dosing.premedication[0].medication),
            new=TextValue(text=new.dosing.premedication[0].medication),
            old_page=3,
            new_page=5,
            words=[
                WordOp(op="equal", text="1 liter of normal saline intravenously over"),
                WordOp(op="delete", text="4 to 5"),
                WordOp(op="insert", text="2 to 4"),
                WordOp(op="equal", text="hours"),
            ],
        ),
    ]
    claims = [
        Claim(
            id="K1",
            text="expanding initial approval criteria to include ... limited and "
            "extensive brain metastases",
            sections=[ini],
            change_ids=["C003", "C004", "C005"],
        ),
        Claim(
            id="K2",
            text="revising the dosing and monitoring section",
            sections=["dosing.schedule", "dosing.premedication"],
            change_ids=["C009", "C010"],
        ),
        Claim(
            id="K3",
            text="added ICD10 codes C7A.1 and C79.31" + evil,
            sections=["codes"],
            codes=["C7A.1", "C79.31"],
            change_ids=["C007", "C008"],
        ),
        Claim(id="K4", text="Updated references accordingly", sections=["references"]),
    ]
    cs = ChangeSet(
        **{
            "from": RevisionInfo(
                policy="MP-RX-FP-171-25",
                name=NAME,
                effective_date="2025-08-08",
                review_type="Policy Inception",
                source_path=old.source.path,
                sha256=SHA_OLD,
                pages=4,
            )
        },
        to=RevisionInfo(
            policy="MP-RX-FP-171-25",
            name=NAME + evil,
            effective_date="2026-05-06",
            review_type="Annual Review",
            source_path=new.source.path,
            sha256=SHA_NEW,
            pages=7,
        ),
        changes=changes,
        format_changes=[
            Change(
                id="F001",
                section="policy",
                kind="modified",
                path="policy.name_variants",
                summary="Header spelling Tarlatab-m-dlle",
                new=TextValue(text="Tarlatab-m-dlle"),
                new_page=1,
            ),
        ],
        audit=Audit(
            history_summary=HISTORY_2026 + evil,
            claims=claims,
            undocumented=[
                UndocumentedFinding(
                    section="criteria.authorization",
                    message="No claim mentions the authorization duration" + evil,
                    change_ids=["C006"],
                ),
                UndocumentedFinding(
                    section="criteria.initial",
                    message="No claim mentions removing the age criterion",
                    change_ids=["C002"],
                ),
            ],
            unsupported_claims=[
                UnsupportedClaim(
                    claim_id="K4",
                    claim="Updated references accordingly" + evil,
                    message="No change found in references",
                ),
            ],
        ),
    )
    return old, new, cs


@pytest.fixture(scope="module")
def pair() -> tuple[PolicyDocument, PolicyDocument, ChangeSet]:
    return hand_pair()


@pytest.fixture(scope="module")
def html(pair: tuple[PolicyDocument, PolicyDocument, ChangeSet]) -> str:
    return render(pair[2], pair[0], pair[1], "html", generated_at=WHEN)


@pytest.fixture(scope="module")
def md(pair: tuple[PolicyDocument, PolicyDocument, ChangeSet]) -> str:
    return render(pair[2], pair[0], pair[1], "md", generated_at=WHEN)


def parse_html(text: str) -> Any:
    """Parse with lxml's HTML parser without recovery; fail on any parse error."""
    parser = etree.HTMLParser(recover=False)
    root = etree.fromstring(text.encode(), parser)
    errors = [e for e in parser.error_log if e.level >= etree.ErrorLevels.ERROR]
    assert errors == [], errors
    return root


def by_id(root: Any, ident: str) -> Any:
    found = root.xpath(f'//*[@id="{ident}"]')
    assert len(found) == 1, ident
    return found[0]


def text(el: Any) -> str:
    return " ".join("".join(el.itertext()).split())


# ----------------------------------------------------------------------------- HTML


def test_html_title_block_names_both_revisions(html: str) -> None:
    root = parse_html(html)
    head = text(by_id(root, "top"))
    assert "MP-RX-FP-171-25" in head and NAME in head
    for fact in (
        "2025-08-08",
        "2026-05-06",
        "Policy Inception",
        "Annual Review",
        "MP-RX-FP-171-25_2025-08-08_inception.pdf",
        "MP-RX-FP-171-25_2026-05-06_annual-review.pdf",
        SHA_OLD[:12],
        SHA_NEW[:12],
    ):
        assert fact in head, fact
    assert f"Generated 2026-05-07 09:30 UTC by policy-tools {__version__}" in head


def test_html_summary_counts_and_verdict(html: str) -> None:
    root = parse_html(html)
    verdict = text(by_id(root, "verdict"))
    assert verdict == (
        "criteria changed: yes; codes changed: 2 added; unexplained differences: 0; "
        "history: 2 undocumented changes, 1 unsupported claim, 0 unmapped statements"
    )
    rows = {
        text(tr.xpath("th")[0]): [text(td) for td in tr.xpath("td")]
        for tr in by_id(root, "summary").xpath(".//tbody/tr")
    }
    assert rows["Initial approval criteria"] == ["2", "1", "1", "0", "4"]
    assert rows["Codes"] == ["2", "0", "0", "0", "2"]
    # reading order of a policy, not the order of the change set
    assert list(rows)[:3] == [
        "Policy information",
        "Initial approval criteria",
        "Authorization duration",
    ]


def test_audit_panel_follows_summary_and_links_changes(html: str) -> None:
    root = parse_html(html)
    sections = root.xpath("//main/section")
    assert [s.get("id") for s in sections[:2]] == ["summary", "audit"]
    audit = by_id(root, "audit")
    assert "IMDELTRA prescribing information" in text(audit.xpath(".//blockquote")[0])
    assert "new PDF p. 7" in text(audit)
    undocumented = by_id(root, "undocumented")
    links = [a.get("href") for a in undocumented.xpath(".//a")]
    assert links == ["#change-C006", "#change-C002"]
    assert "Initial authorization 6 -> 12 months" in text(undocumented)
    assert "old p. 2 · new p. 3" in text(undocumented)
    unsupported = text(by_id(root, "unsupported"))
    assert "Updated references accordingly" in unsupported and "K4" in unsupported
    # every link points at an element that exists
    ids = set(root.xpath("//@id"))
    for href in root.xpath("//a/@href"):
        assert href.startswith("#") and href[1:] in ids, href


def test_word_level_redline(html: str) -> None:
    root = parse_html(html)
    saline = by_id(root, "change-C010")
    assert [text(d) for d in saline.xpath(".//del")] == ["4 to 5"]
    assert [text(i) for i in saline.xpath(".//ins")] == ["2 to 4"]
    assert "old p. 3 new p. 5" in text(saline)
    labels = text(saline.getparent().getparent())
    assert "Premedication" in labels


def test_criteria_trees_side_by_side_with_marks(html: str) -> None:
    root = parse_html(html)
    section = by_id(root, "section-criteria-initial")
    old_col, new_col = section.xpath('.//div[contains(@class,"tree-col")]')
    # old: AND root with the removed age criterion marked
    assert (
        text(old_col.xpath('.//li[contains(@class,"node")]/div/span[contains(@class,"op")]')[0])
        == "AND"
    )
    removed = old_col.xpath('.//li[contains(@class,"st-removed")]')
    assert next(text(li) for li in removed).startswith("i. Individual is 18 years of age or older")
    # new: OR root, two added AND-branches with their leaves inside them
    new_root = new_col.xpath("./ul/li")[0]
    assert text(new_root.xpath("./div/span")[0]) == "OR"
    branches = new_root.xpath("./ul/li")
    assert [("st-added" in b.get("class")) for b in branches] == [False, True, True]
    assert "limited brain metastases" in text(branches[1])
    assert "extensive brain metastases" in text(branches[2])
    assert "p. 2" in text(branches[1].xpath("./div")[0])
    assert branches[1].xpath('.//a[@href="#change-C004"]')
    modified = new_col.xpath('.//li[contains(@class,"st-modified")]')
    assert len(modified) == 1 and "(Label, NCCN 1)" in text(modified[0])


def test_codes_with_billable_gains(html: str) -> None:
    root = parse_html(html)
    c7a = text(by_id(root, "change-C007"))
    assert "C7A.1" in c7a and "Malignant poorly differentiated neuroendocrine tumors" in c7a
    assert "billable codes gained 1" in c7a.lower() and "new p. 5" in c7a
    assert "C79.31" in text(by_id(root, "change-C008"))


def test_dosing_table_cell_by_cell(html: str) -> None:
    root = parse_html(html)
    table = by_id(root, "section-dosing-schedule").xpath(".//table")[0]
    rows = table.xpath("./tbody/tr")
    assert len(rows) == 2
    cells = rows[1].xpath("./td")
    assert [text(c) for c in cells[:3]] == ["Cycle 2", "Day 1 and 15", "10mg IV"]
    assert [text(i) for i in cells[3].xpath(".//ins")] == ["IMDELLTRA"]
    assert "cell-changed" in cells[3].get("class") and "cell-changed" not in (
        cells[2].get("class") or ""
    )
    assert text(cells[4]).startswith("old p. 2 new p. 4")
    premed = by_id(root, "section-dosing-premedication").xpath(".//tbody/tr")
    assert len(premed) == 1  # the saline row is paired, not shown as removed + added
    assert [text(d) for d in premed[0].xpath(".//del")] == ["4 to 5"]


def test_html_is_self_contained_and_printable(html: str) -> None:
    root = parse_html(html)
    assert root.xpath("//script | //link | //img | //iframe | //object") == []
    assert not root.xpath("//@src") and not root.xpath("//@style")
    style = "".join(root.xpath("//style/text()"))
    assert "@media print" in style and "break-before: page" in style
    assert "url(" not in style and "@import" not in style and "@font-face" not in style
    assert "http" not in html.replace("http-equiv", "")


def test_format_changes_are_listed_apart(html: str) -> None:
    root = parse_html(html)
    layout = by_id(root, "layout")
    assert "Tarlatab-m-dlle" in text(layout)
    assert "F001" not in text(by_id(root, "summary"))


# ----------------------------------------------------------------------------- Markdown


def change_ids_md(md_text: str) -> set[str]:
    return set(re.findall(r"^#### (\S+) · ", md_text, flags=re.M))


def change_ids_html(html_text: str) -> set[str]:
    root = parse_html(html_text)
    return {el.get("id")[len("change-") :] for el in root.xpath('//li[contains(@class,"change ")]')}


def test_markdown_has_the_same_change_ids_as_html(html: str, md: str) -> None:
    expected = {f"C{i:03d}" for i in range(1, 11)} | {"F001"}
    assert change_ids_md(md) == expected
    assert change_ids_html(html) == expected


def test_markdown_facts(md: str) -> None:
    assert md.startswith(f"# Change report: MP-RX-FP-171-25 {md_escape(NAME)}\n")
    assert (
        "**Verdict:** criteria changed: yes; codes changed: 2 added; unexplained differences: 0; "
        "history: 2 undocumented changes, 1 unsupported claim, 0 unmapped statements"
    ) in md
    assert "| Initial approval criteria | 2 | 1 | 1 | 0 | 4 |" in md
    assert "  - C006: Initial authorization 6 -> 12 months" in md
    assert (
        "- Redline (~~old~~ **new**): 1 liter of normal saline intravenously over "
        "~~4 to 5~~ **2 to 4** hours"
    ) in md
    assert "- Billable codes gained (1): C79.31" in md
    assert "    - v. Individual has limited brain metastases" in md
    assert "— *added* C004" in md
    assert "| modified | Cycle 2 | Day 1 and 15 | 10mg IV |" in md
    assert "Generated 2026-05-07 09:30 UTC" in md
    # renders as Markdown: the tables and nested lists survive a real parser
    tokens = MarkdownIt("commonmark").enable("table").enable("strikethrough").parse(md)
    assert sum(t.type == "table_open" for t in tokens) == 5
    assert any(c.type == "s_open" for t in tokens for c in t.children or [])


def test_md_escape() -> None:
    assert md_escape("a*b_c [x](y) <b> | ~z~ & `q` \\") == (
        "a\\*b\\_c \\[x\\](y) \\<b> \\| \\~z\\~ \\& \\`q\\` \\\\"
    )
    assert md_escape("# heading") == "\\# heading"
    assert md_escape("- item") == "\\- item"
    assert md_escape("1. first") == "1\\. first"
    assert md_escape("> quote") == "\\> quote"
    assert md_escape("two\n\n# lines") == "two # lines"
    assert md_escape("C34.00-C34.92 (ES-SCLC)") == "C34.00-C34.92 (ES-SCLC)"


# ----------------------------------------------------------------------------- JSON, misc


def test_json_is_the_change_set(pair: tuple[PolicyDocument, PolicyDocument, ChangeSet]) -> None:
    old, new, cs = pair
    out = render(cs, old, new, "json")
    data = json.loads(out)
    assert data["from"]["effective_date"] == "2025-08-08"
    assert ChangeSet.model_validate(data) == cs
    assert out == render(cs, old, new, "json")


def test_render_is_deterministic_and_time_injectable(
    pair: tuple[PolicyDocument, PolicyDocument, ChangeSet],
) -> None:
    old, new, cs = pair
    for fmt in ("html", "md"):
        first = render(cs, old, new, fmt, generated_at=WHEN)
        assert first == render(cs, old, new, fmt, generated_at=WHEN)
        later = render(cs, old, new, fmt, generated_at=datetime(2027, 1, 1, tzinfo=UTC))
        assert "2027-01-01 00:00 UTC" in later and first != later


def test_unknown_format_is_an_error(pair: tuple[PolicyDocument, PolicyDocument, ChangeSet]) -> None:
    with pytest.raises(PolicyToolsError, match="unknown report format 'pdf'"):
        render(pair[2], pair[0], pair[1], "pdf")


def test_no_changes_report(pair: tuple[PolicyDocument, PolicyDocument, ChangeSet]) -> None:
    old, _new, cs = pair
    empty = ChangeSet(**{"from": cs.from_}, to=cs.from_)
    html_text = render(empty, old, old, "html", generated_at=WHEN)
    root = parse_html(html_text)
    assert text(by_id(root, "verdict")) == (
        "criteria changed: no; codes changed: no; unexplained differences: 0; "
        "history: 0 undocumented changes, 0 unsupported claims, 0 unmapped statements"
    )
    assert "No content changes" in text(by_id(root, "summary"))
    assert "No content changes" in render(empty, old, old, "md", generated_at=WHEN)


# ----------------------------------------------------------------------------- safety

EVIL = ' <script>alert(1)</script> "><img src=x onerror=alert(1)> [x](javascript:alert(1)) *b*'


@pytest.fixture(scope="module")
def evil_pair() -> tuple[PolicyDocument, PolicyDocument, ChangeSet]:
    return hand_pair(EVIL)


def test_pdf_text_cannot_inject_html(
    evil_pair: tuple[PolicyDocument, PolicyDocument, ChangeSet],
) -> None:
    old, new, cs = evil_pair
    out = render(cs, old, new, "html", generated_at=WHEN)
    root = lxml.html.document_fromstring(out)
    assert root.xpath("//script") == [] and root.xpath("//img") == []
    assert (
        root.xpath("//@onerror") == [] and root.xpath("//a[starts-with(@href,'javascript')]") == []
    )
    visible = root.text_content()
    # the payload is shown as text where it occurs: tree leaf, change, code, audit, title
    assert visible.count("<script>alert(1)</script>") >= 6
    assert '"><img src=x onerror=alert(1)>' in visible
    new_tree = by_id(root, "section-criteria-initial").xpath('.//div[contains(@class,"tree-new")]')
    leaf = new_tree[0].xpath('.//li[contains(@class,"st-modified")]')
    assert "<script>alert(1)</script>" in leaf[0].text_content()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out


def test_pdf_text_cannot_inject_markdown_or_html_into_markdown(
    evil_pair: tuple[PolicyDocument, PolicyDocument, ChangeSet],
) -> None:
    old, new, cs = evil_pair
    out = render(cs, old, new, "md", generated_at=WHEN)
    assert re.search(r"(?<!\\)<", out) is None  # every "<" from the PDF is escaped
    assert "\\<script>alert(1)\\</script>" in out
    # rendered by a Markdown engine that passes raw HTML through, still only text
    rendered = MarkdownIt("commonmark", {"html": True}).enable("table").render(out)
    root = lxml.html.document_fromstring(rendered)
    assert root.xpath("//script") == [] and root.xpath("//img") == []
    assert root.xpath("//a") == []  # not even the [x](javascript:...) link
    assert "<script>alert(1)</script>" in root.text_content()
    assert change_ids_md(out) == change_ids_md(render(*hand_pair()[2:], *hand_pair()[:2], "md"))


# ----------------------------------------------------------------------------- files, CLI


@pytest.fixture
def stub_diff(
    monkeypatch: pytest.MonkeyPatch, pair: tuple[PolicyDocument, PolicyDocument, ChangeSet]
) -> None:
    """The diff returns the hand change set (the real diff is tested by its owner)."""
    monkeypatch.setattr("policy_tools.app.diff_documents", lambda old, new: pair[2])


def test_write_reports_writes_three_files(
    tmp_path: Path, stub_diff: None, pair: tuple[PolicyDocument, PolicyDocument, ChangeSet]
) -> None:
    old, new, cs = pair
    paths = write_reports(old, new, tmp_path / "reports", generated_at=WHEN)
    base = tmp_path / "reports" / "MP-RX-FP-171-25"
    assert paths == [base / f"2025-08-08_to_2026-05-06.{ext}" for ext in ("html", "md", "json")]
    assert paths == report_paths(old, new, tmp_path / "reports")
    assert paths[0].read_text() == render(cs, old, new, "html", generated_at=WHEN)
    assert paths[1].read_text() == render(cs, old, new, "md", generated_at=WHEN)
    assert ChangeSet.model_validate_json(paths[2].read_text()) == cs
    assert sorted(p.name for p in base.iterdir()) == sorted(p.name for p in paths)  # no temp files


def test_cli_report_from_files(
    tmp_path: Path, stub_diff: None, pair: tuple[PolicyDocument, PolicyDocument, ChangeSet]
) -> None:
    old, new, _ = pair
    files = []
    for d in (old, new):
        f = tmp_path / f"{d.policy.effective_date}.json"
        f.write_text(d.model_dump_json())
        files.append(str(f))
    out = tmp_path / "r.html"
    result = CliRunner().invoke(cli, ["report", *files, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "criteria changed: yes" in out.read_text()
    result = CliRunner().invoke(cli, ["report", *files, "--format", "md"])
    assert result.exit_code == 0 and result.output.startswith("# Change report: MP-RX-FP-171-25")
    result = CliRunner().invoke(cli, ["report", files[0], str(tmp_path / "missing.json")])
    assert result.exit_code == 2 and "missing.json" in result.output


# ----------------------------------------------------------------------------- real pipeline

GOLDEN = Path(__file__).resolve().parent.parent / "extracted" / "MP-RX-FP-171-25"


@pytest.fixture(scope="module")
def real() -> tuple[PolicyDocument, PolicyDocument, ChangeSet]:
    from policy_tools.compare import diff_documents
    from policy_tools.store.refs import read_revision_file

    old = read_revision_file(GOLDEN / "2025-08-08.json")
    new = read_revision_file(GOLDEN / "2026-05-06.json")
    return old, new, diff_documents(old, new)


def test_real_markdown_and_html_report_the_same_change_ids(
    real: tuple[PolicyDocument, PolicyDocument, ChangeSet],
) -> None:
    old, new, cs = real
    expected = {c.id for c in cs.changes} | {c.id for c in cs.format_changes}
    assert len(expected) > 40
    md_text = render(cs, old, new, "md", generated_at=WHEN)
    assert change_ids_md(md_text) == expected
    assert change_ids_html(render(cs, old, new, "html", generated_at=WHEN)) == expected
    for fact in ("C7A.1", "C79.31", "~~4 to 5~~ **2 to 4**", "Progressive Disease"):
        assert fact in md_text, fact


def test_real_cli_report_from_store_references(
    real: tuple[PolicyDocument, PolicyDocument, ChangeSet],
) -> None:
    store = str(GOLDEN.parent)
    args = ["report", "MP-RX-FP-171-25@inception", "MP-RX-FP-171-25@latest", "--store", store]
    result = CliRunner().invoke(cli, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    assert ChangeSet.model_validate_json(result.output) == real[2]
    result = CliRunner().invoke(cli, [*args, "--format", "html"])
    assert result.exit_code == 0 and "criteria changed: yes" in result.output
    result = CliRunner().invoke(
        cli, ["report", "MP-RX-FP-171-25@1999-01-01", "X@latest", "--store", store]
    )
    assert result.exit_code == 2 and "no revision effective 1999-01-01" in result.output


def test_long_audit_findings_are_capped_and_link_to_their_section(
    pair: tuple[PolicyDocument, PolicyDocument, ChangeSet],
) -> None:
    old, new, _ = pair
    many = [
        Change(
            id=f"C{i:03d}",
            section="sections.preamble",
            kind="modified",
            path=f"s[{i}]",
            location=Location(old_index=[0, i], new_index=[0, i]),
            summary=f"Modified text {i}",
            old=TextValue(text=f"a {i}"),
            new=TextValue(text=f"b {i}"),
            old_page=i,
            new_page=i,
        )
        for i in range(1, 31)
    ]
    cs = ChangeSet(
        **{"from": RevisionInfo(effective_date="2025-05-01")},
        to=RevisionInfo(effective_date="2025-06-01"),
        changes=many,
        audit=Audit(
            undocumented=[
                UndocumentedFinding(
                    section="sections.preamble",
                    message="no history row",
                    change_ids=[c.id for c in many],
                )
            ]
        ),
    )
    root = parse_html(render(cs, old, new, "html", generated_at=WHEN))
    finding = by_id(root, "undocumented")
    assert len(finding.xpath(".//ul[@class='refs']/li")) == 25
    more = finding.xpath(".//p[@class='more']")[0]
    assert text(more) == "… and 5 more changes in Preamble."
    assert more.xpath("./a/@href") == ["#section-sections-preamble"]
    assert text(by_id(root, "verdict")).endswith(
        "30 undocumented changes, 0 unsupported claims, 0 unmapped statements"
    )
    md_text = render(cs, old, new, "md", generated_at=WHEN)
    assert "  - … and 5 more in Preamble" in md_text
    assert change_ids_md(md_text) == {c.id for c in many}


def test_code_range_gains_and_losses_and_unpaired_dosing_rows(
    pair: tuple[PolicyDocument, PolicyDocument, ChangeSet],
) -> None:
    old, new, _ = pair
    lung_old = code("ICD-10-CM", "C34.00-C34.92", "Malignant neoplasm of bronchus and lung", 3)
    lung_new = code("ICD-10-CM", "C34.00-C34.32", "Malignant neoplasm of bronchus and lung", 5)
    cycle3 = DosingRow(
        schedule="Cycle 3 and 4",
        day="Day 1 and 15",
        dose="10mg IV",
        monitoring="Observe patients for 3-4 hours post infusion.",
        page=3,
    )
    cycle5 = DosingRow(
        schedule="Cycle 5 and subsequent infusions",
        day="Day 1 and 15",
        dose="10mg IV",
        monitoring="Observe patients for 2 hours post infusion.",
        page=4,
    )
    old = old.model_copy(update={"codes": [lung_old], "dosing": Dosing(schedule=[cycle3])})
    new = new.model_copy(update={"codes": [lung_new], "dosing": Dosing(schedule=[cycle5])})
    cs = ChangeSet(
        **{"from": RevisionInfo(effective_date="2025-08-08")},
        to=RevisionInfo(effective_date="2026-05-06"),
        changes=[
            Change(
                id="C001",
                section="codes",
                kind="modified",
                path="codes[0]",
                location=Location(old_index=[0], new_index=[0], field="range"),
                summary="ICD-10-CM range narrowed",
                old=code_value(lung_old),
                new=code_value(lung_new),
                old_page=3,
                new_page=5,
                codes_lost=["C34.80", "C34.81", "C34.82", "C34.90", "C34.91", "C34.92"],
                notes=["range C34.00-C34.32 expands to 12 billable codes"],
            ),
            Change(
                id="C002",
                section="dosing.schedule",
                kind="removed",
                path="dosing.schedule[0]",
                location=Location(old_index=[0]),
                summary="Dosing row removed",
                old=row_value(cycle3),
                old_page=3,
            ),
            Change(
                id="C003",
                section="dosing.schedule",
                kind="added",
                path="dosing.schedule[0]",
                location=Location(new_index=[0]),
                summary="Dosing row added",
                new=row_value(cycle5),
                new_page=4,
            ),
        ],
    )
    root = parse_html(render(cs, old, new, "html", generated_at=WHEN))
    lung = by_id(root, "change-C001")
    assert "C34.00-C34.32" in text(lung.xpath(".//p[@class='code-line']")[0])
    assert [text(c) for c in lung.xpath(".//code[contains(@class,'lost')]")] == [
        "C34.80",
        "C34.81",
        "C34.82",
        "C34.90",
        "C34.91",
        "C34.92",
    ]
    assert "billable codes lost 6" in text(lung).lower()
    assert "expands to 12 billable codes" in text(lung)
    assert text(by_id(root, "verdict")).startswith(
        "criteria changed: no; codes changed: 1 modified;"
    )
    rows = by_id(root, "section-dosing-schedule").xpath(".//tbody/tr")
    assert [r.get("class") for r in rows] == ["row st-added", "row st-removed"]
    assert [text(c) for c in rows[0].xpath(".//ins")][:1] == ["Cycle 5 and subsequent infusions"]
    assert [text(c) for c in rows[1].xpath(".//del")][:1] == ["Cycle 3 and 4"]
    assert rows[0].xpath(".//a/@href") == ["#change-C003"]
    assert rows[1].xpath(".//a/@href") == ["#change-C002"]
    md_text = render(cs, old, new, "md", generated_at=WHEN)
    assert "- Billable codes lost (6): C34.80, C34.81, C34.82, C34.90, C34.91, C34.92" in md_text
    assert "| added | **Cycle 5 and subsequent infusions** |" in md_text


def test_redline_folds_short_unchanged_stretches_between_edits() -> None:
    from policy_tools.render.report import WordRun, runs_from_words

    def ops(*pairs: tuple[str, str]) -> list[WordOp]:
        return [WordOp(op=op, text=t) for op, t in pairs]  # type: ignore[arg-type]

    # what difflib makes of "over 4 to 5 hours" -> "over 2 to 4 hours"
    saline = ops(
        ("equal", "over"),
        ("insert", "2 to"),
        ("equal", "4"),
        ("delete", "to 5"),
        ("equal", "hours"),
    )
    assert runs_from_words(saline) == (
        WordRun("equal", "over"),
        WordRun("delete", "4 to 5"),
        WordRun("insert", "2 to 4"),
        WordRun("equal", "hours"),
    )
    # three unchanged words are kept apart; leading/trailing stretches are never folded
    apart = ops(("equal", "a"), ("delete", "b"), ("equal", "c d e"), ("insert", "f"))
    assert runs_from_words(apart) == (
        WordRun("equal", "a"),
        WordRun("delete", "b"),
        WordRun("equal", "c d e"),
        WordRun("insert", "f"),
    )


def test_code_set_findings_are_listed(
    pair: tuple[PolicyDocument, PolicyDocument, ChangeSet],
) -> None:
    from policy_tools.model.changeset import CodeFinding

    old, new, cs = pair
    finding = CodeFinding(
        system="ICD-10-CM",
        code="C34.9",
        page=5,
        problem="not_billable",
        message="C34.9 is a category, not a billable code",
    )
    with_finding = cs.model_copy(update={"code_findings": [finding]})
    root = parse_html(render(with_finding, old, new, "html", generated_at=WHEN))
    row = by_id(root, "code-findings").xpath(".//tbody/tr")[0]
    assert [text(td) for td in row.xpath("td")] == [
        "new",
        "ICD-10-CM C34.9",
        "not billable",
        "C34.9 is a category, not a billable code",
        "new p. 5",
    ]
    md_text = render(with_finding, old, new, "md", generated_at=WHEN)
    assert (
        "| new | ICD-10-CM C34.9 | not billable | C34.9 is a category, not a billable code | 5 |"
        in md_text
    )
    assert "code-findings" not in render(cs, old, new, "html", generated_at=WHEN)
