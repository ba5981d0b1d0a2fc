"""Shared fixtures: the canonical documents, the real corpus (skips when absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

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
def seed_md() -> Path:
    if not SEED_MD.exists():
        pytest.skip(f"seed Markdown not available at {SEED_MD}")
    return SEED_MD
