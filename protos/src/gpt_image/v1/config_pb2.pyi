from gpt_image.v1 import common_pb2 as _common_pb2
from gpt_image.v1 import json_pb2 as _json_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ConfigResult(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: _json_pb2.JsonObject
    def __init__(self, result: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class SecretResult(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: _json_pb2.JsonObject
    def __init__(self, result: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class GetConfigPathsRequest(_message.Message):
    __slots__ = ("options",)
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    options: _common_pb2.CallOptions
    def __init__(self, options: _Optional[_Union[_common_pb2.CallOptions, _Mapping]] = ...) -> None: ...

class InspectConfigRequest(_message.Message):
    __slots__ = ("options", "web_view")
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    WEB_VIEW_FIELD_NUMBER: _ClassVar[int]
    options: _common_pb2.CallOptions
    web_view: bool
    def __init__(self, options: _Optional[_Union[_common_pb2.CallOptions, _Mapping]] = ..., web_view: _Optional[bool] = ...) -> None: ...

class ListProvidersRequest(_message.Message):
    __slots__ = ("options",)
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    options: _common_pb2.CallOptions
    def __init__(self, options: _Optional[_Union[_common_pb2.CallOptions, _Mapping]] = ...) -> None: ...

class SetDefaultProviderRequest(_message.Message):
    __slots__ = ("options", "name")
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    options: _common_pb2.CallOptions
    name: str
    def __init__(self, options: _Optional[_Union[_common_pb2.CallOptions, _Mapping]] = ..., name: _Optional[str] = ...) -> None: ...

class AddProviderRequest(_message.Message):
    __slots__ = ("options", "name", "type", "api_base", "endpoint", "model", "api_key", "api_key_env", "account_id", "access_token", "refresh_token", "supports_n", "edit_region_mode", "set_default")
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    API_BASE_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    API_KEY_FIELD_NUMBER: _ClassVar[int]
    API_KEY_ENV_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    ACCESS_TOKEN_FIELD_NUMBER: _ClassVar[int]
    REFRESH_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SUPPORTS_N_FIELD_NUMBER: _ClassVar[int]
    EDIT_REGION_MODE_FIELD_NUMBER: _ClassVar[int]
    SET_DEFAULT_FIELD_NUMBER: _ClassVar[int]
    options: _common_pb2.CallOptions
    name: str
    type: str
    api_base: str
    endpoint: str
    model: str
    api_key: str
    api_key_env: str
    account_id: str
    access_token: str
    refresh_token: str
    supports_n: bool
    edit_region_mode: str
    set_default: bool
    def __init__(self, options: _Optional[_Union[_common_pb2.CallOptions, _Mapping]] = ..., name: _Optional[str] = ..., type: _Optional[str] = ..., api_base: _Optional[str] = ..., endpoint: _Optional[str] = ..., model: _Optional[str] = ..., api_key: _Optional[str] = ..., api_key_env: _Optional[str] = ..., account_id: _Optional[str] = ..., access_token: _Optional[str] = ..., refresh_token: _Optional[str] = ..., supports_n: _Optional[bool] = ..., edit_region_mode: _Optional[str] = ..., set_default: _Optional[bool] = ...) -> None: ...

class UpsertProviderRequest(_message.Message):
    __slots__ = ("options", "name", "provider")
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    options: _common_pb2.CallOptions
    name: str
    provider: _json_pb2.JsonObject
    def __init__(self, options: _Optional[_Union[_common_pb2.CallOptions, _Mapping]] = ..., name: _Optional[str] = ..., provider: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class UpdateConfigSectionRequest(_message.Message):
    __slots__ = ("options", "section", "value")
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    SECTION_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    options: _common_pb2.CallOptions
    section: str
    value: _json_pb2.JsonValue
    def __init__(self, options: _Optional[_Union[_common_pb2.CallOptions, _Mapping]] = ..., section: _Optional[str] = ..., value: _Optional[_Union[_json_pb2.JsonValue, _Mapping]] = ...) -> None: ...

class RemoveProviderRequest(_message.Message):
    __slots__ = ("options", "name")
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    options: _common_pb2.CallOptions
    name: str
    def __init__(self, options: _Optional[_Union[_common_pb2.CallOptions, _Mapping]] = ..., name: _Optional[str] = ...) -> None: ...

class TestProviderRequest(_message.Message):
    __slots__ = ("options", "name")
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    options: _common_pb2.CallOptions
    name: str
    def __init__(self, options: _Optional[_Union[_common_pb2.CallOptions, _Mapping]] = ..., name: _Optional[str] = ...) -> None: ...

class SetSecretRequest(_message.Message):
    __slots__ = ("options", "provider", "name", "source", "value", "env", "account")
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    ENV_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    options: _common_pb2.CallOptions
    provider: str
    name: str
    source: str
    value: str
    env: str
    account: str
    def __init__(self, options: _Optional[_Union[_common_pb2.CallOptions, _Mapping]] = ..., provider: _Optional[str] = ..., name: _Optional[str] = ..., source: _Optional[str] = ..., value: _Optional[str] = ..., env: _Optional[str] = ..., account: _Optional[str] = ...) -> None: ...

class GetSecretRequest(_message.Message):
    __slots__ = ("options", "provider", "name", "status_only")
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_ONLY_FIELD_NUMBER: _ClassVar[int]
    options: _common_pb2.CallOptions
    provider: str
    name: str
    status_only: bool
    def __init__(self, options: _Optional[_Union[_common_pb2.CallOptions, _Mapping]] = ..., provider: _Optional[str] = ..., name: _Optional[str] = ..., status_only: _Optional[bool] = ...) -> None: ...

class DeleteSecretRequest(_message.Message):
    __slots__ = ("options", "provider", "name")
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    options: _common_pb2.CallOptions
    provider: str
    name: str
    def __init__(self, options: _Optional[_Union[_common_pb2.CallOptions, _Mapping]] = ..., provider: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...
