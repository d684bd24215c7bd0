"""Publishing: a stream of events in, one ack or nack per event out, each ack after the commit.

A :class:`PublishPipeline` serves one publisher (an Ensign ``Publish`` stream). Three tasks share
it: the reader admits each event and queues it; the flusher hands whatever has queued up to the
event store as one publish per topic (so a busy stream commits in batches while an idle one
commits each event at once); the acker waits for each commit and reports the acks in order. At
most ``MAX_UNACKED`` events wait for their ack, so a publisher faster than the disk is slowed by
its transport's flow control, never by unbounded memory.

:func:`publish_batch` is the one-call form (the admin ``PublishBatch``): all of a batch is
admitted, or none of it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from embedded_broker.auth.caller import Caller
from embedded_broker.core.errors import BrokerError, InvalidArgument, StoreClosed
from embedded_broker.core.model import PublishReceipt, Topic
from embedded_broker.engine.admission import Admission
from embedded_broker.engine.broker import Broker
from embedded_broker.proto.ensign.v1beta1.event_pb2 import Event

MAX_UNACKED = 10_000
"""Per stream: events received but not yet acknowledged; beyond this, reading waits."""
COMMITS_IN_FLIGHT = 2
"""Per stream: while this many commits are on their way to disk, new events wait and pile up,
so a busy stream commits in growing batches instead of a tiny commit per event."""
REVOCATION_CHECK_S = 0.5
"""How often a stream checks that its API key was not revoked."""


class PublishedEvent(Protocol):
    """One event as a publisher sends it (Ensign's ``EventWrapper`` has these fields)."""

    @property
    def local_id(self) -> bytes:
        """The publisher's own id for the event, echoed in its ack or nack."""

    @property
    def topic_id(self) -> bytes:
        """The topic's 16-byte id (or its ULID text or name, as bytes of text)."""

    @property
    def event(self) -> bytes:
        """The encoded ``ensign.v1beta1.Event``."""


class PublishReplies(Protocol):
    """Where a pipeline reports outcomes; the adapter turns them into wire messages."""

    async def acked(self, local_ids: Sequence[bytes], committed_ms: int) -> None:
        """These events (in publish order) are durably committed at ``committed_ms``."""

    async def nacked(self, local_id: bytes, error: Exception) -> None:
        """This event was refused (a ``BrokerError``) or could not be committed."""


@dataclass(slots=True)
class _Pending:
    local_id: bytes
    topic_id: bytes
    body: bytes
    event: Event
    received: float


_Commit = tuple["asyncio.Future[PublishReceipt] | None", list[_Pending]]


class PublishPipeline:
    """One publisher's events on their way to disk, acknowledged in order.

    Args:
        broker: the broker's state.
        caller: the publisher, whose key is re-checked for revocation every
            ``REVOCATION_CHECK_S`` seconds.
        replies: receives every ack and nack.
    """

    def __init__(self, broker: Broker, caller: Caller, replies: PublishReplies) -> None:
        self._broker = broker
        self._caller = caller
        self._replies = replies
        self._admission = Admission(broker, caller)
        self._pending: list[_Pending] = []
        self._wake = asyncio.Event()
        self._reading_done = False
        self._unacked = 0
        self._room = asyncio.Event()  # set while fewer than MAX_UNACKED events wait for acks
        self._room.set()
        self._topics: dict[bytes, Topic] = {}
        self._commits: asyncio.Queue[list[_Commit] | None] = asyncio.Queue()
        self._commit_slots = asyncio.Semaphore(COMMITS_IN_FLIGHT)
        self.acks = 0
        self.nacks = 0

    async def run(self, events: AsyncIterator[PublishedEvent]) -> None:
        """Admit, commit and acknowledge ``events`` until they end or the broker stops.

        When the broker stops, reading ends but every queued event is still committed and
        acknowledged before this returns.

        Raises:
            InvalidToken: if the caller's key is revoked meanwhile (queued events still commit;
                events not yet acknowledged are the publisher's to send again).
        """
        flusher = asyncio.create_task(self._flush())
        acker = asyncio.create_task(self._ack())
        try:
            await self._broker.until_stopping(self._read(events))
        except BaseException:
            # Cancelled or failed: events already handed to the store still commit; the rest
            # were never acknowledged, so the publisher knows to send them again.
            flusher.cancel()
            acker.cancel()
            raise
        self._reading_done = True
        self._wake.set()
        await flusher
        await acker

    async def _read(self, events: AsyncIterator[PublishedEvent]) -> None:
        checked = time.monotonic()
        admission = self._admission
        async for published in events:
            now = time.monotonic()
            if now - checked > REVOCATION_CHECK_S:
                checked = now
                self._broker.check_active(self._caller)
            body, ref = published.event, published.topic_id
            try:
                # A topic is looked up once per stream: if it is archived or destroyed later,
                # the store's commit-time guard refuses the event with the same reason.
                topic = self._topics.get(ref) or admission.topic(ref)
                event = admission.event(body)
            except BrokerError as refused:
                self.nacks += 1
                await self._replies.nacked(published.local_id, refused)
                continue
            self._topics[ref] = topic
            if self._unacked >= MAX_UNACKED:
                self._room.clear()
                await self._room.wait()
            self._unacked += 1
            self._pending.append(_Pending(published.local_id, topic.id, body, event, now))
            self._wake.set()

    async def _flush(self) -> None:
        store = self._broker.store
        while True:
            if not self._pending and not self._reading_done:
                await self._wake.wait()
            await self._commit_slots.acquire()
            self._wake.clear()
            batch, self._pending = self._pending, []
            if not batch:
                self._commit_slots.release()
                if self._reading_done:
                    await self._commits.put(None)
                    return
                continue
            by_topic: dict[bytes, list[_Pending]] = {}
            for item in batch:
                by_topic.setdefault(item.topic_id, []).append(item)
            commits: list[_Commit] = []
            for topic_id, items in by_topic.items():
                try:
                    future = store.publish(
                        topic_id, [i.event for i in items], [i.body for i in items]
                    )
                    wrapped: asyncio.Future[PublishReceipt] | None = asyncio.wrap_future(future)
                except BrokerError:
                    wrapped = None  # the store is closing: nacked below
                commits.append((wrapped, items))
            await self._commits.put(commits)

    async def _ack(self) -> None:
        while (commits := await self._commits.get()) is not None:
            try:
                for future, items in commits:
                    await self._ack_commit(future, items)
            finally:
                self._commit_slots.release()

    async def _ack_commit(
        self, future: asyncio.Future[PublishReceipt] | None, items: list[_Pending]
    ) -> None:
        try:
            if future is None:
                raise StoreClosed("the broker is shutting down; publish again")
            receipt = await future
        except Exception as error:
            for item in items:
                self.nacks += 1
                await self._replies.nacked(item.local_id, error)
                self._settled(1)
            return
        finished = time.monotonic()
        self._broker.metrics.ack_latencies(
            receipt.topic_id, [finished - item.received for item in items]
        )
        await self._replies.acked([item.local_id for item in items], receipt.committed_ms)
        self.acks += len(items)
        self._settled(len(items))

    def _settled(self, count: int) -> None:
        self._unacked -= count
        if self._unacked < MAX_UNACKED:
            self._room.set()


async def publish_batch(
    broker: Broker,
    caller: Caller,
    topic_id: bytes,
    bodies: Sequence[bytes],
    decoded: Sequence[Event] | None = None,
) -> PublishReceipt:
    """Publish encoded events to a topic in one commit: every one is admitted, or none is.

    Args:
        broker: the broker's state.
        caller: the publisher (a ``broker:admin`` key may address any project's topic).
        topic_id: the topic's 16-byte id.
        bodies: encoded ``ensign.v1beta1.Event`` messages, stored byte for byte.
        decoded: the same events decoded, when the caller decoded them in one pass already;
            otherwise they are decoded here.

    Returns:
        The receipt, once every event is durably committed.

    Raises:
        InvalidArgument: for an empty batch.
        BrokerError: the first refusal of admission (naming the event's index), or of the
            store (archived or destroyed meanwhile, disk full).
    """
    admission = Admission(broker, caller, any_project=True)
    topic = admission.topic(topic_id)
    if not bodies:
        raise InvalidArgument("a batch needs at least one event")
    events = admission.batch(bodies, decoded)
    received = time.monotonic()
    receipt = await asyncio.wrap_future(broker.store.publish(topic.id, events, bodies))
    broker.metrics.ack_latencies(topic.id, [time.monotonic() - received])
    return receipt
