from gpt_image.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ImageOptions(_message.Message):
    __slots__ = ("prompt", "model", "instructions", "background", "size", "quality", "format", "compression", "n", "moderation", "partial_images", "client_out")
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    INSTRUCTIONS_FIELD_NUMBER: _ClassVar[int]
    BACKGROUND_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    QUALITY_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    COMPRESSION_FIELD_NUMBER: _ClassVar[int]
    N_FIELD_NUMBER: _ClassVar[int]
    MODERATION_FIELD_NUMBER: _ClassVar[int]
    PARTIAL_IMAGES_FIELD_NUMBER: _ClassVar[int]
    CLIENT_OUT_FIELD_NUMBER: _ClassVar[int]
    prompt: str
    model: str
    instructions: str
    background: str
    size: str
    quality: str
    format: str
    compression: int
    n: int
    moderation: str
    partial_images: int
    client_out: str
    def __init__(self, prompt: _Optional[str] = ..., model: _Optional[str] = ..., instructions: _Optional[str] = ..., background: _Optional[str] = ..., size: _Optional[str] = ..., quality: _Optional[str] = ..., format: _Optional[str] = ..., compression: _Optional[int] = ..., n: _Optional[int] = ..., moderation: _Optional[str] = ..., partial_images: _Optional[int] = ..., client_out: _Optional[str] = ...) -> None: ...

class GenerateImageRequest(_message.Message):
    __slots__ = ("options", "image", "retry", "detach")
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    RETRY_FIELD_NUMBER: _ClassVar[int]
    DETACH_FIELD_NUMBER: _ClassVar[int]
    options: _common_pb2.CallOptions
    image: ImageOptions
    retry: _common_pb2.RetryOptions
    detach: bool
    def __init__(self, options: _Optional[_Union[_common_pb2.CallOptions, _Mapping]] = ..., image: _Optional[_Union[ImageOptions, _Mapping]] = ..., retry: _Optional[_Union[_common_pb2.RetryOptions, _Mapping]] = ..., detach: _Optional[bool] = ...) -> None: ...

class EditImageRequest(_message.Message):
    __slots__ = ("options", "image", "retry", "detach", "refs", "mask", "input_fidelity")
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    RETRY_FIELD_NUMBER: _ClassVar[int]
    DETACH_FIELD_NUMBER: _ClassVar[int]
    REFS_FIELD_NUMBER: _ClassVar[int]
    MASK_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIDELITY_FIELD_NUMBER: _ClassVar[int]
    options: _common_pb2.CallOptions
    image: ImageOptions
    retry: _common_pb2.RetryOptions
    detach: bool
    refs: _containers.RepeatedCompositeFieldContainer[_common_pb2.ImageSource]
    mask: _common_pb2.ImageSource
    input_fidelity: str
    def __init__(self, options: _Optional[_Union[_common_pb2.CallOptions, _Mapping]] = ..., image: _Optional[_Union[ImageOptions, _Mapping]] = ..., retry: _Optional[_Union[_common_pb2.RetryOptions, _Mapping]] = ..., detach: _Optional[bool] = ..., refs: _Optional[_Iterable[_Union[_common_pb2.ImageSource, _Mapping]]] = ..., mask: _Optional[_Union[_common_pb2.ImageSource, _Mapping]] = ..., input_fidelity: _Optional[str] = ...) -> None: ...
