"""Subscriptions: a subscriber reads the log from its position, live, as fast as it can.

Nothing is pushed into per-subscriber queues. Each subscription pulls a small batch from the
event log, hands it to its transport (whose flow control makes a slow client wait there), and
sleeps until the store says its topics grew. A slow subscriber therefore costs the broker one
batch of memory and never slows publishers or other subscribers.

Without a consumer group a subscription starts at the end of each topic and gets what is
published afterwards. With a group, delivery goes through the group's state
(``core.group_delivery``): several subscribers share the work, acks advance the group's committed
offset, and nacked or timed-out events are delivered again (at-least-once).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

from embedded_broker.auth.caller import Caller
from embedded_broker.auth.permissions import Permission
from embedded_broker.core.ensql import EnsqlQuery, parse_query
from embedded_broker.core.errors import InvalidArgument, NotFound
from embedded_broker.core.group_delivery import GroupKey
from embedded_broker.core.model import EventRecord, Topic
from embedded_broker.engine.broker import Broker
from embedded_broker.engine.consumer_groups import LiveGroup
from embedded_broker.proto.ensign.v1beta1.event_pb2 import Event

BATCH = 256
"""Events read from the log per topic per round."""
IDLE_WAKE_S = 0.5
"""An idle subscription looks again at least this often (for revocation and redeliveries)."""
REVOCATION_CHECK_S = 0.5

Deliver = Callable[[EventRecord, Event | None], Awaitable[None]]
"""Sends one event to the subscriber: the stored record, and the query's projection of its event
(None: send the event as stored)."""


@dataclass(frozen=True, slots=True)
class GroupSpec:
    """A consumer group as a subscriber names it (Ensign's ``ConsumerGroup``)."""

    name: str = ""
    id: bytes = b""
    delivery_timeout_s: float | None = None
    """How long a member may hold an event before it is delivered again; None keeps the
    group's stored timeout (30 s for a new group)."""


@dataclass(frozen=True, slots=True)
class SubscriptionRequest:
    """What a subscriber asks for (Ensign's ``Subscription`` message as plain values)."""

    topics: Sequence[str | bytes] = ()
    """Topic names, ULID texts or 16-byte ids; empty means the query's topic."""
    query: str = ""
    """An EnSQL query whose WHERE filters and whose SELECT list shapes what is delivered."""
    params: Mapping[str, object] = field(default_factory=dict)
    include_duplicates: bool = False
    group: GroupSpec | None = None


class Subscription:
    """One subscriber's live delivery. Make one with :meth:`open`, then :meth:`run` it."""

    def __init__(
        self,
        broker: Broker,
        caller: Caller,
        topics: list[Topic],
        query: EnsqlQuery | None,
        include_duplicates: bool,
        group: LiveGroup | None,
    ) -> None:
        self._broker = broker
        self._caller = caller
        self._topics = topics
        self._query = query
        self._include_duplicates = include_duplicates
        self._group = group
        self._consumer = object()
        self._cursor = {t.id: t.stats.events + 1 for t in topics}
        self._in_flight: dict[bytes, tuple[bytes, int]] = {}  # event id -> (topic id, offset)
        self._waiter = broker.signals.register(t.id for t in topics)
        self._label = group.key.name if group else ""
        self._counted = False
        self._closed = False
        # Counted from now, before its stream says ready: a metrics sample taken between the
        # two showed a ready subscriber as none. ``close`` uncounts it.
        self._count(+1)

    @classmethod
    async def open(
        cls, broker: Broker, caller: Caller, request: SubscriptionRequest
    ) -> Subscription:
        """Check a subscription and fix where it starts (a new group: each topic's end, now).

        Raises:
            PermissionDenied: without the ``subscriber`` permission.
            InvalidArgument: for no topic, or an EnSQL error (with its position).
            NotFound: for a topic the caller's project lacks.
        """
        caller.require(Permission.SUBSCRIBER)
        query = None
        if request.query.strip():
            query = parse_query(request.query, request.params)
        names = list(request.topics) or ([query.topic] if query else [])
        if not names:
            raise InvalidArgument("subscribe to at least one topic (by name or id)")
        found = (broker.project_topic(caller, name) for name in names)
        topics = list({t.id: t for t in found}.values())
        group = None
        if request.group is not None:
            spec = request.group
            key = GroupKey.from_fields(caller.project_id, spec.name, spec.id)
            group = await broker.groups.join(key, spec.delivery_timeout_s)
            for topic in topics:  # a topic new to the group starts at its end, as of now
                group.topic(broker.store, topic.id)
        include_duplicates = query is not None and request.include_duplicates
        return cls(broker, caller, topics, query, include_duplicates, group)

    async def run(self, deliver: Deliver, settlements: AsyncIterator[tuple[bytes, bool]]) -> None:
        """Deliver until the subscriber goes away, the broker stops or a topic is destroyed.

        Args:
            deliver: sends one event (awaited: a slow subscriber slows only itself).
            settlements: the subscriber's acks and nacks, as (event id, acked).

        Raises:
            NotFound: if a subscribed topic is destroyed.
            InvalidToken: if the subscriber's key is revoked.
        """
        self._count(+1)
        deliveries = asyncio.create_task(self._deliver(deliver))
        acks = asyncio.create_task(self._read_settlements(settlements))
        stop = asyncio.create_task(self._broker.stopping.wait())
        tasks = {deliveries, acks, stop}
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self.close()
        if deliveries in done and (error := deliveries.exception()) is not None:
            raise error

    def close(self) -> None:
        """Stop waiting for commits and hand this member's undelivered events to the others.

        Safe to call more than once (``run`` calls it when it ends).
        """
        if self._closed:
            return
        self._closed = True
        self._broker.signals.unregister(self._waiter)
        self._count(-1)
        if self._group is not None and self._group.delivery.release(self._consumer):
            self._broker.signals.wake(t.id for t in self._topics)

    def _count(self, change: int) -> None:
        if (change > 0) == self._counted:
            return
        self._counted = change > 0
        for topic in self._topics:
            counts = self._broker.subscribers.setdefault(topic.id, {})
            counts[self._label] = counts.get(self._label, 0) + change
            if counts[self._label] <= 0:
                del counts[self._label]

    async def _read_settlements(self, settlements: AsyncIterator[tuple[bytes, bool]]) -> None:
        async for event_id, acked in settlements:
            self.settle(event_id, acked)

    def settle(self, event_id: bytes, acked: bool) -> None:
        """Record a subscriber's ack (True) or nack (False) of a delivered event.

        Without a group, settlements change nothing. A nacked group event is delivered again.
        """
        found = self._in_flight.pop(event_id, None)
        if found is None or self._group is None:
            return
        topic_id, offset = found
        delivery = self._group.delivery.topics.get(topic_id)
        if delivery is None:
            return
        if acked:
            delivery.ack(offset, self._consumer)
        elif delivery.nack(offset, self._consumer):
            self._broker.signals.wake([topic_id])

    async def _deliver(self, deliver: Deliver) -> None:
        checked = time.monotonic()
        while True:
            self._waiter.clear()
            sent = 0
            for topic in self._topics:
                sent += await self._deliver_topic(topic.id, deliver)
            now = time.monotonic()
            if now - checked > REVOCATION_CHECK_S:
                checked = now
                self._broker.check_active(self._caller)
            if not sent:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._waiter.wait(), IDLE_WAKE_S)

    async def _deliver_topic(self, topic_id: bytes, deliver: Deliver) -> int:
        broker = self._broker
        try:
            end = broker.store.topic(topic_id).stats.events
        except NotFound:
            raise NotFound("a subscribed topic was destroyed") from None
        if self._group is None:
            start = self._cursor[topic_id]
            if start > end:
                return 0
            records = await broker.read(broker.store.read, topic_id, start, BATCH)
            if records:
                self._cursor[topic_id] = records[-1].offset + 1
        else:
            delivery = self._group.topic(broker.store, topic_id)
            offsets = delivery.claim(
                self._consumer, end, BATCH, time.monotonic(), self._group.timeout_s
            )
            if not offsets:
                return 0
            records = await self._read_offsets(topic_id, offsets)
        query = self._query
        reshape = query is not None and not query.selects_all
        sent = 0
        for record in records:
            if not self._wanted(record):
                if self._group is not None:  # nothing to deliver: done with it
                    self._group.delivery.topics[topic_id].ack(record.offset, self._consumer)
                continue
            if self._group is not None:
                self._in_flight[record.id] = (topic_id, record.offset)
            await deliver(record, query.project(record) if reshape and query else None)
            sent += 1
        return sent or len(records)

    def _wanted(self, record: EventRecord) -> bool:
        if record.is_duplicate and not self._include_duplicates:
            return False
        return self._query is None or self._query.matches(record)

    async def _read_offsets(self, topic_id: bytes, offsets: list[int]) -> list[EventRecord]:
        records: list[EventRecord] = []
        for start, count in _runs(sorted(offsets)):
            records.extend(await self._broker.read(self._broker.store.read, topic_id, start, count))
        return records


def _runs(offsets: list[int]) -> list[tuple[int, int]]:
    """Sorted offsets as (start, count) runs of consecutive offsets."""
    runs: list[tuple[int, int]] = []
    for offset in offsets:
        if runs and runs[-1][0] + runs[-1][1] == offset:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((offset, 1))
    return runs
