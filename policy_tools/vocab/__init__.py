"""Payer knowledge as data: every pattern, alias and phrase that is specific to a payer's
template (or to a code set) lives here, each entry naming who prints it and an example
as printed. General code imports these tables; it never holds a payer's regex itself.

``tests/test_vocab.py`` runs every entry against its own example, so an entry that stops
matching what it was written for fails at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Alias", "Pattern"]


@dataclass(frozen=True)
class Pattern:
    """A regular expression with the payer (or code-set owner) it was written for.

    ``example`` is text as printed that the pattern must match; ``expect`` is what its
    first group (or the whole match) captures from it.
    """

    name: str
    regex: re.Pattern[str]
    payer: str
    example: str
    expect: str

    def search(self, text: str) -> re.Match[str] | None:
        return self.regex.search(text)

    def captured(self, text: str) -> str | None:
        m = self.regex.search(text)
        if m is None:
            return None
        return m.group(1) if m.groups() else m.group(0)


@dataclass(frozen=True)
class Alias:
    """A section heading as a payer prints it (``text`` is the example)."""

    text: str
    payer: str
