"""What the broker sends fits what an unmodified pyensign receives (gRPC's default 4 MiB)."""

from __future__ import annotations

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from embedded_broker.core.ensql import parse_query
from embedded_broker.core.errors import InvalidArgument
from embedded_broker.core.model import (
    CLIENT_RECEIVE_LIMIT,
    DELIVERY_FRAMING,
    MAX_EVENT_SIZE,
    EventRecord,
)
from embedded_broker.core.timestamps import MAX_SECONDS
from embedded_broker.proto.ensign.v1beta1.ensign_pb2 import SubscribeReply
from embedded_broker.proto.ensign.v1beta1.event_pb2 import Event, EventWrapper


def _widest_wrapper(size: int) -> EventWrapper:
    """An EventWrapper as the broker fills it, every field at its widest."""
    return EventWrapper(
        id=b"\xff" * 10,
        topic_id=b"\xff" * 16,
        offset=2**64 - 1,
        event=b"e" * size,
        is_duplicate=True,
        committed=Timestamp(seconds=MAX_SECONDS, nanos=999_999_999),
    )


def test_the_largest_event_fits_a_subscription_message_exactly() -> None:
    assert MAX_EVENT_SIZE == CLIENT_RECEIVE_LIMIT - DELIVERY_FRAMING == 4_194_236
    reply = SubscribeReply(event=_widest_wrapper(MAX_EVENT_SIZE))
    assert reply.ByteSize() == CLIENT_RECEIVE_LIMIT
    assert _widest_wrapper(MAX_EVENT_SIZE).ByteSize() < CLIENT_RECEIVE_LIMIT  # an EnSQL row
    assert (
        SubscribeReply(event=_widest_wrapper(MAX_EVENT_SIZE + 1)).ByteSize() > CLIENT_RECEIVE_LIMIT
    )


def test_a_projection_larger_than_a_client_receives_is_refused_with_a_reason() -> None:
    half = b'{"a": "' + b"x" * (MAX_EVENT_SIZE // 2) + b'"}'
    record = EventRecord(
        b"t" * 16, 7, b"i" * 10, 0, Event(data=half, mimetype=50).SerializeToString()
    )
    query = parse_query("SELECT data.a AS one, data.a AS two, data.a AS three FROM t", {})
    with pytest.raises(InvalidArgument, match=r"row at offset 7 is .* bytes once projected"):
        query.project(record)
    assert parse_query("SELECT data.a FROM t", {}).project(record).ByteSize() < MAX_EVENT_SIZE
