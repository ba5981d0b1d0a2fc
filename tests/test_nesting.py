"""Deep nesting is a warning (``nesting_limit``) naming where reading stopped, never a
silent loss of levels or text (Markdown lists 10+ levels deep, HTML beyond libxml2's 256
elements)."""

from __future__ import annotations

from pathlib import Path

import pytest

from policy_tools.extract import extract_file


def nested_list(levels: int) -> str:
    items = "\n".join("  " * d + f"- criterion at level {d + 1}" for d in range(levels))
    return (
        f"# Policy\n\nPolicy Number: DEEP-1\n\n## Criteria\n\n{items}\n\n## After\n\nTail text.\n"
    )


@pytest.mark.parametrize(("levels", "warned"), [(9, False), (10, True), (14, True)])
def test_deep_markdown_lists_warn(tmp_path: Path, levels: int, warned: bool) -> None:
    path = tmp_path / "deep.md"
    path.write_text(nested_list(levels), encoding="utf-8")
    doc = extract_file(path)
    found = [w.message for w in doc.warnings if w.code == "nesting_limit"]
    if not warned:
        assert found == []
        return
    assert found == [
        "Markdown nested deeper than 20 block levels (lists about 9 levels deep, or block "
        "quotes): '- criterion at level 10' and what is nested in it are not read"
    ]


def test_deep_html_warns_where_reading_stopped(tmp_path: Path) -> None:
    path = tmp_path / "deep.html"
    body = "<div>" * 300 + "<p>deep text</p>" + "</div>" * 300
    path.write_text(
        f"<html><body><h1>Policy</h1><p>Intro text.</p>\n{body}\n<p>after</p></body></html>",
        encoding="utf-8",
    )
    doc = extract_file(path)
    (warning,) = [w for w in doc.warnings if w.code == "nesting_limit"]
    assert warning.message == (
        "HTML nested deeper than the parser's limit (Excessive depth in document: 256 "
        "elements): reading stopped at line 2; the text from there on is not read"
    )
    shallow = tmp_path / "ok.html"
    shallow.write_text("<html><body>" + "<div>" * 200 + "<p>x</p>" + "</div>" * 200, "utf-8")
    assert [w for w in extract_file(shallow).warnings if w.code == "nesting_limit"] == []
