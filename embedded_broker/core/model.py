"""The broker's records: projects, topics, their statistics, stored events and receipts."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from embedded_broker.core.dedup import DedupPolicy
from embedded_broker.core.ids import rlid_ms, ulid_str

if TYPE_CHECKING:
    from embedded_broker.proto.ensign.v1beta1.event_pb2 import Event

CLIENT_RECEIVE_LIMIT = 4 * 1024 * 1024
"""gRPC's default limit on a received message (4 MiB), which pyensign keeps: every message the
broker sends a client, each query row and each subscription event, must fit in it."""
DELIVERY_FRAMING = 68
"""The most bytes a ``SubscribeReply`` adds around an encoded event: the reply's tag and length
(1 + 4), the ``EventWrapper``'s id (2 + 10), topic id (2 + 16), offset (1 + 10 at most), commit
time (2 + 17 at most), duplicate flag (2) and the event's own tag and length (1 + 4 for ~4 MiB).
A query row (a bare ``EventWrapper``) takes 5 bytes less."""
MAX_EVENT_SIZE = CLIENT_RECEIVE_LIMIT - DELIVERY_FRAMING
"""The largest encoded event the broker accepts (4,194,236 bytes): the largest that an unmodified
pyensign, with its default 4 MiB receive limit, receives from a query and a subscription."""


class TopicState(enum.StrEnum):
    """A topic's lifecycle state."""

    READY = "ready"
    ARCHIVED = "archived"
    """Read-only: events can be read, publishing is refused."""


TypeKey = tuple[str, int, int, int]
TypeMimeKey = tuple[str, int, int, int, int]
"""(type name, major, minor, patch, mimetype)."""
"""An event type: name, major, minor and patch version."""


@dataclass(frozen=True, slots=True)
class Project:
    """A project: a namespace of topics and API keys."""

    id: bytes
    name: str
    created_ms: int

    @property
    def id_str(self) -> str:
        """The id as a 26-character ULID string."""
        return ulid_str(self.id)


@dataclass(frozen=True, slots=True)
class TopicStats:
    """What a topic holds. Offsets run 1..``events`` with no gaps."""

    events: int = 0
    bytes: int = 0
    duplicates: int = 0
    first_ms: int | None = None
    last_ms: int | None = None
    types: dict[TypeKey, int] = field(default_factory=dict)
    type_mimes: dict[TypeMimeKey, tuple[int, int]] = field(default_factory=dict)
    """(type, version, mimetype) -> (events, payload bytes)."""

    @property
    def first_offset(self) -> int | None:
        """The offset of the first event, or None for an empty topic."""
        return 1 if self.events else None

    @property
    def last_offset(self) -> int | None:
        """The offset of the last event, or None for an empty topic."""
        return self.events or None


@dataclass(frozen=True, slots=True)
class Topic:
    """A topic: an ordered, append-only stream of events within a project."""

    id: bytes
    project_id: bytes
    name: str
    state: TopicState
    created_ms: int
    modified_ms: int
    dedup: DedupPolicy
    stats: TopicStats

    @property
    def id_str(self) -> str:
        """The id as a 26-character ULID string."""
        return ulid_str(self.id)


class EventRecord:
    """An event as stored: its server id, offset and commit time, and the published event.

    The event itself is decoded from its stored bytes on first access.
    """

    __slots__ = ("_event", "body", "duplicate_of", "id", "offset", "topic_id")

    def __init__(
        self, topic_id: bytes, offset: int, id: bytes, duplicate_of: int, body: bytes
    ) -> None:
        self.topic_id = topic_id
        self.offset = offset
        self.id = id
        self.duplicate_of = duplicate_of
        """The offset of the event this one duplicates, or 0."""
        self.body = body
        """The event as published, encoded as an ``ensign.v1beta1.Event`` message."""
        self._event: Event | None = None

    @property
    def committed_ms(self) -> int:
        """When the event was committed, in milliseconds since the epoch."""
        return rlid_ms(self.id)

    @property
    def is_duplicate(self) -> bool:
        """True if the topic's dedup policy found an earlier equal event."""
        return self.duplicate_of != 0

    @property
    def event(self) -> Event:
        """The published event (data, metadata, mimetype, type, created)."""
        if self._event is None:
            from embedded_broker.proto.ensign.v1beta1.event_pb2 import Event

            self._event = Event.FromString(self.body)
        return self._event

    def __repr__(self) -> str:
        return f"EventRecord(offset={self.offset}, id={self.id.hex()}, size={len(self.body)})"


@dataclass(frozen=True, slots=True)
class PublishReceipt:
    """The acknowledgement of one publish call: every event in it is durably committed."""

    topic_id: bytes
    first_offset: int
    ids: list[bytes]
    duplicates: dict[int, int]
    """Offset of each event found to be a duplicate -> offset of the event it duplicates."""

    @property
    def committed_ms(self) -> int:
        """When the batch was committed, in milliseconds since the epoch."""
        return rlid_ms(self.ids[-1])

    @property
    def offsets(self) -> range:
        """The offsets given to the published events, in order."""
        return range(self.first_offset, self.first_offset + len(self.ids))
