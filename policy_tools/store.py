"""The version store: ingest, catalog, listing and viewing of policy revisions."""

from __future__ import annotations

from .refs import load_revision, resolve_ref, resolve_store

__all__ = ["load_revision", "resolve_ref", "resolve_store"]
