"""An async client of a broker's Ensign and admin services, for the GUI.

Every call is a coroutine on the running event loop (qasync's, in the app), so the window never
waits on the network. Login runs the HTTP call in a thread. Results come back as the plain
records of :mod:`workbench.client.records`.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import grpc

from embedded_broker.core import ids
from embedded_broker.core.ensql import InvalidQuery, parse_query
from embedded_broker.core.ids import ulid_str
from embedded_broker.core.model import MAX_EVENT_SIZE
from embedded_broker.core.timestamps import timestamp_ms
from embedded_broker.proto.admin.v1 import admin_pb2, admin_pb2_grpc
from embedded_broker.proto.ensign.v1beta1 import ensign_pb2, ensign_pb2_grpc, query_pb2, topic_pb2
from embedded_broker.proto.ensign.v1beta1.event_pb2 import Event, EventWrapper, Type
from workbench.client.authentication import login_tokens, refresh_tokens
from workbench.client.broker_rules import check_created_ms, type_version_parts
from workbench.client.connection_settings import ConnectionSettings
from workbench.client.errors import (
    AuthError,
    ClientError,
    InvalidInput,
    NotFound,
    PermissionError_,
    Refused,
    Unavailable,
    Unsupported,
)
from workbench.client.records import (
    BrokerInfo,
    EventPage,
    EventRow,
    KeyRow,
    MetricsSample,
    NewEvent,
    ProjectRow,
    PublishResult,
    QueryPlan,
    QueryProgress,
    QueryScope,
    StoredPage,
    TopicRate,
    TopicRow,
)
from workbench.client.stream_client import ENSIGN_CAPABILITIES, Capability

T = TypeVar("T")
NACK_CODE_KEY = "ensign-nack-code"
"""A refused PublishBatch's trailing metadata: the refusal's Ensign nack code."""
CALL_TIMEOUT_S = 30.0
_REFRESH_MARGIN_S = 120


class BrokerClient:
    """One logged-in connection to an Ensign-compatible broker (a
    :class:`~workbench.client.stream_client.StreamClient`)."""

    kind = "Ensign"

    def __init__(self, settings: ConnectionSettings) -> None:
        self.settings = settings
        self._token = ""
        self._refresh_token = ""
        self._expires = 0.0
        self._claims: dict[str, Any] = {}
        options = [
            ("grpc.max_receive_message_length", 64 * 1024 * 1024),
            ("grpc.max_send_message_length", 16 * 1024 * 1024),
            # A connection of its own: with gRPC's shared pool, a new client to a broker that
            # has just restarted would take over the old client's connection, still backing
            # off after the crash, and fail at once ("Connection refused") for up to minutes.
            ("grpc.use_local_subchannel_pool", 1),
        ]
        if settings.tls:
            credentials = grpc.ssl_channel_credentials(root_certificates=settings.ca_certificate)
            self._channel = grpc.aio.secure_channel(settings.grpc_address, credentials, options)
        else:
            self._channel = grpc.aio.insecure_channel(settings.grpc_address, options)
        self._ensign = ensign_pb2_grpc.EnsignStub(self._channel)
        self._admin = admin_pb2_grpc.BrokerAdminStub(self._channel)

    # -- session ------------------------------------------------------------------------------

    async def login(self) -> None:
        """Authenticate with the ClientID and ClientSecret.

        Raises:
            AuthError: if the broker refuses them (the message says why); KeyRefused, a kind
                of AuthError, when it does not accept the key at all (unknown, wrong, revoked).
            Unavailable: if the auth endpoint cannot be reached.
        """
        tokens = await asyncio.to_thread(login_tokens, self.settings)
        self._keep(*tokens)

    async def _renew(self) -> None:
        """A fresh access token: through ``/v1/refresh`` while the refresh token is good (no
        secret sent, and no one's failed logins stand in the way), else by logging in."""
        if self._refresh_token and time.time() < _expiry(self._refresh_token):
            try:
                tokens = await asyncio.to_thread(refresh_tokens, self.settings, self._refresh_token)
            except ClientError:
                self._refresh_token = ""
            else:
                self._keep(*tokens)
                return
        await self.login()

    def _keep(self, access: str, refresh: str) -> None:
        self._token, self._expires = access, _expiry(access)
        self._refresh_token = refresh
        self._claims = _claims(access)

    @property
    def address(self) -> str:
        """The broker's gRPC address (``host:port``)."""
        return self.settings.grpc_address

    @property
    def capabilities(self) -> frozenset[Capability]:
        """Everything but replicas: an Ensign broker keeps a topic on one server."""
        return ENSIGN_CAPABILITIES

    @property
    def ensign_settings(self) -> ConnectionSettings:
        """The addresses and key this client logs in with."""
        return self.settings

    def topic_ref(self, topic_id: bytes) -> str:
        """A topic's id as text (its ULID), which names it across projects."""
        return ulid_str(topic_id)

    def subject_target(self, topic_id: bytes, subject: str) -> bytes:
        """Raises ``Unsupported``: an Ensign topic has no subjects."""
        raise Unsupported("an Ensign topic has no subjects")

    @property
    def project_id(self) -> bytes:
        """The key's project, as its last token says (empty before a login)."""
        project = self._claims.get("project")
        return ids.parse_ulid(project) if isinstance(project, str) and project else b""

    @property
    def permissions(self) -> tuple[str, ...]:
        """The key's permissions, as its last token says (empty before a login)."""
        return tuple(str(p) for p in self._claims.get("permissions") or ())

    async def close(self) -> None:
        """Close the connection."""
        await self._channel.close()

    async def _auth(self) -> list[tuple[str, str]]:
        if not self._token or time.time() > self._expires - _REFRESH_MARGIN_S:
            await self._renew()
        return [("authorization", f"Bearer {self._token}")]

    async def _call(self, make: Callable[[list[tuple[str, str]]], Awaitable[T]]) -> T:
        try:
            return await make(await self._auth())
        except grpc.aio.AioRpcError as exc:
            raise _translate(exc, self.settings.grpc_address) from None

    # -- broker and projects ------------------------------------------------------------------

    async def broker_info(self) -> BrokerInfo:
        """What the broker says about itself."""
        info = await self._call(
            lambda md: self._admin.BrokerInfo(
                admin_pb2.BrokerInfoRequest(), metadata=md, timeout=CALL_TIMEOUT_S
            )
        )
        return BrokerInfo(
            info.version,
            info.uptime_seconds,
            info.data_dir,
            info.grpc_address,
            info.auth_url,
            info.tls,
            info.pid,
        )

    async def projects(self) -> list[ProjectRow]:
        """Projects this key may see."""
        reply = await self._call(
            lambda md: self._admin.ListProjects(
                admin_pb2.ListProjectsRequest(), metadata=md, timeout=CALL_TIMEOUT_S
            )
        )
        return [ProjectRow(p.id, p.name) for p in reply.projects]

    async def create_project(self, name: str) -> ProjectRow:
        """Create a project (needs ``broker:admin``)."""
        project = await self._call(
            lambda md: self._admin.CreateProject(
                admin_pb2.CreateProjectRequest(name=name), metadata=md, timeout=CALL_TIMEOUT_S
            )
        )
        return ProjectRow(project.id, project.name)

    # -- topics -------------------------------------------------------------------------------

    async def topics(self, all_projects: bool = False) -> list[TopicRow]:
        """Topics with statistics: of the key's project, or with ``all_projects`` of every
        project when the key has ``broker:admin`` (the broker refuses the rest to other keys,
        so theirs stays their own project's: a key of any preset can browse what it may see).
        """
        wide = all_projects and (not self._claims or "broker:admin" in self.permissions)
        reply = await self._call(
            lambda md: self._admin.ListTopics(
                admin_pb2.ListTopicsRequest(all_projects=wide),
                metadata=md,
                timeout=CALL_TIMEOUT_S,
            )
        )
        return [_topic_row(t) for t in reply.topics]

    async def create_topic(self, name: str, project_id: bytes = b"", replicas: int = 1) -> bytes:
        """Create a topic in the key's project (or, for a ``broker:admin`` key, in
        ``project_id``); return its id. ``replicas`` is ignored: a topic lives on one broker."""
        topic = await self._call(
            lambda md: self._ensign.CreateTopic(
                topic_pb2.Topic(name=name, project_id=project_id),
                metadata=md,
                timeout=CALL_TIMEOUT_S,
            )
        )
        return bytes(topic.id)

    async def archive_topic(self, topic_id: bytes) -> None:
        """Make a topic read-only."""
        await self._topic_mod(topic_id, topic_pb2.TopicMod.ARCHIVE)

    async def destroy_topic(self, topic_id: bytes) -> None:
        """Destroy a topic and its events for good."""
        await self._topic_mod(topic_id, topic_pb2.TopicMod.DESTROY)

    async def _topic_mod(self, topic_id: bytes, operation: int) -> None:
        mod = topic_pb2.TopicMod(id=ulid_str(topic_id), operation=operation)  # type: ignore[arg-type]
        await self._call(
            lambda md: self._ensign.DeleteTopic(mod, metadata=md, timeout=CALL_TIMEOUT_S)
        )

    async def set_dedup_policy(
        self, topic_id: bytes, strategy: str, keys: list[str], fields: list[str]
    ) -> None:
        """Change a topic's deduplication policy (``strategy`` is a Deduplication name)."""
        policy = topic_pb2.TopicPolicy(
            id=ulid_str(topic_id),
            deduplication_policy=topic_pb2.Deduplication(
                strategy=topic_pb2.Deduplication.Strategy.Value(strategy),
                keys=keys,
                fields=fields,
            ),
        )
        await self._call(
            lambda md: self._ensign.SetTopicPolicy(policy, metadata=md, timeout=CALL_TIMEOUT_S)
        )

    # -- events -------------------------------------------------------------------------------

    async def read_events(
        self,
        topic_id: bytes,
        offset: int | None = None,
        after_ms: int | None = None,
        from_end: bool = False,
        limit: int = 200,
    ) -> EventPage:
        """A page of a topic: from an offset, from a time, or the last ``limit`` events.

        The broker bounds each reply by bytes as well as by count (a few large events fill one);
        a reply cut short is completed here with further reads, so the page holds ``limit``
        events unless the topic has fewer.
        """
        request = admin_pb2.ReadEventsRequest(topic_id=topic_id, limit=limit)
        if from_end:
            request.from_end = True
        elif after_ms is not None:
            request.after.FromMilliseconds(after_ms)
        else:
            request.offset = offset or 1
        page = await self._read_page(request)
        events = page.events
        if from_end and events:  # the newest events came; read the older ones of the page
            first = max(1, page.last_offset - limit + 1)
            older = await self._read_run(topic_id, first, events[0].offset - first)
            events = older + events
        elif events and len(events) < limit and page.next_offset <= page.last_offset:
            events = events + await self._read_run(topic_id, page.next_offset, limit - len(events))
        return EventPage(
            events, events[-1].offset + 1 if events else page.next_offset, page.last_offset
        )

    async def read_stored(self, topic_id: bytes, offset: int, limit: int = 1000) -> StoredPage:
        """Events from ``offset`` on as they are stored: the encoded events their publishers
        sent, byte for byte (what :meth:`publish_encoded` sent can be recognised exactly).

        Args:
            topic_id: the topic's 16-byte id.
            offset: the first offset to read (1 is the topic's first event).
            limit: the most events (at most 1000); the broker may send fewer, bounded by bytes.

        Raises:
            NotFound: the topic is not there.
            ClientError: the call failed otherwise (unreachable, timed out ...).
        """
        request = admin_pb2.ReadEventsRequest(topic_id=topic_id, offset=max(1, offset), limit=limit)
        reply = await self._call(
            lambda md: self._admin.ReadEvents(request, metadata=md, timeout=CALL_TIMEOUT_S)
        )
        return StoredPage(
            [(int(w.offset), bytes(w.event)) for w in reply.events],
            int(reply.next_offset),
            int(reply.last_offset),
        )

    async def _read_run(self, topic_id: bytes, offset: int, count: int) -> list[EventRow]:
        """Up to ``count`` events from ``offset`` on, in as many replies as their bytes need."""
        events: list[EventRow] = []
        while len(events) < count:
            request = admin_pb2.ReadEventsRequest(
                topic_id=topic_id, offset=offset, limit=count - len(events)
            )
            page = await self._read_page(request)
            if not page.events:
                break
            events += page.events
            offset = page.next_offset
        return events

    async def _read_page(self, request: admin_pb2.ReadEventsRequest) -> EventPage:
        reply = await self._call(
            lambda md: self._admin.ReadEvents(request, metadata=md, timeout=CALL_TIMEOUT_S)
        )
        return EventPage([event_row(w) for w in reply.events], reply.next_offset, reply.last_offset)

    async def publish(
        self, topic_id: bytes, events: list[NewEvent], with_ids: bool = False
    ) -> PublishResult:
        """Publish a batch in one durable commit: every event is acknowledged, or none is.

        Args:
            topic_id: the topic's 16-byte id.
            events: the events, in order.
            with_ids: also return each event's 10-byte id (costs 10 bytes an event).

        Raises:
            Refused: the broker refused the batch (its Ensign nack code and reason, naming the
                first refused event's index); nothing of it was stored.
            ClientError: the call failed otherwise (unreachable, timed out ...).
        """
        encoded = [encode_event(e) for e in events]
        return await self.publish_encoded(topic_id, encoded, with_ids)

    async def publish_encoded(
        self, topic_id: bytes, events: list[bytes], with_ids: bool = False
    ) -> PublishResult:
        """:meth:`publish` for events already encoded with :func:`encode_event`."""
        request = admin_pb2.PublishBatchRequest(topic_id=topic_id, events=events, with_ids=with_ids)
        try:
            reply = await self._call(
                lambda md: self._admin.PublishBatch(request, metadata=md, timeout=CALL_TIMEOUT_S)
            )
        except ClientError as exc:
            if len(events) == 1 and len(events[0]) > MAX_EVENT_SIZE:
                # Larger than the broker's messages: refused on the way in, for its size.
                size = len(events[0])
                raise Refused(
                    "MAX_EVENT_SIZE_EXCEEDED",
                    f"event is {size:,} bytes; the limit is {MAX_EVENT_SIZE:,} bytes",
                ) from exc
            raise
        return PublishResult(
            first_offset=int(reply.first_offset),
            count=int(reply.count),
            committed_ms=reply.committed.ToMilliseconds(),
            duplicates=int(reply.duplicates),
            ids=tuple(reply.ids),
        )

    async def query(
        self,
        ensql: str,
        scope: QueryScope | None = None,
        progress: Callable[[QueryProgress], None] | None = None,
    ) -> AsyncIterator[EventRow]:
        """Run an EnSQL query on the broker; yield the matching events.

        ``progress`` is never called: the broker scans, and says nothing until it finds events.

        Raises:
            ClientError: with the broker's explanation for a bad query.
            Unsupported: if a ``scope`` is given (the query itself says what to scan).
        """
        if scope is not None:
            raise Unsupported("an Ensign broker runs the whole query: put the range in its WHERE")
        md = await self._auth()
        call = self._ensign.EnSQL(query_pb2.Query(query=ensql), metadata=md)
        try:
            async for wrapper in call:
                yield event_row(wrapper)
        except grpc.aio.AioRpcError as exc:
            raise _translate(exc, self.settings.grpc_address) from None
        finally:
            call.cancel()

    def query_plan(self, ensql: str, scope: QueryScope | None = None) -> QueryPlan:
        """The whole query runs on the broker (checked here first).

        Raises:
            InvalidInput: if the query is malformed.
        """
        try:
            parse_query(ensql)
        except InvalidQuery as exc:
            raise InvalidInput(str(exc)) from None
        return QueryPlan(server="the whole EnSQL query", client="")

    async def tail(
        self, topic: str, group: str | None = None, ack: bool = False
    ) -> AsyncIterator[EventRow]:
        """Yield events published to ``topic`` (name or id) from now on, until cancelled.

        With ``group``, read as a member of that consumer group; with ``ack``, acknowledge each
        event once the consumer asks for the next one.
        """
        md = await self._auth()
        subscription = ensign_pb2.Subscription(client_id="ensign-workbench", topics=[topic])
        if group:
            subscription.group.name = group
        requests: asyncio.Queue[ensign_pb2.SubscribeRequest | None] = asyncio.Queue()
        await requests.put(ensign_pb2.SubscribeRequest(subscription=subscription))

        async def outgoing() -> AsyncIterator[ensign_pb2.SubscribeRequest]:
            while (request := await requests.get()) is not None:
                yield request

        call = self._ensign.Subscribe(outgoing(), metadata=md)
        try:
            async for reply in call:
                if reply.HasField("event"):
                    yield event_row(reply.event)
                    if ack:
                        await requests.put(
                            ensign_pb2.SubscribeRequest(ack=ensign_pb2.Ack(id=reply.event.id))
                        )
        except grpc.aio.AioRpcError as exc:
            if exc.code() != grpc.StatusCode.CANCELLED:
                raise _translate(exc, self.settings.grpc_address) from None
        finally:
            call.cancel()

    async def check_subscribe(self, topic: str) -> None:
        """Open a subscription to ``topic`` (name or id) and close it once the broker says it
        is ready: whether this key may subscribe there, without reading an event.

        Raises:
            PermissionError_: without the ``subscriber`` permission.
            NotFound: if the key's project has no such topic.
        """
        md = await self._auth()
        subscription = ensign_pb2.Subscription(client_id="ensign-workbench", topics=[topic])
        request = ensign_pb2.SubscribeRequest(subscription=subscription)
        call = self._ensign.Subscribe(iter([request]), metadata=md, timeout=CALL_TIMEOUT_S)
        try:
            async for reply in call:
                if reply.HasField("ready"):
                    return
        except grpc.aio.AioRpcError as exc:
            raise _translate(exc, self.settings.grpc_address) from None
        finally:
            call.cancel()
        raise ClientError("the subscription ended before the broker said it was ready")

    async def metrics(self, history_seconds: int = 3600) -> AsyncIterator[MetricsSample]:
        """Yield the broker's metrics: its history first, then a sample each second."""
        md = await self._auth()
        call = self._admin.StreamMetrics(
            admin_pb2.MetricsRequest(history_seconds=history_seconds), metadata=md
        )
        try:
            async for sample in call:
                yield _metrics_sample(sample)
        except grpc.aio.AioRpcError as exc:
            if exc.code() != grpc.StatusCode.CANCELLED:
                raise _translate(exc, self.settings.grpc_address) from None
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise asyncio.CancelledError from None  # our caller's cancellation, not the end
        finally:
            call.cancel()

    # -- keys ---------------------------------------------------------------------------------

    async def keys(self, project_id: bytes = b"") -> list[KeyRow]:
        """A project's API keys, revoked ones included, never their secrets (the key's own
        project by default; another one needs ``broker:admin``)."""
        reply = await self._call(
            lambda md: self._admin.ListKeys(
                admin_pb2.ListKeysRequest(project_id=project_id),
                metadata=md,
                timeout=CALL_TIMEOUT_S,
            )
        )
        return [_key_row(k) for k in reply.keys]

    async def create_key(
        self, name: str, permissions: list[str], project_id: bytes = b""
    ) -> tuple[KeyRow, str]:
        """Create a key in a project (the key's own by default); return it with its
        ClientSecret, which the broker never gives out again."""
        reply = await self._call(
            lambda md: self._admin.CreateKey(
                admin_pb2.CreateKeyRequest(
                    name=name, permissions=permissions, project_id=project_id
                ),
                metadata=md,
                timeout=CALL_TIMEOUT_S,
            )
        )
        return _key_row(reply.key), reply.client_secret

    async def revoke_key(self, client_id: str) -> None:
        """Revoke a key at once."""
        await self._call(
            lambda md: self._admin.RevokeKey(
                admin_pb2.RevokeKeyRequest(client_id=client_id),
                metadata=md,
                timeout=CALL_TIMEOUT_S,
            )
        )


def event_row(wrapper: EventWrapper) -> EventRow:
    """An EventWrapper as a plain record."""
    event = Event.FromString(wrapper.event)
    t = event.type
    # Never protobuf's ToMilliseconds here: it raises for a time beyond year 9999, and one such
    # event must not make its whole page unreadable.
    created = event.created
    created_ms = timestamp_ms(created.seconds, created.nanos) if event.HasField("created") else 0
    committed = wrapper.committed
    return EventRow(
        topic_id=wrapper.topic_id,
        offset=wrapper.offset,
        id=wrapper.id,
        committed_ms=timestamp_ms(committed.seconds, committed.nanos),
        created_ms=created_ms,
        type_name=t.name,
        type_version=f"{t.major_version}.{t.minor_version}.{t.patch_version}",
        mimetype=int(event.mimetype),
        data=event.data,
        metadata=dict(event.metadata),
        is_duplicate=wrapper.is_duplicate,
    )


def encode_event(new: NewEvent) -> bytes:
    """A new event as an encoded ``ensign.v1beta1.Event`` (its created time: now if unset).

    Raises:
        InvalidInput: the type version or created time cannot be written in an ``Event``
            (see :func:`~workbench.client.broker_rules.type_version_parts` and
            :func:`~workbench.client.broker_rules.check_created_ms`), or a text field (type
            name, a metadata key or value) holds a lone surrogate, which is not Unicode text
            and has no UTF-8 form (protobuf ``string`` fields are UTF-8).
    """
    encoded: bytes = _event_message(new).SerializeToString()
    return encoded


def _event_message(new: NewEvent) -> Event:
    parts = type_version_parts(new.type_version)
    try:
        event = Event(
            data=new.data,
            metadata=new.metadata,
            mimetype=new.mimetype,  # type: ignore[arg-type]
            type=Type(
                name=new.type_name,
                major_version=parts[0],
                minor_version=parts[1],
                patch_version=parts[2],
            ),
        )
    except UnicodeEncodeError as exc:
        field = _not_unicode(new, exc.object)
        raise InvalidInput(f"{field} is not Unicode text: {exc.reason}") from None
    if new.created_ms is None:
        event.created.GetCurrentTime()
    else:
        event.created.FromMilliseconds(check_created_ms(new.created_ms))
    return event


def _not_unicode(new: NewEvent, text: str) -> str:
    """Which field of ``new`` holds ``text`` (one a UTF-8 encoder refused)."""
    if text == new.type_name:
        return f"the type name {text!r}"
    if text in new.metadata:
        return f"the metadata key {text!r}"
    key = next((k for k, v in new.metadata.items() if v == text), "")
    return f"the metadata value {text!r} of {key!r}"


def _topic_row(details: admin_pb2.TopicDetails) -> TopicRow:
    topic = details.topic
    dedup = topic.deduplication
    return TopicRow(
        id=topic.id,
        project_id=topic.project_id,
        project_name=details.project_name,
        name=topic.name,
        readonly=topic.readonly,
        events=details.events,
        bytes=details.data_size_bytes,
        duplicates=details.duplicates,
        first_offset=details.first_offset,
        last_offset=details.last_offset,
        last_committed_ms=details.last_committed.ToMilliseconds(),
        dedup_strategy=topic_pb2.Deduplication.Strategy.Name(dedup.strategy or 1),
        dedup_keys=tuple(dedup.keys),
        dedup_fields=tuple(dedup.fields),
    )


def _metrics_sample(sample: admin_pb2.MetricsSample) -> MetricsSample:
    return MetricsSample(
        at_ms=sample.at.ToMilliseconds(),
        topics=[
            TopicRate(
                r.topic_id,
                r.name,
                r.events,
                r.data_size_bytes,
                r.events_per_second,
                r.bytes_per_second,
                r.ack_latency_p50_ms,
                r.ack_latency_p99_ms,
                r.subscribers,
                {g.group: g.lag for g in r.lags},
            )
            for r in sample.topics
        ],
        history=sample.history,
    )


def _key_row(key: admin_pb2.ApiKey) -> KeyRow:
    return KeyRow(
        key.client_id,
        key.project_id,
        key.name,
        tuple(key.permissions),
        key.created.ToMilliseconds(),
        key.last_used.ToMilliseconds(),
        key.revoked.ToMilliseconds(),
    )


def _claims(token: str) -> dict[str, Any]:
    """A JWT's claims, read without checking its signature (the broker checks it)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * 4))
    except (IndexError, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}


def _expiry(token: str) -> float:
    try:
        return float(_claims(token)["exp"])
    except (KeyError, TypeError, ValueError):
        return time.time() + 300


def _translate(exc: grpc.aio.AioRpcError, address: str) -> ClientError:
    code, details = exc.code(), exc.details() or ""
    for key, value in exc.trailing_metadata() or ():
        if key == NACK_CODE_KEY:
            return Refused(str(value), details or code.name)
    if code == grpc.StatusCode.UNAVAILABLE:
        return Unavailable(f"the broker at {address} is not reachable: {_last_words(details)}")
    if code == grpc.StatusCode.UNAUTHENTICATED:
        return AuthError(details)
    if code == grpc.StatusCode.PERMISSION_DENIED:
        return PermissionError_(details)
    if code == grpc.StatusCode.NOT_FOUND:
        return NotFound(details)
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        return InvalidInput(details)
    return ClientError(details or code.name)


def _last_words(details: str) -> str:
    """What gRPC says last of why a broker is unreachable ("failed to connect to all
    addresses; last error: UNKNOWN: ipv4:127.0.0.1:5356: Failed to connect to remote host:
    Connection refused" says "Connection refused"): the part a user can act on.

    A failed TLS handshake is said as one ("… Tls handshake failed (TSI_PROTOCOL_FAILURE):
    SSL_ERROR_SSL: …:WRONG_VERSION_NUMBER: …: OK" ends in a status word, "OK"), with what the
    usual cause is: TLS spoken to a plaintext port, or a certificate not trusted.
    """
    if "handshake failed" in details.lower():
        if "WRONG_VERSION_NUMBER" in details:
            return "the TLS handshake failed: the broker answers without TLS on this port"
        if "CERTIFICATE_VERIFY_FAILED" in details:
            return "the TLS handshake failed: the broker's certificate is not trusted"
        return "the TLS handshake failed"
    words = details.removesuffix(": OK").rsplit(": ", 1)[-1].strip()
    while words.endswith(")") and words.count(")") > words.count("("):
        words = words[:-1]  # "(recvmsg: Connection reset by peer (104))" was cut inside
    return words or "no answer"
