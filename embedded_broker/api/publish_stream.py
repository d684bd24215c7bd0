"""The Publish stream: events in, one ack or nack per event out, each after it is on disk.

Three tasks share one stream. The reader checks each event and queues it; the flusher hands
whatever has queued up to the event store as one publish per topic (so a busy stream commits in
batches while an idle one commits each event at once); the acker waits for each commit and
writes the acks in order. At most ``MAX_UNACKED`` events per stream wait for their ack, so a
publisher faster than the disk is slowed by gRPC flow control, never by unbounded memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, TypeAlias

import grpc
from google.protobuf.message import DecodeError

from embedded_broker.api.access import Caller
from embedded_broker.api.convert import KNOWN_MIMETYPES, timestamp
from embedded_broker.api.errors import abort
from embedded_broker.api.runtime import BrokerRuntime
from embedded_broker.auth.permissions import Permission
from embedded_broker.core.errors import (
    BrokerError,
    EventTooLarge,
    NotFound,
    StorageFull,
    TopicArchived,
)
from embedded_broker.core.model import MAX_EVENT_SIZE, PublishReceipt, TopicState
from embedded_broker.proto.ensign.v1beta1 import ensign_pb2
from embedded_broker.proto.ensign.v1beta1.event_pb2 import Event, EventWrapper

MAX_UNACKED = 10_000
COMMITS_IN_FLIGHT = 2
"""Per stream: while this many commits are on their way to disk, new events wait and pile up,
so a busy stream commits in growing batches instead of a tiny commit per message."""
REVOCATION_CHECK_S = 0.5
Code = ensign_pb2.Nack.Code

Context: TypeAlias = grpc.aio.ServicerContext[
    ensign_pb2.PublisherRequest, ensign_pb2.PublisherReply
]


@dataclass(slots=True)
class _Pending:
    local_id: bytes
    topic_id: bytes
    event: Event
    received: float


class Nacked(Exception):
    """An event refused before it reaches the store."""

    def __init__(self, code: ensign_pb2.Nack.Code, message: str) -> None:
        super().__init__(message)
        self.code = code


def nack_code(exc: BaseException) -> ensign_pb2.Nack.Code:
    """Ensign's nack code for a store error."""
    if isinstance(exc, TopicArchived):
        return Code.TOPIC_ARCHIVED
    if isinstance(exc, NotFound):
        return Code.TOPIC_UNKNOWN
    if isinstance(exc, EventTooLarge):
        return Code.MAX_EVENT_SIZE_EXCEEDED
    if isinstance(exc, StorageFull):
        return Code.INTERNAL
    if isinstance(exc, BrokerError):
        return Code.UNPROCESSED
    return Code.INTERNAL


class PublishStream:
    """One client's Publish stream."""

    def __init__(self, runtime: BrokerRuntime, caller: Caller, context: Context) -> None:
        self._rt = runtime
        self._caller = caller
        self._context = context
        self._pending: list[_Pending] = []
        self._wake = asyncio.Event()
        self._reading_done = False
        self._unacked = asyncio.Semaphore(MAX_UNACKED)
        self._commits: asyncio.Queue[
            list[tuple[asyncio.Future[PublishReceipt] | None, list[_Pending]]] | None
        ] = asyncio.Queue()
        self._commit_slots = asyncio.Semaphore(COMMITS_IN_FLIGHT)
        self._write_lock = asyncio.Lock()
        self.acks = 0
        self.nacks = 0

    async def run(
        self,
        first: ensign_pb2.PublisherRequest,
        requests: AsyncIterator[ensign_pb2.PublisherRequest],
    ) -> None:
        """Serve the stream (whose first message was ``first``) until the client closes it."""
        if first.WhichOneof("embed") != "open_stream":
            await self._context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                "a Publish stream must begin with an open_stream message",
            )
        topics = self._rt.store.topics(self._caller.project_id)
        await self._context.write(
            ensign_pb2.PublisherReply(
                ready=ensign_pb2.StreamReady(
                    client_id=first.open_stream.client_id,
                    server_id=self._rt.server_id,
                    topics={t.name: t.id for t in topics},
                )
            )
        )
        flusher = asyncio.create_task(self._flush())
        acker = asyncio.create_task(self._ack())
        try:
            # When the broker stops, reading ends but queued events are still committed and
            # acknowledged before the stream closes.
            await self._rt.until_stopping(self._read(requests))
        except BaseException:
            # Cancelled or failed: events already handed to the store still commit; the rest
            # were never acknowledged, so the client knows to send them again.
            flusher.cancel()
            acker.cancel()
            raise
        self._reading_done = True
        self._wake.set()
        await flusher
        await acker

    async def _read(self, requests: AsyncIterator[ensign_pb2.PublisherRequest]) -> None:
        checked = time.monotonic()
        async for request in requests:
            now = time.monotonic()
            if now - checked > REVOCATION_CHECK_S:
                checked = now
                try:
                    self._rt.authorizer.check_active(self._caller)
                except BrokerError as exc:
                    await abort(self._context, exc)
            kind = request.WhichOneof("embed")
            if kind != "event":
                continue  # a repeated open_stream changes nothing
            wrapper = request.event
            try:
                pending = self._check(wrapper, now)
            except Nacked as refused:
                await self._reply_nack(wrapper.local_id, refused.code, str(refused))
                continue
            await self._unacked.acquire()
            self._pending.append(pending)
            self._wake.set()

    def _check(self, wrapper: EventWrapper, now: float) -> _Pending:
        if not self._caller.can(Permission.PUBLISHER):
            raise Nacked(Code.PERMISSION_DENIED, "this API key lacks the 'publisher' permission")
        if len(wrapper.event) > MAX_EVENT_SIZE:
            raise Nacked(
                Code.MAX_EVENT_SIZE_EXCEEDED,
                f"event is {len(wrapper.event):,} bytes; the limit is {MAX_EVENT_SIZE:,} (5 MiB)",
            )
        try:
            topic = self._rt.project_topic(self._caller, wrapper.topic_id)
        except NotFound as exc:
            raise Nacked(Code.TOPIC_UNKNOWN, str(exc)) from None
        if topic.state is TopicState.ARCHIVED:
            raise Nacked(Code.TOPIC_ARCHIVED, f"topic {topic.name!r} is archived (read-only)")
        try:
            event = Event.FromString(wrapper.event)
        except DecodeError as exc:
            raise Nacked(Code.UNPROCESSED, f"malformed event: {exc}") from None
        if not event.data:
            raise Nacked(Code.UNPROCESSED, "event has no data")
        if event.mimetype not in KNOWN_MIMETYPES:
            raise Nacked(Code.UNHANDLED_MIMETYPE, f"unknown mimetype {event.mimetype}")
        return _Pending(wrapper.local_id, topic.id, event, now)

    async def _flush(self) -> None:
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
            commits = []
            for topic_id, items in by_topic.items():
                try:
                    future = self._rt.store.publish(topic_id, [i.event for i in items])
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
                raise BrokerError("the broker is shutting down; publish again")
            receipt = await future
        except Exception as exc:
            code, message = nack_code(exc), str(exc)
            for item in items:
                await self._reply_nack(item.local_id, code, message)
                self._unacked.release()
            return
        committed = timestamp(receipt.committed_ms)
        finished = time.monotonic()
        for item in items:
            self._rt.metrics.ack_latency(item.topic_id, finished - item.received)
        for item in items:
            await self._write(
                ensign_pb2.PublisherReply(ack=ensign_pb2.Ack(id=item.local_id, committed=committed))
            )
            self.acks += 1
            self._unacked.release()

    async def _reply_nack(self, local_id: bytes, code: ensign_pb2.Nack.Code, message: str) -> None:
        self.nacks += 1
        await self._write(
            ensign_pb2.PublisherReply(nack=ensign_pb2.Nack(id=local_id, code=code, error=message))
        )

    async def _write(self, reply: ensign_pb2.PublisherReply) -> None:
        async with self._write_lock:
            # If the client went away, the events it sent are still durable; it resends
            # whatever it saw no ack for.
            with contextlib.suppress(Exception):
                await self._context.write(reply)


async def serve_publish(
    runtime: BrokerRuntime,
    requests: AsyncIterator[ensign_pb2.PublisherRequest],
    context: Any,
) -> None:
    """Handle ``Ensign.Publish``."""
    # The first message is read before the token is checked: refusing a call the client is
    # still writing to makes some clients report "RPC already finished" instead of the reason.
    first = await anext(requests, None)
    caller = await runtime.authorizer.authorize(context)
    if first is not None:
        await PublishStream(runtime, caller, context).run(first, requests)
