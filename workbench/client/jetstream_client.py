"""A :class:`~workbench.client.stream_client.StreamClient` for NATS JetStream, with nats-py.

How Ensign's notions map (see the README's "NATS JetStream" section for why):

- A topic is a stream of the same name. A stream the workbench creates listens on the subjects
  ``<topic>`` and ``<topic>.>``: events go to ``<topic>`` unless a producer names a
  sub-subject (``orders.eu``), and a query can filter on subjects. A dotted topic name
  (``bank.accounts``) names its stream with ``_`` (``bank_accounts``) and keeps the dotted
  name as subject and listed name. A stream made elsewhere is listed too; events are published
  to its name if its subjects take it, else to its first subject without wildcards.
- A topic's id is the stream's name in UTF-8 (streams have no other id).
- An event's offset is its stream sequence (both start at 1; a deleted message leaves a gap).
- An event's data is the message payload; its type, mimetype, creation time and metadata travel
  in headers (:mod:`~workbench.client.jetstream_headers`).
- A publish is acknowledged by JetStream's PubAck (the message is stored on a majority of the
  stream's replicas). Each event carries a ``Nats-Msg-Id``, so a publish retried after a
  timeout or a failover is stored once (within the stream's duplicate window, 2 minutes).
- Projects, key admin, archiving, dedup policies and consumer groups have no counterpart here:
  :attr:`JetStreamClient.capabilities` says so, and such calls raise ``Unsupported``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import datetime
import json
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client as NatsConnection
from nats.aio.client import RawCredentials
from nats.aio.msg import Msg
from nats.js import api as js_api
from nats.nuid import NUID

from embedded_broker.core.ensql import EnsqlQuery, InvalidQuery, parse_query
from embedded_broker.proto.ensign.v1beta1.event_pb2 import Event
from workbench.client.broker_client import encode_event
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
from workbench.client.jetstream_headers import event_headers, event_id, message_row, row_record
from workbench.client.jetstream_settings import (
    JetStreamSettings,
    subject_matches,
    validate_stream_name,
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
    TopicRate,
    TopicRow,
)
from workbench.client.stream_client import Capability

JETSTREAM_CAPABILITIES = frozenset({Capability.REPLICAS, Capability.SUBJECTS})
"""What JetStream does of the workbench's list."""
LOGIN_TIMEOUT_S = 8.0
"""How long a login tries the servers before it says what went wrong."""
CALL_TIMEOUT_S = 10.0
"""One JetStream API request."""
PUBLISH_RETRY_S = 60.0
"""How long a publish keeps retrying unacknowledged events (a leader election takes seconds)."""
ACK_WAIT_S = 5.0
"""How long one attempt waits for its PubAcks."""
LATENCIES_KEPT = 10_000
"""PubAck latencies kept per stream between two metrics samples (the newest)."""
ROUND_MAX = 10_000
"""The most messages one publish sends before awaiting their PubAcks."""
PUBLISH_WINDOW = 1_000_000
"""nats-py's limit of messages awaiting a PubAck per connection (its default: 4,000), set so
high that it never makes a publish wait: waiting on it costs a turn of the event loop per
message (a socket write each), and ``ROUND_MAX`` per call bounds what is outstanding."""
READ_IDLE_S = 2.0
"""A page read ends when no message came for this long (the stream has no more)."""
READER_RETRY_S = 30.0
"""How long creating a reader's consumer is retried while a cluster recovers from a loss."""
READER_INACTIVE_S = 30.0
"""A reader's consumer left behind (the workbench died) is removed after this long."""
TOPIC_DESCRIPTION = "Ensign topic "
"""A stream made for a dotted topic name keeps the name in its description, after this."""
PROJECT_NAME = "JetStream"
"""The stand-in project every stream is listed under."""
MAX_REPLICAS = 5


SUBJECT_SEPARATOR = b"\x00"
"""Between a stream's name and a subject in a subject target (neither can hold it)."""


def topic_id_of(stream: str) -> bytes:
    """A stream's topic id: its name in UTF-8."""
    return stream.encode()


def stream_of(topic_id: bytes) -> str:
    """The stream a topic id (or a subject target) names."""
    return topic_id.partition(SUBJECT_SEPARATOR)[0].decode("utf-8", "replace")


def subject_of(topic_id: bytes) -> str:
    """The subject a subject target names ("" for a plain topic id)."""
    return topic_id.partition(SUBJECT_SEPARATOR)[2].decode("utf-8", "replace")


class JetStreamClient:
    """One connection to a NATS server or cluster with JetStream, as a StreamClient."""

    kind = "NATS JetStream"

    def __init__(self, settings: JetStreamSettings) -> None:
        self.settings = settings
        self._nc: NatsConnection | None = None
        self._nuid = NUID()
        self._subjects: dict[str, str] = {}
        self._account: dict[str, Any] = {}
        self._cleanups: set[asyncio.Task[None]] = set()
        self._js: Any = None
        self._ack_ms: dict[str, list[float]] = {}
        self._checked: set[tuple[str, str]] = set()
        """(stream, subject) pairs found to match the stream's subjects."""

    # -- session ------------------------------------------------------------------------------

    @property
    def address(self) -> str:
        """The server URLs, comma-separated."""
        return self.settings.address

    @property
    def capabilities(self) -> frozenset[Capability]:
        """Replicas; no projects, server-side EnSQL, archive, dedup policy, groups or keys."""
        return JETSTREAM_CAPABILITIES

    @property
    def ensign_settings(self) -> ConnectionSettings | None:
        """None: JetStream does not speak Ensign's API."""
        return None

    @property
    def project_id(self) -> bytes:
        """Empty: streams belong to the account, not to projects."""
        return b""

    @property
    def permissions(self) -> tuple[str, ...]:
        """What the account allows, as the last ``login``/``keys`` read it."""
        return _account_permissions(self._account)

    async def login(self) -> None:
        """Connect to one of the servers and check that JetStream is enabled for the account.

        Raises:
            AuthError: the server refuses the credentials.
            Unavailable: no server answers, or JetStream is not enabled.
        """
        options: dict[str, Any] = {
            "servers": list(self.settings.servers),
            "name": "ensign-workbench",
            "connect_timeout": 3,
            "allow_reconnect": True,
            "max_reconnect_attempts": -1,
            "reconnect_time_wait": 0.5,
            "disconnected_cb": _quiet_none,
            "reconnected_cb": _quiet_none,
            "closed_cb": _quiet_none,
        }
        s = self.settings
        if s.user:
            options["user"], options["password"] = s.user, s.password
        if s.token:
            options["token"] = s.token
        if s.creds:
            options["user_credentials"] = RawCredentials(s.creds)
        if s.nkey_seed:
            options["nkeys_seed_str"] = s.nkey_seed
        if s.tls:
            context = ssl.create_default_context(cafile=s.ca_file or None)
            options["tls"] = context
        deadline = time.monotonic() + LOGIN_TIMEOUT_S
        while True:
            try:
                self._nc = await self._connect(options, deadline)
                break
            except ConnectionResetError:
                # The server closed the connection before its reason was read (it does so
                # right after an authorization error): try again to read the reason.
                if time.monotonic() > deadline:
                    raise Unavailable(
                        f"cannot connect to {s.address}: the server closed the connection"
                    ) from None
                await asyncio.sleep(0.2)
        try:
            self._account = await self._api("$JS.API.INFO")
        except ClientError:
            await self.close()
            raise

    async def _connect(self, options: dict[str, Any], deadline: float) -> NatsConnection:
        """One try at connecting, given up when the credentials are refused, every server
        refuses connections, or at ``deadline`` (nats-py retries a first connection as long as
        later ones).

        Raises:
            AuthError: the credentials were refused. Unavailable: no server would do.
            ConnectionResetError: a server closed the connection and said nothing else.
        """
        s = self.settings
        problems: list[Exception] = []
        hopeless = asyncio.Event()

        async def remember(exc: Exception) -> None:
            problems.append(exc)
            refused = sum(isinstance(p, ConnectionRefusedError) for p in problems)
            untrusted = isinstance(exc, ssl.SSLCertVerificationError)
            if _is_auth_problem(exc) or untrusted or refused >= 2 * len(s.servers):
                hopeless.set()

        timeout_s = max(0.5, deadline - time.monotonic())
        try:
            return await _first_of(nats.connect(**options, error_cb=remember), hopeless, timeout_s)
        except (OSError, TimeoutError, nats.errors.Error) as exc:
            refusal = next((p for p in problems if _is_auth_problem(p)), None)
            if refusal is not None or _is_auth_problem(exc):
                reason = str(refusal or exc)
                raise AuthError(f"the NATS server refused the credentials: {reason}") from None
            if isinstance(exc, TimeoutError | nats.errors.NoServersError) and not problems:
                raise Unavailable(f"no NATS server answers at {s.address}") from None
            last = problems[-1] if problems else exc
            if isinstance(last, ConnectionResetError) and time.monotonic() < deadline:
                raise ConnectionResetError from None
            text = str(last) or type(last).__name__
            raise Unavailable(f"cannot connect to {s.address}: {text}") from None

    async def close(self) -> None:
        """Close the connection (pending publishes are dropped)."""
        if self._cleanups:
            await asyncio.wait(set(self._cleanups), timeout=2)
        nc, self._nc, self._js = self._nc, None, None
        if nc is not None and not nc.is_closed:
            with contextlib.suppress(Exception):
                await nc.close()

    @property
    def _conn(self) -> NatsConnection:
        if self._nc is None or self._nc.is_closed:
            raise Unavailable("not connected to NATS: log in first")
        return self._nc

    async def _api(self, subject: str, request: dict[str, Any] | None = None) -> dict[str, Any]:
        """One JetStream API request; its JSON reply, or the error it carries raised."""
        payload = json.dumps(request).encode() if request is not None else b""
        try:
            reply = await self._conn.request(subject, payload, timeout=CALL_TIMEOUT_S)
        except nats.errors.NoRespondersError:
            raise Unavailable(
                f"JetStream is not enabled at {self.address} (no one answers {subject})"
            ) from None
        except (nats.errors.TimeoutError, TimeoutError):
            raise Unavailable(f"JetStream at {self.address} did not answer {subject}") from None
        except nats.errors.ConnectionClosedError:
            raise Unavailable(f"the connection to {self.address} is closed") from None
        answer: dict[str, Any] = json.loads(reply.data or b"{}")
        error = answer.get("error")
        if error:
            raise _api_error(error)
        return answer

    # -- broker and projects ------------------------------------------------------------------

    async def broker_info(self) -> BrokerInfo:
        """The server this client is connected to: version, address and TLS."""
        nc = self._conn
        # nats-py keeps the server's INFO (its name too) only here; the version is public.
        info: dict[str, Any] = getattr(nc, "_server_info", None) or {}
        name = f" ({info['server_name']})" if info.get("server_name") else ""
        v = nc.connected_server_version
        return BrokerInfo(
            version=f"nats-server {v.major}.{v.minor}.{v.patch}{name}",
            uptime_seconds=0.0,
            data_dir="",
            grpc_address=str(nc.connected_url.netloc if nc.connected_url else self.address),
            auth_url="",
            tls=self.settings.tls,
            pid=0,
        )

    async def projects(self) -> list[ProjectRow]:
        """One stand-in project, the account, which every stream is listed under."""
        return [ProjectRow(b"", PROJECT_NAME)]

    async def create_project(self, name: str) -> ProjectRow:
        """Raises ``Unsupported``: streams belong to the account."""
        raise Unsupported("JetStream has no projects: streams belong to the account")

    # -- topics -------------------------------------------------------------------------------

    async def topics(self, all_projects: bool = False) -> list[TopicRow]:
        """Every stream of the account with its counts, bytes and sequence range."""
        rows: list[TopicRow] = []
        offset = 0
        while True:
            answer = await self._api("$JS.API.STREAM.LIST", {"offset": offset})
            streams = answer.get("streams") or []
            for info in streams:
                row = _topic_row(info)
                stream = stream_of(row.id)
                self._subjects[stream] = _publish_subject(stream, info["config"])
                rows.append(row)
            offset += len(streams)
            if not streams or offset >= int(answer.get("total", 0)):
                break
        return sorted(rows, key=lambda r: r.name)

    async def stream_subjects(self, topic_id: bytes) -> tuple[str, ...]:
        """The subjects a stream listens on."""
        info = await self._api(f"$JS.API.STREAM.INFO.{stream_of(topic_id)}")
        return tuple(info["config"].get("subjects") or ())

    async def stream_replicas(self, topic_id: bytes) -> int:
        """How many servers keep a copy of a stream."""
        info = await self._api(f"$JS.API.STREAM.INFO.{stream_of(topic_id)}")
        return int(info["config"].get("num_replicas", 1))

    async def create_topic(self, name: str, project_id: bytes = b"", replicas: int = 1) -> bytes:
        """Create a file-backed stream for topic ``name`` on the subjects ``name`` and
        ``name.>``.

        Args:
            name: a stream name (letters, digits, ``-`` and ``_``), or an Ensign topic name
                with dots (``bank.accounts``): its stream is then named with ``_`` for each
                ``.`` (``bank_accounts``), keeps the dotted name as its subject, and is listed
                under that name (kept in the stream's description).
            project_id: ignored (no projects).
            replicas: 1 to 5 copies, each on its own server; a cluster that is still electing
                its leader is retried for a few seconds.

        Raises:
            InvalidInput: a bad name or replica count, or more replicas than servers.
        """
        stream = stream_for_topic(name)
        if not 1 <= replicas <= MAX_REPLICAS:
            raise InvalidInput(f"replicas must be 1 to {MAX_REPLICAS}, not {replicas}")
        config: dict[str, Any] = {
            "name": stream,
            "subjects": [name, f"{name}.>"],
            "retention": "limits",
            "storage": "file",
            "num_replicas": replicas,
            "duplicate_window": 120 * 1_000_000_000,
            "allow_direct": True,
            "discard": "old",
        }
        if stream != name:
            config["description"] = TOPIC_DESCRIPTION + name
        deadline = time.monotonic() + 30
        unanswered = False
        while True:
            try:
                await self._api(f"$JS.API.STREAM.CREATE.{stream}", config)
                break
            except Unavailable:
                # A busy cluster may create the stream and answer too late: look for it.
                unanswered = True
                if time.monotonic() > deadline:
                    raise
            except ClientError as exc:
                if unanswered and "already in use" in str(exc) and await self._made_as(config):
                    break  # the unanswered request made it
                # A cluster electing its meta leader says "insufficient resources" or "no
                # suitable peers" for a while.
                if time.monotonic() > deadline or "already in use" in str(exc):
                    raise
                if "insufficient" not in str(exc) and "peers" not in str(exc):
                    raise
            await asyncio.sleep(0.5)
        self._subjects[stream] = name
        return topic_id_of(stream)

    async def _made_as(self, config: dict[str, Any]) -> bool:
        """True if the stream exists with ``config``'s subjects and replicas."""
        info = await self._api(f"$JS.API.STREAM.INFO.{config['name']}")
        made = info["config"]
        return bool(
            made.get("subjects") == config["subjects"]
            and made.get("num_replicas") == config["num_replicas"]
        )

    async def archive_topic(self, topic_id: bytes) -> None:
        """Raises ``Unsupported`` (a stream has no read-only mode in nats-server 2.9)."""
        raise Unsupported("JetStream streams cannot be made read-only here; delete instead")

    async def destroy_topic(self, topic_id: bytes) -> None:
        """Delete a stream and its messages.

        Raises:
            NotFound: no such stream.
        """
        await self._api(f"$JS.API.STREAM.DELETE.{stream_of(topic_id)}")
        self._subjects.pop(stream_of(topic_id), None)

    async def set_dedup_policy(
        self, topic_id: bytes, strategy: str, keys: list[str], fields: list[str]
    ) -> None:
        """Raises ``Unsupported``: JetStream deduplicates on ``Nats-Msg-Id`` only."""
        raise Unsupported("JetStream deduplicates by message id (Nats-Msg-Id) only")

    def topic_ref(self, topic_id: bytes) -> str:
        """The stream's name."""
        return stream_of(topic_id)

    def subject_target(self, topic_id: bytes, subject: str) -> bytes:
        """``subject`` of the stream as a publish target (the stream's id, a NUL, the subject).

        Raises:
            InvalidInput: for an empty subject, or one with spaces, NULs or empty tokens.
        """
        tokens = subject.split(".")
        if not subject or any(not t or any(c in t for c in " \t\r\n\x00") for t in tokens):
            raise InvalidInput(f"{subject!r} is not a NATS subject (tokens separated by '.')")
        if "*" in subject or ">" in subject:
            raise InvalidInput("publish to a subject without wildcards ('*', '>')")
        return topic_id_of(stream_of(topic_id)) + SUBJECT_SEPARATOR + subject.encode()

    # -- reading ------------------------------------------------------------------------------

    async def read_events(
        self,
        topic_id: bytes,
        offset: int | None = None,
        after_ms: int | None = None,
        from_end: bool = False,
        limit: int = 200,
    ) -> EventPage:
        """A page of a stream: ``limit`` events from stream sequence ``offset`` (1 by default),
        from the first stored after ``after_ms`` (ms since the epoch), or the last ``limit``.

        Messages are fetched by sequence with JetStream's direct get, many at once, which any
        replica answers (no consumer is made, so a page reads while a server is down); a
        stream made without ``allow_direct`` is read through its leader. A time is found by
        bisecting the sequences on their commit times (messages are stored in time order).

        Raises:
            NotFound: no such stream. Unavailable: no replica answers.
        """
        stream = stream_of(topic_id)
        info = await self._api(f"$JS.API.STREAM.INFO.{stream}")
        state, direct = info["state"], bool(info["config"].get("allow_direct"))
        last = int(state.get("last_seq", 0))
        first = max(1, int(state.get("first_seq", 1)))
        if int(state.get("messages", 0)) == 0:
            return EventPage([], max(offset or 1, last + 1), last)
        if from_end:
            start = max(first, last - limit + 1)
        elif after_ms is not None:
            start = await self._first_after(stream, direct, first, last, after_ms)
        else:
            start = max(offset or 1, first)
        events: list[EventRow] = []
        seq = start
        while len(events) < limit and seq <= last:
            wanted = range(seq, min(last, seq + limit - len(events) - 1) + 1)
            got = await asyncio.gather(*(self._get(stream, s, direct) for s in wanted))
            events += [row for row in got if row is not None]  # None: a deleted message
            seq = wanted[-1] + 1
        return EventPage(events, events[-1].offset + 1 if events else max(start, last + 1), last)

    async def _first_after(
        self, stream: str, direct: bool, first: int, last: int, after_ms: int
    ) -> int:
        """The first sequence committed after ``after_ms`` (``last + 1`` if none is)."""
        low, high = first, last + 1
        while low < high:
            middle = (low + high) // 2
            probe = middle
            row = await self._get(stream, probe, direct)
            while row is None and probe < high - 1:  # a deleted message: look further on
                probe += 1
                row = await self._get(stream, probe, direct)
            if row is None or row.committed_ms > after_ms:
                high = middle
            else:
                low = probe + 1
        return low

    async def _get(self, stream: str, seq: int, direct: bool) -> EventRow | None:
        """One message by sequence, or None if it was deleted; retried while no replica
        answers (for ``READER_RETRY_S``)."""
        deadline = time.monotonic() + READER_RETRY_S
        while True:
            try:
                if direct:
                    return await self._direct_get(stream, seq)
                return await self._leader_get(stream, seq)
            except Unavailable:
                if time.monotonic() > deadline:
                    raise
            await asyncio.sleep(0.25)

    async def _direct_get(self, stream: str, seq: int) -> EventRow | None:
        request = json.dumps({"seq": seq}).encode()
        try:
            reply = await self._conn.request(
                f"$JS.API.DIRECT.GET.{stream}", request, timeout=CALL_TIMEOUT_S / 2
            )
        except (nats.errors.TimeoutError, TimeoutError, nats.errors.NoRespondersError):
            raise Unavailable(f"no replica of {stream} answers at {self.address}") from None
        headers = {str(k): str(v) for k, v in (reply.headers or {}).items()}
        status = headers.get("Status", "")
        if status == "404":
            return None
        if status:
            raise ClientError(f"reading {stream} #{seq}: {headers.get('Description', status)}")
        committed_ms = _parse_ms(headers.get("Nats-Time-Stamp", ""))
        subject = headers.get("Nats-Subject", "")
        for key in _DIRECT_HEADERS:
            headers.pop(key, None)
        return message_row(topic_id_of(stream), seq, committed_ms, subject, reply.data, headers)

    async def _leader_get(self, stream: str, seq: int) -> EventRow | None:
        try:
            answer = await self._api(f"$JS.API.STREAM.MSG.GET.{stream}", {"seq": seq})
        except NotFound as exc:
            if "message" in str(exc).lower():
                return None
            raise
        message = answer["message"]
        headers = _parse_headers(base64.b64decode(message.get("hdrs") or b""))
        data = base64.b64decode(message.get("data") or b"")
        return message_row(
            topic_id_of(stream),
            seq,
            _parse_ms(str(message.get("time", ""))),
            str(message.get("subject", "")),
            data,
            headers,
        )

    async def _scan(
        self,
        stream: str,
        start_seq: int | None = None,
        end_seq: int | None = None,
        limit: int | None = None,
        subject: str = "",
    ) -> AsyncIterator[EventRow]:
        """Messages of ``stream`` (on ``subject``, a filter; "" for all) in order through an
        ephemeral ordered consumer, from sequence ``start_seq`` up to ``end_seq`` (inclusive)
        or ``limit`` messages; it ends early when nothing comes for ``READ_IDLE_S`` (a subject
        filter can leave the rest of the range empty)."""
        config = js_api.ConsumerConfig(
            deliver_policy=js_api.DeliverPolicy.ALL,
            ack_policy=js_api.AckPolicy.NONE,
            inactive_threshold=READER_INACTIVE_S,
        )
        if start_seq is not None and start_seq > 1:
            config.deliver_policy = js_api.DeliverPolicy.BY_START_SEQUENCE
            config.opt_start_seq = start_seq
        sub = await self._reader(stream, subject, config, 4096)
        topic_id = topic_id_of(stream)
        count = 0
        try:
            while limit is None or count < limit:
                try:
                    msg = await sub.next_msg(timeout=READ_IDLE_S)
                except (nats.errors.TimeoutError, TimeoutError):
                    return
                row = _msg_row(topic_id, msg)
                if end_seq is not None and row.offset > end_seq:
                    return
                count += 1
                yield row
                if end_seq is not None and row.offset >= end_seq:
                    return
        finally:
            self._drop_soon(sub, stream)

    async def tail(
        self, topic: str, group: str | None = None, ack: bool = False
    ) -> AsyncIterator[EventRow]:
        """Yield messages stored in stream ``topic`` from now on (an ephemeral ordered
        consumer delivering new messages), until cancelled.

        Raises:
            Unsupported: with a ``group`` (JetStream's shared consumers are not mapped).
            NotFound: no such stream.
        """
        if group:
            raise Unsupported("consumer groups are not mapped onto JetStream consumers")
        config = js_api.ConsumerConfig(
            deliver_policy=js_api.DeliverPolicy.NEW,
            ack_policy=js_api.AckPolicy.NONE,
            inactive_threshold=READER_INACTIVE_S,
        )
        sub = await self._reader(topic, "", config, 65536)
        topic_id = topic_id_of(topic)
        try:
            while True:
                try:
                    msg = await sub.next_msg(timeout=None)
                except nats.errors.ConnectionClosedError:
                    return
                yield _msg_row(topic_id, msg)
        finally:
            self._drop_soon(sub, topic)

    async def _reader(
        self, stream: str, subject: str, config: js_api.ConsumerConfig, pending: int
    ) -> Any:
        """An ordered consumer's subscription; creating it is retried for ``READER_RETRY_S``
        while the cluster answers nothing (a server died and its groups elect new leaders).

        Raises:
            NotFound: no such stream. Unavailable: still no answer after the retries.
        """
        deadline = time.monotonic() + READER_RETRY_S
        while True:
            js = self._conn.jetstream(timeout=CALL_TIMEOUT_S / 2)
            try:
                return await js.subscribe(
                    subject,
                    stream=stream,
                    ordered_consumer=True,
                    config=dataclasses.replace(config),  # subscribe fills it in
                    pending_msgs_limit=pending,
                )
            except nats.js.errors.NotFoundError:
                raise NotFound(f"no stream {stream}") from None
            except nats.errors.Error as exc:
                error = _nats_error(exc, self.address)
                if not isinstance(error, Unavailable) or time.monotonic() > deadline:
                    raise error from None
            await asyncio.sleep(0.25)

    def _drop_soon(self, sub: Any, stream: str) -> None:
        """:meth:`_drop` in a task of its own: a reader's generator may be closed where it
        cannot await (collected unfinished), and its cleanup must not need to."""
        task = asyncio.ensure_future(self._drop(sub, stream))
        self._cleanups.add(task)
        task.add_done_callback(self._cleanups.discard)

    async def _drop(self, sub: Any, stream: str) -> None:
        """Unsubscribe and delete the reader's consumer now rather than after its inactivity
        threshold, so that paging through a stream leaves no consumers behind."""
        consumer = getattr(sub, "_consumer", None)
        with contextlib.suppress(Exception):
            await sub.unsubscribe()
        if consumer and self._nc is not None and not self._nc.is_closed:
            with contextlib.suppress(Exception):
                await self._api(f"$JS.API.CONSUMER.DELETE.{stream}.{consumer}")

    async def check_subscribe(self, topic: str) -> None:
        """Return if stream ``topic`` exists and its info may be read.

        Raises:
            NotFound: no such stream.
        """
        await self._api(f"$JS.API.STREAM.INFO.{topic}")

    # -- publishing ---------------------------------------------------------------------------

    async def publish(
        self, topic_id: bytes, events: list[NewEvent], with_ids: bool = False
    ) -> PublishResult:
        """Publish events to the stream's subject (see :meth:`publish_encoded`)."""
        return await self.publish_encoded(topic_id, [encode_event(e) for e in events], with_ids)

    async def publish_encoded(
        self,
        topic_id: bytes,
        events: list[bytes],
        with_ids: bool = False,
        subject: str = "",
    ) -> PublishResult:
        """Publish encoded Ensign events as NATS messages; return once JetStream acknowledged
        every one (each stored on a majority of the stream's replicas).

        Messages go out together (``publish_async``); those not acknowledged within
        ``ACK_WAIT_S`` (a server died, a leader is being elected) are sent again with the same
        ``Nats-Msg-Id`` until ``PUBLISH_RETRY_S`` has passed, so each is stored once.
        Unlike Ensign's batches, JetStream stores each message on its own: when a publish
        fails, some of its messages may be stored.

        Args:
            topic_id: the stream's topic id.
            events: ``ensign.v1beta1.Event`` messages, encoded.
            with_ids: also return each event's id (made from its sequence and commit time).
            subject: the subject (default: the stream's own, see the module docstring).

        Returns:
            The first event's sequence (its offset), how many, and how many JetStream found
            to be duplicates of messages already stored.

        Raises:
            Refused: ``TOPIC_UNKNOWN`` if no stream takes the subject, ``MAX_EVENT_SIZE_EXCEEDED``
                for a message over the server's ``max_payload``.
            Unavailable: still unacknowledged after ``PUBLISH_RETRY_S``.
        """
        stream = stream_of(topic_id)
        target = subject or subject_of(topic_id) or await self._subject(stream)
        if target != self._subjects.get(stream) and (stream, target) not in self._checked:
            await self._check_subject(stream, target)
            self._checked.add((stream, target))
        messages = []
        max_payload = self._conn.max_payload
        for index, raw in enumerate(events):
            event = Event.FromString(raw)
            headers = event_headers(event, self._nuid.next().decode())
            if len(event.data) > max_payload:
                raise Refused(
                    "MAX_EVENT_SIZE_EXCEEDED",
                    f"event {index} is {len(event.data):,} bytes; the server takes messages "
                    f"up to {max_payload:,} bytes",
                )
            messages.append((event.data, headers))
        acks = await self._publish_all(stream, target, messages)
        seqs = [ack.seq for ack in acks]
        committed_ms = int(time.time() * 1000)
        return PublishResult(
            first_offset=min(seqs) if seqs else 0,
            count=len(acks),
            committed_ms=committed_ms,
            duplicates=sum(1 for ack in acks if ack.duplicate),
            ids=tuple(event_id(committed_ms, ack.seq) for ack in acks) if with_ids else (),
        )

    async def _check_subject(self, stream: str, subject: str) -> None:
        """Refuse, before sending, a subject the stream does not take."""
        try:
            info = await self._api(f"$JS.API.STREAM.INFO.{stream}")
        except NotFound:
            raise Refused("TOPIC_UNKNOWN", f"there is no stream {stream}") from None
        except ClientError:
            return  # cannot tell now; the publish finds out
        patterns = [str(p) for p in info["config"].get("subjects") or ()]
        if patterns and not any(subject_matches(p, subject) for p in patterns):
            raise Refused(
                "TOPIC_UNKNOWN",
                f"stream {stream} does not take subject {subject} (its subjects: "
                f"{', '.join(patterns)})",
            )

    async def _subject(self, stream: str) -> str:
        if stream not in self._subjects:
            info = await self._api(f"$JS.API.STREAM.INFO.{stream}")
            self._subjects[stream] = _publish_subject(stream, info["config"])
        return self._subjects[stream]

    async def _publish_all(
        self, stream: str, subject: str, messages: list[tuple[bytes, dict[str, str]]]
    ) -> list[js_api.PubAck]:
        acks: list[js_api.PubAck | None] = [None] * len(messages)
        deadline = time.monotonic() + PUBLISH_RETRY_S
        last_problem = ""
        while True:
            waiting = [i for i, ack in enumerate(acks) if ack is None][:ROUND_MAX]
            if not waiting:
                return [ack for ack in acks if ack is not None]
            if time.monotonic() > deadline:
                raise Unavailable(
                    f"{len(waiting)} of {len(messages)} events were not acknowledged by "
                    f"{stream} within {PUBLISH_RETRY_S:.0f} s: {last_problem}"
                )
            js = self._publishing()
            futures: dict[int, asyncio.Future[js_api.PubAck]] = {}
            latencies = self._ack_ms.setdefault(stream, [])
            try:
                for i in waiting:
                    data, headers = messages[i]
                    sent = time.perf_counter()
                    futures[i] = await js.publish_async(subject, data, headers=headers)
                    futures[i].add_done_callback(_ack_timer(latencies, sent))
            except (nats.errors.Error, OSError) as exc:
                last_problem = str(exc) or type(exc).__name__
            if futures:
                done, pending = await asyncio.wait(futures.values(), timeout=ACK_WAIT_S)
                for future in pending:
                    future.cancel()
                for i, future in futures.items():
                    if future in done and not future.cancelled():
                        problem = future.exception()
                        if problem is None:
                            acks[i] = future.result()
                        elif isinstance(problem, nats.js.errors.NoStreamResponseError):
                            last_problem = f"no stream takes subject {subject} (yet)"
                        else:
                            _refuse_or_retry(problem)
                            last_problem = str(problem)
                if pending:
                    last_problem = last_problem or "acknowledgements timed out"
            if any(acks[i] is None for i in waiting):
                await asyncio.sleep(0.2)
                if not await self._stream_exists(stream):
                    raise Refused("TOPIC_UNKNOWN", f"there is no stream {stream}")

    def _publishing(self) -> Any:
        """The connection's JetStream context for publishing, made once: each context
        subscribes an inbox of its own for PubAcks on its first ``publish_async``."""
        if self._js is None:
            self._js = self._conn.jetstream(
                timeout=ACK_WAIT_S, publish_async_max_pending=PUBLISH_WINDOW
            )
        return self._js

    async def _stream_exists(self, stream: str) -> bool:
        try:
            await self._api(f"$JS.API.STREAM.INFO.{stream}")
        except NotFound:
            return False
        except ClientError:
            return True  # cannot tell now: retry the publish
        return True

    # -- queries ------------------------------------------------------------------------------

    def query_plan(self, ensql: str, scope: QueryScope | None = None) -> QueryPlan:
        """The stream, subject and range run on the servers; the WHERE clause, the type in
        FROM, OFFSET and LIMIT here.

        Raises:
            InvalidInput: if the query is malformed.
        """
        query = _parse(ensql)
        scope = scope or QueryScope()
        server = [f"stream {stream_for_topic(query.topic)}"]
        server.append(f"subject {scope.subject}" if scope.subject else "all subjects")
        if scope.first_offset is not None or scope.last_offset is not None:
            server.append(
                f"sequences {scope.first_offset or 1} to "
                f"{scope.last_offset if scope.last_offset is not None else 'last'}"
            )
        if scope.after_ms is not None:
            server.append(f"from {_rfc3339(scope.after_ms)}")
        client = []
        if query.type_name is not None:
            client.append(f"type {query.type_name}")
        where = _where_text(ensql)
        if where:
            client.append(f"WHERE {where}")
        if scope.before_ms is not None:
            client.append(f"stop at {_rfc3339(scope.before_ms)}")
        if query.offset:
            client.append(f"OFFSET {query.offset}")
        if query.limit is not None:
            client.append(f"LIMIT {query.limit}")
        if not query.selects_all:
            client.append("the SELECT list")
        return QueryPlan(server=", ".join(server), client=", ".join(client))

    async def query(
        self,
        ensql: str,
        scope: QueryScope | None = None,
        progress: Callable[[QueryProgress], None] | None = None,
    ) -> AsyncIterator[EventRow]:
        """Scan the scope's range on the servers and keep the events the query's WHERE clause
        (and type, OFFSET, LIMIT) matches, evaluated here with the broker's own EnSQL.

        Args:
            ensql: ``SELECT … FROM <stream> [WHERE …] [OFFSET n] [LIMIT n]``.
            scope: the subject filter and sequence or time range the servers deliver.
            progress: called about every 500 scanned events, and at the end.

        Raises:
            InvalidInput: a malformed query. NotFound: no such stream.
        """
        query = _parse(ensql)
        scope = scope or QueryScope()
        stream = stream_for_topic(query.topic)
        info = await self._api(f"$JS.API.STREAM.INFO.{stream}")
        state = info["state"]
        last = int(state.get("last_seq", 0))
        first = max(1, int(state.get("first_seq", 1)))
        end = min(last, scope.last_offset) if scope.last_offset is not None else last
        start = max(scope.first_offset or first, first)
        if scope.after_ms is not None and int(state.get("messages", 0)):
            # The first sequence after the time, found on the servers by bisection.
            direct = bool(info["config"].get("allow_direct"))
            after = await self._first_after(stream, direct, first, last, scope.after_ms)
            start = max(start, after)
        total = max(0, end - start + 1)
        scanned = matched = skipped = 0
        if total == 0 or int(state.get("messages", 0)) == 0:
            if progress is not None:
                progress(QueryProgress(0, 0, 0))
            return
        async for row in self._scan(stream, start_seq=start, end_seq=end, subject=scope.subject):
            scanned += 1
            if progress is not None and scanned % 500 == 0:
                progress(QueryProgress(scanned, total, matched))
            if scope.before_ms is not None and row.committed_ms >= scope.before_ms:
                break
            if scope.after_ms is not None and row.committed_ms <= scope.after_ms:
                continue
            record = row_record(row)
            if not query.matches(record):
                continue
            if skipped < query.offset:
                skipped += 1
                continue
            matched += 1
            yield _projected(query, row, record)
            if query.limit is not None and matched >= query.limit:
                break
        if progress is not None:
            progress(QueryProgress(scanned, total, matched))

    # -- metrics ------------------------------------------------------------------------------

    async def metrics(self, history_seconds: int = 3600) -> AsyncIterator[MetricsSample]:
        """A sample each second: every stream's messages, bytes and their rates since the
        previous sample, the publish → PubAck latency of this connection's own publishes (p50,
        p99; JetStream keeps no such figure), and each durable consumer's pending count as its
        lag (JetStream keeps no history, so none comes first)."""
        previous: dict[str, tuple[float, int, int]] = {}
        while True:
            started = time.monotonic()
            topics = await self.topics()
            now = time.monotonic()
            rates = []
            for topic in topics:
                before = previous.get(topic.name)
                elapsed = now - before[0] if before else 0.0
                events_rate = (topic.events - before[1]) / elapsed if before and elapsed else 0.0
                bytes_rate = (topic.bytes - before[2]) / elapsed if before and elapsed else 0.0
                previous[topic.name] = (now, topic.events, topic.bytes)
                lags = await self._lags(stream_of(topic.id))
                rates.append(
                    TopicRate(
                        topic.id,
                        topic.name,
                        topic.events,
                        topic.bytes,
                        max(0.0, events_rate),
                        max(0.0, bytes_rate),
                        *self._ack_percentiles(stream_of(topic.id)),
                        len(lags),
                        lags,
                    )
                )
            yield MetricsSample(int(time.time() * 1000), rates, False)
            await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - started)))

    def _ack_percentiles(self, stream: str) -> tuple[float, float]:
        """This connection's publish → PubAck latency to ``stream`` since the last sample, as
        (p50, p99) in milliseconds; (0, 0) when it published nothing there."""
        latencies = sorted(self._ack_ms.pop(stream, []))
        if not latencies:
            return 0.0, 0.0
        last = len(latencies) - 1
        return latencies[last // 2], latencies[min(last, round(last * 0.99))]

    async def _lags(self, stream: str) -> dict[str, int]:
        """Each durable consumer's pending messages (not yet delivered, or not yet acked)."""
        answer = await self._api(f"$JS.API.CONSUMER.LIST.{stream}", {"offset": 0})
        lags: dict[str, int] = {}
        for consumer in answer.get("consumers") or []:
            config = consumer.get("config") or {}
            if not config.get("durable_name"):
                continue  # ordered and other ephemeral consumers: readers, not consumers
            pending = int(consumer.get("num_pending", 0)) + int(consumer.get("num_ack_pending", 0))
            lags[str(consumer.get("name", ""))] = pending
        return lags

    # -- keys ---------------------------------------------------------------------------------

    async def keys(self, project_id: bytes = b"") -> list[KeyRow]:
        """The connection's own identity and what its account allows (read-only)."""
        self._account = await self._api("$JS.API.INFO")
        s = self.settings
        if s.creds:
            who = f"creds {s.creds_source}".strip()
        elif s.nkey_seed:
            who = f"NKey {s.creds_source}".strip()
        elif s.token:
            who = "token"
        elif s.user:
            who = f"user {s.user}"
        else:
            who = "anonymous"
        return [KeyRow(who, b"", "this connection", self.permissions, 0, 0, 0)]

    async def create_key(
        self, name: str, permissions: list[str], project_id: bytes = b""
    ) -> tuple[KeyRow, str]:
        """Raises ``Unsupported``: NATS users and accounts are managed by the server's
        operator (``nsc`` or its configuration)."""
        raise Unsupported("NATS users are managed in the server's configuration or with nsc")

    async def revoke_key(self, client_id: str) -> None:
        """Raises ``Unsupported`` (see :meth:`create_key`)."""
        raise Unsupported("NATS users are managed in the server's configuration or with nsc")


class SubjectPublisher:
    """Publishes to one subject of a stream (a generator's ``Publisher``).

    Args:
        client: the connection.
        subject: the subject every event goes to (one the stream takes).
    """

    def __init__(self, client: JetStreamClient, subject: str) -> None:
        self._client = client
        self.subject = subject

    async def publish_encoded(
        self, topic_id: bytes, events: list[bytes], with_ids: bool = False
    ) -> PublishResult:
        """:meth:`JetStreamClient.publish_encoded` to this subject."""
        return await self._client.publish_encoded(topic_id, events, with_ids, self.subject)


# -- helpers ----------------------------------------------------------------------------------


def _ack_timer(
    latencies: list[float], sent: float
) -> Callable[[asyncio.Future[js_api.PubAck]], None]:
    """A PubAck future's callback that records its latency since ``sent`` (perf_counter s)."""

    def acked(future: asyncio.Future[js_api.PubAck]) -> None:
        if not future.cancelled() and future.exception() is None:
            latencies.append((time.perf_counter() - sent) * 1000)
            if len(latencies) > 2 * LATENCIES_KEPT:  # nobody reads the metrics (headless)
                del latencies[:-LATENCIES_KEPT]

    return acked


def _is_auth_problem(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "authorization" in text or "authentication" in text


async def _first_of(
    connecting: Awaitable[NatsConnection], hopeless: asyncio.Event, timeout_s: float
) -> NatsConnection:
    """The connection, unless ``hopeless`` is set or ``timeout_s`` passes first.

    Raises:
        TimeoutError: if it did not connect (the caller says why from what it saw).
    """
    task = asyncio.ensure_future(connecting)
    gave_up = asyncio.ensure_future(hopeless.wait())
    try:
        await asyncio.wait({task, gave_up}, timeout=timeout_s, return_when="FIRST_COMPLETED")
    finally:
        gave_up.cancel()
    if task.done():
        return task.result()
    task.cancel()
    with contextlib.suppress(BaseException):
        await task
    raise TimeoutError("no connection")


async def _quiet_none() -> None:
    """nats-py prints connection events by default; the client reports them as ClientErrors."""


def _publish_subject(stream: str, config: dict[str, Any]) -> str:
    subjects = [str(s) for s in config.get("subjects") or []]
    if not subjects or stream in subjects or f"{stream}.>" in subjects:
        return stream
    plain = [s for s in subjects if "*" not in s and ">" not in s]
    return plain[0] if plain else subjects[0].replace(".>", "").replace(".*", "")


def stream_for_topic(name: str) -> str:
    """The stream a topic name maps to: itself, or with ``_`` for each ``.``.

    Raises:
        InvalidInput: if neither can name a stream.
    """
    if "." in name and name.replace(".", "_") != name:
        dotted = name.replace(".", "_")
        if not name.startswith(".") and not name.endswith(".") and ".." not in name:
            return validate_stream_name(dotted)
    return validate_stream_name(name)


def _topic_row(info: dict[str, Any]) -> TopicRow:
    config, state = info["config"], info.get("state") or {}
    stream = str(config["name"])
    description = str(config.get("description") or "")
    name = (
        description.removeprefix(TOPIC_DESCRIPTION)
        if description.startswith(TOPIC_DESCRIPTION)
        else stream
    )
    last_ts = str(state.get("last_ts") or "")
    return TopicRow(
        id=topic_id_of(stream),
        project_id=b"",
        project_name=PROJECT_NAME,
        name=name,
        readonly=bool(config.get("sealed", False)),
        events=int(state.get("messages", 0)),
        bytes=int(state.get("bytes", 0)),
        duplicates=0,
        first_offset=int(state.get("first_seq", 0)),
        last_offset=int(state.get("last_seq", 0)),
        last_committed_ms=_parse_ms(last_ts) if int(state.get("messages", 0)) else 0,
        dedup_strategy="NONE",
        subjects=tuple(str(s) for s in config.get("subjects") or ()),
        replicas=int(config.get("num_replicas", 1)),
    )


_DIRECT_HEADERS = ("Nats-Stream", "Nats-Subject", "Nats-Sequence", "Nats-Time-Stamp")
"""Headers a direct get adds to the message's own."""


def _parse_headers(block: bytes) -> dict[str, str]:
    """A NATS header block (``NATS/1.0\r\nKey: value\r\n…``) as a dict."""
    headers: dict[str, str] = {}
    for line in block.decode("utf-8", "replace").split("\r\n")[1:]:
        key, sep, value = line.partition(":")
        if sep:
            headers[key.strip()] = value.strip()
    return headers


def _parse_ms(text: str) -> int:
    if not text or text.startswith("0001-"):
        return 0
    # RFC 3339 with nanoseconds: keep microseconds for fromisoformat.
    head, _, rest = text.partition(".")
    fraction = "".join(c for c in rest if c.isdigit())[:6]
    zone = rest[len("".join(c for c in rest if c.isdigit())) :] if rest else text[len(head) :]
    stamp = f"{head}.{fraction or '0'}{zone}".replace("Z", "+00:00")
    try:
        return int(datetime.datetime.fromisoformat(stamp).timestamp() * 1000)
    except ValueError:
        return 0


def _rfc3339(ms: int) -> str:
    moment = datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}Z"


def _msg_row(topic_id: bytes, msg: Msg) -> EventRow:
    meta = msg.metadata
    committed = meta.timestamp
    committed_ms = int(committed.timestamp() * 1000) if committed else 0
    headers = {str(k): str(v) for k, v in (msg.headers or {}).items()}
    return message_row(topic_id, meta.sequence.stream, committed_ms, msg.subject, msg.data, headers)


def _parse(ensql: str) -> EnsqlQuery:
    try:
        return parse_query(ensql)
    except InvalidQuery as exc:
        raise InvalidInput(str(exc)) from None


def _where_text(ensql: str) -> str:
    """The WHERE clause's text as written (for the plan), or ""."""
    upper = ensql.upper()
    at = upper.find(" WHERE ")
    if at < 0:
        return ""
    rest = ensql[at + 7 :]
    for word in (" OFFSET ", " LIMIT "):
        cut = rest.upper().rfind(word)
        if cut >= 0:
            rest = rest[:cut]
    return " ".join(rest.strip().rstrip(";").split())


def _projected(query: EnsqlQuery, row: EventRow, record: Any) -> EventRow:
    if query.selects_all:
        return row
    event = query.project(record)
    return EventRow(
        topic_id=row.topic_id,
        offset=row.offset,
        id=row.id,
        committed_ms=row.committed_ms,
        created_ms=row.created_ms,
        type_name=row.type_name,
        type_version=row.type_version,
        mimetype=int(event.mimetype),
        data=event.data,
        metadata=dict(event.metadata),
        subject=row.subject,
    )


def _account_permissions(account: dict[str, Any]) -> tuple[str, ...]:
    if not account:
        return ()
    limits = account.get("limits") or {}

    def limit(key: str, unit: str = "") -> str:
        value = int(limits.get(key, -1))
        return "unlimited" if value < 0 else f"{value:,}{unit}"

    return (
        "jetstream",
        f"streams: {account.get('streams', 0)} of {limit('max_streams')}",
        f"consumers: {account.get('consumers', 0)} of {limit('max_consumers')}",
        f"file storage: {account.get('storage', 0):,} of {limit('max_storage', ' bytes')}",
        f"memory storage: {account.get('memory', 0):,} of {limit('max_memory', ' bytes')}",
    )


def _api_error(error: dict[str, Any]) -> ClientError:
    code = int(error.get("code", 0))
    text = str(error.get("description") or error)
    if code == 404:
        return NotFound(text)
    if code in (401, 403):
        return PermissionError_(text)
    if code == 400:
        return InvalidInput(text)
    if code == 503:
        return Unavailable(text)
    return ClientError(text)


def _refuse_or_retry(problem: BaseException) -> None:
    """An API error for one message: raise it as a refusal unless a retry may succeed."""
    if isinstance(problem, nats.js.errors.APIError):
        code = problem.code or 0
        text = problem.description or str(problem)
        if code == 400 and "maximum" in text.lower():
            raise Refused("MAX_EVENT_SIZE_EXCEEDED", text)
        if code in (401, 403):
            raise Refused("PERMISSION_DENIED", text)
        if code == 404:
            raise Refused("TOPIC_UNKNOWN", text)


def _nats_error(exc: BaseException, address: str) -> ClientError:
    if isinstance(exc, nats.js.errors.APIError):
        return _api_error({"code": exc.code, "description": exc.description})
    if isinstance(exc, nats.errors.TimeoutError | nats.errors.NoRespondersError):
        return Unavailable(f"JetStream at {address} did not answer")
    return ClientError(str(exc) or type(exc).__name__)
