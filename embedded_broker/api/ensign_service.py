"""``ensign.v1beta1.Ensign``: the service unmodified Ensign clients (pyensign) talk to."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any, TypeAlias

import grpc
from google.protobuf.duration_pb2 import Duration

from embedded_broker.api.convert import (
    dedup_policy,
    event_wrapper,
    topic_info,
    topic_message,
    topic_state,
)
from embedded_broker.api.errors import abort, reports_errors
from embedded_broker.api.publish_stream import serve_publish
from embedded_broker.api.query_params import query_params
from embedded_broker.api.runtime import BrokerRuntime
from embedded_broker.api.subscribe_stream import serve_subscribe
from embedded_broker.auth.permissions import Permission
from embedded_broker.core.dedup import DedupStrategy
from embedded_broker.core.ensql import parse_query
from embedded_broker.core.errors import BrokerError, InvalidArgument, NotFound
from embedded_broker.core.ids import ulid_str
from embedded_broker.core.model import Topic, TopicState
from embedded_broker.proto.ensign.v1beta1 import ensign_pb2, ensign_pb2_grpc, query_pb2, topic_pb2
from embedded_broker.proto.ensign.v1beta1.event_pb2 import EventWrapper

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
QUERY_PAGE = 500

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]


class EnsignService(ensign_pb2_grpc.EnsignServicer):
    """Every RPC of Ensign's public API, scoped to the caller's project."""

    def __init__(self, runtime: BrokerRuntime) -> None:
        self._rt = runtime

    # -- streams ----------------------------------------------------------------------------

    async def Publish(
        self, request_iterator: AsyncIterator[ensign_pb2.PublisherRequest], context: Context
    ) -> None:
        await serve_publish(self._rt, request_iterator, context)

    async def Subscribe(
        self, request_iterator: AsyncIterator[ensign_pb2.SubscribeRequest], context: Context
    ) -> None:
        await serve_subscribe(self._rt, request_iterator, context)

    async def EnSQL(
        self, request: query_pb2.Query, context: Context
    ) -> AsyncIterator[EventWrapper]:
        caller = await self._rt.authorizer.authorize(context, Permission.SUBSCRIBER)
        try:
            query = parse_query(request.query, query_params(request))
            topic = self._rt.project_topic(caller, query.topic)
        except BrokerError as exc:
            await abort(context, exc)
        skip, left = query.offset, query.limit
        start, end = 1, topic.stats.events  # a snapshot: events published later are not rows
        while start <= end and (left is None or left > 0):
            records = await self._rt.read(
                self._rt.store.read, topic.id, start, min(QUERY_PAGE, end - start + 1)
            )
            if not records:
                break
            start = records[-1].offset + 1
            for record in records:
                if record.is_duplicate and not request.include_duplicates:
                    continue
                if not query.matches(record):
                    continue
                if skip:
                    skip -= 1
                    continue
                yield event_wrapper(record, None if query.selects_all else query.project(record))
                if left is not None:
                    left -= 1
                    if left == 0:
                        break

    # -- queries ------------------------------------------------------------------------------

    @reports_errors
    async def Explain(
        self, request: query_pb2.Query, context: Context
    ) -> query_pb2.QueryExplanation:
        caller = await self._rt.authorizer.authorize(context, Permission.SUBSCRIBER)
        query = parse_query(request.query, query_params(request))
        self._rt.project_topic(caller, query.topic)
        return query_pb2.QueryExplanation()

    # -- topics -----------------------------------------------------------------------------

    @reports_errors
    async def ListTopics(
        self, request: ensign_pb2.PageInfo, context: Context
    ) -> topic_pb2.TopicsPage:
        caller = await self._rt.authorizer.authorize(context, Permission.TOPICS_READ)
        topics = self._rt.store.topics(caller.project_id)
        page, token = _page(topics, request)
        return topic_pb2.TopicsPage(topics=[topic_message(t) for t in page], next_page_token=token)

    @reports_errors
    async def TopicNames(
        self, request: ensign_pb2.PageInfo, context: Context
    ) -> topic_pb2.TopicNamesPage:
        caller = await self._rt.authorizer.authorize(context, Permission.TOPICS_READ)
        page, token = _page(self._rt.store.topics(caller.project_id), request)
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
        caller = await self._rt.authorizer.authorize(context, Permission.TOPICS_CREATE)
        if request.project_id and request.project_id != caller.project_id:
            caller.require_project(request.project_id)
        policy = (
            dedup_policy(request.deduplication)
            if request.HasField("deduplication") and request.deduplication.strategy
            else None
        )
        topic: Topic = await self._rt.change(
            self._rt.store.create_topic, caller.project_id, request.name, policy
        )
        return topic_message(topic)

    @reports_errors
    async def RetrieveTopic(self, request: topic_pb2.Topic, context: Context) -> topic_pb2.Topic:
        caller = await self._rt.authorizer.authorize(context, Permission.TOPICS_READ)
        ref: bytes | str = request.id if request.id else request.name
        return topic_message(self._rt.project_topic(caller, ref))

    @reports_errors
    async def DeleteTopic(
        self, request: topic_pb2.TopicMod, context: Context
    ) -> topic_pb2.TopicStatus:
        Operation = topic_pb2.TopicMod.Operation
        needs = {
            Operation.ARCHIVE: Permission.TOPICS_EDIT,
            Operation.DESTROY: Permission.TOPICS_DESTROY,
        }
        if request.operation not in needs:
            raise InvalidArgument("DeleteTopic needs operation ARCHIVE or DESTROY")
        caller = await self._rt.authorizer.authorize(context, needs[request.operation])
        topic = self._rt.project_topic(caller, request.id)
        if request.operation == Operation.ARCHIVE:
            archived: Topic = await self._rt.change(self._rt.store.archive_topic, topic.id)
            return topic_pb2.TopicStatus(id=topic.id_str, state=topic_state(archived))
        await self._rt.change(self._rt.store.destroy_topic, topic.id)
        self._rt.groups.forget_topic(topic.id)
        return topic_pb2.TopicStatus(id=topic.id_str, state=topic_pb2.DELETING)

    @reports_errors
    async def TopicExists(
        self, request: topic_pb2.TopicName, context: Context
    ) -> topic_pb2.TopicExistsInfo:
        caller = await self._rt.authorizer.authorize(context, Permission.TOPICS_READ)
        parts = []
        for field, value in (
            ("project_id", request.project_id),
            ("topic_id", request.topic_id),
            ("name", request.name),
        ):
            if value:
                parts.append(f"{field}={value!r}")
        if not (request.topic_id or request.name):
            raise InvalidArgument("TopicExists needs a topic name or id")
        exists = not request.project_id or request.project_id == ulid_str(caller.project_id)
        for ref in (request.topic_id, request.name):
            if exists and ref:
                try:
                    topic = self._rt.project_topic(caller, ref)
                except NotFound:
                    exists = False
                else:
                    exists = not request.name or topic.name == request.name
        return topic_pb2.TopicExistsInfo(query=" AND ".join(parts), exists=exists)

    @reports_errors
    async def SetTopicPolicy(
        self, request: topic_pb2.TopicPolicy, context: Context
    ) -> topic_pb2.TopicStatus:
        caller = await self._rt.authorizer.authorize(context, Permission.TOPICS_EDIT)
        topic = self._rt.project_topic(caller, request.id)
        if request.sharding_strategy not in (
            topic_pb2.UNKNOWN,
            topic_pb2.NO_SHARDING,
        ):
            raise InvalidArgument("this broker keeps each topic in one shard: use NO_SHARDING")
        if request.HasField("deduplication_policy") and request.deduplication_policy.strategy:
            policy = dedup_policy(request.deduplication_policy)
            if policy.strategy is not DedupStrategy.NONE or topic.dedup.enabled:
                topic = await self._rt.change(self._rt.store.set_dedup_policy, topic.id, policy)
        return topic_pb2.TopicStatus(id=topic.id_str, state=topic_state(topic))

    # -- project and server -------------------------------------------------------------------

    @reports_errors
    async def Info(
        self, request: ensign_pb2.InfoRequest, context: Context
    ) -> ensign_pb2.ProjectInfo:
        caller = await self._rt.authorizer.authorize(
            context, Permission.TOPICS_READ, Permission.METRICS_READ
        )
        topics = self._rt.store.topics(caller.project_id)
        if request.topics:
            wanted = set(request.topics)
            topics = [t for t in topics if t.id in wanted]
        return ensign_pb2.ProjectInfo(
            project_id=caller.project_id,
            num_topics=len(topics),
            num_readonly_topics=sum(t.state is TopicState.ARCHIVED for t in topics),
            events=sum(t.stats.events for t in topics),
            duplicates=sum(t.stats.duplicates for t in topics),
            data_size_bytes=sum(t.stats.bytes for t in topics),
            topics=[topic_info(t) for t in topics],
        )

    async def Status(
        self, request: ensign_pb2.HealthCheck, context: Context
    ) -> ensign_pb2.ServiceState:
        uptime = Duration()
        uptime.FromMilliseconds(int(self._rt.uptime_s * 1000))
        return ensign_pb2.ServiceState(
            status=ensign_pb2.ServiceState.HEALTHY, version=self._rt.version, uptime=uptime
        )


def _page(topics: list[Topic], request: ensign_pb2.PageInfo) -> tuple[list[Topic], str]:
    """One page of topics (by name) and the token of the next page ("" after the last)."""
    size = min(request.page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    start = 0
    if request.next_page_token:
        try:
            start = int(base64.urlsafe_b64decode(request.next_page_token.encode()))
        except ValueError:
            raise InvalidArgument("the page token is not one this broker gave out") from None
    page = topics[start : start + size]
    more = start + size < len(topics)
    token = base64.urlsafe_b64encode(str(start + size).encode()).decode() if more else ""
    return page, token
