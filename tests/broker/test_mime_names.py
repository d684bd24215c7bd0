"""The core's plain mimetype table must say what Ensign's ``MIME`` enum says."""

from __future__ import annotations

from embedded_broker.core.mime_names import KNOWN_MIMETYPES, MIME_ENUM_NAMES, mime_number
from embedded_broker.proto.mimetype.v1beta1 import mimetype_pb2


def test_the_plain_table_matches_the_wire_enum() -> None:
    assert dict(mimetype_pb2.MIME.items()) == MIME_ENUM_NAMES
    assert frozenset(mimetype_pb2.MIME.values()) == KNOWN_MIMETYPES


def test_names_and_aliases_map_to_numbers() -> None:
    assert mime_number("APPLICATION_JSON") == mime_number("application/json") == 50
    assert mime_number("application/x-ndjson") == 52
    assert mime_number("no/such") is None
