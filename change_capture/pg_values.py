"""PostgreSQL column values, as the server writes them in text, turned into JSON values.

The capture reads every value in PostgreSQL's text output (``pgoutput`` sends it so, and the
snapshot selects ``column::text``) with the session settings of :data:`SESSION_OPTIONS`, so the
text is the same whatever the server's defaults. Each type keeps its meaning in JSON:

- ``boolean``: true/false. ``smallint``, ``integer``, ``bigint``, ``oid``: JSON integers (the text
  is exact; a reader that parses JSON numbers as doubles loses digits past 2**53 of a bigint).
- ``real``, ``double precision``: JSON numbers (the server writes the shortest text that reads
  back as the same value); ``NaN``, ``Infinity`` and ``-Infinity`` as those strings.
- ``numeric``: its exact decimal text as a string (``"12.30"``, ``"NaN"``), never a float.
- ``timestamp with time zone``: RFC 3339 in UTC (``2024-05-01T10:00:00.123456Z``); ``timestamp``
  (no zone): the same without an offset; ``date``, ``time``, ``time with time zone`` likewise.
  Values RFC 3339 cannot hold (``infinity``, BC dates, years past 9999) stay PostgreSQL's text.
- ``interval``: ISO 8601 (``P1DT2H``). ``bytea``: base64. ``json``, ``jsonb``: the JSON value.
- arrays: JSON arrays of their elements, converted alike (nested for more dimensions).
- anything else (text, uuid, enums, network types, money, composites …): its text.
- SQL NULL: null.
"""

from __future__ import annotations

import base64
import enum
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

SESSION_OPTIONS = (
    "-c datestyle=ISO -c timezone=UTC -c intervalstyle=iso_8601 "
    "-c bytea_output=hex -c extra_float_digits=1"
)
"""libpq ``options`` that fix how the server writes values in text (replication included)."""


class Kind(enum.Enum):
    """How a type's text becomes JSON."""

    BOOL = "bool"
    INT = "int"
    FLOAT = "float"
    NUMERIC = "numeric"
    BYTEA = "bytea"
    TIMESTAMPTZ = "timestamptz"
    TIMESTAMP = "timestamp"
    DATE = "date"
    TIME = "time"
    TIMETZ = "timetz"
    JSON = "json"
    TEXT = "text"


BUILTIN_KINDS: dict[int, Kind] = {
    16: Kind.BOOL,
    20: Kind.INT,
    21: Kind.INT,
    23: Kind.INT,
    26: Kind.INT,
    700: Kind.FLOAT,
    701: Kind.FLOAT,
    1700: Kind.NUMERIC,
    17: Kind.BYTEA,
    1184: Kind.TIMESTAMPTZ,
    1114: Kind.TIMESTAMP,
    1082: Kind.DATE,
    1083: Kind.TIME,
    1266: Kind.TIMETZ,
    114: Kind.JSON,
    3802: Kind.JSON,
}
"""Built-in type OIDs (``pg_type.oid``, fixed across servers) and their kinds."""


@dataclass(frozen=True, slots=True)
class ColumnType:
    """A column's type as far as conversion goes: a kind, and for arrays the element's kind."""

    kind: Kind
    array: bool = False


TEXT_TYPE = ColumnType(Kind.TEXT)

TYPE_QUERY = "SELECT oid, typtype, typcategory, typelem, typbasetype FROM pg_type"
"""The catalog rows :class:`TypeCatalog` is built from (a few hundred rows)."""


class TypeCatalog:
    """Every type of a database, by OID, as :class:`ColumnType`."""

    def __init__(self, rows: Iterable[tuple[int, str, str, int, int]] = ()) -> None:
        """Args:
        rows: :data:`TYPE_QUERY`'s rows: (oid, typtype, typcategory, typelem, typbasetype).
        """
        self._rows = {
            int(oid): (typtype, cat, int(elem), int(base)) for oid, typtype, cat, elem, base in rows
        }
        self._cache: dict[int, ColumnType] = {}

    def column_type(self, oid: int) -> ColumnType:
        """How values of type ``oid`` are converted (text for a type it does not know)."""
        found = self._cache.get(oid)
        if found is None:
            found = self._cache[oid] = self._resolve(oid, depth=0)
        return found

    def _resolve(self, oid: int, depth: int) -> ColumnType:
        if oid in BUILTIN_KINDS:
            return ColumnType(BUILTIN_KINDS[oid])
        row = self._rows.get(oid)
        if row is None or depth > 8:
            return TEXT_TYPE
        typtype, category, elem, base = row
        if typtype == "d" and base:  # a domain: its base type's
            return self._resolve(base, depth + 1)
        if category == "A" and elem:
            element = self._resolve(elem, depth + 1)
            return TEXT_TYPE if element.array else ColumnType(element.kind, array=True)
        return TEXT_TYPE


def to_json(column: ColumnType, text: str | None) -> Any:
    """A value's text (None for NULL) as a JSON value, by its column's type."""
    if text is None:
        return None
    convert = _CONVERTERS[column.kind]
    if not column.array:
        return convert(text)
    parsed = parse_array(text)
    if parsed is None:
        return text
    return _map_nested(parsed, convert)


def _map_nested(items: list[Any], convert: Callable[[str], Any]) -> list[Any]:
    return [
        _map_nested(item, convert)
        if isinstance(item, list)
        else None
        if item is None
        else convert(item)
        for item in items
    ]


def _bool(text: str) -> bool:
    return text in ("t", "true")


def _float(text: str) -> float | str:
    if text in ("NaN", "Infinity", "-Infinity"):
        return text
    return float(text)


def _bytea(text: str) -> str:
    raw = bytes.fromhex(text[2:]) if text.startswith("\\x") else _unescape_bytea(text)
    return base64.b64encode(raw).decode("ascii")


def _unescape_bytea(text: str) -> bytes:
    """bytea's ``escape`` output format: ``\\\\`` and ``\\nnn`` (octal) escapes."""
    out = bytearray()
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and text[i + 1 : i + 2] == "\\":
            out.append(0x5C)
            i += 2
        elif ch == "\\":
            out.append(int(text[i + 1 : i + 4], 8))
            i += 4
        else:
            out += ch.encode()
            i += 1
    return bytes(out)


_DATETIME = re.compile(
    r"^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)(?:([+-])(\d\d)(?::?(\d\d))?(?::?(\d\d))?)?$"
)
_TIMETZ = re.compile(r"^(\d\d:\d\d:\d\d(?:\.\d+)?)([+-])(\d\d)(?::?(\d\d))?(?::?(\d\d))?$")


def _offset(sign: str, hours: str, minutes: str | None, seconds: str | None) -> str | None:
    """An RFC 3339 offset; None for one with seconds, which RFC 3339 cannot write."""
    if seconds and seconds != "00":
        return None
    if hours == "00" and (minutes or "00") == "00":
        return "Z"
    return f"{sign}{hours}:{minutes or '00'}"


def _timestamp(text: str) -> str:
    match = _DATETIME.match(text)
    if match is None:
        return text  # infinity, BC, a year past 9999
    date, time_of_day, sign, hours, minutes, seconds = match.groups()
    if sign is None:
        return f"{date}T{time_of_day}"
    offset = _offset(sign, hours, minutes, seconds)
    return text if offset is None else f"{date}T{time_of_day}{offset}"


def _timetz(text: str) -> str:
    match = _TIMETZ.match(text)
    if match is None:
        return text
    time_of_day, sign, hours, minutes, seconds = match.groups()
    offset = _offset(sign, hours, minutes, seconds)
    return text if offset is None else f"{time_of_day}{offset}"


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _same(text: str) -> str:
    return text


_CONVERTERS: dict[Kind, Callable[[str], Any]] = {
    Kind.BOOL: _bool,
    Kind.INT: int,
    Kind.FLOAT: _float,
    Kind.NUMERIC: _same,
    Kind.BYTEA: _bytea,
    Kind.TIMESTAMPTZ: _timestamp,
    Kind.TIMESTAMP: _timestamp,
    Kind.DATE: _same,
    Kind.TIME: _same,
    Kind.TIMETZ: _timetz,
    Kind.JSON: _json,
    Kind.TEXT: _same,
}


def parse_array(text: str) -> list[Any] | None:
    """An array's text (``{1,2,NULL}``, ``{{"a b",c},{d,e}}``) as nested lists of element texts
    (None for NULL); None if the text is not an array literal.

    Follows PostgreSQL's array output: elements separated by commas, double-quoted when they
    hold special characters, with backslash escapes inside quotes; an optional dimensions prefix
    (``[0:1]={…}``) is skipped.
    """
    if text.startswith("["):
        text = text.partition("=")[2]
    if not text.startswith("{"):
        return None
    try:
        items, end = _parse_list(text, 0)
    except IndexError:
        return None
    return items if end == len(text) else None


def _parse_list(text: str, pos: int) -> tuple[list[Any], int]:
    """Parse the ``{…}`` at ``pos``; return its items and the position after it."""
    assert text[pos] == "{"
    pos += 1
    items: list[Any] = []
    if text[pos] == "}":
        return items, pos + 1
    while True:
        ch = text[pos]
        if ch == "{":
            item, pos = _parse_list(text, pos)
            items.append(item)
        elif ch == '"':
            value, pos = _parse_quoted(text, pos)
            items.append(value)
        else:
            end = pos
            while text[end] not in ",}":
                end += 1
            word = text[pos:end].strip()
            items.append(None if word.upper() == "NULL" else word)
            pos = end
        if text[pos] == "}":
            return items, pos + 1
        if text[pos] != ",":
            raise IndexError(pos)
        pos += 1


def _parse_quoted(text: str, pos: int) -> tuple[str, int]:
    out: list[str] = []
    pos += 1
    while text[pos] != '"':
        if text[pos] == "\\":
            pos += 1
        out.append(text[pos])
        pos += 1
    return "".join(out), pos + 1
