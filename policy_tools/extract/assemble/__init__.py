"""Shared assembler: RawDocument (from any reader) -> PolicyDocument.

A pipeline of small pure steps over one mutable ``Draft``:
sections -> header metadata -> service categories -> criteria -> codes ->
dosing -> definitions/references -> history -> drug -> warnings.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from ..models import (
    Authorization,
    Block,
    Code,
    CodeSystem,
    Criteria,
    Definition,
    Dosing,
    DosingRow,
    Drug,
    HistoryEntry,
    Leaf,
    Node,
    Op,
    PolicyDocument,
    PolicyMeta,
    Premedication,
    Reference,
    Section,
    ServiceCategory,
    Source,
    Warning,
)
from .blocks import RawBlock, RawDocument
from .text import (
    ANY_CODE,
    CPT,
    HCPCS,
    ICD10,
    join_lines,
    normalize_space,
    slug,
    split_label,
    to_iso_date,
    to_iso_month_or_date,
)

# ------------------------------------------------------------ section aliases

# canonical key -> titles used by the templates we know (old and new) and common
# payer wording. Matching ignores case, a list label, a trailing ':' and a
# parenthetical note.
SECTION_ALIASES: dict[str, tuple[str, ...]] = {
    "service_category": ("Service Category", "Service Categories"),
    "description": ("Description", "Service Description", "Overview", "Purpose"),
    "background": ("Background", "Background Information"),
    "definitions": ("Definitions", "Definitions and Measures", "Definition"),
    "indications": (
        "FDA Approved Indications",
        "Approved Indications",
        "FDA-Approved Indications",
        "FDA Indications",
    ),
    "other_uses": ("Compendia Supported Uses", "Other Uses", "Off-Label Uses"),
    "coverage_criteria": (
        "Coverage Criteria",
        "Medical Necessity Guidelines",
        "Coverage Rationale",
        "Clinical Criteria",
        "Coverage Policy",
        "Criteria",
        "Policy",
    ),
    "initial_criteria": (
        "Initial Approval Criteria",
        "Criteria For Initial Approval",
        "Initial Authorization",
        "Initial Therapy",
        "Initial Approval",
        "Prior-Approval Requirements",
    ),
    "continuation_criteria": (
        "Continuation of Therapy Criteria",
        "Criteria For Continuation of Therapy",
        "Continuation of Therapy",
        "Continued Therapy",
        "Continuation Criteria",
        "Reauthorization",
        "Renewal Criteria",
        "Renewal",
        "Prior-Approval Renewal Requirements",
    ),
    "authorization_duration": (
        "Approval Duration",
        "Authorization Duration",
        "Length of Authorization",
        "Duration of Approval",
    ),
    "not_covered": (
        "Investigational / Not Medically Necessary",
        "Conditions Not Covered",
        "Not Medically Necessary",
        "Experimental/Investigational",
        "Investigational/Not Medically Necessary",
    ),
    "limits": ("Limits or Restrictions", "Limitations"),
    "dosing": (
        "Dosing and Administration",
        "Quantity Limitations",
        "Dosage and Administration",
        "Dosage/Administration",
        "Dosing",
        "Dosing Information",
        "Dosing Limits",
        "Dosage",
    ),
    "premedication": ("Recommended Concomitant Medications", "Premedication"),
    "codes": ("Coding", "Codes Information", "Applicable Codes", "Coding Information"),
    "codes_icd10": (
        "ICD-10 Diagnosis",
        "ICD-10",
        "Diagnosis Codes",
        "ICD-10 Diagnostic Codes",
        "ICD-10 Codes",
        "ICD-10-CM Codes",
        "ICD-10 Diagnosis Codes",
    ),
    "codes_hcpcs": ("HCPCS Codes", "HCPCS Code", "CPT/HCPCS Codes", "HCPCS", "HCPCS/CPT"),
    "references": ("References", "Reference Information", "Reference"),
    "history": (
        "Policy History",
        "Revision History",
        "Document History",
        "Revision Details",
        "Policy History/Revision Information",
        "Reviews, Revisions, and Approvals",
    ),
}
_ALIAS_INDEX = {
    normalize_space(a.lower()): key for key, aliases in SECTION_ALIASES.items() for a in aliases
}
ALIAS_FUZZY = 92  # rapidfuzz ratio for a heading spelled slightly differently
CRITERIA_KEYS = ("initial_criteria", "continuation_criteria", "not_covered")
DOSING_KEYS = ("dosing", "premedication", "limits")

HEADER_LABELS = (
    "Policy Name",
    "Policy Number",
    "Scope",
    "Effective Date",
    "Origination Date",
    "Last Review Date",
    "Revision Frequency",
    "Frequently Revision",
    "Line of Business",
)
_HEADER_SPLIT = re.compile(r"(" + "|".join(re.escape(h) for h in HEADER_LABELS) + r")\s*:", re.I)


def _alias_text(text: str) -> str:
    label, body = split_label(text)
    if label and label != "•":
        text = body
    text = re.sub(r"\(.*$", "", text).strip()
    text = re.sub(r"(?:\s+\^?|\^)\d+(?:\s*[-–,]\s*\d+)*$", "", text)  # citation markers
    return normalize_space(text.rstrip(":").strip().lower())


def match_alias(text: str) -> str | None:
    """Canonical section key for a heading as printed, or None."""
    key = _alias_text(text)
    if not key or len(key) > 80:
        return None
    if key in _ALIAS_INDEX:
        return _ALIAS_INDEX[key]
    best, score = None, 0.0
    for alias, k in _ALIAS_INDEX.items():
        s = fuzz.ratio(key, alias)
        if s > score:
            best, score = k, s
    return best if score >= ALIAS_FUZZY else None


# ------------------------------------------------------------------ the draft


@dataclass
class RawSection:
    key: str
    title: str
    page: int
    recognised: bool
    blocks: list[RawBlock] = field(default_factory=list)


@dataclass
class Draft:
    raw: RawDocument
    source: Source
    sections: list[RawSection] = field(default_factory=list)
    policy: PolicyMeta = field(default_factory=PolicyMeta)
    criteria: Criteria = field(default_factory=Criteria)
    codes: list[Code] = field(default_factory=list)
    dosing: Dosing = field(default_factory=Dosing)
    definitions: list[Definition] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    history: list[HistoryEntry] = field(default_factory=list)
    warnings: list[Warning] = field(default_factory=list)

    def blocks(self, *keys: str) -> Iterable[tuple[RawSection, RawBlock]]:
        for s in self.sections:
            if s.key in keys or any(s.key.startswith(k + "_") for k in keys):
                for b in s.blocks:
                    yield s, b

    def tables(self) -> Iterable[tuple[RawSection, RawBlock]]:
        for s in self.sections:
            for b in s.blocks:
                if b.kind == "table" and b.rows:
                    yield s, b

    def warn(self, code: str, message: str, page: int | None = None) -> None:
        self.warnings.append(Warning(code=code, message=message, page=page))


Step = Callable[[Draft], None]


def assemble(raw: RawDocument, source: Source) -> PolicyDocument:
    draft = Draft(raw=raw, source=source, warnings=list(raw.warnings))
    for step in PIPELINE:
        step(draft)
    return PolicyDocument(
        source=source,
        policy=draft.policy,
        sections=[_public_section(s) for s in draft.sections],
        criteria=draft.criteria,
        codes=draft.codes,
        dosing=draft.dosing,
        definitions=draft.definitions,
        references=draft.references,
        history=draft.history,
        warnings=draft.warnings,
    )


# ------------------------------------------------------------------ sections


def _is_section_title(b: RawBlock, current: RawSection | None) -> bool:
    """An unrecognised heading opens a section only when it looks like one."""
    if b.kind != "heading":
        return False
    text = b.text.strip()
    if len(text.split()) > 14:
        return False
    if text.endswith(":") or b.prominent or current is None:
        return True
    letters = [c for c in text if c.isalpha()]
    if letters and all(c.isupper() for c in letters) and len(letters) > 3:
        return True  # an all-caps heading
    return bool(b.label and b.label[:-1].isdigit())  # "1. Background"


def build_sections(d: Draft) -> None:
    current: RawSection | None = None
    for b in d.raw.blocks:
        heading_text = b.text if b.kind == "heading" else None
        key = None
        if b.kind == "table" and b.rows and _title_table(b.rows):
            title = b.rows[0][0].strip()
            key = match_alias(title)
            if key:
                current = RawSection(key=key, title=title, page=b.page, recognised=True)
                d.sections.append(current)
                body_rows = [r for r in b.rows[1:] if any(c.strip() for c in r)]
                if body_rows:
                    current.blocks.append(
                        RawBlock(
                            kind="table",
                            text="",
                            page=b.page,
                            rows=body_rows,
                            row_pages=(b.row_pages or [b.page] * len(b.rows))[-len(body_rows) :],
                        )
                    )
                continue
        if b.kind in ("heading", "paragraph", "list_item") and b.text:
            full = f"{b.label} {b.text}" if b.label and b.label != "•" else b.text
            key = match_alias(full)
            if key and b.kind != "heading":
                # plain text naming a section only counts when nothing else is on it
                stem = re.split(r"\s*\(", b.text, maxsplit=1)[0].rstrip(":").strip()
                if len(stem.split()) > 8:
                    key = None
            if key:
                heading_text = full
        if key or (heading_text and _is_section_title(b, current)):
            title_full = heading_text or b.text
            title, rest = _split_title(title_full)
            if key is None:
                key = slug(title)
                d.warn("unrecognised_section", f"section '{title}' is not a known section", b.page)
            current = RawSection(
                key=key, title=title, page=b.page, recognised=key in SECTION_ALIASES
            )
            d.sections.append(current)
            if rest:
                current.blocks.append(RawBlock(kind="paragraph", text=rest, page=b.page))
            continue
        if current is None:
            current = RawSection(key="preamble", title="", page=b.page, recognised=False)
            d.sections.append(current)
        if b.kind == "heading":
            b = RawBlock(kind="paragraph", text=b.text, page=b.page, label=b.label, bold=True)
        current.blocks.append(b)
    _dedupe_keys(d.sections)


def _title_table(rows: list[list[str]]) -> bool:
    """A boxed title ('Policy History' in a one-cell row) printed as a table."""
    first = [c for c in rows[0] if c.strip()]
    return len(first) == 1 and len(first[0].split()) <= 6 and len(rows) <= 4


def _split_title(text: str) -> tuple[str, str]:
    """'A. Criteria For Initial Approval (Provider must ...)' -> (title, note)."""
    m = re.match(r"^(.*?)\s*(\(.*)$", text)
    if m and match_alias(m.group(1)):
        return m.group(1).rstrip(":").strip(), m.group(2).strip()
    return text.rstrip(":").strip(), ""


def _dedupe_keys(sections: list[RawSection]) -> None:
    seen: Counter[str] = Counter()
    for s in sections:
        seen[s.key] += 1
        if seen[s.key] > 1:
            s.key = f"{s.key}_{seen[s.key]}"


def _public_section(s: RawSection) -> Section:
    blocks = []
    for b in s.blocks:
        if b.kind == "table":
            pages = b.row_pages or [b.page] * len(b.rows or [])
            blocks.append(
                Block(
                    type="table",
                    rows=b.rows or [],
                    page=b.page,
                    row_pages=pages if len(set(pages)) > 1 else None,
                )
            )
        elif b.kind == "list_item":
            text = f"{b.text} {b.connector}" if b.connector else b.text
            blocks.append(
                Block(type="list_item", text=text, label=b.label, level=b.level, page=b.page)
            )
        else:
            text = f"{b.text} {b.connector}" if b.connector and b.kind != "connector" else b.text
            blocks.append(Block(type="paragraph", text=text, label=b.label, page=b.page))
    return Section(key=s.key, title=s.title, page=s.page, blocks=blocks)


# ------------------------------------------------------------------ metadata


def parse_header_fields(text: str) -> dict[str, str]:
    """'Policy Name: X Policy Number: Y ...' -> {'policy name': 'X', ...}."""
    fields: dict[str, str] = {}
    parts = _HEADER_SPLIT.split(text)
    # parts = [before, label1, value1, label2, value2, ...]
    for i in range(1, len(parts) - 1, 2):
        label = parts[i].lower()
        value = normalize_space(parts[i + 1])
        if label == "frequently revision":
            label = "revision frequency"
        if value and label not in fields:
            fields[label] = value
    return fields


def _checked_labels(text: str) -> list[tuple[str, bool]]:
    """'☒ MMM MA ☐ MMM MultiHealth' -> [('MMM MA', True), ('MMM MultiHealth', False)]."""
    out = []
    for m in re.finditer(r"([☒☑☐])\s*([^☒☑☐]+)", text):
        label = normalize_space(m.group(2))
        if label:
            out.append((label, m.group(1) != "☐"))
    return out


def header_metadata(d: Draft) -> None:
    names: list[tuple[str, int]] = []
    fields: dict[str, str] = {}
    for h in d.raw.headers:
        f = parse_header_fields(h.text)
        if "policy name" in f:
            names.append((f["policy name"], h.page))
        for k, v in f.items():
            fields.setdefault(k, v)
    if not fields:
        fields = _body_fields(d)
        if "policy name" in fields:
            names.append((fields["policy name"], 1))
    p = d.policy
    p.title = d.raw.title
    p.page = min((h.page for h in d.raw.headers), default=1)
    p.number = _clean_number(fields.get("policy number"))
    if names:
        counts = Counter(n for n, _ in names)
        order = list(dict.fromkeys(n for n, _ in names))
        p.name = max(order, key=lambda n: (counts[n], -order.index(n)))
        p.name_variants = order
        if len(order) > 1:
            where = "; ".join(
                f"'{n}' (page{'s' if counts[n] > 1 else ''} "
                + ", ".join(str(pg) for nm, pg in names if nm == n)
                + ")"
                for n in order
            )
            d.warn(
                "header_name_variants",
                f"the page headers spell the policy name {len(order)} different ways: {where}",
            )
    scope = fields.get("scope")
    if scope:
        checked = _checked_labels(scope)
        p.scope = [label for label, on in checked if on] if checked else [scope]
    p.line_of_business = fields.get("line of business")
    p.effective_date = to_iso_date(fields.get("effective date"))
    p.origination_date = to_iso_date(fields.get("origination date"))
    p.last_review_date = to_iso_date(fields.get("last review date"))
    freq = fields.get("revision frequency")
    p.revision_frequency = freq.split()[0] if freq else None
    generic_metadata(d)


def _clean_number(value: str | None) -> str | None:
    if not value:
        return None
    return value.split()[0].strip(" .,;")


_LEADERS = re.compile(r"\s*(?:\.{3,}|…+)\s*")


def _body_text(d: Draft, pages: int = 2) -> str:
    """Text of the first pages, tables included, with dot leaders read as ': '."""
    parts: list[str] = [h.text for h in d.raw.headers if h.page <= pages]
    for b in d.raw.blocks:
        if b.page > pages:
            break
        if b.kind == "table" and b.rows:
            parts.extend(" ".join(c for c in r if c) for r in b.rows)
        elif b.text:
            parts.append(b.text)
    return _LEADERS.sub(": ", "\n".join(parts))


def _body_fields(d: Draft) -> dict[str, str]:
    """Header-style 'Label: value' pairs written in the first page's body."""
    fields: dict[str, str] = {}
    for b in d.raw.blocks:
        if b.page > 1 or not b.text:
            continue
        for k, v in parse_header_fields(b.text).items():
            fields.setdefault(k, v)
    return fields


_NUMBER_PATTERNS = (
    re.compile(
        r"(?:Coverage\s+|Medical\s+)?Policy\s+(?:Number|No\.?|#)\s*:?\s*([A-Z0-9][A-Z0-9.\-]{2,})",
        re.I,
    ),
    re.compile(
        r"(?:Document|Reference)\s+(?:Number|No\.?|#)\s*:?\s*([A-Z]{1,4}[-.]?[A-Z0-9.\-]{2,})"
    ),
    re.compile(r"Program\s+Number\s*:?\s*(\d{4}\s+P\s+\d{4}-\d+)", re.I),
    re.compile(r"\(\s*((?:IP|CP|MP|PA)\d{3,5})\s*\)"),
    re.compile(r"^\s*(\d\.\d{2}\.\d{3})\s*$", re.M),
    re.compile(r"\b([A-Z]{2,5}\.[A-Z]{2,5}\.\d{2,4})\b"),
    re.compile(r"\b(\d{4}[A-Z]\d{4}[A-Z]{0,3})\b"),
)
_DATE_VALUE = (
    r"([A-Za-z]+\.?\s+\d{1,2},?\s+\d{4}|\d{1,2}/\d{1,2}/\d{2,4}|\d{4}-\d{2}-\d{2}"
    r"|\d{1,2}\.\d{1,2}\.\d{2,4})"
)
_DATE_FIELDS = {
    "effective_date": re.compile(
        r"(?:Effective\s+Date|Date\s+Effective)\s*:?\s*" + _DATE_VALUE, re.I
    ),
    "last_review_date": re.compile(r"Last\s+Review(?:ed)?\s+Date\s*:?\s*" + _DATE_VALUE, re.I),
    "origination_date": re.compile(
        r"(?:Original\s+Policy\s+Date|Date\s+of\s+Origin|Origination\s+Date|Original\s+Effective"
        r"\s+Date)\s*:?\s*" + _DATE_VALUE,
        re.I,
    ),
    "publish_date": re.compile(r"Publish\s+Date\s*:?\s*" + _DATE_VALUE, re.I),
}
_NAME_PATTERNS = (
    re.compile(r"^\s*Subject\s*:\s*(.+?)\s*(?:Page\s*:.*)?$", re.M),
    re.compile(r"^\s*Policy\s+Title\s*:\s*(.+)$", re.M),
    re.compile(r"^\s*Medications?\s+(\S[^()\n]*\([^()\n]+\))\s*$", re.M),
    re.compile(r"^\s*Clinical\s+Policy\s*:\s*(.+)$", re.M),
)


def _date_under_title(d: Draft) -> str | None:
    """A date printed alone near the top of page 1 (under the title)."""
    for b in d.raw.blocks[:6]:
        if b.page == 1 and b.text and len(b.text) <= 30:
            iso = to_iso_date(b.text)
            if iso and len(re.sub(r"[\d/.,\s-]", "", b.text)) <= 10:
                return iso
    return None


def generic_metadata(d: Draft) -> None:
    """What the text states when no known header template was found."""
    p = d.policy
    text = _body_text(d)
    if not p.number:
        for pat in _NUMBER_PATTERNS:
            m = pat.search(text)
            if m:
                p.number = normalize_space(m.group(1)).strip(" .,;")
                break
    found = {
        k: to_iso_date(m.group(1)) for k, pat in _DATE_FIELDS.items() if (m := pat.search(text))
    }
    p.effective_date = p.effective_date or found.get("effective_date")
    p.last_review_date = p.last_review_date or found.get("last_review_date")
    p.origination_date = p.origination_date or found.get("origination_date")
    if not p.effective_date:
        fallback = found.get("publish_date") or p.last_review_date
        kind = "publish" if found.get("publish_date") else "last review"
        if not fallback:
            fallback = _date_under_title(d)
            kind = "lone"
        if fallback:
            p.effective_date = fallback
            d.warn(
                "effective_date_inferred",
                f"no effective date printed; using the {kind} date {fallback}",
            )
    if not p.name:
        for pat in _NAME_PATTERNS:
            m = pat.search(text)
            if m and len(m.group(1)) < 120:
                p.name = normalize_space(m.group(1))
                break
    if not p.name and d.raw.title:
        p.name = d.raw.title
    if not p.number:
        d.warn("no_policy_number", "no policy number found in the document")
    if not p.effective_date:
        d.warn("no_effective_date", "no effective date found in the document")


def service_categories(d: Draft) -> None:
    cats: list[ServiceCategory] = []
    for _, b in d.blocks("service_category"):
        texts = [c for r in b.rows for c in r] if b.kind == "table" and b.rows else [b.text]
        for t in texts:
            found = _checked_labels(t)
            if found:
                cats.extend(ServiceCategory(label=lbl, checked=on) for lbl, on in found)
            elif t.strip() and b.kind == "list_item":
                cats.append(ServiceCategory(label=normalize_space(t), checked=None))
    d.policy.service_categories = cats


# ------------------------------------------------------------------ criteria


_ONE_OF = re.compile(r"\b(one|any)\s+of\b[^.]*\bfollowing\b", re.I)
_ALL_OF = re.compile(r"\ball\b[^.]*\bfollowing\b", re.I)


def _leaf(b: RawBlock) -> Leaf:
    return Leaf(label=b.label, text=b.text, page=b.page)


def _group_op(items: list[RawBlock], parent_text: str | None) -> Op:
    conns = [b.connector for b in items if b.connector]
    if conns:
        return Counter(conns).most_common(1)[0][0]
    if parent_text and _ONE_OF.search(parent_text):
        return "OR"
    return "AND"


def _tree(items: list[RawBlock]) -> list[Node | Leaf]:
    """Nest list items by level: an item followed by deeper items becomes a node."""
    out: list[Node | Leaf] = []
    i = 0
    while i < len(items):
        b = items[i]
        j = i + 1
        while j < len(items) and items[j].level > b.level:
            j += 1
        children = items[i + 1 : j]
        if children:
            base = min(c.level for c in children)
            top = [c for c in children if c.level == base]
            out.append(
                Node(
                    op=_group_op(top, b.text),
                    label=b.label,
                    text=b.text,
                    page=b.page,
                    items=_tree(_rebase(children, base)),
                )
            )
        else:
            out.append(_leaf(b))
        i = j
    return out


def _rebase(items: list[RawBlock], base: int) -> list[RawBlock]:
    return [
        RawBlock(
            kind=b.kind,
            text=b.text,
            page=b.page,
            label=b.label,
            level=b.level - base,
            connector=b.connector,
        )
        for b in items
    ]


def criteria_tree(blocks: list[RawBlock], d: Draft, section: str) -> Node | None:
    """List items (and standalone OR/AND lines) of a criteria section -> logic tree."""
    items = [b for b in blocks if b.kind in ("list_item", "connector")]
    if not any(b.kind == "list_item" for b in items):
        return None
    intro = next(
        (b.text for b in blocks if b.kind == "paragraph" and b.text.rstrip().endswith(":")),
        None,
    )
    base = min(b.level for b in items if b.kind == "list_item")
    groups: list[list[RawBlock]] = [[]]
    separators: list[str] = []
    for b in items:
        if b.kind == "connector":
            if groups[-1]:
                separators.append(b.text)
                groups.append([])
            continue
        groups[-1].append(b)
    groups = [g for g in groups if g]
    if len(groups) > 1:
        if len(set(separators)) > 1:
            d.warn(
                "mixed_connectors",
                f"{section}: branches joined by both AND and OR lines",
                groups[0][0].page,
            )
        op: Op = "OR" if separators.count("OR") >= separators.count("AND") else "AND"
        branches: list[Node | Leaf] = []
        for g in groups:
            g = _rebase(g, base)
            top = [b for b in g if b.level == 0]
            sub = _tree(g)
            if len(sub) == 1:
                branches.append(sub[0])
            else:
                branches.append(Node(op=_group_op(top, None), page=g[0].page, items=sub))
        return Node(op=op, text=intro, page=groups[0][0].page, items=branches)
    g = _rebase(groups[0], base)
    sub = _tree(g)
    if len(sub) == 1 and isinstance(sub[0], Node) and intro is None:
        return sub[0]
    top = [b for b in g if b.level == 0]
    return Node(op=_group_op(top, intro), text=intro, page=g[0].page, items=sub)


_MONTHS_RE = re.compile(r"(\d+)\s*(month|year|week|day)s?", re.I)


def _months(text: str) -> int | None:
    m = _MONTHS_RE.search(text)
    if not m:
        return None
    n, unit = int(m.group(1)), m.group(2).lower()
    return {"month": n, "year": n * 12, "week": round(n / 4.345), "day": round(n / 30.4)}[unit]


def criteria(d: Draft) -> None:
    c = d.criteria
    for key in CRITERIA_KEYS:
        blocks = [b for _, b in d.blocks(key)]
        tree = criteria_tree(blocks, d, key) if blocks else None
        if key == "initial_criteria":
            c.initial = tree
        elif key == "continuation_criteria":
            c.continuation = tree
        else:
            c.not_covered = tree
    auth = Authorization()
    for _, b in d.blocks("authorization_duration", "initial_criteria", "continuation_criteria"):
        if not b.text:
            continue
        low = b.text.lower()
        if "duration" not in low and "authorization" not in low and "approval" not in low:
            continue
        months = _months(b.text)
        if months is None:
            continue
        if re.search(r"re-?authori[sz]ation|continu|renewal", low):
            if auth.reauthorization_months is None:
                auth.reauthorization_months = months
        elif re.search(r"initial", low) and auth.initial_months is None:
            auth.initial_months = months
            auth.page = b.page
        if auth.page is None:
            auth.page = b.page
    c.authorization = auth


# --------------------------------------------------------------------- codes

_RANGE = re.compile(rf"^({ANY_CODE})\s*(?:-|–|—|through|to)\s*({ANY_CODE})$", re.I)
_SINGLE = re.compile(rf"^{ANY_CODE}$")


def _system_for(code: str, hint: str) -> CodeSystem | None:
    h = hint.lower()
    if "icd" in h:
        return "ICD-10-CM"
    if "hcpcs" in h:
        return "HCPCS"
    if "cpt" in h:
        return "CPT"
    if re.fullmatch(HCPCS, code):
        return "HCPCS"
    if re.fullmatch(CPT, code):
        return "CPT"
    if re.fullmatch(ICD10, code):
        return "ICD-10-CM"
    return None


def _code_columns(header: list[str]) -> tuple[int, int | None, int | None] | None:
    low = [h.lower() for h in header]
    code_col = next(
        (i for i, h in enumerate(low) if "code" in h and "type" not in h and "desc" not in h),
        None,
    )
    if code_col is None:  # a column headed by the code system itself ("ICD-10", "HCPCS")
        code_col = next(
            (i for i, h in enumerate(low) if re.fullmatch(r"(icd-?10(-cm)?|hcpcs|cpt)", h)), None
        )
    if code_col is None:
        return None
    type_col = next((i for i, h in enumerate(low) if "type" in h or h in ("system",)), None)
    desc_col = next((i for i, h in enumerate(low) if "desc" in h), None)
    return code_col, type_col, desc_col


def _split_codes(cell: str) -> list[str]:
    cell = normalize_space(cell)
    if _RANGE.match(cell) or _SINGLE.match(cell):
        return [cell]
    parts = [p.strip() for p in re.split(r"[,;]\s*|\s+(?:and)\s+|\s{2,}|\s(?=[A-Z]\d)", cell)]
    parts = [p for p in parts if p]
    if parts and all(_RANGE.match(p) or _SINGLE.match(p) for p in parts):
        return parts
    return []


def codes(d: Draft) -> None:
    out: list[Code] = []
    for s, b in d.tables():
        rows = b.rows or []
        cols = _code_columns(rows[0]) if rows else None
        if cols is None:
            continue
        code_col, type_col, desc_col = cols
        pages = b.row_pages or [b.page] * len(rows)
        for r, page in zip(rows[1:], pages[1:], strict=False):
            if code_col >= len(r):
                continue
            hint = (r[type_col] if type_col is not None and type_col < len(r) else "") or (
                s.title + " " + s.key
            )
            desc = r[desc_col] if desc_col is not None and desc_col < len(r) else None
            for printed in _split_codes(r[code_col]):
                code = _code(printed, hint, desc, page)
                if code is not None:
                    out.append(code)
    out.extend(_line_codes(d))
    d.codes = out


def _code(printed: str, hint: str, description: str | None, page: int) -> Code | None:
    """A printed code or range ('C34.00-C34.92') with its system, or None if unknown."""
    m = _RANGE.match(printed)
    first, last = (m.group(1), m.group(2)) if m else (printed, printed)
    system = _system_for(first.upper(), hint)
    if system is None:
        return None
    return Code(
        system=system,
        code=printed,
        first=first.upper(),
        last=last.upper(),
        description=description or None,
        page=page,
    )


_CODE_LINE = re.compile(
    rf"^(?P<code>{ANY_CODE}(?:\s*(?:-|–|—|through)\s*{ANY_CODE})?)\s+(?P<desc>\S.*)$"
)


def _line_codes(d: Draft) -> list[Code]:
    """Codes printed as lines ('J3590 Unclassified biologics') in a coding section."""
    out: list[Code] = []
    for s in d.sections:
        if not (s.key.startswith("codes") or "code" in s.title.lower()):
            continue
        hint = s.title
        for b in s.blocks:
            if b.kind not in ("paragraph", "list_item") or not b.text:
                continue
            m = _CODE_LINE.match(b.text)
            if not m:
                if len(b.text.split()) <= 6 and re.search(r"ICD|HCPCS|CPT", b.text):
                    hint = b.text
                continue
            code = _code(normalize_space(m.group("code")), hint, m.group("desc"), b.page)
            if code is not None:
                out.append(code)
    return out


# -------------------------------------------------------------------- dosing

_FOOTNOTE = re.compile(r"\s*\^[A-Za-z0-9]+")


def _col(header: list[str], *words: str) -> int | None:
    low = [h.lower() for h in header]
    for w in words:
        for i, h in enumerate(low):
            if w in h:
                return i
    return None


def _cell(row: list[str], i: int | None) -> str:
    if i is None or i >= len(row):
        return ""
    return _FOOTNOTE.sub("", row[i]).strip()


def dosing(d: Draft) -> None:
    ds = Dosing()
    for _, b in d.tables():
        rows = b.rows or []
        header = rows[0]
        pages = b.row_pages or [b.page] * len(rows)
        day = _col(header, "day")
        dose = _col(header, "dose")
        med = _col(header, "medication")
        admin = _col(header, "administration")
        if med is not None and admin is not None and day is not None:
            for r, pg in zip(rows[1:], pages[1:], strict=False):
                if not any(c.strip() for c in r[1:]):
                    continue
                ds.premedication.append(
                    Premedication(
                        day=_cell(r, day),
                        medication=_cell(r, med),
                        administration=_cell(r, admin),
                        page=pg,
                    )
                )
        elif dose is not None and day is not None and day != dose:
            sched = _col(header, "schedule", "cycle")
            mon = _col(header, "monitor")
            prev: DosingRow | None = None
            for r, pg in zip(rows[1:], pages[1:], strict=False):
                if not _cell(r, day) and not _cell(r, dose):
                    continue  # a sub-heading row such as "Exceptions"
                row = DosingRow(
                    schedule=_cell(r, sched) or (prev.schedule if prev else ""),
                    day=_cell(r, day),
                    dose=_cell(r, dose),
                    monitoring=_cell(r, mon) or (prev.monitoring if prev else ""),
                    page=pg,
                )
                ds.schedule.append(row)
                prev = row
    for _, b in d.blocks(*DOSING_KEYS):
        if b.kind in ("paragraph", "list_item") and b.text:
            ds.notes.append(b.text)
    d.dosing = ds


# ----------------------------------------------------- definitions, references


def definitions(d: Draft) -> None:
    for _, b in d.blocks("definitions"):
        if b.kind != "list_item" or ":" not in b.text:
            continue
        term, text = b.text.split(":", 1)
        d.definitions.append(Definition(term=term.strip(), text=text.strip(), page=b.page))


def references(d: Draft) -> None:
    parent: str | None = None
    for _, b in d.blocks("references"):
        if b.kind != "list_item":
            continue
        label = b.label
        if b.level == 0:
            parent = label
        elif parent and label:
            label = f"{parent}{label}"
        d.references.append(Reference(label=label, text=b.text, page=b.page))


# ------------------------------------------------------------------- history


def _history_columns(header: list[str]) -> dict[str, int] | None:
    low = [normalize_space(h.lower()) for h in header]
    cols: dict[str, int] = {}
    for i, h in enumerate(low):
        if "p&t" in h or "p & t" in h:
            cols.setdefault("pt", i)
        elif re.search(r"\bum\b|um/", h):
            cols.setdefault("um", i)
        elif h.startswith(("type", "action")) or h in ("review", "review type"):
            cols.setdefault("type", i)
        elif "summary" in h or "description" in h or "change" in h or "revision" in h:
            cols.setdefault("summary", i)
        elif "date" in h:
            cols.setdefault("date", i)
    if "summary" in cols and ("type" in cols or "date" in cols or "pt" in cols):
        return cols
    return None


def _merge_header_rows(rows: list[list[str]]) -> list[list[str]]:
    """A header printed over several rows (first cell merged down) becomes one row."""
    if not rows:
        return rows
    header, i = list(rows[0]), 1
    while i < len(rows) and rows[i] and rows[i][0] == header[0] and len(rows[i]) == len(header):
        header = [
            h if not c.strip() or c == h else f"{h} {c}".strip()
            for h, c in zip(header, rows[i], strict=True)
        ]
        i += 1
    return [header, *rows[i:]]


def history(d: Draft) -> None:
    previous: tuple[dict[str, int], int] | None = None  # columns of the last history table
    for s, b in d.tables():
        rows = _merge_header_rows(b.rows or [])
        pages = b.row_pages or [b.page] * len(rows)
        cols = _history_columns(rows[0]) if _code_columns(rows[0]) is None else None
        width = max(len(r) for r in rows)
        if cols is None and previous is not None and s.key.startswith("history"):
            if width != previous[1]:
                continue
            cols = previous[0]  # the same table continued (text in between cut it)
            rows, pages = [[], *rows], [b.page, *pages]
        if cols is None or not (s.key.startswith("history") or "type" in cols or "pt" in cols):
            continue
        previous = (cols, width)
        for r, pg in zip(rows[1:], pages[1:], strict=False):
            _history_row(d, r, pg, cols)


def _history_row(d: Draft, row: list[str], page: int, cols: dict[str, int]) -> None:
    def cell(name: str) -> str:
        i = cols.get(name)
        return row[i].strip() if i is not None and i < len(row) else ""

    summary = cell("summary")
    if not summary:
        return
    if d.history and not cell("type") and not cell("date") and not cell("pt") and not cell("um"):
        last = d.history[-1]  # a row that only continues the previous entry's summary
        last.summary = join_lines(f"{last.summary}\n{summary}")
        return
    um = to_iso_date(cell("um")) or to_iso_date(cell("date"))
    d.history.append(
        HistoryEntry(
            date=um or to_iso_date(cell("pt")),
            review_type=cell("type"),
            summary=summary,
            pt_approval_date=to_iso_month_or_date(cell("pt")),
            um_approval_date=um,
            page=page,
        )
    )


# ---------------------------------------------------------------------- drug

_PAIR = re.compile(r"\b([A-Za-z][\w-]*-[a-z]{4})\s*\(([A-Z][A-Za-z]+)®?\)")
_PAIR_REV = re.compile(r"\b([A-Z][A-Za-z]+)®?\s*\(([a-z][\w-]*-[a-z]{4})\)", re.I)


def drug(d: Draft) -> None:
    name = d.policy.name or ""
    m = re.match(r"^\s*([\w-]+(?:\s[\w-]+){0,2})\s*\(([A-Z][a-z][\w-]*)®?\)\s*$", name)
    brand = m.group(2).strip() if m else None
    header_generic = m.group(1).strip() if m else None
    body = "\n".join(b.text for b in d.raw.blocks if b.text)
    candidates: list[str] = []
    for pm in _PAIR.finditer(body):
        if brand is None or pm.group(2).lower() == brand.lower():
            candidates.append(pm.group(1))
    for pm in _PAIR_REV.finditer(body):
        if brand is None or pm.group(1).lower() == brand.lower():
            candidates.append(pm.group(2))
    if header_generic:
        candidates += [v.split("(")[0].strip() for v in d.policy.name_variants]
    if not candidates:
        d.policy.drug = Drug(brand=brand, generic=header_generic)
        return
    low = body.lower()

    def score(c: str) -> int:
        stem = c.lower().split("-")[0]
        return len(re.findall(rf"\b{re.escape(stem)}\b", low))

    order = list(dict.fromkeys(c.lower() for c in candidates))
    generic = max(order, key=lambda c: (score(c), -order.index(c)))
    if brand is None:
        pm2 = _PAIR.search(body)
        brand = pm2.group(2) if pm2 else None
    d.policy.drug = Drug(brand=brand, generic=generic)
    if header_generic and header_generic.lower() != generic:
        d.warn(
            "header_name_mismatch",
            f"the page header names the drug '{header_generic}' but the body text calls it "
            f"'{generic}'",
        )


_DATED = re.compile(
    r"^(?P<date>(?:[A-Za-z]+\.?\s+(?:\d{1,2},?\s+)?\d{4})|\d{1,2}/(?:\d{1,2}/)?\d{2,4})"
    r"\s*[–—:-]?\s*(?P<rest>.*)$"
)


def history_lines(d: Draft) -> None:
    """History written as dated lines or bullets ('08/15/2025 – Annual Review: ...')."""
    if d.history:
        return
    for _, b in d.blocks("history"):
        if b.kind not in ("paragraph", "list_item") or not b.text:
            continue
        m = _DATED.match(b.text)
        date = to_iso_month_or_date(m.group("date")) if m else None
        if m is None or date is None:
            continue
        rest = m.group("rest").strip()
        review_type, summary = "", rest
        head = re.match(r"^([^:.]{3,40}):\s*(.+)$", rest)
        if head and len(head.group(1).split()) <= 5:
            review_type, summary = head.group(1).strip(), head.group(2).strip()
        d.history.append(
            HistoryEntry(review_type=review_type, summary=summary or rest, date=date, page=b.page)
        )


def tidy_warnings(d: Draft) -> None:
    seen = set()
    unique = []
    for w in d.warnings:
        k = (w.code, w.message, w.page)
        if k not in seen:
            seen.add(k)
            unique.append(w)
    d.warnings = unique


PIPELINE: tuple[Step, ...] = (
    build_sections,
    header_metadata,
    service_categories,
    criteria,
    codes,
    dosing,
    definitions,
    references,
    history,
    history_lines,
    drug,
    tidy_warnings,
)
