from gpt_image.v1 import common_pb2 as _common_pb2
from gpt_image.v1 import json_pb2 as _json_pb2
from gpt_image.v1 import config_pb2 as _config_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CredentialRef(_message.Message):
    __slots__ = ("source", "value", "env", "service", "account")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    ENV_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    source: str
    value: str
    env: str
    service: str
    account: str
    def __init__(self, source: _Optional[str] = ..., value: _Optional[str] = ..., env: _Optional[str] = ..., service: _Optional[str] = ..., account: _Optional[str] = ...) -> None: ...

class GetOutputSettingsRequest(_message.Message):
    __slots__ = ("options",)
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    options: _common_pb2.CallOptions
    def __init__(self, options: _Optional[_Union[_common_pb2.CallOptions, _Mapping]] = ...) -> None: ...

class PutStorageRequest(_message.Message):
    __slots__ = ("options", "storage")
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    STORAGE_FIELD_NUMBER: _ClassVar[int]
    options: _common_pb2.CallOptions
    storage: _json_pb2.JsonObject
    def __init__(self, options: _Optional[_Union[_common_pb2.CallOptions, _Mapping]] = ..., storage: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class AddStorageTargetRequest(_message.Message):
    __slots__ = ("options", "name", "target", "archive")
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    ARCHIVE_FIELD_NUMBER: _ClassVar[int]
    options: _common_pb2.CallOptions
    name: str
    target: _json_pb2.JsonObject
    archive: bool
    def __init__(self, options: _Optional[_Union[_common_pb2.CallOptions, _Mapping]] = ..., name: _Optional[str] = ..., target: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ..., archive: _Optional[bool] = ...) -> None: ...

class RemoveStorageTargetRequest(_message.Message):
    __slots__ = ("options", "name")
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    options: _common_pb2.CallOptions
    name: str
    def __init__(self, options: _Optional[_Union[_common_pb2.CallOptions, _Mapping]] = ..., name: _Optional[str] = ...) -> None: ...

class SetStoragePipelineRequest(_message.Message):
    __slots__ = ("options", "mode", "origin", "archives")
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    ARCHIVES_FIELD_NUMBER: _ClassVar[int]
    options: _common_pb2.CallOptions
    mode: str
    origin: str
    archives: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, options: _Optional[_Union[_common_pb2.CallOptions, _Mapping]] = ..., mode: _Optional[str] = ..., origin: _Optional[str] = ..., archives: _Optional[_Iterable[str]] = ...) -> None: ...

class TestStorageTargetRequest(_message.Message):
    __slots__ = ("options", "name", "target")
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    options: _common_pb2.CallOptions
    name: str
    target: _json_pb2.JsonObject
    def __init__(self, options: _Optional[_Union[_common_pb2.CallOptions, _Mapping]] = ..., name: _Optional[str] = ..., target: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class StorageTestResult(_message.Message):
    __slots__ = ("ok", "target", "target_type", "message", "latency_ms", "code", "detail", "unsupported", "local_only")
    OK_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    TARGET_TYPE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    LATENCY_MS_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    UNSUPPORTED_FIELD_NUMBER: _ClassVar[int]
    LOCAL_ONLY_FIELD_NUMBER: _ClassVar[int]
    ok: bool
    target: str
    target_type: str
    message: str
    latency_ms: int
    code: str
    detail: _json_pb2.JsonValue
    unsupported: bool
    local_only: bool
    def __init__(self, ok: _Optional[bool] = ..., target: _Optional[str] = ..., target_type: _Optional[str] = ..., message: _Optional[str] = ..., latency_ms: _Optional[int] = ..., code: _Optional[str] = ..., detail: _Optional[_Union[_json_pb2.JsonValue, _Mapping]] = ..., unsupported: _Optional[bool] = ..., local_only: _Optional[bool] = ...) -> None: ...

class PutNotificationsRequest(_message.Message):
    __slots__ = ("options", "notifications")
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    NOTIFICATIONS_FIELD_NUMBER: _ClassVar[int]
    options: _common_pb2.CallOptions
    notifications: _json_pb2.JsonObject
    def __init__(self, options: _Optional[_Union[_common_pb2.CallOptions, _Mapping]] = ..., notifications: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class Webhook(_message.Message):
    __slots__ = ("id", "name", "enabled", "url", "method", "headers", "timeout_seconds")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: CredentialRef
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[CredentialRef, _Mapping]] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    enabled: bool
    url: str
    method: str
    headers: _containers.MessageMap[str, CredentialRef]
    timeout_seconds: int
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., enabled: _Optional[bool] = ..., url: _Optional[str] = ..., method: _Optional[str] = ..., headers: _Optional[_Mapping[str, CredentialRef]] = ..., timeout_seconds: _Optional[int] = ...) -> None: ...

class AddWebhookRequest(_message.Message):
    __slots__ = ("options", "webhook")
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_FIELD_NUMBER: _ClassVar[int]
    options: _common_pb2.CallOptions
    webhook: Webhook
    def __init__(self, options: _Optional[_Union[_common_pb2.CallOptions, _Mapping]] = ..., webhook: _Optional[_Union[Webhook, _Mapping]] = ...) -> None: ...

class RemoveWebhookRequest(_message.Message):
    __slots__ = ("options", "id")
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    options: _common_pb2.CallOptions
    id: str
    def __init__(self, options: _Optional[_Union[_common_pb2.CallOptions, _Mapping]] = ..., id: _Optional[str] = ...) -> None: ...

class EmailSettings(_message.Message):
    __slots__ = ("enabled", "smtp_host", "smtp_port", "tls", "username", "password", "to", "timeout_seconds")
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    SMTP_HOST_FIELD_NUMBER: _ClassVar[int]
    SMTP_PORT_FIELD_NUMBER: _ClassVar[int]
    TLS_FIELD_NUMBER: _ClassVar[int]
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    FROM_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    enabled: bool
    smtp_host: str
    smtp_port: int
    tls: str
    username: str
    password: CredentialRef
    to: _containers.RepeatedScalarFieldContainer[str]
    timeout_seconds: int
    def __init__(self, enabled: _Optional[bool] = ..., smtp_host: _Optional[str] = ..., smtp_port: _Optional[int] = ..., tls: _Optional[str] = ..., username: _Optional[str] = ..., password: _Optional[_Union[CredentialRef, _Mapping]] = ..., to: _Optional[_Iterable[str]] = ..., timeout_seconds: _Optional[int] = ..., **kwargs) -> None: ...

class SetEmailRequest(_message.Message):
    __slots__ = ("options", "email")
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    options: _common_pb2.CallOptions
    email: EmailSettings
    def __init__(self, options: _Optional[_Union[_common_pb2.CallOptions, _Mapping]] = ..., email: _Optional[_Union[EmailSettings, _Mapping]] = ...) -> None: ...

class TestNotificationsRequest(_message.Message):
    __slots__ = ("options", "status", "channel")
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    options: _common_pb2.CallOptions
    status: str
    channel: str
    def __init__(self, options: _Optional[_Union[_common_pb2.CallOptions, _Mapping]] = ..., status: _Optional[str] = ..., channel: _Optional[str] = ...) -> None: ...

class NotificationDelivery(_message.Message):
    __slots__ = ("channel", "name", "ok", "message", "code")
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    OK_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    channel: str
    name: str
    ok: bool
    message: str
    code: str
    def __init__(self, channel: _Optional[str] = ..., name: _Optional[str] = ..., ok: _Optional[bool] = ..., message: _Optional[str] = ..., code: _Optional[str] = ...) -> None: ...

class NotificationTestResult(_message.Message):
    __slots__ = ("ok", "reason", "deliveries")
    OK_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DELIVERIES_FIELD_NUMBER: _ClassVar[int]
    ok: bool
    reason: str
    deliveries: _containers.RepeatedCompositeFieldContainer[NotificationDelivery]
    def __init__(self, ok: _Optional[bool] = ..., reason: _Optional[str] = ..., deliveries: _Optional[_Iterable[_Union[NotificationDelivery, _Mapping]]] = ...) -> None: ...

class GetNotificationCapabilitiesRequest(_message.Message):
    __slots__ = ("options",)
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    options: _common_pb2.CallOptions
    def __init__(self, options: _Optional[_Union[_common_pb2.CallOptions, _Mapping]] = ...) -> None: ...

class SetProxyRequest(_message.Message):
    __slots__ = ("options", "mode", "url", "no_proxy", "provider")
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    NO_PROXY_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    options: _common_pb2.CallOptions
    mode: str
    url: str
    no_proxy: _containers.RepeatedScalarFieldContainer[str]
    provider: str
    def __init__(self, options: _Optional[_Union[_common_pb2.CallOptions, _Mapping]] = ..., mode: _Optional[str] = ..., url: _Optional[str] = ..., no_proxy: _Optional[_Iterable[str]] = ..., provider: _Optional[str] = ...) -> None: ...
