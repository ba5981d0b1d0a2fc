"""Audit every history row between two revisions against the changes really found.

1. The rows are those of ``history.entries_between`` (all rows dated after the old
   revision and up to the new one; undated rows: those the old table lacks), oldest
   first. Each claim cites its own row and page.
2. Each row's summary is split into atomic statements: sentences, clauses at ';', the
   objects of a "the following ...:" list, and compound statements at a new action verb
   ("revised the X requirement and added a criterion excluding Y" is two).
3. Each statement is mapped by what it names: sections (vocabulary aliases), codes (every
   CPT form, HCPCS, ICD-10-CM), indications (the policy's own names, or a leading
   "Crohn's Disease:" label), durations in months, and content words.
4. It is matched to supporting changes by content: the words it shares with a change's
   text and the text around it (for a criterion, its parent groups and its indication),
   in the direction it says (a removal is supported by removed or modified items).
   A vague statement ("Updated references accordingly") is supported by the changes of
   the sections it names.
5. ``unsupported_claims``: statements that name something but no change supports them;
   ``unmapped``: statements that name nothing recognisable (kept apart, never counted as
   false); ``undocumented``: content changes no statement supports (dates, renumbering,
   the history rows themselves and unexplained words aside), grouped by
   indication/section with counts.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from fnmatch import fnmatch

from ..history import date_key, entries_between, newest_entry
from ..model.changeset import (
    Audit,
    Change,
    Claim,
    HistoryRowRef,
    ScalarValue,
    UndocumentedFinding,
    UnmappedClaim,
    UnsupportedClaim,
    payload_text,
)
from ..model.policy import HistoryEntry, Leaf, Node, PolicyDocument
from ..settings import SETTINGS
from ..text import clean_text, compare_key, sentences, short
from ..vocab.claims import (
    ADD_VERB,
    CLAIM_ALIASES,
    CONTEXT_LABEL,
    CRITERIA_TOPICS,
    DURATION,
    FILLER_WORDS,
    FORMAT,
    LIST_INTRO,
    NO_CHANGE,
    REMOVE_VERB,
    REVIEW_ONLY,
    STATEMENT_BREAK,
)
from ..vocab.codes import CODE_RANGE_IN_TEXT
from .codesets import normalize_code
from .collect import PUNCTUATION_ONLY
from .conserve import words
from .match import similarity

__all__ = ["audit_documents", "map_claim", "split_claims"]

_CPT_WORD = re.compile(r"\bCPT\b", re.IGNORECASE)
_M = SETTINGS.match


# --- statements -------------------------------------------------------------------------


def _compound(clause: str) -> list[str]:
    """A clause split where a new action verb starts a second statement."""
    parts = [p.strip(" ,") for p in STATEMENT_BREAK.regex.split(clause)]
    return [p for p in parts if p]


def split_claims(summary: str) -> list[str]:
    """Atomic statements: sentences, clauses at ';', list objects, compound statements.

    A leading label ("Crohn's Disease:") and a list intro ("the following options of
    approval were removed:") are repeated on every statement they govern.
    """
    out: list[str] = []
    for sentence in sentences(summary):
        intro = LIST_INTRO.regex.match(sentence)
        if intro:
            head = intro.group(1)
            items = re.split(r"\s*;\s*", sentence[intro.end() :])
            out += [f"{head}: {item.strip().rstrip('.')}" for item in items if len(item) > 2]
            continue
        label = CONTEXT_LABEL.regex.match(sentence)
        prefix = f"{label.group(1)}: " if label and not _label_is_clause(label) else ""
        body = sentence[label.end() :] if prefix and label else sentence
        for clause in re.split(r"\s*;\s*", body):
            for part in _compound(clause.strip().rstrip(".").strip()) if clause else []:
                if len(part) > 2:
                    out.append(prefix + part)
    return out


def _label_is_clause(label: re.Match[str]) -> bool:
    """A 'label' of many words is a clause of its own, not a topic."""
    return len(label.group(1).split()) > _M.claim_label_words


def map_claim(text: str) -> tuple[list[str], list[str]]:
    """(section patterns, codes named) for one statement."""
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


def _months(text: str) -> list[int]:
    out = []
    for m in DURATION.regex.finditer(text):
        n = int(m.group(1)) * (12 if m.group(2).lower().startswith("year") else 1)
        if n not in out:
            out.append(n)
    return out


_ACRONYM = re.compile(r"\b[A-Z][A-Z0-9]{1,5}\b")


def _content(text: str) -> set[str]:
    """A statement's own content words (fillers, short words and numbers aside; an
    acronym such as 'FL' or 'MCL' is content however short)."""
    acronyms = {a.lower() for a in _ACRONYM.findall(text)}
    return {
        w
        for w in words(text)
        if (len(w) > 2 or w in acronyms) and w not in FILLER_WORDS and not w.isdigit()
    }


def _weight(shared: set[str], text: str) -> int:
    """Shared words, an acronym counting twice (it names one thing exactly)."""
    acronyms = {a.lower() for a in _ACRONYM.findall(text)}
    return len(shared) + len(shared & acronyms)


# --- what a change is about ---------------------------------------------------------------


def _tree_context(doc: PolicyDocument, ch: Change, chain: list[int] | None) -> list[str]:
    """Texts of the groups a criterion sits in (its parents), and its indication."""
    loc = ch.location
    if chain is None or loc.tree is None:
        return []
    if loc.tree == "not_covered":
        node: Node | Leaf | None = doc.criteria.not_covered
    else:
        inds = [i for i in doc.criteria.indications if i.name == loc.indication]
        inds = inds or (doc.criteria.indications if len(doc.criteria.indications) == 1 else [])
        node = getattr(inds[0], loc.tree) if inds else None
    texts: list[str] = []
    for k in chain[:-1] if chain else []:
        if not isinstance(node, Node) or k >= len(node.items):
            break
        texts.append(node.text or "")
        node = node.items[k]
    if isinstance(node, Node) and chain:  # the parent and the siblings of the criterion
        texts.append(node.text or "")
        texts += [c.text or "" for c in node.items]
    return texts


@dataclass
class _Facts:
    """What one change is about, in words."""

    words: set[str]
    indication: str | None
    months: set[int] = field(default_factory=set)


def _facts(ch: Change, old: PolicyDocument, new: PolicyDocument) -> _Facts:
    texts = [payload_text(ch.old), payload_text(ch.new), ch.location.indication or ""]
    texts += _tree_context(old, ch, ch.location.old_index)
    texts += _tree_context(new, ch, ch.location.new_index)
    months = {
        int(v.value)
        for v in (ch.old, ch.new)
        if isinstance(v, ScalarValue) and isinstance(v.value, int)
    }
    found = {w for t in texts for w in words(t) if len(w) > 2 and w not in FILLER_WORDS}
    durations = months if ch.section == "criteria.authorization" else set()
    return _Facts(found, ch.location.indication, durations)


# --- the audit ------------------------------------------------------------------------------


def _covers(patterns: list[str], section: str) -> bool:
    return any(fnmatch(section, p) or section == p for p in patterns)


def _exempt(ch: Change) -> bool:
    """Changes every revision makes, or that are the layout of a list, never expected in a
    summary: the history rows, the dates, renumbering, punctuation, words the differ left
    unexplained."""
    return (
        ch.section in ("history", "unexplained")
        or (ch.section == "policy" and ch.detail == "date")
        or ch.kind == "renumbered"
        or ch.detail == PUNCTUATION_ONLY
    )


def _template_field(ch: Change) -> bool:
    """A header field the new template no longer prints (covered by a format claim)."""
    return ch.section == "policy" and ch.kind == "removed"


@dataclass
class _Context:
    """What every statement of one audit is checked against."""

    changes: list[Change]  # all content changes
    content: list[Change]  # the ones a summary is expected to mention
    facts: dict[str, _Facts]
    format_ids: list[str]
    has_format: bool
    indications: list[str]
    criteria_read: bool = True
    claimed: set[str] = field(default_factory=set)  # supported by some other statement


def _no_change_claim(claim: Claim, text: str, ctx: _Context) -> tuple[Claim, str | None]:
    """A statement that nothing (in what it names) changed: contradicted by the changes
    in its scope that no other statement of the rows between supports."""
    sections, _ = map_claim(text)
    if any(s.startswith("criteria") for s in sections) and not ctx.criteria_read:
        return claim.model_copy(update={"kind": "unmapped", "sections": sections}), None
    scope = [
        ch
        for ch in ctx.content
        if (not sections or _covers(sections, ch.section)) and ch.id not in ctx.claimed
    ]
    ids = [ch.id for ch in scope]
    claim = claim.model_copy(update={"kind": "no_change", "sections": sections, "change_ids": ids})
    if not ids:
        return claim, None
    more = "..." if len(ids) > 8 else ""
    what = "nothing changed" if not sections else "no change in what it names"
    return claim, (
        f"says {what}, but {len(ids)} content change(s) were found ({', '.join(ids[:8])}{more})"
    )


def _code_support(text: str, codes: list[str], ctx: _Context) -> tuple[list[str], list[str]]:
    """(supporting change ids, problems) for the codes a statement names."""
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


def _named_indications(text: str, ctx: _Context) -> list[str]:
    label = CONTEXT_LABEL.regex.match(text)
    found = [
        name
        for name in ctx.indications
        if compare_key(name) in compare_key(text)
        or (label and similarity(label.group(1), name) >= _M.criteria_match)
    ]
    if not found and label and not _label_is_clause(label):
        found = [label.group(1)]
    return found


def _direction_ok(text: str, ch: Change) -> bool:
    removes, adds = bool(REMOVE_VERB.regex.search(text)), bool(ADD_VERB.regex.search(text))
    if removes and not adds:
        return ch.kind != "added"
    if adds and not removes:
        return ch.kind != "removed"
    return True


def _need(own: set[str]) -> int:
    """Content words a change must share with a statement: two, or half of a long one."""
    return min(len(own), max(_M.claim_shared_words, (len(own) + 1) // 2))


def _content_support(text: str, claim: Claim, ctx: _Context) -> tuple[list[str], set[str]]:
    """Changes sharing enough content words with the statement (and the words shared).

    The statement's own words decide first; a statement that only names its topic
    ("Still's Disease: Removed this condition of approval") is supported by the changes
    of that topic in the direction it says.
    """
    label = CONTEXT_LABEL.regex.match(text)
    topic = _content(label.group(1)) if label and not _label_is_clause(label) else set()
    own = _content(text) - topic
    criteria_topic = any(t in s for s in claim.sections for t in CRITERIA_TOPICS)
    by_words: list[str] = []
    by_topic: list[str] = []
    terms: set[str] = set()
    for ch in ctx.content:
        f = ctx.facts[ch.id]
        if not _direction_ok(text, ch):
            continue
        if claim.months and f.months & set(claim.months):
            by_words.append(ch.id)
            continue
        named = not claim.indications or not f.indication
        named = named or any(
            similarity(f.indication or "", name) >= _M.criteria_match for name in claim.indications
        )
        if not named:
            continue
        shared = own & f.words
        weight = _weight(shared, text)
        in_scope = not claim.sections or _covers(claim.sections, ch.section)
        in_scope = in_scope or (ch.section.startswith("criteria.") and criteria_topic)
        if own and weight >= _need(own) and (in_scope or weight > _need(own)):
            by_words.append(ch.id)
            terms |= shared
        elif topic and (topic <= f.words or f.indication):
            by_topic.append(ch.id)
    if by_words:
        return by_words, terms
    return by_topic, topic if by_topic else set()


def _check_claim(claim: Claim, ctx: _Context) -> tuple[Claim, str | None]:
    """One statement with its supporting changes, and why it is unsupported (or None)."""
    text = claim.text
    sections, codes = map_claim(text)
    if NO_CHANGE.regex.search(text) and not codes:
        return _no_change_claim(claim, text, ctx)
    claim = claim.model_copy(
        update={
            "sections": sections,
            "codes": codes,
            "indications": _named_indications(text, ctx),
            "months": _months(text),
        }
    )
    is_format = sections == [FORMAT]
    content_secs = [s for s in sections if s != FORMAT]
    claim = claim.model_copy(update={"sections": content_secs + ([FORMAT] * (FORMAT in sections))})
    ids, terms = _content_support(text, claim.model_copy(update={"sections": content_secs}), ctx)
    if content_secs:  # the sections it names, whatever else its words match
        ids += [
            ch.id for ch in ctx.content if _covers(content_secs, ch.section) and ch.id not in ids
        ]
    if FORMAT in sections:
        ids += [ch.id for ch in ctx.content if _template_field(ch) and ch.id not in ids]
        ids += ctx.format_ids
    code_ids, problems = _code_support(text, codes, ctx) if codes else ([], [])
    ids.extend(i for i in code_ids if i not in ids)
    named = bool(sections or codes or claim.indications or claim.months or terms)
    review = not sections and bool(REVIEW_ONLY.regex.match(text.strip()))
    kind = "format" if is_format else "review" if review else "content" if named else "unmapped"
    claim = claim.model_copy(update={"kind": kind, "terms": sorted(terms), "change_ids": ids})
    if problems:
        return claim, "; ".join(problems)
    if is_format:
        if ctx.has_format:
            return claim, None
        return claim, (
            "claims a format/template change, but no layout difference "
            "(template title, section titles, header spellings) was found"
        )
    if kind in ("review", "unmapped"):
        return claim, None
    if ids:
        return claim, None
    plain = list(dict.fromkeys(_plain_section(s) for s in content_secs))
    plain = [p for p in plain if not any(p != q and p in q for q in plain)]
    where = ", ".join(plain) or "the policy"
    return claim, f"no change found that matches it in {where}"


def _plain_section(pattern: str) -> str:
    """A section pattern in words: 'sections.*background*' -> 'background'."""
    return pattern.replace("sections.", "").replace("*", "").replace("_", " ").strip(". ")


def _row_ref(k: int, row: HistoryEntry) -> HistoryRowRef:
    return HistoryRowRef(
        index=k,
        review_type=row.review_type,
        date=date_key(row) or None,
        page=row.page,
        summary=row.summary,
    )


def audit_documents(
    old: PolicyDocument,
    new: PolicyDocument,
    changes: list[Change],
    format_changes: list[Change] | None = None,
) -> Audit:
    """Statements of every history row between OLD and NEW vs the change list (pure).

    ``format_changes`` (layout differences of the change set) support a claim of an
    administrative / template change; without them the documents are compared for
    layout differences directly.
    """
    rows = [(k, row) for k, row in entries_between(old, new) if row.summary.strip()]
    content = [ch for ch in changes if not _exempt(ch)]
    if not rows:
        return Audit(history_summary=None, undocumented=_undocumented(content, none=True))
    format_ids = [ch.id for ch in format_changes or []]
    has_format = bool(format_ids) if format_changes is not None else _format_differs(old, new)
    names = list(dict.fromkeys(i.name for d in (new, old) for i in d.criteria.indications))
    facts = {ch.id: _facts(ch, old, new) for ch in content}
    read = old.criteria.readable and new.criteria.readable
    ctx = _Context(changes, content, facts, format_ids, has_format, names, read)
    audit = Audit(rows=[_row_ref(k, row) for k, row in rows])
    statements = [
        Claim(id=f"K{n + 1:02d}", text=text, row=r, page=row.page)
        for n, (r, row, text) in enumerate(
            (r, row, text) for r, (_, row) in enumerate(rows) for text in split_claims(row.summary)
        )
    ]
    checked: dict[str, tuple[Claim, str | None]] = {}
    for claim in statements:  # statements of change first: "no change" ones are judged after
        if not (NO_CHANGE.regex.search(claim.text) and not map_claim(claim.text)[1]):
            checked[claim.id] = _check_claim(claim, ctx)
            ctx.claimed.update(checked[claim.id][0].change_ids)
    for claim in statements:
        checked.setdefault(claim.id, _check_claim(claim, ctx))
    for claim in statements:
        _file(audit, *checked[claim.id])
    documented = {i for c in audit.claims if c.kind != "no_change" for i in c.change_ids}
    any_format = any(c.kind == "format" for c in audit.claims)
    quiet = [
        ch for ch in content if ch.id not in documented and not (any_format and _template_field(ch))
    ]
    newest = newest_entry(new)
    audit.history_summary = newest.summary if newest is not None else rows[-1][1].summary
    audit.undocumented = _undocumented(quiet, none=False)
    return audit


def _file(audit: Audit, claim: Claim, problem: str | None) -> None:
    """A checked statement into the audit: a claim, and unmapped or unsupported."""
    audit.claims.append(claim)
    if claim.kind == "unmapped":
        why = problem or (
            "names no indication, criterion, code, duration or section the audit recognises"
        )
        if any(s.startswith("criteria") for s in claim.sections):
            why = "cannot be checked: criteria could not be read"
        audit.unmapped.append(UnmappedClaim(claim_id=claim.id, claim=claim.text, message=why))
    elif problem:
        audit.unsupported_claims.append(
            UnsupportedClaim(claim_id=claim.id, claim=claim.text, message=problem)
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


def _undocumented(changes: list[Change], *, none: bool) -> list[UndocumentedFinding]:
    """Changes grouped by indication (when known) and section, with counts."""
    groups: dict[tuple[str, str], list[Change]] = defaultdict(list)
    for ch in changes:
        groups[(ch.location.indication or "", ch.section)].append(ch)
    why = (
        "no new policy-history row describes this revision"
        if none
        else "no statement of the history rows supports them"
    )
    out = []
    for (indication, section), items in groups.items():
        first = "; ".join(short(ch.summary, 80) for ch in items[:3])
        more = f" (+{len(items) - 3} more)" if len(items) > 3 else ""
        out.append(
            UndocumentedFinding(
                section=section,
                indication=indication or None,
                count=len(items),
                message=f"{len(items)} change(s), {why}: {first}{more}",
                change_ids=[ch.id for ch in items],
            )
        )
    return out
