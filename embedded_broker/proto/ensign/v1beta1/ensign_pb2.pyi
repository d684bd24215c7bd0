import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from embedded_broker.proto.ensign.v1beta1 import event_pb2 as _event_pb2
from embedded_broker.proto.ensign.v1beta1 import groups_pb2 as _groups_pb2
from embedded_broker.proto.ensign.v1beta1 import query_pb2 as _query_pb2
from embedded_broker.proto.ensign.v1beta1 import topic_pb2 as _topic_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PublisherRequest(_message.Message):
    __slots__ = ("event", "open_stream")
    EVENT_FIELD_NUMBER: _ClassVar[int]
    OPEN_STREAM_FIELD_NUMBER: _ClassVar[int]
    event: _event_pb2.EventWrapper
    open_stream: OpenStream
    def __init__(self, event: _Optional[_Union[_event_pb2.EventWrapper, _Mapping]] = ..., open_stream: _Optional[_Union[OpenStream, _Mapping]] = ...) -> None: ...

class PublisherReply(_message.Message):
    __slots__ = ("ack", "nack", "ready", "close_stream")
    ACK_FIELD_NUMBER: _ClassVar[int]
    NACK_FIELD_NUMBER: _ClassVar[int]
    READY_FIELD_NUMBER: _ClassVar[int]
    CLOSE_STREAM_FIELD_NUMBER: _ClassVar[int]
    ack: Ack
    nack: Nack
    ready: StreamReady
    close_stream: CloseStream
    def __init__(self, ack: _Optional[_Union[Ack, _Mapping]] = ..., nack: _Optional[_Union[Nack, _Mapping]] = ..., ready: _Optional[_Union[StreamReady, _Mapping]] = ..., close_stream: _Optional[_Union[CloseStream, _Mapping]] = ...) -> None: ...

class SubscribeRequest(_message.Message):
    __slots__ = ("ack", "nack", "subscription")
    ACK_FIELD_NUMBER: _ClassVar[int]
    NACK_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ack: Ack
    nack: Nack
    subscription: Subscription
    def __init__(self, ack: _Optional[_Union[Ack, _Mapping]] = ..., nack: _Optional[_Union[Nack, _Mapping]] = ..., subscription: _Optional[_Union[Subscription, _Mapping]] = ...) -> None: ...

class SubscribeReply(_message.Message):
    __slots__ = ("event", "ready", "close_stream")
    EVENT_FIELD_NUMBER: _ClassVar[int]
    READY_FIELD_NUMBER: _ClassVar[int]
    CLOSE_STREAM_FIELD_NUMBER: _ClassVar[int]
    event: _event_pb2.EventWrapper
    ready: StreamReady
    close_stream: CloseStream
    def __init__(self, event: _Optional[_Union[_event_pb2.EventWrapper, _Mapping]] = ..., ready: _Optional[_Union[StreamReady, _Mapping]] = ..., close_stream: _Optional[_Union[CloseStream, _Mapping]] = ...) -> None: ...

class Ack(_message.Message):
    __slots__ = ("id", "committed")
    ID_FIELD_NUMBER: _ClassVar[int]
    COMMITTED_FIELD_NUMBER: _ClassVar[int]
    id: bytes
    committed: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[bytes] = ..., committed: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Nack(_message.Message):
    __slots__ = ("id", "code", "error")
    class Code(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        UNKNOWN: _ClassVar[Nack.Code]
        MAX_EVENT_SIZE_EXCEEDED: _ClassVar[Nack.Code]
        TOPIC_UNKNOWN: _ClassVar[Nack.Code]
        TOPIC_ARCHIVED: _ClassVar[Nack.Code]
        TOPIC_DELETED: _ClassVar[Nack.Code]
        PERMISSION_DENIED: _ClassVar[Nack.Code]
        CONSENSUS_FAILURE: _ClassVar[Nack.Code]
        SHARDING_FAILURE: _ClassVar[Nack.Code]
        REDIRECT: _ClassVar[Nack.Code]
        INTERNAL: _ClassVar[Nack.Code]
        UNPROCESSED: _ClassVar[Nack.Code]
        TIMEOUT: _ClassVar[Nack.Code]
        UNHANDLED_MIMETYPE: _ClassVar[Nack.Code]
        UNKNOWN_TYPE: _ClassVar[Nack.Code]
        DELIVER_AGAIN_ANY: _ClassVar[Nack.Code]
        DELIVER_AGAIN_NOT_ME: _ClassVar[Nack.Code]
    UNKNOWN: Nack.Code
    MAX_EVENT_SIZE_EXCEEDED: Nack.Code
    TOPIC_UNKNOWN: Nack.Code
    TOPIC_ARCHIVED: Nack.Code
    TOPIC_DELETED: Nack.Code
    PERMISSION_DENIED: Nack.Code
    CONSENSUS_FAILURE: Nack.Code
    SHARDING_FAILURE: Nack.Code
    REDIRECT: Nack.Code
    INTERNAL: Nack.Code
    UNPROCESSED: Nack.Code
    TIMEOUT: Nack.Code
    UNHANDLED_MIMETYPE: Nack.Code
    UNKNOWN_TYPE: Nack.Code
    DELIVER_AGAIN_ANY: Nack.Code
    DELIVER_AGAIN_NOT_ME: Nack.Code
    ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    id: bytes
    code: Nack.Code
    error: str
    def __init__(self, id: _Optional[bytes] = ..., code: _Optional[_Union[Nack.Code, str]] = ..., error: _Optional[str] = ...) -> None: ...

class OpenStream(_message.Message):
    __slots__ = ("client_id", "topics")
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    TOPICS_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    topics: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, client_id: _Optional[str] = ..., topics: _Optional[_Iterable[str]] = ...) -> None: ...

class CloseStream(_message.Message):
    __slots__ = ("events", "topics", "acks", "nacks")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    TOPICS_FIELD_NUMBER: _ClassVar[int]
    ACKS_FIELD_NUMBER: _ClassVar[int]
    NACKS_FIELD_NUMBER: _ClassVar[int]
    events: int
    topics: int
    acks: int
    nacks: int
    def __init__(self, events: _Optional[int] = ..., topics: _Optional[int] = ..., acks: _Optional[int] = ..., nacks: _Optional[int] = ...) -> None: ...

class StreamReady(_message.Message):
    __slots__ = ("client_id", "server_id", "topics")
    class TopicsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: bytes
        def __init__(self, key: _Optional[str] = ..., value: _Optional[bytes] = ...) -> None: ...
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    SERVER_ID_FIELD_NUMBER: _ClassVar[int]
    TOPICS_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    server_id: str
    topics: _containers.ScalarMap[str, bytes]
    def __init__(self, client_id: _Optional[str] = ..., server_id: _Optional[str] = ..., topics: _Optional[_Mapping[str, bytes]] = ...) -> None: ...

class Subscription(_message.Message):
    __slots__ = ("client_id", "topics", "query", "group")
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    TOPICS_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    GROUP_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    topics: _containers.RepeatedScalarFieldContainer[str]
    query: _query_pb2.Query
    group: _groups_pb2.ConsumerGroup
    def __init__(self, client_id: _Optional[str] = ..., topics: _Optional[_Iterable[str]] = ..., query: _Optional[_Union[_query_pb2.Query, _Mapping]] = ..., group: _Optional[_Union[_groups_pb2.ConsumerGroup, _Mapping]] = ...) -> None: ...

class InfoRequest(_message.Message):
    __slots__ = ("topics",)
    TOPICS_FIELD_NUMBER: _ClassVar[int]
    topics: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, topics: _Optional[_Iterable[bytes]] = ...) -> None: ...

class ProjectInfo(_message.Message):
    __slots__ = ("project_id", "num_topics", "num_readonly_topics", "events", "duplicates", "data_size_bytes", "topics")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    NUM_TOPICS_FIELD_NUMBER: _ClassVar[int]
    NUM_READONLY_TOPICS_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    DUPLICATES_FIELD_NUMBER: _ClassVar[int]
    DATA_SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    TOPICS_FIELD_NUMBER: _ClassVar[int]
    project_id: bytes
    num_topics: int
    num_readonly_topics: int
    events: int
    duplicates: int
    data_size_bytes: int
    topics: _containers.RepeatedCompositeFieldContainer[_topic_pb2.TopicInfo]
    def __init__(self, project_id: _Optional[bytes] = ..., num_topics: _Optional[int] = ..., num_readonly_topics: _Optional[int] = ..., events: _Optional[int] = ..., duplicates: _Optional[int] = ..., data_size_bytes: _Optional[int] = ..., topics: _Optional[_Iterable[_Union[_topic_pb2.TopicInfo, _Mapping]]] = ...) -> None: ...

class HealthCheck(_message.Message):
    __slots__ = ("attempts", "last_checked_at")
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    LAST_CHECKED_AT_FIELD_NUMBER: _ClassVar[int]
    attempts: int
    last_checked_at: _timestamp_pb2.Timestamp
    def __init__(self, attempts: _Optional[int] = ..., last_checked_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ServiceState(_message.Message):
    __slots__ = ("status", "version", "uptime", "not_before", "not_after")
    class Status(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        UNKNOWN: _ClassVar[ServiceState.Status]
        HEALTHY: _ClassVar[ServiceState.Status]
        UNHEALTHY: _ClassVar[ServiceState.Status]
        DANGER: _ClassVar[ServiceState.Status]
        OFFLINE: _ClassVar[ServiceState.Status]
        MAINTENANCE: _ClassVar[ServiceState.Status]
    UNKNOWN: ServiceState.Status
    HEALTHY: ServiceState.Status
    UNHEALTHY: ServiceState.Status
    DANGER: ServiceState.Status
    OFFLINE: ServiceState.Status
    MAINTENANCE: ServiceState.Status
    STATUS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    UPTIME_FIELD_NUMBER: _ClassVar[int]
    NOT_BEFORE_FIELD_NUMBER: _ClassVar[int]
    NOT_AFTER_FIELD_NUMBER: _ClassVar[int]
    status: ServiceState.Status
    version: str
    uptime: _duration_pb2.Duration
    not_before: _timestamp_pb2.Timestamp
    not_after: _timestamp_pb2.Timestamp
    def __init__(self, status: _Optional[_Union[ServiceState.Status, str]] = ..., version: _Optional[str] = ..., uptime: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., not_before: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., not_after: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class PageInfo(_message.Message):
    __slots__ = ("page_size", "next_page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    next_page_token: str
    def __init__(self, page_size: _Optional[int] = ..., next_page_token: _Optional[str] = ...) -> None: ...
