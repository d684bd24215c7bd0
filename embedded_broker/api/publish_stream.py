"""``Ensign.Publish``: the wire side of a publish stream (the engine's ``PublishPipeline``).

The first message must be ``open_stream``; the broker answers ``ready`` with the project's topic
map, then one ``ack`` (with the commit time) or ``nack`` (with Ensign's code and a reason) per
event, matched by the publisher's ``local_id``. A refused event never ends the stream.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import Any, TypeAlias

import grpc

from embedded_broker.api.access import authorize
from embedded_broker.api.convert import timestamp
from embedded_broker.api.errors import abort, nack_code
from embedded_broker.core.errors import BrokerError
from embedded_broker.engine.broker import Broker
from embedded_broker.engine.publishing import PublishPipeline
from embedded_broker.proto.ensign.v1beta1 import ensign_pb2
from embedded_broker.proto.ensign.v1beta1.event_pb2 import EventWrapper

Context: TypeAlias = grpc.aio.ServicerContext[
    ensign_pb2.PublisherRequest, ensign_pb2.PublisherReply
]


def ack_replies(local_ids: Sequence[bytes], committed_ms: int) -> list[bytes]:
    """Encoded ``PublisherReply{ack: Ack{id, committed}}`` messages, one per local id.

    An ack is the message the broker sends most (one per published event), so it is encoded
    here from a per-commit part instead of building three protobuf objects per event. The layout
    is protobuf's: ``PublisherReply.ack`` is field 1, ``Ack.id`` field 1 and ``Ack.committed``
    field 2, each length-delimited (wire type 2: tag bytes 0x0A and 0x12).
    """
    committed = _field(0x12, timestamp(committed_ms).SerializeToString())
    return [_field(0x0A, _field(0x0A, local_id) + committed) for local_id in local_ids]


def _field(tag: int, payload: bytes) -> bytes:
    """One length-delimited protobuf field: its tag byte, a varint length, the payload."""
    size = len(payload)
    if size < 0x80:
        return bytes((tag, size)) + payload
    length = bytearray()
    while size >= 0x80:
        length.append((size & 0x7F) | 0x80)
        size >>= 7
    length.append(size)
    return bytes((tag,)) + bytes(length) + payload


def reply_bytes(reply: bytes | ensign_pb2.PublisherReply) -> bytes:
    """The Publish method's response serializer: acks arrive encoded already."""
    return reply if isinstance(reply, bytes) else reply.SerializeToString()


class _Replies:
    """Writes the pipeline's acks and nacks to the stream, one message each, in order."""

    def __init__(self, context: Context) -> None:
        self._context = context
        self._lock = asyncio.Lock()

    async def acked(self, local_ids: Sequence[bytes], committed_ms: int) -> None:
        await self._write(ack_replies(local_ids, committed_ms))

    async def nacked(self, local_id: bytes, error: Exception) -> None:
        nack = ensign_pb2.Nack(id=local_id, code=nack_code(error), error=str(error))
        await self._write([ensign_pb2.PublisherReply(nack=nack)])

    async def _write(self, replies: Sequence[bytes | ensign_pb2.PublisherReply]) -> None:
        async with self._lock:
            # If the publisher went away, its events are still durable; it sends again whatever
            # it saw no ack for.
            with contextlib.suppress(Exception):
                for reply in replies:
                    await self._context.write(reply)


async def _events(
    requests: AsyncIterator[ensign_pb2.PublisherRequest],
) -> AsyncIterator[EventWrapper]:
    async for request in requests:
        if request.WhichOneof("embed") == "event":
            yield request.event
        # a repeated open_stream changes nothing


async def serve_publish(
    broker: Broker,
    requests: AsyncIterator[ensign_pb2.PublisherRequest],
    context: Any,
) -> None:
    """Handle ``Ensign.Publish``."""
    # The first message is read before the token is checked: refusing a call the client is
    # still writing to makes some clients report "RPC already finished" instead of the reason.
    first = await anext(requests, None)
    caller = await authorize(broker.authorizer, context)
    if first is None:
        return
    if first.WhichOneof("embed") != "open_stream":
        await context.abort(
            grpc.StatusCode.INVALID_ARGUMENT,
            "a Publish stream must begin with an open_stream message",
        )
    topics = broker.store.topics(caller.project_id)
    await context.write(
        ensign_pb2.PublisherReply(
            ready=ensign_pb2.StreamReady(
                client_id=first.open_stream.client_id,
                server_id=broker.server_id,
                topics={t.name: t.id for t in topics},
            )
        )
    )
    try:
        await PublishPipeline(broker, caller, _Replies(context)).run(_events(requests))
    except BrokerError as exc:  # the key was revoked
        await abort(context, exc)
