"""Typed models that own the policy JSON contract.

The JSON Schema at ``policy_tools/schema/policy.schema.json`` is generated from
these models (``policy-tools schema`` / ``make schema``) and committed.
Every extracted item carries the 1-based ``page`` of the source it came from.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1.0"

SourceFormat = Literal["pdf", "markdown", "html"]
CodeSystem = Literal["ICD-10-CM", "HCPCS", "CPT"]
Op = Literal["AND", "OR"]
BlockType = Literal["paragraph", "list_item", "table"]


class Model(BaseModel):
    """Base: unknown keys are rejected so the schema is the whole contract."""

    model_config = ConfigDict(extra="forbid")


class Source(Model):
    path: str = Field(description="File name of the source document (no directory).")
    sha256: str = Field(description="SHA-256 of the source bytes, hex.")
    format: SourceFormat
    pages: int = Field(ge=0, description="Page count (Markdown/HTML: from repeated page headers).")
    extractor_version: str


class Drug(Model):
    brand: str | None = None
    generic: str | None = None


class ServiceCategory(Model):
    label: str
    checked: bool | None = Field(
        default=None, description="None when the source cannot say (e.g. Markdown lost the box)."
    )


class PolicyMeta(Model):
    number: str | None = None
    name: str | None = Field(default=None, description="Policy name as most pages print it.")
    name_variants: list[str] = Field(
        default_factory=list, description="Every distinct spelling of the name in page headers."
    )
    title: str | None = Field(default=None, description="Document title line, e.g. template name.")
    drug: Drug = Field(default_factory=Drug)
    scope: list[str] = Field(default_factory=list, description="Checked scope / plan labels.")
    line_of_business: str | None = None
    service_categories: list[ServiceCategory] = Field(default_factory=list)
    origination_date: str | None = Field(default=None, description="ISO 8601 date.")
    last_review_date: str | None = Field(default=None, description="ISO 8601 date.")
    effective_date: str | None = Field(default=None, description="ISO 8601 date.")
    revision_frequency: str | None = None
    page: int | None = Field(
        default=None, description="Page the header metadata was read from (the first one)."
    )


class Block(Model):
    type: BlockType
    text: str | None = None
    rows: list[list[str]] | None = None
    label: str | None = None
    level: int = 0
    page: int = Field(description="Page the block starts on.")
    row_pages: list[int] | None = Field(
        default=None,
        exclude_if=lambda v: v is None,  # only tables that span pages carry it
        description="Tables: the page of each row (a table broken across pages is one block).",
    )


class Section(Model):
    key: str = Field(description="Canonical key (aliases of all templates map to one key).")
    title: str = Field(description="Heading as printed.")
    page: int
    blocks: list[Block] = Field(default_factory=list)


class Leaf(Model):
    label: str | None = None
    text: str
    page: int


class Node(Model):
    op: Op
    label: str | None = None
    text: str | None = None
    page: int | None = None
    items: list[Node | Leaf] = Field(default_factory=list)


class Authorization(Model):
    initial_months: int | None = None
    reauthorization_months: int | None = None
    page: int | None = None


class Criteria(Model):
    initial: Node | None = None
    continuation: Node | None = None
    authorization: Authorization = Field(default_factory=Authorization)
    not_covered: Node | None = None


class Code(Model):
    system: CodeSystem
    code: str = Field(description="As printed, e.g. 'C34.00-C34.92'.")
    first: str
    last: str
    description: str | None = None
    page: int


class DosingRow(Model):
    schedule: str
    day: str
    dose: str
    monitoring: str
    page: int


class Premedication(Model):
    day: str
    medication: str
    administration: str
    page: int


class Dosing(Model):
    schedule: list[DosingRow] = Field(default_factory=list)
    premedication: list[Premedication] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


class Definition(Model):
    term: str
    text: str
    page: int


class Reference(Model):
    label: str | None = None
    text: str
    page: int


class HistoryEntry(Model):
    review_type: str
    summary: str
    pt_approval_date: str | None = None
    um_approval_date: str | None = None
    date: str | None = Field(
        default=None,
        description="Date of the entry: ISO date, or YYYY-MM when only month and year are printed.",
    )
    page: int


class Warning(Model):
    code: str
    message: str
    page: int | None = None


class PolicyDocument(Model):
    schema_version: str = SCHEMA_VERSION
    source: Source
    policy: PolicyMeta = Field(default_factory=PolicyMeta)
    sections: list[Section] = Field(default_factory=list)
    criteria: Criteria = Field(default_factory=Criteria)
    codes: list[Code] = Field(default_factory=list)
    dosing: Dosing = Field(default_factory=Dosing)
    definitions: list[Definition] = Field(default_factory=list)
    references: list[Reference] = Field(default_factory=list)
    history: list[HistoryEntry] = Field(default_factory=list)
    warnings: list[Warning] = Field(default_factory=list)


Node.model_rebuild()
