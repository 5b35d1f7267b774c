from gpt_image.v1 import common_pb2 as _common_pb2
from gpt_image.v1 import images_pb2 as _images_pb2
from gpt_image.v1 import results_pb2 as _results_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TransparentOptions(_message.Message):
    __slots__ = ("transparent_method", "transparent_profile", "material", "matte_color", "threshold", "softness", "spill_suppression", "strict")
    TRANSPARENT_METHOD_FIELD_NUMBER: _ClassVar[int]
    TRANSPARENT_PROFILE_FIELD_NUMBER: _ClassVar[int]
    MATERIAL_FIELD_NUMBER: _ClassVar[int]
    MATTE_COLOR_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    SOFTNESS_FIELD_NUMBER: _ClassVar[int]
    SPILL_SUPPRESSION_FIELD_NUMBER: _ClassVar[int]
    STRICT_FIELD_NUMBER: _ClassVar[int]
    transparent_method: _results_pb2.TransparentMethod
    transparent_profile: _results_pb2.TransparentProfile
    material: str
    matte_color: str
    threshold: float
    softness: float
    spill_suppression: float
    strict: bool
    def __init__(self, transparent_method: _Optional[_Union[_results_pb2.TransparentMethod, str]] = ..., transparent_profile: _Optional[_Union[_results_pb2.TransparentProfile, str]] = ..., material: _Optional[str] = ..., matte_color: _Optional[str] = ..., threshold: _Optional[float] = ..., softness: _Optional[float] = ..., spill_suppression: _Optional[float] = ..., strict: _Optional[bool] = ...) -> None: ...

class GenerateTransparentRequest(_message.Message):
    __slots__ = ("options", "image", "transparent", "retry", "detach", "source_prompt", "keep_sources", "want_report")
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    TRANSPARENT_FIELD_NUMBER: _ClassVar[int]
    RETRY_FIELD_NUMBER: _ClassVar[int]
    DETACH_FIELD_NUMBER: _ClassVar[int]
    SOURCE_PROMPT_FIELD_NUMBER: _ClassVar[int]
    KEEP_SOURCES_FIELD_NUMBER: _ClassVar[int]
    WANT_REPORT_FIELD_NUMBER: _ClassVar[int]
    options: _common_pb2.CallOptions
    image: _images_pb2.ImageOptions
    transparent: TransparentOptions
    retry: _common_pb2.RetryOptions
    detach: bool
    source_prompt: str
    keep_sources: bool
    want_report: bool
    def __init__(self, options: _Optional[_Union[_common_pb2.CallOptions, _Mapping]] = ..., image: _Optional[_Union[_images_pb2.ImageOptions, _Mapping]] = ..., transparent: _Optional[_Union[TransparentOptions, _Mapping]] = ..., retry: _Optional[_Union[_common_pb2.RetryOptions, _Mapping]] = ..., detach: _Optional[bool] = ..., source_prompt: _Optional[str] = ..., keep_sources: _Optional[bool] = ..., want_report: _Optional[bool] = ...) -> None: ...

class ExtractTransparentRequest(_message.Message):
    __slots__ = ("options", "transparent", "input", "dark_image", "light_image", "detach", "client_out")
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    TRANSPARENT_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    DARK_IMAGE_FIELD_NUMBER: _ClassVar[int]
    LIGHT_IMAGE_FIELD_NUMBER: _ClassVar[int]
    DETACH_FIELD_NUMBER: _ClassVar[int]
    CLIENT_OUT_FIELD_NUMBER: _ClassVar[int]
    options: _common_pb2.CallOptions
    transparent: TransparentOptions
    input: _common_pb2.ImageSource
    dark_image: _common_pb2.ImageSource
    light_image: _common_pb2.ImageSource
    detach: bool
    client_out: str
    def __init__(self, options: _Optional[_Union[_common_pb2.CallOptions, _Mapping]] = ..., transparent: _Optional[_Union[TransparentOptions, _Mapping]] = ..., input: _Optional[_Union[_common_pb2.ImageSource, _Mapping]] = ..., dark_image: _Optional[_Union[_common_pb2.ImageSource, _Mapping]] = ..., light_image: _Optional[_Union[_common_pb2.ImageSource, _Mapping]] = ..., detach: _Optional[bool] = ..., client_out: _Optional[str] = ...) -> None: ...

class VerifyTransparentRequest(_message.Message):
    __slots__ = ("options", "input", "expected_matte_color", "strict", "transparent_profile")
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_MATTE_COLOR_FIELD_NUMBER: _ClassVar[int]
    STRICT_FIELD_NUMBER: _ClassVar[int]
    TRANSPARENT_PROFILE_FIELD_NUMBER: _ClassVar[int]
    options: _common_pb2.CallOptions
    input: _common_pb2.ImageSource
    expected_matte_color: str
    strict: bool
    transparent_profile: _results_pb2.TransparentProfile
    def __init__(self, options: _Optional[_Union[_common_pb2.CallOptions, _Mapping]] = ..., input: _Optional[_Union[_common_pb2.ImageSource, _Mapping]] = ..., expected_matte_color: _Optional[str] = ..., strict: _Optional[bool] = ..., transparent_profile: _Optional[_Union[_results_pb2.TransparentProfile, str]] = ...) -> None: ...
