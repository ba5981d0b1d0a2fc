"""Unit and property tests of the shared text helpers and the assembler's pure steps."""

from __future__ import annotations

import calendar
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policy_tools.extract.assemble import Draft
from policy_tools.extract.assemble.criteria import criteria_tree
from policy_tools.extract.assemble.metadata import parse_header_fields
from policy_tools.extract.assemble.sections import match_alias
from policy_tools.extract.blocks import RawBlock, RawDocument
from policy_tools.extract.lines import split_label, strip_trailing_connector
from policy_tools.model.policy import Leaf, Node, Source
from policy_tools.text import join_lines, normalize_space, to_iso_date, to_iso_month_or_date
from policy_tools.vocab.sections import SECTION_ALIASES

dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2099, 12, 31))


@given(dates)
def test_every_printed_date_form_reads_as_the_same_iso_date(d: date) -> None:
    month = calendar.month_name[d.month]
    forms = [
        f"{d.month}/{d.day}/{d.year}",
        f"{d.month:02d}/{d.day:02d}/{d.year}",
        f"{month} {d.day}, {d.year}",
        f"{month[:3]}. {d.day}, {d.year}" if len(month) > 3 else f"{month} {d.day}, {d.year}",
        d.isoformat(),
        f"{d.month:02d}.{d.day:02d}.{d.year}",
        f"Effective Date: {d.month}/{d.day}/{d.year} Frequently Revision: Annual",
    ]
    for text in forms:
        if text.startswith(month[:3] + "."):
            continue  # abbreviated month names are not read (none of our documents print them)
        assert to_iso_date(text) == d.isoformat(), text


@given(dates)
def test_month_and_year_only_gives_a_month(d: date) -> None:
    assert to_iso_month_or_date(f"{calendar.month_name[d.month]} {d.year}") == (
        f"{d.year:04d}-{d.month:02d}"
    )
    assert to_iso_date(f"{calendar.month_name[d.month]} {d.year}") is None


def test_impossible_dates_and_versions_are_not_dates() -> None:
    assert to_iso_date("2/30/2025") is None
    assert to_iso_date("Version 4.2025.") is None
    assert to_iso_date("policy 5.21.169") is None


@given(st.text(alphabet=st.sampled_from("ab -\n\t"), max_size=40))
def test_join_lines_is_idempotent(text: str) -> None:
    once = join_lines(text)
    assert join_lines(once) == once
    assert "\n" not in once


def test_join_lines_keeps_hyphenated_words_and_codes_whole() -> None:
    assert join_lines("Tarlatab-\ndlle (Imdelltra)") == "Tarlatab-dlle (Imdelltra)"
    assert join_lines("MP-RX-\nFP-171-25") == "MP-RX-FP-171-25"
    assert join_lines("to exclude non-\nsupported uses") == "to exclude non-supported uses"
    assert join_lines("over 4\nto 5 hours") == "over 4 to 5 hours"


def test_superscripts_are_marked_once_and_symbols_kept_plain() -> None:
    assert normalize_space("Avsola^™ (x)") == "Avsola™ (x)"
    assert normalize_space("indications:^1^-^3") == "indications:^1-3"
    assert normalize_space("Day 1 ^a") == "Day 1 ^a"


@pytest.mark.parametrize(
    ("line", "label", "body"),
    [
        ("i. Individual is 18 years of age or older; AND", "i.", "Individual is 18 years"),
        ("viii.Individual has extensive brain metastases", "viii.", "Individual has"),
        ("a. Use as first-line therapy", "a.", "Use as first-line"),
        ("A. Criteria For Initial Approval", "A.", "Criteria For Initial"),
        ("6. NCCN Clinical Practice Guidelines", "6.", "NCCN Clinical"),
        ("• Chemotherapy: Medical treatment", "•", "Chemotherapy:"),
        ("b) Pathogenic variant(s) in both copies", "b)", "Pathogenic variant"),
    ],
)
def test_list_labels(line: str, label: str, body: str) -> None:
    got_label, got_body = split_label(line)
    assert got_label == label
    assert got_body.startswith(body)


@pytest.mark.parametrize(
    "line",
    ["U.S. National Library of Medicine", "e.g. small asymptomatic", "18 years of age", "OR"],
)
def test_text_that_is_not_a_list_label(line: str) -> None:
    assert split_label(line)[0] is None


@given(
    st.text(alphabet=st.sampled_from("abcdefgh ()-"), min_size=3, max_size=30).filter(
        lambda t: t.strip() != ""
    ),
    st.sampled_from(["AND", "OR"]),
    st.sampled_from(["; ", " ", ", "]),
)
def test_trailing_connector_is_split_off(text: str, word: str, sep: str) -> None:
    body, conn = strip_trailing_connector(f"{text}{sep}{word}")
    assert conn == word
    assert body == strip_trailing_connector(text)[0]


def test_every_alias_of_every_template_maps_to_its_key() -> None:
    for key, aliases in SECTION_ALIASES.items():
        for entry in aliases:
            alias = entry.text
            assert match_alias(alias) == key, alias
            assert match_alias(f"{alias}:") == key, alias
            assert match_alias(f"B. {alias} (note)") == key, alias
    assert match_alias("Tarlatab-dlle (Imdelltra®)") is None
    assert match_alias("Renewal Criteria 1-16") == "continuation_criteria"


def test_header_fields_of_both_templates() -> None:
    new = parse_header_fields(
        "Policy Name: Tarlatab-m-dlle (Imdelltra) Policy Number: MP-RX-FP-171-25 Scope: ☒ MMM MA"
        " ☒ MMM MultiHealth Origination Date: 8/8/2025 Last Review Date: 5/6/2026 Effective"
        " Date: 5/6/2026 Frequently Revision: Annual"
    )
    assert new == {
        "policy name": "Tarlatab-m-dlle (Imdelltra)",
        "policy number": "MP-RX-FP-171-25",
        "scope": "☒ MMM MA ☒ MMM MultiHealth",
        "origination date": "8/8/2025",
        "last review date": "5/6/2026",
        "effective date": "5/6/2026",
        "revision frequency": "Annual",
    }
    old = parse_header_fields(
        "Revision Frequency: Annual Line of Business: Medicare Part B Effective Date: 8/8/2025"
    )
    assert old["line of business"] == "Medicare Part B"
    assert old["revision frequency"] == "Annual"


def _item(label: str, text: str, level: int = 0, conn: str | None = None) -> RawBlock:
    return RawBlock(kind="list_item", text=text, page=2, label=label, level=level, connector=conn)  # type: ignore[arg-type]


def _draft() -> Draft:
    source = Source(path="x.pdf", sha256="0" * 64, format="pdf", pages=1, extractor_version="t")
    return Draft(raw=RawDocument(format="pdf", pages=1), source=source)


def test_or_lines_split_branches_and_one_of_lists_nest() -> None:
    blocks = [
        RawBlock(kind="paragraph", text="Approved if the following criteria are met:", page=2),
        _item("i.", "A", conn="AND"),
        _item("ii.", "B"),
        RawBlock(kind="connector", text="OR", page=2, connector="OR"),
        _item("iii.", "C", conn="AND"),
        _item("iv.", "Individual meets one of the following:"),
        _item("a.", "D", level=1, conn="OR"),
        _item("b.", "E", level=1),
    ]
    tree = criteria_tree(blocks, _draft(), "initial_criteria")
    assert tree is not None
    assert tree.op == "OR"
    assert tree.text == "Approved if the following criteria are met:"
    first, second = tree.items
    assert isinstance(first, Node) and first.op == "AND"
    assert [leaf.label for leaf in first.items if isinstance(leaf, Leaf)] == ["i.", "ii."]
    assert isinstance(second, Node) and second.op == "AND"
    one_of = second.items[1]
    assert isinstance(one_of, Node)
    assert (one_of.op, one_of.label, one_of.text) == (
        "OR",
        "iv.",
        "Individual meets one of the following:",
    )
    assert [c.text for c in one_of.items if isinstance(c, Leaf)] == ["D", "E"]


def test_a_list_without_connectors_is_an_and_unless_it_says_one_of() -> None:
    all_of = criteria_tree([_item("1.", "A"), _item("2.", "B")], _draft(), "x")
    assert all_of is not None and all_of.op == "AND"
    one_of = criteria_tree(
        [
            RawBlock(kind="paragraph", text="Patient meets ONE of the following:", page=1),
            _item("1.", "A"),
            _item("2.", "B"),
        ],
        _draft(),
        "x",
    )
    assert one_of is not None and one_of.op == "OR"
    assert (
        criteria_tree([RawBlock(kind="paragraph", text="No list.", page=1)], _draft(), "x") is None
    )
