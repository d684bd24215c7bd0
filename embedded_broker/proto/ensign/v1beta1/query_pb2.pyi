from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Query(_message.Message):
    __slots__ = ("query", "params", "include_duplicates")
    QUERY_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_DUPLICATES_FIELD_NUMBER: _ClassVar[int]
    query: str
    params: _containers.RepeatedCompositeFieldContainer[Parameter]
    include_duplicates: bool
    def __init__(self, query: _Optional[str] = ..., params: _Optional[_Iterable[_Union[Parameter, _Mapping]]] = ..., include_duplicates: _Optional[bool] = ...) -> None: ...

class Parameter(_message.Message):
    __slots__ = ("i", "d", "b", "y", "s", "name")
    I_FIELD_NUMBER: _ClassVar[int]
    D_FIELD_NUMBER: _ClassVar[int]
    B_FIELD_NUMBER: _ClassVar[int]
    Y_FIELD_NUMBER: _ClassVar[int]
    S_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    i: int
    d: float
    b: bool
    y: bytes
    s: str
    name: str
    def __init__(self, i: _Optional[int] = ..., d: _Optional[float] = ..., b: _Optional[bool] = ..., y: _Optional[bytes] = ..., s: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class QueryExplanation(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
