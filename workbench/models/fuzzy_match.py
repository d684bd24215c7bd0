"""Fuzzy matching for quick switchers: a query matches a text when its letters appear in order.

Matches are scored so that the ones a person means come first: letters that follow each other
in the text, and letters that start a word (after ``-``, ``_``, ``.``, a space, or a camelCase
hump), score higher; skipped letters cost a little. Matching ignores case.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

MATCH = 1.0
CONSECUTIVE = 8.0
TEXT_START = 10.0
WORD_START = 7.0
CAMEL_HUMP = 6.0
GAP = 0.5  # per skipped character between two matched ones
LEADING_GAP = 0.2  # per character before the first match ...
MAX_LEADING = 10  # ... counted up to this many
_NONE = float("-inf")


@dataclass(frozen=True, slots=True)
class Match:
    """How well a query matches a text, and which characters of the text it matched."""

    score: float
    positions: tuple[int, ...]


def position_bonus(text: str, index: int) -> float:
    """The bonus for matching ``text[index]``: the start of the text or of a word scores more."""
    if index == 0:
        return TEXT_START
    before, here = text[index - 1], text[index]
    if not before.isalnum() and here.isalnum():
        return WORD_START
    if before.islower() and here.isupper():
        return CAMEL_HUMP
    if before.isalpha() and here.isdigit():
        return CAMEL_HUMP / 2
    return 0.0


def match(query: str, text: str) -> Match | None:
    """Score ``query`` against ``text``; None if its letters do not all appear in order.

    The best-scoring placement of the letters is found (not just the leftmost one), so
    ``"ts"`` in ``"topic_stats"`` matches the two word starts. An empty query matches
    everything with score 0.
    """
    if not query:
        return Match(0.0, ())
    q, t = query.lower(), text.lower()
    n, m = len(q), len(t)
    if n > m or not _is_subsequence(q, t):
        return None
    bonus = [position_bonus(text, j) for j in range(m)]
    # score[i][j]: the best score with q[:i + 1] matched and q[i] matched at t[j];
    # back[i][j]: where q[i - 1] was matched in that best placement.
    score = [[_NONE] * m for _ in range(n)]
    back = [[-1] * m for _ in range(n)]
    for j in range(m):
        if t[j] == q[0]:
            score[0][j] = MATCH + bonus[j] - LEADING_GAP * min(j, MAX_LEADING)
    for i in range(1, n):
        previous, row, links = score[i - 1], score[i], back[i]
        # The best previous placement at least one character back, as score + GAP * k so
        # the gap penalty to any later j is a subtraction (linear gaps keep this O(n * m)).
        far, far_at = _NONE, -1
        for j in range(i, m):
            k = j - 2
            if k >= 0 and previous[k] > _NONE and previous[k] + GAP * k > far:
                far, far_at = previous[k] + GAP * k, k
            if t[j] != q[i]:
                continue
            best, best_at = _NONE, -1
            if far_at >= 0:
                best, best_at = far - GAP * (j - 1), far_at
            if previous[j - 1] > _NONE and previous[j - 1] + CONSECUTIVE >= best:
                best, best_at = previous[j - 1] + CONSECUTIVE, j - 1
            if best_at >= 0:
                row[j] = best + MATCH + bonus[j]
                links[j] = best_at
    last = max(range(m), key=lambda j: score[n - 1][j])
    if score[n - 1][last] == _NONE:  # pragma: no cover - ruled out by _is_subsequence
        return None
    positions = [last]
    for i in range(n - 1, 0, -1):
        positions.append(back[i][positions[-1]])
    return Match(score[n - 1][last], tuple(reversed(positions)))


def rank_matches(query: str, items: Iterable[T], key: Callable[[T], str]) -> list[tuple[T, Match]]:
    """The items whose ``key`` matches ``query``, best first, each with its match.

    Ties go to the shorter text, then to the earlier item.
    """
    scored: list[tuple[float, int, int, T, Match]] = []
    for index, item in enumerate(items):
        text = key(item)
        found = match(query, text)
        if found is not None:
            scored.append((-found.score, len(text), index, item, found))
    if query:
        scored.sort(key=lambda entry: entry[:3])
    return [(item, found) for _, _, _, item, found in scored]


def rank(query: str, items: Iterable[T], key: Callable[[T], str]) -> list[T]:
    """The items whose ``key`` matches ``query``, best first (all of them for an empty query)."""
    return [item for item, _ in rank_matches(query, items, key)]


def _is_subsequence(query: str, text: str) -> bool:
    letters = iter(text)
    return all(char in letters for char in query)
