"""``ensign.v1beta1.Ensign``: the service unmodified Ensign clients (pyensign) talk to."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, TypeAlias

import grpc
from google.protobuf.duration_pb2 import Duration

from embedded_broker.api.access import authorize
from embedded_broker.api.convert import (
    dedup_policy,
    event_wrapper,
    topic_info,
    topic_message,
    topic_state,
)
from embedded_broker.api.errors import abort, reports_errors
from embedded_broker.api.method_handlers import add_service
from embedded_broker.api.publish_stream import reply_bytes, serve_publish
from embedded_broker.api.query_params import query_params
from embedded_broker.api.subscribe_stream import serve_subscribe
from embedded_broker.auth.caller import Caller
from embedded_broker.core.errors import BrokerError, InvalidArgument
from embedded_broker.core.ids import ulid_str
from embedded_broker.core.model import Topic, TopicState
from embedded_broker.core.topic_paging import page_after
from embedded_broker.engine import topics
from embedded_broker.engine.broker import Broker
from embedded_broker.engine.queries import prepare_query, run_query
from embedded_broker.proto.ensign.v1beta1 import ensign_pb2, ensign_pb2_grpc, query_pb2, topic_pb2
from embedded_broker.proto.ensign.v1beta1.event_pb2 import EventWrapper

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]


class EnsignService(ensign_pb2_grpc.EnsignServicer):
    """Every RPC of Ensign's public API, scoped to the caller's project: protobuf in, an engine
    call, protobuf out."""

    def __init__(self, broker: Broker) -> None:
        self._broker = broker

    async def _caller(self, context: Context) -> Caller:
        return await authorize(self._broker.authorizer, context)

    # -- streams ----------------------------------------------------------------------------

    async def Publish(
        self, request_iterator: AsyncIterator[ensign_pb2.PublisherRequest], context: Context
    ) -> None:
        await serve_publish(self._broker, request_iterator, context)

    async def Subscribe(
        self, request_iterator: AsyncIterator[ensign_pb2.SubscribeRequest], context: Context
    ) -> None:
        await serve_subscribe(self._broker, request_iterator, context)

    async def EnSQL(
        self, request: query_pb2.Query, context: Context
    ) -> AsyncIterator[EventWrapper]:
        caller = await self._caller(context)
        try:
            query, topic = prepare_query(self._broker, caller, request.query, query_params(request))
            rows = run_query(self._broker, query, topic, request.include_duplicates)
            async for record, projected in rows:
                yield event_wrapper(record, projected)
        except BrokerError as exc:  # before the first row or after some: a projection too
            await abort(context, exc)  # large, a damaged block

    # -- queries ------------------------------------------------------------------------------

    @reports_errors
    async def Explain(
        self, request: query_pb2.Query, context: Context
    ) -> query_pb2.QueryExplanation:
        caller = await self._caller(context)
        prepare_query(self._broker, caller, request.query, query_params(request))
        return query_pb2.QueryExplanation()

    # -- topics -----------------------------------------------------------------------------

    @reports_errors
    async def ListTopics(
        self, request: ensign_pb2.PageInfo, context: Context
    ) -> topic_pb2.TopicsPage:
        caller = await self._caller(context)
        page, token = _page(topics.list_topics(self._broker, caller), request)
        return topic_pb2.TopicsPage(topics=[topic_message(t) for t in page], next_page_token=token)

    @reports_errors
    async def TopicNames(
        self, request: ensign_pb2.PageInfo, context: Context
    ) -> topic_pb2.TopicNamesPage:
        caller = await self._caller(context)
        page, token = _page(topics.list_topics(self._broker, caller), request)
        return topic_pb2.TopicNamesPage(
            topic_names=[
                topic_pb2.TopicName(
                    topic_id=t.id_str, project_id=ulid_str(t.project_id), name=t.name
                )
                for t in page
            ],
            next_page_token=token,
        )

    @reports_errors
    async def CreateTopic(self, request: topic_pb2.Topic, context: Context) -> topic_pb2.Topic:
        caller = await self._caller(context)
        policy = (
            dedup_policy(request.deduplication)
            if request.HasField("deduplication") and request.deduplication.strategy
            else None
        )
        topic = await topics.create_topic(
            self._broker, caller, request.name, policy, request.project_id
        )
        return topic_message(topic)

    @reports_errors
    async def RetrieveTopic(self, request: topic_pb2.Topic, context: Context) -> topic_pb2.Topic:
        caller = await self._caller(context)
        ref: bytes | str = request.id if request.id else request.name
        return topic_message(topics.find_topic(self._broker, caller, ref))

    @reports_errors
    async def DeleteTopic(
        self, request: topic_pb2.TopicMod, context: Context
    ) -> topic_pb2.TopicStatus:
        caller = await self._caller(context)
        Operation = topic_pb2.TopicMod.Operation
        if request.operation == Operation.ARCHIVE:
            archived = await topics.archive_topic(self._broker, caller, request.id)
            return topic_pb2.TopicStatus(id=archived.id_str, state=topic_state(archived))
        if request.operation == Operation.DESTROY:
            destroyed = await topics.destroy_topic(self._broker, caller, request.id)
            return topic_pb2.TopicStatus(id=destroyed.id_str, state=topic_pb2.DELETING)
        raise InvalidArgument("DeleteTopic needs operation ARCHIVE or DESTROY")

    @reports_errors
    async def TopicExists(
        self, request: topic_pb2.TopicName, context: Context
    ) -> topic_pb2.TopicExistsInfo:
        caller = await self._caller(context)
        parts = [
            f"{field}={value!r}"
            for field, value in (
                ("project_id", request.project_id),
                ("topic_id", request.topic_id),
                ("name", request.name),
            )
            if value
        ]
        exists = topics.topic_exists(
            self._broker, caller, request.project_id, request.topic_id, request.name
        )
        return topic_pb2.TopicExistsInfo(query=" AND ".join(parts), exists=exists)

    @reports_errors
    async def SetTopicPolicy(
        self, request: topic_pb2.TopicPolicy, context: Context
    ) -> topic_pb2.TopicStatus:
        caller = await self._caller(context)
        policy = None
        if request.HasField("deduplication_policy") and request.deduplication_policy.strategy:
            policy = dedup_policy(request.deduplication_policy)
        sharded = request.sharding_strategy not in (topic_pb2.UNKNOWN, topic_pb2.NO_SHARDING)
        topic = await topics.set_topic_policy(self._broker, caller, request.id, policy, sharded)
        return topic_pb2.TopicStatus(id=topic.id_str, state=topic_state(topic))

    # -- project and server -------------------------------------------------------------------

    @reports_errors
    async def Info(
        self, request: ensign_pb2.InfoRequest, context: Context
    ) -> ensign_pb2.ProjectInfo:
        caller = await self._caller(context)
        found = topics.project_topics(self._broker, caller, request.topics)
        return ensign_pb2.ProjectInfo(
            project_id=caller.project_id,
            num_topics=len(found),
            num_readonly_topics=sum(t.state is TopicState.ARCHIVED for t in found),
            events=sum(t.stats.events for t in found),
            duplicates=sum(t.stats.duplicates for t in found),
            data_size_bytes=sum(t.stats.bytes for t in found),
            topics=[topic_info(t) for t in found],
        )

    async def Status(
        self, request: ensign_pb2.HealthCheck, context: Context
    ) -> ensign_pb2.ServiceState:
        uptime = Duration()
        uptime.FromMilliseconds(int(self._broker.uptime_s * 1000))
        return ensign_pb2.ServiceState(
            status=ensign_pb2.ServiceState.HEALTHY, version=self._broker.version, uptime=uptime
        )


def add_ensign_service(service: EnsignService, server: grpc.aio.Server) -> None:
    """Serve ``service`` on ``server`` as the generated code would, except that ``Publish``
    replies may be written already encoded (its acks are: see ``publish_stream.ack_replies``)."""
    publish = grpc.stream_stream_rpc_method_handler(
        service.Publish,
        request_deserializer=ensign_pb2.PublisherRequest.FromString,
        response_serializer=reply_bytes,
    )
    add_service(ensign_pb2_grpc.add_EnsignServicer_to_server, service, server, {"Publish": publish})


def _page(topics: list[Topic], request: ensign_pb2.PageInfo) -> tuple[list[Topic], str]:
    """One page of topics (by name) and the token of the next page ("" after the last)."""
    size = min(request.page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    return page_after(topics, size, request.next_page_token)
