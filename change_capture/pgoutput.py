"""PostgreSQL's ``pgoutput`` logical replication messages, decoded from bytes (no I/O).

The message formats are those of protocol version 1, "Logical Replication Message Formats" in
PostgreSQL's documentation (chapter 55.9 in PostgreSQL 15): integers are big-endian, strings are
NUL-terminated, times are microseconds since 2000-01-01 UTC. Only what a capture needs is
decoded: Begin, Commit, Relation, Insert, Update and Delete; Truncate, Type and Origin messages
are recognised and carry no rows. Column values arrive in text (the ``binary`` option is off).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

PG_EPOCH: Final = datetime(2000, 1, 1, tzinfo=UTC)
PG_EPOCH_MS: Final = 946_684_800_000
"""2000-01-01T00:00:00Z in milliseconds since the Unix epoch."""


class Unchanged:
    """The value of a TOASTed column an update left alone: the server does not send it."""

    _instance: Unchanged | None = None

    def __new__(cls) -> Unchanged:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED: Final = Unchanged()
Value = str | None | Unchanged
"""A column's value: its text, None for NULL, or :data:`UNCHANGED`."""


@dataclass(frozen=True, slots=True)
class Column:
    """A column of a relation: its name, type OID and whether it is part of the replica identity."""

    name: str
    type_oid: int
    is_key: bool


@dataclass(frozen=True, slots=True)
class Relation:
    """A table as the stream describes it before its first change (and after a DDL change)."""

    oid: int
    schema: str
    name: str
    replica_identity: str
    """``d`` default (primary key), ``n`` nothing, ``f`` full, ``i`` an index."""
    columns: tuple[Column, ...]


@dataclass(frozen=True, slots=True)
class Begin:
    """A transaction starts; its changes follow, then its :class:`Commit`."""

    final_lsn: int
    """Where the transaction's commit record is."""
    commit_us: int
    """Commit time, microseconds since 2000-01-01 UTC."""
    xid: int


@dataclass(frozen=True, slots=True)
class Commit:
    """A transaction's end."""

    commit_lsn: int
    end_lsn: int
    """Just past the commit record: the position to confirm once the transaction is handled."""
    commit_us: int


@dataclass(frozen=True, slots=True)
class RowChange:
    """An insert, update or delete of one row.

    ``old`` is the old row's identity (``old_kind`` ``K``: key columns only, others None) or
    whole old row (``O``, with REPLICA IDENTITY FULL); None when the server sent none.
    """

    op: str
    relation_oid: int
    new: tuple[Value, ...] | None
    old: tuple[Value, ...] | None
    old_kind: str = ""


@dataclass(frozen=True, slots=True)
class Other:
    """A message with no rows for a capture (Truncate, Type, Origin, Message)."""

    tag: str


Message = Begin | Commit | Relation | RowChange | Other

_I8 = struct.Struct(">B")
_I16 = struct.Struct(">h")
_I32 = struct.Struct(">I")
_I64 = struct.Struct(">Q")
_S64 = struct.Struct(">q")


class DecodeError(ValueError):
    """The bytes are not a pgoutput message this decoder understands."""


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def byte(self) -> int:
        value: int = _I8.unpack_from(self.data, self.pos)[0]
        self.pos += 1
        return value

    def int16(self) -> int:
        value: int = _I16.unpack_from(self.data, self.pos)[0]
        self.pos += 2
        return value

    def int32(self) -> int:
        value: int = _I32.unpack_from(self.data, self.pos)[0]
        self.pos += 4
        return value

    def uint64(self) -> int:
        value: int = _I64.unpack_from(self.data, self.pos)[0]
        self.pos += 8
        return value

    def int64(self) -> int:
        value: int = _S64.unpack_from(self.data, self.pos)[0]
        self.pos += 8
        return value

    def string(self) -> str:
        end = self.data.index(b"\x00", self.pos)
        text = self.data[self.pos : end].decode()
        self.pos = end + 1
        return text

    def tuple_data(self) -> tuple[Value, ...]:
        # The hot path of a capture: one call a row, so locals instead of the helpers above.
        data = self.data
        pos = self.pos
        (count,) = _I16.unpack_from(data, pos)
        pos += 2
        values: list[Value] = []
        append = values.append
        size_of = _I32.unpack_from
        for _ in range(count):
            kind = data[pos]
            pos += 1
            if kind == 0x74:  # 't': text
                (size,) = size_of(data, pos)
                pos += 4
                append(data[pos : pos + size].decode())
                pos += size
            elif kind == 0x6E:  # 'n': NULL
                append(None)
            elif kind == 0x75:  # 'u': an unchanged TOASTed value, not sent
                append(UNCHANGED)
            else:
                raise DecodeError(f"column value of kind {chr(kind)!r} (binary values are off)")
        self.pos = pos
        return tuple(values)


def decode(payload: bytes) -> Message:
    """One pgoutput message.

    Raises:
        DecodeError: for bytes that are not a protocol-1 pgoutput message.
    """
    if not payload:
        raise DecodeError("an empty message")
    tag = chr(payload[0])
    reader = _Reader(payload)
    reader.pos = 1
    try:
        return _decode(tag, reader)
    except (struct.error, ValueError, UnicodeDecodeError) as exc:
        if isinstance(exc, DecodeError):
            raise
        raise DecodeError(f"a malformed {tag!r} message: {exc}") from None


def _decode(tag: str, r: _Reader) -> Message:
    if tag == "B":
        return Begin(final_lsn=r.uint64(), commit_us=r.int64(), xid=r.int32())
    if tag == "C":
        r.byte()  # flags, unused
        return Commit(commit_lsn=r.uint64(), end_lsn=r.uint64(), commit_us=r.int64())
    if tag == "R":
        oid = r.int32()
        schema, name = r.string(), r.string()
        identity = chr(r.byte())
        columns = []
        for _ in range(r.int16()):
            flags = r.byte()
            column_name = r.string()
            type_oid = r.int32()
            r.int32()  # type modifier
            columns.append(Column(column_name, type_oid, bool(flags & 1)))
        return Relation(oid, schema or "pg_catalog", name, identity, tuple(columns))
    if tag == "I":
        oid = r.int32()
        r.byte()  # 'N'
        return RowChange("insert", oid, new=r.tuple_data(), old=None)
    if tag == "U":
        oid = r.int32()
        kind = chr(r.byte())
        old = None
        old_kind = ""
        if kind in ("K", "O"):
            old, old_kind = r.tuple_data(), kind
            r.byte()  # 'N'
        return RowChange("update", oid, new=r.tuple_data(), old=old, old_kind=old_kind)
    if tag == "D":
        oid = r.int32()
        kind = chr(r.byte())
        return RowChange("delete", oid, new=None, old=r.tuple_data(), old_kind=kind)
    if tag in ("T", "Y", "O", "M"):
        return Other(tag)
    raise DecodeError(f"unknown message type {tag!r}")


def format_lsn(lsn: int) -> str:
    """An LSN as PostgreSQL writes it: ``16/B374D848``."""
    return f"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:X}"


def parse_lsn(text: str) -> int:
    """``16/B374D848`` as an integer.

    Raises:
        ValueError: if the text is not an LSN.
    """
    high, sep, low = text.partition("/")
    if not sep:
        raise ValueError(f"not an LSN: {text!r}")
    return (int(high, 16) << 32) | int(low, 16)


def pg_time_ms(micros: int) -> int:
    """A pgoutput time (microseconds since 2000-01-01 UTC) in milliseconds since the Unix epoch."""
    return PG_EPOCH_MS + micros // 1000


def pg_time_text(micros: int) -> str:
    """A pgoutput time in RFC 3339, UTC, to the microsecond: ``2024-05-01T10:00:00.123456Z``."""
    moment = PG_EPOCH + timedelta(microseconds=micros)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
