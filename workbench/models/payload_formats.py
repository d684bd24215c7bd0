"""Event payloads decoded for display: their kind, text, parsed JSON or CSV, and hex dumps.

A payload is JSON (plain or JSON Lines), CSV, other text, or binary; the exact bytes are shown
as text when they are UTF-8 and as a hex dump otherwise. JSON is read with
:mod:`workbench.models.json_exact`, so a view shows every number as written and every repeated
key. Where a payload cannot be shown as its mimetype says (JSON nested too deep for a tree, JSON
that does not parse, text that is not UTF-8), :attr:`Payload.notice` says so and what is shown
instead.
"""

from __future__ import annotations

import csv
import enum
import io
import itertools
import re
import string
from typing import Any

from workbench.client.records import EventRow
from workbench.models import json_exact
from workbench.models.event_pages import human_bytes
from workbench.models.json_exact import JsonNumber, JsonObject

HEX_LIMIT = 256 * 1024  # bytes shown in a hex dump
CSV_ROW_LIMIT = 10_000
SNIFF_CHARS = 4096
"""How much of a CSV payload the delimiter and header are guessed from (characters)."""
_PRINTABLE = frozenset(string.printable)
JSON_MIMETYPES = frozenset({"application/json", "application/ld+json", "application/jsonlines"})
"""The mimetypes whose payloads are JSON text (UBJSON and BSON are binary)."""
_TEXT_MIMETYPES = frozenset(
    {"text/plain", "text/csv", "text/html", "text/calendar", "application/xml"}
    | {"application/atom+xml"}
    | JSON_MIMETYPES
)
"""The mimetypes that promise text."""
_SHOWN_ESCAPED = re.compile("[\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
"""Lone surrogates (no character) and the bidirectional embedding, override and isolate
controls (they reorder the text around them on screen: "\u202eRTL" shows as "LTR")."""


class PayloadKind(enum.Enum):
    """How a payload is best shown."""

    JSON = "json"
    CSV = "csv"
    TEXT = "text"
    BINARY = "binary"


class Payload:
    """A payload decoded for display: its kind, its text and its parsed JSON or CSV.

    Attributes:
        notice: why the payload is not shown as its mimetype says, and what is shown instead
            ("" when it is).
    """

    def __init__(self, event: EventRow) -> None:
        self.data = event.data
        mime = event.mimetype_text
        self.text: str | None = _utf8_text(event.data)
        self.json: Any = None
        self.csv: tuple[list[str], list[list[str]]] | None = None
        self.kind = PayloadKind.BINARY if self.text is None else PayloadKind.TEXT
        self.notice = ""
        if self.text is None:
            if mime in _TEXT_MIMETYPES and not _is_utf8(event.data):
                self.notice = f"Not valid UTF-8 text, though its mimetype is {mime}: shown as hex."
            return
        if mime in JSON_MIMETYPES or (
            mime in ("application/octet-stream", "text/plain") and _looks_json(self.text)
        ):
            try:
                self.json = _parse_json(self.text, jsonlines="jsonlines" in mime)
            except json_exact.TooDeep as exc:
                self.notice = (
                    f"This JSON is nested {exc.depth:,} levels deep, too deep to show as a "
                    "tree: shown as its text (Hex shows its bytes)."
                )
            except ValueError as exc:
                if mime in JSON_MIMETYPES:
                    self.notice = f"Not valid JSON ({exc}): shown as text."
            else:
                self.kind = PayloadKind.JSON
        elif mime == "text/csv":
            try:
                self.csv, self.kind = parse_csv(self.text), PayloadKind.CSV
            except csv.Error as exc:  # a field beyond the reader's limit, a stray NUL …
                self.notice = f"Not readable as CSV ({exc}): shown as text."

    def pretty(self) -> str:
        """The payload as readable text (pretty JSON), or the hex dump of binary data."""
        if self.kind is PayloadKind.JSON:
            return json_exact.dumps(self.json, indent=2)
        return self.raw()

    def raw(self) -> str:
        """The exact payload: its text, or a hex dump when it is not UTF-8 text."""
        return self.text if self.text is not None else hex_dump(self.data)


def _utf8_text(data: bytes) -> str | None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    sample = text[:4096]
    if sample and sum(c in _PRINTABLE or ord(c) > 127 for c in sample) < 0.95 * len(sample):
        return None  # control characters: binary that happens to decode
    return text


def _looks_json(text: str) -> bool:
    start = text.lstrip()[:1]
    return start in ("{", "[")


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _parse_json(text: str, jsonlines: bool) -> Any:
    """The document (a list of them for JSON Lines).

    Raises:
        TooDeep: for a document nested deeper than a tree can show.
        ValueError: for text that is not JSON.
    """
    if jsonlines:
        return [json_exact.parse(line) for line in text.split("\n") if line.strip()]
    return json_exact.parse(text)


def parse_csv(text: str, limit: int = CSV_ROW_LIMIT) -> tuple[list[str], list[list[str]]]:
    """CSV text as (headers, rows), sniffing the delimiter and whether there is a header row.

    Raises:
        csv.Error: for text Python's CSV reader refuses (a field longer than its limit, which
            is process-wide: 131,072 characters unless something raised it).
    """
    sample = _sniff_sample(text)
    sniffer = csv.Sniffer()
    try:
        dialect: type[csv.Dialect] | csv.Dialect = sniffer.sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    rows = list(itertools.islice(csv.reader(io.StringIO(text), dialect), limit + 1))
    try:
        has_header = sniffer.has_header(sample)
    except csv.Error:
        has_header = False
    width = max((len(r) for r in rows), default=0)
    if has_header and rows:
        headers, body = rows[0], rows[1:]
    else:
        headers, body = [], rows
    headers = headers + [f"Column {i + 1}" for i in range(len(headers), width)]
    return headers, body


def _sniff_sample(text: str) -> str:
    """The first rows of ``text`` that the dialect is guessed from: at most ``SNIFF_CHARS``,
    cut after the last whole row when there is one. ``csv.Sniffer``'s time grows with the
    square of its sample (a 40 KB one-line event took 6 s), so the sample stays small."""
    sample = text[:SNIFF_CHARS]
    if len(text) > SNIFF_CHARS:
        end = sample.rfind("\n")
        if end > 0:
            sample = sample[: end + 1]
    return sample


def hex_dump(data: bytes, limit: int = HEX_LIMIT) -> str:
    """``offset | hex | ascii`` lines of 16 bytes (the first ``limit`` bytes)."""
    lines = []
    for at in range(0, min(len(data), limit), 16):
        chunk = data[at : at + 16]
        hex_part = (
            " ".join(f"{b:02x}" for b in chunk[:8]) + "  " + " ".join(f"{b:02x}" for b in chunk[8:])
        )
        ascii_part = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{at:08x}  {hex_part:<48}  |{ascii_part}|")
    if len(data) > limit:
        lines.append(f"… first {human_bytes(limit)} of {human_bytes(len(data))} shown")
    return "\n".join(lines)


def json_type(value: Any) -> str:
    """The JSON type of a value :mod:`json_exact` read: object, array, string, number …"""
    if isinstance(value, JsonNumber):
        return "number"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return "number"
    return "string"


def json_value(value: Any) -> str:
    """A value as a tree shows it: a number as written, a string as its characters (a lone
    surrogate, which is no character, as its escape), a container as its size."""
    if isinstance(value, dict):
        size = len(value.pairs) if isinstance(value, JsonObject) else len(value)
        return f"{{{size} {'key' if size == 1 else 'keys'}}}"
    if isinstance(value, list):
        return f"[{len(value)} {'item' if len(value) == 1 else 'items'}]"
    if isinstance(value, JsonNumber):
        return str(value)
    if isinstance(value, str):
        return shown_text(value)
    return json_exact.dumps(value)


def shown_text(text: str) -> str:
    """``text`` for a widget: a lone surrogate (no character, so no widget can show it) and a
    bidirectional control (U+202A-U+202E, U+2066-U+2069, which would show the text around it
    reordered: what the value holds, written otherwise) become their ``\\uXXXX`` escapes.
    Copies and exports keep the characters themselves."""
    if text.isascii() or _SHOWN_ESCAPED.search(text) is None:
        return text
    return _SHOWN_ESCAPED.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


CELL_LIMIT = 2_000
"""Characters of a value a table or tree cell shows (a longer one: its start, and a tooltip)."""


def cell_value(text: str, limit: int = CELL_LIMIT) -> tuple[str, str]:
    """How a cell shows ``text``: (the text, "") when short; (its start, a tooltip that says how
    long it is) when longer than ``limit`` characters."""
    if len(text) <= limit:
        return text, ""
    return text[:limit] + " …", f"{len(text):,} characters; the start is shown here"


def json_members(value: Any) -> list[tuple[str, Any]]:
    """The members of an object (repeated keys included) or the items of an array as
    (``key`` or ``[index]``, value); [] for anything else."""
    if isinstance(value, JsonObject):
        return list(value.pairs)
    if isinstance(value, dict):
        return list(value.items())
    if isinstance(value, list):
        return [(f"[{i}]", v) for i, v in enumerate(value)]
    return []


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
