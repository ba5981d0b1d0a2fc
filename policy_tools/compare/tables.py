"""Tables and lists keyed by identity: dosing and premedication rows, history rows,
codes (with code-set expansion), and lists of texts (references, definitions, notes)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..model.changeset import Cell, ChangeKind, CodeFinding, CodeValue, Location, RowValue
from ..model.policy import Code, Dosing, DosingTable, PolicyDocument
from ..settings import SETTINGS
from ..text import clean_text, compare_key, short
from .codesets import check_code, covering_codes, normalize_code
from .collect import Collector, text_change, text_value
from .match import deep, match_items, similarity, word_diff

__all__ = ["code_findings", "diff_codes", "diff_dosing", "diff_rows", "diff_texts", "norm_day"]

_M = SETTINGS.match


def norm_day(text: str) -> str:
    """'Day 1 ^a' / 'Day 1 a' -> 'day 1': footnote markers are layout."""
    t = compare_key(text)
    t = re.sub(r"\s*\^\s*[a-z]$", "", t)
    return re.sub(r"(\d)\s+[a-z]$", r"\1", t)


def _row_text(values: Iterable[str | None]) -> str:
    return " | ".join(clean_text(v) for v in values)


def row_value(row: Any, fields: Sequence[str]) -> RowValue:
    return RowValue(cells=[Cell(name=f, value=getattr(row, f)) for f in fields])


def _key_strings(key: Any) -> list[str]:
    parts = key if isinstance(key, tuple) else (key,)
    return [str(p) if p is not None else "" for p in parts]


def diff_rows(
    out: Collector,
    section: str,
    olds: Sequence[Any],
    news: Sequence[Any],
    key: Callable[[Any], Any],
    fields: Sequence[str],
    noun: str,
    describe: Callable[[Any], str],
    norm: dict[str, Callable[[str], str]] | None = None,
) -> None:
    """Rows matched by identity key (then by whole-row similarity), fields via DeepDiff.

    ``norm`` gives a field its own comparison form (default :func:`compare_key`).
    """

    def val(row: Any, f: str) -> str:
        return (norm or {}).get(f, compare_key)(getattr(row, f) or "")

    pairs, lone_o, lone_n = match_items(
        olds,
        news,
        key=key,
        score=lambda a, b: similarity(
            _row_text(getattr(a, f) for f in fields), _row_text(getattr(b, f) for f in fields)
        ),
        threshold=_M.row_match,
    )
    old_map = {f"m{k:04d}": {f: val(olds[i], f) for f in fields} for k, (i, _) in enumerate(pairs)}
    new_map = {f"m{k:04d}": {f: val(news[j], f) for f in fields} for k, (_, j) in enumerate(pairs)}
    changed = [
        (mkey, f)
        for mkey, rest, _, _ in deep(old_map, new_map).changed
        for f in ([str(rest[0])] if rest else _differing(old_map[mkey], new_map[mkey]))
    ]
    for mkey, f in changed:
        i, j = pairs[int(mkey[1:])]
        o, n = olds[i], news[j]
        out.add(
            section,
            "modified",
            f"{section}[{j}].{f}",
            f"{noun} {describe(n)}: {f} changed",
            location=Location(old_index=[i], new_index=[j], row_key=_key_strings(key(n)), field=f),
            detail=f"{f} changed",
            old=text_value(getattr(o, f)),
            new=text_value(getattr(n, f)),
            words=word_diff(getattr(o, f), getattr(n, f)),
            old_page=getattr(o, "page", None),
            new_page=getattr(n, "page", None),
        )
    spec = _RowSpec(section, key, fields, noun, describe)
    _lone_rows(out, spec, "removed", lone_o, olds)
    _lone_rows(out, spec, "added", lone_n, news)


def _differing(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """The fields of two row views whose values differ (in field order)."""
    return [f for f in old if old[f] != new.get(f)]


@dataclass(frozen=True)
class _RowSpec:
    section: str
    key: Callable[[Any], Any]
    fields: Sequence[str]
    noun: str
    describe: Callable[[Any], str]


def _lone_rows(
    out: Collector, spec: _RowSpec, kind: ChangeKind, positions: list[int], items: Sequence[Any]
) -> None:
    """Rows only one revision has: one added or removed change each, with the whole row."""
    added = kind == "added"
    for k in positions:
        item = items[k]
        side: dict[str, Any] = {
            "new" if added else "old": row_value(item, spec.fields),
            "new_page" if added else "old_page": getattr(item, "page", None),
        }
        out.add(
            spec.section,
            kind,
            f"{spec.section}[{k}]",
            f"{kind.capitalize()} {spec.noun}: {spec.describe(item)}",
            location=Location(
                old_index=None if added else [k],
                new_index=[k] if added else None,
                row_key=_key_strings(spec.key(item)),
            ),
            **side,
        )


# --- codes ---------------------------------------------------------------------------


def _code_key(c: Code) -> tuple[str, str]:
    return c.system, normalize_code(c.code)


def code_value(c: Code) -> CodeValue:
    return CodeValue(
        system=c.system, code=c.code, first=c.first, last=c.last, description=c.description
    )


def _billable(c: Code) -> set[str]:
    return set(check_code(c.system, c.code).billable)


def _code_notes(c: Code, printed: Sequence[tuple[str, str]], added: bool) -> list[str]:
    notes = []
    chk = check_code(c.system, c.code)
    if chk.problem:
        notes.append(chk.problem)
    if added:
        cover = covering_codes(c.system, c.code, printed)
        if cover:
            notes.append(f"{c.code} is already covered by {', '.join(cover)}")
    return notes


def diff_codes(old: list[Code], new: list[Code], out: Collector) -> None:
    """Codes matched by (system, code), then by overlap of the billable codes they cover."""

    def overlap(a: Code, b: Code) -> float:
        if a.system != b.system:
            return 0.0
        sa, sb = _billable(a), _billable(b)
        return 100.0 * len(sa & sb) / len(sa | sb) if sa and sb else 0.0

    pairs, lone_o, lone_n = match_items(old, new, key=_code_key, score=overlap, threshold=1.0)
    old_all = {b for c in old for b in _billable(c)}
    new_all = {b for c in new for b in _billable(c)}

    def view(c: Code) -> dict[str, str]:
        return {"code": normalize_code(c.code), "description": compare_key(c.description)}

    old_map = {f"m{k:04d}": view(old[i]) for k, (i, _) in enumerate(pairs)}
    new_map = {f"m{k:04d}": view(new[j]) for k, (_, j) in enumerate(pairs)}
    done: set[str] = set()
    for mkey, _, _, _ in deep(old_map, new_map).changed:
        if mkey not in done:
            done.add(mkey)
            i, j = pairs[int(mkey[1:])]
            _modified_code(old[i], new[j], i, j, old_all, new_all, new, out)
    printed = {"old": [(c.system, c.code) for c in old], "new": [(c.system, c.code) for c in new]}
    for kind, items, lone, other_all in (
        ("removed", old, lone_o, new_all),
        ("added", new, lone_n, old_all),
    ):
        added = kind == "added"
        side = "new" if added else "old"
        for i in lone:
            c = items[i]
            delta = sorted(_billable(c) - other_all)
            out.add(
                "codes",
                "added" if added else "removed",
                f"codes[{i}]",
                f"{kind.capitalize()} {c.system} {c.code} ({short(c.description, 60)})",
                location=Location(
                    old_index=None if added else [i],
                    new_index=[i] if added else None,
                    row_key=[c.system, normalize_code(c.code)],
                ),
                notes=_code_notes(c, printed[side], added),
                old=None if added else code_value(c),
                new=code_value(c) if added else None,
                **_side_fields(side, c.code, c.page),
                **{"codes_gained" if added else "codes_lost": delta},
            )


def _side_fields(side: str, label: str | None, page: int | None) -> dict[str, Any]:
    return {f"{side}_label": label, f"{side}_page": page}


def _modified_code(
    o: Code,
    n: Code,
    i: int,
    j: int,
    old_all: set[str],
    new_all: set[str],
    new: list[Code],
    out: Collector,
) -> None:
    so, sn = _billable(o), _billable(n)
    what = "range" if normalize_code(o.code) != normalize_code(n.code) else "description"
    out.add(
        "codes",
        "modified",
        f"codes[{j}]",
        f"{n.system} {o.code} -> {n.code}: range changed"
        if what == "range"
        else f"{n.system} {n.code}: description changed",
        location=Location(
            old_index=[i], new_index=[j], row_key=[n.system, normalize_code(n.code)], field=what
        ),
        detail=f"{what} changed",
        old=code_value(o),
        new=code_value(n),
        old_label=o.code,
        new_label=n.code,
        old_page=o.page,
        new_page=n.page,
        words=word_diff(o.description, n.description) if what == "description" else None,
        codes_gained=sorted(sn - so - old_all),
        codes_lost=sorted(so - sn - new_all),
        notes=_code_notes(n, [(c.system, c.code) for c in new], False),
    )


def code_findings(doc: PolicyDocument, side: str) -> list[CodeFinding]:
    """Printed codes that do not exist / are malformed, and codes a range already covers."""
    out: list[CodeFinding] = []
    printed = [(c.system, c.code) for c in doc.codes]
    for c in doc.codes:
        chk = check_code(c.system, c.code)
        common: dict[str, Any] = dict(side=side, system=c.system, code=c.code, page=c.page)
        if chk.problem:
            problem = "unknown" if not chk.known else "not_billable"
            out.append(CodeFinding(problem=problem, message=chk.problem, **common))
        cover = covering_codes(c.system, c.code, printed)
        if cover:
            message = f"{c.code} is already covered by {', '.join(cover)}"
            out.append(CodeFinding(problem="covered_by_range", message=message, **common))
    return out


# --- lists of texts (references, definitions, notes, sentences) ---------------------------


def diff_texts(
    out: Collector,
    section: str,
    base: str,
    olds: Sequence[Any],
    news: Sequence[Any],
    text: Callable[[Any], str],
    noun: str,
    threshold: float,
    key: Callable[[Any], Any] | None = None,
    cmp: Callable[[Any], str] | None = None,
    relabel: bool = True,
    old_base: str | None = None,
    index: Callable[[Any, int], list[int]] | None = None,
    lone: Callable[[list[int], list[int]], None] | None = None,
) -> None:
    """Text items matched by identity key / exact text, then similarity; DeepDiff decides.

    ``text`` is what a reader sees; ``cmp`` (default: ``text``) is what is compared.
    ``relabel=False``: a label change alone is not reported (free text of generic
    sections, where list markers are layout). Paths are ``base[k]`` on the new side and
    ``old_base[k]`` (default ``base``) on the old side; ``index(item, position)`` gives
    the item's location index (default ``[position]``), whose last part is ``k``.
    ``lone(old positions, new positions)``, when given, receives the items left unpaired
    instead of their being reported (the caller matches them further, e.g. across sections).
    """
    cmpf = cmp or text
    obase = old_base or base

    def at(items: Sequence[Any], k: int) -> list[int]:
        return index(items[k], k) if index else [k]

    keyf = key or (lambda x: compare_key(cmpf(x)))
    pairs, lone_o, lone_n = match_items(
        olds,
        news,
        key=keyf,
        score=lambda a, b: similarity(cmpf(a), cmpf(b)),
        threshold=threshold,
        text=cmpf,
    )
    old_map = {f"m{k:04d}": compare_key(cmpf(olds[i])) for k, (i, _) in enumerate(pairs)}
    new_map = {f"m{k:04d}": compare_key(cmpf(news[j])) for k, (_, j) in enumerate(pairs)}
    old_map.update({f"o{i:04d}": compare_key(cmpf(olds[i])) for i in lone_o})
    new_map.update({f"n{j:04d}": compare_key(cmpf(news[j])) for j in lone_n})
    res = deep(old_map, new_map)
    modified = {k for k, _, _, _ in res.changed}
    item = _TextItems(out, section, base, obase, text, at, noun)
    for k, (i, j) in enumerate(pairs):
        changed = f"m{k:04d}" in modified
        if changed or (relabel and (_label(olds[i]) or "") != (_label(news[j]) or "")):
            item.paired(olds, news, i, j, changed)
    gone, came = [int(k[1:]) for k in res.removed], [int(k[1:]) for k in res.added]
    if lone is not None:
        lone(gone, came)
        return
    for i in gone:
        item.alone(olds, i, "old")
    for j in came:
        item.alone(news, j, "new")


def _label(x: Any) -> str | None:
    return getattr(x, "label", None)


def _page(x: Any) -> int | None:
    return getattr(x, "page", None)


@dataclass
class _TextItems:
    """Reports text items of one list (see :func:`diff_texts`)."""

    out: Collector
    section: str
    base: str
    old_base: str
    text: Callable[[Any], str]
    at: Callable[[Sequence[Any], int], list[int]]
    noun: str

    def paired(
        self, olds: Sequence[Any], news: Sequence[Any], i: int, j: int, changed: bool
    ) -> None:
        """A matched pair that differs (or, equal under ``cmp``, was only relabelled)."""
        o, n = olds[i], news[j]
        oi, nj = self.at(olds, i), self.at(news, j)
        text_change(
            self.out,
            self.section,
            f"{self.base}[{nj[-1]}]",
            self.noun,
            self.text(o) if changed else self.text(n),
            self.text(n),
            location=Location(old_index=oi, new_index=nj),
            old_label=_label(o),
            new_label=_label(n),
            old_page=_page(o),
            new_page=_page(n),
        )

    def alone(self, items: Sequence[Any], k: int, side: str) -> None:
        """An item only one side has: removed (old) or added (new)."""
        x, index = items[k], self.at(items, k)
        old = side == "old"
        text_change(
            self.out,
            self.section,
            f"{self.old_base if old else self.base}[{index[-1]}]",
            self.noun,
            self.text(x) if old else None,
            None if old else self.text(x),
            location=Location(old_index=index) if old else Location(new_index=index),
            old_label=_label(x) if old else None,
            new_label=None if old else _label(x),
            old_page=_page(x) if old else None,
            new_page=None if old else _page(x),
        )


# --- dosing: the fixed schedule / premedication shapes, generic tables, notes -------------


@dataclass(frozen=True)
class _Cells:
    """A generic table row read like a model: its columns are its attributes."""

    cells: dict[str, str]
    page: int | None

    def __getattr__(self, name: str) -> str:
        return self.cells.get(name, "")


def _generic_tables(
    old: Sequence[DosingTable], new: Sequence[DosingTable], out: Collector, base: str
) -> None:
    """Tables paired by title and columns; rows keyed by their key columns, not position."""

    def ident(t: DosingTable) -> tuple[str, tuple[str, ...]]:
        return compare_key(t.title), tuple(compare_key(c) for c in t.columns)

    pairs, lone_o, lone_n = match_items(
        old,
        new,
        key=ident,
        score=lambda a, b: similarity(" ".join(a.columns), " ".join(b.columns)),
        threshold=_M.row_match,
    )
    todo: list[tuple[DosingTable | None, DosingTable | None]] = [(old[i], new[j]) for i, j in pairs]
    todo += [(old[i], None) for i in lone_o]
    todo += [(None, new[j]) for j in lone_n]
    for o, n in todo:
        t = n or o
        assert t is not None
        _table_rows(o, n, t, out)


def _table_rows(
    o: DosingTable | None, n: DosingTable | None, t: DosingTable, out: Collector
) -> None:
    keys = [k for k in t.key if k in t.columns] or t.columns[:1]
    title = clean_text(t.title) or "Dosing table"

    def key(r: _Cells) -> tuple[str, ...]:
        return tuple(compare_key(r.cells.get(k)) for k in keys)

    def describe(r: _Cells) -> str:
        return " / ".join(clean_text(r.cells.get(k)) for k in keys)

    diff_rows(
        out,
        "dosing.tables",
        [_Cells(r.cells, r.page) for r in (o.rows if o else [])],
        [_Cells(r.cells, r.page) for r in (n.rows if n else [])],
        key=key,
        fields=tuple(t.columns),
        noun=f"{short(title, 40)} row",
        describe=describe,
    )


def diff_dosing(
    old: Dosing,
    new: Dosing,
    out: Collector,
    base: str,
    parts: Sequence[str] = ("schedule", "premedication", "tables", "notes"),
) -> None:
    """Dosing of a policy (or of one indication): rows keyed by identity, notes by text."""
    if "schedule" in parts:
        diff_rows(
            out,
            "dosing.schedule",
            old.schedule,
            new.schedule,
            key=lambda r: (compare_key(r.schedule), norm_day(r.day)),
            fields=("schedule", "day", "dose", "monitoring"),
            noun="Dosing row",
            describe=lambda r: f"{clean_text(r.schedule)} / {clean_text(r.day)}",
            norm={"day": norm_day},
        )
    if "premedication" in parts:
        diff_rows(
            out,
            "dosing.premedication",
            old.premedication,
            new.premedication,
            key=lambda r: (compare_key(r.day), compare_key(r.medication)),
            fields=("day", "medication", "administration"),
            noun="Premedication",
            describe=lambda r: f"{clean_text(r.day)} / {short(r.medication, 50)}",
        )
    if "tables" in parts:
        _generic_tables(old.tables, new.tables, out, base)
    if "notes" in parts:
        diff_texts(
            out,
            "dosing.notes",
            f"{base}.notes",
            old.notes,
            new.notes,
            text=lambda s: s,
            noun="dosing note",
            threshold=_M.text_match,
        )
