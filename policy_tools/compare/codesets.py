"""Code-set awareness: ICD-10-CM ranges expanded to billable codes, HCPCS/CPT format checks.

ICD-10-CM data comes from ``simple-icd-10-cm`` (the CMS code set shipped with it).
A printed range such as ``C34.00-C34.92`` means every code of the code set from the
first to the last *in code-set order* (the tabular order that ``get_index`` exposes);
only billable codes (leaves of the tabular list) are kept. A range whose last code is
a category (``C34-C34.9``) runs to the last descendant of that category. A printed
block or category (``C34``) expands to its billable descendants.

Everything here is pure and cached: the same code always expands the same way.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from types import ModuleType
from typing import Any

from ..vocab.codes import CPT_RE, HCPCS_RE

__all__ = [
    "CodeCheck",
    "check_code",
    "covering_codes",
    "expand",
    "expand_icd10",
    "normalize_code",
    "split_range",
]


class _LazyICD:
    """simple_icd_10_cm parses the whole code set on import (seconds): import on first use."""

    @staticmethod
    @lru_cache(maxsize=1)
    def module() -> ModuleType:
        return importlib.import_module("simple_icd_10_cm")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.module(), name)


icd = _LazyICD()

_DASHES = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2012": "-", "\u2212": "-"})


def normalize_code(code: str) -> str:
    """Upper case, no spaces, dashes unified: ' c34.00 – C34.92 ' -> 'C34.00-C34.92'."""
    return re.sub(r"\s+", "", code.translate(_DASHES)).upper()


def split_range(code: str) -> tuple[str, str]:
    """'C34.00-C34.92' -> ('C34.00', 'C34.92'); a single code -> (code, code)."""
    norm = normalize_code(code)
    if icd.is_valid_item(norm) and icd.get_descendants(norm):
        return norm, norm  # a block such as C00-C14 is one item of the code set
    first, sep, last = norm.partition("-")
    if sep and first and last:
        return first, last
    return norm, norm


@lru_cache(maxsize=1)
def _all_codes() -> tuple[str, ...]:
    return tuple(icd.get_all_codes(True))


@lru_cache(maxsize=4096)
def _leaves_under(code: str) -> tuple[str, ...]:
    """Billable codes of ``code`` itself (when billable) and of its descendants, in order."""
    if icd.is_leaf(code) and not icd.is_chapter_or_block(code):
        return (icd.add_dot(code),)
    return tuple(
        icd.add_dot(c)
        for c in icd.get_descendants(code)
        if icd.is_leaf(c) and not icd.is_chapter_or_block(c)
    )


@lru_cache(maxsize=4096)
def expand_icd10(code: str) -> tuple[str, ...] | None:
    """Billable ICD-10-CM codes a printed code or range stands for; None when unknown.

    >>> expand_icd10("C34.90-C34.92")
    ('C34.90', 'C34.91', 'C34.92')
    """
    first, last = split_range(code)
    if not (icd.is_valid_item(first) and icd.is_valid_item(last)):
        return None
    if first == last:
        return _leaves_under(first)
    start, end = icd.get_index(first), icd.get_index(last)
    if start > end:
        return None
    tail = _leaves_under(last)
    if tail:  # a category as the end of a range runs to its last descendant
        end = max(end, icd.get_index(tail[-1]))
    all_codes = _all_codes()
    seen: dict[str, None] = {}
    for c in all_codes[start : end + 1]:
        if not icd.is_chapter_or_block(c) and icd.is_leaf(c):
            seen[icd.add_dot(c)] = None
    return tuple(seen)


def expand(system: str, code: str) -> tuple[str, ...] | None:
    """Billable codes for any system: ICD-10-CM expands, HCPCS/CPT stand for themselves.

    Returns None when the code is not known (ICD-10-CM) or malformed (HCPCS/CPT).
    """
    if system == "ICD-10-CM":
        return expand_icd10(code)
    norm = normalize_code(code)
    first, sep, last = norm.partition("-")
    pattern = HCPCS_RE if system == "HCPCS" else CPT_RE
    if sep:
        if not (pattern.match(first) and pattern.match(last)) or (
            first[0] != last[0] and (system == "HCPCS")
        ):
            return None
        if first[:-4] == last[:-4] and first[-4:].isdigit() and last[-4:].isdigit():
            lo, hi = int(first[-4:]), int(last[-4:])
            return tuple(f"{first[:-4]}{n:04d}" for n in range(lo, hi + 1)) if lo <= hi else None
        return (first, last)
    return (norm,) if pattern.match(norm) else None


@dataclass(frozen=True)
class CodeCheck:
    """The code-set verdict on one printed code."""

    system: str
    code: str
    known: bool
    billable: tuple[str, ...]
    problem: str | None  # one line, None when the code is fine


@lru_cache(maxsize=4096)
def check_code(system: str, code: str) -> CodeCheck:
    """Validate a printed code and expand it (see module doc)."""
    billable = expand(system, code)
    if billable is None:
        if system == "ICD-10-CM":
            problem = f"{code} does not exist in ICD-10-CM"
        elif system == "HCPCS":
            problem = f"{code} is not a HCPCS Level II code (letter A-V and 4 digits)"
        else:
            problem = f"{code} is not a CPT code (5 digits, or 4 digits and A, F, M, T or U)"
        return CodeCheck(system, code, False, (), problem)
    if not billable:
        return CodeCheck(system, code, True, (), f"{code} covers no billable ICD-10-CM code")
    return CodeCheck(system, code, True, billable, None)


def covering_codes(system: str, code: str, others: Sequence[tuple[str, str]]) -> list[str]:
    """Printed codes among ``others`` ((system, code) pairs) whose expansion covers ``code``."""
    mine = set(check_code(system, code).billable)
    if not mine:
        return []
    out = []
    for other_system, other in others:
        if other_system != system or normalize_code(other) == normalize_code(code):
            continue
        theirs = set(check_code(other_system, other).billable)
        if mine <= theirs:
            out.append(other)
    return out
