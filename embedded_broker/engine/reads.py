"""Paged reads of a topic by offset, by commit time or from its end (the admin ``ReadEvents``).

Reading events hands out their data, so it needs ``subscriber``, as Ensign's Subscribe and
EnSQL do; ``topics:read`` lists topics and their statistics, never what their events hold.
"""

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
PAGE_BYTES = 2 * 1024 * 1024
"""The most event bytes one page holds, unless its only event is larger (an event may reach
``MAX_EVENT_SIZE``, about 4 MiB). One ``ReadEventsReply`` is therefore at most about 4 MiB: well
under what the broker sends (8 MiB) and what the workbench receives."""
_EARLIEST_MS, _LATEST_MS = -(2**63), 2**63 - 1
_EVENT_FRAMING = 64
"""Bytes an event's ``EventWrapper`` adds around it in a reply, at most (ids, offset, time)."""


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
    """Read up to ``limit`` (at most ``MAX_READ``) events of a topic, and at most
    ``PAGE_BYTES`` of them (but always one event, when there is one).

    A page cut short by its bytes says where to go on: ``next_offset`` for reads by offset or
    time; a read from the end keeps the newest events, so the older ones end before the first.

    Args:
        broker: the broker's state.
        caller: needs ``subscriber`` (``topics:read`` is not enough: a page carries the events'
            data); a ``broker:admin`` reads any project.
        topic_id: the topic's 16-byte id.
        start: where to start; ``at`` is the offset for ``OFFSET`` and milliseconds since the
            epoch for ``TIME`` (ignored for ``END``).
        at: see ``start``.
        limit: the most events wanted (0 means ``DEFAULT_READ``).

    Raises:
        PermissionDenied: without ``subscriber``, or for another project's topic.
        NotFound: if there is no such topic.
    """
    caller.require(Permission.SUBSCRIBER)
    topic = broker.caller_topic(caller, topic_id)
    limit = min(limit or DEFAULT_READ, MAX_READ)
    last = topic.stats.events
    if start is ReadFrom.TIME:
        # Any time may be asked for (a Timestamp's seconds times 1000 passes SQLite's 64 bits).
        at = min(max(at, _EARLIEST_MS), _LATEST_MS)
        found = await broker.read(broker.store.offset_at, topic.id, at)
        first = found if found is not None else last + 1
    elif start is ReadFrom.END:
        first = max(1, last - limit + 1)
    else:
        first = max(1, at)
    records: list[EventRecord] = []
    if first <= last:
        records = await broker.read(broker.store.read, topic.id, first, limit)
    records = within_budget(records, PAGE_BYTES, from_end=start is ReadFrom.END)
    return EventPage(records, records[-1].offset + 1 if records else first, last)


def within_budget(
    records: list[EventRecord], budget: int, from_end: bool = False
) -> list[EventRecord]:
    """The longest run of ``records`` from the first (or, ``from_end``, back from the last)
    whose bytes stay within ``budget``; at least one record when there is one."""
    ordered = reversed(records) if from_end else iter(records)
    kept, total = 0, 0
    for record in ordered:
        total += len(record.body) + _EVENT_FRAMING
        if total > budget and kept:
            break
        kept += 1
    if kept == len(records):
        return records
    return records[len(records) - kept :] if from_end else records[:kept]
