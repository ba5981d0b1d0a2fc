"""The conservation check: nothing a plain word-level diff sees is lost.

Both revisions' content text (every section title, paragraph, list item and table row,
in reading order; the running page furniture the readers already took out, page-number
remnants and the documents' own metadata dates aside) is compared word by word:

1. blocks are aligned as units (difflib over the blocks' words), so reflowed or
   re-paginated text lines up again below;
2. a block that only moved (the same words elsewhere, in another order or another
   section) is not a difference of words; its move is the differ's to report;
3. inside each region that differs, a word-level diff gives the deleted and inserted
   words.

Every differing word must be covered by a reported change (its old or new payload, its
word runs, its labels) or a layout difference naming it. What is left over becomes one
change of kind ``unexplained`` per region, carrying the words, so a change the differ
dropped is never silent.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..model.changeset import (
    Change,
    Conservation,
    Location,
    TextValue,
    WordOp,
    payload_text,
)
from ..model.policy import PolicyDocument
from ..settings import SETTINGS
from ..text import MONTHS
from .match import words
from .sections import PAGE_REMNANT, date_pattern

__all__ = ["ConservationResult", "check_conservation", "date_forms", "words"]

_DIGIT = re.compile(r"\d")
_ISO = re.compile(r"\b(\d{4})-(\d{2})(?:-(\d{2}))?\b")
_MONTH_NAMES = {v: k for k, v in MONTHS.items()}


@dataclass(frozen=True)
class _Unit:
    """One block (or a section title, or a table row) of a document's content text."""

    part: str  # section key
    section: int
    block: int | None  # None: the section's title
    page: int
    tokens: tuple[str, ...]
    soft: frozenset[int] = frozenset()  # positions of words a merged cell repeats


def _units(doc: PolicyDocument, other: PolicyDocument) -> list[_Unit]:
    """Content units of ``doc``; the metadata dates of both revisions are left out (their
    changes are the policy fields' to report)."""
    patterns = [p for p in (date_pattern(doc), date_pattern(other)) if p is not None]
    years = _years(doc) | _years(other)  # every printed form of those dates holds one

    def tokens(text: str | None) -> tuple[str, ...]:
        t = text or ""
        if ("age" in t or "AGE" in t) and _DIGIT.search(t):  # "Page 6 of 7"
            t = PAGE_REMNANT.sub(" ", t)
        if any(y in t for y in years):
            for pattern in patterns:
                t = pattern.sub(" ", t)
        return tuple(words(t))

    out: list[_Unit] = []
    for si, sec in enumerate(doc.sections):
        out.append(_Unit(sec.key, si, None, sec.page, tokens(sec.title)))
        for bi, b in enumerate(sec.blocks):
            if b.type != "table":
                out.append(_Unit(sec.key, si, bi, b.page, tokens(b.text)))
                continue
            above: dict[int, tuple[str, ...]] = {}
            for r, row in enumerate(b.rows or []):
                page = b.row_pages[r] if b.row_pages and r < len(b.row_pages) else b.page
                # a cell repeating the one above is a merged cell a reader may fill down
                # or not: its words are soft (their presence or absence is layout)
                flat: list[str] = []
                soft: set[int] = set()
                for k, cell in enumerate(tokens(c) for c in row):
                    if cell and cell == above.get(k):
                        soft.update(range(len(flat), len(flat) + len(cell)))
                    flat += cell
                    if cell:
                        above[k] = cell
                out.append(_Unit(sec.key, si, bi, page, tuple(flat), frozenset(soft)))
    return [u for u in out if u.tokens]


def _years(doc: PolicyDocument) -> set[str]:
    """'2025' and '/25' of the metadata dates: a text without them prints none of them."""
    p = doc.policy
    found = {d[:4] for d in (p.effective_date, p.last_review_date, p.origination_date) if d}
    return {y for y in found if y.isdigit()} | {f"/{y[2:]}" for y in found if y.isdigit()}


# --- what the changes account for -------------------------------------------------------


def date_forms(text: str) -> list[str]:
    """ISO dates of a payload in the spellings a page prints them ('2024-05' -> may 2024)."""
    out: list[str] = []
    for m in _ISO.finditer(text):
        y, mo, d = m.group(1), int(m.group(2)), m.group(3)
        name = _MONTH_NAMES.get(mo, "")
        out += [y, name, name[:3], f"{mo}", f"{mo:02d}", f"{mo}/{y}", f"{mo:02d}/{y}"]
        if d:
            out += [d, str(int(d)), f"{mo}/{int(d)}/{y}", f"{mo:02d}/{d}/{y}", f"{mo}/{d}/{y}"]
            out += [f"{mo:02d}/{d}/{y[2:]}", f"{mo}/{int(d)}/{y[2:]}"]
    return out


def _side_words(text: str) -> list[str]:
    return words(text) + words(" ".join(date_forms(text)))


def _coverage(changes: Iterable[Change]) -> tuple[Counter[str], Counter[str]]:
    """Words the changes account for, on the old side and on the new side."""
    old: Counter[str] = Counter()
    new: Counter[str] = Counter()
    for ch in changes:
        old.update(_side_words(payload_text(ch.old)))
        new.update(_side_words(payload_text(ch.new)))
        old.update(words(ch.old_label))
        new.update(words(ch.new_label))
        for key in ch.location.row_key or []:  # the row a change names (schedule, day, ...)
            old.update(words(key))
            new.update(words(key))
        for w in ch.words or []:
            if w.op != "insert":
                old.update(words(w.text))
            if w.op != "delete":
                new.update(words(w.text))
    return old, new


# --- the plain diff -----------------------------------------------------------------------


@dataclass
class _Region:
    """A stretch where the two content texts differ: the units on each side."""

    old: list[int]
    new: list[int]


def _regions(olds: Sequence[_Unit], news: Sequence[_Unit]) -> list[_Region]:
    sm = difflib.SequenceMatcher(
        None, [u.tokens for u in olds], [u.tokens for u in news], autojunk=False
    )
    regions = [
        _Region(list(range(i1, i2)), list(range(j1, j2)))
        for tag, i1, i2, j1, j2 in sm.get_opcodes()
        if tag != "equal"
    ]
    # a block with the same words elsewhere only moved: it is no difference of words
    spare: dict[tuple[str, ...], list[tuple[int, int]]] = defaultdict(list)
    for r, reg in enumerate(regions):
        for j in reg.new:
            spare[news[j].tokens].append((r, j))
    gone: set[tuple[int, int]] = set()
    for reg in regions:
        kept = []
        for i in reg.old:
            bucket = spare.get(olds[i].tokens)
            if bucket:
                gone.add(bucket.pop(0))
            else:
                kept.append(i)
        reg.old = kept
    for r, reg in enumerate(regions):
        reg.new = [j for j in reg.new if (r, j) not in gone]
    return [reg for reg in regions if reg.old or reg.new]


_Tok = tuple[str, int, int]  # (word, unit index, position in the unit)


def _tokens(units: Sequence[_Unit], which: list[int]) -> list[_Tok]:
    return [(w, i, k) for i in which for k, w in enumerate(units[i].tokens)]


def _bag_minus(tokens: list[_Tok], other: list[_Tok]) -> list[_Tok]:
    """The tokens whose word ``other`` does not hold (as many times)."""
    left = Counter(t[0] for t in other)
    out = []
    for tok in tokens:
        if left[tok[0]]:
            left[tok[0]] -= 1
        else:
            out.append(tok)
    return out


def _word_diff(old: list[_Tok], new: list[_Tok]) -> tuple[list[_Tok], list[_Tok]]:
    """Deleted and inserted words of one region (a bag difference when it is very long)."""
    cap = SETTINGS.match.conserve_region_words
    if len(old) > cap or len(new) > cap:
        return _bag_minus(old, new), _bag_minus(new, old)
    sm = difflib.SequenceMatcher(None, [t[0] for t in old], [t[0] for t in new], autojunk=False)
    dels, ins = [], []
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag != "equal":
            dels += old[i1:i2]
            ins += new[j1:j2]
    return dels, ins


@dataclass
class ConservationResult:
    figures: Conservation
    unexplained: list[Change]


def _take(tokens: list[_Tok], pool: Counter[str]) -> list[_Tok]:
    """The tokens the pool does not cover (the pool is used up as it covers)."""
    left = []
    for tok in tokens:
        if pool[tok[0]] > 0:
            pool[tok[0]] -= 1
        else:
            left.append(tok)
    return left


def _unexplained(
    dels: list[_Tok], ins: list[_Tok], olds: Sequence[_Unit], news: Sequence[_Unit]
) -> Change:
    """One change carrying a region's leftover words."""
    ou = olds[dels[0][1]] if dels else None
    nu = news[ins[0][1]] if ins else None
    here = nu or ou
    assert here is not None
    old_text = " ".join(t[0] for t in dels)
    new_text = " ".join(t[0] for t in ins)
    ops = [WordOp(op="delete", text=old_text)] if old_text else []
    ops += [WordOp(op="insert", text=new_text)] if new_text else []
    parts = [f"old '{old_text}'" if old_text else "", f"new '{new_text}'" if new_text else ""]
    shown = "; ".join(p for p in parts if p)
    return Change(
        id="",
        section="unexplained",
        kind="unexplained",
        path=f"sections[{here.section}]"
        + (f".blocks[{here.block}]" if here.block is not None else ".title"),
        summary=f"Words no reported change covers, in '{here.part}': {shown[:120]}",
        location=Location(
            old_index=[ou.section, ou.block if ou.block is not None else -1] if ou else None,
            new_index=[nu.section, nu.block if nu.block is not None else -1] if nu else None,
            field=here.part,
        ),
        detail="a plain word-level diff finds these words; no change or layout difference "
        "names them",
        old=TextValue(text=old_text) if old_text else None,
        new=TextValue(text=new_text) if new_text else None,
        old_page=ou.page if ou else None,
        new_page=nu.page if nu else None,
        words=ops,
    )


def check_conservation(
    old: PolicyDocument,
    new: PolicyDocument,
    changes: Sequence[Change],
    formats: Sequence[Change] = (),
) -> ConservationResult:
    """Every differing word covered by ``changes`` or ``formats``; the rest as changes."""
    olds, news = _units(old, new), _units(new, old)
    pool_old, pool_new = _coverage([*changes, *formats])
    differing = 0
    left: list[tuple[list[_Tok], list[_Tok]]] = []
    regions: list[tuple[list[_Tok], list[_Tok]]] = []
    soft = 0
    for reg in _regions(olds, news):
        dels, ins = _word_diff(_tokens(olds, reg.old), _tokens(news, reg.new))
        differing += len(dels) + len(ins)
        hard_d = [t for t in dels if t[2] not in olds[t[1]].soft]
        hard_i = [t for t in ins if t[2] not in news[t[1]].soft]
        soft += len(dels) + len(ins) - len(hard_d) - len(hard_i)
        dels, ins = hard_d, hard_i
        regions.append((dels, ins))
        left.append((_take(dels, pool_old), _take(ins, pool_new)))
    # a word deleted in one place and inserted in another (or in another order) only moved
    gone_pool = Counter(t[0] for reg in regions for t in reg[1])
    came_pool = Counter(t[0] for reg in regions for t in reg[0])
    moved = unexplained = 0
    leftovers: list[Change] = []
    for dels, ins in left:
        rest_d, rest_i = _take(dels, gone_pool), _take(ins, came_pool)
        moved += len(dels) + len(ins) - len(rest_d) - len(rest_i)
        unexplained += len(rest_d) + len(rest_i)
        if rest_d or rest_i:
            leftovers.append(_unexplained(rest_d, rest_i, olds, news))
    figures = Conservation(
        old_words=sum(len(u.tokens) for u in olds),
        new_words=sum(len(u.tokens) for u in news),
        differing_words=differing,
        moved_words=moved + soft,
        explained_words=differing - unexplained,
        unexplained_words=unexplained,
        unexplained=len(leftovers),
    )
    return ConservationResult(figures, leftovers)
