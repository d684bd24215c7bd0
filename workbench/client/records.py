"""Plain records the views show: topics, events, metrics samples, keys (no protobuf, no Qt)."""

from __future__ import annotations

from dataclasses import dataclass, field

from embedded_broker.core.mime_names import mime_text


@dataclass(frozen=True, slots=True)
class ProjectRow:
    """A project."""

    id: bytes
    name: str


@dataclass(frozen=True, slots=True)
class TopicRow:
    """A topic and its statistics."""

    id: bytes
    project_id: bytes
    project_name: str
    name: str
    readonly: bool
    events: int
    bytes: int
    duplicates: int
    first_offset: int
    last_offset: int
    last_committed_ms: int
    dedup_strategy: str
    dedup_keys: tuple[str, ...] = ()
    dedup_fields: tuple[str, ...] = ()
    subjects: tuple[str, ...] = ()
    """The NATS subjects a JetStream stream listens on (empty for an Ensign topic)."""
    replicas: int = 1
    """How many servers keep a copy (a JetStream stream's replication factor)."""


@dataclass(frozen=True, slots=True)
class EventRow:
    """One stored event, decoded."""

    topic_id: bytes
    offset: int
    id: bytes
    committed_ms: int
    created_ms: int
    type_name: str
    type_version: str
    mimetype: int
    data: bytes
    metadata: dict[str, str] = field(default_factory=dict)
    is_duplicate: bool = False
    subject: str = ""
    """The NATS subject it was published to (JetStream only; "" for Ensign)."""

    @property
    def mimetype_text(self) -> str:
        """The mimetype as text, e.g. 'application/json'."""
        return mime_text(self.mimetype)

    @property
    def size(self) -> int:
        """The payload's size in bytes."""
        return len(self.data)

    def preview(self, limit: int = 120) -> str:
        """A one-line preview of the payload."""
        try:
            text = self.data.decode("utf-8")
        except UnicodeDecodeError:
            shown = self.data[: limit // 3].hex(" ")
            return shown + (" …" if len(self.data) > limit // 3 else "")
        text = " ".join(text.split())
        return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True, slots=True)
class EventPage:
    """A page of a topic's events."""

    events: list[EventRow]
    next_offset: int
    last_offset: int


@dataclass(frozen=True, slots=True)
class StoredPage:
    """Events of a topic as the broker stores them: each an encoded ``ensign.v1beta1.Event``,
    byte for byte what its publisher sent (no envelope)."""

    events: list[tuple[int, bytes]]
    """(offset, encoded event) pairs, in offset order."""
    next_offset: int
    """Where the next page starts."""
    last_offset: int
    """The topic's last offset when the page was read (0: an empty topic)."""


@dataclass(frozen=True, slots=True)
class TopicRate:
    """One topic in a metrics sample."""

    topic_id: bytes
    name: str
    events: int
    bytes: int
    events_per_second: float
    bytes_per_second: float
    ack_latency_p50_ms: float
    ack_latency_p99_ms: float
    subscribers: int
    lags: dict[str, int]


@dataclass(frozen=True, slots=True)
class MetricsSample:
    """Every topic at one moment."""

    at_ms: int
    topics: list[TopicRate]
    history: bool


@dataclass(frozen=True, slots=True)
class BrokerInfo:
    """What the broker says about itself."""

    version: str
    uptime_seconds: float
    data_dir: str
    grpc_address: str
    auth_url: str
    tls: bool
    pid: int


@dataclass(frozen=True, slots=True)
class KeyRow:
    """An API key's public record."""

    client_id: str
    project_id: bytes
    name: str
    permissions: tuple[str, ...]
    created_ms: int
    last_used_ms: int
    revoked_ms: int


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event to publish."""

    data: bytes
    mimetype: int = 0
    type_name: str = "Generic"
    type_version: str = "1.0.0"
    metadata: dict[str, str] = field(default_factory=dict)
    created_ms: int | None = None
    """The event's creation time in milliseconds since the epoch; None: when it is encoded."""


@dataclass(frozen=True, slots=True)
class PublishResult:
    """A batch the broker acknowledged: every event in it is durably committed."""

    first_offset: int
    """The first event's offset; on Ensign the others follow it without gaps (on JetStream,
    another publisher's messages may come between them)."""
    count: int
    committed_ms: int
    """When the batch was committed, in milliseconds since the epoch."""
    duplicates: int
    """How many events the topic's deduplication policy found to be duplicates."""
    ids: tuple[bytes, ...] = ()
    """Each event's 10-byte id, in order (only when asked for)."""


@dataclass(frozen=True, slots=True)
class QueryScope:
    """The part of a query an engine without EnSQL runs on its servers: which events to scan.

    Attributes:
        subject: a NATS subject filter (wildcards ``*`` and ``>`` allowed); "" for all.
        first_offset, last_offset: an inclusive offset range (None: from the first / to the
            last event).
        after_ms, before_ms: a commit-time range, ms since the epoch (None: open).
    """

    subject: str = ""
    first_offset: int | None = None
    last_offset: int | None = None
    after_ms: int | None = None
    before_ms: int | None = None


@dataclass(frozen=True, slots=True)
class QueryPlan:
    """Which parts of a query run where, in words for people."""

    server: str
    """What the broker's servers do (e.g. "stream orders, subject orders.eu, offsets 1-500")."""
    client: str
    """What the workbench does over what they send ("" when nothing)."""


@dataclass(frozen=True, slots=True)
class QueryProgress:
    """How far a query scanned: ``scanned`` of ``total`` events, ``matched`` of them kept."""

    scanned: int
    total: int
    matched: int
