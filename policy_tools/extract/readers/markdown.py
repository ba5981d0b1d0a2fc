"""Markdown reader: Markdown (as PDF converters write it) -> HTML -> RawDocument.

markdown-it-py renders the Markdown (tables enabled, inline HTML such as
``<input checked="" type="checkbox"/>`` passed through); the HTML walker of
``html.py`` then turns it into blocks, so Markdown and HTML share one code path.
Two things converters write are not CommonMark and are normalised first:

- TAB-separated rows (optionally followed by a ``---<TAB>--`` separator row) are
  tables: each run of such lines becomes an HTML ``<table>`` (cells rendered inline);
- nested bullets indented by a single space (`` - a.`` under ``- vii.``) are nested:
  list indentation is rewritten so that deeper-indented items nest under the item above.

markdown-it stops at its block nesting limit (``maxNesting``: lists about 9 levels
deep, or block quotes); what is nested deeper is not rendered, so the reader warns
``nesting_limit`` naming the first line it could not read.
"""

from __future__ import annotations

import re
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

from ...errors import InputError
from ...model.policy import Warning
from ..blocks import RawDocument
from .html import html_to_raw, looks_binary, parse_document, read_bytes

__all__ = ["markdown_to_html", "read_markdown", "render_markdown"]

_FENCE_RE = re.compile(r"^ {0,3}(```|~~~)")
_SEPARATOR_CELL_RE = re.compile(r"^:?-+:?$")
_LIST_RE = re.compile(r"^( *)([-*+]|\d{1,9}[.)])( +|$)")
# blocks whose content sits one level deeper: at the nesting limit that content is lost
_CONTAINERS = frozenset(
    {"list_item_open", "blockquote_open", "bullet_list_open", "ordered_list_open"}
)


def _renderer() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def _is_tab_row(line: str) -> bool:
    """A TAB between cell contents (a leading TAB alone is indentation; a list item or a
    heading with a TAB after its marker is not a row)."""
    if _LIST_RE.match(line.expandtabs(4)) or line.lstrip().startswith("#"):
        return False
    return "\t" in line.lstrip(" \t")


def _is_separator(cells: list[str]) -> bool:
    cells = [c.strip() for c in cells]
    return any(cells) and all(not c or _SEPARATOR_CELL_RE.match(c) for c in cells)


def _tab_table(lines: list[str], md: MarkdownIt) -> str:
    """One run of TAB-separated lines -> a one-line HTML table (rows above a separator: head)."""
    rows = [line.split("\t") for line in lines]
    head: list[list[str]] = []
    body: list[list[str]] = []
    for cells in rows:
        if _is_separator(cells):
            if not head:
                head, body = body, []
            continue
        body.append(cells)

    def render(cells: list[str], tag: str) -> str:
        inner = "".join(f"<{tag}>{md.renderInline(c.strip())}</{tag}>" for c in cells)
        return f"<tr>{inner}</tr>"

    parts = ["<table>"]
    if head:
        parts.append("<thead>" + "".join(render(r, "th") for r in head) + "</thead>")
    if body:
        parts.append("<tbody>" + "".join(render(r, "td") for r in body) + "</tbody>")
    parts.append("</table>")
    return "".join(parts)


def _tables(lines: list[str], md: MarkdownIt) -> list[str]:
    out: list[str] = []
    run: list[str] = []
    fenced = False

    def flush() -> None:
        if run:
            out.extend(["", _tab_table(run, md), ""])
            run.clear()

    for line in lines:
        if _FENCE_RE.match(line):
            fenced = not fenced
        # inside a run, a line led by a TAB is a row whose first cell is empty
        continues = bool(run) and line.startswith("\t") and bool(line.strip())
        if not fenced and (_is_tab_row(line) or continues):
            run.append(line)
            continue
        flush()
        out.append(line)
    flush()
    return out


def _nest_lists(lines: list[str]) -> list[str]:
    """Rewrite list indentation so that any deeper-indented item nests under the one above."""
    out: list[str] = []
    stack: list[tuple[int, int]] = []  # (indent as written, content column as rewritten)
    blank_before = False
    fenced = False
    for line in lines:
        if _FENCE_RE.match(line):
            fenced = not fenced
        if line.startswith("<table>"):
            stack.clear()
        if fenced or line.startswith("<table>"):
            out.append(line)
            continue
        if not line.strip():
            blank_before = True
            out.append(line)
            continue
        expanded = line.expandtabs(4)
        found = _LIST_RE.match(expanded)
        indent = len(expanded) - len(expanded.lstrip(" "))
        if found:
            while stack and stack[-1][0] >= indent:
                stack.pop()
            column = stack[-1][1] if stack else 0
            stack.append((indent, column + len(found.group(2)) + 1))
            out.append(" " * column + expanded[indent:])
        elif blank_before and indent == 0:
            stack.clear()
            out.append(line)
        elif blank_before and stack:  # a continuation paragraph of an item
            while len(stack) > 1 and stack[-1][0] >= indent:
                stack.pop()
            out.append(" " * stack[-1][1] + expanded[indent:])
        else:
            out.append(line)
        blank_before = False
    return out


def _nesting_warning(md: MarkdownIt, tokens: list[Token], lines: list[str]) -> list[Warning]:
    """A warning when markdown-it's nesting limit cut content (naming where)."""
    limit = int(md.options["maxNesting"])
    cut = next(
        (t for t in tokens if t.type in _CONTAINERS and t.level >= limit - 1 and t.map), None
    )
    if cut is None or cut.map is None:
        return []
    line = lines[cut.map[0]].strip() if cut.map[0] < len(lines) else ""
    message = (
        f"Markdown nested deeper than {limit} block levels (lists about {(limit - 2) // 2} "
        f"levels deep, or block quotes): '{line[:60]}' and what is nested in it are not read"
    )
    return [Warning(code="nesting_limit", message=message)]


def render_markdown(text: str) -> tuple[str, list[Warning]]:
    """Render converter-style Markdown to HTML (TAB tables and 1-space nesting
    normalised), with a ``nesting_limit`` warning when content was nested too deep."""
    md = _renderer()
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = _nest_lists(_tables(lines, md))
    tokens = md.parse("\n".join(lines))
    html = str(md.renderer.render(tokens, md.options, {}))
    return html, _nesting_warning(md, tokens, lines)


def markdown_to_html(text: str) -> str:
    """Render converter-style Markdown to HTML (TAB tables and 1-space nesting normalised)."""
    return render_markdown(text)[0]


def read_markdown(path: Path) -> RawDocument:
    """Read a Markdown file into the reader-neutral form."""
    data = read_bytes(path)
    if not data.strip():
        raise InputError(path, "empty file (no content)")
    if looks_binary(data):
        raise InputError(path, "binary data, not a Markdown document")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    rendered, warnings = render_markdown(text)
    root, deep = parse_document(f"<html><body>{rendered}</body></html>")
    raw = html_to_raw(root, "markdown")
    raw.warnings.extend(warnings + deep)
    if not raw.blocks and not raw.headers:
        raise InputError(path, "no text content in the Markdown document")
    return raw
