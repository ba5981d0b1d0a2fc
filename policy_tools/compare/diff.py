"""Semantic diff of two policy revisions.

Items are matched by *identity and content*, never by position or label:

- codes by (system, code); dosing rows by (schedule, day); premedication rows by
  (day, medication); history rows by (review type, dates); definitions by term;
- references, definitions, criteria nodes/leaves, dosing notes and the sentences of
  generic sections by text similarity (``compare.match.similarity``; thresholds in
  ``Settings.match``);
- rows whose identity key changed (the saline row whose medication text changed) are
  paired in a second pass by the similarity of the whole row.

After matching, both sides become dictionaries keyed by match key and DeepDiff
compares them (pages and labels excluded), so deepdiff decides what differs and this
package decides what a difference *means* (renumbered, moved, OR-branch added, AND
changed to OR, ...).

Text is compared through :func:`policy_tools.text.compare_key`: whitespace, spacing
around punctuation, case, typographic quotes/dashes, trademark signs and trailing list
punctuation do not count. Modified text carries a word-level diff for redlining.

Layout-only differences (section titles of another template, pages, line breaks,
header spellings of the policy name) are never content changes; they go in
``format_changes``.

Each part of a policy is compared by one entry of :data:`SECTION_DIFFS`, in the
reading order of ``model.changeset.SECTION_ORDER``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..history import review_type
from ..model.changeset import (
    ChangeSet,
    RevisionInfo,
    section_rank,
)
from ..model.policy import HistoryEntry, PolicyDocument
from ..settings import SETTINGS
from ..text import clean_text, compare_key
from .audit import audit_documents
from .collect import Collector
from .conserve import check_conservation
from .formulary import diff_formulary
from .indications import diff_indications
from .meta import diff_policy
from .sections import diff_sections
from .tables import code_findings, diff_codes, diff_dosing, diff_rows, diff_texts
from .verdict import headlines

__all__ = ["SECTION_DIFFS", "diff_documents"]

_M = SETTINGS.match
Differ = Callable[[PolicyDocument, PolicyDocument, Collector], None]


@dataclass(frozen=True)
class SectionDiff:
    """One part of a policy and the function that compares it."""

    section: str
    differ: Differ


def _dosing(part: str) -> Differ:
    def differ(old: PolicyDocument, new: PolicyDocument, out: Collector) -> None:
        diff_dosing(old.dosing, new.dosing, out, "dosing", parts=(part,))

    return differ


def _definitions(old: PolicyDocument, new: PolicyDocument, out: Collector) -> None:
    diff_texts(
        out,
        "definitions",
        "definitions",
        old.definitions,
        new.definitions,
        text=lambda d: f"{d.term}: {d.text}",
        noun="definition",
        threshold=_M.text_match,
        key=lambda d: compare_key(d.term),
    )


def _references(old: PolicyDocument, new: PolicyDocument, out: Collector) -> None:
    diff_texts(
        out,
        "references",
        "references",
        old.references,
        new.references,
        text=lambda r: r.text,
        noun="reference",
        threshold=_M.reference_match,
    )


def _history_key(h: HistoryEntry) -> tuple[str, str | None, str | None, str | None]:
    return compare_key(h.review_type), h.pt_approval_date, h.um_approval_date, h.date


def _history(old: PolicyDocument, new: PolicyDocument, out: Collector) -> None:
    diff_rows(
        out,
        "history",
        old.history,
        new.history,
        key=_history_key,
        fields=("review_type", "summary", "pt_approval_date", "um_approval_date", "date"),
        noun="History row",
        describe=lambda h: (
            f"{clean_text(h.review_type or h.summary)[:60]} "
            f"({h.um_approval_date or h.pt_approval_date or h.date or 'undated'})"
        ),
    )


SECTION_DIFFS: tuple[SectionDiff, ...] = (
    SectionDiff("policy", diff_policy),
    SectionDiff("criteria", diff_indications),
    SectionDiff("codes", lambda o, n, out: diff_codes(o.codes, n.codes, out)),
    SectionDiff("dosing.schedule", _dosing("schedule")),
    SectionDiff("dosing.premedication", _dosing("premedication")),
    SectionDiff("dosing.tables", _dosing("tables")),
    SectionDiff("dosing.notes", _dosing("notes")),
    SectionDiff("definitions", _definitions),
    SectionDiff("references", _references),
    SectionDiff("history", _history),
    SectionDiff("formulary", diff_formulary),
    SectionDiff("sections", diff_sections),
)


def revision_info(doc: PolicyDocument) -> RevisionInfo:
    return RevisionInfo(
        policy=doc.policy.number,
        name=doc.policy.name,
        effective_date=doc.policy.effective_date,
        criteria_read=doc.criteria.readable,
        review_type=review_type(doc),
        source_path=doc.source.path,
        sha256=doc.source.sha256,
        pages=doc.source.pages,
    )


def diff_documents(old: PolicyDocument, new: PolicyDocument) -> ChangeSet:
    """The change set OLD -> NEW, with the audit of the history rows between them (pure)."""
    out = Collector()
    for spec in SECTION_DIFFS:
        spec.differ(old, new, out)
    conservation = check_conservation(old, new, out.changes, out.formats)
    found = [*out.changes, *conservation.unexplained]
    ranked = sorted(enumerate(found), key=lambda p: (section_rank(p[1].section), p[0]))
    final = [ch.model_copy(update={"id": f"C{k + 1:03d}"}) for k, (_, ch) in enumerate(ranked)]
    formats = [ch.model_copy(update={"id": f"F{k + 1:03d}"}) for k, ch in enumerate(out.formats)]
    summary: dict[str, dict[str, int]] = {}
    for ch in final:
        summary.setdefault(ch.section, {}).setdefault(ch.kind, 0)
        summary[ch.section][ch.kind] += 1
    cs = ChangeSet(
        **{"from": revision_info(old)},
        to=revision_info(new),
        changes=final,
        format_changes=formats,
        summary={k: dict(sorted(v.items())) for k, v in sorted(summary.items())},
        code_findings=code_findings(new, "new"),
        audit=audit_documents(old, new, final, formats),
        unexplained=conservation.figures.unexplained,
        conservation=conservation.figures,
    )
    cs.headlines = headlines(cs)
    return cs
