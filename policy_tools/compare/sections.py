"""Generic (narrative) sections: the sentences of text no structured field represents,
matched by similarity; a section whose words are only re-broken into other blocks or
pages is unchanged."""

from __future__ import annotations

import calendar
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from ..model.changeset import ListValue, Location, TextValue
from ..model.policy import Block, Leaf, Node, PolicyDocument, Section
from ..settings import SETTINGS
from ..text import clean_text, compare_key, sentences, short
from ..vocab.criteria import INLINE_CONNECTORS, NOTE_CUES
from ..vocab.sections import STRUCTURAL_SECTIONS
from .collect import Collector, text_change
from .match import match_items, similarity, word_diff
from .tables import diff_texts

__all__ = ["DATE_PLACEHOLDER", "PAGE_REMNANT", "date_pattern", "diff_sections"]


@dataclass(frozen=True)
class _Unit:
    text: str  # as a reader sees it
    cmp: str  # what is compared: the document's own metadata dates as a placeholder
    label: str | None
    page: int
    section: int
    block: int


# a running page header that leaked into body text ("Subject: Spinraza Page: 6 of 7")
PAGE_REMNANT = re.compile(
    r"\s*(?:\bSubject:\s*[\w\-]+(?:\s[\w\-]+)?\s+)?\bPage:?\s*\d+\s+of\s+\d+\b\s*",
    re.IGNORECASE,
)
_MONTH_NAMES = list(calendar.month_name)[1:]
DATE_PLACEHOLDER = "<policy date>"
_CONNECTOR_ONLY = re.compile(r"^(?:and|or|and/or)$")
_COVERED_MIN = 12  # characters a text must have to count as contained in a structured one
_COVERED_MIN_WORDS = 3  # and words: a two-word heading a reference happens to contain is not


def date_pattern(doc: PolicyDocument) -> re.Pattern[str] | None:
    """The document's own metadata dates in the spellings a page prints them."""
    forms: set[str] = set()
    p = doc.policy
    for iso in (p.effective_date, p.last_review_date, p.origination_date):
        m = re.match(r"^(\d{4})-(\d{2})-(\d{2})$", iso or "")
        if not m:
            continue
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
        name = _MONTH_NAMES[mo - 1]
        forms.update(
            {
                iso or "",
                f"{mo}/{d}/{y}",
                f"{mo:02d}/{d:02d}/{y}",
                f"{name} {d}, {y}",
                f"{name[:3]} {d}, {y}",
                f"{name[:3]}. {d}, {y}",
                f"{name} {d} {y}",
                f"{mo}/{d}/{y % 100:02d}",
            }
        )
    if not forms:
        return None
    alts = "|".join(re.escape(f) for f in sorted(forms, key=lambda f: (-len(f), f)))
    return re.compile(rf"(?<![\w/])(?:{alts})(?![\w/])", re.IGNORECASE)


def structural_keys(doc: PolicyDocument) -> set[str]:
    """Comparison keys of every text already represented by a structured field."""
    keys: set[str] = set()

    def walk(item: Node | Leaf | None) -> None:
        if item is None:
            return
        if item.text:
            keys.add(compare_key(item.text))
        if isinstance(item, Node):
            for c in item.items:
                walk(c)

    for _, _, tree in doc.criteria.trees():
        walk(tree)
    for ind in doc.criteria.indications:
        # (not its dosing notes: a removed indication's payload does not carry them, and
        # the same sentence kept under another indication must not hide the removal)
        keys.update(compare_key(n) for n in [ind.name, *ind.notes])
    for code in doc.codes:
        keys.update({compare_key(code.code), compare_key(code.description)})
    for row in doc.dosing.schedule:
        keys.update(compare_key(x) for x in (row.schedule, row.day, row.dose, row.monitoring))
    for pre in doc.dosing.premedication:
        keys.update(compare_key(x) for x in (pre.day, pre.medication, pre.administration))
    keys.update(compare_key(n) for n in doc.dosing.notes)
    for d in doc.definitions:
        keys.update({compare_key(f"{d.term}: {d.text}"), compare_key(d.text)})
    keys.update(compare_key(r.text) for r in doc.references)
    keys.discard("")
    return keys


def _history_keys(doc: PolicyDocument) -> set[str]:
    """History rows: a text equal to one is represented, but a heading that a summary
    merely mentions ("Still's Disease: Removed this condition...") is not."""
    return {compare_key(x) for h in doc.history for x in (h.review_type, h.summary)} - {""}


def _covered(text: str, keys: set[str], joined: str) -> bool:
    """Is this text already represented by a structured field (or just a connector)? A
    text that runs criteria together ('X; AND Note: Y') is, when each part is."""
    if _covered_one(text, keys, joined):
        return True
    parts = _parts(text)
    return len(parts) > 1 and all(_covered_one(p, keys, joined) for p in parts)


def _covered_one(text: str, keys: set[str], joined: str) -> bool:
    k = compare_key(text)
    return (
        not k
        or bool(_CONNECTOR_ONLY.match(k))
        or k in keys
        or (len(k) >= _COVERED_MIN and len(k.split()) >= _COVERED_MIN_WORDS and k in joined)
    )


def _parts(text: str) -> list[str]:
    """A text cut at its inline connectors ('; AND', ``vocab.criteria.INLINE_CONNECTORS``),
    each part also without its 'Note:' cue (``NOTE_CUES``), as the criteria keep them."""
    parts = [text]
    for cue in INLINE_CONNECTORS:
        parts = [x for p in parts for x in cue.regex.split(p)[::2]]
    out: list[str] = []
    for p in parts:
        note = next((m for c in NOTE_CUES if (m := c.regex.match(p))), None)
        out.append(note.group(1) if note else p)
    return [p for p in out if compare_key(p)]


@dataclass
class _Texts:
    """What one document's generic text is compared against."""

    keys: set[str]
    joined: str
    dates: re.Pattern[str] | None
    tables: dict[int, bool] = field(default_factory=dict)  # id(table block) -> structural

    @classmethod
    def of(cls, doc: PolicyDocument) -> _Texts:
        keys = structural_keys(doc)
        return cls(keys | _history_keys(doc), "\n".join(sorted(keys)), date_pattern(doc))

    def covered(self, text: str) -> bool:
        return _covered(text, self.keys, self.joined)


def _structural_table(b: Block, ctx: _Texts) -> bool:
    """A table whose cells are mostly represented by structured fields (codes, dosing...)."""
    known = ctx.tables.get(id(b))
    if known is None:
        cells = [c for row in (b.rows or []) for c in row if compare_key(c)]
        hits = sum(1 for c in cells if ctx.covered(c))
        known = ctx.tables[id(b)] = bool(cells) and hits * 2 >= len(cells)
    return known


def _paragraphs(blocks: list[Block], ctx: _Texts) -> list[tuple[str, str | None, int, int]]:
    """(text, label, page, block index) of uncovered text; reflowed text re-joined."""
    paras: list[tuple[str, str | None, int, int]] = []
    for b_index, b in enumerate(blocks):
        if b.type == "table":
            if _structural_table(b, ctx):
                continue  # a code / dosing / history table represented structurally
            for row in b.rows or []:
                if any(compare_key(c) for c in row):
                    paras.append((" | ".join(clean_text(c) for c in row), None, b.page, b_index))
            continue
        if not b.text or ctx.covered(b.text):
            continue
        text = clean_text(PAGE_REMNANT.sub(" ", b.text))
        if not text:
            continue
        if paras and b.label is None and not re.search(r"[.!?:;]$", paras[-1][0]):
            prev = paras[-1]  # the previous paragraph goes on (page break, reflow)
            paras[-1] = (prev[0] + " " + text, prev[1], prev[2], prev[3])
            continue
        paras.append((text, b.label, b.page, b_index))
    return paras


def _units(blocks: list[Block], ctx: _Texts, section: int) -> list[_Unit]:
    """Sentences of the section's uncovered text."""
    units: list[_Unit] = []
    for text, label, page, b_index in _paragraphs(blocks, ctx):
        for sentence in sentences(text):
            if not ctx.covered(sentence):
                cmp = ctx.dates.sub(DATE_PLACEHOLDER, sentence) if ctx.dates else sentence
                units.append(_Unit(sentence, cmp, label, page, section, b_index))
    return units


def _stream(units: list[_Unit]) -> list[str]:
    return compare_key(" ".join(u.cmp for u in units)).split()


def diff_sections(old: PolicyDocument, new: PolicyDocument, out: Collector) -> None:
    """Generic text per section (reflow aside), then what is left matched across sections
    (moves); section headings and structural table columns are layout."""
    co, cn = _Texts.of(old), _Texts.of(new)
    pairs, lone_o, lone_n = match_items(
        old.sections,
        new.sections,
        key=lambda s: s.key,
        score=lambda a, b: similarity(_squeezed(a.title), _squeezed(b.title)),
        threshold=SETTINGS.match.section_title_match,
    )
    _headings(old, new, (pairs, lone_o, lone_n), out)
    _table_columns(old, new, co, cn, out)
    todo: list[tuple[int | None, int | None]] = [(i, j) for i, j in pairs]
    todo += [(i, None) for i in lone_o] + [(None, j) for j in lone_n]
    todo.sort(key=lambda p: (p[1] if p[1] is not None else 10**6, p[0] or 0))
    loose = _Loose()
    for i, j in todo:
        so = old.sections[i] if i is not None else None
        sn = new.sections[j] if j is not None else None
        sec = so or sn
        assert sec is not None
        if sec.key in STRUCTURAL_SECTIONS:
            continue
        uo = _units(so.blocks, co, i) if so is not None and i is not None else []
        un = _units(sn.blocks, cn, j) if sn is not None and j is not None else []
        stream_o, stream_n = _stream(uo), _stream(un)
        if stream_o == stream_n:
            continue  # the same words, only broken into blocks/pages differently
        if Counter(stream_o) == Counter(stream_n) and so is not None and sn is not None:
            _reordered(so, sn, uo, un, out)
            continue
        diff_texts(
            out,
            f"sections.{sec.key}",
            f"sections[{j if j is not None else i}].blocks",
            uo,
            un,
            text=lambda u: u.text,
            noun="text",
            threshold=SETTINGS.match.text_match,
            cmp=lambda u: u.cmp,
            relabel=False,
            old_base=f"sections[{i if i is not None else j}].blocks",
            index=lambda u, _: [u.section, u.block],
            lone=loose.taker(sec.key, uo, un),
        )
    loose.report(old, new, out)


def _squeezed(title: str) -> str:
    """A heading without its spaces ('APP ENDIX' of a letter-spaced title = 'APPENDIX')."""
    return re.sub(r"\s+", "", title)


def _reordered(so: Section, sn: Section, uo: list[_Unit], un: list[_Unit], out: Collector) -> None:
    """The same words in another order (a table read in another column order): layout."""
    out.fmt(
        "format.sections",
        f"sections[{un[0].section if un else 0}].blocks",
        f"Text of '{short(sn.title, 50)}' read in another order (the same words)",
        old=TextValue(text=" ".join(u.text for u in uo)),
        new=TextValue(text=" ".join(u.text for u in un)),
        old_page=so.page,
        new_page=sn.page,
    )


@dataclass
class _Loose:
    """Units no section of their own key paired: matched across sections (moves), the
    rest reported as added or removed in their own section."""

    old: list[tuple[str, _Unit]] = field(default_factory=list)
    new: list[tuple[str, _Unit]] = field(default_factory=list)

    def taker(
        self, key: str, uo: list[_Unit], un: list[_Unit]
    ) -> Callable[[list[int], list[int]], None]:
        def take(gone: list[int], came: list[int]) -> None:
            self.old.extend((key, uo[i]) for i in gone)
            self.new.extend((key, un[j]) for j in came)

        return take

    def report(self, old: PolicyDocument, new: PolicyDocument, out: Collector) -> None:
        def score(a: tuple[str, _Unit], b: tuple[str, _Unit]) -> float:
            return 0.0 if a[0] == b[0] else similarity(a[1].cmp, b[1].cmp)

        pairs, lone_o, lone_n = match_items(
            self.old,
            self.new,
            key=lambda x: (x[0], id(x)),  # only similarity pairs across sections
            score=score,
            threshold=SETTINGS.match.move_match,
            text=lambda x: x[1].cmp,
        )
        for i, j in pairs:
            _moved(self.old[i], self.new[j], old, new, out)
        for k in lone_o:
            _alone(self.old[k], "old", out)
        for k in lone_n:
            _alone(self.new[k], "new", out)


def _title(doc: PolicyDocument, unit: _Unit) -> str:
    return clean_text(doc.sections[unit.section].title).rstrip(":")


def _moved(
    a: tuple[str, _Unit],
    b: tuple[str, _Unit],
    old: PolicyDocument,
    new: PolicyDocument,
    out: Collector,
) -> None:
    (ko, o), (kn, n) = a, b
    changed = compare_key(o.cmp) != compare_key(n.cmp)
    out.add(
        f"sections.{kn}",
        "moved",
        f"sections[{n.section}].blocks[{n.block}]",
        f"Moved text from '{short(_title(old, o), 40)}' to '{short(_title(new, n), 40)}': "
        f"{short(n.text, 60)}",
        location=Location(old_index=[o.section, o.block], new_index=[n.section, n.block]),
        detail=f"moved from section {ko} to {kn}" + ("; text changed" if changed else ""),
        old=TextValue(text=o.text),
        new=TextValue(text=n.text),
        old_label=o.label,
        new_label=n.label,
        old_page=o.page,
        new_page=n.page,
        words=word_diff(o.text, n.text) if changed else None,
    )


def _alone(item: tuple[str, _Unit], side: str, out: Collector) -> None:
    key, u = item
    old = side == "old"
    text_change(
        out,
        f"sections.{key}",
        f"sections[{u.section}].blocks[{u.block}]",
        "text",
        u.text if old else None,
        None if old else u.text,
        location=Location(old_index=[u.section, u.block])
        if old
        else Location(new_index=[u.section, u.block]),
        old_label=u.label if old else None,
        new_label=None if old else u.label,
        old_page=u.page if old else None,
        new_page=None if old else u.page,
    )


def _headings(
    old: PolicyDocument,
    new: PolicyDocument,
    matched: tuple[list[tuple[int, int]], list[int], list[int]],
    out: Collector,
) -> None:
    """Section headings as printed: renamed, added or removed headings are layout."""
    pairs, lone_o, lone_n = matched
    for i, j in pairs:
        so, sn = old.sections[i], new.sections[j]
        if clean_text(so.title) != clean_text(sn.title):
            out.fmt(
                "format.sections",
                f"sections[{j}].title",
                f"Section title: {so.title} -> {sn.title}",
                old=TextValue(text=so.title),
                new=TextValue(text=sn.title),
                old_page=so.page,
                new_page=sn.page,
            )
    lone = [("old", old.sections[k], k) for k in lone_o]
    lone += [("new", new.sections[k], k) for k in lone_n]
    for side, sec, k in lone:
        what = "Section heading no longer printed" if side == "old" else "New section heading"
        value = {side: TextValue(text=sec.title), f"{side}_page": sec.page}
        out.fmt("format.sections", f"sections[{k}].title", f"{what}: {sec.title}", **value)


def _headers(doc: PolicyDocument, ctx: _Texts) -> list[tuple[list[str], list[list[str]]]]:
    """(header row, body rows) of every table represented structurally."""
    out = []
    for sec in doc.sections:
        for b in sec.blocks:
            whole = sec.key in STRUCTURAL_SECTIONS
            if b.type == "table" and b.rows and (whole or _structural_table(b, ctx)):
                out.append((b.rows[0], b.rows[1:]))
    return out


def _table_columns(
    old: PolicyDocument, new: PolicyDocument, co: _Texts, cn: _Texts, out: Collector
) -> None:
    """Column headings of structured tables (codes, dosing, history) are layout; a column
    one template prints and the other does not (a 'Code Type' column replaced by one table
    per code system) is named with the cells it held."""
    ho, hn = _headers(old, co), _headers(new, cn)
    cols_o = {compare_key(c) for head, _ in ho for c in head}
    cols_n = {compare_key(c) for head, _ in hn for c in head}
    keys_o = {_row_key(h) for h, _ in ho}
    keys_n = {_row_key(h) for h, _ in hn}

    def spare(tables: list[tuple[list[str], list[list[str]]]], other: set[str]) -> list[str]:
        items: list[str] = []
        for head, rows in tables:
            gone = [k for k, c in enumerate(head) if compare_key(c) not in other]
            items += [" ".join(row[k] for k in gone if k < len(row)) for row in rows]
        return [x for x in items if x.strip()]

    gone = [" | ".join(h) for h, _ in ho if _row_key(h) not in keys_n]
    came = [" | ".join(h) for h, _ in hn if _row_key(h) not in keys_o]
    if not gone and not came:
        return
    out.fmt(
        "format.tables",
        "sections.tables",
        f"Table columns: {'; '.join(gone) or '(none)'} -> {'; '.join(came) or '(none)'}",
        old=ListValue(items=gone + spare(ho, cols_n)),
        new=ListValue(items=came + spare(hn, cols_o)),
    )


def _row_key(row: list[str]) -> str:
    return " | ".join(compare_key(c) for c in row)
