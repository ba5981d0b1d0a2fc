"""Shared assembler: RawDocument (from any reader) -> PolicyDocument.

A pipeline of small pure steps over one mutable ``Draft`` (``PIPELINE``, in order):
sections -> header metadata -> service categories -> formulary (a PDL's tables leave the
sections) -> criteria -> codes -> dosing -> definitions/references -> history -> drug ->
coverage -> warnings -> typed conditions.
"""

from __future__ import annotations

from ...model.policy import PolicyDocument, Source
from ..blocks import RawDocument
from .codes import codes
from .conditions import conditions
from .coverage import coverage
from .criteria import criteria
from .dosing import dosing
from .draft import Draft, Step
from .drug import drug
from .formulary import formulary
from .history import history, history_lines
from .lists import definitions, references
from .metadata import header_metadata, service_categories
from .sections import build_sections, public_section

__all__ = ["PIPELINE", "Draft", "assemble"]


def assemble(raw: RawDocument, source: Source) -> PolicyDocument:
    draft = Draft(raw=raw, source=source, warnings=list(raw.warnings))
    for step in PIPELINE:
        step(draft)
    return PolicyDocument(
        source=source,
        policy=draft.policy,
        sections=[public_section(s) for s in draft.sections],
        criteria=draft.criteria,
        codes=draft.codes,
        dosing=draft.dosing,
        definitions=draft.definitions,
        references=draft.references,
        history=draft.history,
        formulary=draft.formulary,
        coverage=draft.coverage,
        warnings=draft.warnings,
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
    formulary,  # before the steps that read tables: a PDL table is no dosing or code table
    criteria,
    codes,
    dosing,
    definitions,
    references,
    history,
    history_lines,
    drug,
    coverage,
    tidy_warnings,
    conditions,
)
