"""An Ensign event as NATS headers and back, with no server."""

from __future__ import annotations

from embedded_broker.core.ensql import parse_query
from embedded_broker.proto.ensign.v1beta1.event_pb2 import Event
from workbench.client.broker_client import encode_event
from workbench.client.jetstream_headers import (
    CREATED,
    META_PREFIX,
    MIMETYPE,
    MSG_ID,
    TYPE,
    TYPE_VERSION,
    event_headers,
    message_row,
    row_record,
)
from workbench.client.jetstream_settings import parse_servers, validate_stream_name
from workbench.client.records import NewEvent


def test_fields_travel_as_readable_headers_and_come_back_whole() -> None:
    metadata = {
        "region": "eu",
        "odd key: ünïcode": "100% sure\nnext line",
        "": "empty key",
        "padded": "  spaced  ",
    }
    new = NewEvent(b'{"n": 1}', 50, "Order", "2.1.3", metadata, created_ms=1_700_000_000_123)
    event = Event.FromString(encode_event(new))
    headers = event_headers(event, "id-1")
    assert headers[TYPE] == "Order" and headers[TYPE_VERSION] == "2.1.3"
    assert headers[MIMETYPE] == "application/json" and headers[CREATED] == "1700000000123"
    assert headers[MSG_ID] == "id-1" and headers[META_PREFIX + "region"] == "eu"
    assert all(v.isascii() and "\n" not in v for v in headers.values())
    assert all(k.isascii() and " " not in k and ":" not in k for k in headers)
    row = message_row(b"orders", 7, 1_700_000_000_500, "orders.eu", event.data, headers)
    assert (row.offset, row.subject, row.committed_ms) == (7, "orders.eu", 1_700_000_000_500)
    assert (row.type_name, row.type_version, row.mimetype) == ("Order", "2.1.3", 50)
    assert row.metadata == metadata and row.created_ms == 1_700_000_000_123
    query = parse_query("SELECT * FROM orders WHERE region = 'eu' AND data.n = 1")
    assert query.matches(row_record(row))
    assert row_record(row).committed_ms == 1_700_000_000_500  # EnSQL's timestamp


def test_a_plain_nats_message_reads_as_a_generic_event() -> None:
    row = message_row(b"logs", 1, 5, "logs", b"\x00\x01", None)
    assert (row.type_name, row.type_version, row.mimetype_text) == (
        "Generic",
        "1.0.0",
        "application/octet-stream",
    )
    assert row.metadata == {} and row.created_ms == 0


def test_server_lists_and_stream_names_are_checked() -> None:
    assert parse_servers("a:4222, tls://b:4222") == ("nats://a:4222", "tls://b:4222")
    for bad in ("", "http://x", " , "):
        try:
            parse_servers(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} was accepted")
    assert validate_stream_name("orders_1") == "orders_1"
    for bad in ("a.b", "a b", "a*", "a>", ""):
        try:
            validate_stream_name(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} was accepted")
