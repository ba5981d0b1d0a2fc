"""Robust to the producer (issue 11 item 4): the canonical policies typeset again by
another producer (reportlab, ``tests/typeset.py``: other fonts and sizes, margins,
indents, bullet glyphs, page breaks) extract to the same criteria trees, codes, dosing
and history as the PDFs the health plan printed."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import GOLDEN_DIR
from typeset import LETTER_LAYOUT, Layout, font_dir, typeset

from policy_tools.extract import extract_file
from policy_tools.model.policy import Leaf, Node, PolicyDocument

pytestmark = pytest.mark.skipif(font_dir() is None, reason="no DejaVu serif font installed")

LAYOUTS = {"a4-serif-wide-indents": Layout(), "letter-narrow-margins": LETTER_LAYOUT}


def _tree(part: Node | Leaf | None) -> Any:
    """A tree without pages and boxes (another layout puts items on other pages)."""
    if part is None:
        return None
    if isinstance(part, Leaf):
        return ("leaf", part.label, part.text, tuple(part.notes))
    return ("node", part.op, part.n, part.label, part.text, [_tree(i) for i in part.items])


def facts(doc: PolicyDocument) -> dict[str, Any]:
    return {
        "indications": [
            (
                i.name,
                _tree(i.initial),
                _tree(i.continuation),
                i.authorization.initial_months,
                i.authorization.reauthorization_months,
            )
            for i in doc.criteria.indications
        ],
        "not_covered": _tree(doc.criteria.not_covered),
        "codes": [(c.system, c.code, c.first, c.last, c.description) for c in doc.codes],
        "schedule": [(r.schedule, r.day, r.dose, r.monitoring) for r in doc.dosing.schedule],
        "premedication": [
            (r.day, r.medication, r.administration) for r in doc.dosing.premedication
        ],
        "dosing_notes": doc.dosing.notes,
        "history": [
            (h.review_type, h.summary, h.date, h.pt_approval_date, h.um_approval_date)
            for h in doc.history
        ],
    }


@pytest.fixture(scope="module")
def retyped(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], PolicyDocument]:
    out: dict[tuple[str, str], PolicyDocument] = {}
    folder = tmp_path_factory.mktemp("retyped")
    for revision in ("2025-08-08", "2026-05-06"):
        golden = PolicyDocument.model_validate_json(
            (GOLDEN_DIR / f"{revision}.json").read_text(encoding="utf-8")
        )
        for name, layout in LAYOUTS.items():
            pdf = typeset(golden, folder / f"{revision}-{name}.pdf", layout)
            out[(revision, name)] = extract_file(pdf)
    return out


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("revision", ["2025-08-08", "2026-05-06"])
@pytest.mark.parametrize(
    "part",
    ["indications", "not_covered", "codes", "schedule", "premedication", "dosing_notes", "history"],
)
def test_another_producer_gives_the_same_structures(
    retyped: dict[tuple[str, str], PolicyDocument], revision: str, layout: str, part: str
) -> None:
    golden = PolicyDocument.model_validate_json(
        (GOLDEN_DIR / f"{revision}.json").read_text(encoding="utf-8")
    )
    assert facts(retyped[(revision, layout)])[part] == facts(golden)[part]


def test_the_layouts_really_differ(retyped: dict[tuple[str, str], PolicyDocument]) -> None:
    """Not the same PDF again: other page counts, criteria and tables on other pages."""
    golden = PolicyDocument.model_validate_json(
        (GOLDEN_DIR / "2026-05-06.json").read_text(encoding="utf-8")
    )

    def where(doc: PolicyDocument) -> tuple[int, int | None, int, int]:
        ind = doc.criteria.indications[0]
        assert ind.continuation is not None
        return (doc.source.pages, ind.continuation.page, doc.codes[0].page, doc.history[0].page)

    for name in LAYOUTS:
        got = where(retyped[("2026-05-06", name)])
        assert got[0] != golden.source.pages
        assert got != where(golden)
