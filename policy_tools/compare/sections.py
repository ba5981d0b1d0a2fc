"""Generic (narrative) sections: the sentences of text no structured field represents,
matched by similarity; a section whose words are only re-broken into other blocks or
pages is unchanged."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass

from ..model.changeset import TextValue
from ..model.policy import Block, Leaf, Node, PolicyDocument
from ..settings import SETTINGS
from ..text import clean_text, compare_key, sentences
from ..vocab.sections import STRUCTURAL_SECTIONS
from .collect import Collector
from .match import match_items
from .tables import diff_texts

__all__ = ["DATE_PLACEHOLDER", "diff_sections"]


@dataclass(frozen=True)
class _Unit:
    text: str  # as a reader sees it
    cmp: str  # what is compared: the document's own metadata dates as a placeholder
    label: str | None
    page: int
    section: int
    block: int


# a running page header that leaked into body text ("Subject: Spinraza Page: 6 of 7")
_PAGE_REMNANT = re.compile(
    r"\s*(?:\bSubject:\s*[\w\-]+(?:\s[\w\-]+)?\s+)?\bPage:?\s*\d+\s+of\s+\d+\b\s*",
    re.IGNORECASE,
)
_MONTH_NAMES = list(calendar.month_name)[1:]
DATE_PLACEHOLDER = "<policy date>"
_CONNECTOR_ONLY = re.compile(r"^(?:and|or|and/or)$")
_COVERED_MIN = 12  # characters a text must have to count as contained in a structured one


def _date_pattern(doc: PolicyDocument) -> re.Pattern[str] | None:
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
        keys.update(compare_key(n) for n in ind.notes)
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
    for h in doc.history:
        keys.update(compare_key(x) for x in (h.review_type, h.summary))
    keys.discard("")
    return keys


def _covered(text: str, keys: set[str], joined: str) -> bool:
    """Is this text already represented by a structured field (or just a connector)?"""
    k = compare_key(text)
    return (
        not k
        or bool(_CONNECTOR_ONLY.match(k))
        or k in keys
        or (len(k) >= _COVERED_MIN and k in joined)
    )


@dataclass
class _Texts:
    """What one document's generic text is compared against."""

    keys: set[str]
    joined: str
    dates: re.Pattern[str] | None

    @classmethod
    def of(cls, doc: PolicyDocument) -> _Texts:
        keys = structural_keys(doc)
        return cls(keys, "\n".join(sorted(keys)), _date_pattern(doc))

    def covered(self, text: str) -> bool:
        return _covered(text, self.keys, self.joined)


def _paragraphs(blocks: list[Block], ctx: _Texts) -> list[tuple[str, str | None, int, int]]:
    """(text, label, page, block index) of uncovered text; reflowed text re-joined."""
    paras: list[tuple[str, str | None, int, int]] = []
    for b_index, b in enumerate(blocks):
        if b.type == "table":
            cells = [c for row in (b.rows or []) for c in row if compare_key(c)]
            hits = sum(1 for c in cells if ctx.covered(c))
            if cells and hits * 2 >= len(cells):
                continue  # a code / dosing / history table represented structurally
            for row in b.rows or []:
                if any(compare_key(c) for c in row):
                    paras.append((" | ".join(clean_text(c) for c in row), None, b.page, b_index))
            continue
        if not b.text or ctx.covered(b.text):
            continue
        text = clean_text(_PAGE_REMNANT.sub(" ", b.text))
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
    co, cn = _Texts.of(old), _Texts.of(new)
    pairs, lone_o, lone_n = match_items(old.sections, new.sections, key=lambda s: s.key)
    todo: list[tuple[int | None, int | None]] = [(i, j) for i, j in pairs]
    todo += [(i, None) for i in lone_o] + [(None, j) for j in lone_n]
    todo.sort(key=lambda p: (p[1] if p[1] is not None else 10**6, p[0] or 0))
    for i, j in todo:
        so = old.sections[i] if i is not None else None
        sn = new.sections[j] if j is not None else None
        sec = so or sn
        assert sec is not None
        if sec.key in STRUCTURAL_SECTIONS:
            continue
        if so is not None and sn is not None and clean_text(so.title) != clean_text(sn.title):
            out.fmt(
                "format.sections",
                f"sections[{j}].title",
                f"Section title: {so.title} -> {sn.title}",
                old=TextValue(text=so.title),
                new=TextValue(text=sn.title),
                old_page=so.page,
                new_page=sn.page,
            )
        uo = _units(so.blocks, co, i) if so is not None and i is not None else []
        un = _units(sn.blocks, cn, j) if sn is not None and j is not None else []
        if _stream(uo) == _stream(un):
            continue  # the same words, only broken into blocks/pages differently
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
        )
