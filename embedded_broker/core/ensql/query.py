"""The parsed query, which filters (:meth:`EnsqlQuery.matches`) and projects events."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from embedded_broker.core.ensql.fields import _Ref
from embedded_broker.core.ensql.predicates import Predicate
from embedded_broker.core.ensql.rows import _MISSING, _lookup, _Row, _RowCache
from embedded_broker.core.errors import InvalidArgument
from embedded_broker.core.mime_names import APPLICATION_JSON
from embedded_broker.core.model import MAX_EVENT_SIZE, EventRecord
from embedded_broker.proto.ensign.v1beta1.event_pb2 import Event


@dataclass(frozen=True, slots=True)
class _Selected:
    """One item of the SELECT list."""

    ref: _Ref
    alias: str | None


@dataclass(frozen=True)
class EnsqlQuery:
    """A parsed EnSQL query: which topic and event type, which events, which part of them."""

    topic: str
    type_name: str | None = None
    """Only events of this type name match (from ``FROM topic.TypeName``)."""
    type_version: tuple[int, ...] | None = None
    """Only events whose (major, minor, patch) version starts with this match."""
    offset: int = 0
    """How many matching events to skip."""
    limit: int | None = None
    """The most matching events to return, or None for all."""
    text: str = field(default="", compare=False)
    """The query as given."""
    _where: Predicate | None = field(default=None, repr=False, compare=False)
    _select: tuple[_Selected, ...] | None = field(default=None, repr=False, compare=False)
    _cache: _RowCache = field(default_factory=_RowCache, repr=False, compare=False)

    @property
    def selects_all(self) -> bool:
        """True for ``SELECT *``: :meth:`project` returns events unchanged."""
        return self._select is None

    def _row(self, record: EventRecord) -> _Row:
        row = self._cache.row
        if row is None or row.record is not record:
            row = _Row(record)
            self._cache.row = row
        return row

    def matches(self, record: EventRecord) -> bool:
        """Return True if the event has the queried type and satisfies the WHERE clause."""
        if self.type_name is not None:
            kind = record.event.type
            if kind.name != self.type_name:
                return False
            wanted = self.type_version
            if wanted:
                version = (kind.major_version, kind.minor_version, kind.patch_version)
                if version[: len(wanted)] != wanted:
                    return False
        where = self._where
        return where is None or where(self._row(record))

    def project(self, record: EventRecord) -> Event:
        """Return the event cut down to the SELECT list.

        ``*`` returns the event itself. Otherwise the result keeps the mimetype, type and created
        time, and only the selected metadata keys. Its data is the original data if ``data`` is
        selected or no data field is; else a compact JSON object of the selected data fields the
        event has (and the mimetype becomes application/json).

        Raises:
            InvalidArgument: if the projection is larger than ``MAX_EVENT_SIZE`` (a SELECT list
                that repeats a large field under aliases), which no client could receive.
        """
        if self._select is None:
            return record.event
        row = self._row(record)
        event = row.event
        out = Event(mimetype=event.mimetype)
        if event.HasField("type"):
            out.type.CopyFrom(event.type)
        if event.HasField("created"):
            out.created.CopyFrom(event.created)
        metadata = event.metadata
        fields: dict[str, Any] = {}
        keep_data = False
        data_fields = False
        for item in self._select:
            ref = item.ref
            kind = ref.kind
            if kind == "metadata_all":
                for key, value in metadata.items():
                    out.metadata[key] = value
                continue
            if kind == "data_all":
                keep_data = True
                continue
            if kind == "metadata" or (kind == "bare" and ref.key in metadata):
                if ref.key in metadata:
                    out.metadata[item.alias or ref.key] = metadata[ref.key]
                continue
            if kind not in ("data", "bare"):
                continue  # offset, type, ...: carried by the event or its envelope anyway
            data_fields = True
            value = _lookup(row.doc(), ref.path)
            if value is _MISSING:
                continue
            if item.alias is not None or len(ref.path) == 1:
                fields[item.alias or ref.path[0]] = value
                continue
            target = fields
            for key in ref.path[:-1]:
                nested = target.get(key)
                if not isinstance(nested, dict):
                    nested = target[key] = {}
                target = nested
            target[ref.path[-1]] = value
        if keep_data or not data_fields:
            out.data = event.data
        else:
            out.data = json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode()
            out.mimetype = APPLICATION_JSON  # type: ignore[assignment]
        size = out.ByteSize()
        if size > MAX_EVENT_SIZE:  # aliases can repeat a field: more than a client receives
            raise InvalidArgument(
                f"the row at offset {record.offset} is {size:,} bytes once projected, over the "
                f"{MAX_EVENT_SIZE:,} bytes a client receives: select fewer or smaller fields"
            )
        return out
