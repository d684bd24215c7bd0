import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from embedded_broker.proto.ensign.v1beta1 import event_pb2 as _event_pb2
from embedded_broker.proto.mimetype.v1beta1 import mimetype_pb2 as _mimetype_pb2
from embedded_broker.proto.region.v1beta1 import region_pb2 as _region_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TopicState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    UNDEFINED: _ClassVar[TopicState]
    READY: _ClassVar[TopicState]
    READONLY: _ClassVar[TopicState]
    DELETING: _ClassVar[TopicState]
    PENDING: _ClassVar[TopicState]
    ALLOCATING: _ClassVar[TopicState]
    REPAIRING: _ClassVar[TopicState]

class ShardingStrategy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    UNKNOWN: _ClassVar[ShardingStrategy]
    NO_SHARDING: _ClassVar[ShardingStrategy]
    CONSISTENT_KEY_HASH: _ClassVar[ShardingStrategy]
    RANDOM: _ClassVar[ShardingStrategy]
    PUBLISHER_ORDERING: _ClassVar[ShardingStrategy]
UNDEFINED: TopicState
READY: TopicState
READONLY: TopicState
DELETING: TopicState
PENDING: TopicState
ALLOCATING: TopicState
REPAIRING: TopicState
UNKNOWN: ShardingStrategy
NO_SHARDING: ShardingStrategy
CONSISTENT_KEY_HASH: ShardingStrategy
RANDOM: ShardingStrategy
PUBLISHER_ORDERING: ShardingStrategy

class Topic(_message.Message):
    __slots__ = ("id", "project_id", "name", "readonly", "offset", "shards", "status", "deduplication", "placements", "types", "created", "modified")
    ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    READONLY_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    SHARDS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    DEDUPLICATION_FIELD_NUMBER: _ClassVar[int]
    PLACEMENTS_FIELD_NUMBER: _ClassVar[int]
    TYPES_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    MODIFIED_FIELD_NUMBER: _ClassVar[int]
    id: bytes
    project_id: bytes
    name: str
    readonly: bool
    offset: int
    shards: int
    status: TopicState
    deduplication: Deduplication
    placements: _containers.RepeatedCompositeFieldContainer[Placement]
    types: _containers.RepeatedCompositeFieldContainer[_event_pb2.Type]
    created: _timestamp_pb2.Timestamp
    modified: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[bytes] = ..., project_id: _Optional[bytes] = ..., name: _Optional[str] = ..., readonly: _Optional[bool] = ..., offset: _Optional[int] = ..., shards: _Optional[int] = ..., status: _Optional[_Union[TopicState, str]] = ..., deduplication: _Optional[_Union[Deduplication, _Mapping]] = ..., placements: _Optional[_Iterable[_Union[Placement, _Mapping]]] = ..., types: _Optional[_Iterable[_Union[_event_pb2.Type, _Mapping]]] = ..., created: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., modified: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class TopicName(_message.Message):
    __slots__ = ("topic_id", "project_id", "name")
    TOPIC_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    topic_id: str
    project_id: str
    name: str
    def __init__(self, topic_id: _Optional[str] = ..., project_id: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class TopicInfo(_message.Message):
    __slots__ = ("topic_id", "project_id", "event_offset_id", "events", "duplicates", "data_size_bytes", "types", "modified")
    TOPIC_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_OFFSET_ID_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    DUPLICATES_FIELD_NUMBER: _ClassVar[int]
    DATA_SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    TYPES_FIELD_NUMBER: _ClassVar[int]
    MODIFIED_FIELD_NUMBER: _ClassVar[int]
    topic_id: bytes
    project_id: bytes
    event_offset_id: bytes
    events: int
    duplicates: int
    data_size_bytes: int
    types: _containers.RepeatedCompositeFieldContainer[EventTypeInfo]
    modified: _timestamp_pb2.Timestamp
    def __init__(self, topic_id: _Optional[bytes] = ..., project_id: _Optional[bytes] = ..., event_offset_id: _Optional[bytes] = ..., events: _Optional[int] = ..., duplicates: _Optional[int] = ..., data_size_bytes: _Optional[int] = ..., types: _Optional[_Iterable[_Union[EventTypeInfo, _Mapping]]] = ..., modified: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class TopicsPage(_message.Message):
    __slots__ = ("topics", "next_page_token")
    TOPICS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    topics: _containers.RepeatedCompositeFieldContainer[Topic]
    next_page_token: str
    def __init__(self, topics: _Optional[_Iterable[_Union[Topic, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class TopicNamesPage(_message.Message):
    __slots__ = ("topic_names", "next_page_token")
    TOPIC_NAMES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    topic_names: _containers.RepeatedCompositeFieldContainer[TopicName]
    next_page_token: str
    def __init__(self, topic_names: _Optional[_Iterable[_Union[TopicName, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class TopicMod(_message.Message):
    __slots__ = ("id", "operation")
    class Operation(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        NOOP: _ClassVar[TopicMod.Operation]
        ARCHIVE: _ClassVar[TopicMod.Operation]
        DESTROY: _ClassVar[TopicMod.Operation]
    NOOP: TopicMod.Operation
    ARCHIVE: TopicMod.Operation
    DESTROY: TopicMod.Operation
    ID_FIELD_NUMBER: _ClassVar[int]
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    id: str
    operation: TopicMod.Operation
    def __init__(self, id: _Optional[str] = ..., operation: _Optional[_Union[TopicMod.Operation, str]] = ...) -> None: ...

class TopicStatus(_message.Message):
    __slots__ = ("id", "state")
    ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    id: str
    state: TopicState
    def __init__(self, id: _Optional[str] = ..., state: _Optional[_Union[TopicState, str]] = ...) -> None: ...

class TopicExistsInfo(_message.Message):
    __slots__ = ("query", "exists")
    QUERY_FIELD_NUMBER: _ClassVar[int]
    EXISTS_FIELD_NUMBER: _ClassVar[int]
    query: str
    exists: bool
    def __init__(self, query: _Optional[str] = ..., exists: _Optional[bool] = ...) -> None: ...

class TopicPolicy(_message.Message):
    __slots__ = ("id", "deduplication_policy", "sharding_strategy")
    ID_FIELD_NUMBER: _ClassVar[int]
    DEDUPLICATION_POLICY_FIELD_NUMBER: _ClassVar[int]
    SHARDING_STRATEGY_FIELD_NUMBER: _ClassVar[int]
    id: str
    deduplication_policy: Deduplication
    sharding_strategy: ShardingStrategy
    def __init__(self, id: _Optional[str] = ..., deduplication_policy: _Optional[_Union[Deduplication, _Mapping]] = ..., sharding_strategy: _Optional[_Union[ShardingStrategy, str]] = ...) -> None: ...

class Deduplication(_message.Message):
    __slots__ = ("strategy", "offset", "keys", "fields", "overwrite_duplicate")
    class Strategy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        UNKNOWN: _ClassVar[Deduplication.Strategy]
        NONE: _ClassVar[Deduplication.Strategy]
        STRICT: _ClassVar[Deduplication.Strategy]
        DATAGRAM: _ClassVar[Deduplication.Strategy]
        KEY_GROUPED: _ClassVar[Deduplication.Strategy]
        UNIQUE_KEY: _ClassVar[Deduplication.Strategy]
        UNIQUE_FIELD: _ClassVar[Deduplication.Strategy]
    UNKNOWN: Deduplication.Strategy
    NONE: Deduplication.Strategy
    STRICT: Deduplication.Strategy
    DATAGRAM: Deduplication.Strategy
    KEY_GROUPED: Deduplication.Strategy
    UNIQUE_KEY: Deduplication.Strategy
    UNIQUE_FIELD: Deduplication.Strategy
    class OffsetPosition(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        OFFSET_UNKNOWN: _ClassVar[Deduplication.OffsetPosition]
        OFFSET_EARLIEST: _ClassVar[Deduplication.OffsetPosition]
        OFFSET_LATEST: _ClassVar[Deduplication.OffsetPosition]
    OFFSET_UNKNOWN: Deduplication.OffsetPosition
    OFFSET_EARLIEST: Deduplication.OffsetPosition
    OFFSET_LATEST: Deduplication.OffsetPosition
    STRATEGY_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    KEYS_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    OVERWRITE_DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    strategy: Deduplication.Strategy
    offset: Deduplication.OffsetPosition
    keys: _containers.RepeatedScalarFieldContainer[str]
    fields: _containers.RepeatedScalarFieldContainer[str]
    overwrite_duplicate: bool
    def __init__(self, strategy: _Optional[_Union[Deduplication.Strategy, str]] = ..., offset: _Optional[_Union[Deduplication.OffsetPosition, str]] = ..., keys: _Optional[_Iterable[str]] = ..., fields: _Optional[_Iterable[str]] = ..., overwrite_duplicate: _Optional[bool] = ...) -> None: ...

class Placement(_message.Message):
    __slots__ = ("epoch", "sharding", "regions", "nodes")
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    SHARDING_FIELD_NUMBER: _ClassVar[int]
    REGIONS_FIELD_NUMBER: _ClassVar[int]
    NODES_FIELD_NUMBER: _ClassVar[int]
    epoch: int
    sharding: ShardingStrategy
    regions: _containers.RepeatedScalarFieldContainer[_region_pb2.Region]
    nodes: _containers.RepeatedCompositeFieldContainer[Node]
    def __init__(self, epoch: _Optional[int] = ..., sharding: _Optional[_Union[ShardingStrategy, str]] = ..., regions: _Optional[_Iterable[_Union[_region_pb2.Region, str]]] = ..., nodes: _Optional[_Iterable[_Union[Node, _Mapping]]] = ...) -> None: ...

class Node(_message.Message):
    __slots__ = ("id", "hostname", "quorum", "shard", "region", "url")
    ID_FIELD_NUMBER: _ClassVar[int]
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    QUORUM_FIELD_NUMBER: _ClassVar[int]
    SHARD_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    id: str
    hostname: str
    quorum: int
    shard: int
    region: _region_pb2.Region
    url: str
    def __init__(self, id: _Optional[str] = ..., hostname: _Optional[str] = ..., quorum: _Optional[int] = ..., shard: _Optional[int] = ..., region: _Optional[_Union[_region_pb2.Region, str]] = ..., url: _Optional[str] = ...) -> None: ...

class EventTypeInfo(_message.Message):
    __slots__ = ("type", "mimetype", "events", "duplicates", "data_size_bytes", "modified")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    MIMETYPE_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    DUPLICATES_FIELD_NUMBER: _ClassVar[int]
    DATA_SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    MODIFIED_FIELD_NUMBER: _ClassVar[int]
    type: _event_pb2.Type
    mimetype: _mimetype_pb2.MIME
    events: int
    duplicates: int
    data_size_bytes: int
    modified: _timestamp_pb2.Timestamp
    def __init__(self, type: _Optional[_Union[_event_pb2.Type, _Mapping]] = ..., mimetype: _Optional[_Union[_mimetype_pb2.MIME, str]] = ..., events: _Optional[int] = ..., duplicates: _Optional[int] = ..., data_size_bytes: _Optional[int] = ..., modified: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
