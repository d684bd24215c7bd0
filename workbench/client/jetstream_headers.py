"""How an Ensign event travels as a NATS message, and back.

The message's payload is the event's data, unchanged, so any NATS client reads it as it is.
What Ensign keeps beside the data goes into NATS headers (values percent-encoded where a header
could not hold them: ``%``, control characters and non-ASCII text)::

    Ensign-Type:          the type name, e.g. "Order"
    Ensign-Type-Version:  "major.minor.patch", e.g. "1.2.0"
    Ensign-Mimetype:      the mimetype as text, e.g. "application/json"
    Ensign-Created:       the creation time, ms since the epoch
    Ensign-Meta-<key>:    one header per metadata entry (the key percent-encoded too)
    Nats-Msg-Id:          the event's publish id, which JetStream deduplicates on

A message without these headers (published by another NATS client) reads as a ``Generic``
event of type version 1.0.0, mimetype ``application/octet-stream``.

The event's id is made like Ensign's (an RLID: the 48-bit commit millisecond, then a 32-bit
sequence) from the stream's commit time and sequence, so ids sort in stream order and EnSQL's
``timestamp`` reads the commit time from it.
"""

from __future__ import annotations

import string
from urllib.parse import quote, unquote

from embedded_broker.core.ids import make_rlid
from embedded_broker.core.mime_names import mime_number, mime_text
from embedded_broker.core.model import EventRecord
from embedded_broker.proto.ensign.v1beta1.event_pb2 import Event, Type
from workbench.client.records import EventRow

TYPE = "Ensign-Type"
TYPE_VERSION = "Ensign-Type-Version"
MIMETYPE = "Ensign-Mimetype"
CREATED = "Ensign-Created"
META_PREFIX = "Ensign-Meta-"
MSG_ID = "Nats-Msg-Id"

_SAFE_VALUE = "".join(c for c in string.printable if c not in "%\r\n\t\x0b\x0c")
_SAFE_KEY = string.ascii_letters + string.digits + "-_."


def event_headers(event: Event, msg_id: str) -> dict[str, str]:
    """The NATS headers that carry an encoded Ensign event's type, mimetype, time and metadata.

    Args:
        event: the event (its data is the payload, not a header).
        msg_id: a publish id unique to this event, the same on every retry of it.
    """
    t = event.type
    headers = {
        TYPE: _value(t.name or "Generic"),
        TYPE_VERSION: f"{t.major_version}.{t.minor_version}.{t.patch_version}",
        MIMETYPE: mime_text(int(event.mimetype)),
        MSG_ID: msg_id,
    }
    if event.HasField("created"):
        headers[CREATED] = str(event.created.seconds * 1000 + event.created.nanos // 1_000_000)
    for key, value in event.metadata.items():
        headers[META_PREFIX + _key(key)] = _value(value)
    return headers


def _value(text: str) -> str:
    if text.isascii() and text.isprintable() and "%" not in text and text == text.strip():
        return text  # nothing to encode (the common case, and quote() is slow)
    # NATS trims a header value's ends, so spaces there are encoded too.
    return quote(text, safe=_SAFE_VALUE if text == text.strip() else _SAFE_VALUE.replace(" ", ""))


def _key(text: str) -> str:
    if text and text.isascii() and (text.replace("-", "").replace("_", "").isalnum()):
        return text
    return quote(text, safe=_SAFE_KEY)


def header_event(payload: bytes, headers: dict[str, str] | None) -> Event:
    """The Ensign event a NATS message carries (see the module's docstring)."""
    headers = headers or {}
    parts = [
        int(p) if p.isdigit() else 0
        for p in (headers.get(TYPE_VERSION, "1.0.0") + ".0.0").split(".")[:3]
    ]
    mimetype = mime_number(headers.get(MIMETYPE, "application/octet-stream"))
    event = Event(
        data=payload,
        mimetype=mimetype or 0,  # type: ignore[arg-type]
        type=Type(
            name=unquote(headers.get(TYPE, "Generic")),
            major_version=parts[0],
            minor_version=parts[1],
            patch_version=parts[2],
        ),
    )
    for name, value in headers.items():
        if name.startswith(META_PREFIX):
            event.metadata[unquote(name[len(META_PREFIX) :])] = unquote(value)
    created = headers.get(CREATED, "")
    if created.isdigit():
        event.created.FromMilliseconds(int(created))
    return event


def event_id(committed_ms: int, sequence: int) -> bytes:
    """A stored message's 10-byte event id (an RLID of its commit time and sequence)."""
    return make_rlid(max(0, committed_ms), sequence & 0xFFFFFFFF)


def message_row(
    topic_id: bytes,
    sequence: int,
    committed_ms: int,
    subject: str,
    payload: bytes,
    headers: dict[str, str] | None,
) -> EventRow:
    """A stored NATS message as the event row views show.

    Args:
        topic_id: the stream's topic id.
        sequence: the stream sequence (the event's offset).
        committed_ms: when the stream stored it, ms since the epoch.
        subject: the subject it was published to.
        payload: its data; headers: its NATS headers (None without any).
    """
    event = header_event(payload, headers)
    t = event.type
    created = event.created
    return EventRow(
        topic_id=topic_id,
        offset=sequence,
        id=event_id(committed_ms, sequence),
        committed_ms=committed_ms,
        created_ms=created.seconds * 1000 + created.nanos // 1_000_000
        if event.HasField("created")
        else 0,
        type_name=t.name,
        type_version=f"{t.major_version}.{t.minor_version}.{t.patch_version}",
        mimetype=int(event.mimetype),
        data=payload,
        metadata=dict(event.metadata),
        subject=subject,
    )


def row_record(row: EventRow) -> EventRecord:
    """An event row as the record EnSQL's WHERE clause is evaluated on."""
    event = Event(
        data=row.data,
        mimetype=row.mimetype,  # type: ignore[arg-type]
        metadata=row.metadata,
    )
    parts = [int(p) if p.isdigit() else 0 for p in (row.type_version + ".0.0").split(".")[:3]]
    event.type.CopyFrom(
        Type(
            name=row.type_name,
            major_version=parts[0],
            minor_version=parts[1],
            patch_version=parts[2],
        )
    )
    if row.created_ms:
        event.created.FromMilliseconds(row.created_ms)
    return EventRecord(row.topic_id, row.offset, row.id, 0, event.SerializeToString())
