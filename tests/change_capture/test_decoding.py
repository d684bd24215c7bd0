"""PostgreSQL values and pgoutput messages decoded with no server (sans I/O)."""

from __future__ import annotations

import json
import struct

import pytest

from change_capture.change_events import Change, encode_change
from change_capture.pg_values import ColumnType, Kind, TypeCatalog, parse_array, to_json
from change_capture.pgoutput import (
    UNCHANGED,
    Begin,
    Commit,
    DecodeError,
    Other,
    Relation,
    RowChange,
    decode,
    format_lsn,
    parse_lsn,
    pg_time_ms,
    pg_time_text,
)
from embedded_broker.proto.ensign.v1beta1.event_pb2 import Event


@pytest.mark.parametrize(
    ("kind", "text", "value"),
    [
        (Kind.BOOL, "t", True),
        (Kind.BOOL, "false", False),
        (Kind.INT, "-9223372036854775808", -9223372036854775808),
        (Kind.FLOAT, "0.1", 0.1),
        (Kind.FLOAT, "-Infinity", "-Infinity"),
        (Kind.FLOAT, "NaN", "NaN"),
        (Kind.NUMERIC, "12345678901234567890.120", "12345678901234567890.120"),
        (Kind.BYTEA, "\\xdeadbeef", "3q2+7w=="),
        (Kind.BYTEA, "a\\\\b\\001", "YVxiAQ=="),  # the escape output format
        (Kind.TIMESTAMPTZ, "2024-05-01 10:00:00.5+00", "2024-05-01T10:00:00.5Z"),
        (Kind.TIMESTAMPTZ, "2024-05-01 10:00:00+05:30", "2024-05-01T10:00:00+05:30"),
        (Kind.TIMESTAMPTZ, "2024-05-01 10:00:00-03", "2024-05-01T10:00:00-03:00"),
        (Kind.TIMESTAMPTZ, "1850-01-01 00:00:00+00:19:32", "1850-01-01 00:00:00+00:19:32"),
        (Kind.TIMESTAMPTZ, "infinity", "infinity"),
        (Kind.TIMESTAMPTZ, "0044-03-15 00:00:00+00 BC", "0044-03-15 00:00:00+00 BC"),
        (Kind.TIMESTAMP, "2024-05-01 10:00:00", "2024-05-01T10:00:00"),
        (Kind.TIMETZ, "12:00:00-08", "12:00:00-08:00"),
        (Kind.JSON, '{"a": [1, null]}', {"a": [1, None]}),
        (Kind.TEXT, "  spaced  ", "  spaced  "),
    ],
)
def test_values_keep_their_meaning_in_json(kind: Kind, text: str, value: object) -> None:
    assert to_json(ColumnType(kind), text) == value
    assert to_json(ColumnType(kind), None) is None


def test_arrays_are_parsed_and_their_elements_converted() -> None:
    assert parse_array('{1,NULL,"NULL","a \\"q\\" \\\\ b",{x,y}}') == [
        "1", None, "NULL", 'a "q" \\ b', ["x", "y"],
    ]  # fmt: skip
    assert parse_array("[0:1]={7,8}") == ["7", "8"]
    assert parse_array("{}") == []
    assert parse_array("{unclosed") is None
    assert to_json(ColumnType(Kind.INT, array=True), "{{1,2},{3,NULL}}") == [[1, 2], [3, None]]
    assert to_json(ColumnType(Kind.NUMERIC, array=True), "{1.10,NaN}") == ["1.10", "NaN"]


def test_the_type_catalog_resolves_domains_and_arrays() -> None:
    catalog = TypeCatalog(
        [
            (90001, "d", "N", 0, 1700),  # a domain over numeric
            (90002, "b", "A", 90001, 0),  # an array of it
            (90003, "e", "E", 0, 0),  # an enum
        ]
    )
    assert catalog.column_type(90001) == ColumnType(Kind.NUMERIC)
    assert catalog.column_type(90002) == ColumnType(Kind.NUMERIC, array=True)
    assert catalog.column_type(90003) == ColumnType(Kind.TEXT)
    assert catalog.column_type(16) == ColumnType(Kind.BOOL)
    assert catalog.column_type(123456) == ColumnType(Kind.TEXT)


def _tuple(*values: object) -> bytes:
    out = struct.pack(">h", len(values))
    for value in values:
        if value is None:
            out += b"n"
        elif value is UNCHANGED:
            out += b"u"
        else:
            raw = str(value).encode()
            out += b"t" + struct.pack(">I", len(raw)) + raw
    return out


def test_pgoutput_messages_are_decoded() -> None:
    begin = decode(b"B" + struct.pack(">QqI", 0x16B3748, 768_000_000_000_000, 733))
    assert begin == Begin(0x16B3748, 768_000_000_000_000, 733)
    commit = decode(b"C\x00" + struct.pack(">QQq", 0x16B3748, 0x16B3778, 1))
    assert commit == Commit(0x16B3748, 0x16B3778, 1)
    relation = decode(
        b"R" + struct.pack(">I", 16384) + b"public\x00accounts\x00d" + struct.pack(">h", 2)
        + b"\x01id\x00" + struct.pack(">Ii", 23, -1)
        + b"\x00note\x00" + struct.pack(">Ii", 25, -1)
    )  # fmt: skip
    assert relation == Relation(16384, "public", "accounts", "d", relation.columns)
    assert [(c.name, c.type_oid, c.is_key) for c in relation.columns] == [
        ("id", 23, True), ("note", 25, False),
    ]  # fmt: skip
    insert = decode(b"I" + struct.pack(">I", 16384) + b"N" + _tuple("1", None))
    assert insert == RowChange("insert", 16384, new=("1", None), old=None)
    update = decode(
        b"U" + struct.pack(">I", 16384) + b"O" + _tuple("1", "old") + b"N" + _tuple("1", UNCHANGED)
    )
    assert update == RowChange("update", 16384, ("1", UNCHANGED), ("1", "old"), "O")
    plain_update = decode(b"U" + struct.pack(">I", 16384) + b"N" + _tuple("2", "x"))
    assert plain_update == RowChange("update", 16384, ("2", "x"), None, "")
    delete = decode(b"D" + struct.pack(">I", 16384) + b"K" + _tuple("1", None))
    assert delete == RowChange("delete", 16384, None, ("1", None), "K")
    assert decode(b"T" + struct.pack(">IbI", 1, 0, 16384)) == Other("T")
    for bad in (b"", b"Z", b"B\x00", b"I" + struct.pack(">I", 1) + b"N" + b"\x00\x01b"):
        with pytest.raises(DecodeError):
            decode(bad)


def test_lsns_and_times() -> None:
    assert format_lsn(0x16_B374D848) == "16/B374D848"
    assert parse_lsn("16/B374D848") == 0x16_B374D848
    assert parse_lsn(format_lsn(0)) == 0
    with pytest.raises(ValueError):
        parse_lsn("16B374D848")
    assert pg_time_text(0) == "2000-01-01T00:00:00.000000Z"
    assert pg_time_text(1_500_000) == "2000-01-01T00:00:01.500000Z"
    assert pg_time_ms(1_500_000) == 946_684_801_500


def test_a_change_is_one_json_change_event() -> None:
    change = Change("update", "public", "accounts", {"id": 1}, {"id": 1, "v": "1.10"},
                    "0/1537800", 2, 733, "2024-05-01T10:00:00.000000Z", 1)  # fmt: skip
    event = Event.FromString(encode_change(change, created_ms=1_714_557_600_000))
    assert json.loads(event.data) == {
        "op": "update", "schema": "public", "table": "accounts", "before": {"id": 1},
        "after": {"id": 1, "v": "1.10"}, "lsn": "0/1537800", "xid": 733,
        "committed_at": "2024-05-01T10:00:00.000000Z",
    }  # fmt: skip
    assert dict(event.metadata) == {
        "op": "update", "table": "public.accounts", "lsn": "0/1537800", "position": "2",
    }  # fmt: skip
    assert (event.type.name, event.type.major_version, event.mimetype) == ("ChangeEvent", 1, 50)
    assert event.created.ToMilliseconds() == 1_714_557_600_000
