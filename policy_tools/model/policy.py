"""Typed models that own the policy JSON contract (policy schema 2.0).

The JSON Schema at ``policy_tools/schema/policy.schema.json`` is generated from
these models (``policy-tools schema`` / ``make schema``) and committed.
Every extracted item carries the 1-based ``page`` of the source it came from, and
(from a PDF) its ``box`` on that page; optional provenance and typed facts are left
out of the JSON when absent, so documents stay readable.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "2.0"

SourceFormat = Literal["pdf", "markdown", "html"]
CodeSystem = Literal["ICD-10-CM", "HCPCS", "CPT"]
Op = Literal["AND", "OR", "N_OF"]
BlockType = Literal["paragraph", "list_item", "table"]


def _absent(value: Any) -> bool:
    """Optional provenance / typed data left out of the JSON when it is not there."""
    return value is None or value == []


class Model(BaseModel):
    """Base: unknown keys are rejected so the schema is the whole contract."""

    model_config = ConfigDict(extra="forbid")


class Box(Model):
    """Where an item was printed: PDF points, origin at the top left of the page."""

    page: int
    x0: float
    top: float
    x1: float
    bottom: float


def BoxField() -> Any:
    return Field(
        default=None,
        exclude_if=_absent,
        description="Boxes on the page(s) it was printed on (PDF sources only); one per page.",
    )


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
    number: str | None = Field(default=None, description="The policy number as printed.")
    series: str | None = Field(
        default=None,
        exclude_if=_absent,
        description="The number without its revision counter (UHC '2024 P 2116-18' -> "
        "'P 2116'): revisions of one policy share it (vocab/identifiers.py).",
    )
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
    box: list[Box] | None = BoxField()


class Section(Model):
    key: str = Field(description="Canonical key (aliases of all templates map to one key).")
    title: str = Field(description="Heading as printed.")
    page: int
    blocks: list[Block] = Field(default_factory=list)


ConditionKind = Literal["age", "duration", "specialty", "code_in_table", "lab", "tried_failed"]
ConditionOp = Literal[">=", ">", "<=", "<", "==", "between", "in", "any_in", "count_in"]


class Condition(Model):
    """A typed fact parsed deterministically from a criterion's text (kept beside it).

    ``fact`` is the snake_case key of the patient data it reads, with its unit
    (``age_years``, ``months_on_therapy``, ``prescriber_specialty``, ``diagnoses``, ...).
    How ``op`` reads the fact: a number compared with ``value`` (``between``: from
    ``value`` to ``upper``, both included); ``in``: a text that is one of ``values``;
    ``any_in``: a list of codes one of which is in the code table of ``system`` (the
    policy's codes as printed in ``values``); ``count_in``: a list of which at least
    ``value`` items are among ``values`` ("tried and failed 2 of ...").
    """

    kind: ConditionKind
    fact: str
    op: ConditionOp
    value: int | float | None = Field(default=None, exclude_if=_absent)
    upper: int | float | None = Field(default=None, exclude_if=_absent)
    values: list[str] = Field(default_factory=list, exclude_if=_absent)
    system: CodeSystem | None = Field(default=None, exclude_if=_absent)
    unit: str | None = Field(default=None, exclude_if=_absent)
    text: str = Field(description="The words of the criterion the condition was read from.")
    rule: str = Field(description="The vocabulary entry (vocab/conditions.py) that read it.")


class Leaf(Model):
    label: str | None = None
    text: str
    page: int
    box: list[Box] | None = BoxField()
    condition: Condition | None = Field(default=None, exclude_if=_absent)
    notes: list[str] = Field(
        default_factory=list,
        exclude_if=_absent,
        description="Notes printed with the criterion ('Note: ...').",
    )


class Node(Model):
    op: Op
    n: int | None = Field(
        default=None, exclude_if=_absent, description="N_OF: how many items must hold."
    )
    label: str | None = None
    text: str | None = None
    page: int | None = None
    box: list[Box] | None = BoxField()
    items: list[Node | Leaf] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list, exclude_if=_absent)


class Authorization(Model):
    initial_months: int | None = None
    reauthorization_months: int | None = None
    page: int | None = None


class Code(Model):
    system: CodeSystem
    code: str = Field(description="As printed, e.g. 'C34.00-C34.92'.")
    first: str
    last: str
    description: str | None = None
    page: int
    box: list[Box] | None = BoxField()


class DosingRow(Model):
    schedule: str
    day: str
    dose: str
    monitoring: str
    page: int
    box: list[Box] | None = BoxField()


class Premedication(Model):
    day: str
    medication: str
    administration: str
    page: int
    box: list[Box] | None = BoxField()


class TableRow(Model):
    cells: dict[str, str] = Field(description="Column as printed -> cell text.")
    page: int
    box: list[Box] | None = BoxField()


class DosingTable(Model):
    """A dosing or dose table of any shape, as printed."""

    title: str | None = None
    page: int
    columns: list[str] = Field(description="Header cells as printed, in order.")
    key: list[str] = Field(description="The columns that identify a row (e.g. Indication).")
    rows: list[TableRow] = Field(default_factory=list)


class Dosing(Model):
    schedule: list[DosingRow] = Field(default_factory=list)
    premedication: list[Premedication] = Field(default_factory=list)
    tables: list[DosingTable] = Field(default_factory=list, exclude_if=_absent)
    notes: list[str] = Field(default_factory=list)


class Indication(Model):
    """One criteria set: the indication it is for, its trees, months and dosing."""

    name: str = Field(description="As printed (a single-indication policy: its subject).")
    page: int | None = None
    box: list[Box] | None = BoxField()
    initial: Node | None = None
    continuation: Node | None = None
    authorization: Authorization = Field(default_factory=Authorization)
    dosing: Dosing = Field(default_factory=Dosing)
    notes: list[str] = Field(default_factory=list)


TreeName = Literal["initial", "continuation", "not_covered"]
INDICATION_TREES: tuple[TreeName, ...] = ("initial", "continuation")


class Criteria(Model):
    indications: list[Indication] = Field(default_factory=list)
    not_covered: Node | None = Field(
        default=None, description="Exclusions that apply to the whole policy."
    )

    def trees(self) -> list[tuple[Indication | None, TreeName, Node]]:
        """Every criteria tree: each indication's initial and continuation, then the
        policy-wide exclusions (indication None)."""
        out: list[tuple[Indication | None, TreeName, Node]] = []
        for ind in self.indications:
            for name in INDICATION_TREES:
                tree = getattr(ind, name)
                if tree is not None:
                    out.append((ind, name, tree))
        if self.not_covered is not None:
            out.append((None, "not_covered", self.not_covered))
        return out

    @property
    def readable(self) -> bool:
        """Was any criteria tree read? (``False``: nothing downstream may pretend.)"""
        return any(ind.initial is not None for ind in self.indications)


class Definition(Model):
    term: str
    text: str
    page: int
    box: list[Box] | None = BoxField()


class Reference(Model):
    label: str | None = None
    text: str
    page: int
    box: list[Box] | None = BoxField()


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
    box: list[Box] | None = BoxField()


class Coverage(Model):
    """How much of the body text was read into structure (never silent)."""

    body_words: int = 0
    structured_words: int = Field(
        default=0, description="Words that ended in criteria, codes, dosing, history, ..."
    )
    by_part: dict[str, int] = Field(
        default_factory=dict, description="Words per part (criteria, codes, ..., generic)."
    )
    ratio: float = Field(default=0.0, description="structured_words / body_words (0-1).")


class QuantityLimit(Model):
    """One limit parsed from a quantity-limit cell ('8 mg: 3/day' -> 3 per 1 day)."""

    quantity: float
    unit: str | None = Field(default=None, description="As printed ('sprayers', 'mL'), if any.")
    days: int | None = Field(
        default=None, description="The period in days ('/day' 1, '/30 days' 30, '/year' 365)."
    )
    per: str | None = Field(
        default=None,
        exclude_if=_absent,
        description="A period that is not a number of days, as printed ('Rx', 'course').",
    )
    strength: str | None = Field(
        default=None, exclude_if=_absent, description="The strength it applies to ('8 mg')."
    )
    text: str = Field(description="The part of the cell it was read from.")


class FormularyCategory(Model):
    """A group of classes (a banner such as 'ANALGESICS') and its criteria, printed once."""

    name: str = Field(description="As printed.")
    page: int
    box: list[Box] | None = BoxField()
    criteria_text: str | None = None


class FormularyClass(Model):
    name: str = Field(description="As printed (a '(continued)' reprint is the same class).")
    category: str | None = Field(default=None, description="The category it is printed under.")
    page: int = Field(description="Page of its title row (its first appearance).")
    box: list[Box] | None = BoxField()
    criteria_text: str | None = Field(
        default=None, description="Class-level criteria and notes, as printed, one per line."
    )
    criteria: Node | None = None


class FormularyDrug(Model):
    name: str = Field(description="As printed (wrapped lines joined).")
    brand: bool | None = Field(
        default=None, description="True when printed with a brand mark (®, ™); None: not printed."
    )
    class_name: str
    status: str | None = Field(
        default=None, description="'preferred', 'non-preferred' or the plan's own mapped legend."
    )
    status_printed: str | None = Field(
        default=None, description="The status cell as printed ('' printed empty; None no column)."
    )
    pa: bool | None = Field(
        default=None,
        description="Prior authorization: the criteria cell has text (criteria or a reference), "
        "a PA marker is printed, or the status requires PA by the legend.",
    )
    pa_text: str | None = Field(default=None, description="The criteria cell, as printed.")
    pa_criteria: Node | None = None
    pa_reference: str | None = Field(
        default=None,
        exclude_if=_absent,
        description="The drug whose criteria the cell refers to ('See X prior authorization').",
    )
    step_therapy: str | None = None
    quantity_limit: str | None = Field(default=None, description="The cell as printed.")
    limits: list[QuantityLimit] = Field(default_factory=list)
    age_limit: str | None = None
    pa_form: str | None = None
    notes: list[str] = Field(
        default_factory=list, exclude_if=_absent, description="Other cells, as 'column: text'."
    )
    page: int = Field(description="Page where the row starts.")
    pages: list[int] = Field(
        default_factory=list,
        exclude_if=lambda v: len(v) < 2,
        description="Every page the row is printed on (a row cut by a page break).",
    )
    box: list[Box] | None = BoxField()


class Formulary(Model):
    """A preferred drug list: its classes and one entry per drug row."""

    columns: list[str] = Field(default_factory=list, description="Header cells as printed.")
    legend: dict[str, str] = Field(
        default_factory=dict, description="Symbols and abbreviations -> meaning, as printed."
    )
    status_codes: dict[str, str] = Field(
        default_factory=dict, description="Printed status value -> status it maps to."
    )
    status_source: str | None = Field(
        default=None,
        description="Where the status legend came from: 'document' or 'vocabulary: <plan>'.",
    )
    effective_date: str | None = Field(default=None, description="From a page banner (ISO).")
    banner: str | None = Field(default=None, description="The banner as printed.")
    categories: list[FormularyCategory] = Field(default_factory=list)
    classes: list[FormularyClass] = Field(default_factory=list)
    drugs: list[FormularyDrug] = Field(default_factory=list)


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
    formulary: Formulary | None = Field(default=None, exclude_if=_absent)
    coverage: Coverage = Field(default_factory=Coverage)
    warnings: list[Warning] = Field(default_factory=list)


Node.model_rebuild()
