"""Paged reads of a topic by offset, by commit time or from its end (the admin ``ReadEvents``)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from embedded_broker.auth.caller import Caller
from embedded_broker.auth.permissions import Permission
from embedded_broker.core.model import EventRecord
from embedded_broker.engine.broker import Broker

MAX_READ = 1000
"""The most events one paged read returns."""
DEFAULT_READ = 100


class ReadFrom(enum.Enum):
    """Where a paged read starts."""

    OFFSET = "offset"
    """At a given offset (1 is the first event)."""
    TIME = "time"
    """At the first event committed at or after a time."""
    END = "end"
    """So that the page ends with the topic's last event."""


@dataclass(frozen=True, slots=True)
class EventPage:
    """One page of a topic's events."""

    records: list[EventRecord]
    next_offset: int
    """Where the next page starts."""
    last_offset: int
    """The topic's last offset when the page was read (0 for an empty topic)."""


async def read_page(
    broker: Broker,
    caller: Caller,
    topic_id: bytes,
    start: ReadFrom,
    at: int = 1,
    limit: int = DEFAULT_READ,
) -> EventPage:
    """Read up to ``limit`` (at most ``MAX_READ``) events of a topic.

    Args:
        broker: the broker's state.
        caller: needs ``subscriber`` or ``topics:read``; a ``broker:admin`` reads any project.
        topic_id: the topic's 16-byte id.
        start: where to start; ``at`` is the offset for ``OFFSET`` and milliseconds since the
            epoch for ``TIME`` (ignored for ``END``).
        at: see ``start``.
        limit: the most events wanted (0 means ``DEFAULT_READ``).

    Raises:
        PermissionDenied: without either permission, or for another project's topic.
        NotFound: if there is no such topic.
    """
    caller.require(Permission.SUBSCRIBER, Permission.TOPICS_READ)
    topic = broker.caller_topic(caller, topic_id)
    limit = min(limit or DEFAULT_READ, MAX_READ)
    last = topic.stats.events
    if start is ReadFrom.TIME:
        found = await broker.read(broker.store.offset_at, topic.id, at)
        first = found if found is not None else last + 1
    elif start is ReadFrom.END:
        first = max(1, last - limit + 1)
    else:
        first = max(1, at)
    records: list[EventRecord] = []
    if first <= last:
        records = await broker.read(broker.store.read, topic.id, first, limit)
    return EventPage(records, records[-1].offset + 1 if records else first, last)
