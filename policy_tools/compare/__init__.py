"""Comparison stage: two PolicyDocuments become a ChangeSet (diff and audit)."""

from .diff import diff_documents

__all__ = ["diff_documents"]
