"""The event a committed row change becomes: ``ChangeEvent`` 1.0.0, JSON.

Data::

    {"op": "insert" | "update" | "delete" | "read",
     "schema": "public", "table": "accounts",
     "before": {...} | null, "after": {...} | null,
     "lsn": "0/1537800", "xid": 733, "committed_at": "2024-05-01T10:00:00.123456Z"}

``read`` is a row of an initial snapshot (before is null, xid and committed_at are null). Metadata
holds ``op``, ``table`` (``schema.table``), ``lsn`` and ``position``: ``lsn`` and ``position``
together are the change's key, the same every time the change is read again (after a crash), and
the capture's topics deduplicate on it (``UNIQUE_KEY`` on those two metadata keys).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any

from embedded_broker.proto.ensign.v1beta1.event_pb2 import Event, Type
from embedded_broker.proto.mimetype.v1beta1.mimetype_pb2 import MIME

TYPE_NAME = "ChangeEvent"
TYPE_VERSION = (1, 0, 0)
KEY_FIELDS = ("lsn", "position")
"""The metadata keys that identify a change: the topics' ``UNIQUE_KEY`` deduplication keys."""
OPS = frozenset({"insert", "update", "delete", "read"})

Row = dict[str, Any]
"""A row as JSON: column name to value."""


@dataclass(frozen=True, slots=True)
class Change:
    """One committed row change (or one row of a snapshot).

    Attributes:
        op: ``insert``, ``update``, ``delete`` or (a snapshot's row) ``read``.
        schema: the table's schema (``main`` for SQLite).
        table: the table's name.
        before: the old row (or its key columns), None when the source has none.
        after: the new row, None for a delete.
        lsn: where the change's transaction committed: a PostgreSQL LSN (``0/1537800``), a
            snapshot's consistent point, or a SQLite change log's sequence number.
        position: the change's place in its transaction (or snapshot), from 1.
        xid: the transaction id, None where the source has none.
        committed_at: the commit time, RFC 3339 in UTC; None for a snapshot's rows.
        committed_ms: the same as milliseconds since the epoch (0 when unknown), for lag.
    """

    op: str
    schema: str
    table: str
    before: Row | None
    after: Row | None
    lsn: str
    position: int
    xid: int | None
    committed_at: str | None
    committed_ms: int = 0

    @property
    def qualified_table(self) -> str:
        """``schema.table``."""
        return f"{self.schema}.{self.table}"

    def data(self) -> dict[str, Any]:
        """The event's JSON data, keys in the documented order."""
        return {
            "op": self.op,
            "schema": self.schema,
            "table": self.table,
            "before": self.before,
            "after": self.after,
            "lsn": self.lsn,
            "xid": self.xid,
            "committed_at": self.committed_at,
        }

    def metadata(self) -> dict[str, str]:
        """The event's metadata: ``op``, ``table``, and the key ``lsn`` + ``position``."""
        return {
            "op": self.op,
            "table": self.qualified_table,
            "lsn": self.lsn,
            "position": str(self.position),
        }


def encode_change(change: Change, created_ms: int) -> bytes:
    """The change as an encoded ``ensign.v1beta1.Event`` (application/json, ChangeEvent 1.0.0).

    Args:
        change: the change.
        created_ms: the event's creation time, milliseconds since the epoch.
    """
    data = json.dumps(change.data(), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    body: bytes = Event(data=data.encode(), metadata=change.metadata()).SerializeToString()
    # Fields may come in any order in protobuf's encoding: the part every change event shares
    # is encoded once per creation time.
    return body + _constant_fields(created_ms)


@functools.lru_cache(maxsize=4)
def _constant_fields(created_ms: int) -> bytes:
    major, minor, patch = TYPE_VERSION
    event = Event(
        mimetype=MIME.APPLICATION_JSON,
        type=Type(name=TYPE_NAME, major_version=major, minor_version=minor, patch_version=patch),
    )
    event.created.FromMilliseconds(created_ms)
    encoded: bytes = event.SerializeToString()
    return encoded


def default_topic(change: Change) -> str:
    """The topic a change goes to by default: ``schema.table``."""
    return change.qualified_table
