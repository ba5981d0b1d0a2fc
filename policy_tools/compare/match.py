"""Matching primitives of the diff: text similarity, word-level diffs, pairing of items
by identity then similarity, and DeepDiff over keyed maps."""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from deepdiff import DeepDiff
from rapidfuzz import fuzz

from ..model.changeset import WordOp
from ..settings import SETTINGS
from ..text import clean_text, compare_key

__all__ = ["Deep", "deep", "match_items", "similarity", "word_diff", "words"]

_WORD = re.compile(r"\w+(?:[.'/+-]\w+)*")


def words(text: str | None) -> list[str]:
    """The words of a text as the differ and its conservation check compare them: case
    and punctuation aside."""
    return _WORD.findall(clean_text(text).casefold())


T = TypeVar("T")
_M = SETTINGS.match


def similarity(a: str | None, b: str | None) -> float:
    """0-100: mean of rapidfuzz ``ratio`` and ``token_set_ratio`` of the comparison keys."""
    ka, kb = compare_key(a), compare_key(b)
    if ka == kb:
        return 100.0
    if not ka or not kb:
        return 0.0
    return (fuzz.ratio(ka, kb) + fuzz.token_set_ratio(ka, kb)) / 2.0


def word_diff(old: str | None, new: str | None) -> list[WordOp]:
    """Word-level runs (equal / delete / insert) between two texts, for redlining."""
    a, b = clean_text(old).split(), clean_text(new).split()
    ops: list[WordOp] = []

    def push(op: str, words: Sequence[str]) -> None:
        if not words:
            return
        text = " ".join(words)
        if ops and ops[-1].op == op:
            ops[-1] = WordOp(op=ops[-1].op, text=ops[-1].text + " " + text)
        else:
            ops.append(WordOp(op=op, text=text))

    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            push("equal", a[i1:i2])
        else:
            push("delete", a[i1:i2])
            push("insert", b[j1:j2])
    return ops


def match_items(
    olds: Sequence[T],
    news: Sequence[T],
    key: Callable[[T], Any],
    score: Callable[[T, T], float] | None = None,
    threshold: float = 0.0,
    text: Callable[[T], str] | None = None,
) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """Pair items by identity ``key`` first, then leftovers by ``score`` >= threshold.

    Equal keys pair in order of appearance; leftovers pair greedily best-first
    (ties: earlier old, then earlier new), so the result is deterministic. With ``text``
    and many leftovers, only pairs that share one of an item's rarest words are scored
    (an inverted index), so matching stays near-linear in the number of items.
    Returns (pairs of indexes, unmatched old indexes, unmatched new indexes).
    """
    by_key: dict[Any, list[int]] = defaultdict(list)
    for j, item in enumerate(news):
        by_key[key(item)].append(j)
    pairs: list[tuple[int, int]] = []
    lone_old: list[int] = []
    for i, item in enumerate(olds):
        bucket = by_key.get(key(item))
        if bucket:
            pairs.append((i, bucket.pop(0)))
        else:
            lone_old.append(i)
    taken = {j for _, j in pairs}
    lone_new = [j for j in range(len(news)) if j not in taken]
    if score is not None and lone_old and lone_new:
        cands: Iterable[tuple[int, int]]
        if text is not None and len(lone_old) * len(lone_new) > _M.exhaustive_pairs:
            cands = _candidates(olds, news, lone_old, lone_new, text)
        else:
            cands = ((i, j) for i in lone_old for j in lone_new)
        more, lone_old, lone_new = _best_first(
            olds, news, lone_old, lone_new, score, threshold, cands
        )
        pairs.extend(more)
    pairs.sort(key=lambda p: (p[1], p[0]))
    return pairs, lone_old, lone_new


def _candidates(
    olds: Sequence[T],
    news: Sequence[T],
    lone_old: list[int],
    lone_new: list[int],
    text: Callable[[T], str],
) -> list[tuple[int, int]]:
    """Pairs sharing at least one of the old item's rarest words (by frequency among the
    new leftovers): an inverted index instead of every pair."""
    posting: dict[str, list[int]] = defaultdict(list)
    for j in lone_new:
        for w in set(compare_key(text(news[j])).split()):
            posting[w].append(j)
    out: set[tuple[int, int]] = set()
    for i in lone_old:
        own = [w for w in set(compare_key(text(olds[i])).split()) if w in posting]
        own.sort(key=lambda w: (len(posting[w]), w))
        for w in own[: _M.blocking_words]:
            out.update((i, j) for j in posting[w])
    return sorted(out)


def _best_first(
    olds: Sequence[T],
    news: Sequence[T],
    lone_old: list[int],
    lone_new: list[int],
    score: Callable[[T, T], float],
    threshold: float,
    cands_in: Iterable[tuple[int, int]],
) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    cands = []
    for i, j in cands_in:
        s = score(olds[i], news[j])
        if s >= threshold:
            cands.append((-s, i, j))
    cands.sort()
    used_o: set[int] = set()
    used_n: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for _, i, j in cands:
        if i in used_o or j in used_n:
            continue
        used_o.add(i)
        used_n.add(j)
        pairs.append((i, j))
    return pairs, [i for i in lone_old if i not in used_o], [j for j in lone_new if j not in used_n]


@dataclass
class Deep:
    """What DeepDiff found between two keyed maps, in a stable order."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    # (key, field path below the key, old value, new value)
    changed: list[tuple[str, tuple[Any, ...], Any, Any]] = field(default_factory=list)


def deep(old_map: dict[str, Any], new_map: dict[str, Any], **kwargs: Any) -> Deep:
    """DeepDiff two keyed maps (keys are the match keys of paired items).

    Keys only one side has are added / removed by set difference; DeepDiff compares the
    values of the shared keys, always below the root (``threshold_to_diff_deeper=0``:
    DeepDiff's default replaces a whole map that shares few keys by one root-level
    report). A report without a path is never dropped: it marks every shared key whose
    value differs.
    """
    out = Deep(
        added=sorted(set(new_map) - set(old_map)), removed=sorted(set(old_map) - set(new_map))
    )
    shared = [k for k in old_map if k in new_map]
    a, b = {k: old_map[k] for k in shared}, {k: new_map[k] for k in shared}
    dd = DeepDiff(a, b, view="tree", verbose_level=2, threshold_to_diff_deeper=0, **kwargs)
    seen: set[tuple[str, str]] = set()

    def push(head: str, rest: tuple[Any, ...], t1: Any, t2: Any) -> None:
        if (head, str(rest)) not in seen:
            seen.add((head, str(rest)))
            out.changed.append((head, rest, t1, t2))

    for levels in dd.values():
        for level in levels:
            path = level.path(output_format="list")
            if not path:
                for k in shared:
                    if a[k] != b[k]:
                        push(k, (), a[k], b[k])
                continue
            t1 = None if type(level.t1).__name__ == "NotPresent" else level.t1
            t2 = None if type(level.t2).__name__ == "NotPresent" else level.t2
            push(str(path[0]), tuple(path[1:]), t1, t2)
    out.changed.sort(key=lambda c: (c[0], str(c[1])))
    return out
