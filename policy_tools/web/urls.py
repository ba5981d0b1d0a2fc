"""The app's URLs (a contract: scripts and the lead's checks read them), built in one place.

Every path segment taken from the store (policy keys, dates) is percent-quoted."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote, urlencode

__all__ = [
    "case_url",
    "codes_url",
    "compare_url",
    "page_url",
    "policy_url",
    "source_url",
]


def _q(part: str) -> str:
    return quote(part, safe="")


def policy_url(policy: str, suffix: str = "") -> str:
    return f"/policy/{_q(policy)}{suffix}"


def compare_url(policy: str, old: str, new: str, suffix: str = "") -> str:
    return f"{policy_url(policy)}/compare/{_q(old)}...{_q(new)}{suffix}"


def case_url(
    policy: str, old: str, new: str, answers: Iterable[tuple[str, str]] = (), suffix: str = ""
) -> str:
    """The case page; ``answers``: the form's (field, value) pairs."""
    query = urlencode(list(answers))
    return f"{compare_url(policy, old, new)}/case{suffix}" + (f"?{query}" if query else "")


def page_url(policy: str, date: str, page: int) -> str:
    return f"{policy_url(policy)}/{_q(date)}/page/{page}.png"


def source_url(policy: str, date: str) -> str:
    return f"{policy_url(policy)}/{_q(date)}/source.pdf"


def codes_url(query: str, suffix: str = "") -> str:
    return f"/codes{suffix}?{urlencode({'q': query})}"
