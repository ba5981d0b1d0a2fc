"""How much of the body text was read into structure: never silent.

Every block (and table row) of the sections counts its words once: into the part a step
read it into (criteria, codes, dosing, history, references, definitions), else into
``generic`` (text a reviewer only sees as narrative). Page furniture (running headers and
footers) is no part of the body.
"""

from __future__ import annotations

import re

from ...model.policy import Coverage
from .draft import Draft

__all__ = ["coverage"]

_WORD = re.compile(r"[^\W_]+(?:[-'’.][^\W_]+)*")
GENERIC = "generic"


def _words(text: str | None) -> int:
    return len(_WORD.findall(text or ""))


def coverage(d: Draft) -> None:
    by_part: dict[str, int] = {}
    for s in d.sections:
        for b in s.blocks:
            whole = d.used.get(id(b), GENERIC)
            if b.kind == "table":
                for i, row in enumerate(b.rows or []):
                    part = d.used_rows.get((id(b), i), whole)
                    by_part[part] = by_part.get(part, 0) + sum(_words(c) for c in row)
            else:
                by_part[whole] = by_part.get(whole, 0) + _words(b.text)
    body = sum(by_part.values())
    structured = body - by_part.get(GENERIC, 0)
    d.coverage = Coverage(
        body_words=body,
        structured_words=structured,
        by_part={k: by_part[k] for k in sorted(by_part) if by_part[k]},
        ratio=round(structured / body, 3) if body else 0.0,
    )
