"""The broker's own admin service (``ensign_workbench.admin.v1.BrokerAdmin``)."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from typing import Any, TypeAlias

import grpc

from embedded_broker.api.access import Caller
from embedded_broker.api.convert import (
    event_wrapper,
    key_message,
    project_message,
    timestamp,
    topic_details,
)
from embedded_broker.api.errors import reports_errors
from embedded_broker.api.runtime import BrokerRuntime
from embedded_broker.auth.api_keys import ApiKey
from embedded_broker.auth.permissions import Permission, parse_permissions
from embedded_broker.core.errors import InvalidArgument
from embedded_broker.core.metrics import Sample
from embedded_broker.core.model import EventRecord, Project, PublishReceipt, Topic
from embedded_broker.proto.admin.v1 import admin_pb2, admin_pb2_grpc

MAX_READ = 1000
DEFAULT_READ = 100
MAX_HISTORY_S = 3600

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]


class AdminService(admin_pb2_grpc.BrokerAdminServicer):
    """Keys, projects, batched publish, paged reads and metrics, guarded by the same tokens."""

    def __init__(self, runtime: BrokerRuntime) -> None:
        self._rt = runtime

    def _project_of(self, caller: Caller, project_id: bytes) -> bytes:
        if project_id:
            caller.require_project(project_id)
            return project_id
        return caller.project_id

    def _topic(self, caller: Caller, topic_id: bytes) -> Topic:
        topic = self._rt.store.topic(topic_id)
        caller.require_project(topic.project_id)
        return topic

    @reports_errors
    async def BrokerInfo(
        self, request: admin_pb2.BrokerInfoRequest, context: Context
    ) -> admin_pb2.BrokerInfoReply:
        await self._rt.authorizer.authorize(context)
        ends = self._rt.endpoints
        return admin_pb2.BrokerInfoReply(
            version=self._rt.version,
            uptime_seconds=self._rt.uptime_s,
            data_dir=str(self._rt.data_dir),
            grpc_address=ends.grpc_address,
            auth_url=ends.auth_url,
            tls=ends.tls,
            tls_fingerprint_sha256=ends.tls_fingerprint,
            pid=os.getpid(),
        )

    @reports_errors
    async def ListProjects(
        self, request: admin_pb2.ListProjectsRequest, context: Context
    ) -> admin_pb2.ListProjectsReply:
        caller = await self._rt.authorizer.authorize(context)
        projects: list[Project] = await self._rt.change(self._rt.projects.list)
        if Permission.BROKER_ADMIN not in caller.permissions:
            projects = [p for p in projects if p.id == caller.project_id]
        return admin_pb2.ListProjectsReply(projects=[project_message(p) for p in projects])

    @reports_errors
    async def CreateProject(
        self, request: admin_pb2.CreateProjectRequest, context: Context
    ) -> admin_pb2.Project:
        await self._rt.authorizer.authorize(context, Permission.BROKER_ADMIN)
        make = self._rt.projects.ensure if request.ensure else self._rt.projects.create
        project: Project = await self._rt.change(make, request.name)
        return project_message(project)

    @reports_errors
    async def CreateKey(
        self, request: admin_pb2.CreateKeyRequest, context: Context
    ) -> admin_pb2.CreatedKey:
        caller = await self._rt.authorizer.authorize(context, Permission.BROKER_ADMIN)
        project_id = self._project_of(caller, request.project_id)
        await self._rt.change(self._rt.projects.get, project_id)
        permissions = parse_permissions(request.permissions)
        created: tuple[ApiKey, str] = await self._rt.change(
            self._rt.keys.create, project_id, permissions, request.name
        )
        key, secret = created
        return admin_pb2.CreatedKey(key=key_message(key), client_secret=secret)

    @reports_errors
    async def ListKeys(
        self, request: admin_pb2.ListKeysRequest, context: Context
    ) -> admin_pb2.ListKeysReply:
        caller = await self._rt.authorizer.authorize(context, Permission.BROKER_ADMIN)
        project_id = self._project_of(caller, request.project_id)
        keys: list[ApiKey] = await self._rt.change(self._rt.keys.list, project_id)
        return admin_pb2.ListKeysReply(keys=[key_message(k) for k in keys])

    @reports_errors
    async def RevokeKey(
        self, request: admin_pb2.RevokeKeyRequest, context: Context
    ) -> admin_pb2.ApiKey:
        caller = await self._rt.authorizer.authorize(context, Permission.BROKER_ADMIN)
        key: ApiKey = await self._rt.change(self._rt.keys.by_client_id, request.client_id)
        caller.require_project(key.project_id)
        if key.id == caller.key_id:
            raise InvalidArgument("a key cannot revoke itself; use another admin key")
        revoked: ApiKey = await self._rt.change(self._rt.keys.revoke, request.client_id)
        return key_message(revoked)

    @reports_errors
    async def ListTopics(
        self, request: admin_pb2.ListTopicsRequest, context: Context
    ) -> admin_pb2.ListTopicsReply:
        caller = await self._rt.authorizer.authorize(context, Permission.TOPICS_READ)
        if request.all_projects:
            caller.require(Permission.BROKER_ADMIN)
            topics = self._rt.store.topics()
        else:
            topics = self._rt.store.topics(self._project_of(caller, request.project_id))
        projects: list[Project] = await self._rt.change(self._rt.projects.list)
        names = {p.id: p.name for p in projects}
        return admin_pb2.ListTopicsReply(
            topics=[topic_details(t, names.get(t.project_id, "")) for t in topics]
        )

    @reports_errors
    async def PublishBatch(
        self, request: admin_pb2.PublishBatchRequest, context: Context
    ) -> admin_pb2.PublishBatchReply:
        caller = await self._rt.authorizer.authorize(context, Permission.PUBLISHER)
        topic = self._topic(caller, request.topic_id)
        if not request.events:
            raise InvalidArgument("a batch needs at least one event")
        if any(not event.data for event in request.events):
            raise InvalidArgument("every event needs data")
        received = time.monotonic()
        receipt: PublishReceipt = await asyncio.wrap_future(
            self._rt.store.publish(topic.id, request.events)
        )
        self._rt.metrics.ack_latency(topic.id, time.monotonic() - received)
        return admin_pb2.PublishBatchReply(
            first_offset=receipt.first_offset,
            count=len(receipt.ids),
            committed=timestamp(receipt.committed_ms),
            duplicates=len(receipt.duplicates),
        )

    @reports_errors
    async def ReadEvents(
        self, request: admin_pb2.ReadEventsRequest, context: Context
    ) -> admin_pb2.ReadEventsReply:
        caller = await self._rt.authorizer.authorize(
            context, Permission.SUBSCRIBER, Permission.TOPICS_READ
        )
        topic = self._topic(caller, request.topic_id)
        limit = min(request.limit or DEFAULT_READ, MAX_READ)
        last = topic.stats.events
        start_kind = request.WhichOneof("start")
        if start_kind == "after":
            found: int | None = await self._rt.read(
                self._rt.store.offset_at, topic.id, request.after.ToMilliseconds()
            )
            start = found if found is not None else last + 1
        elif start_kind == "from_end":
            start = max(1, last - limit + 1)
        else:
            start = max(1, request.offset)
        records: list[EventRecord] = []
        if start <= last:
            records = await self._rt.read(self._rt.store.read, topic.id, start, limit)
        return admin_pb2.ReadEventsReply(
            events=[event_wrapper(r) for r in records],
            next_offset=records[-1].offset + 1 if records else start,
            last_offset=last,
        )

    async def StreamMetrics(
        self, request: admin_pb2.MetricsRequest, context: Context
    ) -> AsyncIterator[admin_pb2.MetricsSample]:
        caller = await self._rt.authorizer.authorize(context, Permission.METRICS_READ)
        if request.all_projects and Permission.BROKER_ADMIN not in caller.permissions:
            await context.abort(
                grpc.StatusCode.PERMISSION_DENIED, "all_projects needs the broker:admin permission"
            )
        project = None if request.all_projects else caller.project_id
        history = min(request.history_seconds, MAX_HISTORY_S)
        for sample in self._rt.metrics.history(history):
            yield self._sample(sample, project, history=True)
        queue = self._rt.metrics_listeners.add()
        try:
            while (live := await queue.get()) is not None:
                yield self._sample(live, project, history=False)
        finally:
            self._rt.metrics_listeners.remove(queue)

    def _sample(
        self, sample: Sample, project: bytes | None, history: bool
    ) -> admin_pb2.MetricsSample:
        topics = []
        for rate in sample.topics:
            try:
                topic = self._rt.store.topic(rate.topic_id)
            except Exception:  # destroyed since
                continue
            if project is not None and topic.project_id != project:
                continue
            topics.append(
                admin_pb2.TopicRate(
                    topic_id=topic.id,
                    name=topic.name,
                    project_id=topic.project_id,
                    events=rate.events,
                    data_size_bytes=rate.bytes,
                    events_per_second=rate.events_per_second,
                    bytes_per_second=rate.bytes_per_second,
                    ack_latency_p50_ms=rate.ack_latency_p50_ms,
                    ack_latency_p99_ms=rate.ack_latency_p99_ms,
                    lags=[admin_pb2.GroupLag(group=g, lag=n) for g, n in sorted(rate.lags.items())],
                    subscribers=rate.subscribers,
                )
            )
        return admin_pb2.MetricsSample(at=timestamp(sample.at_ms), topics=topics, history=history)
