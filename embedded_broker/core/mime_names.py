"""Mimetypes as text: the ``MIME`` enum values and the names and aliases that mean them.

The numbers and enum names are Ensign's ``mimetype.v1beta1.MIME`` (an interop fact, also written
in ``proto/mimetype/v1beta1/mimetype.proto``; a test checks that the two agree).
"""

from __future__ import annotations

import re
from typing import Final

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
MIME_ENUM_NAMES: Final[dict[str, int]] = {
    "UNSPECIFIED": 0,
    "UNKNOWN": 0,
    "APPLICATION_OCTET_STREAM": 0,
    "TEXT_PLAIN": 1,
    "TEXT_CSV": 2,
    "TEXT_HTML": 3,
    "TEXT_CALENDAR": 4,
    "APPLICATION_JSON": 50,
    "APPLICATION_JSON_UTF8": 50,
    "APPLICATION_JSON_LD": 51,
    "APPLICATION_JSON_LINES": 52,
    "APPLICATION_UBJSON": 53,
    "APPLICATION_BSON": 54,
    "APPLICATION_XML": 100,
    "APPLICATION_ATOM": 101,
    "APPLICATION_MSGPACK": 252,
    "APPLICATION_PARQUET": 253,
    "APPLICATION_AVRO": 254,
    "APPLICATION_PROTOBUF": 255,
    "APPLICATION_PDF": 512,
    "APPLICATION_JAVA_ARCHIVE": 513,
    "APPLICATION_PYTHON_PICKLE": 514,
    **{f"USER_SPECIFIED{n}": 1000 + n for n in range(10)},
}
"""Every name of the ``MIME`` enum -> its number (some numbers have several names)."""
KNOWN_MIMETYPES: Final[frozenset[int]] = frozenset(MIME_ENUM_NAMES.values())
"""The ``MIME`` numbers a broker accepts in a published event."""
APPLICATION_JSON: Final = 50


def mime_text(number: int) -> str:
    """The usual text form of a ``MIME`` value ('application/json'); the number if unknown."""
    return _MIME_TEXT.get(number) or str(number)


def mime_number(text: str) -> int | None:
    """Map 'application/json', 'APPLICATION_JSON' and the like to the enum value, or None."""
    essence = text.split(";", 1)[0].strip().lower()
    if essence in _MIME_ALIASES:
        return _MIME_ALIASES[essence]
    name = re.sub(r"[^A-Z0-9]+", "_", text.strip().upper()).strip("_")
    return MIME_ENUM_NAMES.get(name)
