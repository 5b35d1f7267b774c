from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

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
    __slots__ = ("code", "message", "detail_json")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    DETAIL_JSON_FIELD_NUMBER: _ClassVar[int]
    code: str
    message: str
    detail_json: str
    def __init__(self, code: _Optional[str] = ..., message: _Optional[str] = ..., detail_json: _Optional[str] = ...) -> None: ...

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
    __slots__ = ("artifact_id", "name", "mime_type", "size_bytes", "sha256", "index", "role")
    ARTIFACT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    MIME_TYPE_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    artifact_id: str
    name: str
    mime_type: str
    size_bytes: int
    sha256: str
    index: int
    role: str
    def __init__(self, artifact_id: _Optional[str] = ..., name: _Optional[str] = ..., mime_type: _Optional[str] = ..., size_bytes: _Optional[int] = ..., sha256: _Optional[str] = ..., index: _Optional[int] = ..., role: _Optional[str] = ...) -> None: ...

class ImageSource(_message.Message):
    __slots__ = ("artifact_id", "url")
    ARTIFACT_ID_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    artifact_id: str
    url: str
    def __init__(self, artifact_id: _Optional[str] = ..., url: _Optional[str] = ...) -> None: ...

class JobEvent(_message.Message):
    __slots__ = ("job_id", "seq", "kind", "type", "data_json", "created_at", "terminal", "status", "result_json", "error", "artifacts")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    DATA_JSON_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    TERMINAL_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    RESULT_JSON_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    ARTIFACTS_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    seq: int
    kind: str
    type: str
    data_json: str
    created_at: str
    terminal: bool
    status: str
    result_json: str
    error: Error
    artifacts: _containers.RepeatedCompositeFieldContainer[ArtifactRef]
    def __init__(self, job_id: _Optional[str] = ..., seq: _Optional[int] = ..., kind: _Optional[str] = ..., type: _Optional[str] = ..., data_json: _Optional[str] = ..., created_at: _Optional[str] = ..., terminal: _Optional[bool] = ..., status: _Optional[str] = ..., result_json: _Optional[str] = ..., error: _Optional[_Union[Error, _Mapping]] = ..., artifacts: _Optional[_Iterable[_Union[ArtifactRef, _Mapping]]] = ...) -> None: ...
