import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from embedded_broker.proto.mimetype.v1beta1 import mimetype_pb2 as _mimetype_pb2
from embedded_broker.proto.region.v1beta1 import region_pb2 as _region_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class EventWrapper(_message.Message):
    __slots__ = ("id", "topic_id", "offset", "epoch", "region", "publisher", "key", "shard", "event", "encryption", "compression", "is_duplicate", "duplicate_id", "committed", "local_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    TOPIC_ID_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    PUBLISHER_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    SHARD_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    ENCRYPTION_FIELD_NUMBER: _ClassVar[int]
    COMPRESSION_FIELD_NUMBER: _ClassVar[int]
    IS_DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_ID_FIELD_NUMBER: _ClassVar[int]
    COMMITTED_FIELD_NUMBER: _ClassVar[int]
    LOCAL_ID_FIELD_NUMBER: _ClassVar[int]
    id: bytes
    topic_id: bytes
    offset: int
    epoch: int
    region: _region_pb2.Region
    publisher: Publisher
    key: bytes
    shard: int
    event: bytes
    encryption: Encryption
    compression: Compression
    is_duplicate: bool
    duplicate_id: bytes
    committed: _timestamp_pb2.Timestamp
    local_id: bytes
    def __init__(self, id: _Optional[bytes] = ..., topic_id: _Optional[bytes] = ..., offset: _Optional[int] = ..., epoch: _Optional[int] = ..., region: _Optional[_Union[_region_pb2.Region, str]] = ..., publisher: _Optional[_Union[Publisher, _Mapping]] = ..., key: _Optional[bytes] = ..., shard: _Optional[int] = ..., event: _Optional[bytes] = ..., encryption: _Optional[_Union[Encryption, _Mapping]] = ..., compression: _Optional[_Union[Compression, _Mapping]] = ..., is_duplicate: _Optional[bool] = ..., duplicate_id: _Optional[bytes] = ..., committed: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., local_id: _Optional[bytes] = ...) -> None: ...

class Event(_message.Message):
    __slots__ = ("data", "metadata", "mimetype", "type", "created")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    DATA_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    MIMETYPE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    metadata: _containers.ScalarMap[str, str]
    mimetype: _mimetype_pb2.MIME
    type: Type
    created: _timestamp_pb2.Timestamp
    def __init__(self, data: _Optional[bytes] = ..., metadata: _Optional[_Mapping[str, str]] = ..., mimetype: _Optional[_Union[_mimetype_pb2.MIME, str]] = ..., type: _Optional[_Union[Type, _Mapping]] = ..., created: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Type(_message.Message):
    __slots__ = ("name", "major_version", "minor_version", "patch_version")
    NAME_FIELD_NUMBER: _ClassVar[int]
    MAJOR_VERSION_FIELD_NUMBER: _ClassVar[int]
    MINOR_VERSION_FIELD_NUMBER: _ClassVar[int]
    PATCH_VERSION_FIELD_NUMBER: _ClassVar[int]
    name: str
    major_version: int
    minor_version: int
    patch_version: int
    def __init__(self, name: _Optional[str] = ..., major_version: _Optional[int] = ..., minor_version: _Optional[int] = ..., patch_version: _Optional[int] = ...) -> None: ...

class Encryption(_message.Message):
    __slots__ = ("public_key_id", "encryption_key", "hmac_secret", "signature", "sealing_algorithm", "encryption_algorithm", "signature_algorithm")
    class Algorithm(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        PLAINTEXT: _ClassVar[Encryption.Algorithm]
        AES256_GCM: _ClassVar[Encryption.Algorithm]
        AES192_GCM: _ClassVar[Encryption.Algorithm]
        AES128_GCM: _ClassVar[Encryption.Algorithm]
        HMAC_SHA256: _ClassVar[Encryption.Algorithm]
        RSA_OAEP_SHA512: _ClassVar[Encryption.Algorithm]
    PLAINTEXT: Encryption.Algorithm
    AES256_GCM: Encryption.Algorithm
    AES192_GCM: Encryption.Algorithm
    AES128_GCM: Encryption.Algorithm
    HMAC_SHA256: Encryption.Algorithm
    RSA_OAEP_SHA512: Encryption.Algorithm
    PUBLIC_KEY_ID_FIELD_NUMBER: _ClassVar[int]
    ENCRYPTION_KEY_FIELD_NUMBER: _ClassVar[int]
    HMAC_SECRET_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    SEALING_ALGORITHM_FIELD_NUMBER: _ClassVar[int]
    ENCRYPTION_ALGORITHM_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_ALGORITHM_FIELD_NUMBER: _ClassVar[int]
    public_key_id: str
    encryption_key: bytes
    hmac_secret: bytes
    signature: bytes
    sealing_algorithm: Encryption.Algorithm
    encryption_algorithm: Encryption.Algorithm
    signature_algorithm: Encryption.Algorithm
    def __init__(self, public_key_id: _Optional[str] = ..., encryption_key: _Optional[bytes] = ..., hmac_secret: _Optional[bytes] = ..., signature: _Optional[bytes] = ..., sealing_algorithm: _Optional[_Union[Encryption.Algorithm, str]] = ..., encryption_algorithm: _Optional[_Union[Encryption.Algorithm, str]] = ..., signature_algorithm: _Optional[_Union[Encryption.Algorithm, str]] = ...) -> None: ...

class Compression(_message.Message):
    __slots__ = ("algorithm", "level")
    class Algorithm(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        NONE: _ClassVar[Compression.Algorithm]
        GZIP: _ClassVar[Compression.Algorithm]
        COMPRESS: _ClassVar[Compression.Algorithm]
        DEFLATE: _ClassVar[Compression.Algorithm]
        BROTLI: _ClassVar[Compression.Algorithm]
    NONE: Compression.Algorithm
    GZIP: Compression.Algorithm
    COMPRESS: Compression.Algorithm
    DEFLATE: Compression.Algorithm
    BROTLI: Compression.Algorithm
    ALGORITHM_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    algorithm: Compression.Algorithm
    level: int
    def __init__(self, algorithm: _Optional[_Union[Compression.Algorithm, str]] = ..., level: _Optional[int] = ...) -> None: ...

class Publisher(_message.Message):
    __slots__ = ("publisher_id", "ipaddr", "client_id", "user_agent")
    PUBLISHER_ID_FIELD_NUMBER: _ClassVar[int]
    IPADDR_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    USER_AGENT_FIELD_NUMBER: _ClassVar[int]
    publisher_id: str
    ipaddr: str
    client_id: str
    user_agent: str
    def __init__(self, publisher_id: _Optional[str] = ..., ipaddr: _Optional[str] = ..., client_id: _Optional[str] = ..., user_agent: _Optional[str] = ...) -> None: ...
