from gpt_image.v1 import common_pb2 as _common_pb2
from gpt_image.v1 import json_pb2 as _json_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SystemResult(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: _json_pb2.JsonObject
    def __init__(self, result: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class DoctorRequest(_message.Message):
    __slots__ = ("options",)
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    options: _common_pb2.CallOptions
    def __init__(self, options: _Optional[_Union[_common_pb2.CallOptions, _Mapping]] = ...) -> None: ...

class InspectAuthRequest(_message.Message):
    __slots__ = ("options",)
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    options: _common_pb2.CallOptions
    def __init__(self, options: _Optional[_Union[_common_pb2.CallOptions, _Mapping]] = ...) -> None: ...

class ListModelsRequest(_message.Message):
    __slots__ = ("options",)
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    options: _common_pb2.CallOptions
    def __init__(self, options: _Optional[_Union[_common_pb2.CallOptions, _Mapping]] = ...) -> None: ...

class GetVersionRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ShutdownRequest(_message.Message):
    __slots__ = ("grace_seconds",)
    GRACE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    grace_seconds: float
    def __init__(self, grace_seconds: _Optional[float] = ...) -> None: ...

class ReadLogsRequest(_message.Message):
    __slots__ = ("limit", "level")
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    limit: int
    level: str
    def __init__(self, limit: _Optional[int] = ..., level: _Optional[str] = ...) -> None: ...
