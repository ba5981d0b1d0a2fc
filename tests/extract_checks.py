"""Checks shared by the extraction tests (canonical, corpus, schema): not a test module.

Everything here is independent of the extractor: JSON-Schema validation with the
``jsonschema`` package against the committed schema file, and reading words straight
from a PDF with pdfplumber.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pdfplumber

from policy_tools.model.policy import Block, Leaf, Node, PolicyDocument

SCHEMA_FILE = (
    Path(__file__).resolve().parent.parent / "policy_tools" / "schema" / "policy.schema.json"
)
TOKEN = re.compile(r"[A-Za-z0-9]+")
RUNNING_PAGE = re.compile(r"\bPage\s+\d+\s+of\s+\d+\b", re.IGNORECASE)


def norm(text: str | None) -> str | None:
    """Whitespace aside: collapse runs of white space, drop a trailing ';' (a connector's)."""
    if text is None:
        return None
    return " ".join(text.split()).rstrip(" ;")


@cache
def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)  # type: ignore[no-any-return]


def schema_errors(data: Any) -> list[str]:
    """Every JSON-Schema violation of ``data`` against the committed policy schema."""
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in _validator().iter_errors(data)
    ]


def assert_valid(doc: PolicyDocument) -> None:
    errors = schema_errors(doc.model_dump(mode="json"))
    assert errors == [], errors[:10]


def iter_blocks(doc: PolicyDocument) -> Iterator[Block]:
    for section in doc.sections:
        yield from section.blocks


def block_text(block: Block) -> str:
    if block.rows is not None:
        return "\n".join(" | ".join(row) for row in block.rows)
    return f"{block.label or ''} {block.text or ''}".strip()


def all_block_text(doc: PolicyDocument) -> str:
    return "\n".join([s.title for s in doc.sections] + [block_text(b) for b in iter_blocks(doc)])


def iter_tree(node: Node | Leaf | None) -> Iterator[Node | Leaf]:
    if node is None:
        return
    yield node
    if isinstance(node, Node):
        for item in node.items:
            yield from iter_tree(item)


def page_problems(doc: PolicyDocument) -> list[str]:
    """Every page number in the document must be within 1..source.pages."""
    n = doc.source.pages
    found: list[tuple[str, int | None]] = []
    for s in doc.sections:
        found.append((f"section {s.title!r}", s.page))
        found.extend((f"block in {s.title!r}", b.page) for b in s.blocks)
    for _, _, root in doc.criteria.trees():
        found.extend(
            (f"criterion {x.label!r}", x.page) for x in iter_tree(root) if isinstance(x, Leaf)
        )
    found.extend((f"code {c.code}", c.page) for c in doc.codes)
    found.extend((f"dosing {r.schedule}/{r.day}", r.page) for r in doc.dosing.schedule)
    found.extend((f"premedication {r.medication}", r.page) for r in doc.dosing.premedication)
    found.extend((f"reference {r.label}", r.page) for r in doc.references)
    found.extend((f"history {h.review_type}", h.page) for h in doc.history)
    return [f"{what}: page {page}" for what, page in found if page is None or not 1 <= page <= n]


def pdf_page_count(path: Path) -> int:
    with pdfplumber.open(path) as pdf:
        return len(pdf.pages)


def pdf_body_tokens(path: Path, skip_header_table: bool) -> set[str]:
    """Lower-cased word tokens of every page; optionally without the repeated header table
    (and the title line above it), which the extractor reads as metadata, not body."""
    tokens: set[str] = set()
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            top = 0.0
            if skip_header_table:
                tables = page.find_tables()
                if tables:
                    top = min(tables, key=lambda t: t.bbox[1]).bbox[3]
            for word in page.extract_words():
                if word["top"] >= top:
                    tokens.update(t.lower() for t in TOKEN.findall(word["text"]))
    return tokens
