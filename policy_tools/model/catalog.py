"""Typed view of the store catalog (derived data: rebuilt from the revision files)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class CatalogRevision(BaseModel):
    model_config = ConfigDict(extra="ignore")

    effective_date: str
    review_type: str | None = None
    name: str | None = None
    number: str | None = None
    source: str
    sha256: str
    format: str
    pages: int
    extractor_version: str
    coverage: float | None = Field(
        default=None, description="doc.coverage.ratio (None when the body had no words)."
    )
    ingested_at: str | None = None


class CatalogPolicy(BaseModel):
    model_config = ConfigDict(extra="ignore")

    key: str = Field(description="The store key (folder name) of the policy.")
    name: str | None = None
    number: str | None = None
    revisions: list[CatalogRevision] = Field(description="Oldest first.")
    problems: list[str] = Field(
        default_factory=list,
        description="Its revision files that could not be read (named, with the fix).",
    )

    @property
    def latest(self) -> str:
        return self.revisions[-1].effective_date


class Catalog(BaseModel):
    store: str
    policies: list[CatalogPolicy] = Field(default_factory=list, description="Sorted by key.")
    problems: list[str] = Field(
        default_factory=list,
        description="Revision files that could not be read (named, with the fix).",
    )

    def get(self, key: str) -> CatalogPolicy | None:
        return next((p for p in self.policies if p.key == key), None)
