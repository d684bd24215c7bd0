"""Event payloads decoded for display: their kind, text, parsed JSON or CSV, and hex dumps.

A payload is JSON (plain or JSON Lines), CSV, other text, or binary; the exact bytes are shown
as text when they are UTF-8 and as a hex dump otherwise.
"""

from __future__ import annotations

import csv
import enum
import io
import itertools
import json
import string
from typing import Any

from workbench.client.records import EventRow
from workbench.models.event_pages import human_bytes

HEX_LIMIT = 256 * 1024  # bytes shown in a hex dump
CSV_ROW_LIMIT = 10_000
_PRINTABLE = frozenset(string.printable)


class PayloadKind(enum.Enum):
    """How a payload is best shown."""

    JSON = "json"
    CSV = "csv"
    TEXT = "text"
    BINARY = "binary"


class Payload:
    """A payload decoded for display: its kind, its text and its parsed JSON or CSV."""

    def __init__(self, event: EventRow) -> None:
        self.data = event.data
        mime = event.mimetype_text
        self.text: str | None = _utf8_text(event.data)
        self.json: Any = None
        self.csv: tuple[list[str], list[list[str]]] | None = None
        self.kind = PayloadKind.BINARY if self.text is None else PayloadKind.TEXT
        if self.text is None:
            return
        if "json" in mime or (
            mime in ("application/octet-stream", "text/plain") and _looks_json(self.text)
        ):
            parsed = _parse_json(self.text, jsonlines="jsonlines" in mime)
            if parsed is not _INVALID:
                self.json, self.kind = parsed, PayloadKind.JSON
        elif mime == "text/csv":
            self.csv, self.kind = parse_csv(self.text), PayloadKind.CSV

    def pretty(self) -> str:
        """The payload as readable text (pretty JSON), or the hex dump of binary data."""
        if self.kind is PayloadKind.JSON:
            return json.dumps(self.json, indent=2, ensure_ascii=False)
        return self.raw()

    def raw(self) -> str:
        """The exact payload: its text, or a hex dump when it is not UTF-8 text."""
        return self.text if self.text is not None else hex_dump(self.data)


_INVALID = object()


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


def _parse_json(text: str, jsonlines: bool) -> Any:
    try:
        if jsonlines:
            return [json.loads(line) for line in text.splitlines() if line.strip()]
        return json.loads(text)
    except ValueError:
        return _INVALID


def parse_csv(text: str, limit: int = CSV_ROW_LIMIT) -> tuple[list[str], list[list[str]]]:
    """CSV text as (headers, rows), sniffing the delimiter and whether there is a header row."""
    sample = text[:65536]
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
    if isinstance(value, dict):
        return f"{{{len(value)} {'key' if len(value) == 1 else 'keys'}}}"
    if isinstance(value, list):
        return f"[{len(value)} {'item' if len(value) == 1 else 'items'}]"
    if isinstance(value, str):
        return value
    return json.dumps(value)


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
