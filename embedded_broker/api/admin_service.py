"""The broker's own admin service (``ensign_workbench.admin.v1.BrokerAdmin``)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any, TypeAlias

import grpc
from google.protobuf.message import DecodeError

from embedded_broker.api.access import authorize
from embedded_broker.api.convert import (
    event_wrapper,
    key_message,
    project_message,
    timestamp,
    topic_details,
)
from embedded_broker.api.errors import abort, nack_code, reports_errors
from embedded_broker.api.method_handlers import add_service
from embedded_broker.auth.caller import Caller
from embedded_broker.core.errors import BrokerError
from embedded_broker.core.timestamps import timestamp_ms
from embedded_broker.engine import accounts, topics
from embedded_broker.engine.broker import Broker
from embedded_broker.engine.metrics import ProjectSample, stream_samples
from embedded_broker.engine.publishing import publish_batch
from embedded_broker.engine.reads import ReadFrom, read_page
from embedded_broker.proto.admin.v1 import admin_pb2, admin_pb2_grpc
from embedded_broker.proto.ensign.v1beta1.ensign_pb2 import Nack

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]

NACK_CODE_KEY = "ensign-nack-code"
"""Trailing metadata of a refused ``PublishBatch``: the Ensign ``Nack`` code of the refusal."""


class AdminService(admin_pb2_grpc.BrokerAdminServicer):
    """Keys, projects, batched publish, paged reads and metrics, guarded by the same tokens:
    protobuf in, an engine call, protobuf out."""

    def __init__(self, broker: Broker) -> None:
        self._broker = broker

    async def _caller(self, context: Context) -> Caller:
        return await authorize(self._broker.authorizer, context)

    @reports_errors
    async def BrokerInfo(
        self, request: admin_pb2.BrokerInfoRequest, context: Context
    ) -> admin_pb2.BrokerInfoReply:
        await self._caller(context)
        broker = self._broker
        ends = broker.endpoints
        return admin_pb2.BrokerInfoReply(
            version=broker.version,
            uptime_seconds=broker.uptime_s,
            data_dir=str(broker.data_dir),
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
        caller = await self._caller(context)
        projects = await accounts.list_projects(self._broker, caller)
        return admin_pb2.ListProjectsReply(projects=[project_message(p) for p in projects])

    @reports_errors
    async def CreateProject(
        self, request: admin_pb2.CreateProjectRequest, context: Context
    ) -> admin_pb2.Project:
        caller = await self._caller(context)
        project = await accounts.create_project(self._broker, caller, request.name, request.ensure)
        return project_message(project)

    @reports_errors
    async def CreateKey(
        self, request: admin_pb2.CreateKeyRequest, context: Context
    ) -> admin_pb2.CreatedKey:
        caller = await self._caller(context)
        key, secret = await accounts.create_key(
            self._broker, caller, request.project_id, request.permissions, request.name
        )
        return admin_pb2.CreatedKey(key=key_message(key), client_secret=secret)

    @reports_errors
    async def ListKeys(
        self, request: admin_pb2.ListKeysRequest, context: Context
    ) -> admin_pb2.ListKeysReply:
        caller = await self._caller(context)
        keys = await accounts.list_keys(self._broker, caller, request.project_id)
        return admin_pb2.ListKeysReply(keys=[key_message(k) for k in keys])

    @reports_errors
    async def RevokeKey(
        self, request: admin_pb2.RevokeKeyRequest, context: Context
    ) -> admin_pb2.ApiKey:
        caller = await self._caller(context)
        return key_message(await accounts.revoke_key(self._broker, caller, request.client_id))

    @reports_errors
    async def ListTopics(
        self, request: admin_pb2.ListTopicsRequest, context: Context
    ) -> admin_pb2.ListTopicsReply:
        caller = await self._caller(context)
        found = topics.list_topics(self._broker, caller, request.project_id, request.all_projects)
        names = await topics.project_names(self._broker)
        return admin_pb2.ListTopicsReply(
            topics=[topic_details(t, names.get(t.project_id, "")) for t in found]
        )

    @reports_errors
    async def PublishBatch(
        self, request: BatchRequest, context: Context
    ) -> admin_pb2.PublishBatchReply:
        caller = await self._caller(context)
        encoded, decoded = request
        try:
            receipt = await publish_batch(
                self._broker,
                caller,
                encoded.topic_id,
                encoded.events,
                None if decoded is None else decoded.events,
            )
        except BrokerError as exc:
            context.set_trailing_metadata(((NACK_CODE_KEY, Nack.Code.Name(nack_code(exc))),))
            await abort(context, exc)
        return admin_pb2.PublishBatchReply(
            first_offset=receipt.first_offset,
            count=len(receipt.ids),
            committed=timestamp(receipt.committed_ms),
            duplicates=len(receipt.duplicates),
            ids=receipt.ids if encoded.with_ids else (),
        )

    @reports_errors
    async def ReadEvents(
        self, request: admin_pb2.ReadEventsRequest, context: Context
    ) -> admin_pb2.ReadEventsReply:
        caller = await self._caller(context)
        kind = request.WhichOneof("start")
        if kind == "after":
            start, at = ReadFrom.TIME, timestamp_ms(request.after.seconds, request.after.nanos)
        elif kind == "from_end":
            start, at = ReadFrom.END, 0
        else:
            start, at = ReadFrom.OFFSET, request.offset
        page = await read_page(self._broker, caller, request.topic_id, start, at, request.limit)
        return admin_pb2.ReadEventsReply(
            events=[event_wrapper(r) for r in page.records],
            next_offset=page.next_offset,
            last_offset=page.last_offset,
        )

    async def StreamMetrics(
        self, request: admin_pb2.MetricsRequest, context: Context
    ) -> AsyncIterator[admin_pb2.MetricsSample]:
        caller = await self._caller(context)
        samples = stream_samples(
            self._broker, caller, request.all_projects, request.history_seconds
        )
        try:
            async for sample in samples:
                yield _sample_message(sample)
        except BrokerError as exc:
            await abort(context, exc)


BatchRequest: TypeAlias = tuple[admin_pb2.PublishBatchRequest, admin_pb2.PublishBatchEvents | None]
"""A ``PublishBatchRequest`` read as encoded events, and as decoded ones (None if one of them
is malformed: admission then finds which)."""


def read_batch(raw: bytes) -> BatchRequest:
    """``PublishBatch``'s request deserializer: the request read both ways, each in one call."""
    encoded = admin_pb2.PublishBatchRequest.FromString(raw)
    try:
        decoded = admin_pb2.PublishBatchEvents.FromString(raw)
    except DecodeError:
        decoded = None
    return encoded, decoded


def add_admin_service(service: AdminService, server: grpc.aio.Server) -> None:
    """Serve ``service`` on ``server`` as the generated code would, except that ``PublishBatch``
    reads its request with :func:`read_batch`."""
    publish_batch_handler = grpc.unary_unary_rpc_method_handler(
        service.PublishBatch,
        request_deserializer=read_batch,
        response_serializer=admin_pb2.PublishBatchReply.SerializeToString,
    )
    add_service(
        admin_pb2_grpc.add_BrokerAdminServicer_to_server,
        service,
        server,
        {"PublishBatch": publish_batch_handler},
    )


def _sample_message(sample: ProjectSample) -> admin_pb2.MetricsSample:
    return admin_pb2.MetricsSample(
        at=timestamp(sample.at_ms),
        history=sample.history,
        topics=[
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
            for topic, rate in sample.topics
        ],
    )
