"""The Subscribe stream: a subscriber reads the log from its position, live, as fast as it can.

Nothing is pushed into per-subscriber queues. Each subscriber pulls a small batch from the
event log, writes it to its stream (gRPC flow control makes a slow client wait here), and
sleeps until the store says its topics grew. A slow subscriber therefore costs the broker one
batch of memory and never slows publishers or other subscribers.

Without a consumer group a subscriber starts at the end of each topic and gets what is published
afterwards. With a group, delivery goes through the group's state (``core.group_delivery``):
several subscribers share the work, acks advance the group's committed offset, and nacked or
timed-out events are delivered again.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

from embedded_broker.api.access import Caller
from embedded_broker.api.consumer_groups import LiveGroup
from embedded_broker.api.convert import event_wrapper
from embedded_broker.api.errors import abort
from embedded_broker.api.query_params import query_params
from embedded_broker.api.runtime import BrokerRuntime
from embedded_broker.auth.permissions import Permission
from embedded_broker.core.ensql import EnsqlQuery, parse_query
from embedded_broker.core.errors import BrokerError, InvalidArgument, NotFound
from embedded_broker.core.group_delivery import GroupKey
from embedded_broker.core.model import EventRecord, Topic
from embedded_broker.proto.ensign.v1beta1 import ensign_pb2

BATCH = 256
IDLE_WAKE_S = 0.5
REVOCATION_CHECK_S = 0.5


class SubscribeStream:
    """One client's Subscribe stream."""

    def __init__(
        self,
        runtime: BrokerRuntime,
        caller: Caller,
        context: Any,
        topics: list[Topic],
        query: EnsqlQuery | None,
        include_duplicates: bool,
        group: LiveGroup | None,
    ) -> None:
        self._rt = runtime
        self._caller = caller
        self._context = context
        self._topics = topics
        self._query = query
        self._include_duplicates = include_duplicates
        self._group = group
        self._consumer = object()
        self._cursor = {t.id: t.stats.events + 1 for t in topics}
        self._in_flight: dict[bytes, tuple[bytes, int]] = {}  # event id -> (topic id, offset)
        self._waiter = runtime.signals.register(t.id for t in topics)
        self._label = group.key.name if group else ""

    async def run(self, requests: AsyncIterator[ensign_pb2.SubscribeRequest]) -> None:
        """Deliver until the client goes away."""
        for topic in self._topics:
            counts = self._rt.subscribers.setdefault(topic.id, {})
            counts[self._label] = counts.get(self._label, 0) + 1
        deliver = asyncio.create_task(self._deliver())
        acks = asyncio.create_task(self._read_acks(requests))
        stop = asyncio.create_task(self._rt.stopping.wait())
        tasks = {deliver, acks, stop}
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._close()
        if deliver in done and (error := deliver.exception()) is not None:
            if isinstance(error, BrokerError):
                await abort(self._context, error)
            raise error

    def _close(self) -> None:
        self._rt.signals.unregister(self._waiter)
        for topic in self._topics:
            counts = self._rt.subscribers.get(topic.id, {})
            counts[self._label] = counts.get(self._label, 1) - 1
            if counts.get(self._label, 0) <= 0:
                counts.pop(self._label, None)
        if self._group is not None and self._group.delivery.release(self._consumer):
            self._rt.signals.wake(t.id for t in self._topics)  # others take over our events

    async def _read_acks(self, requests: AsyncIterator[ensign_pb2.SubscribeRequest]) -> None:
        async for request in requests:
            kind = request.WhichOneof("embed")
            if kind == "ack":
                self._settle(request.ack.id, acked=True)
            elif kind == "nack":
                self._settle(request.nack.id, acked=False)

    def _settle(self, event_id: bytes, acked: bool) -> None:
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
            self._rt.signals.wake([topic_id])

    async def _deliver(self) -> None:
        checked = time.monotonic()
        while True:
            self._waiter.clear()
            sent = 0
            for topic in self._topics:
                sent += await self._deliver_topic(topic.id)
            now = time.monotonic()
            if now - checked > REVOCATION_CHECK_S:
                checked = now
                self._rt.authorizer.check_active(self._caller)
            if not sent:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._waiter.wait(), IDLE_WAKE_S)

    async def _deliver_topic(self, topic_id: bytes) -> int:
        try:
            end = self._rt.store.topic(topic_id).stats.events
        except NotFound:
            raise NotFound("a subscribed topic was destroyed") from None
        if self._group is None:
            start = self._cursor[topic_id]
            if start > end:
                return 0
            records: list[EventRecord] = await self._rt.read(
                self._rt.store.read, topic_id, start, BATCH
            )
            if records:
                self._cursor[topic_id] = records[-1].offset + 1
        else:
            delivery = self._group.topic(self._rt.store, topic_id)
            offsets = delivery.claim(
                self._consumer, end, BATCH, time.monotonic(), self._group.timeout_s
            )
            if not offsets:
                return 0
            records = await self._read_offsets(topic_id, offsets)
        sent = 0
        for record in records:
            if not self._wanted(record):
                if self._group is not None:  # nothing to deliver: done with it
                    self._group.delivery.topics[topic_id].ack(record.offset, self._consumer)
                continue
            reshape = self._query is not None and not self._query.selects_all
            event = self._query.project(record) if reshape and self._query else None
            if self._group is not None:
                self._in_flight[record.id] = (topic_id, record.offset)
            await self._context.write(ensign_pb2.SubscribeReply(event=event_wrapper(record, event)))
            sent += 1
        return sent or len(records)

    def _wanted(self, record: EventRecord) -> bool:
        if record.is_duplicate and not self._include_duplicates:
            return False
        return self._query is None or self._query.matches(record)

    async def _read_offsets(self, topic_id: bytes, offsets: list[int]) -> list[EventRecord]:
        records: list[EventRecord] = []
        for start, count in _runs(sorted(offsets)):
            records.extend(await self._rt.read(self._rt.store.read, topic_id, start, count))
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


async def serve_subscribe(
    runtime: BrokerRuntime,
    requests: AsyncIterator[ensign_pb2.SubscribeRequest],
    context: Any,
) -> None:
    """Handle ``Ensign.Subscribe``: check the subscription, answer ready, then deliver."""
    first = await anext(requests, None)  # before refusing: see serve_publish
    caller = await runtime.authorizer.authorize(context)
    if first is None:
        return
    try:
        if first.WhichOneof("embed") != "subscription":
            raise InvalidArgument("a Subscribe stream must begin with a subscription message")
        caller.require(Permission.SUBSCRIBER)
        subscription = first.subscription
        query = None
        if subscription.HasField("query") and subscription.query.query.strip():
            query = parse_query(subscription.query.query, query_params(subscription.query))
        names = list(subscription.topics) or ([query.topic] if query else [])
        if not names:
            raise InvalidArgument("subscribe to at least one topic (by name or id)")
        topics = list({t.id: t for t in (runtime.project_topic(caller, n) for n in names)}.values())
        group = None
        if subscription.HasField("group"):
            spec = subscription.group
            key = GroupKey.from_fields(caller.project_id, spec.name, spec.id)
            timeout = spec.delivery_timeout.ToTimedelta().total_seconds() or None
            group = await runtime.groups.join(key, timeout)
            for topic in topics:  # a topic new to the group starts at its end, as of now
                group.topic(runtime.store, topic.id)
    except BrokerError as exc:
        await abort(context, exc)
    include_duplicates = bool(query is not None and subscription.query.include_duplicates)
    stream = SubscribeStream(runtime, caller, context, topics, query, include_duplicates, group)
    await context.write(
        ensign_pb2.SubscribeReply(
            ready=ensign_pb2.StreamReady(
                client_id=subscription.client_id,
                server_id=runtime.server_id,
                topics={t.name: t.id for t in runtime.store.topics(caller.project_id)},
            )
        )
    )
    await stream.run(requests)
