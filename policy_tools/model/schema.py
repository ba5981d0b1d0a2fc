"""Generate the published JSON Schemas from the typed models."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from ..errors import PolicyToolsError
from ..io import atomic_write_text, dumps
from .changeset import ChangeSet
from .policy import PolicyDocument

SCHEMA_DIR = Path(__file__).parent.parent / "schema"
SCHEMAS: dict[str, type[BaseModel]] = {
    "policy.schema.json": PolicyDocument,
    "changeset.schema.json": ChangeSet,
}


def schema_text(name: str) -> str:
    model = SCHEMAS[name]
    schema = model.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://policy-tools.invalid/schema/{name}"
    return dumps(schema)


def write_schemas(check: bool = False) -> str:
    """Write (or with ``check`` verify) every committed schema; returns a report."""
    lines = []
    stale = []
    for name in sorted(SCHEMAS):
        path = SCHEMA_DIR / name
        text = schema_text(name)
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            lines.append(f"{name}: up to date")
        elif check:
            stale.append(name)
        else:
            atomic_write_text(path, text)
            lines.append(f"{name}: written")
    if stale:
        raise PolicyToolsError(
            "schema out of date: " + ", ".join(stale) + " (run: policy-tools schema)"
        )
    return "\n".join(lines) + "\n"
