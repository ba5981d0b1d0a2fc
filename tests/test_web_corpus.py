"""The web app's search on a store of the real payer corpus (read in place from
../shared/corpus/real; skipped when absent).

The store holds the extraction of every corpus PDF but the two 277-page TennCare PDL
editions (about a minute of extraction each; ``benchmarks/bench_serve.py`` runs the same
searches on all 20 PDFs ingested for real). Read off the PDFs with ``pdftotext``:
HCPCS J1745 (infliximab, excludes biosimilar) is printed in the coding table of both
Cigna IP0660 editions (2026-01-01 and 2026-03-15) and in no other corpus PDF.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from policy_tools.io import atomic_write_text, dumps
from policy_tools.model.policy import PolicyDocument
from policy_tools.store import rebuild_catalog, revision_path, storage_key
from policy_tools.web import create_app

pytestmark = pytest.mark.corpus


@pytest.fixture(scope="module")
def corpus_store(
    tmp_path_factory: pytest.TempPathFactory,
    corpus_dir: Path,
    corpus_doc: Callable[[str], PolicyDocument],
) -> Path:
    store = tmp_path_factory.mktemp("corpus-store")
    for pdf in sorted(corpus_dir.glob("*.pdf")):
        if pdf.name.startswith("tenncare_"):
            continue
        doc = corpus_doc(pdf.name)
        key, date, _ = storage_key(doc, pdf)
        target = revision_path(store, key, date)
        if not target.exists():  # the Cigna control pair: same number and date, keep one
            atomic_write_text(target, dumps(doc))
    rebuild_catalog(store)
    return store


def test_j1745_lists_both_ip0660_revisions(corpus_store: Path) -> None:
    http = TestClient(create_app(corpus_store, allowed_hosts=["testserver"]))
    data = http.get("/codes.json", params={"q": "J1745"}).json()
    assert data["system"] == "HCPCS" and data["problem"] is None
    (hit,) = data["policies"]
    assert hit["policy"] == "IP0660"
    assert [r["effective_date"] for r in hit["revisions"]] == ["2026-01-01", "2026-03-15"]
    assert (hit["first_effective"], hit["last_effective"]) == ("2026-01-01", "2026-03-15")
    assert {c["code"] for r in hit["revisions"] for c in r["codes"]} == {"J1745"}
    page = http.get("/codes", params={"q": "J1745"}).text
    assert 'href="/policy/IP0660"' in page


def test_policy_search_by_drug_and_payer(corpus_store: Path) -> None:
    http = TestClient(create_app(corpus_store, allowed_hosts=["testserver"]))
    drug = http.get("/index.json", params={"q": "infliximab"}).json()["policies"]
    assert "IP0660" in [p["policy"] for p in drug]
    payer = http.get("/index.json", params={"q": "cigna"}).json()["policies"]
    assert {"IP0660", "IP0319"} <= {p["policy"] for p in payer}
    assert all(p["policy"].startswith("IP") for p in payer)
