import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from gpt_image.v1 import common_pb2 as _common_pb2
from gpt_image.v1 import json_pb2 as _json_pb2
from gpt_image.v1 import results_pb2 as _results_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class JobCommand(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    JOB_COMMAND_UNSPECIFIED: _ClassVar[JobCommand]
    JOB_COMMAND_IMAGES_GENERATE: _ClassVar[JobCommand]
    JOB_COMMAND_IMAGES_EDIT: _ClassVar[JobCommand]
    JOB_COMMAND_REQUEST_CREATE: _ClassVar[JobCommand]
    JOB_COMMAND_TRANSPARENT_GENERATE: _ClassVar[JobCommand]
    JOB_COMMAND_TRANSPARENT_EXTRACT: _ClassVar[JobCommand]
    JOB_COMMAND_TRANSPARENT_VERIFY: _ClassVar[JobCommand]
    JOB_COMMAND_JOBS_RESUME: _ClassVar[JobCommand]
JOB_COMMAND_UNSPECIFIED: JobCommand
JOB_COMMAND_IMAGES_GENERATE: JobCommand
JOB_COMMAND_IMAGES_EDIT: JobCommand
JOB_COMMAND_REQUEST_CREATE: JobCommand
JOB_COMMAND_TRANSPARENT_GENERATE: JobCommand
JOB_COMMAND_TRANSPARENT_EXTRACT: JobCommand
JOB_COMMAND_TRANSPARENT_VERIFY: JobCommand
JOB_COMMAND_JOBS_RESUME: JobCommand

class GetJobRequest(_message.Message):
    __slots__ = ("job_id", "include_events")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_EVENTS_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    include_events: bool
    def __init__(self, job_id: _Optional[str] = ..., include_events: _Optional[bool] = ...) -> None: ...

class Job(_message.Message):
    __slots__ = ("id", "command", "provider", "status", "output_path", "create_time", "update_time", "metadata", "output_files", "reference_files", "storage_state", "job_error", "delete_time", "verbatim")
    ID_FIELD_NUMBER: _ClassVar[int]
    COMMAND_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_PATH_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FILES_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FILES_FIELD_NUMBER: _ClassVar[int]
    STORAGE_STATE_FIELD_NUMBER: _ClassVar[int]
    JOB_ERROR_FIELD_NUMBER: _ClassVar[int]
    DELETE_TIME_FIELD_NUMBER: _ClassVar[int]
    VERBATIM_FIELD_NUMBER: _ClassVar[int]
    id: str
    command: JobCommand
    provider: str
    status: _common_pb2.JobState
    output_path: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    metadata: _json_pb2.JsonValue
    output_files: _containers.RepeatedCompositeFieldContainer[_results_pb2.OutputFile]
    reference_files: _containers.RepeatedCompositeFieldContainer[ReferenceImage]
    storage_state: _results_pb2.StorageStatus
    job_error: _common_pb2.Error
    delete_time: _timestamp_pb2.Timestamp
    verbatim: _json_pb2.JsonObject
    def __init__(self, id: _Optional[str] = ..., command: _Optional[_Union[JobCommand, str]] = ..., provider: _Optional[str] = ..., status: _Optional[_Union[_common_pb2.JobState, str]] = ..., output_path: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., metadata: _Optional[_Union[_json_pb2.JsonValue, _Mapping]] = ..., output_files: _Optional[_Iterable[_Union[_results_pb2.OutputFile, _Mapping]]] = ..., reference_files: _Optional[_Iterable[_Union[ReferenceImage, _Mapping]]] = ..., storage_state: _Optional[_Union[_results_pb2.StorageStatus, str]] = ..., job_error: _Optional[_Union[_common_pb2.Error, _Mapping]] = ..., delete_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., verbatim: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class ReferenceImage(_message.Message):
    __slots__ = ("index", "path")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    index: int
    path: str
    def __init__(self, index: _Optional[int] = ..., path: _Optional[str] = ...) -> None: ...

class GetJobResponse(_message.Message):
    __slots__ = ("job", "events", "artifacts", "history_file")
    JOB_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    ARTIFACTS_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FILE_FIELD_NUMBER: _ClassVar[int]
    job: Job
    events: _containers.RepeatedCompositeFieldContainer[_common_pb2.JobEvent]
    artifacts: _containers.RepeatedCompositeFieldContainer[_common_pb2.ArtifactRef]
    history_file: str
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ..., events: _Optional[_Iterable[_Union[_common_pb2.JobEvent, _Mapping]]] = ..., artifacts: _Optional[_Iterable[_Union[_common_pb2.ArtifactRef, _Mapping]]] = ..., history_file: _Optional[str] = ...) -> None: ...

class ListJobsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "status", "query")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    status: str
    query: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., status: _Optional[str] = ..., query: _Optional[str] = ...) -> None: ...

class ListJobsResponse(_message.Message):
    __slots__ = ("jobs", "next_page_token", "has_more", "total", "history_file")
    JOBS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    HAS_MORE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FILE_FIELD_NUMBER: _ClassVar[int]
    jobs: _containers.RepeatedCompositeFieldContainer[Job]
    next_page_token: str
    has_more: bool
    total: int
    history_file: str
    def __init__(self, jobs: _Optional[_Iterable[_Union[Job, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., has_more: _Optional[bool] = ..., total: _Optional[int] = ..., history_file: _Optional[str] = ...) -> None: ...

class WatchJobRequest(_message.Message):
    __slots__ = ("job_id", "after_seq")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    AFTER_SEQ_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    after_seq: int
    def __init__(self, job_id: _Optional[str] = ..., after_seq: _Optional[int] = ...) -> None: ...

class CancelJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class CancelJobResponse(_message.Message):
    __slots__ = ("job", "cancelled")
    JOB_FIELD_NUMBER: _ClassVar[int]
    CANCELLED_FIELD_NUMBER: _ClassVar[int]
    job: Job
    cancelled: bool
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ..., cancelled: _Optional[bool] = ...) -> None: ...

class DeleteJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class DeleteJobResponse(_message.Message):
    __slots__ = ("job_id", "deleted")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    DELETED_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    deleted: int
    def __init__(self, job_id: _Optional[str] = ..., deleted: _Optional[int] = ...) -> None: ...

class RetryJobRequest(_message.Message):
    __slots__ = ("job_id", "options", "detach")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    DETACH_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    options: _common_pb2.CallOptions
    detach: bool
    def __init__(self, job_id: _Optional[str] = ..., options: _Optional[_Union[_common_pb2.CallOptions, _Mapping]] = ..., detach: _Optional[bool] = ...) -> None: ...

class GetRecoveryRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class GetRecoveryResponse(_message.Message):
    __slots__ = ("recovery", "descriptor")
    RECOVERY_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTOR_FIELD_NUMBER: _ClassVar[int]
    recovery: _json_pb2.JsonObject
    descriptor: Recovery
    def __init__(self, recovery: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ..., descriptor: _Optional[_Union[Recovery, _Mapping]] = ...) -> None: ...

class Recovery(_message.Message):
    __slots__ = ("job_id", "status", "recoverability", "primary_action", "secondary_actions", "evidence", "extra")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    RECOVERABILITY_FIELD_NUMBER: _ClassVar[int]
    PRIMARY_ACTION_FIELD_NUMBER: _ClassVar[int]
    SECONDARY_ACTIONS_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    status: _common_pb2.JobState
    recoverability: str
    primary_action: RecoveryAction
    secondary_actions: _containers.RepeatedCompositeFieldContainer[RecoveryAction]
    evidence: RecoveryEvidence
    extra: _json_pb2.JsonObject
    def __init__(self, job_id: _Optional[str] = ..., status: _Optional[_Union[_common_pb2.JobState, str]] = ..., recoverability: _Optional[str] = ..., primary_action: _Optional[_Union[RecoveryAction, _Mapping]] = ..., secondary_actions: _Optional[_Iterable[_Union[RecoveryAction, _Mapping]]] = ..., evidence: _Optional[_Union[RecoveryEvidence, _Mapping]] = ..., extra: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class RecoveryAction(_message.Message):
    __slots__ = ("id", "label", "billable", "warning", "extra")
    ID_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    BILLABLE_FIELD_NUMBER: _ClassVar[int]
    WARNING_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    id: str
    label: str
    billable: bool
    warning: str
    extra: _json_pb2.JsonObject
    def __init__(self, id: _Optional[str] = ..., label: _Optional[str] = ..., billable: _Optional[bool] = ..., warning: _Optional[str] = ..., extra: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class RecoveryEvidence(_message.Message):
    __slots__ = ("raw_response_present", "response_in_memory", "raw_response_bytes", "outputs_present", "outputs_expected", "request_dispatched", "interrupted_reason", "extra")
    RAW_RESPONSE_PRESENT_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_IN_MEMORY_FIELD_NUMBER: _ClassVar[int]
    RAW_RESPONSE_BYTES_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_PRESENT_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_EXPECTED_FIELD_NUMBER: _ClassVar[int]
    REQUEST_DISPATCHED_FIELD_NUMBER: _ClassVar[int]
    INTERRUPTED_REASON_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    raw_response_present: bool
    response_in_memory: bool
    raw_response_bytes: int
    outputs_present: int
    outputs_expected: int
    request_dispatched: bool
    interrupted_reason: str
    extra: _json_pb2.JsonObject
    def __init__(self, raw_response_present: _Optional[bool] = ..., response_in_memory: _Optional[bool] = ..., raw_response_bytes: _Optional[int] = ..., outputs_present: _Optional[int] = ..., outputs_expected: _Optional[int] = ..., request_dispatched: _Optional[bool] = ..., interrupted_reason: _Optional[str] = ..., extra: _Optional[_Union[_json_pb2.JsonObject, _Mapping]] = ...) -> None: ...

class ResumeJobRequest(_message.Message):
    __slots__ = ("job_id", "action", "options", "detach")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    DETACH_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    action: str
    options: _common_pb2.CallOptions
    detach: bool
    def __init__(self, job_id: _Optional[str] = ..., action: _Optional[str] = ..., options: _Optional[_Union[_common_pb2.CallOptions, _Mapping]] = ..., detach: _Optional[bool] = ...) -> None: ...

class GetQueueRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SetParallelRequest(_message.Message):
    __slots__ = ("max_parallel",)
    MAX_PARALLEL_FIELD_NUMBER: _ClassVar[int]
    max_parallel: int
    def __init__(self, max_parallel: _Optional[int] = ...) -> None: ...

class QueueStatus(_message.Message):
    __slots__ = ("max_parallel", "running", "queued", "queued_job_ids", "running_job_ids")
    MAX_PARALLEL_FIELD_NUMBER: _ClassVar[int]
    RUNNING_FIELD_NUMBER: _ClassVar[int]
    QUEUED_FIELD_NUMBER: _ClassVar[int]
    QUEUED_JOB_IDS_FIELD_NUMBER: _ClassVar[int]
    RUNNING_JOB_IDS_FIELD_NUMBER: _ClassVar[int]
    max_parallel: int
    running: int
    queued: int
    queued_job_ids: _containers.RepeatedScalarFieldContainer[str]
    running_job_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, max_parallel: _Optional[int] = ..., running: _Optional[int] = ..., queued: _Optional[int] = ..., queued_job_ids: _Optional[_Iterable[str]] = ..., running_job_ids: _Optional[_Iterable[str]] = ...) -> None: ...
