"""The event table's filter: an event matches when the text typed occurs in what the views show
of it.

What is searched is what a person can see: every cell of the event's row as the table shows it
(offset ``1,042``, times in the view's zone, ``Order v1.2.0``, ``1.5 KiB``, the Preview), the
headers and metadata of the detail view, and the payload as the detail view shows it — its raw
text, and for JSON its decoded text too (``"\\u6771\\u4eac"`` is shown, and found, as ``東京``;
``\\/`` as ``/``); for data that is not text, its hex dump's bytes (``89 50 4e 47``) and text
column (``.PNG``).

Text and filter are compared folded (:func:`fold`): Unicode NFKC normalised and case folded (so
``ПРИВЕТ`` finds ``привет``, ``STRASSE`` finds ``Straße``, and ``café`` typed one way finds it
stored the other), with runs of white space as one space.
"""

from __future__ import annotations

import unicodedata
from collections import OrderedDict

from workbench.client.records import EventRow
from workbench.models import json_exact
from workbench.models.event_pages import Column, cell_text
from workbench.models.payload_formats import HEX_LIMIT, Payload, PayloadKind
from workbench.models.time_display import LOCAL, TimeZoneChoice

CACHE_CHARS = 64 * 1024 * 1024
"""Folded payload text kept between searches, in characters, at most."""


def fold(text: str) -> str:
    """``text`` as the filter compares it: NFKC, case folded, white space runs as one space."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return " ".join(folded.split())


def payload_text(event: EventRow) -> str:
    """What the detail view and the Preview show of a payload, unfolded (see the module
    docstring)."""
    payload = Payload(event)
    parts = [event.preview()]
    if payload.text is not None:
        parts.append(payload.text)
        if payload.kind is PayloadKind.JSON:
            parts.append(payload.pretty())
            # A string JSON writes with escapes (a quote, a control character) is shown as
            # itself in the tree: that form is searched too.
            parts.extend(t for t in json_exact.texts(payload.json) if _escaped(t))
    else:
        shown = event.data[:HEX_LIMIT]
        parts.append(shown.hex(" "))
        parts.append("".join(chr(b) if 32 <= b < 127 else "." for b in shown))
    return "\n".join(parts)


def _escaped(text: str) -> bool:
    """True if JSON text writes ``text`` with an escape (shown otherwise in a tree cell)."""
    return json_exact.string(text)[1:-1] != text


def row_text(event: EventRow, zone: TimeZoneChoice = LOCAL) -> str:
    """The event's row and the detail view's headers and metadata, unfolded."""
    cells = [cell_text(event, column, zone) for column in Column if column is not Column.PREVIEW]
    metadata = [f"{key}={value}" for key, value in event.metadata.items()]
    return "\n".join([*cells, str(event.offset), event.type_name, *metadata])


class EventSearch:
    """Matches events against a filter, keeping each payload's folded text for the next search
    (the least recently used go first beyond :data:`CACHE_CHARS`)."""

    def __init__(self, cache_chars: int = CACHE_CHARS) -> None:
        self._cache: OrderedDict[tuple[bytes, int, bytes], str] = OrderedDict()
        self._chars = 0
        self._limit = cache_chars

    def clear(self) -> None:
        """Forget the kept texts (another topic, or another broker)."""
        self._cache.clear()
        self._chars = 0

    def matches(self, event: EventRow, needle: str, zone: TimeZoneChoice = LOCAL) -> bool:
        """True if ``needle`` (folded with :func:`fold`) occurs in what is shown of ``event``;
        an empty needle matches every event."""
        if not needle:
            return True
        return needle in fold(row_text(event, zone)) or needle in self._payload(event)

    def _payload(self, event: EventRow) -> str:
        key = (event.topic_id, event.offset, event.id)
        text = self._cache.get(key)
        if text is not None:
            self._cache.move_to_end(key)
            return text
        text = fold(payload_text(event))
        self._cache[key] = text
        self._chars += len(text)
        while self._chars > self._limit and len(self._cache) > 1:
            _, dropped = self._cache.popitem(last=False)
            self._chars -= len(dropped)
        return text
