from google.protobuf import struct_pb2 as _struct_pb2
from gpt_image.v1 import json_pb2 as _json_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TransparentMethod(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRANSPARENT_METHOD_UNSPECIFIED: _ClassVar[TransparentMethod]
    TRANSPARENT_METHOD_AUTO: _ClassVar[TransparentMethod]
    TRANSPARENT_METHOD_CHROMA: _ClassVar[TransparentMethod]
    TRANSPARENT_METHOD_DUAL: _ClassVar[TransparentMethod]

class TransparentProfile(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRANSPARENT_PROFILE_UNSPECIFIED: _ClassVar[TransparentProfile]
    TRANSPARENT_PROFILE_GENERIC: _ClassVar[TransparentProfile]
    TRANSPARENT_PROFILE_ICON: _ClassVar[TransparentProfile]
    TRANSPARENT_PROFILE_PRODUCT: _ClassVar[TransparentProfile]
    TRANSPARENT_PROFILE_STICKER: _ClassVar[TransparentProfile]
    TRANSPARENT_PROFILE_SEAL: _ClassVar[TransparentProfile]
    TRANSPARENT_PROFILE_TRANSLUCENT: _ClassVar[TransparentProfile]
    TRANSPARENT_PROFILE_GLOW: _ClassVar[TransparentProfile]
    TRANSPARENT_PROFILE_SHADOW: _ClassVar[TransparentProfile]
    TRANSPARENT_PROFILE_EFFECT: _ClassVar[TransparentProfile]

class ProviderKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PROVIDER_KIND_UNSPECIFIED: _ClassVar[ProviderKind]
    PROVIDER_KIND_OPENAI_COMPATIBLE: _ClassVar[ProviderKind]
    PROVIDER_KIND_CODEX: _ClassVar[ProviderKind]

class EditRegionMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EDIT_REGION_MODE_UNSPECIFIED: _ClassVar[EditRegionMode]
    EDIT_REGION_MODE_NATIVE_MASK: _ClassVar[EditRegionMode]
    EDIT_REGION_MODE_REFERENCE_HINT: _ClassVar[EditRegionMode]

class StorageStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STORAGE_STATUS_UNSPECIFIED: _ClassVar[StorageStatus]
    STORAGE_STATUS_NOT_CONFIGURED: _ClassVar[StorageStatus]
    STORAGE_STATUS_RUNNING: _ClassVar[StorageStatus]
    STORAGE_STATUS_FALLBACK_COMPLETED: _ClassVar[StorageStatus]
    STORAGE_STATUS_COMPLETED: _ClassVar[StorageStatus]
    STORAGE_STATUS_PARTIAL_FAILED: _ClassVar[StorageStatus]
    STORAGE_STATUS_FAILED: _ClassVar[StorageStatus]
TRANSPARENT_METHOD_UNSPECIFIED: TransparentMethod
TRANSPARENT_METHOD_AUTO: TransparentMethod
TRANSPARENT_METHOD_CHROMA: TransparentMethod
TRANSPARENT_METHOD_DUAL: TransparentMethod
TRANSPARENT_PROFILE_UNSPECIFIED: TransparentProfile
TRANSPARENT_PROFILE_GENERIC: TransparentProfile
TRANSPARENT_PROFILE_ICON: TransparentProfile
TRANSPARENT_PROFILE_PRODUCT: TransparentProfile
TRANSPARENT_PROFILE_STICKER: TransparentProfile
TRANSPARENT_PROFILE_SEAL: TransparentProfile
TRANSPARENT_PROFILE_TRANSLUCENT: TransparentProfile
TRANSPARENT_PROFILE_GLOW: TransparentProfile
TRANSPARENT_PROFILE_SHADOW: TransparentProfile
TRANSPARENT_PROFILE_EFFECT: TransparentProfile
PROVIDER_KIND_UNSPECIFIED: ProviderKind
PROVIDER_KIND_OPENAI_COMPATIBLE: ProviderKind
PROVIDER_KIND_CODEX: ProviderKind
EDIT_REGION_MODE_UNSPECIFIED: EditRegionMode
EDIT_REGION_MODE_NATIVE_MASK: EditRegionMode
EDIT_REGION_MODE_REFERENCE_HINT: EditRegionMode
STORAGE_STATUS_UNSPECIFIED: StorageStatus
STORAGE_STATUS_NOT_CONFIGURED: StorageStatus
STORAGE_STATUS_RUNNING: StorageStatus
STORAGE_STATUS_FALLBACK_COMPLETED: StorageStatus
STORAGE_STATUS_COMPLETED: StorageStatus
STORAGE_STATUS_PARTIAL_FAILED: StorageStatus
STORAGE_STATUS_FAILED: StorageStatus

class ProviderSelection(_message.Message):
    __slots__ = ("requested", "resolved", "kind", "reason", "supports_n", "edit_region_mode", "extra")
    REQUESTED_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    SUPPORTS_N_FIELD_NUMBER: _ClassVar[int]
    EDIT_REGION_MODE_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    requested: str
    resolved: str
    kind: ProviderKind
    reason: str
    supports_n: bool
    edit_region_mode: EditRegionMode
    extra: _json_pb2.JsonObject
    def __init__(self, requested: _Optional[str] = ..., resolved: _Optional[str] = ..., kind: _Optional[_Union[ProviderKind, str]] = ..., reason: _Optional[str] = ..., supports_n: _Optional[bool] = ..., edit_region_mode: _Optional[_Union[EditRegionMode, str]] = ..., extra: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class OpenAIAuth(_message.Message):
    __slots__ = ("source", "env_var", "refreshed", "extra")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    ENV_VAR_FIELD_NUMBER: _ClassVar[int]
    REFRESHED_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    source: str
    env_var: str
    refreshed: bool
    extra: _json_pb2.JsonObject
    def __init__(self, source: _Optional[str] = ..., env_var: _Optional[str] = ..., refreshed: _Optional[bool] = ..., extra: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class CodexAuth(_message.Message):
    __slots__ = ("source", "auth_file", "account_id", "refreshed", "extra")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    AUTH_FILE_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    REFRESHED_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    source: str
    auth_file: str
    account_id: str
    refreshed: bool
    extra: _json_pb2.JsonObject
    def __init__(self, source: _Optional[str] = ..., auth_file: _Optional[str] = ..., account_id: _Optional[str] = ..., refreshed: _Optional[bool] = ..., extra: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class CodexRequestAuth(_message.Message):
    __slots__ = ("source", "auth_file", "refreshed", "extra")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    AUTH_FILE_FIELD_NUMBER: _ClassVar[int]
    REFRESHED_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    source: str
    auth_file: str
    refreshed: bool
    extra: _json_pb2.JsonObject
    def __init__(self, source: _Optional[str] = ..., auth_file: _Optional[str] = ..., refreshed: _Optional[bool] = ..., extra: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class OutputFile(_message.Message):
    __slots__ = ("index", "path", "bytes", "uploads", "extra")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    BYTES_FIELD_NUMBER: _ClassVar[int]
    UPLOADS_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    index: int
    path: str
    bytes: int
    uploads: _containers.RepeatedCompositeFieldContainer[UploadRecord]
    extra: _json_pb2.JsonObject
    def __init__(self, index: _Optional[int] = ..., path: _Optional[str] = ..., bytes: _Optional[int] = ..., uploads: _Optional[_Iterable[_Union[UploadRecord, _Mapping]]] = ..., extra: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class OutputFiles(_message.Message):
    __slots__ = ("path", "bytes", "files", "extra")
    PATH_FIELD_NUMBER: _ClassVar[int]
    BYTES_FIELD_NUMBER: _ClassVar[int]
    FILES_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    path: str
    bytes: int
    files: _containers.RepeatedCompositeFieldContainer[OutputFile]
    extra: _json_pb2.JsonObject
    def __init__(self, path: _Optional[str] = ..., bytes: _Optional[int] = ..., files: _Optional[_Iterable[_Union[OutputFile, _Mapping]]] = ..., extra: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class HistoryRef(_message.Message):
    __slots__ = ("job_id", "extra")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    extra: _json_pb2.JsonObject
    def __init__(self, job_id: _Optional[str] = ..., extra: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class RetryCount(_message.Message):
    __slots__ = ("count", "max_retries", "extra")
    COUNT_FIELD_NUMBER: _ClassVar[int]
    MAX_RETRIES_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    count: int
    max_retries: int
    extra: _json_pb2.JsonObject
    def __init__(self, count: _Optional[int] = ..., max_retries: _Optional[int] = ..., extra: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class EventCount(_message.Message):
    __slots__ = ("count", "extra")
    COUNT_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    count: int
    extra: _json_pb2.JsonObject
    def __init__(self, count: _Optional[int] = ..., extra: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class UploadRecord(_message.Message):
    __slots__ = ("job_id", "output_index", "target", "target_type", "status", "url", "error", "bytes", "attempts", "updated_at", "metadata", "extra")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_INDEX_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    TARGET_TYPE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    BYTES_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    output_index: int
    target: str
    target_type: str
    status: str
    url: str
    error: str
    bytes: int
    attempts: int
    updated_at: str
    metadata: _json_pb2.JsonValue
    extra: _json_pb2.JsonObject
    def __init__(self, job_id: _Optional[str] = ..., output_index: _Optional[int] = ..., target: _Optional[str] = ..., target_type: _Optional[str] = ..., status: _Optional[str] = ..., url: _Optional[str] = ..., error: _Optional[str] = ..., bytes: _Optional[int] = ..., attempts: _Optional[int] = ..., updated_at: _Optional[str] = ..., metadata: _Optional[_Union[_json_pb2.JsonValue, _Mapping]] = ..., extra: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class PublicUpload(_message.Message):
    __slots__ = ("output_index", "target", "target_type", "status", "url", "bytes", "attempts", "updated_at", "error", "error_code", "role", "placement", "key", "mime", "sha256", "extra")
    OUTPUT_INDEX_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    TARGET_TYPE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    BYTES_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    PLACEMENT_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    MIME_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    output_index: int
    target: str
    target_type: str
    status: str
    url: str
    bytes: int
    attempts: int
    updated_at: str
    error: str
    error_code: str
    role: str
    placement: str
    key: str
    mime: str
    sha256: str
    extra: _json_pb2.JsonObject
    def __init__(self, output_index: _Optional[int] = ..., target: _Optional[str] = ..., target_type: _Optional[str] = ..., status: _Optional[str] = ..., url: _Optional[str] = ..., bytes: _Optional[int] = ..., attempts: _Optional[int] = ..., updated_at: _Optional[str] = ..., error: _Optional[str] = ..., error_code: _Optional[str] = ..., role: _Optional[str] = ..., placement: _Optional[str] = ..., key: _Optional[str] = ..., mime: _Optional[str] = ..., sha256: _Optional[str] = ..., extra: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class StorageReport(_message.Message):
    __slots__ = ("status", "uploads", "extra")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    UPLOADS_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    status: StorageStatus
    uploads: _containers.RepeatedCompositeFieldContainer[PublicUpload]
    extra: _json_pb2.JsonObject
    def __init__(self, status: _Optional[_Union[StorageStatus, str]] = ..., uploads: _Optional[_Iterable[_Union[PublicUpload, _Mapping]]] = ..., extra: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class ImageRequest(_message.Message):
    __slots__ = ("operation", "provider", "model", "delegated_image_model", "background", "ref_image_count", "size", "quality", "format", "compression", "n", "moderation", "mask_present", "input_fidelity", "partial_images", "batch_mode", "source_prompt", "matte_color", "light_prompt", "method", "extra")
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    DELEGATED_IMAGE_MODEL_FIELD_NUMBER: _ClassVar[int]
    BACKGROUND_FIELD_NUMBER: _ClassVar[int]
    REF_IMAGE_COUNT_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    QUALITY_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    COMPRESSION_FIELD_NUMBER: _ClassVar[int]
    N_FIELD_NUMBER: _ClassVar[int]
    MODERATION_FIELD_NUMBER: _ClassVar[int]
    MASK_PRESENT_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIDELITY_FIELD_NUMBER: _ClassVar[int]
    PARTIAL_IMAGES_FIELD_NUMBER: _ClassVar[int]
    BATCH_MODE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_PROMPT_FIELD_NUMBER: _ClassVar[int]
    MATTE_COLOR_FIELD_NUMBER: _ClassVar[int]
    LIGHT_PROMPT_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    operation: str
    provider: str
    model: str
    delegated_image_model: str
    background: str
    ref_image_count: int
    size: str
    quality: str
    format: str
    compression: int
    n: int
    moderation: str
    mask_present: bool
    input_fidelity: str
    partial_images: int
    batch_mode: str
    source_prompt: str
    matte_color: str
    light_prompt: str
    method: TransparentMethod
    extra: _json_pb2.JsonObject
    def __init__(self, operation: _Optional[str] = ..., provider: _Optional[str] = ..., model: _Optional[str] = ..., delegated_image_model: _Optional[str] = ..., background: _Optional[str] = ..., ref_image_count: _Optional[int] = ..., size: _Optional[str] = ..., quality: _Optional[str] = ..., format: _Optional[str] = ..., compression: _Optional[int] = ..., n: _Optional[int] = ..., moderation: _Optional[str] = ..., mask_present: _Optional[bool] = ..., input_fidelity: _Optional[str] = ..., partial_images: _Optional[int] = ..., batch_mode: _Optional[str] = ..., source_prompt: _Optional[str] = ..., matte_color: _Optional[str] = ..., light_prompt: _Optional[str] = ..., method: _Optional[_Union[TransparentMethod, str]] = ..., extra: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class OpenAIImageResponse(_message.Message):
    __slots__ = ("created", "background", "output_format", "quality", "size", "usage", "image_count", "revised_prompts", "extra")
    CREATED_FIELD_NUMBER: _ClassVar[int]
    BACKGROUND_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FORMAT_FIELD_NUMBER: _ClassVar[int]
    QUALITY_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    IMAGE_COUNT_FIELD_NUMBER: _ClassVar[int]
    REVISED_PROMPTS_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    created: int
    background: str
    output_format: str
    quality: str
    size: str
    usage: _json_pb2.JsonValue
    image_count: int
    revised_prompts: _containers.RepeatedScalarFieldContainer[str]
    extra: _json_pb2.JsonObject
    def __init__(self, created: _Optional[int] = ..., background: _Optional[str] = ..., output_format: _Optional[str] = ..., quality: _Optional[str] = ..., size: _Optional[str] = ..., usage: _Optional[_Union[_json_pb2.JsonValue, _Mapping]] = ..., image_count: _Optional[int] = ..., revised_prompts: _Optional[_Iterable[str]] = ..., extra: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class CodexImageResponse(_message.Message):
    __slots__ = ("response_id", "model", "service_tier", "status", "image_count", "item_ids", "revised_prompts", "extra")
    RESPONSE_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    SERVICE_TIER_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    IMAGE_COUNT_FIELD_NUMBER: _ClassVar[int]
    ITEM_IDS_FIELD_NUMBER: _ClassVar[int]
    REVISED_PROMPTS_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    response_id: str
    model: str
    service_tier: str
    status: str
    image_count: int
    item_ids: _containers.RepeatedScalarFieldContainer[str]
    revised_prompts: _containers.RepeatedScalarFieldContainer[str]
    extra: _json_pb2.JsonObject
    def __init__(self, response_id: _Optional[str] = ..., model: _Optional[str] = ..., service_tier: _Optional[str] = ..., status: _Optional[str] = ..., image_count: _Optional[int] = ..., item_ids: _Optional[_Iterable[str]] = ..., revised_prompts: _Optional[_Iterable[str]] = ..., extra: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class BatchResponse(_message.Message):
    __slots__ = ("image_count", "batch_request_count", "extra")
    IMAGE_COUNT_FIELD_NUMBER: _ClassVar[int]
    BATCH_REQUEST_COUNT_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    image_count: int
    batch_request_count: int
    extra: _json_pb2.JsonObject
    def __init__(self, image_count: _Optional[int] = ..., batch_request_count: _Optional[int] = ..., extra: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class ImageResult(_message.Message):
    __slots__ = ("provider", "provider_selection", "openai_auth", "codex_auth", "request", "openai_response", "codex_response", "batch_response", "output", "history", "retry", "events", "storage", "extra")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_SELECTION_FIELD_NUMBER: _ClassVar[int]
    OPENAI_AUTH_FIELD_NUMBER: _ClassVar[int]
    CODEX_AUTH_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    OPENAI_RESPONSE_FIELD_NUMBER: _ClassVar[int]
    CODEX_RESPONSE_FIELD_NUMBER: _ClassVar[int]
    BATCH_RESPONSE_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    RETRY_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    STORAGE_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    provider: str
    provider_selection: ProviderSelection
    openai_auth: OpenAIAuth
    codex_auth: CodexAuth
    request: ImageRequest
    openai_response: OpenAIImageResponse
    codex_response: CodexImageResponse
    batch_response: BatchResponse
    output: OutputFiles
    history: HistoryRef
    retry: RetryCount
    events: EventCount
    storage: StorageReport
    extra: _json_pb2.JsonObject
    def __init__(self, provider: _Optional[str] = ..., provider_selection: _Optional[_Union[ProviderSelection, _Mapping]] = ..., openai_auth: _Optional[_Union[OpenAIAuth, _Mapping]] = ..., codex_auth: _Optional[_Union[CodexAuth, _Mapping]] = ..., request: _Optional[_Union[ImageRequest, _Mapping]] = ..., openai_response: _Optional[_Union[OpenAIImageResponse, _Mapping]] = ..., codex_response: _Optional[_Union[CodexImageResponse, _Mapping]] = ..., batch_response: _Optional[_Union[BatchResponse, _Mapping]] = ..., output: _Optional[_Union[OutputFiles, _Mapping]] = ..., history: _Optional[_Union[HistoryRef, _Mapping]] = ..., retry: _Optional[_Union[RetryCount, _Mapping]] = ..., events: _Optional[_Union[EventCount, _Mapping]] = ..., storage: _Optional[_Union[StorageReport, _Mapping]] = ..., extra: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class RawRequest(_message.Message):
    __slots__ = ("operation", "model", "body_file", "extra")
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    BODY_FILE_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    operation: str
    model: str
    body_file: str
    extra: _json_pb2.JsonObject
    def __init__(self, operation: _Optional[str] = ..., model: _Optional[str] = ..., body_file: _Optional[str] = ..., extra: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class CodexRawResponse(_message.Message):
    __slots__ = ("response_id", "model", "service_tier", "status", "error", "extra")
    RESPONSE_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    SERVICE_TIER_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    response_id: str
    model: str
    service_tier: str
    status: str
    error: _json_pb2.JsonValue
    extra: _json_pb2.JsonObject
    def __init__(self, response_id: _Optional[str] = ..., model: _Optional[str] = ..., service_tier: _Optional[str] = ..., status: _Optional[str] = ..., error: _Optional[_Union[_json_pb2.JsonValue, _Mapping]] = ..., extra: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class AvailableImages(_message.Message):
    __slots__ = ("available", "count", "suggested_extension", "extra")
    AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    SUGGESTED_EXTENSION_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    available: bool
    count: int
    suggested_extension: str
    extra: _json_pb2.JsonObject
    def __init__(self, available: _Optional[bool] = ..., count: _Optional[int] = ..., suggested_extension: _Optional[str] = ..., extra: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class RequestResult(_message.Message):
    __slots__ = ("provider", "provider_selection", "request", "openai_response", "codex_response", "output_items", "saved_images", "available_images", "no_images", "history", "retry", "openai_auth", "codex_auth", "events", "storage", "extra")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_SELECTION_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    OPENAI_RESPONSE_FIELD_NUMBER: _ClassVar[int]
    CODEX_RESPONSE_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_ITEMS_FIELD_NUMBER: _ClassVar[int]
    SAVED_IMAGES_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_IMAGES_FIELD_NUMBER: _ClassVar[int]
    NO_IMAGES_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    RETRY_FIELD_NUMBER: _ClassVar[int]
    OPENAI_AUTH_FIELD_NUMBER: _ClassVar[int]
    CODEX_AUTH_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    STORAGE_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    provider: str
    provider_selection: ProviderSelection
    request: RawRequest
    openai_response: OpenAIImageResponse
    codex_response: CodexRawResponse
    output_items: _containers.RepeatedCompositeFieldContainer[_json_pb2.JsonObject]
    saved_images: OutputFiles
    available_images: AvailableImages
    no_images: _struct_pb2.NullValue
    history: HistoryRef
    retry: RetryCount
    openai_auth: OpenAIAuth
    codex_auth: CodexRequestAuth
    events: EventCount
    storage: StorageReport
    extra: _json_pb2.JsonObject
    def __init__(self, provider: _Optional[str] = ..., provider_selection: _Optional[_Union[ProviderSelection, _Mapping]] = ..., request: _Optional[_Union[RawRequest, _Mapping]] = ..., openai_response: _Optional[_Union[OpenAIImageResponse, _Mapping]] = ..., codex_response: _Optional[_Union[CodexRawResponse, _Mapping]] = ..., output_items: _Optional[_Iterable[_Union[_json_pb2.JsonObject, _Mapping]]] = ..., saved_images: _Optional[_Union[OutputFiles, _Mapping]] = ..., available_images: _Optional[_Union[AvailableImages, _Mapping]] = ..., no_images: _Optional[_Union[_struct_pb2.NullValue, str]] = ..., history: _Optional[_Union[HistoryRef, _Mapping]] = ..., retry: _Optional[_Union[RetryCount, _Mapping]] = ..., openai_auth: _Optional[_Union[OpenAIAuth, _Mapping]] = ..., codex_auth: _Optional[_Union[CodexRequestAuth, _Mapping]] = ..., events: _Optional[_Union[EventCount, _Mapping]] = ..., storage: _Optional[_Union[StorageReport, _Mapping]] = ..., extra: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class KeyModel(_message.Message):
    __slots__ = ("kind", "noise", "alpha_floor", "matter", "matter_source", "reconstruction_error", "chroma_restored", "extra")
    KIND_FIELD_NUMBER: _ClassVar[int]
    NOISE_FIELD_NUMBER: _ClassVar[int]
    ALPHA_FLOOR_FIELD_NUMBER: _ClassVar[int]
    MATTER_FIELD_NUMBER: _ClassVar[int]
    MATTER_SOURCE_FIELD_NUMBER: _ClassVar[int]
    RECONSTRUCTION_ERROR_FIELD_NUMBER: _ClassVar[int]
    CHROMA_RESTORED_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    kind: str
    noise: float
    alpha_floor: float
    matter: str
    matter_source: str
    reconstruction_error: float
    chroma_restored: bool
    extra: _json_pb2.JsonObject
    def __init__(self, kind: _Optional[str] = ..., noise: _Optional[float] = ..., alpha_floor: _Optional[float] = ..., matter: _Optional[str] = ..., matter_source: _Optional[str] = ..., reconstruction_error: _Optional[float] = ..., chroma_restored: _Optional[bool] = ..., extra: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class Extraction(_message.Message):
    __slots__ = ("method", "matte_color", "matte_color_source", "threshold", "softness", "spill_suppression", "material", "matte_decontamination_applied", "rgb_scrubbed", "dual_alignment", "key_model", "extra")
    METHOD_FIELD_NUMBER: _ClassVar[int]
    MATTE_COLOR_FIELD_NUMBER: _ClassVar[int]
    MATTE_COLOR_SOURCE_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    SOFTNESS_FIELD_NUMBER: _ClassVar[int]
    SPILL_SUPPRESSION_FIELD_NUMBER: _ClassVar[int]
    MATERIAL_FIELD_NUMBER: _ClassVar[int]
    MATTE_DECONTAMINATION_APPLIED_FIELD_NUMBER: _ClassVar[int]
    RGB_SCRUBBED_FIELD_NUMBER: _ClassVar[int]
    DUAL_ALIGNMENT_FIELD_NUMBER: _ClassVar[int]
    KEY_MODEL_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    method: TransparentMethod
    matte_color: str
    matte_color_source: str
    threshold: float
    softness: float
    spill_suppression: float
    material: str
    matte_decontamination_applied: bool
    rgb_scrubbed: bool
    dual_alignment: _json_pb2.JsonObject
    key_model: KeyModel
    extra: _json_pb2.JsonObject
    def __init__(self, method: _Optional[_Union[TransparentMethod, str]] = ..., matte_color: _Optional[str] = ..., matte_color_source: _Optional[str] = ..., threshold: _Optional[float] = ..., softness: _Optional[float] = ..., spill_suppression: _Optional[float] = ..., material: _Optional[str] = ..., matte_decontamination_applied: _Optional[bool] = ..., rgb_scrubbed: _Optional[bool] = ..., dual_alignment: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ..., key_model: _Optional[_Union[KeyModel, _Mapping]] = ..., extra: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class BoundingBox(_message.Message):
    __slots__ = ("x", "y", "width", "height", "extra")
    X_FIELD_NUMBER: _ClassVar[int]
    Y_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    x: int
    y: int
    width: int
    height: int
    extra: _json_pb2.JsonObject
    def __init__(self, x: _Optional[int] = ..., y: _Optional[int] = ..., width: _Optional[int] = ..., height: _Optional[int] = ..., extra: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class Verification(_message.Message):
    __slots__ = ("path", "profile", "width", "height", "is_png", "color_type", "has_alpha", "input_has_alpha", "alpha_min", "alpha_max", "transparent_pixels", "partial_pixels", "opaque_pixels", "nontransparent_pixels", "transparent_ratio", "partial_ratio", "opaque_ratio", "edge_nontransparent_pixels", "edge_nontransparent_ratio", "touches_edge", "edge_margin_px", "component_count", "largest_component_pixels", "largest_component_ratio", "stray_pixel_count", "alpha_noise_score", "small_blob_count", "small_blob_pixels", "edge_contamination_ratio", "edge_contamination_key", "halo_ring_detected", "edge_fringe_detected", "stray_speck_count", "stray_speck_pixels", "matte_residue_score", "matte_residue_checked", "halo_score", "transparent_rgb_scrubbed", "checkerboard_detected", "alpha_health_score", "residue_score", "quality_score", "bbox", "passed", "failure_reasons", "warnings", "extra")
    PATH_FIELD_NUMBER: _ClassVar[int]
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    IS_PNG_FIELD_NUMBER: _ClassVar[int]
    COLOR_TYPE_FIELD_NUMBER: _ClassVar[int]
    HAS_ALPHA_FIELD_NUMBER: _ClassVar[int]
    INPUT_HAS_ALPHA_FIELD_NUMBER: _ClassVar[int]
    ALPHA_MIN_FIELD_NUMBER: _ClassVar[int]
    ALPHA_MAX_FIELD_NUMBER: _ClassVar[int]
    TRANSPARENT_PIXELS_FIELD_NUMBER: _ClassVar[int]
    PARTIAL_PIXELS_FIELD_NUMBER: _ClassVar[int]
    OPAQUE_PIXELS_FIELD_NUMBER: _ClassVar[int]
    NONTRANSPARENT_PIXELS_FIELD_NUMBER: _ClassVar[int]
    TRANSPARENT_RATIO_FIELD_NUMBER: _ClassVar[int]
    PARTIAL_RATIO_FIELD_NUMBER: _ClassVar[int]
    OPAQUE_RATIO_FIELD_NUMBER: _ClassVar[int]
    EDGE_NONTRANSPARENT_PIXELS_FIELD_NUMBER: _ClassVar[int]
    EDGE_NONTRANSPARENT_RATIO_FIELD_NUMBER: _ClassVar[int]
    TOUCHES_EDGE_FIELD_NUMBER: _ClassVar[int]
    EDGE_MARGIN_PX_FIELD_NUMBER: _ClassVar[int]
    COMPONENT_COUNT_FIELD_NUMBER: _ClassVar[int]
    LARGEST_COMPONENT_PIXELS_FIELD_NUMBER: _ClassVar[int]
    LARGEST_COMPONENT_RATIO_FIELD_NUMBER: _ClassVar[int]
    STRAY_PIXEL_COUNT_FIELD_NUMBER: _ClassVar[int]
    ALPHA_NOISE_SCORE_FIELD_NUMBER: _ClassVar[int]
    SMALL_BLOB_COUNT_FIELD_NUMBER: _ClassVar[int]
    SMALL_BLOB_PIXELS_FIELD_NUMBER: _ClassVar[int]
    EDGE_CONTAMINATION_RATIO_FIELD_NUMBER: _ClassVar[int]
    EDGE_CONTAMINATION_KEY_FIELD_NUMBER: _ClassVar[int]
    HALO_RING_DETECTED_FIELD_NUMBER: _ClassVar[int]
    EDGE_FRINGE_DETECTED_FIELD_NUMBER: _ClassVar[int]
    STRAY_SPECK_COUNT_FIELD_NUMBER: _ClassVar[int]
    STRAY_SPECK_PIXELS_FIELD_NUMBER: _ClassVar[int]
    MATTE_RESIDUE_SCORE_FIELD_NUMBER: _ClassVar[int]
    MATTE_RESIDUE_CHECKED_FIELD_NUMBER: _ClassVar[int]
    HALO_SCORE_FIELD_NUMBER: _ClassVar[int]
    TRANSPARENT_RGB_SCRUBBED_FIELD_NUMBER: _ClassVar[int]
    CHECKERBOARD_DETECTED_FIELD_NUMBER: _ClassVar[int]
    ALPHA_HEALTH_SCORE_FIELD_NUMBER: _ClassVar[int]
    RESIDUE_SCORE_FIELD_NUMBER: _ClassVar[int]
    QUALITY_SCORE_FIELD_NUMBER: _ClassVar[int]
    BBOX_FIELD_NUMBER: _ClassVar[int]
    PASSED_FIELD_NUMBER: _ClassVar[int]
    FAILURE_REASONS_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    path: str
    profile: TransparentProfile
    width: int
    height: int
    is_png: bool
    color_type: str
    has_alpha: bool
    input_has_alpha: bool
    alpha_min: int
    alpha_max: int
    transparent_pixels: int
    partial_pixels: int
    opaque_pixels: int
    nontransparent_pixels: int
    transparent_ratio: float
    partial_ratio: float
    opaque_ratio: float
    edge_nontransparent_pixels: int
    edge_nontransparent_ratio: float
    touches_edge: bool
    edge_margin_px: int
    component_count: int
    largest_component_pixels: int
    largest_component_ratio: float
    stray_pixel_count: int
    alpha_noise_score: float
    small_blob_count: int
    small_blob_pixels: int
    edge_contamination_ratio: float
    edge_contamination_key: str
    halo_ring_detected: bool
    edge_fringe_detected: bool
    stray_speck_count: int
    stray_speck_pixels: int
    matte_residue_score: float
    matte_residue_checked: bool
    halo_score: float
    transparent_rgb_scrubbed: bool
    checkerboard_detected: bool
    alpha_health_score: float
    residue_score: float
    quality_score: float
    bbox: BoundingBox
    passed: bool
    failure_reasons: _containers.RepeatedScalarFieldContainer[str]
    warnings: _containers.RepeatedScalarFieldContainer[str]
    extra: _json_pb2.JsonObject
    def __init__(self, path: _Optional[str] = ..., profile: _Optional[_Union[TransparentProfile, str]] = ..., width: _Optional[int] = ..., height: _Optional[int] = ..., is_png: _Optional[bool] = ..., color_type: _Optional[str] = ..., has_alpha: _Optional[bool] = ..., input_has_alpha: _Optional[bool] = ..., alpha_min: _Optional[int] = ..., alpha_max: _Optional[int] = ..., transparent_pixels: _Optional[int] = ..., partial_pixels: _Optional[int] = ..., opaque_pixels: _Optional[int] = ..., nontransparent_pixels: _Optional[int] = ..., transparent_ratio: _Optional[float] = ..., partial_ratio: _Optional[float] = ..., opaque_ratio: _Optional[float] = ..., edge_nontransparent_pixels: _Optional[int] = ..., edge_nontransparent_ratio: _Optional[float] = ..., touches_edge: _Optional[bool] = ..., edge_margin_px: _Optional[int] = ..., component_count: _Optional[int] = ..., largest_component_pixels: _Optional[int] = ..., largest_component_ratio: _Optional[float] = ..., stray_pixel_count: _Optional[int] = ..., alpha_noise_score: _Optional[float] = ..., small_blob_count: _Optional[int] = ..., small_blob_pixels: _Optional[int] = ..., edge_contamination_ratio: _Optional[float] = ..., edge_contamination_key: _Optional[str] = ..., halo_ring_detected: _Optional[bool] = ..., edge_fringe_detected: _Optional[bool] = ..., stray_speck_count: _Optional[int] = ..., stray_speck_pixels: _Optional[int] = ..., matte_residue_score: _Optional[float] = ..., matte_residue_checked: _Optional[bool] = ..., halo_score: _Optional[float] = ..., transparent_rgb_scrubbed: _Optional[bool] = ..., checkerboard_detected: _Optional[bool] = ..., alpha_health_score: _Optional[float] = ..., residue_score: _Optional[float] = ..., quality_score: _Optional[float] = ..., bbox: _Optional[_Union[BoundingBox, _Mapping]] = ..., passed: _Optional[bool] = ..., failure_reasons: _Optional[_Iterable[str]] = ..., warnings: _Optional[_Iterable[str]] = ..., extra: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class TransparentExtractResult(_message.Message):
    __slots__ = ("method", "profile", "material", "extraction", "verification", "warnings", "output", "history", "events", "storage", "extra")
    METHOD_FIELD_NUMBER: _ClassVar[int]
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    MATERIAL_FIELD_NUMBER: _ClassVar[int]
    EXTRACTION_FIELD_NUMBER: _ClassVar[int]
    VERIFICATION_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    STORAGE_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    method: TransparentMethod
    profile: TransparentProfile
    material: str
    extraction: Extraction
    verification: Verification
    warnings: _containers.RepeatedScalarFieldContainer[str]
    output: OutputFiles
    history: HistoryRef
    events: EventCount
    storage: StorageReport
    extra: _json_pb2.JsonObject
    def __init__(self, method: _Optional[_Union[TransparentMethod, str]] = ..., profile: _Optional[_Union[TransparentProfile, str]] = ..., material: _Optional[str] = ..., extraction: _Optional[_Union[Extraction, _Mapping]] = ..., verification: _Optional[_Union[Verification, _Mapping]] = ..., warnings: _Optional[_Iterable[str]] = ..., output: _Optional[_Union[OutputFiles, _Mapping]] = ..., history: _Optional[_Union[HistoryRef, _Mapping]] = ..., events: _Optional[_Union[EventCount, _Mapping]] = ..., storage: _Optional[_Union[StorageReport, _Mapping]] = ..., extra: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class TransparentVerifyResult(_message.Message):
    __slots__ = ("profile", "passed", "verification", "history", "extra")
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    PASSED_FIELD_NUMBER: _ClassVar[int]
    VERIFICATION_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    profile: TransparentProfile
    passed: bool
    verification: Verification
    history: HistoryRef
    extra: _json_pb2.JsonObject
    def __init__(self, profile: _Optional[_Union[TransparentProfile, str]] = ..., passed: _Optional[bool] = ..., verification: _Optional[_Union[Verification, _Mapping]] = ..., history: _Optional[_Union[HistoryRef, _Mapping]] = ..., extra: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class TransparentGenerateResult(_message.Message):
    __slots__ = ("provider", "provider_selection", "request", "openai_response", "codex_response", "source_output", "method", "profile", "material", "extraction", "verification", "warnings", "output", "history", "retry", "events", "storage", "extra")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_SELECTION_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    OPENAI_RESPONSE_FIELD_NUMBER: _ClassVar[int]
    CODEX_RESPONSE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_OUTPUT_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    MATERIAL_FIELD_NUMBER: _ClassVar[int]
    EXTRACTION_FIELD_NUMBER: _ClassVar[int]
    VERIFICATION_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    RETRY_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    STORAGE_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    provider: str
    provider_selection: ProviderSelection
    request: ImageRequest
    openai_response: OpenAIImageResponse
    codex_response: CodexImageResponse
    source_output: OutputFiles
    method: TransparentMethod
    profile: TransparentProfile
    material: str
    extraction: Extraction
    verification: Verification
    warnings: _json_pb2.StringList
    output: OutputFiles
    history: HistoryRef
    retry: RetryCount
    events: EventCount
    storage: StorageReport
    extra: _json_pb2.JsonObject
    def __init__(self, provider: _Optional[str] = ..., provider_selection: _Optional[_Union[ProviderSelection, _Mapping]] = ..., request: _Optional[_Union[ImageRequest, _Mapping]] = ..., openai_response: _Optional[_Union[OpenAIImageResponse, _Mapping]] = ..., codex_response: _Optional[_Union[CodexImageResponse, _Mapping]] = ..., source_output: _Optional[_Union[OutputFiles, _Mapping]] = ..., method: _Optional[_Union[TransparentMethod, str]] = ..., profile: _Optional[_Union[TransparentProfile, str]] = ..., material: _Optional[str] = ..., extraction: _Optional[_Union[Extraction, _Mapping]] = ..., verification: _Optional[_Union[Verification, _Mapping]] = ..., warnings: _Optional[_Union[_json_pb2.StringList, _Mapping]] = ..., output: _Optional[_Union[OutputFiles, _Mapping]] = ..., history: _Optional[_Union[HistoryRef, _Mapping]] = ..., retry: _Optional[_Union[RetryCount, _Mapping]] = ..., events: _Optional[_Union[EventCount, _Mapping]] = ..., storage: _Optional[_Union[StorageReport, _Mapping]] = ..., extra: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class ResumeResult(_message.Message):
    __slots__ = ("provider", "resumed_from", "action", "provider_calls", "output", "history", "events", "storage", "extra")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    RESUMED_FROM_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_CALLS_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    STORAGE_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    provider: str
    resumed_from: str
    action: str
    provider_calls: int
    output: OutputFiles
    history: HistoryRef
    events: EventCount
    storage: StorageReport
    extra: _json_pb2.JsonObject
    def __init__(self, provider: _Optional[str] = ..., resumed_from: _Optional[str] = ..., action: _Optional[str] = ..., provider_calls: _Optional[int] = ..., output: _Optional[_Union[OutputFiles, _Mapping]] = ..., history: _Optional[_Union[HistoryRef, _Mapping]] = ..., events: _Optional[_Union[EventCount, _Mapping]] = ..., storage: _Optional[_Union[StorageReport, _Mapping]] = ..., extra: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...
