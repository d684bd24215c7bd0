import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DeliverySemantic(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    UNSPECIFIED: _ClassVar[DeliverySemantic]
    AT_MOST_ONCE: _ClassVar[DeliverySemantic]
    AT_LEAST_ONCE: _ClassVar[DeliverySemantic]
    EXACTLY_ONCE: _ClassVar[DeliverySemantic]
UNSPECIFIED: DeliverySemantic
AT_MOST_ONCE: DeliverySemantic
AT_LEAST_ONCE: DeliverySemantic
EXACTLY_ONCE: DeliverySemantic

class ConsumerGroup(_message.Message):
    __slots__ = ("id", "project_id", "name", "delivery", "delivery_timeout", "topic_offsets", "consumers", "created", "modified")
    class TopicOffsetsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    TOPIC_OFFSETS_FIELD_NUMBER: _ClassVar[int]
    CONSUMERS_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    MODIFIED_FIELD_NUMBER: _ClassVar[int]
    id: bytes
    project_id: bytes
    name: str
    delivery: DeliverySemantic
    delivery_timeout: _duration_pb2.Duration
    topic_offsets: _containers.ScalarMap[str, int]
    consumers: _containers.RepeatedScalarFieldContainer[bytes]
    created: _timestamp_pb2.Timestamp
    modified: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[bytes] = ..., project_id: _Optional[bytes] = ..., name: _Optional[str] = ..., delivery: _Optional[_Union[DeliverySemantic, str]] = ..., delivery_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., topic_offsets: _Optional[_Mapping[str, int]] = ..., consumers: _Optional[_Iterable[bytes]] = ..., created: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., modified: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
