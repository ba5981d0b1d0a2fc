"""PDF reader internals that must equal pdfplumber's own results (the layout rules were
tuned on them): cell texts of ruled tables, on the canonical PDFs and a TennCare page."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pypdfium2 as pdfium
import pytest
from conftest import PDF_2025, PDF_2026
from pdfplumber.table import TableFinder

from policy_tools.extract.readers.pdf_layer import read_layer
from policy_tools.extract.readers.pdf_pages import cell_texts
from policy_tools.extract.readers.pdf_streams import font_descents


def _tables(path: Path, pages: range) -> list[object]:
    doc = pdfium.PdfDocument(path)
    found = []
    for index in pages:
        layer = read_layer(doc, index, 10**6, 10**6, font_descents(path))
        page = SimpleNamespace(chars=layer.chars, edges=layer.edges, bbox=layer.bbox)
        found += TableFinder(page).tables  # type: ignore[arg-type]
    doc.close()
    return found


@pytest.mark.parametrize("source", [PDF_2025, PDF_2026], ids=["2025", "2026"])
def test_cell_texts_equal_pdfplumber_extract(source: Path) -> None:
    tables = _tables(source, range(len(pdfium.PdfDocument(source))))
    assert len(tables) >= 3
    for table in tables:
        assert cell_texts(table) == table.extract()  # type: ignore[attr-defined]


def test_cell_texts_on_a_page_long_table(corpus_dir: Path) -> None:
    source = corpus_dir / "tenncare_pdl-clinical-criteria_2025-05-01.pdf"
    tables = _tables(source, range(20, 23))
    assert tables
    for table in tables:
        assert cell_texts(table) == table.extract()  # type: ignore[attr-defined]
