"""Errors in EnSQL queries: :class:`InvalidQuery` and messages that say where the problem is."""

from __future__ import annotations

from embedded_broker.core.errors import InvalidArgument


class InvalidQuery(InvalidArgument):
    """An EnSQL query is malformed; the message says what is wrong and where.

    Attributes:
        index: where in the query text the problem was found (0-based), or None.
    """

    def __init__(self, message: str, index: int | None = None) -> None:
        super().__init__(message)
        self.index = index


def _location(text: str, index: int) -> str:
    if index >= len(text):
        return "the end of the query"
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return f"line {line}, column {column}" if "\n" in text else f"column {column}"


def _error(text: str, index: int | None, problem: str, hint: str = "") -> InvalidQuery:
    message = problem
    if index is not None:
        message += f" at {_location(text, index)}"
        near = text[index : index + 24].split("\n", 1)[0].strip()
        if near:
            message += f" (near {near!r})"
    if hint:
        message += f"; {hint}"
    return InvalidQuery(message, index)
