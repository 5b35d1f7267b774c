from gpt_image.v1 import common_pb2 as _common_pb2
from gpt_image.v1 import json_pb2 as _json_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ConfigResult(_message.Message):
    __slots__ = ("result", "paths", "inspection", "provider_list", "default_provider_set", "provider_added", "provider_removed")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    PATHS_FIELD_NUMBER: _ClassVar[int]
    INSPECTION_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_LIST_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_PROVIDER_SET_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_ADDED_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_REMOVED_FIELD_NUMBER: _ClassVar[int]
    result: _json_pb2.JsonObject
    paths: ConfigPaths
    inspection: ConfigInspection
    provider_list: ProviderList
    default_provider_set: DefaultProviderSet
    provider_added: ProviderAdded
    provider_removed: ProviderRemoved
    def __init__(self, result: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ..., paths: _Optional[_Union[ConfigPaths, _Mapping]] = ..., inspection: _Optional[_Union[ConfigInspection, _Mapping]] = ..., provider_list: _Optional[_Union[ProviderList, _Mapping]] = ..., default_provider_set: _Optional[_Union[DefaultProviderSet, _Mapping]] = ..., provider_added: _Optional[_Union[ProviderAdded, _Mapping]] = ..., provider_removed: _Optional[_Union[ProviderRemoved, _Mapping]] = ...) -> None: ...

class ConfigPaths(_message.Message):
    __slots__ = ("config_dir", "config_file", "history_file", "jobs_dir", "history_database", "extra")
    CONFIG_DIR_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FILE_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FILE_FIELD_NUMBER: _ClassVar[int]
    JOBS_DIR_FIELD_NUMBER: _ClassVar[int]
    HISTORY_DATABASE_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    config_dir: str
    config_file: str
    history_file: str
    jobs_dir: str
    history_database: str
    extra: _json_pb2.JsonObject
    def __init__(self, config_dir: _Optional[str] = ..., config_file: _Optional[str] = ..., history_file: _Optional[str] = ..., jobs_dir: _Optional[str] = ..., history_database: _Optional[str] = ..., extra: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class ConfigInspection(_message.Message):
    __slots__ = ("config_file", "exists", "config", "extra")
    CONFIG_FILE_FIELD_NUMBER: _ClassVar[int]
    EXISTS_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    config_file: str
    exists: bool
    config: _json_pb2.JsonObject
    extra: _json_pb2.JsonObject
    def __init__(self, config_file: _Optional[str] = ..., exists: _Optional[bool] = ..., config: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ..., extra: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class ProviderList(_message.Message):
    __slots__ = ("default_provider", "providers", "extra")
    DEFAULT_PROVIDER_FIELD_NUMBER: _ClassVar[int]
    PROVIDERS_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    default_provider: str
    providers: _json_pb2.JsonObject
    extra: _json_pb2.JsonObject
    def __init__(self, default_provider: _Optional[str] = ..., providers: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ..., extra: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class DefaultProviderSet(_message.Message):
    __slots__ = ("default_provider", "config_file", "extra")
    DEFAULT_PROVIDER_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FILE_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    default_provider: str
    config_file: str
    extra: _json_pb2.JsonObject
    def __init__(self, default_provider: _Optional[str] = ..., config_file: _Optional[str] = ..., extra: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class ProviderAdded(_message.Message):
    __slots__ = ("provider", "config_file", "config", "extra")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FILE_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    provider: str
    config_file: str
    config: _json_pb2.JsonObject
    extra: _json_pb2.JsonObject
    def __init__(self, provider: _Optional[str] = ..., config_file: _Optional[str] = ..., config: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ..., extra: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class ProviderRemoved(_message.Message):
    __slots__ = ("provider", "removed", "extra")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    REMOVED_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    provider: str
    removed: bool
    extra: _json_pb2.JsonObject
    def __init__(self, provider: _Optional[str] = ..., removed: _Optional[bool] = ..., extra: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class SecretResult(_message.Message):
    __slots__ = ("result", "stored", "secret_value", "secret_status", "removed")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    STORED_FIELD_NUMBER: _ClassVar[int]
    SECRET_VALUE_FIELD_NUMBER: _ClassVar[int]
    SECRET_STATUS_FIELD_NUMBER: _ClassVar[int]
    REMOVED_FIELD_NUMBER: _ClassVar[int]
    result: _json_pb2.JsonObject
    stored: SecretStored
    secret_value: SecretValue
    secret_status: SecretStatus
    removed: SecretRemoved
    def __init__(self, result: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ..., stored: _Optional[_Union[SecretStored, _Mapping]] = ..., secret_value: _Optional[_Union[SecretValue, _Mapping]] = ..., secret_status: _Optional[_Union[SecretStatus, _Mapping]] = ..., removed: _Optional[_Union[SecretRemoved, _Mapping]] = ...) -> None: ...

class SecretStored(_message.Message):
    __slots__ = ("provider", "name", "config_file", "extra")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FILE_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    provider: str
    name: str
    config_file: str
    extra: _json_pb2.JsonObject
    def __init__(self, provider: _Optional[str] = ..., name: _Optional[str] = ..., config_file: _Optional[str] = ..., extra: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class SecretValue(_message.Message):
    __slots__ = ("provider", "name", "source", "value", "extra")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    provider: str
    name: str
    source: str
    value: str
    extra: _json_pb2.JsonObject
    def __init__(self, provider: _Optional[str] = ..., name: _Optional[str] = ..., source: _Optional[str] = ..., value: _Optional[str] = ..., extra: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class SecretStatus(_message.Message):
    __slots__ = ("provider", "name", "status", "ready", "extra")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    READY_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    provider: str
    name: str
    status: _json_pb2.JsonValue
    ready: bool
    extra: _json_pb2.JsonObject
    def __init__(self, provider: _Optional[str] = ..., name: _Optional[str] = ..., status: _Optional[_Union[_json_pb2.JsonValue, _Mapping]] = ..., ready: _Optional[bool] = ..., extra: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class SecretRemoved(_message.Message):
    __slots__ = ("provider", "name", "removed", "extra")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    REMOVED_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    provider: str
    name: str
    removed: bool
    extra: _json_pb2.JsonObject
    def __init__(self, provider: _Optional[str] = ..., name: _Optional[str] = ..., removed: _Optional[bool] = ..., extra: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

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
