"""Mimetypes as text: the ``MIME`` enum values and the names and aliases that mean them."""

from __future__ import annotations

import re
from typing import Final

from embedded_broker.proto.mimetype.v1beta1 import mimetype_pb2

_MIME_TEXT: Final[dict[int, str]] = {
    0: "application/octet-stream",
    1: "text/plain",
    2: "text/csv",
    3: "text/html",
    4: "text/calendar",
    50: "application/json",
    51: "application/ld+json",
    52: "application/jsonlines",
    53: "application/ubjson",
    54: "application/bson",
    100: "application/xml",
    101: "application/atom+xml",
    252: "application/msgpack",
    253: "application/parquet",
    254: "application/avro",
    255: "application/protobuf",
    512: "application/pdf",
    513: "application/java-archive",
    514: "application/python-pickle",
    **{1000 + n: f"user/format-{n}" for n in range(10)},
}
_MIME_ALIASES: Final[dict[str, int]] = {
    **{text: number for number, text in _MIME_TEXT.items()},
    "application/json-lines": 52,
    "application/jsonl": 52,
    "application/x-jsonlines": 52,
    "application/ndjson": 52,
    "application/x-ndjson": 52,
    "text/xml": 100,
    "application/x-msgpack": 252,
    "application/vnd.apache.parquet": 253,
    "application/x-parquet": 253,
    "application/x-avro": 254,
    "avro/binary": 254,
    "application/x-protobuf": 255,
    "application/vnd.google.protobuf": 255,
    "application/octet": 0,
}
_MIME_NAMES: Final[dict[str, int]] = {name: int(n) for name, n in mimetype_pb2.MIME.items()}


def mime_text(number: int) -> str:
    """The usual text form of a ``MIME`` value ('application/json'); the number if unknown."""
    return _MIME_TEXT.get(number) or str(number)


def mime_number(text: str) -> int | None:
    """Map 'application/json', 'APPLICATION_JSON' and the like to the enum value, or None."""
    essence = text.split(";", 1)[0].strip().lower()
    if essence in _MIME_ALIASES:
        return _MIME_ALIASES[essence]
    name = re.sub(r"[^A-Z0-9]+", "_", text.strip().upper()).strip("_")
    return _MIME_NAMES.get(name)
