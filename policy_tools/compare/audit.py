"""Audit the newest policy-history summary against the changes really found.

1. The summary of the history row that is new in NEW (not in OLD) is split into
   claims: sentences, then clauses at ';' ("added ICD10 codes C7A.1 and C79.31",
   "updating continuation criteria", "Updated references accordingly", ...).
2. Each claim is mapped to the sections it speaks about through keyword aliases
   (:data:`CLAIM_ALIASES`), and for codes to the exact codes it names.
3. ``undocumented``: content changes in sections no claim mentions (the new history
   row itself and the review dates excepted - every revision changes those).
   ``unsupported_claims``: claims with no matching change (a code said to be added
   that is not among the added codes; a section said to be revised that did not
   change; an administrative/format claim with no layout difference).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from fnmatch import fnmatch

from ..history import newest_new_entry
from ..model.changeset import (
    Audit,
    Change,
    Claim,
    UndocumentedFinding,
    UnsupportedClaim,
)
from ..model.policy import PolicyDocument
from ..text import clean_text, sentences
from ..vocab.claims import CLAIM_ALIASES, FORMAT, NO_CHANGE, REMOVE_VERB, REVIEW_ONLY
from ..vocab.codes import CODE_RANGE_IN_TEXT
from .codesets import normalize_code

__all__ = ["audit_documents", "map_claim", "split_claims"]


_CPT_WORD = re.compile(r"\bCPT\b", re.IGNORECASE)


def split_claims(summary: str) -> list[str]:
    """Sentences, then clauses at ';': the unit a reviewer can check."""
    out: list[str] = []
    for sentence in sentences(summary):
        for clause in re.split(r"\s*;\s*", sentence):
            clause = clause.strip().rstrip(".").strip()
            if len(clause) > 2:
                out.append(clause)
    return out


def map_claim(text: str) -> tuple[list[str], list[str]]:
    """(section patterns, codes named) for one claim."""
    sections: list[str] = []
    for alias in CLAIM_ALIASES:
        if alias.regex.search(text):
            sections.extend(s for s in alias.sections if s not in sections)
    codes = []
    names_cpt = bool(_CPT_WORD.search(text))
    for m in CODE_RANGE_IN_TEXT.finditer(text):
        code = normalize_code(m.group(1))
        if code[0].isdigit() and code[-1].isdigit() and not names_cpt:
            continue  # a bare five-digit number is a CPT code only where the claim says so
        if code not in codes:
            codes.append(code)
    if codes and "codes" not in sections:
        sections.append("codes")
    return sections, codes


def _covers(patterns: list[str], section: str) -> bool:
    return any(fnmatch(section, p) or section == p for p in patterns)


def _exempt(ch: Change) -> bool:
    """Changes every revision makes, never expected in the summary."""
    return ch.section == "history" or (ch.section == "policy" and ch.detail == "date")


def _template_field(ch: Change) -> bool:
    """A header field the new template no longer prints (covered by a format claim)."""
    return ch.section == "policy" and ch.kind == "removed"


@dataclass
class _Context:
    """What every claim of one audit is checked against."""

    changes: list[Change]  # all content changes
    content: list[Change]  # the ones a summary is expected to mention
    format_ids: list[str]
    has_format: bool


def _no_change_claim(cid: str, text: str, ctx: _Context) -> tuple[Claim, str | None]:
    ids = [ch.id for ch in ctx.content]
    problem = None
    if ids:
        more = "..." if len(ids) > 8 else ""
        problem = (
            f"says nothing changed, but {len(ids)} content change(s) were found "
            f"({', '.join(ids[:8])}{more})"
        )
    return Claim(id=cid, text=text, kind="no_change", change_ids=ids), problem


def _code_support(text: str, codes: list[str], ctx: _Context) -> tuple[list[str], list[str]]:
    """(supporting change ids, problems) for the codes a claim names."""
    want = "removed" if REMOVE_VERB.regex.search(text) else "added"
    ids: list[str] = []
    problems: list[str] = []
    for code in codes:
        hits = [
            ch.id for ch in ctx.changes if ch.section == "codes" and _names_code(ch, code, want)
        ]
        if not hits:
            problems.append(f"{code} is not among the {want} codes")
        ids.extend(h for h in hits if h not in ids)
    return ids, problems


def _check_claim(cid: str, text: str, ctx: _Context) -> tuple[Claim, str | None]:
    """One claim with its supporting changes, and why it is unsupported (or None)."""
    sections, codes = map_claim(text)
    if NO_CHANGE.regex.search(text) and not codes:
        return _no_change_claim(cid, text, ctx)
    is_format = sections == [FORMAT]
    content_secs = [s for s in sections if s != FORMAT]
    ids = [ch.id for ch in ctx.content if _covers(content_secs, ch.section)]
    if FORMAT in sections:
        ids += [ch.id for ch in ctx.content if _template_field(ch) and ch.id not in ids]
        ids += ctx.format_ids
    code_ids, problems = _code_support(text, codes, ctx) if codes else ([], [])
    ids.extend(i for i in code_ids if i not in ids)
    review = not sections and bool(REVIEW_ONLY.regex.match(text.strip()))
    kind = "format" if is_format else "review" if review else "content"
    claim = Claim(id=cid, text=text, kind=kind, sections=sections, codes=codes, change_ids=ids)
    if problems:
        return claim, "; ".join(problems)
    if is_format:
        if ctx.has_format:
            return claim, None
        return claim, (
            "claims a format/template change, but no layout difference "
            "(template title, section titles, header spellings) was found"
        )
    if not sections:
        return claim, None if review else (
            "names no policy section the audit recognises; check it by hand"
        )
    return claim, None if ids else f"no change found in {', '.join(content_secs)}"


def audit_documents(
    old: PolicyDocument,
    new: PolicyDocument,
    changes: list[Change],
    format_changes: list[Change] | None = None,
) -> Audit:
    """Claims of NEW's newest history summary vs the change list (pure).

    ``format_changes`` (layout differences of the change set) support a claim of an
    administrative / template change; without them the documents are compared for
    layout differences directly.
    """
    row = newest_new_entry(old, new)
    content = [ch for ch in changes if not _exempt(ch)]
    if row is None or not row.summary.strip():
        return Audit(history_summary=None, undocumented=_undocumented(content, [], none=True))
    format_ids = [ch.id for ch in format_changes or []]
    has_format = bool(format_ids) if format_changes is not None else _format_differs(old, new)
    ctx = _Context(changes, content, format_ids, has_format)
    claims: list[Claim] = []
    unsupported: list[UnsupportedClaim] = []
    for k, text in enumerate(split_claims(row.summary)):
        claim, problem = _check_claim(f"K{k + 1:02d}", text, ctx)
        claims.append(claim)
        if problem:
            unsupported.append(UnsupportedClaim(claim_id=claim.id, claim=text, message=problem))
    mentioned = [s for c in claims for s in c.sections if s != FORMAT]
    any_format = any(FORMAT in c.sections for c in claims)
    quiet = [
        ch
        for ch in content
        if not _covers(mentioned, ch.section) and not (any_format and _template_field(ch))
    ]
    return Audit(
        history_summary=row.summary,
        claims=claims,
        undocumented=_undocumented(quiet, claims, none=False),
        unsupported_claims=unsupported,
    )


def _names_code(ch: Change, code: str, want: str) -> bool:
    if ch.kind not in (want, "modified"):
        return False
    label = ch.new_label if want == "added" else ch.old_label
    gained = ch.codes_gained if want == "added" else ch.codes_lost
    if label and normalize_code(label) == code:
        return ch.kind == want
    return code in {normalize_code(c) for c in gained}


def _format_differs(old: PolicyDocument, new: PolicyDocument) -> bool:
    if clean_text(old.policy.title) != clean_text(new.policy.title):
        return True
    if set(old.policy.name_variants) != set(new.policy.name_variants):
        return True
    titles_o = {s.key: clean_text(s.title) for s in old.sections}
    return any(
        titles_o.get(s.key, clean_text(s.title)) != clean_text(s.title) for s in new.sections
    )


def _undocumented(
    changes: list[Change], claims: list[Claim], *, none: bool
) -> list[UndocumentedFinding]:
    by_section: dict[str, list[Change]] = defaultdict(list)
    for ch in changes:
        by_section[ch.section].append(ch)
    out = []
    for section, items in by_section.items():
        first = "; ".join(ch.summary for ch in items[:3])
        more = f" (+{len(items) - 3} more)" if len(items) > 3 else ""
        why = (
            "no new policy-history row describes this revision"
            if none
            else "no claim of the summary mentions this section"
        )
        out.append(
            UndocumentedFinding(
                section=section,
                message=f"{len(items)} change(s), {why}: {first}{more}",
                change_ids=[ch.id for ch in items],
            )
        )
    return out
