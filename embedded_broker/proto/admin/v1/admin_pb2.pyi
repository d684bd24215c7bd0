import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from embedded_broker.proto.ensign.v1beta1 import event_pb2 as _event_pb2
from embedded_broker.proto.ensign.v1beta1 import topic_pb2 as _topic_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BrokerInfoRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class BrokerInfoReply(_message.Message):
    __slots__ = ("version", "uptime_seconds", "data_dir", "grpc_address", "auth_url", "tls", "tls_fingerprint_sha256", "pid")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    UPTIME_SECONDS_FIELD_NUMBER: _ClassVar[int]
    DATA_DIR_FIELD_NUMBER: _ClassVar[int]
    GRPC_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    AUTH_URL_FIELD_NUMBER: _ClassVar[int]
    TLS_FIELD_NUMBER: _ClassVar[int]
    TLS_FINGERPRINT_SHA256_FIELD_NUMBER: _ClassVar[int]
    PID_FIELD_NUMBER: _ClassVar[int]
    version: str
    uptime_seconds: float
    data_dir: str
    grpc_address: str
    auth_url: str
    tls: bool
    tls_fingerprint_sha256: str
    pid: int
    def __init__(self, version: _Optional[str] = ..., uptime_seconds: _Optional[float] = ..., data_dir: _Optional[str] = ..., grpc_address: _Optional[str] = ..., auth_url: _Optional[str] = ..., tls: _Optional[bool] = ..., tls_fingerprint_sha256: _Optional[str] = ..., pid: _Optional[int] = ...) -> None: ...

class Project(_message.Message):
    __slots__ = ("id", "name", "created")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    id: bytes
    name: str
    created: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[bytes] = ..., name: _Optional[str] = ..., created: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListProjectsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListProjectsReply(_message.Message):
    __slots__ = ("projects",)
    PROJECTS_FIELD_NUMBER: _ClassVar[int]
    projects: _containers.RepeatedCompositeFieldContainer[Project]
    def __init__(self, projects: _Optional[_Iterable[_Union[Project, _Mapping]]] = ...) -> None: ...

class CreateProjectRequest(_message.Message):
    __slots__ = ("name", "ensure")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ENSURE_FIELD_NUMBER: _ClassVar[int]
    name: str
    ensure: bool
    def __init__(self, name: _Optional[str] = ..., ensure: _Optional[bool] = ...) -> None: ...

class ApiKey(_message.Message):
    __slots__ = ("id", "client_id", "project_id", "name", "permissions", "created", "last_used", "revoked")
    ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PERMISSIONS_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    LAST_USED_FIELD_NUMBER: _ClassVar[int]
    REVOKED_FIELD_NUMBER: _ClassVar[int]
    id: bytes
    client_id: str
    project_id: bytes
    name: str
    permissions: _containers.RepeatedScalarFieldContainer[str]
    created: _timestamp_pb2.Timestamp
    last_used: _timestamp_pb2.Timestamp
    revoked: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[bytes] = ..., client_id: _Optional[str] = ..., project_id: _Optional[bytes] = ..., name: _Optional[str] = ..., permissions: _Optional[_Iterable[str]] = ..., created: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_used: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., revoked: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateKeyRequest(_message.Message):
    __slots__ = ("project_id", "name", "permissions")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PERMISSIONS_FIELD_NUMBER: _ClassVar[int]
    project_id: bytes
    name: str
    permissions: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, project_id: _Optional[bytes] = ..., name: _Optional[str] = ..., permissions: _Optional[_Iterable[str]] = ...) -> None: ...

class CreatedKey(_message.Message):
    __slots__ = ("key", "client_secret")
    KEY_FIELD_NUMBER: _ClassVar[int]
    CLIENT_SECRET_FIELD_NUMBER: _ClassVar[int]
    key: ApiKey
    client_secret: str
    def __init__(self, key: _Optional[_Union[ApiKey, _Mapping]] = ..., client_secret: _Optional[str] = ...) -> None: ...

class ListKeysRequest(_message.Message):
    __slots__ = ("project_id",)
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    project_id: bytes
    def __init__(self, project_id: _Optional[bytes] = ...) -> None: ...

class ListKeysReply(_message.Message):
    __slots__ = ("keys",)
    KEYS_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedCompositeFieldContainer[ApiKey]
    def __init__(self, keys: _Optional[_Iterable[_Union[ApiKey, _Mapping]]] = ...) -> None: ...

class RevokeKeyRequest(_message.Message):
    __slots__ = ("client_id",)
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    def __init__(self, client_id: _Optional[str] = ...) -> None: ...

class TopicDetails(_message.Message):
    __slots__ = ("topic", "project_name", "events", "data_size_bytes", "duplicates", "first_offset", "last_offset", "first_committed", "last_committed", "types")
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    PROJECT_NAME_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    DATA_SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    DUPLICATES_FIELD_NUMBER: _ClassVar[int]
    FIRST_OFFSET_FIELD_NUMBER: _ClassVar[int]
    LAST_OFFSET_FIELD_NUMBER: _ClassVar[int]
    FIRST_COMMITTED_FIELD_NUMBER: _ClassVar[int]
    LAST_COMMITTED_FIELD_NUMBER: _ClassVar[int]
    TYPES_FIELD_NUMBER: _ClassVar[int]
    topic: _topic_pb2.Topic
    project_name: str
    events: int
    data_size_bytes: int
    duplicates: int
    first_offset: int
    last_offset: int
    first_committed: _timestamp_pb2.Timestamp
    last_committed: _timestamp_pb2.Timestamp
    types: _containers.RepeatedCompositeFieldContainer[_topic_pb2.EventTypeInfo]
    def __init__(self, topic: _Optional[_Union[_topic_pb2.Topic, _Mapping]] = ..., project_name: _Optional[str] = ..., events: _Optional[int] = ..., data_size_bytes: _Optional[int] = ..., duplicates: _Optional[int] = ..., first_offset: _Optional[int] = ..., last_offset: _Optional[int] = ..., first_committed: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_committed: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., types: _Optional[_Iterable[_Union[_topic_pb2.EventTypeInfo, _Mapping]]] = ...) -> None: ...

class ListTopicsRequest(_message.Message):
    __slots__ = ("project_id", "all_projects")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    ALL_PROJECTS_FIELD_NUMBER: _ClassVar[int]
    project_id: bytes
    all_projects: bool
    def __init__(self, project_id: _Optional[bytes] = ..., all_projects: _Optional[bool] = ...) -> None: ...

class ListTopicsReply(_message.Message):
    __slots__ = ("topics",)
    TOPICS_FIELD_NUMBER: _ClassVar[int]
    topics: _containers.RepeatedCompositeFieldContainer[TopicDetails]
    def __init__(self, topics: _Optional[_Iterable[_Union[TopicDetails, _Mapping]]] = ...) -> None: ...

class PublishBatchRequest(_message.Message):
    __slots__ = ("topic_id", "events", "with_ids")
    TOPIC_ID_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    WITH_IDS_FIELD_NUMBER: _ClassVar[int]
    topic_id: bytes
    events: _containers.RepeatedScalarFieldContainer[bytes]
    with_ids: bool
    def __init__(self, topic_id: _Optional[bytes] = ..., events: _Optional[_Iterable[bytes]] = ..., with_ids: _Optional[bool] = ...) -> None: ...

class PublishBatchEvents(_message.Message):
    __slots__ = ("topic_id", "events")
    TOPIC_ID_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    topic_id: bytes
    events: _containers.RepeatedCompositeFieldContainer[_event_pb2.Event]
    def __init__(self, topic_id: _Optional[bytes] = ..., events: _Optional[_Iterable[_Union[_event_pb2.Event, _Mapping]]] = ...) -> None: ...

class PublishBatchReply(_message.Message):
    __slots__ = ("first_offset", "count", "committed", "duplicates", "ids")
    FIRST_OFFSET_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    COMMITTED_FIELD_NUMBER: _ClassVar[int]
    DUPLICATES_FIELD_NUMBER: _ClassVar[int]
    IDS_FIELD_NUMBER: _ClassVar[int]
    first_offset: int
    count: int
    committed: _timestamp_pb2.Timestamp
    duplicates: int
    ids: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, first_offset: _Optional[int] = ..., count: _Optional[int] = ..., committed: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., duplicates: _Optional[int] = ..., ids: _Optional[_Iterable[bytes]] = ...) -> None: ...

class ReadEventsRequest(_message.Message):
    __slots__ = ("topic_id", "offset", "after", "from_end", "limit")
    TOPIC_ID_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    AFTER_FIELD_NUMBER: _ClassVar[int]
    FROM_END_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    topic_id: bytes
    offset: int
    after: _timestamp_pb2.Timestamp
    from_end: bool
    limit: int
    def __init__(self, topic_id: _Optional[bytes] = ..., offset: _Optional[int] = ..., after: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., from_end: _Optional[bool] = ..., limit: _Optional[int] = ...) -> None: ...

class ReadEventsReply(_message.Message):
    __slots__ = ("events", "next_offset", "last_offset")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_OFFSET_FIELD_NUMBER: _ClassVar[int]
    LAST_OFFSET_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[_event_pb2.EventWrapper]
    next_offset: int
    last_offset: int
    def __init__(self, events: _Optional[_Iterable[_Union[_event_pb2.EventWrapper, _Mapping]]] = ..., next_offset: _Optional[int] = ..., last_offset: _Optional[int] = ...) -> None: ...

class MetricsRequest(_message.Message):
    __slots__ = ("history_seconds", "all_projects")
    HISTORY_SECONDS_FIELD_NUMBER: _ClassVar[int]
    ALL_PROJECTS_FIELD_NUMBER: _ClassVar[int]
    history_seconds: int
    all_projects: bool
    def __init__(self, history_seconds: _Optional[int] = ..., all_projects: _Optional[bool] = ...) -> None: ...

class TopicRate(_message.Message):
    __slots__ = ("topic_id", "name", "project_id", "events", "data_size_bytes", "events_per_second", "bytes_per_second", "ack_latency_p50_ms", "ack_latency_p99_ms", "lags", "subscribers")
    TOPIC_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    DATA_SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    EVENTS_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    BYTES_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    ACK_LATENCY_P50_MS_FIELD_NUMBER: _ClassVar[int]
    ACK_LATENCY_P99_MS_FIELD_NUMBER: _ClassVar[int]
    LAGS_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIBERS_FIELD_NUMBER: _ClassVar[int]
    topic_id: bytes
    name: str
    project_id: bytes
    events: int
    data_size_bytes: int
    events_per_second: float
    bytes_per_second: float
    ack_latency_p50_ms: float
    ack_latency_p99_ms: float
    lags: _containers.RepeatedCompositeFieldContainer[GroupLag]
    subscribers: int
    def __init__(self, topic_id: _Optional[bytes] = ..., name: _Optional[str] = ..., project_id: _Optional[bytes] = ..., events: _Optional[int] = ..., data_size_bytes: _Optional[int] = ..., events_per_second: _Optional[float] = ..., bytes_per_second: _Optional[float] = ..., ack_latency_p50_ms: _Optional[float] = ..., ack_latency_p99_ms: _Optional[float] = ..., lags: _Optional[_Iterable[_Union[GroupLag, _Mapping]]] = ..., subscribers: _Optional[int] = ...) -> None: ...

class GroupLag(_message.Message):
    __slots__ = ("group", "lag")
    GROUP_FIELD_NUMBER: _ClassVar[int]
    LAG_FIELD_NUMBER: _ClassVar[int]
    group: str
    lag: int
    def __init__(self, group: _Optional[str] = ..., lag: _Optional[int] = ...) -> None: ...

class MetricsSample(_message.Message):
    __slots__ = ("at", "topics", "history")
    AT_FIELD_NUMBER: _ClassVar[int]
    TOPICS_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    at: _timestamp_pb2.Timestamp
    topics: _containers.RepeatedCompositeFieldContainer[TopicRate]
    history: bool
    def __init__(self, at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., topics: _Optional[_Iterable[_Union[TopicRate, _Mapping]]] = ..., history: _Optional[bool] = ...) -> None: ...
