"""LIKE and ILIKE: the text form of a value, and patterns matched against it."""

from __future__ import annotations

import functools
import json
import re


def _text(value: object) -> str | None:
    """A value as LIKE sees it, or None if it has no text form."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, bytes):
        try:
            return value.decode()
        except UnicodeDecodeError:
            return None
    if isinstance(value, tuple):
        return ".".join(str(part) for part in value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class _Like:
    """A LIKE pattern: ``%`` any run, ``_`` any one character, ``\\`` escapes the next one.

    The pattern is split at ``%`` into fixed-length pieces that are matched leftmost-first, so
    matching never backtracks.
    """

    __slots__ = ("_exact", "_head", "_middle", "_tail", "_tail_size")

    def __init__(self, pattern: str, fold: bool) -> None:
        flags = re.DOTALL | (re.IGNORECASE if fold else 0)
        pieces: list[tuple[str, int]] = []
        regex: list[str] = []
        size = 0
        chars = iter(pattern)
        for char in chars:
            if char == "%":
                pieces.append(("".join(regex), size))
                regex, size = [], 0
                continue
            if char == "\\":
                regex.append(re.escape(next(chars, "\\")))
            elif char == "_":
                regex.append(".")
            else:
                regex.append(re.escape(char))
            size += 1
        pieces.append(("".join(regex), size))

        def compiled(piece: str) -> re.Pattern[str] | None:
            return re.compile(piece, flags) if piece else None

        self._exact = re.compile(pieces[0][0], flags) if len(pieces) == 1 else None
        self._head = compiled(pieces[0][0])
        self._middle = [re.compile(p, flags) for p, _ in pieces[1:-1] if p]
        self._tail = compiled(pieces[-1][0])
        self._tail_size = pieces[-1][1]

    def __call__(self, text: str) -> bool:
        if self._exact is not None:
            return self._exact.fullmatch(text) is not None
        index = 0
        if self._head is not None:
            found = self._head.match(text)
            if found is None:
                return False
            index = found.end()
        for piece in self._middle:
            found = piece.search(text, index)
            if found is None:
                return False
            index = found.end()
        if self._tail is None:
            return True
        start = len(text) - self._tail_size
        return start >= index and self._tail.fullmatch(text, start) is not None


@functools.lru_cache(maxsize=256)
def _like(pattern: str, fold: bool) -> _Like:
    return _Like(pattern, fold)
