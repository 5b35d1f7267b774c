from gpt_image.v1 import common_pb2 as _common_pb2
from gpt_image.v1 import json_pb2 as _json_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateRequestRequest(_message.Message):
    __slots__ = ("options", "retry", "detach", "body", "request_operation", "expect_image", "save_images", "body_file")
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    RETRY_FIELD_NUMBER: _ClassVar[int]
    DETACH_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_OPERATION_FIELD_NUMBER: _ClassVar[int]
    EXPECT_IMAGE_FIELD_NUMBER: _ClassVar[int]
    SAVE_IMAGES_FIELD_NUMBER: _ClassVar[int]
    BODY_FILE_FIELD_NUMBER: _ClassVar[int]
    options: _common_pb2.CallOptions
    retry: _common_pb2.RetryOptions
    detach: bool
    body: _json_pb2.JsonObject
    request_operation: str
    expect_image: bool
    save_images: bool
    body_file: str
    def __init__(self, options: _Optional[_Union[_common_pb2.CallOptions, _Mapping]] = ..., retry: _Optional[_Union[_common_pb2.RetryOptions, _Mapping]] = ..., detach: _Optional[bool] = ..., body: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ..., request_operation: _Optional[str] = ..., expect_image: _Optional[bool] = ..., save_images: _Optional[bool] = ..., body_file: _Optional[str] = ...) -> None: ...
