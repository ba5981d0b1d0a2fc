"""Code-set patterns: the one definition of what an ICD-10-CM, HCPCS or CPT code looks
like, imported by the readers, the assembler, the code-set checks and the audit."""

from __future__ import annotations

import re

from . import Pattern

__all__ = [
    "ANY_CODE",
    "CODE_PATTERNS",
    "CODE_RANGE_IN_TEXT",
    "CPT",
    "CPT_RE",
    "HCPCS",
    "HCPCS_RE",
    "ICD10",
    "ICD10_RE",
    "system_of",
]

# ICD-10-CM: a letter (U is reserved), a digit, a digit or letter, then up to 4 after a dot.
ICD10 = r"[A-TV-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?"
# HCPCS Level II: one letter A-V and four digits (J9026).
HCPCS = r"[A-V][0-9]{4}"
# CPT: five digits (Category I), four digits and F (Category II), T (Category III),
# U (Proprietary Laboratory Analyses), M (Multianalyte Assays) or A (vaccine codes).
CPT = r"[0-9]{4}[0-9AFMTU]"
ANY_CODE = rf"(?:{HCPCS}|{CPT}|{ICD10})"

ICD10_RE = re.compile(rf"^{ICD10}$")
HCPCS_RE = re.compile(rf"^{HCPCS}$")
CPT_RE = re.compile(rf"^{CPT}$")

CODE_PATTERNS: tuple[Pattern, ...] = (
    Pattern("ICD-10-CM", ICD10_RE, "CDC/CMS code set", "C7A.1", "C7A.1"),
    Pattern("HCPCS", HCPCS_RE, "CMS code set", "J9026", "J9026"),
    Pattern("CPT", CPT_RE, "AMA code set (Category I)", "99213", "99213"),
    Pattern("CPT", CPT_RE, "AMA code set (Category II)", "3008F", "3008F"),
    Pattern("CPT", CPT_RE, "AMA code set (Category III)", "0500T", "0500T"),
    Pattern("CPT", CPT_RE, "AMA code set (PLA)", "0001U", "0001U"),
    Pattern("CPT", CPT_RE, "AMA code set (MAAA)", "0002M", "0002M"),
    Pattern("CPT", CPT_RE, "AMA code set (vaccine)", "0001A", "0001A"),
)

_CODE_IN_TEXT = rf"(?:{ICD10}|{HCPCS}|{CPT})"
# a code or range named in free text ("added ICD10 codes C7A.1 and C79.31", "C34.00-C34.92")
CODE_RANGE_IN_TEXT = re.compile(
    rf"(?<![\w.])({_CODE_IN_TEXT}(?:\s*[-\u2013]\s*{_CODE_IN_TEXT})?)(?![\w])"
)


def system_of(code: str) -> str | None:
    """The code system whose pattern ``code`` has (HCPCS, then CPT, then ICD-10-CM)."""
    if HCPCS_RE.match(code):
        return "HCPCS"
    if CPT_RE.match(code):
        return "CPT"
    if ICD10_RE.match(code):
        return "ICD-10-CM"
    return None
