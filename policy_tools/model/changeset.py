"""Typed models of the change-set contract (the output of ``diff`` and ``audit``).

The JSON Schema at ``policy_tools/schema/changeset.schema.json`` is generated from
these models and committed.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

CHANGESET_SCHEMA_VERSION = "1.0"

ChangeKind = Literal["added", "removed", "modified", "renumbered", "moved"]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RevisionInfo(Model):
    policy: str | None = None
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


class Change(Model):
    id: str = Field(description="Stable id, e.g. 'C001', unique in the change set.")
    section: str = Field(description="e.g. criteria.initial, codes, dosing.schedule, policy.")
    kind: ChangeKind
    path: str = Field(description="Where in the policy JSON (new side when present).")
    summary: str = Field(default="", description="One line a person can read.")
    detail: str | None = Field(
        default=None,
        description="Logic-level description, e.g. 'OR-branch added', 'AND changed to OR'.",
    )
    old: Any = None
    new: Any = None
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
    id: str
    text: str
    kind: Literal["content", "format", "no_change", "review"] = Field(
        default="content",
        description="format: an administrative/template claim (supported by format changes); "
        "no_change: the summary says nothing changed; review: a review event that states no "
        "change (e.g. 'Annual review'), never unsupported.",
    )
    sections: list[str] = Field(default_factory=list)
    codes: list[str] = Field(default_factory=list)
    change_ids: list[str] = Field(default_factory=list, description="Changes that support it.")


class UndocumentedFinding(Model):
    section: str
    message: str
    change_ids: list[str]


class UnsupportedClaim(Model):
    claim_id: str
    claim: str
    message: str


class Audit(Model):
    history_summary: str | None = Field(
        default=None, description="The newest history row's summary, as printed."
    )
    claims: list[Claim] = Field(default_factory=list)
    undocumented: list[UndocumentedFinding] = Field(default_factory=list)
    unsupported_claims: list[UnsupportedClaim] = Field(default_factory=list)


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

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
