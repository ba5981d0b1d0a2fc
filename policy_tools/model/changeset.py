"""Typed models of the change-set contract (the output of ``diff`` and ``audit``).

The JSON Schema at ``policy_tools/schema/changeset.schema.json`` is generated from
these models and committed.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

CHANGESET_SCHEMA_VERSION = "2.0"

ChangeKind = Literal["added", "removed", "modified", "renumbered", "moved", "unexplained"]
TreeName = Literal["initial", "continuation", "not_covered"]

# The sections of a change set in the reading order of a policy, with their titles.
# Generic narrative sections are "sections.<key>" and sit at "sections".
SECTION_TITLES: dict[str, str] = {
    "policy": "Policy information",
    "criteria.indications": "Indications",
    "criteria.initial": "Initial approval criteria",
    "criteria.continuation": "Continuation criteria",
    "criteria.authorization": "Authorization duration",
    "criteria.not_covered": "Conditions not covered",
    "codes": "Codes",
    "dosing.schedule": "Dosing schedule",
    "dosing.premedication": "Premedication",
    "dosing.tables": "Dosing tables",
    "dosing.notes": "Dosing notes",
    "definitions": "Definitions",
    "sections": "Narrative sections",
    "references": "References",
    "history": "Policy history",
    "unexplained": "Unexplained differences",
}
SECTION_ORDER: tuple[str, ...] = tuple(SECTION_TITLES)


def section_rank(section: str) -> tuple[int, str]:
    """Sort key of a change-set section: the reading order above, unknown sections last."""
    for index, key in enumerate(SECTION_ORDER):
        if section == key or section.startswith(key + "."):
            return index, section
    return len(SECTION_ORDER), section


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RevisionInfo(Model):
    policy: str | None = None
    criteria_read: bool = Field(
        default=True,
        description="False when the revision has no structured criteria (Criteria.readable): "
        "the diff, report and audit then say 'criteria could not be read'.",
    )
    name: str | None = None
    effective_date: str | None = None
    review_type: str | None = None
    source_path: str | None = None
    sha256: str | None = None
    pages: int | None = None


class WordOp(Model):
    """One run of a word-level diff: ``equal``, ``delete`` (old only), ``insert`` (new only)."""

    op: Literal["equal", "delete", "insert"]
    text: str


class Location(Model):
    """Where a change sits, on each side, as data (never re-parsed from ``path``)."""

    indication: str | None = Field(
        default=None, description="The indication (as printed, new side when present)."
    )
    tree: TreeName | None = Field(default=None, description="Criteria tree of the change.")
    old_index: list[int] | None = Field(
        default=None,
        description="Old side: criteria - item indexes below the tree root; tables and "
        "lists - [row]; generic sections - [section, block].",
    )
    new_index: list[int] | None = Field(default=None, description="New side, as old_index.")
    row_key: list[str] | None = Field(
        default=None, description="Identity of a table row (code; schedule and day; ...)."
    )
    field: str | None = Field(default=None, description="The attribute or column that changed.")


class TextValue(Model):
    """A text as printed (a criterion, a reference, a sentence, a name)."""

    type: Literal["text"] = "text"
    text: str


class TreeValue(Model):
    """A criteria group as an indented outline ('[AND]' / '[OR]' marks its operator)."""

    type: Literal["tree"] = "tree"
    outline: str


class CodeValue(Model):
    type: Literal["code"] = "code"
    system: str
    code: str
    first: str
    last: str
    description: str | None = None


class Cell(Model):
    name: str
    value: str | None = None


class RowValue(Model):
    """A table row (dosing, premedication, history) as named cells in column order."""

    type: Literal["row"] = "row"
    cells: list[Cell]


class ScalarValue(Model):
    """A single value: a date, a number of months, an operator, a policy number."""

    type: Literal["value"] = "value"
    value: str | int | bool | None = None


class ListValue(Model):
    """A list of short values (scope labels, service categories, header spellings)."""

    type: Literal["list"] = "list"
    items: list[str]


Payload = Annotated[
    TextValue | TreeValue | CodeValue | RowValue | ScalarValue | ListValue,
    Field(discriminator="type"),
]


def payload_text(value: Payload | None) -> str:
    """The words a payload carries, as one plain text (for matching, not for display)."""
    if value is None:
        return ""
    if isinstance(value, TextValue):
        return value.text
    if isinstance(value, TreeValue):
        return value.outline
    if isinstance(value, CodeValue):
        return f"{value.code} {value.description or ''}"
    if isinstance(value, RowValue):
        return " ".join(c.value or "" for c in value.cells)
    if isinstance(value, ListValue):
        return " ".join(value.items)
    return "" if value.value is None else str(value.value)


class Change(Model):
    id: str = Field(description="Stable id, e.g. 'C001', unique in the change set.")
    section: str = Field(description="e.g. criteria.initial, codes, dosing.schedule, policy.")
    kind: ChangeKind
    path: str = Field(description="Where in the policy JSON (new side when present).")
    location: Location = Field(default_factory=Location)
    summary: str = Field(default="", description="One line a person can read.")
    detail: str | None = Field(
        default=None,
        description="Logic-level description, e.g. 'OR-branch added', 'AND changed to OR'.",
    )
    old: Payload | None = None
    new: Payload | None = None
    old_label: str | None = None
    new_label: str | None = None
    old_page: int | None = None
    new_page: int | None = None
    words: list[WordOp] | None = None
    codes_gained: list[str] = Field(default_factory=list, description="Billable codes gained.")
    codes_lost: list[str] = Field(default_factory=list, description="Billable codes lost.")
    notes: list[str] = Field(default_factory=list, description="Code-set findings etc.")


class CodeFinding(Model):
    """A code-set problem with a printed code (ICD-10-CM / HCPCS / CPT)."""

    side: Literal["old", "new"] = "new"
    system: str
    code: str
    page: int | None = None
    problem: Literal["unknown", "not_billable", "covered_by_range"]
    message: str


class Claim(Model):
    """One atomic statement of a history row, mapped and matched to supporting changes."""

    id: str
    text: str
    kind: Literal["content", "format", "no_change", "review", "unmapped"] = Field(
        default="content",
        description="format: an administrative/template claim (supported by format changes); "
        "no_change: the row says nothing changed; review: a review event that states no "
        "change (e.g. 'Annual review'), never unsupported; unmapped: names nothing the "
        "audit recognises.",
    )
    row: int | None = Field(
        default=None, description="Index into Audit.rows: the history row it was read from."
    )
    page: int | None = Field(default=None, description="Page of that row (new revision).")
    sections: list[str] = Field(default_factory=list)
    codes: list[str] = Field(default_factory=list)
    indications: list[str] = Field(
        default_factory=list, description="Indications it names (as printed in the policy)."
    )
    months: list[int] = Field(default_factory=list, description="Durations it names, months.")
    terms: list[str] = Field(
        default_factory=list, description="Criterion words it shares with changed criteria."
    )
    change_ids: list[str] = Field(default_factory=list, description="Changes that support it.")


class HistoryRowRef(Model):
    """A history row whose statements the audit checks."""

    index: int = Field(description="Position in the new revision's history table.")
    review_type: str = ""
    date: str | None = Field(default=None, description="Its latest printed date (ISO form).")
    page: int | None = None
    summary: str


class UndocumentedFinding(Model):
    """Changes no statement of the history rows supports, grouped by indication/section."""

    section: str
    indication: str | None = Field(default=None, description="The indication, when known.")
    count: int = Field(default=0, description="How many changes the group holds.")
    message: str
    change_ids: list[str]


class UnsupportedClaim(Model):
    claim_id: str
    claim: str
    message: str


class UnmappedClaim(Model):
    claim_id: str
    claim: str
    message: str


class Audit(Model):
    history_summary: str | None = Field(
        default=None, description="The newest history row's summary, as printed."
    )
    rows: list[HistoryRowRef] = Field(
        default_factory=list,
        description="Every history row between the two revisions (history.entries_between), "
        "oldest first; each claim cites its own row.",
    )
    claims: list[Claim] = Field(default_factory=list)
    undocumented: list[UndocumentedFinding] = Field(default_factory=list)
    unsupported_claims: list[UnsupportedClaim] = Field(default_factory=list)
    unmapped: list[UnmappedClaim] = Field(
        default_factory=list,
        description="Statements that name nothing the audit recognises (no indication, "
        "criterion, code, months or section): shown apart, never counted as false claims.",
    )


class Conservation(Model):
    """The conservation check of a diff: every word that differs between the two
    revisions' content text is covered by a reported change or a layout difference."""

    old_words: int = Field(default=0, description="Words of the old content text.")
    new_words: int = Field(default=0, description="Words of the new content text.")
    differing_words: int = Field(
        default=0, description="Words a plain word-level diff finds deleted or inserted."
    )
    moved_words: int = Field(
        default=0,
        description="Differing words found again elsewhere or in another order (moved text; "
        "the differ reports a move where it means something).",
    )
    explained_words: int = Field(
        default=0,
        description="Differing words covered by a change, a layout difference or a move.",
    )
    unexplained_words: int = Field(default=0, description="Differing words left over.")
    unexplained: int = Field(
        default=0, description="Changes of kind 'unexplained' carrying the leftover words."
    )


class Headline(Model):
    """One line of the verdict: a consequential change in plain words."""

    rank: int = Field(description="Effect on decisions, most consequential first (0 = top).")
    category: Literal[
        "unexplained", "indication", "criteria", "authorization", "codes", "dosing", "not_read"
    ]
    text: str
    change_ids: list[str] = Field(default_factory=list)


class ChangeSet(Model):
    schema_version: str = CHANGESET_SCHEMA_VERSION
    from_: RevisionInfo = Field(alias="from")
    to: RevisionInfo
    changes: list[Change] = Field(default_factory=list)
    format_changes: list[Change] = Field(
        default_factory=list, description="Layout-only differences (header spellings, titles)."
    )
    summary: dict[str, dict[str, int]] = Field(
        default_factory=dict, description="Counts per section, then per kind."
    )
    code_findings: list[CodeFinding] = Field(
        default_factory=list,
        description="Printed codes of the new revision that do not exist, cover no billable "
        "code, or are already covered by another printed range.",
    )
    audit: Audit = Field(default_factory=Audit)
    unexplained: int = Field(
        default=0, description="Count of 'unexplained' changes (see conservation); 0 is clean."
    )
    conservation: Conservation = Field(default_factory=Conservation)
    headlines: list[Headline] = Field(
        default_factory=list,
        description="The verdict: the most consequential changes in plain words, ranked by "
        "their effect on decisions (indications, criteria, months, codes, dosing).",
    )

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
