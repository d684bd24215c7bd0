"""The one interface every view and model uses to reach a broker, whichever engine runs it.

Two classes implement :class:`StreamClient`:

- :class:`~workbench.client.broker_client.BrokerClient`: an Ensign-compatible broker over gRPC
  (the embedded broker, or any other speaking Ensign's API and the workbench's admin service).
- :class:`~workbench.client.jetstream_client.JetStreamClient`: a NATS JetStream server or
  cluster, one stream per topic.

Topics are named by an opaque ``topic_id`` (``bytes``) the client hands out in
:class:`~workbench.client.records.TopicRow`; a view never builds one itself. Offsets are the
engine's own positions, starting at 1 and growing without gaps as events are published (an
Ensign offset, a JetStream stream sequence).

What an engine cannot do is said up front in :attr:`StreamClient.capabilities`, and a call to
it raises :class:`~workbench.client.errors.Unsupported`, so that a view can hide or disable a
control instead of failing when it is used.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Callable
from typing import Protocol, runtime_checkable

from workbench.client.connection_settings import ConnectionSettings
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
    TopicRow,
)


class Capability(enum.StrEnum):
    """Something a broker engine may or may not do."""

    PROJECTS = "projects"
    """Topics live in projects, which can be listed and created."""
    SERVER_QUERY = "server query"
    """The broker runs a whole EnSQL query (else: the range on the server, the WHERE here)."""
    ARCHIVE = "archive"
    """A topic can be made read-only."""
    DEDUP_POLICY = "dedup policy"
    """A topic has a deduplication policy that can be changed."""
    CONSUMER_GROUPS = "consumer groups"
    """A tail can read as a member of a named consumer group."""
    KEY_ADMIN = "key admin"
    """API keys can be listed, created and revoked here."""
    REPLICAS = "replicas"
    """A topic is created with a replication factor (copies on that many servers)."""
    SUBJECTS = "subjects"
    """Events can be published to a chosen subject of a topic (see ``subject_target``)."""


ENSIGN_CAPABILITIES = frozenset(Capability) - {Capability.REPLICAS, Capability.SUBJECTS}
"""What an Ensign-compatible broker does."""


@runtime_checkable
class StreamClient(Protocol):
    """A logged-in connection to one broker: topics, events, metrics and keys.

    Every method is a coroutine (or an async iterator) on the running event loop and returns
    the plain records of :mod:`workbench.client.records`. Failures raise
    :class:`~workbench.client.errors.ClientError` or one of its kinds: ``Unavailable`` (cannot
    reach the broker), ``AuthError`` (credentials refused), ``PermissionError_``,
    ``NotFound``, ``InvalidInput``, ``Refused`` (a publish refused, with a nack code) and
    ``Unsupported`` (the engine lacks the capability).
    """

    @property
    def kind(self) -> str:
        """The engine's name for people: ``"Ensign"`` or ``"NATS JetStream"``."""
        ...

    @property
    def address(self) -> str:
        """Where the client is connected, for people (``host:port`` or a URL)."""
        ...

    @property
    def capabilities(self) -> frozenset[Capability]:
        """What this engine does; calls outside it raise ``Unsupported``."""
        ...

    @property
    def ensign_settings(self) -> ConnectionSettings | None:
        """The Ensign addresses and key, for code a user runs and for captures; None when the
        engine does not speak Ensign's API."""
        ...

    @property
    def project_id(self) -> bytes:
        """The key's project (empty when the engine has none, or before a login)."""
        ...

    @property
    def permissions(self) -> tuple[str, ...]:
        """What the connection may do, in the engine's words (empty before a login)."""
        ...

    async def login(self) -> None:
        """Connect and authenticate.

        Raises:
            AuthError: the credentials are refused. Unavailable: nothing answers.
        """
        ...

    async def close(self) -> None:
        """End the connection and every stream open on it."""
        ...

    async def broker_info(self) -> BrokerInfo:
        """What the broker says about itself."""
        ...

    async def projects(self) -> list[ProjectRow]:
        """Projects this connection may see (one stand-in project without ``PROJECTS``)."""
        ...

    async def create_project(self, name: str) -> ProjectRow:
        """Create a project. Raises ``Unsupported`` without ``PROJECTS``."""
        ...

    async def topics(self, all_projects: bool = False) -> list[TopicRow]:
        """Topics with their statistics (events, bytes, first and last offsets)."""
        ...

    async def create_topic(self, name: str, project_id: bytes = b"", replicas: int = 1) -> bytes:
        """Create a topic; return its id.

        Args:
            name: the topic's name (the engine's naming rules apply; ``InvalidInput`` if not).
            project_id: the project (engines with ``PROJECTS``; empty: the key's own).
            replicas: copies kept on that many servers (engines with ``REPLICAS``; others
                ignore it).
        """
        ...

    async def archive_topic(self, topic_id: bytes) -> None:
        """Make a topic read-only. Raises ``Unsupported`` without ``ARCHIVE``."""
        ...

    async def destroy_topic(self, topic_id: bytes) -> None:
        """Delete a topic and all its events for good."""
        ...

    async def set_dedup_policy(
        self, topic_id: bytes, strategy: str, keys: list[str], fields: list[str]
    ) -> None:
        """Change a topic's dedup policy. Raises ``Unsupported`` without ``DEDUP_POLICY``."""
        ...

    def topic_ref(self, topic_id: bytes) -> str:
        """The text that names a topic in :meth:`tail` and :meth:`check_subscribe`."""
        ...

    def subject_target(self, topic_id: bytes, subject: str) -> bytes:
        """A publish target: ``subject`` of topic ``topic_id``, to give :meth:`publish` and
        :meth:`publish_encoded` in place of the topic's id (for publishing only).

        Raises:
            Unsupported: without ``SUBJECTS``. InvalidInput: a subject that is not one.
        """
        ...

    async def read_events(
        self,
        topic_id: bytes,
        offset: int | None = None,
        after_ms: int | None = None,
        from_end: bool = False,
        limit: int = 200,
    ) -> EventPage:
        """A page of a topic: ``limit`` events from ``offset`` (1 by default), from the first
        event committed after ``after_ms`` (ms since the epoch), or the last ``limit``."""
        ...

    async def publish(
        self, topic_id: bytes, events: list[NewEvent], with_ids: bool = False
    ) -> PublishResult:
        """Publish events; every one acknowledged, or ``Refused``/``ClientError`` raised."""
        ...

    async def publish_encoded(
        self, topic_id: bytes, events: list[bytes], with_ids: bool = False
    ) -> PublishResult:
        """:meth:`publish` for events encoded as ``ensign.v1beta1.Event`` messages."""
        ...

    def query(
        self,
        ensql: str,
        scope: QueryScope | None = None,
        progress: Callable[[QueryProgress], None] | None = None,
    ) -> AsyncIterator[EventRow]:
        """Run an EnSQL query and yield the matching events; cancel by closing the iterator.

        Args:
            ensql: the query (``InvalidInput`` if malformed).
            scope: the events to scan, run on the servers (engines without ``SERVER_QUERY``;
                others raise ``Unsupported`` if one is given).
            progress: called now and then while events are scanned (engines that scan here).
        """
        ...

    def query_plan(self, ensql: str, scope: QueryScope | None = None) -> QueryPlan:
        """Which parts of a query the servers run and which the workbench does.

        Raises:
            InvalidInput: if the query is malformed.
        """
        ...

    def tail(
        self, topic: str, group: str | None = None, ack: bool = False
    ) -> AsyncIterator[EventRow]:
        """Yield events published to ``topic`` (see :meth:`topic_ref`) from now on."""
        ...

    async def check_subscribe(self, topic: str) -> None:
        """Return once a subscription to ``topic`` is open (``PermissionError_``/``NotFound``
        otherwise)."""
        ...

    def metrics(self, history_seconds: int = 3600) -> AsyncIterator[MetricsSample]:
        """Yield the broker's metrics: what history it keeps, then a sample each second."""
        ...

    async def keys(self, project_id: bytes = b"") -> list[KeyRow]:
        """The keys (or, without ``KEY_ADMIN``, the connection's own identity) and what they
        allow."""
        ...

    async def create_key(
        self, name: str, permissions: list[str], project_id: bytes = b""
    ) -> tuple[KeyRow, str]:
        """Create a key; return it with its secret. ``Unsupported`` without ``KEY_ADMIN``."""
        ...

    async def revoke_key(self, client_id: str) -> None:
        """Revoke a key. ``Unsupported`` without ``KEY_ADMIN``."""
        ...
