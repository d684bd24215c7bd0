"""Events as rows: the event being evaluated, whose JSON data is parsed at most once."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final

from embedded_broker.core.model import EventRecord

_MISSING: Final = object()


class _Row:
    """One event being evaluated; its JSON data is parsed at most once, on first use."""

    __slots__ = ("_doc", "_parsed", "event", "record")

    def __init__(self, record: EventRecord) -> None:
        self.record = record
        self.event = record.event
        self._doc: dict[str, Any] | None = None
        self._parsed = False

    def doc(self) -> dict[str, Any] | None:
        """The event's data as a JSON object, or None if it is not one."""
        if not self._parsed:
            try:
                doc = json.loads(self.event.data)
            except (ValueError, RecursionError):
                doc = None
            self._doc = doc if isinstance(doc, dict) else None
            self._parsed = True
        return self._doc


class _RowCache:
    """Remembers the last row so that ``matches`` and ``project`` share one JSON parse."""

    __slots__ = ("row",)

    def __init__(self) -> None:
        self.row: _Row | None = None


def _lookup(doc: object, path: tuple[str, ...]) -> object:
    """Follow ``path`` into parsed JSON; _MISSING if a step is absent."""
    for key in path:
        if isinstance(doc, dict):
            doc = doc.get(key, _MISSING)
        elif isinstance(doc, list) and key.isascii() and key.isdigit() and int(key) < len(doc):
            doc = doc[int(key)]
        else:
            return _MISSING
        if doc is _MISSING:
            return _MISSING
    return doc


Getter = Callable[[_Row], object]
