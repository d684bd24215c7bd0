"""``Ensign.Subscribe``: the wire side of a subscription (the engine's ``Subscription``).

The first message must be a ``subscription`` (topics, an optional EnSQL query, an optional
consumer group); the broker answers ``ready`` with the project's topic map, then one ``event``
per delivered event. The subscriber's ``ack`` and ``nack`` messages settle group deliveries.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from embedded_broker.api.access import authorize
from embedded_broker.api.convert import event_wrapper
from embedded_broker.api.errors import abort
from embedded_broker.api.query_params import query_params
from embedded_broker.core.errors import BrokerError, InvalidArgument
from embedded_broker.core.model import EventRecord
from embedded_broker.engine.broker import Broker
from embedded_broker.engine.subscriptions import GroupSpec, Subscription, SubscriptionRequest
from embedded_broker.proto.ensign.v1beta1 import ensign_pb2
from embedded_broker.proto.ensign.v1beta1.event_pb2 import Event


def subscription_request(message: ensign_pb2.Subscription) -> SubscriptionRequest:
    """Ensign's ``Subscription`` message as the engine's plain request."""
    query = message.query if message.HasField("query") else None
    group = None
    if message.HasField("group"):
        spec = message.group
        timeout = spec.delivery_timeout.ToTimedelta().total_seconds() or None
        group = GroupSpec(spec.name, spec.id, timeout)
    return SubscriptionRequest(
        topics=list(message.topics),
        query=query.query if query is not None else "",
        params=query_params(query) if query is not None else {},
        include_duplicates=bool(query is not None and query.include_duplicates),
        group=group,
    )


async def _settlements(
    requests: AsyncIterator[ensign_pb2.SubscribeRequest],
) -> AsyncIterator[tuple[bytes, bool]]:
    async for request in requests:
        kind = request.WhichOneof("embed")
        if kind == "ack":
            yield request.ack.id, True
        elif kind == "nack":
            yield request.nack.id, False


async def serve_subscribe(
    broker: Broker,
    requests: AsyncIterator[ensign_pb2.SubscribeRequest],
    context: Any,
) -> None:
    """Handle ``Ensign.Subscribe``: check the subscription, answer ready, then deliver."""
    first = await anext(requests, None)  # before refusing: see serve_publish
    caller = await authorize(broker.authorizer, context)
    if first is None:
        return
    try:
        if first.WhichOneof("embed") != "subscription":
            raise InvalidArgument("a Subscribe stream must begin with a subscription message")
        subscription = await Subscription.open(
            broker, caller, subscription_request(first.subscription)
        )
    except BrokerError as exc:
        await abort(context, exc)

    async def deliver(record: EventRecord, event: Event | None) -> None:
        await context.write(ensign_pb2.SubscribeReply(event=event_wrapper(record, event)))

    try:
        await context.write(
            ensign_pb2.SubscribeReply(
                ready=ensign_pb2.StreamReady(
                    client_id=first.subscription.client_id,
                    server_id=broker.server_id,
                    topics={t.name: t.id for t in broker.store.topics(caller.project_id)},
                )
            )
        )
        await subscription.run(deliver, _settlements(requests))
    except BrokerError as exc:  # a topic destroyed, the key revoked
        await abort(context, exc)
    finally:
        subscription.close()
