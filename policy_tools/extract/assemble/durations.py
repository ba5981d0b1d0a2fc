"""Approval durations printed in criteria ('Approve for 6 months', 'Authorization will be
issued for 12 months', 'Initial Requests: 6 months Continuation Requests: 12 months')."""

from __future__ import annotations

from dataclasses import dataclass

from ...vocab.criteria import DURATIONS, SAME_AS_ABOVE, number_of

__all__ = ["Duration", "durations_in", "months_of"]

_PER_MONTH = {"month": 1.0, "year": 12.0, "week": 1 / 4.345, "day": 1 / 30.4}


@dataclass(frozen=True)
class Duration:
    branch: str  # "initial", "continuation" or "context" (the branch it is printed in)
    months: int | None  # None: 'Same as above' (the initial duration)
    page: int


def months_of(number: str, unit: str) -> int | None:
    n = number_of(number)
    if n is None:
        return None
    per = _PER_MONTH[unit.lower().rstrip("s")]
    return max(1, round(n * per)) if per < 1 else round(n * per)


def durations_in(text: str, page: int) -> list[Duration]:
    """Every duration a text states, in printed order."""
    found: list[tuple[int, Duration]] = []
    taken: list[tuple[int, int]] = []
    for p in sorted(DURATIONS, key=lambda p: p.meaning == "context"):  # branch-named first
        for m in p.regex.finditer(text):
            span = (m.start(1), m.end(2))
            if any(a < span[1] and span[0] < b for a, b in taken):
                continue  # the same number read by a more general phrase
            taken.append(span)
            found.append((m.start(), Duration(p.meaning, months_of(m.group(1), m.group(2)), page)))
    if SAME_AS_ABOVE.regex.match(text):
        found.append((0, Duration("context", None, page)))
    return [d for _, d in sorted(found, key=lambda t: t[0])]
