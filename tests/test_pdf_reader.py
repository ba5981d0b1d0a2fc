"""PDF reader internals that must equal pdfplumber's own results (the layout rules were
tuned on them): cell texts of ruled tables, on the canonical PDFs and a TennCare page."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pypdfium2 as pdfium
import pytest
from conftest import PDF_2025, PDF_2026
from pdfplumber.table import TableFinder

from policy_tools.extract.readers import pdf_layer
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


@pytest.mark.parametrize("source", [PDF_2025, PDF_2026], ids=["2025", "2026"])
def test_bare_pdfium_calls_equal_the_bindings(
    source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The per-character and per-segment calls made without the binding's argument
    conversion read the same characters and edges as the binding's own functions."""
    doc = pdfium.PdfDocument(source)
    descents = font_descents(source)
    bare = [read_layer(doc, i, 10**6, 10**6, descents) for i in range(len(doc))]
    monkeypatch.setattr(pdf_layer, "_raw", lambda name, restype: None)
    bound = [read_layer(doc, i, 10**6, 10**6, descents) for i in range(len(doc))]
    doc.close()
    assert sum(len(layer.chars) for layer in bare) > 5000
    assert sum(len(layer.edges) for layer in bare) > 50
    for a, b in zip(bare, bound, strict=True):
        assert a.chars == b.chars
        assert a.edges == b.edges
        assert (a.unmapped, a.bullets, a.controls) == (b.unmapped, b.bullets, b.controls)
