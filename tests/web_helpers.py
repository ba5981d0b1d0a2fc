"""Shared set-up of the web app tests: a store holding the two canonical revisions (their
committed extraction) with copies of their source PDFs, boxes set by hand, and
``find_change``, which picks a change of a change set by what it is (never by its id:
the diff numbers its changes in its own order, which other work may change).

The hand-set boxes were read off the canonical PDFs (pdfplumber word boxes, PDF points,
top-left origin): 2025 PDF p. 2 "Initial Approval Duration: 6 months" at
x 73.8-226.42, top 312.5-322.5; 2026 PDF p. 3 "Initial Approval Duration: 12 months"
at x 73.8-231.92, top 168.5-178.5.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from conftest import GOLDEN_DIR, PDF_2025, PDF_2026

from policy_tools.io import sha256_file
from policy_tools.model.changeset import Change, ChangeSet
from policy_tools.store import keep_source, rebuild_catalog

POLICY = "MP-RX-FP-171-25"
OLD, NEW = "2025-08-08", "2026-05-06"
COMPARE = f"/policy/{POLICY}/compare/{OLD}...{NEW}"
AUTH_LINES = {
    OLD: (2, "Initial Approval Duration: 6 months", (73.8, 312.5, 226.42, 322.5)),
    NEW: (3, "Initial Approval Duration: 12 months", (73.8, 168.5, 231.92, 178.5)),
}


def canonical_store(folder: Path, *, keep_pdfs: bool = True) -> Path:
    """``folder`` as a store of the two canonical revisions (and their PDFs)."""
    shutil.copytree(GOLDEN_DIR, folder / POLICY)
    rebuild_catalog(folder)
    if keep_pdfs:
        for pdf in (PDF_2025, PDF_2026):
            keep_source(folder, pdf, sha256_file(pdf))
    return folder


def set_boxes(store: Path, date: str, edit: Any) -> None:
    """Edit the stored JSON of ``date`` in place (``edit(data)``): boxes set by hand."""
    path = store / POLICY / f"{date}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")


def box(page: int, x0: float, top: float, x1: float, bottom: float) -> dict[str, Any]:
    return {"page": page, "x0": x0, "top": top, "x1": x1, "bottom": bottom}


def box_authorization_lines(store: Path) -> None:
    """The printed authorization-duration line of each revision gets its box."""
    for date, (page, text, coords) in AUTH_LINES.items():
        the_box = box(page, *coords)
        set_boxes(store, date, lambda data, t=text, b=the_box: _box_block(data, t, b))


def _box_block(data: dict[str, Any], text: str, the_box: dict[str, Any]) -> None:
    """Give the one block printing ``text`` its box."""
    found = 0
    for section in data["sections"]:
        for block in section["blocks"]:
            if (block.get("text") or "").strip() == text:
                block["box"] = [the_box]
                found += 1
    assert found == 1, f"{text!r} found {found} times"


def _changes(where: ChangeSet | Sequence[Change] | Mapping[str, Any]) -> list[Change]:
    if isinstance(where, ChangeSet):
        return list(where.changes)
    if isinstance(where, Mapping):  # a change set as JSON (the compare page's twin)
        return list(ChangeSet.model_validate(where).changes)
    return list(where)


def find_change(
    where: ChangeSet | Sequence[Change] | Mapping[str, Any],
    *,
    section: str | None = None,
    kind: str | None = None,
    summary: str | None = None,
    field: str | None = None,
    tree: str | None = None,
    row_key: Sequence[str] | None = None,
) -> Change:
    """The one change that is what the arguments say: its ``section`` and ``kind``, a
    ``summary`` containing the given words, its location's ``field``, ``tree`` or
    ``row_key``. Fails, listing the candidates, unless exactly one change matches."""
    wanted = {
        "section": section,
        "kind": kind,
        "field": field,
        "tree": tree,
        "row_key": list(row_key) if row_key is not None else None,
    }
    changes = _changes(where)
    found = []
    for c in changes:
        have = {
            "section": c.section,
            "kind": c.kind,
            "field": c.location.field,
            "tree": c.location.tree,
            "row_key": c.location.row_key,
        }
        if any(v is not None and have[k] != v for k, v in wanted.items()):
            continue
        if summary is not None and summary not in c.summary:
            continue
        found.append(c)
    near = found or [c for c in changes if section is None or c.section == section]
    assert len(found) == 1, (
        f"{len(found)} changes are {wanted} with summary {summary!r}; "
        + ("they are: " if found else "the section has: ")
        + "; ".join(f"{c.id} {c.section} {c.kind} {c.summary!r}" for c in near)
    )
    return found[0]
