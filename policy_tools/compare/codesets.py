"""Code-set awareness: ICD-10-CM ranges expanded to billable codes, HCPCS/CPT format checks.

ICD-10-CM data comes from ``simple-icd-10-cm`` (the CMS code set shipped with it).
Importing that package parses its XML (seconds), so the code set is read from a compact
index instead: one line per code in tabular order (code, billable flag, chapter/block
flag, the position of its last descendant), built once from ``simple_icd_10_cm`` and
cached per package version in the user cache directory (``platformdirs``). It is loaded
only when a change needs it.

A printed range such as ``C34.00-C34.92`` means every code of the code set from the
first to the last *in code-set order* (the tabular order); only billable codes (leaves
of the tabular list) are kept. A range whose last code is a category (``C34-C34.9``)
runs to the last descendant of that category. A printed block or category (``C34``)
expands to its billable descendants.

Everything here is pure and cached: the same code always expands the same way.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import re
import sys
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import ModuleType

import platformdirs

from ..io import atomic_write_bytes
from ..vocab.codes import CPT_RE, HCPCS_RE

__all__ = [
    "CodeCheck",
    "IcdIndex",
    "build_icd_index",
    "check_code",
    "covering_codes",
    "expand",
    "expand_icd10",
    "icd_description",
    "icd_index",
    "icd_index_path",
    "normalize_code",
    "split_range",
]

_ICD_PACKAGE = "simple_icd_10_cm"
_INDEX_FORMAT = "2"  # bump when the index layout changes
_SEP = b"\0"


@dataclass(frozen=True)
class IcdIndex:
    """The ICD-10-CM code set in tabular order, as flat arrays."""

    codes: list[str]  # with dots, as printed ('C34.00'; blocks 'C00-C14'; chapters '2')
    billable: bytes  # b"1": a leaf of the tabular list, not a chapter or block
    end: array[int]  # position of the last descendant (itself when it has none)
    position: dict[str, int]  # code with its dot -> position

    @classmethod
    def from_bytes(cls, data: bytes) -> IcdIndex:
        head, codes, billable, ends = data.split(_SEP, 3)
        if head != f"icd10cm-index {_INDEX_FORMAT} {sys.byteorder}".encode():
            raise ValueError("not an index of this format")
        names = codes.decode("ascii").split("\n")
        end = array("i")
        end.frombytes(ends)
        if not len(names) == len(billable) == len(end):
            raise ValueError("truncated index")
        return cls(names, billable, end, dict(zip(names, range(len(names)), strict=True)))

    def to_bytes(self) -> bytes:
        head = f"icd10cm-index {_INDEX_FORMAT} {sys.byteorder}".encode()
        codes = "\n".join(self.codes).encode("ascii")
        return _SEP.join((head, codes, self.billable, self.end.tobytes()))

    def find(self, code: str) -> int | None:
        """Position of a code printed with or without its dot ('C3400' = 'C34.00')."""
        k = self.position.get(code)
        if k is None and "." not in code and "-" not in code and len(code) > 3:
            k = self.position.get(f"{code[:3]}.{code[3:]}")
        return k

    def leaves(self, start: int, stop: int) -> tuple[str, ...]:
        """Billable codes at positions start..stop (inclusive), in order."""
        flags = self.billable
        return tuple(self.codes[k] for k in range(start, stop + 1) if flags[k] == 49)  # "1"


def icd_index_path() -> Path:
    """Where the index of the installed simple-icd-10-cm version is cached."""
    version = importlib.metadata.version(_ICD_PACKAGE)
    cache = Path(platformdirs.user_cache_dir("policy-tools"))
    return cache / f"icd10cm-{version}-index{_INDEX_FORMAT}.bin"


def build_icd_index() -> IcdIndex:
    """The index, from simple_icd_10_cm (slow: parses the whole code set)."""
    icd = importlib.import_module(_ICD_PACKAGE)
    codes = list(icd.get_all_codes(True))
    billable = bytes(49 if icd.is_leaf(c) and not icd.is_chapter_or_block(c) else 48 for c in codes)
    # descendants follow their code in tabular order: the last one sits at k + their count
    end = array("i", (k + len(icd.get_descendants(c)) for k, c in enumerate(codes)))
    return IcdIndex(codes, billable, end, dict(zip(codes, range(len(codes)), strict=True)))


@lru_cache(maxsize=1)
def icd_index() -> IcdIndex:
    """The code set: read from the cache, built (and cached) on first use."""
    path = icd_index_path()
    try:
        return IcdIndex.from_bytes(path.read_bytes())
    except (OSError, ValueError):
        index = build_icd_index()
        with contextlib.suppress(OSError):  # a read-only cache costs a rebuild next time
            atomic_write_bytes(path, index.to_bytes())
        return index


@lru_cache(maxsize=1)
def _icd_module() -> ModuleType:
    """simple_icd_10_cm itself: importing it parses the whole code set (about 5 s), so it
    is loaded only for what the compact index does not hold (descriptions)."""
    return importlib.import_module(_ICD_PACKAGE)


@lru_cache(maxsize=1 << 14)
def icd_description(code: str) -> str | None:
    """The ICD-10-CM title of a code ('C34.90' -> 'Malignant neoplasm of unspecified ...')."""
    icd = _icd_module()
    return str(icd.get_description(code)) if icd.is_valid_item(code) else None


_DASHES = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2012": "-", "\u2212": "-"})


def normalize_code(code: str) -> str:
    """Upper case, no spaces, dashes unified: ' c34.00 – C34.92 ' -> 'C34.00-C34.92'."""
    return re.sub(r"\s+", "", code.translate(_DASHES)).upper()


def split_range(code: str) -> tuple[str, str]:
    """'C34.00-C34.92' -> ('C34.00', 'C34.92'); a single code -> (code, code)."""
    norm = normalize_code(code)
    ix = icd_index()
    k = ix.find(norm)
    if k is not None and ix.end[k] > k:
        return norm, norm  # a block such as C00-C14 is one item of the code set
    first, sep, last = norm.partition("-")
    if sep and first and last:
        return first, last
    return norm, norm


@lru_cache(maxsize=4096)
def expand_icd10(code: str) -> tuple[str, ...] | None:
    """Billable ICD-10-CM codes a printed code or range stands for; None when unknown.

    >>> expand_icd10("C34.90-C34.92")
    ('C34.90', 'C34.91', 'C34.92')
    """
    first, last = split_range(code)
    ix = icd_index()
    start, stop = ix.find(first), ix.find(last)
    if start is None or stop is None or start > stop:
        return None
    # a single code stands for itself and its descendants; a category as the end of a
    # range runs to its last descendant
    return ix.leaves(start, ix.end[stop])


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
