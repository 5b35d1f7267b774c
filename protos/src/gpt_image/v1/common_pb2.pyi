import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from gpt_image.v1 import json_pb2 as _json_pb2
from gpt_image.v1 import results_pb2 as _results_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class JobState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    JOB_STATE_UNSPECIFIED: _ClassVar[JobState]
    JOB_STATE_QUEUED: _ClassVar[JobState]
    JOB_STATE_RUNNING: _ClassVar[JobState]
    JOB_STATE_COMPLETED: _ClassVar[JobState]
    JOB_STATE_PARTIAL_FAILED: _ClassVar[JobState]
    JOB_STATE_FAILED: _ClassVar[JobState]
    JOB_STATE_CANCELLED: _ClassVar[JobState]
    JOB_STATE_INTERRUPTED: _ClassVar[JobState]
    JOB_STATE_UPLOADING: _ClassVar[JobState]

class EventKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EVENT_KIND_UNSPECIFIED: _ClassVar[EventKind]
    EVENT_KIND_LOCAL: _ClassVar[EventKind]
    EVENT_KIND_PROGRESS: _ClassVar[EventKind]
    EVENT_KIND_SSE: _ClassVar[EventKind]

class ArtifactRole(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ARTIFACT_ROLE_UNSPECIFIED: _ClassVar[ArtifactRole]
    ARTIFACT_ROLE_OUTPUT: _ClassVar[ArtifactRole]
    ARTIFACT_ROLE_PARTIAL: _ClassVar[ArtifactRole]
    ARTIFACT_ROLE_SOURCE: _ClassVar[ArtifactRole]
    ARTIFACT_ROLE_REPORT: _ClassVar[ArtifactRole]
    ARTIFACT_ROLE_UPLOAD: _ClassVar[ArtifactRole]
    ARTIFACT_ROLE_REF: _ClassVar[ArtifactRole]
    ARTIFACT_ROLE_MASK: _ClassVar[ArtifactRole]
    ARTIFACT_ROLE_INPUT: _ClassVar[ArtifactRole]
    ARTIFACT_ROLE_DARK: _ClassVar[ArtifactRole]
    ARTIFACT_ROLE_LIGHT: _ClassVar[ArtifactRole]
JOB_STATE_UNSPECIFIED: JobState
JOB_STATE_QUEUED: JobState
JOB_STATE_RUNNING: JobState
JOB_STATE_COMPLETED: JobState
JOB_STATE_PARTIAL_FAILED: JobState
JOB_STATE_FAILED: JobState
JOB_STATE_CANCELLED: JobState
JOB_STATE_INTERRUPTED: JobState
JOB_STATE_UPLOADING: JobState
EVENT_KIND_UNSPECIFIED: EventKind
EVENT_KIND_LOCAL: EventKind
EVENT_KIND_PROGRESS: EventKind
EVENT_KIND_SSE: EventKind
ARTIFACT_ROLE_UNSPECIFIED: ArtifactRole
ARTIFACT_ROLE_OUTPUT: ArtifactRole
ARTIFACT_ROLE_PARTIAL: ArtifactRole
ARTIFACT_ROLE_SOURCE: ArtifactRole
ARTIFACT_ROLE_REPORT: ArtifactRole
ARTIFACT_ROLE_UPLOAD: ArtifactRole
ARTIFACT_ROLE_REF: ArtifactRole
ARTIFACT_ROLE_MASK: ArtifactRole
ARTIFACT_ROLE_INPUT: ArtifactRole
ARTIFACT_ROLE_DARK: ArtifactRole
ARTIFACT_ROLE_LIGHT: ArtifactRole

class CallOptions(_message.Message):
    __slots__ = ("provider", "api_key", "openai_api_base", "config_file", "auth_file", "endpoint", "env_openai_api_key", "env_openai_base_url", "request_id")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    API_KEY_FIELD_NUMBER: _ClassVar[int]
    OPENAI_API_BASE_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FILE_FIELD_NUMBER: _ClassVar[int]
    AUTH_FILE_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    ENV_OPENAI_API_KEY_FIELD_NUMBER: _ClassVar[int]
    ENV_OPENAI_BASE_URL_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    provider: str
    api_key: str
    openai_api_base: str
    config_file: str
    auth_file: str
    endpoint: str
    env_openai_api_key: str
    env_openai_base_url: str
    request_id: str
    def __init__(self, provider: _Optional[str] = ..., api_key: _Optional[str] = ..., openai_api_base: _Optional[str] = ..., config_file: _Optional[str] = ..., auth_file: _Optional[str] = ..., endpoint: _Optional[str] = ..., env_openai_api_key: _Optional[str] = ..., env_openai_base_url: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class Error(_message.Message):
    __slots__ = ("code", "message", "detail")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    code: str
    message: str
    detail: _json_pb2.JsonValue
    def __init__(self, code: _Optional[str] = ..., message: _Optional[str] = ..., detail: _Optional[_Union[_json_pb2.JsonValue, _Mapping]] = ...) -> None: ...

class RetryOptions(_message.Message):
    __slots__ = ("retries", "retry_delay_seconds", "request_timeout_seconds")
    RETRIES_FIELD_NUMBER: _ClassVar[int]
    RETRY_DELAY_SECONDS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    retries: int
    retry_delay_seconds: float
    request_timeout_seconds: float
    def __init__(self, retries: _Optional[int] = ..., retry_delay_seconds: _Optional[float] = ..., request_timeout_seconds: _Optional[float] = ...) -> None: ...

class ArtifactRef(_message.Message):
    __slots__ = ("artifact_id", "name", "mime_type", "size_bytes", "sha256", "index", "artifact_role")
    ARTIFACT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    MIME_TYPE_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    ARTIFACT_ROLE_FIELD_NUMBER: _ClassVar[int]
    artifact_id: str
    name: str
    mime_type: str
    size_bytes: int
    sha256: str
    index: int
    artifact_role: ArtifactRole
    def __init__(self, artifact_id: _Optional[str] = ..., name: _Optional[str] = ..., mime_type: _Optional[str] = ..., size_bytes: _Optional[int] = ..., sha256: _Optional[str] = ..., index: _Optional[int] = ..., artifact_role: _Optional[_Union[ArtifactRole, str]] = ...) -> None: ...

class ImageSource(_message.Message):
    __slots__ = ("artifact_id", "url")
    ARTIFACT_ID_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    artifact_id: str
    url: str
    def __init__(self, artifact_id: _Optional[str] = ..., url: _Optional[str] = ...) -> None: ...

class JobEvent(_message.Message):
    __slots__ = ("job_id", "seq", "type", "terminal", "error", "artifacts", "event_kind", "create_time", "state", "fields", "progress", "lifecycle", "request_started", "terminal_data", "storage", "notifications", "other_result", "images_generate", "images_edit", "request_create", "transparent_generate", "transparent_extract", "transparent_verify", "jobs_resume")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    TERMINAL_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    ARTIFACTS_FIELD_NUMBER: _ClassVar[int]
    EVENT_KIND_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    LIFECYCLE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_STARTED_FIELD_NUMBER: _ClassVar[int]
    TERMINAL_DATA_FIELD_NUMBER: _ClassVar[int]
    STORAGE_FIELD_NUMBER: _ClassVar[int]
    NOTIFICATIONS_FIELD_NUMBER: _ClassVar[int]
    OTHER_RESULT_FIELD_NUMBER: _ClassVar[int]
    IMAGES_GENERATE_FIELD_NUMBER: _ClassVar[int]
    IMAGES_EDIT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_CREATE_FIELD_NUMBER: _ClassVar[int]
    TRANSPARENT_GENERATE_FIELD_NUMBER: _ClassVar[int]
    TRANSPARENT_EXTRACT_FIELD_NUMBER: _ClassVar[int]
    TRANSPARENT_VERIFY_FIELD_NUMBER: _ClassVar[int]
    JOBS_RESUME_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    seq: int
    type: str
    terminal: bool
    error: Error
    artifacts: _containers.RepeatedCompositeFieldContainer[ArtifactRef]
    event_kind: EventKind
    create_time: _timestamp_pb2.Timestamp
    state: JobState
    fields: _json_pb2.JsonObject
    progress: ProgressData
    lifecycle: LifecycleData
    request_started: RequestStartedData
    terminal_data: TerminalData
    storage: StorageData
    notifications: NotificationsData
    other_result: _json_pb2.JsonObject
    images_generate: _results_pb2.ImageResult
    images_edit: _results_pb2.ImageResult
    request_create: _results_pb2.RequestResult
    transparent_generate: _results_pb2.TransparentGenerateResult
    transparent_extract: _results_pb2.TransparentExtractResult
    transparent_verify: _results_pb2.TransparentVerifyResult
    jobs_resume: _results_pb2.ResumeResult
    def __init__(self, job_id: _Optional[str] = ..., seq: _Optional[int] = ..., type: _Optional[str] = ..., terminal: _Optional[bool] = ..., error: _Optional[_Union[Error, _Mapping]] = ..., artifacts: _Optional[_Iterable[_Union[ArtifactRef, _Mapping]]] = ..., event_kind: _Optional[_Union[EventKind, str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., state: _Optional[_Union[JobState, str]] = ..., fields: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ..., progress: _Optional[_Union[ProgressData, _Mapping]] = ..., lifecycle: _Optional[_Union[LifecycleData, _Mapping]] = ..., request_started: _Optional[_Union[RequestStartedData, _Mapping]] = ..., terminal_data: _Optional[_Union[TerminalData, _Mapping]] = ..., storage: _Optional[_Union[StorageData, _Mapping]] = ..., notifications: _Optional[_Union[NotificationsData, _Mapping]] = ..., other_result: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ..., images_generate: _Optional[_Union[_results_pb2.ImageResult, _Mapping]] = ..., images_edit: _Optional[_Union[_results_pb2.ImageResult, _Mapping]] = ..., request_create: _Optional[_Union[_results_pb2.RequestResult, _Mapping]] = ..., transparent_generate: _Optional[_Union[_results_pb2.TransparentGenerateResult, _Mapping]] = ..., transparent_extract: _Optional[_Union[_results_pb2.TransparentExtractResult, _Mapping]] = ..., transparent_verify: _Optional[_Union[_results_pb2.TransparentVerifyResult, _Mapping]] = ..., jobs_resume: _Optional[_Union[_results_pb2.ResumeResult, _Mapping]] = ...) -> None: ...

class ProgressData(_message.Message):
    __slots__ = ("provider", "phase", "status", "message", "percent", "extra")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    PERCENT_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    provider: str
    phase: str
    status: JobState
    message: str
    percent: int
    extra: _json_pb2.JsonObject
    def __init__(self, provider: _Optional[str] = ..., phase: _Optional[str] = ..., status: _Optional[_Union[JobState, str]] = ..., message: _Optional[str] = ..., percent: _Optional[int] = ..., extra: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class LifecycleData(_message.Message):
    __slots__ = ("status", "position", "eta_seconds")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    ETA_SECONDS_FIELD_NUMBER: _ClassVar[int]
    status: JobState
    position: int
    eta_seconds: float
    def __init__(self, status: _Optional[_Union[JobState, str]] = ..., position: _Optional[int] = ..., eta_seconds: _Optional[float] = ...) -> None: ...

class RequestStartedData(_message.Message):
    __slots__ = ("provider", "endpoint", "transport")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    TRANSPORT_FIELD_NUMBER: _ClassVar[int]
    provider: str
    endpoint: str
    transport: str
    def __init__(self, provider: _Optional[str] = ..., endpoint: _Optional[str] = ..., transport: _Optional[str] = ...) -> None: ...

class TerminalData(_message.Message):
    __slots__ = ("output", "error_shown")
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    ERROR_SHOWN_FIELD_NUMBER: _ClassVar[int]
    output: _json_pb2.JsonValue
    error_shown: bool
    def __init__(self, output: _Optional[_Union[_json_pb2.JsonValue, _Mapping]] = ..., error_shown: _Optional[bool] = ...) -> None: ...

class StorageData(_message.Message):
    __slots__ = ("job_id", "status", "uploads", "extra")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    UPLOADS_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    status: _results_pb2.StorageStatus
    uploads: _containers.RepeatedCompositeFieldContainer[_results_pb2.PublicUpload]
    extra: _json_pb2.JsonObject
    def __init__(self, job_id: _Optional[str] = ..., status: _Optional[_Union[_results_pb2.StorageStatus, str]] = ..., uploads: _Optional[_Iterable[_Union[_results_pb2.PublicUpload, _Mapping]]] = ..., extra: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class NotificationsData(_message.Message):
    __slots__ = ("status", "deliveries", "extra")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    DELIVERIES_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    status: JobState
    deliveries: _containers.RepeatedCompositeFieldContainer[NotificationRecord]
    extra: _json_pb2.JsonObject
    def __init__(self, status: _Optional[_Union[JobState, str]] = ..., deliveries: _Optional[_Iterable[_Union[NotificationRecord, _Mapping]]] = ..., extra: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class NotificationRecord(_message.Message):
    __slots__ = ("channel", "name", "ok", "message", "code", "extra")
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    OK_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    channel: str
    name: str
    ok: bool
    message: str
    code: str
    extra: _json_pb2.JsonObject
    def __init__(self, channel: _Optional[str] = ..., name: _Optional[str] = ..., ok: _Optional[bool] = ..., message: _Optional[str] = ..., code: _Optional[str] = ..., extra: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...
