"""Importing events from a JSON Lines or CSV file, with a field mapping and line-exact errors.

A file is read as records: each non-blank line of a ``.jsonl`` file is one JSON value (an object
for a mapping to apply); each row of a ``.csv`` file under its header row is one object of strings.
A :class:`FieldMapping` says which field becomes the event's data (or the whole record, as JSON),
which become metadata, and where the type, version, mimetype and creation time come from.

A record that cannot be read or mapped is a :class:`BadLine` with its 1-based line number (for
CSV, the line its row starts on). JSON is read with :mod:`workbench.models.json_exact`, so what is
sent holds every value as the file wrote it (``0.10000000000000000555``, a 5,000-digit number,
repeated keys); a line nested deeper than :data:`json_exact.MAX_DEPTH` is a bad line. A CSV field
may hold up to :data:`CSV_FIELD_LIMIT` characters (an export's largest data, base64 included).
:class:`ImportSource` hands events to a publisher in order and stops at the first bad line,
unless told to skip bad lines; then it counts them.
"""

from __future__ import annotations

import csv
import datetime
import decimal
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from workbench.client.broker_client import encode_event
from workbench.client.broker_rules import (
    check_created_ms,
    mimetype_number,
    mimetype_text,
    type_version_parts,
)
from workbench.client.errors import InvalidInput
from workbench.client.records import NewEvent
from workbench.models import json_exact
from workbench.models.event_export import JSON_DATA_MIMETYPES
from workbench.models.json_exact import JsonNumber

PREVIEW_RECORDS = 5
FORMATS = ("jsonl", "csv")
MAX_MS_DIGITS = 18
"""Digits of a time in milliseconds at most (a signed 64-bit count, as the broker keeps it)."""
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
"""How a byte that is not UTF-8 reads under ``errors="surrogateescape"``."""
CSV_FIELD_LIMIT = 64 * 1024 * 1024
"""Characters a CSV field may hold (Python's csv module stops at 128 KiB by default)."""


class BadLine(ValueError):
    """A record of the file that cannot be imported.

    Attributes:
        line: its 1-based line number in the file.
        reason: what is wrong with it.
    """

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


@dataclass(frozen=True, slots=True)
class FieldMapping:
    """Which fields of a record make which parts of an event.

    Attributes:
        data: the field holding the data (a string is taken as UTF-8 text, anything else as
            JSON); None makes the whole record the data, as compact JSON.
        metadata: fields copied into the metadata (their values as text).
        type_field: the field holding the type name (``Name`` or ``Name:1.2.3``), or None.
        version_field: the field holding the type version, or None.
        mimetype_field: the field holding the mimetype (``application/json`` or
            ``APPLICATION_JSON``), or None.
        created_field: the field holding the creation time: milliseconds since the epoch, or
            RFC 3339 text; None stamps events when they are sent.
        mimetype: the mimetype when no field gives one.
        type_name: the type when no field gives one.
        type_version: the version when no field gives one.
    """

    data: str | None = None
    metadata: tuple[str, ...] = ()
    type_field: str | None = None
    version_field: str | None = None
    mimetype_field: str | None = None
    created_field: str | None = None
    mimetype: str = "application/json"
    type_name: str = "Imported"
    type_version: str = "1.0.0"


@dataclass(frozen=True, slots=True)
class Record:
    """One record of a file and the line it starts on."""

    line: int
    fields: Any
    """A dict for CSV rows and JSON objects; any JSON value for other JSON lines."""


def file_format(path: Path) -> str:
    """``jsonl`` or ``csv``, from the file name.

    Raises:
        InvalidInput: for any other extension.
    """
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    raise InvalidInput(f"{path.name}: import reads .jsonl (JSON Lines) or .csv files")


def open_records(path: Path) -> IO[str]:
    """A file opened for :func:`read_records`: bytes that are not UTF-8 are kept (as lone
    surrogates), so that they make a bad line with its number rather than end the reading. A
    leading byte-order mark (which Excel's "CSV UTF-8" writes) is skipped, not read as text."""
    return path.open(encoding="utf-8-sig", errors="surrogateescape", newline="")


def read_records(stream: IO[str], fmt: str) -> Iterator[Record | BadLine]:
    """The file's records in order; a record that cannot be parsed comes as a ``BadLine``."""
    if fmt == "csv":
        yield from _csv_records(stream)
        return
    for number, line in enumerate(stream, 1):
        if not line.strip():
            continue
        undecodable = _not_utf8(line)
        if undecodable:
            yield BadLine(number, undecodable)
            continue
        try:
            yield Record(number, json_exact.parse(line))
        except json_exact.TooDeep as exc:
            yield BadLine(number, str(exc))
        except ValueError as exc:
            yield BadLine(number, f"not valid JSON ({exc})")


def _not_utf8(text: str) -> str:
    """Why ``text`` (read by :func:`open_records`) is not UTF-8, or "" when it is."""
    found = _ESCAPED_BYTE.search(text)
    if found is None:
        return ""
    byte = ord(found.group()) - 0xDC00
    return f"not UTF-8 text (the byte 0x{byte:02x} at character {found.start() + 1})"


def _csv_records(stream: IO[str]) -> Iterator[Record | BadLine]:
    if csv.field_size_limit() < CSV_FIELD_LIMIT:
        csv.field_size_limit(CSV_FIELD_LIMIT)  # process-wide, and only ever raised
    reader = csv.reader(stream, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        yield BadLine(1, f"the header row is not valid CSV ({exc})")
        return
    twice = sorted({name for name in header if header.count(name) > 1})
    if twice:  # a record maps each name to one value: the other column would be lost
        names = ", ".join(map(repr, twice))
        yield BadLine(1, f"the header names {names} more than once; give each column its own name")
        return
    start = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield BadLine(start, f"not valid CSV ({exc})")
            return  # the reader cannot resynchronise after a broken quote
        undecodable = _not_utf8("".join(row))
        if undecodable:
            yield BadLine(start, undecodable)
        elif row and len(row) != len(header):
            yield BadLine(start, f"{len(row)} columns where the header has {len(header)}")
        elif row:
            yield Record(start, dict(zip(header, row, strict=True)))
        start = reader.line_num + 1


def preview(path: Path, count: int = PREVIEW_RECORDS) -> tuple[list[Record | BadLine], list[str]]:
    """The first ``count`` records of a file and every field name they hold, in order seen."""
    records: list[Record | BadLine] = []
    names: dict[str, None] = {}
    with open_records(path) as stream:
        for item in read_records(stream, file_format(path)):
            records.append(item)
            if isinstance(item, Record) and isinstance(item.fields, dict):
                names.update(dict.fromkeys(item.fields))
            if len(records) >= count:
                break
    return records, list(names)


def to_event(record: Record, mapping: FieldMapping) -> NewEvent:
    """The event a record makes under a mapping.

    Raises:
        BadLine: if a mapped field is missing, or a type, mimetype or time cannot be read.
    """
    fields = record.fields
    named = (
        mapping.data,
        mapping.type_field,
        mapping.version_field,
        mapping.mimetype_field,
        mapping.created_field,
    )
    mapped = bool(mapping.metadata) or any(name is not None for name in named)  # "" is a name
    if mapped and not isinstance(fields, dict):
        raise BadLine(record.line, "the mapping names fields but this line is not a JSON object")
    try:
        mimetype = mimetype_number(_field(fields, mapping.mimetype_field, mapping.mimetype))
        return NewEvent(
            data=_data(fields, mapping.data, mimetype),
            mimetype=mimetype,
            type_name=_type_name(fields, mapping),
            type_version=_type_version(fields, mapping),
            metadata={key: _text(_required(fields, key)) for key in mapping.metadata},
            created_ms=_created_ms(fields, mapping.created_field),
        )
    except (KeyError, ValueError) as exc:
        raise BadLine(record.line, _reason(exc)) from None


def _encoded(record: Record, mapping: FieldMapping) -> bytes:
    """``record`` as an encoded event; raises BadLine if it makes none (a field that is not
    Unicode text, such as a lone surrogate escape, included)."""
    try:
        return encode_event(to_event(record, mapping))
    except InvalidInput as exc:
        raise BadLine(record.line, str(exc)) from None


def _reason(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"no field {exc.args[0]!r}"
    return str(exc)


def _required(fields: dict[str, Any], name: str) -> Any:
    if name not in fields:
        raise KeyError(name)
    return fields[name]


def _field(fields: Any, name: str | None, default: str) -> str:
    return default if name is None else _text(_required(fields, name))


def _text(value: Any) -> str:
    if isinstance(value, str) and not isinstance(value, JsonNumber):
        return value
    return json_exact.dumps(value, separators=(",", ":"))


def _data(fields: Any, name: str | None, mimetype: int) -> bytes:
    """The event's data: the field's text; under a JSON mimetype, a text field that is not
    JSON itself (``"a"``, not ``"{\\"a\\": 1}"``) is written as a JSON string, so the event
    holds what its mimetype says."""
    value = fields if name is None else _required(fields, name)
    text = _text(value)
    if text is value and mimetype_text(mimetype) in JSON_DATA_MIMETYPES:
        try:
            json_exact.parse(text, constants=False)
        except ValueError:
            text = json_exact.dumps(value)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"the data {text[:40]!r} is not Unicode text (a lone surrogate)") from None


def _type_name(fields: Any, mapping: FieldMapping) -> str:
    text = _field(fields, mapping.type_field, mapping.type_name)
    return text.partition(":")[0] or mapping.type_name


def _type_version(fields: Any, mapping: FieldMapping) -> str:
    if mapping.version_field is not None:
        return _version(_text(_required(fields, mapping.version_field)))
    _, colon, version = _field(fields, mapping.type_field, mapping.type_name).partition(":")
    return _version(version if colon else mapping.type_version)


def _version(text: str) -> str:
    return ".".join(map(str, type_version_parts(text.strip().lstrip("v"))))


def _whole_ms(number: JsonNumber) -> int:
    try:
        value = decimal.Decimal(number)
    except decimal.InvalidOperation:
        value = decimal.Decimal("NaN")
    if not value.is_finite() or value.adjusted() > MAX_MS_DIGITS:  # no 10**9-digit ints
        raise ValueError(f"{number} is not a time in milliseconds")
    return int(value)


def _created_ms(fields: Any, name: str | None) -> int | None:
    if name is None:
        return None
    return check_created_ms(_time_ms(fields, name))


def _time_ms(fields: Any, name: str) -> int:
    value = _required(fields, name)
    if isinstance(value, JsonNumber):
        return _whole_ms(value)
    text = _text(value).strip()
    if text.isdigit():
        return int(text)
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not a time (RFC 3339, or milliseconds)") from None
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone (add Z or an offset)")
    return int(moment.timestamp() * 1000)


@dataclass
class ImportSource:
    """Events from a file, a batch at a time, for the generator (``EventGenerator``'s source).

    It stops at the first bad line by raising it once the good events before it are handed
    out; with ``skip_bad`` it skips bad lines and counts them instead.
    """

    path: Path
    mapping: FieldMapping
    skip_bad: bool = False
    skipped: list[BadLine] = field(default_factory=list)
    read: int = 0
    """Records read so far (bad ones included)."""
    _records: Iterator[Record | BadLine] | None = None
    _stream: IO[str] | None = None
    _held: BadLine | None = None

    def __call__(self, n: int) -> list[bytes]:
        """The next ``n`` (or fewer, at the end: none) events, encoded.

        Raises:
            BadLine: the first bad line (unless skipping), after the events before it.
        """
        if self._held is not None:
            raise self._held
        records = self._open()
        out: list[bytes] = []
        while len(out) < n:
            item = next(records, None)
            if item is None:
                self.close()
                break
            self.read += 1
            try:
                if isinstance(item, BadLine):
                    raise item
                out.append(_encoded(item, self.mapping))
            except BadLine as bad:
                if self.skip_bad:
                    self.skipped.append(bad)
                    continue
                self.close()
                if out:
                    self._held = bad
                    break
                raise
        return out

    def _open(self) -> Iterator[Record | BadLine]:
        if self._records is None:
            stream = open_records(self.path)
            self._stream = stream
            self._records = read_records(stream, file_format(self.path))
        return self._records

    def close(self) -> None:
        """Close the file (reading ends)."""
        if self._stream is not None:
            self._stream.close()
            self._stream = None
        self._records = iter(())
