"""What the composer holds: a body in one of four forms, and the event it makes.

The body editor takes JSON (checked as you type, with the line and column of a mistake), plain
text, hex (pairs of hex digits, spaces and line breaks ignored) or a file's bytes. Sent events
are kept in a short history (newest first) to send again or edit.
"""

from __future__ import annotations

import enum
import json
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from workbench.client import broker_rules
from workbench.client.records import EventRow, NewEvent
from workbench.models.json_exact import TooDeep, parse_plain

HISTORY_SIZE = 100
MAX_FILE_BYTES = broker_rules.MAX_EVENT_BYTES
"""The broker's event limit (4,194,236 bytes): a larger file cannot be an event's body."""


class BodyMode(enum.StrEnum):
    """How the body editor's text is read."""

    JSON = "JSON"
    TEXT = "Text"
    HEX = "Hex"
    FILE = "File"


class BodyError(ValueError):
    """The body cannot be read in its mode.

    Attributes:
        line: the 1-based line of the problem (0 when not about a place).
        column: the 1-based column of the problem (0 when not about a place).
    """

    def __init__(self, message: str, line: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


def body_bytes(mode: BodyMode, text: str) -> bytes:
    """The bytes a body editor's text stands for (for ``FILE``, ``text`` is the file's path).

    Raises:
        BodyError: for JSON that does not parse (with line and column), hex that is not pairs
            of hex digits, an unreadable or too large file.
    """
    if mode is BodyMode.JSON:
        try:
            parse_plain(text)
        except json.JSONDecodeError as exc:
            raise BodyError(f"not valid JSON: {exc.msg}", exc.lineno, exc.colno) from None
        except TooDeep as exc:
            raise BodyError(f"{exc}; choose Text to send it as it is") from None
        return text.encode("utf-8")
    if mode is BodyMode.TEXT:
        return text.encode("utf-8")
    if mode is BodyMode.HEX:
        digits = "".join(text.split())
        if digits.lower().startswith("0x"):
            digits = digits[2:]
        try:
            return bytes.fromhex(digits)
        except ValueError:
            raise BodyError("hex must be pairs of hex digits (00-ff), spaces allowed") from None
    return _file_bytes(text)


def _file_bytes(path: str) -> bytes:
    if not path:
        raise BodyError("choose a file for the body")
    file = Path(path)
    try:
        size = file.stat().st_size
        if size > MAX_FILE_BYTES:
            raise BodyError(
                f"{file.name} is {size:,} bytes; an event holds at most {MAX_FILE_BYTES:,} bytes"
            )
        return file.read_bytes()
    except OSError as exc:
        raise BodyError(f"cannot read {file.name}: {exc.strerror}") from None


EDITOR_CHANGES = ("\r", "\u2028", "\u2029", "\ufdd0", "\ufdd1")
"""Characters a text editor turns into a plain line break (Qt's text document also uses U+FDD0
and U+FDD1 to mark frames, and it drops a leading byte order mark): text holding them would not
be sent again as it was."""


def body_text(data: bytes, mimetype: str) -> tuple[BodyMode, str]:
    """How to show existing data in the body editor so that sending it again sends the same
    bytes: JSON or text when it decodes and an editor keeps it, else hex."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return BodyMode.HEX, hex_lines(data)
    if text.startswith("\ufeff") or any(c in text for c in EDITOR_CHANGES):
        return BodyMode.HEX, hex_lines(data)
    if "json" in mimetype:
        try:
            parse_plain(text)
        except ValueError:  # not JSON, or too deep to check as JSON: its text, exactly
            return BodyMode.TEXT, text
        return BodyMode.JSON, text
    return BodyMode.TEXT, text


def hex_lines(data: bytes, per_line: int = 32) -> str:
    """``data`` as hex, ``per_line`` bytes a line (an editor shows short lines fast)."""
    return "\n".join(data[at : at + per_line].hex(" ") for at in range(0, len(data), per_line))


def new_event_from(row: EventRow) -> NewEvent:
    """A stored event as one to send again: data, mimetype, type, version and metadata."""
    return NewEvent(row.data, row.mimetype, row.type_name, row.type_version, dict(row.metadata))


@dataclass(frozen=True, slots=True)
class SentEvent:
    """One send from the composer and what came of it."""

    topic_id: bytes
    topic_name: str
    event: NewEvent
    at_ms: int
    outcome: str
    """What the broker said, in one line ("acked: offset 42 …" or "nacked: CODE — reason")."""
    acked: bool


class SendHistory:
    """The composer's sent events, newest first, at most ``HISTORY_SIZE``."""

    def __init__(self, size: int = HISTORY_SIZE) -> None:
        self._sent: deque[SentEvent] = deque(maxlen=size)

    def add(self, sent: SentEvent) -> None:
        """Remember a send (the oldest one goes when the history is full)."""
        self._sent.appendleft(sent)

    def __iter__(self) -> Iterator[SentEvent]:
        return iter(self._sent)

    def __len__(self) -> int:
        return len(self._sent)

    def __getitem__(self, index: int) -> SentEvent:
        return self._sent[index]
