"""Box provenance of the PDF reader (issue 15, reader side): every block carries the box it
was printed in on each page it spans, every table row its own box, and pdfplumber (not our
reader) finds the block's words inside those boxes on the canonical PDFs."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pdfplumber
import pytest
from conftest import PDF_2025, PDF_2026

from policy_tools.extract import read_raw
from policy_tools.extract.blocks import RawBlock
from policy_tools.model.policy import Box

ALNUM = re.compile(r"[^A-Za-z0-9]+")
TOKEN = re.compile(r"[A-Za-z0-9]+")
PAD = 1.0  # points around a box: pdfplumber's word boxes and ours are rounded differently


def _alnum(text: str) -> str:
    return ALNUM.sub("", text)


def words_in(pdf: pdfplumber.PDF, boxes: list[Box]) -> str:
    """The letters and digits of the words pdfplumber finds inside ``boxes``, in order."""
    out = []
    for box in boxes:
        page = pdf.pages[box.page - 1]
        bbox = (
            max(0.0, box.x0 - PAD),
            max(0.0, box.top - PAD),
            min(float(page.width), box.x1 + PAD),
            min(float(page.height), box.bottom + PAD),
        )
        words = page.within_bbox(bbox).extract_words()
        out.append("".join(w["text"] for w in words))
    return _alnum("".join(out))


def tokens_in(pdf: pdfplumber.PDF, box: Box) -> Counter[str]:
    page = pdf.pages[box.page - 1]
    bbox = (box.x0 - PAD, box.top - PAD, box.x1 + PAD, box.bottom + PAD)
    words = page.within_bbox(bbox).extract_words()
    return Counter(t for w in words for t in TOKEN.findall(w["text"]))


def text_blocks(blocks: list[RawBlock]) -> Iterator[RawBlock]:
    yield from (b for b in blocks if b.kind != "table" and b.text.strip())


@pytest.mark.parametrize("source", [PDF_2025, PDF_2026], ids=["2025", "2026"])
def test_every_block_has_one_box_per_page(source: Path) -> None:
    raw, _ = read_raw(source)
    assert raw.blocks
    for block in raw.blocks:
        assert block.boxes, block
        pages = [b.page for b in block.boxes]
        assert pages == sorted(set(pages)), block  # one box per page, in page order
        assert pages[0] == block.page
        for box in block.boxes:
            assert 0 <= box.x0 < box.x1 <= 612 + PAD and 0 <= box.top < box.bottom <= 792 + PAD
        if block.kind == "table":
            assert block.rows is not None and block.row_boxes is not None
            assert len(block.row_boxes) == len(block.rows)
            assert [b.page for b in block.row_boxes] == block.row_pages


@pytest.mark.parametrize("source", [PDF_2025, PDF_2026], ids=["2025", "2026"])
def test_pdfplumber_finds_each_block_inside_its_boxes(source: Path) -> None:
    raw, _ = read_raw(source)
    with pdfplumber.open(source) as pdf:
        checked = 0
        for block in text_blocks(raw.blocks):
            assert block.boxes is not None
            inside = words_in(pdf, block.boxes)
            assert _alnum(block.text) in inside, (block.kind, block.text, block.boxes)
            checked += 1
        assert checked >= 30


@pytest.mark.parametrize("source", [PDF_2025, PDF_2026], ids=["2025", "2026"])
def test_pdfplumber_finds_each_table_row_inside_its_box(source: Path) -> None:
    raw, _ = read_raw(source)
    rows = 0
    with pdfplumber.open(source) as pdf:
        for block in raw.blocks:
            if block.kind != "table":
                continue
            assert block.rows is not None and block.row_boxes is not None
            above: list[Box] = []
            for row, box in zip(block.rows, block.row_boxes, strict=True):
                wanted = Counter(t for cell in row for t in TOKEN.findall(cell))
                own = tokens_in(pdf, box)  # multi-line cells interleave: compare tokens
                assert wanted & own, (row, box)
                # a cell merged down from the row above is filled with that row's text
                above = [b for b in above if b.page == box.page]
                seen = sum((tokens_in(pdf, b) for b in above), own)
                assert not wanted - seen, (row, box, wanted - seen)
                above.append(box)
                rows += 1
    assert rows >= 5


def test_box_is_tight_around_a_heading() -> None:
    """A one-line heading's box is one line high and starts at its first letter."""
    raw, _ = read_raw(PDF_2026)
    heading = next(b for b in raw.blocks if b.kind == "heading" and b.page == 2)
    assert heading.boxes is not None
    (box,) = heading.boxes
    assert box.bottom - box.top < 20
    with pdfplumber.open(PDF_2026) as pdf:
        first = _alnum(heading.text)[:3]
        words = pdf.pages[1].extract_words()
        starts = [w for w in words if _alnum(w["text"]).startswith(first)]
        assert any(abs(w["x0"] - box.x0) < 2 and abs(w["top"] - box.top) < 2 for w in starts)
