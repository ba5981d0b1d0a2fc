"""Typeset a policy (an extracted ``PolicyDocument``) back into a PDF with reportlab, in a
layout of its own: other fonts and sizes, margins, indents per list level, bullets drawn
with another glyph, page breaks elsewhere, ruled tables with other column widths.

Tests use it to check that extraction rests on labels, relative indentation and words,
never on one producer's positions: the same content typeset by another producer must
extract to the same structures (``tests/test_producer_robustness.py``). Other tests may
reuse it (the diff of the two extractions, a hostile variant of a policy).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, letter
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from policy_tools.model.policy import Block, PolicyDocument, Section

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
FONT_FILES = {"regular": "DejaVuSerif.ttf", "bold": "DejaVuSerif-Bold.ttf"}


def font_dir() -> Path | None:
    """A folder with a serif TrueType font that prints every character of the policies
    (≥, ☒, ’); None when the machine has none."""
    for d in FONT_DIRS:
        if all((d / f).exists() for f in FONT_FILES.values()):
            return d
    return None


@dataclass(frozen=True)
class Layout:
    """How the policy is typeset: everything another producer could choose differently."""

    pagesize: tuple[float, float] = A4
    margin: float = 88.0  # the canonical PDFs use about 54
    font_size: float = 10.5
    heading_size: float = 13.0
    indent: float = 31.0  # per list level (the canonical PDFs: about 23)
    hang: float = 21.0  # label width of a list item
    bullet: str = "■"  # drawn instead of '•'
    # section keys printed at the top of a new page (breaks fall elsewhere than printed)
    break_before: frozenset[str] = field(
        default_factory=lambda: frozenset({"definitions", "coverage_criteria", "history"})
    )
    column_scale: float = 0.93  # tables narrower than the frame
    keep_rows: int = 12  # shorter tables are kept on one page (longer ones break by row)


def _register(d: Path) -> tuple[str, str]:
    names = ("TSRegular", "TSBold")
    for name, f in zip(names, FONT_FILES.values(), strict=True):
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, str(d / f)))
    return names


def _styles(layout: Layout, regular: str, bold: str) -> dict[str, ParagraphStyle]:
    body = ParagraphStyle(
        "body",
        fontName=regular,
        fontSize=layout.font_size,
        leading=layout.font_size * 1.3,
        spaceAfter=layout.font_size * 0.55,
    )
    return {
        "body": body,
        "heading": ParagraphStyle(
            "heading",
            parent=body,
            fontName=bold,
            fontSize=layout.heading_size,
            spaceBefore=8,
            spaceAfter=6,
        ),
        "connector": ParagraphStyle("connector", parent=body, fontName=bold, alignment=TA_CENTER),
        "cell": ParagraphStyle(
            "cell",
            parent=body,
            fontSize=layout.font_size - 1.5,
            leading=(layout.font_size - 1.5) * 1.25,
            spaceAfter=0,
        ),
    }


def _text(s: str | None) -> str:
    return escape(s or "")


def _item(block: Block, layout: Layout, style: ParagraphStyle) -> Paragraph:
    label = layout.bullet if block.label == "•" else (block.label or "")
    left = layout.hang + layout.indent * block.level
    item_style = ParagraphStyle(
        f"item{block.level}", parent=style, leftIndent=left, firstLineIndent=-layout.hang
    )
    gap = "&nbsp;" * 3
    return Paragraph(f"{_text(label)}{gap}{_text(block.text)}", item_style)


def _table(block: Block, layout: Layout, styles: dict[str, ParagraphStyle], width: float) -> Table:
    rows = block.rows or []
    n = max((len(r) for r in rows), default=1)
    cells = [[Paragraph(_text(c), styles["cell"]) for c in r] + [""] * (n - len(r)) for r in rows]

    def col(i: int) -> list[str]:
        return [r[i] for r in rows if i < len(r)]

    size = styles["cell"].fontSize
    floor = [
        max((len(w) for c in col(i) for w in c.split()), default=4) * size * 0.62 + 14
        for i in range(n)
    ]
    weights = [max(8, min(max((len(c) for c in col(i)), default=8), 400)) ** 0.5 for i in range(n)]
    total = width * layout.column_scale
    spare = max(0.0, total - sum(floor))
    widths = [f + spare * w / sum(weights) for f, w in zip(floor, weights, strict=True)]
    table = Table(cells, colWidths=widths, repeatRows=0, splitInRow=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
            ]
        )
    )
    return table


def _block(block: Block, layout: Layout, styles: dict[str, ParagraphStyle], width: float) -> Any:
    if block.type == "table":
        return _table(block, layout, styles, width)
    if block.type == "list_item":
        return _item(block, layout, styles["body"])
    text = block.text or ""
    if text.strip() in ("AND", "OR"):
        return Paragraph(_text(text), styles["connector"])
    if block.label:
        return _item(block, layout, styles["body"])
    return Paragraph(_text(text), styles["body"])


def _story(
    sections: Iterable[Section], layout: Layout, styles: dict[str, ParagraphStyle], width: float
) -> list[Any]:
    story: list[Any] = []
    for section in sections:
        if section.key in layout.break_before and story:
            story.append(PageBreak())
        if section.title:
            story.append(Paragraph(_text(section.title), styles["heading"]))
        for k, block in enumerate(section.blocks):
            flow = _block(block, layout, styles, width)
            whole = k == 0 or (block.type == "table" and len(block.rows or []) <= layout.keep_rows)
            story.append(KeepTogether([Spacer(1, 2), flow]) if whole else flow)
    return story


def _running(doc: PolicyDocument, regular: str) -> Callable[[Any, Any], None]:
    p = doc.policy
    header = (
        f"Policy Name: {p.name or ''}   Policy Number: {p.number or ''}   "
        f"Effective Date: {_us(p.effective_date)}"
    )

    def draw(canvas: Any, tpl: Any) -> None:
        canvas.saveState()
        canvas.setFont(regular, 8)
        width, height = tpl.pagesize
        canvas.drawString(tpl.leftMargin, height - 40, header)
        canvas.drawRightString(width - tpl.rightMargin, 30, f"Page {tpl.page}")
        canvas.restoreState()

    return draw


def _us(iso: str | None) -> str:
    if not iso:
        return ""
    y, m, d = iso.split("-")
    return f"{int(m)}/{int(d)}/{y}"


def typeset(doc: PolicyDocument, path: Path, layout: Layout | None = None) -> Path:
    """Write ``doc`` as a PDF at ``path`` in ``layout`` (default: another producer's)."""
    layout = layout or Layout()
    d = font_dir()
    if d is None:
        raise RuntimeError("no DejaVu serif font to typeset with")
    regular, bold = _register(d)
    styles = _styles(layout, regular, bold)
    tpl = SimpleDocTemplate(
        str(path),
        pagesize=layout.pagesize,
        leftMargin=layout.margin,
        rightMargin=layout.margin * 0.8,
        topMargin=layout.margin,
        bottomMargin=layout.margin * 0.9,
        title=doc.policy.name or "",
        author="policy-tools tests (reportlab)",
    )
    width = layout.pagesize[0] - tpl.leftMargin - tpl.rightMargin
    draw = _running(doc, regular)
    tpl.build(_story(doc.sections, layout, styles, width), onFirstPage=draw, onLaterPages=draw)
    return path


LETTER_LAYOUT = Layout(
    pagesize=letter,
    margin=60.0,
    font_size=11.5,
    indent=26.0,
    bullet="▪",
    break_before=frozenset({"background", "initial_criteria", "not_covered", "references"}),
)
