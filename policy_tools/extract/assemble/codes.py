"""ICD-10-CM / HCPCS / CPT code tables, ruled or printed as lines."""

from __future__ import annotations

import re
from typing import cast

from ...model.policy import (
    Box,
    Code,
    CodeSystem,
)
from ...text import normalize_space
from ...vocab.codes import ANY_CODE, system_of
from .draft import Draft

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
    system = system_of(code)
    return cast(CodeSystem, system) if system else None


def code_columns(header: list[str]) -> tuple[int, int | None, int | None] | None:
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
        cols = code_columns(rows[0]) if rows else None
        if cols is None:
            continue
        code_col, type_col, desc_col = cols
        pages = b.row_pages or [b.page] * len(rows)
        d.use(b, "codes", [0])
        for i, (r, page) in enumerate(zip(rows[1:], pages[1:], strict=False), start=1):
            if code_col >= len(r):
                continue
            hint = (r[type_col] if type_col is not None and type_col < len(r) else "") or (
                s.title + " " + s.key
            )
            desc = r[desc_col] if desc_col is not None and desc_col < len(r) else None
            box = [b.row_boxes[i]] if b.row_boxes and i < len(b.row_boxes) else None
            for printed in _split_codes(r[code_col]):
                code = _code(printed, hint, desc, page, box)
                if code is not None:
                    out.append(code)
                    d.use(b, "codes", [i])
    out.extend(_line_codes(d))
    d.codes = out


def _code(
    printed: str, hint: str, description: str | None, page: int, box: list[Box] | None = None
) -> Code | None:
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
        box=box,
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
            code = _code(normalize_space(m.group("code")), hint, m.group("desc"), b.page, b.boxes)
            if code is not None:
                out.append(code)
                d.use(b, "codes")
    return out
