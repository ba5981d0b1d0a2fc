"""Shared fixtures: the canonical documents, the real corpus (skips when absent)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from policy_tools.extract import extract_file
from policy_tools.model.policy import PolicyDocument

# a shared 2-core CI machine makes per-example timing meaningless: no deadlines
settings.register_profile("policy-tools", deadline=None)
settings.load_profile("policy-tools")

ROOT = Path(__file__).resolve().parent.parent
SOURCE_PDFS = ROOT / "source_pdfs"
PDF_2025 = SOURCE_PDFS / "MP-RX-FP-171-25_2025-08-08_inception.pdf"
PDF_2026 = SOURCE_PDFS / "MP-RX-FP-171-25_2026-05-06_annual-review.pdf"
GOLDEN_DIR = ROOT / "extracted" / "MP-RX-FP-171-25"
SHARED = Path(os.environ.get("POLICY_TOOLS_SHARED", ROOT.parent / "shared"))
CORPUS = SHARED / "corpus" / "real"
SEED_MD = SHARED / "seed" / "000_aaaa434be15a5c70.txt"


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    if not (CORPUS / "MANIFEST.tsv").exists():
        pytest.skip(f"real corpus not available at {CORPUS}")
    return CORPUS


@pytest.fixture(scope="session")
def corpus_doc(corpus_dir: Path) -> Iterator[Callable[[str], PolicyDocument]]:
    """Extract each corpus file at most once per session (shared by every test module)."""
    cache: dict[str, PolicyDocument] = {}

    def get(name: str) -> PolicyDocument:
        if name not in cache:
            cache[name] = extract_file(corpus_dir / name)
        return cache[name]

    yield get
    cache.clear()


@pytest.fixture(scope="session")
def seed_md() -> Path:
    if not SEED_MD.exists():
        pytest.skip(f"seed Markdown not available at {SEED_MD}")
    return SEED_MD


def value_of(payload: Any) -> Any:
    """The plain value of a change payload: text, outline, scalar, row cells, code, items."""
    from policy_tools.model.changeset import (
        CodeValue,
        ListValue,
        RowValue,
        ScalarValue,
        TextValue,
        TreeValue,
    )

    if payload is None:
        return None
    if isinstance(payload, TextValue):
        return payload.text
    if isinstance(payload, TreeValue):
        return payload.outline
    if isinstance(payload, ScalarValue):
        return payload.value
    if isinstance(payload, ListValue):
        return payload.items
    if isinstance(payload, RowValue):
        return {c.name: c.value for c in payload.cells}
    if isinstance(payload, CodeValue):
        return payload.model_dump(exclude={"type"})
    raise TypeError(type(payload).__name__)


def single(
    initial: Any = None,
    continuation: Any = None,
    authorization: Any = None,
    not_covered: Any = None,
    name: str = "Tarlatamab-dlle (Imdelltra)",
) -> Any:
    """Criteria of a single-indication policy (as the MMM template prints them)."""
    from policy_tools.model.policy import Authorization, Criteria, Indication

    if initial is None and continuation is None and authorization is None:
        return Criteria(not_covered=not_covered)
    ind = Indication(
        name=name,
        initial=initial,
        continuation=continuation,
        authorization=authorization or Authorization(),
    )
    return Criteria(indications=[ind], not_covered=not_covered)


def the(doc: Any) -> Any:
    """The one indication of a single-indication policy."""
    (ind,) = doc.criteria.indications
    return ind
