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
from fnmatch import fnmatch
from pathlib import Path

from .changeset import (
    Audit,
    Change,
    ChangeSet,
    Claim,
    UndocumentedFinding,
    UnsupportedClaim,
)
from .codesets import normalize_code
from .models import HistoryEntry, PolicyDocument

__all__ = ["CLAIM_ALIASES", "audit_documents", "audit_view", "map_claim", "split_claims"]

FORMAT = "format"

# (pattern over the claim text, section patterns it speaks about). Section patterns are
# fnmatch patterns over Change.section; generic sections are "sections.<key>".
CLAIM_ALIASES: list[tuple[re.Pattern[str], list[str]]] = [
    (re.compile(p, re.IGNORECASE), secs)
    for p, secs in [
        (
            r"\bbackground|boxed warning|safety warning|adverse reaction|warnings and precaution"
            r"|\bdescription\b|\boverview\b",
            ["sections.*background*", "sections.*description*", "sections.*overview*"],
        ),
        (
            r"FDA approv|approved indication|\bindications?\b|\blabel(?:ed|ing)?\b",
            ["sections.*indication*", "sections.*approved*"],
        ),
        (
            r"compendi|other uses|off-label|NCCN",
            ["sections.*compendi*", "sections.*other_use*", "sections.*uses*"],
        ),
        (
            r"\binitial (?:approval |authorization |coverage )?criteria|initial approval"
            r"|coverage criteria|medical necessity criteria|approval criteria",
            ["criteria.initial", "sections.initial_criteria*", "sections.coverage_criteria*"],
        ),
        (
            r"continuation|renewal|re-?authori[sz]ation criteria|continued therapy",
            ["criteria.continuation", "sections.continuation_criteria*"],
        ),
        (
            r"not covered|investigational|experimental|not medically necessary|exclusion"
            r"|limitations? of coverage",
            ["criteria.not_covered", "sections.not_covered*"],
        ),
        (
            r"authori[sz]ation duration|approval duration|duration of (?:approval|authori[sz]ation)"
            r"|authori[sz]ation period|length of authori[sz]ation",
            ["criteria.authorization"],
        ),
        (
            r"\bdos(?:e|es|ing|age)\b|premedication|pre-medication|concomitant|hydration|infusion"
            r"|monitoring|administration (?:section|instructions)|quantity limit",
            [
                "dosing.*",
                "sections.*dos*",
                "sections.*limit*",
                "sections.*administration*",
                "sections.*quantity*",
            ],
        ),
        (r"\bcod(?:e|es|ing)\b|\bICD|HCPCS|\bCPT\b", ["codes", "sections.*cod*"]),
        (r"\breferences?\b|citation|bibliograph", ["references", "sections.*reference*"]),
        (r"\bdefinitions?\b|\bterms?\b", ["definitions", "sections.*definition*"]),
        (
            r"\bformat(?:ting)?\b|template|administrative|layout|editorial|typograph|grammar",
            [FORMAT],
        ),
        (r"policy history|history table", ["history"]),
    ]
]
NO_CHANGE = re.compile(
    r"\bno (?:content |clinical |criteria |policy )?changes?\b|without changes|no updates",
    re.IGNORECASE,
)
# a review event that states no change ("Annual review", "Ad hoc editorial review")
REVIEW_ONLY = re.compile(
    r"^(?:policy )?(?:annual|ad[- ]hoc|interim|off-cycle|scheduled|periodic)?\s*"
    r"(?:editorial\s+)?review(?:ed)?(?: and approved| completed)?$",
    re.IGNORECASE,
)
# ICD-10-CM (C7A.1, C79.31, C34.00-C34.92) and HCPCS (J9026) codes named in a claim
CODE_RE = re.compile(
    r"\b([A-TV-Z]\d[0-9A-Z](?:\.[0-9A-Z]{1,4})?(?:\s*[-\u2013]\s*[A-TV-Z]\d[0-9A-Z]"
    r"(?:\.[0-9A-Z]{1,4})?)?|[A-V]\d{4})\b"
)
REMOVE_VERB = re.compile(r"\b(?:remov|delet|retir|drop)", re.IGNORECASE)


def split_claims(summary: str) -> list[str]:
    """Sentences, then clauses at ';': the unit a reviewer can check."""
    from .diff import _sentences

    out: list[str] = []
    for sentence in _sentences(summary):
        for clause in re.split(r"\s*;\s*", sentence):
            clause = clause.strip().rstrip(".").strip()
            if len(clause) > 2:
                out.append(clause)
    return out


def map_claim(text: str) -> tuple[list[str], list[str]]:
    """(section patterns, codes named) for one claim."""
    sections: list[str] = []
    for pattern, secs in CLAIM_ALIASES:
        if pattern.search(text):
            sections.extend(s for s in secs if s not in sections)
    codes = []
    for m in CODE_RE.finditer(text):
        code = normalize_code(m.group(1))
        if code not in codes and not code.startswith("ICD"):
            codes.append(code)
    if codes and "codes" not in sections:
        sections.append("codes")
    return sections, codes


def _covers(patterns: list[str], section: str) -> bool:
    return any(fnmatch(section, p) or section == p for p in patterns)


def _date_key(h: HistoryEntry) -> str:
    return max(h.pt_approval_date or "", h.um_approval_date or "", h.date or "")


def newest_new_row(old: PolicyDocument, new: PolicyDocument) -> HistoryEntry | None:
    """The newest history row of NEW that OLD does not have (None when there is none)."""
    from .diff import compare_key

    def key(h: HistoryEntry) -> tuple[str, str | None, str | None, str | None, str]:
        return (
            compare_key(h.review_type),
            h.pt_approval_date,
            h.um_approval_date,
            h.date,
            compare_key(h.summary),
        )

    seen = {key(h) for h in old.history}
    fresh = [(k, h) for k, h in enumerate(new.history) if key(h) not in seen]
    if not fresh:
        return None
    # newest by date; rows are printed newest first, so earlier position wins a tie
    return max(fresh, key=lambda p: (_date_key(p[1]), -p[0]))[1]


def _exempt(ch: Change) -> bool:
    """Changes every revision makes, never expected in the summary."""
    return ch.section == "history" or (ch.section == "policy" and ch.detail == "date")


def _template_field(ch: Change) -> bool:
    """A header field the new template no longer prints (covered by a format claim)."""
    return ch.section == "policy" and ch.kind == "removed"


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
    row = newest_new_row(old, new)
    content = [ch for ch in changes if not _exempt(ch)]
    if row is None or not row.summary.strip():
        return Audit(history_summary=None, undocumented=_undocumented(content, [], none=True))
    claims: list[Claim] = []
    unsupported: list[UnsupportedClaim] = []
    format_ids = [ch.id for ch in format_changes or []]
    has_format = bool(format_ids) if format_changes is not None else _format_differs(old, new)
    for k, text in enumerate(split_claims(row.summary)):
        cid = f"K{k + 1:02d}"
        sections, codes = map_claim(text)
        if NO_CHANGE.search(text) and not codes:
            ids = [ch.id for ch in content]
            claims.append(Claim(id=cid, text=text, kind="no_change", change_ids=ids))
            if ids:
                unsupported.append(
                    UnsupportedClaim(
                        claim_id=cid,
                        claim=text,
                        message=f"says nothing changed, but {len(ids)} content change(s) "
                        f"were found ({', '.join(ids[:8])}{'...' if len(ids) > 8 else ''})",
                    )
                )
            continue
        is_format = sections == [FORMAT]
        content_secs = [s for s in sections if s != FORMAT]
        ids = [ch.id for ch in content if _covers(content_secs, ch.section)]
        if FORMAT in sections:
            ids += [ch.id for ch in content if _template_field(ch) and ch.id not in ids]
            ids += format_ids
        problems: list[str] = []
        if codes:
            removing = bool(REMOVE_VERB.search(text))
            want = "removed" if removing else "added"
            for code in codes:
                hits = [
                    ch.id for ch in changes if ch.section == "codes" and _names_code(ch, code, want)
                ]
                if not hits:
                    problems.append(f"{code} is not among the {want} codes")
                ids.extend(h for h in hits if h not in ids)
        review = not sections and bool(REVIEW_ONLY.match(text.strip()))
        claims.append(
            Claim(
                id=cid,
                text=text,
                kind="format" if is_format else "review" if review else "content",
                sections=sections,
                codes=codes,
                change_ids=ids,
            )
        )
        if problems:
            unsupported.append(
                UnsupportedClaim(claim_id=cid, claim=text, message="; ".join(problems))
            )
        elif is_format:
            if not has_format:
                unsupported.append(
                    UnsupportedClaim(
                        claim_id=cid,
                        claim=text,
                        message="claims a format/template change, but no layout difference "
                        "(template title, section titles, header spellings) was found",
                    )
                )
        elif not sections:
            if not review:
                unsupported.append(
                    UnsupportedClaim(
                        claim_id=cid,
                        claim=text,
                        message="names no policy section the audit recognises; check it by hand",
                    )
                )
        elif not ids:
            unsupported.append(
                UnsupportedClaim(
                    claim_id=cid,
                    claim=text,
                    message=f"no change found in {', '.join(content_secs)}",
                )
            )
    mentioned = [s for c in claims for s in c.sections if s != FORMAT]
    any_format = any(FORMAT in c.sections for c in claims)
    undocumented = _undocumented(
        [
            ch
            for ch in content
            if not _covers(mentioned, ch.section) and not (any_format and _template_field(ch))
        ],
        claims,
        none=False,
    )
    return Audit(
        history_summary=row.summary,
        claims=claims,
        undocumented=undocumented,
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
    from .diff import clean_text

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


def render_audit(cs: ChangeSet) -> str:
    """The audit as readable text (the ``audit`` command's default output)."""
    from .diff import render_audit_lines

    f, t = cs.from_, cs.to
    head = (
        f"policy-tools audit: {f.policy or '?'} {f.effective_date or '?'} -> "
        f"{t.policy or '?'} {t.effective_date or '?'}"
    )
    return "\n".join([head, *render_audit_lines(cs)]) + "\n"


def audit_view(
    old_ref: str, new_ref: str, *, store_dir: Path | str | None = None, fmt: str = "text"
) -> tuple[str, int]:
    """CLI body of ``audit``: (text, 0 when the summary tells the truth, else 1)."""
    from .diff import diff_documents, load_pair
    from .io import dumps

    old, new = load_pair(old_ref, new_ref, store_dir)
    cs = diff_documents(old, new)
    a = cs.audit
    code = 1 if a.undocumented or a.unsupported_claims else 0
    if fmt == "json":
        data = cs.model_dump(
            mode="json", by_alias=True, include={"from_", "to", "audit", "schema_version"}
        )
        return dumps(data), code
    return render_audit(cs), code
