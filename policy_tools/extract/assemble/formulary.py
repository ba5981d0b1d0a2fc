"""Preferred drug lists: every drug row of a PDL table as data (``PolicyDocument.formulary``).

A table is a PDL when a row's header cells name its columns (``vocab.formulary``); the
group headings the reader split out before such tables are its categories. The rows are
read in order by one small state machine:

- the header row (reprinted on every page) fixes the columns; a row of fewer or more
  cells than the header (the reader drops merged positions) is aligned by content;
- a one-cell row before the header is the category's criteria; after it, a page banner
  (metadata: the effective date), a legend line (``* For children ...``), a class title,
  a class sub-group or note, a drug whose other cells were lost, or a line of the current
  drug's criteria cell cut out by the grid;
- a row with a drug name starts a drug, unless it repeats the current one (a grid row cut
  out of one printed row, ``Dupixent® (continued)``) or continues its name (a name cut by
  a page break); a row without a name continues the current drug, or waits for the next
  one when no drug is open, and a row that repeats its neighbour's cells is dropped;
- PA-form cells split across grid rows ('Buprenorphine' + 'Products PA Form') are joined.

Whatever cannot be placed is a warning with its page; the blocks read into the formulary
leave the generic sections, so a PDL has no ``unrecognised_section`` noise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ...model.policy import (
    Box,
    Formulary,
    FormularyCategory,
    FormularyClass,
    FormularyDrug,
)
from ...settings import SETTINGS
from ...text import compare_key, normalize_space, squash, to_iso_date
from ...vocab.formulary import (
    BANNERS,
    BRAND_MARK,
    CONTINUED,
    FORM_CUE,
    LEGEND_LINE,
    LEGEND_MARKER,
    MARKERS,
    NOTE_BLOCK,
    STATUS_LEGENDS,
    SUBGROUP,
    StatusCode,
)
from ..blocks import RawBlock
from .draft import Draft
from .formulary_cells import (
    align,
    cell_tree,
    column_fields,
    is_drug_band,
    is_name,
    is_title,
    parse_limits,
    reference_of,
)

__all__ = ["formulary"]

_S = SETTINGS.formulary
_OPEN_NAME = re.compile(r"(?:[,/&\-]|\band|\bor|\bwith|\bof|\bin)$", re.I)
_CONTENT = ("status", "criteria", "quantity_limit", "step_therapy", "pa", "age_limit")
_LEGEND_SPLIT = re.compile(r"\s+(?=(?:\*\^|\*\*|\*|\^|†|‡)\s*[A-Z]|Note:)")
_SUPERSCRIPT = re.compile(r"\s*\^[A-Za-z0-9]+$")  # a superscript marker after a title
_SLASH = re.compile(r"(?<=\S)/\s+(?=\S)")  # 'buprenorphine/' + 'naloxone' wrapped at '/'


def _name(text: str) -> str:
    """A name cell as printed: a line wrapped after '/' joins without a space."""
    return _SLASH.sub("/", squash(text))


@dataclass
class _Row:
    """One grid row of a PDL table, its cells aligned to the columns."""

    cells: dict[str, str]
    page: int
    box: Box | None = None


@dataclass
class _Drug:
    """A drug row being assembled from the grid rows printed for it."""

    cls: FormularyClass
    page: int
    parts: dict[str, list[str]] = field(default_factory=dict)
    forms: list[str] = field(default_factory=list)
    pages: list[int] = field(default_factory=list)
    boxes: list[Box] = field(default_factory=list)
    last: dict[str, str] = field(default_factory=dict)
    form: str | None = None

    def text(self, key: str) -> str | None:
        parts = self.parts.get(key)
        return squash(" ".join(parts)) if parts is not None else None

    def add(self, row: _Row) -> None:
        """Take a grid row's cells; a cell repeating what the drug already has is a fill-down."""
        for key, value in row.cells.items():
            if key == "pa_form":
                if value:
                    self.forms.append(value)
                continue
            parts = self.parts.setdefault(key, [])
            if value and value != self.last.get(key) and value not in " ".join(parts):
                parts.append(value)
        self.last = {k: v for k, v in row.cells.items() if v}
        if row.page not in self.pages:
            self.pages.append(row.page)
        if row.box is not None:
            self.boxes.append(row.box)


@dataclass
class _Reader:
    d: Draft
    codes: dict[str, StatusCode]
    fields: list[str] = field(default_factory=list)
    out: Formulary = field(default_factory=Formulary)
    category: FormularyCategory | None = None
    cls: FormularyClass | None = None
    drug: _Drug | None = None
    drugs: list[_Drug] = field(default_factory=list)
    pending: list[_Row] = field(default_factory=list)
    notes: dict[int, list[str]] = field(default_factory=dict)  # id(class) -> note lines
    trailing: list[str] = field(default_factory=list)  # notes after the class's last drug
    subgroup: str | None = None  # the last word of the class's first sub-group title
    grouped: set[int] = field(default_factory=set)  # id() of the classes with sub-groups
    cls_drugs: int = 0

    # ------------------------------------------------------------ classes and notes
    def new_class(self, name: str, page: int, box: Box | None) -> None:
        self.close_drug()
        # notes after the last drug that open with a class-note heading are printed above
        # this title: they belong to it
        moved = self.trailing if self.trailing and NOTE_BLOCK.search(self.trailing[0]) else []
        if moved and self.cls is not None:
            kept = self.notes[id(self.cls)]
            del kept[len(kept) - len(moved) :]
        self.cls = FormularyClass(
            name=name,
            category=self.category.name if self.category else None,
            page=page,
            box=[box] if box else None,
        )
        self.out.classes.append(self.cls)
        self.notes[id(self.cls)] = list(moved)
        self.trailing, self.subgroup, self.cls_drugs = [], None, 0

    def note(self, text: str, page: int) -> None:
        if self.cls is None:
            self.new_class("(no class printed)", page, None)
            self.d.warn("formulary_no_class", f"PDL rows before any class title: {text}", page)
        assert self.cls is not None
        lines = self.notes[id(self.cls)]
        if compare_key(text) not in {compare_key(x) for x in lines}:
            lines.append(text)
            if self.drug is None and self.cls_drugs:
                self.trailing.append(text)

    def close_drug(self) -> None:
        self.drug = None

    # ------------------------------------------------------------ one-cell rows
    def band(self, text: str, page: int, box: Box | None, titled: bool = True) -> None:
        """A one-cell row; ``titled``: the table has a header row (a table cut out of a
        cell, without one, holds no class titles)."""
        t = normalize_space(text)
        if not t or self._banner(t):
            return
        if LEGEND_MARKER.search(t):
            self.close_drug()
            self._legend(t)
            self.note(t, page)
            return
        if is_drug_band(t):
            self.d.warn("formulary_row_cells_lost", f"only the name was read: {t}", page)
            self.data(_Row({"name": t}, page, box))
            return
        title = _SUPERSCRIPT.sub("", CONTINUED.regex.sub("", t))
        if titled and (title != t or is_title(title)):
            self._title(title, t, page, box)
            return
        cls_note = self.cls is not None and compare_key(t) in {
            compare_key(x) for x in self.notes.get(id(self.cls), [])
        }
        if cls_note:
            return  # a class note reprinted under the header of a new page
        if NOTE_BLOCK.search(t):
            self.close_drug()
        if self.drug is not None:
            self.drug.add(_Row({"criteria": t}, page, None))
        elif self.pending:
            self.pending.append(_Row({"criteria": t}, page, None))
        else:
            self.note(t, page)

    def _title(self, title: str, printed: str, page: int, box: Box | None) -> None:
        if self.cls is not None and compare_key(title) == compare_key(self.cls.name):
            return  # a title reprinted at the top of a page
        if self.cls is not None and CONTINUED.search(printed):
            return  # 'Anti-anxiety Agents (continued)': the current class goes on
        words = title.split()
        if self.cls is not None and self.drug is None and not self.cls_drugs:
            self.subgroup = words[-1].lower()  # a sub-group right under the class title
            self.grouped.add(id(self.cls))
            self.note(title, page)
            return
        if self.subgroup is not None and (
            words[-1].lower() == self.subgroup or SUBGROUP.search(title)
        ):
            self.close_drug()
            self.note(title, page)
            return
        self.new_class(title, page, box)

    def _banner(self, text: str) -> bool:
        for pattern in BANNERS:
            value = pattern.captured(text)
            if value:
                if self.out.banner is None:
                    self.out.banner = text
                    self.out.effective_date = to_iso_date(value)
                return True
        return False

    def _legend(self, text: str) -> None:
        for part in _LEGEND_SPLIT.split(text):
            m = LEGEND_MARKER.search(part)
            if m:
                meaning = squash(part[m.end() :]).rstrip(":").strip()
                self.out.legend.setdefault(m.group(1), meaning)

    # ------------------------------------------------------------ rows with cells
    def data(self, row: _Row, nxt: _Row | None = None) -> None:
        name = _name(row.cells.get("name") or "")
        if name and not is_name(name):
            row.cells["criteria"] = squash(f"{name} {row.cells.get('criteria') or ''}")
            name = row.cells["name"] = ""
        cur = self.drug
        if name:
            base = CONTINUED.regex.sub("", name)
            if cur is not None and self._same(cur, base, row):
                row.cells.pop("name")
                cur.add(row)
            elif cur is not None and self._continues(cur, base, row):
                cur.parts["name"].append(base)
                row.cells.pop("name")
                cur.add(row)
            else:
                row.cells["name"] = base
                self.start(row)
            return
        if cur is not None and self._repeats(row, cur.last):
            return
        if nxt is not None and nxt.cells.get("name") and self._repeats(row, nxt.cells):
            return
        if cur is not None:
            cur.add(row)
        else:
            self.pending.append(row)

    def start(self, row: _Row) -> None:
        if self.cls is None:
            self.note("", row.page)
        assert self.cls is not None
        drug = _Drug(cls=self.cls, page=row.page)
        for early in self.pending:
            drug.add(early)
        self.pending = []
        drug.add(row)
        drug.page = row.page
        self.drugs.append(drug)
        self.drug, self.trailing = drug, []
        self.cls_drugs += 1

    def _same(self, cur: _Drug, name: str, row: _Row) -> bool:
        """A grid row cut out of the current drug's printed row (its cells filled down)."""
        if compare_key(name) != compare_key((cur.parts.get("name") or [""])[0]):
            return False
        status, have = row.cells.get("status"), cur.text("status")
        return not status or not have or compare_key(status) == compare_key(have)

    def _continues(self, cur: _Drug, name: str, row: _Row) -> bool:
        """The rest of the current drug's name: a name cut by a page break (the row has
        no other cells), or one cut by a grid line (open name, cells filled down)."""
        values = [row.cells.get(k) for k in _CONTENT]
        if row.page > max(cur.pages) and not any(values):
            return True
        if any(v and v != cur.last.get(k) for k, v in zip(_CONTENT, values, strict=True)):
            return False
        joined = cur.text("name") or ""
        unbalanced = joined.count("(") > joined.count(")")
        return bool(_OPEN_NAME.search(joined)) or unbalanced or name[:1] == "("

    @staticmethod
    def _repeats(row: _Row, cells: dict[str, str]) -> bool:
        values = {k: v for k, v in row.cells.items() if v and k != "pa_form"}
        return bool(values) and all(cells.get(k) == v for k, v in values.items())


# ---------------------------------------------------------------- the document


def _legend_codes(d: Draft) -> tuple[dict[str, StatusCode], str]:
    """The status legend: printed in the document, else the vocabulary entry of its plan."""
    text = "\n".join(b.text for b in d.raw.blocks if b.text)
    printed: dict[str, StatusCode] = {}
    for m in LEGEND_LINE.regex.finditer(text):
        meaning = squash(m.group(2))
        low = meaning.lower()
        status = "non-preferred" if re.match(r"non[- ]?preferred", low) else "preferred"
        needs_pa = status == "non-preferred" or bool(re.search(r"\bPA\b|prior auth", meaning))
        printed.setdefault(m.group(1), StatusCode(m.group(1), status, needs_pa))
    if len(printed) >= 2:
        return printed, "document"
    head = " ".join(filter(None, [d.raw.title, text[:2000]]))
    for legend in STATUS_LEGENDS:
        if legend.plan.search(head):
            return {c.printed: c for c in legend.codes}, f"vocabulary: {legend.payer}"
    return {}, "none"


def _header_index(b: RawBlock) -> int | None:
    for k, row in enumerate((b.rows or [])[:6]):
        if column_fields(row) is not None:
            return k
    return None


def _row_box(b: RawBlock, k: int) -> Box | None:
    return b.row_boxes[k] if b.row_boxes and k < len(b.row_boxes) else None


def _effective_date(d: Draft, f: Formulary) -> None:
    """A banner that says 'Effective <date>' is the effective date (the metadata step
    found none, or only inferred one)."""
    if not f.banner or not f.effective_date or not BANNERS[0].search(f.banner):
        return
    inferred = {"effective_date_inferred", "no_effective_date"}
    if d.policy.effective_date is None or any(w.code in inferred for w in d.warnings):
        d.policy.effective_date = f.effective_date
        d.warnings = [w for w in d.warnings if w.code not in inferred]


def _read_table(r: _Reader, b: RawBlock, titled: bool = False) -> None:
    rows = b.rows or []
    pages = b.row_pages or [b.page] * len(rows)
    head = _header_index(b)
    statuses = {compare_key(c) for c in r.codes}
    cooked: list[_Row | str | None] = []
    for k, cells in enumerate(rows):
        if k == head or (r.fields and column_fields(cells) is not None):
            r.fields = column_fields(cells) or r.fields
            r.out.columns = r.out.columns or [squash(c) for c in cells]
            cooked.append(None)
        elif head is not None and k < head:
            _category_line(r, squash(" ".join(cells)), pages[k])
            cooked.append(None)
        elif len(cells) == 1:
            cooked.append(cells[0])
        elif any(c.strip() for c in cells):
            cooked.append(_Row(align(cells, r.fields, statuses), pages[k], _row_box(b, k)))
        else:
            cooked.append(None)
    for k, item in enumerate(cooked):
        if isinstance(item, str):
            r.band(item, pages[k], _row_box(b, k), titled=titled or head is not None)
        elif isinstance(item, _Row):
            nxt = cooked[k + 1] if k + 1 < len(cooked) else None
            r.data(item, nxt if isinstance(nxt, _Row) else None)


def _category_line(r: _Reader, text: str, page: int) -> None:
    if r.category is None or not text:
        return
    current = r.category.criteria_text
    if current is None:
        r.category.criteria_text = text
    elif compare_key(text) not in compare_key(current):
        r.category.criteria_text = f"{current}\n{text}"


def _formulary_blocks(d: Draft) -> list[int]:
    """Indexes of the blocks that are PDL tables, and of the headings that head them.

    A table is a PDL table when its header names PDL columns, or when it continues one:
    it follows a PDL table with nothing but headings between (a table cut by a page or a
    class banner). Any other table of the document (codes, history, an appendix after a
    product-preference table) stays in its section."""
    picked: list[int] = []
    last_other = -1  # the last block that is neither a heading nor a PDL table
    for i, b in enumerate(d.raw.blocks):
        pdl = (
            b.kind == "table"
            and bool(b.rows)
            and (_header_index(b) is not None or (bool(picked) and last_other < picked[-1]))
        )
        if pdl:
            picked.append(i)
        elif b.kind != "heading":
            last_other = i
    heads = [i for i, b in enumerate(d.raw.blocks) if b.kind == "heading" and i + 1 in picked]
    return sorted(picked + heads)


def formulary(d: Draft) -> None:
    """Read the PDL tables of the document into ``d.formulary`` (nothing for a policy)."""
    picked = _formulary_blocks(d)
    if not picked:
        return
    codes, source = _legend_codes(d)
    r = _Reader(d=d, codes=codes)
    r.out.status_source = source
    r.out.status_codes = {k: c.status for k, c in codes.items()}
    if not codes:
        d.warn("formulary_no_legend", "no status legend printed or known for this plan")
    for b in d.raw.blocks[: picked[0]]:
        if b.kind in ("heading", "paragraph") and b.page == 1:
            for line in b.lines or [b.text]:
                r._banner(squash(line))
    after_heading = False
    for i in picked:
        b = d.raw.blocks[i]
        if b.kind == "heading":
            r.close_drug()
            r.category = FormularyCategory(name=squash(b.text), page=b.page)
            r.out.categories.append(r.category)
        else:
            _read_table(r, b, titled=after_heading)
        after_heading = b.kind == "heading"
    _effective_date(d, r.out)
    if r.pending:
        d.warn("formulary_rows_unplaced", f"{len(r.pending)} rows after the last drug", None)
    _finish(r)
    d.formulary = r.out
    _consume(d, picked)


def _fold_subgroups(r: _Reader) -> None:
    """A 'class' whose drugs refer to the criteria of a drug or sub-group of the class
    before it, when that class has sub-groups, is one more sub-group of it ('Abbot':
    'See Dexcom prior authorization criteria')."""
    keep: list[FormularyClass] = []
    for cls in r.out.classes:
        prev = keep[-1] if keep else None
        if prev is not None and id(prev) in r.grouped and cls.category == prev.category:
            known = {compare_key(x.text("name")) for x in r.drugs if x.cls is prev}
            known |= {compare_key(n) for n in r.notes.get(id(prev), [])}
            own = [x for x in r.drugs if x.cls is cls]
            refs = {compare_key(reference_of(x.text("criteria"))) for x in own} - {""}
            if refs & known:
                for x in own:
                    x.cls = prev
                r.notes[id(prev)] += [cls.name, *r.notes.get(id(cls), [])]
                continue
        keep.append(cls)
    r.out.classes = keep


def _finish(r: _Reader) -> None:
    """Build the drugs and class criteria; join PA-form cells split across grid rows."""
    _fold_subgroups(r)
    _join_forms(r.drugs)
    r.out.drugs = [_drug(r, x) for x in r.drugs]
    for cls in r.out.classes:
        lines = [x for x in r.notes.get(id(cls), []) if x]
        if lines:
            cls.criteria_text = "\n".join(lines)
            cls.criteria = cell_tree(" ".join(lines), cls.page, r.d, f"class {cls.name}")
    r.out.classes = [c for c in r.out.classes if c.name != "(no class printed)" or c.criteria]


def _join_forms(drugs: list[_Drug]) -> None:
    """One PA-form cell merged over several rows reaches the reader in pieces."""
    run: list[str] = []
    members: list[_Drug] = []

    def close() -> None:
        text = squash(" ".join(run))
        for m in members:
            m.form = text or None

    for drug in drugs:
        for frag in drug.forms:
            if run and frag == run[-1]:
                pass
            elif run and FORM_CUE.search(" ".join(run)):
                close()
                run, members = [frag], []
            else:
                run.append(frag)
            if drug not in members:
                members.append(drug)
    close()


def _drug(r: _Reader, x: _Drug) -> FormularyDrug:
    name = x.text("name") or ""
    printed = x.text("status")
    code = r.codes.get(printed or "") or next(
        (c for k, c in r.codes.items() if compare_key(k) == compare_key(printed)), None
    )
    if printed and code is None:
        r.d.warn("formulary_unknown_status", f"{name}: status '{printed}' not in legend", x.page)
    crit = x.text("criteria") or None
    marker = x.text("pa")
    pa = (
        bool(crit)
        or bool(marker and MARKERS["pa"].search(marker))
        or bool(code and code.requires_pa)
    )
    ql = x.text("quantity_limit") or None
    others = {k: x.text(k) for k in x.parts if k.startswith("other:") or k == "notes"}
    return FormularyDrug(
        name=name,
        brand=True if BRAND_MARK.search(name) else None,
        class_name=x.cls.name,
        status=code.status if code else None,
        status_printed=printed,
        pa=pa,
        pa_text=crit,
        pa_criteria=cell_tree(crit, x.page, r.d, f"drug {name}"),
        pa_reference=reference_of(crit),
        step_therapy=x.text("step_therapy") or None,
        quantity_limit=ql,
        limits=parse_limits(ql),
        age_limit=x.text("age_limit") or None,
        pa_form=x.form,
        notes=[f"{k.removeprefix('other:')}: {v}" for k, v in others.items() if v],
        page=x.page,
        pages=sorted(x.pages),
        box=x.boxes or None,
    )


def _consume(d: Draft, picked: list[int]) -> None:
    """Blocks read into the formulary (and the banner line) leave the generic sections,
    and so do the unrecognised-section warnings of its category headings."""
    used = {id(d.raw.blocks[i]) for i in picked}
    titles = {squash(d.raw.blocks[i].text) for i in picked if d.raw.blocks[i].kind == "heading"}
    banner = d.formulary.banner if d.formulary else None
    keep = []
    for s in d.sections:
        s.blocks = [x for x in (_unbannered(b, banner) for b in s.blocks if id(b) not in used) if x]
        if s.blocks or squash(s.title) not in titles:
            keep.append(s)
    d.sections = keep
    quiet = titles | {squash(d.raw.title or "")}
    d.warnings = [
        w
        for w in d.warnings
        if not (w.code == "unrecognised_section" and any(f"'{t}'" in w.message for t in quiet))
    ]


def _unbannered(b: RawBlock, banner: str | None) -> RawBlock | None:
    """The block without the banner line (metadata, not content); None when that was all."""
    lines = b.lines or [b.text]
    if banner is None or all(squash(ln) != banner for ln in lines):
        return b
    rest = [ln for ln in lines if squash(ln) != banner]
    if not rest:
        return None
    return RawBlock(
        kind=b.kind, text=squash(" ".join(rest)), page=b.page, label=b.label, lines=rest
    )
