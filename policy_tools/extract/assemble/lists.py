"""Definitions and references."""

from __future__ import annotations

from ...model.policy import (
    Definition,
    Reference,
)
from .draft import Draft


def definitions(d: Draft) -> None:
    for _, b in d.blocks("definitions"):
        if b.kind != "list_item" or ":" not in b.text:
            continue
        term, text = b.text.split(":", 1)
        d.definitions.append(
            Definition(term=term.strip(), text=text.strip(), page=b.page, box=b.boxes)
        )
        d.use(b, "definitions")


def references(d: Draft) -> None:
    parent: str | None = None
    for _, b in d.blocks("references"):
        if b.kind != "list_item":
            continue
        label = b.label
        if b.level == 0:
            parent = label
        elif parent and label:
            label = f"{parent}{label}"
        d.references.append(Reference(label=label, text=b.text, page=b.page, box=b.boxes))
        d.use(b, "references")
