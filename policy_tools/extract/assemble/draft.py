"""The mutable draft the assembler steps fill in, and the raw section it groups blocks into."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ...model.policy import (
    Code,
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
