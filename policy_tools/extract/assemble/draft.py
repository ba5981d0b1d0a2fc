"""The mutable draft the assembler steps fill in, and the raw section it groups blocks into."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ...model.policy import (
    Code,
    Coverage,
    Criteria,
    Definition,
    Dosing,
    Formulary,
    HistoryEntry,
    PolicyMeta,
    Reference,
    Source,
    Warning,
)
from ..blocks import RawBlock, RawDocument

# ------------------------------------------------------------------ the draft


@dataclass
class RawSection:
    key: str
    title: str
    page: int
    recognised: bool
    blocks: list[RawBlock] = field(default_factory=list)
    # the printed heading block the title was read from (None: a boxed title table)
    head: RawBlock | None = None


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
    formulary: Formulary | None = None
    warnings: list[Warning] = field(default_factory=list)
    coverage: Coverage = field(default_factory=Coverage)
    # which part of the document each block (or table row) was read into, for coverage
    used: dict[int, str] = field(default_factory=dict)
    used_rows: dict[tuple[int, int], str] = field(default_factory=dict)
    # dosing text printed in limits rows of the criteria ('Quantity One infusion ...')
    limits: list[tuple[str, int]] = field(default_factory=list)
    # date fields printed with an impossible date (never filled from another date)
    invalid_dates: set[str] = field(default_factory=set)
    # the product group each indication was printed under (name -> group heading)
    scopes: dict[str, str] = field(default_factory=dict)

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

    def use(self, block: RawBlock, part: str, rows: Iterable[int] | None = None) -> None:
        """Record that ``block`` (or some of its table rows) was read into ``part``."""
        if rows is None:
            self.used.setdefault(id(block), part)
            return
        for r in rows:
            self.used_rows.setdefault((id(block), r), part)

    def warn(self, code: str, message: str, page: int | None = None) -> None:
        self.warnings.append(Warning(code=code, message=message, page=page))


Step = Callable[[Draft], None]
