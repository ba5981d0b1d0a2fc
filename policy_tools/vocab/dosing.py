"""Dosing tables as payers print them: the header words that make a table a dosing table,
the column that names the indication a row is for, and a row meant for every indication.
"""

from __future__ import annotations

import re

from . import Pattern
from .sections import CENTENE, EMBLEM

__all__ = ["ALL_INDICATIONS", "DOSING_COLUMNS", "INDICATION_COLUMNS"]

DOSING_COLUMNS = Pattern(
    "dose / regimen / limit column",
    re.compile(r"\b(dos(?:e|es|ing|age)|regimen|maximum|limits?|billable\s+units?)\b", re.I),
    CENTENE,
    "Dosing Regimen",
    "Dosing",
)
INDICATION_COLUMNS = Pattern(
    "indication column",
    re.compile(r"^\s*(indications?|diagnos[ie]s)\s*$", re.I),
    EMBLEM,
    "Indication",
    "Indication",
)
ALL_INDICATIONS = Pattern(
    "a row for every indication",
    re.compile(r"^\s*(all\s+(?:indications|diagnoses|uses))\b", re.I),
    EMBLEM,
    "All indications",
    "All indications",
)
