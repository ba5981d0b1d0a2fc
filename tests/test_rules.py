"""One home per rule: the newest history row (review type) read through every consumer -
``versions``, the change set, the report header and the audit - agrees, on the canonical
pair (history printed newest first) and on Cigna IP0660 (printed oldest first)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import GOLDEN_DIR

from policy_tools import app, history
from policy_tools.compare import diff_documents
from policy_tools.model.policy import PolicyDocument
from policy_tools.render.report import build_context
from policy_tools.store.refs import read_revision_file

WHEN = datetime(2026, 1, 1, tzinfo=UTC)


def _consumers(old: PolicyDocument, new: PolicyDocument, store: Path) -> dict[str, object]:
    """The review types and audited row each consumer reports for OLD -> NEW."""
    key = new.policy.number or ""
    store_rows = {r.effective_date: r.review_type for r in app.revisions(key, store).revisions}
    cs = diff_documents(old, new)
    ctx = build_context(cs, old, new, WHEN)
    return {
        "versions": (store_rows[old.policy.effective_date], store_rows[new.policy.effective_date]),
        "changeset": (cs.from_.review_type, cs.to.review_type),
        "report": (ctx.old.review_type, ctx.new.review_type),
        "history": (history.review_type(old), history.review_type(new)),
        "audit": cs.audit.history_summary,
    }


def _stored(docs: list[PolicyDocument], tmp_path: Path) -> Path:
    store = tmp_path / "store"
    for doc in docs:
        folder = store / (doc.policy.number or "x")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{doc.policy.effective_date}.json").write_text(doc.model_dump_json())
    return store


def test_canonical_pair_review_types_agree(tmp_path: Path) -> None:
    old = read_revision_file(GOLDEN_DIR / "2025-08-08.json")
    new = read_revision_file(GOLDEN_DIR / "2026-05-06.json")
    seen = _consumers(old, new, _stored([old, new], tmp_path))
    pair = ("Policy Inception", "Annual Review")
    assert seen["versions"] == seen["changeset"] == seen["report"] == seen["history"] == pair
    newest = history.newest_new_entry(old, new)
    assert newest is not None and seen["audit"] == newest.summary


@pytest.mark.corpus
def test_cigna_history_printed_oldest_first(
    corpus_doc: Callable[[str], PolicyDocument], tmp_path: Path
) -> None:
    old = corpus_doc("cigna_infliximab-iv_ip0660_2026-01-01.pdf")
    new = corpus_doc("cigna_infliximab-iv_ip0660_2026-03-15.pdf")
    seen = _consumers(old, new, _stored([old, new], tmp_path))
    # read off the PDFs: the newest Revision Details row of 2026-01-01 is its 01/01/2026
    # "Early Annual Revision"; 2026-03-15 prints "Selected Revision" for 03/15/2026
    pair = ("Early Annual Revision", "Selected Revision")
    assert seen["versions"] == seen["changeset"] == seen["report"] == seen["history"] == pair
    newest = history.newest_new_entry(old, new)
    assert newest is not None and newest.date == "2026-03-15"
    assert seen["audit"] == newest.summary
