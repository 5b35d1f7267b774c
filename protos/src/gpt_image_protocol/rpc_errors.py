"""Coded errors across gRPC: `google.rpc.Status` with an `ErrorInfo` whose reason is our code.

`to_rpc_status` is used by the engine to abort a call; `from_rpc_error` by
clients to get back the same `AppError` the engine raised. A transport failure
with no ErrorInfo maps to `engine_unavailable` / `internal_error`.
"""

from __future__ import annotations

import json
from typing import Any

import grpc
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from gpt_image_protocol.codes import ERROR_DOMAIN, grpc_status_name
from gpt_image_protocol.errors import AppError
from gpt_image_protocol.validation import dumps_finite

# The status travels in trailing metadata, which clients cap at 8 KiB by default: a message
# or detail echoing a huge input (a 5,000-character id) must not turn a coded error into an
# unreadable transport failure.
MAX_MESSAGE_CHARS = 600
MAX_DETAIL_CHARS = 3000


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 40] + f"... [{len(text) - limit + 40} more characters]"


def to_rpc_status(err: AppError) -> status_pb2.Status:
    info = error_details_pb2.ErrorInfo(reason=err.code, domain=ERROR_DOMAIN)
    if err.detail is not None:
        text = dumps_finite(err.detail, ensure_ascii=False, default=str)
        if len(text) > MAX_DETAIL_CHARS:
            text = json.dumps({"truncated": True, "chars": len(text), "preview": _clip(text, MAX_DETAIL_CHARS // 2)})
        info.metadata["detail"] = text
    status_name = grpc_status_name(err.code)
    code_value = getattr(code_pb2, status_name, code_pb2.INTERNAL)
    detail_any = status_pb2.Status().details.add()
    detail_any.Pack(info)
    return status_pb2.Status(code=code_value, message=_clip(err.message, MAX_MESSAGE_CHARS), details=[detail_any])


def abort(context: grpc.ServicerContext, err: AppError) -> None:
    context.abort_with_status(rpc_status.to_status(to_rpc_status(err)))


def from_rpc_error(exc: grpc.RpcError) -> AppError:
    status = None
    try:
        status = rpc_status.from_call(exc)  # type: ignore[arg-type]
    except Exception:
        status = None
    if status is not None:
        for detail in status.details:
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
                parsed: Any = None
                if "detail" in info.metadata:
                    try:
                        parsed = json.loads(info.metadata["detail"])
                    except ValueError:
                        parsed = info.metadata["detail"]
                return AppError(info.reason, status.message, parsed)
    code = exc.code() if hasattr(exc, "code") else None
    text = exc.details() if hasattr(exc, "details") else str(exc)
    if code == grpc.StatusCode.UNAVAILABLE:
        return AppError("engine_unavailable", f"The engine is not reachable: {text}")
    if code == grpc.StatusCode.UNAUTHENTICATED:
        return AppError("engine_unauthenticated", text or "The engine rejected the credentials.")
    if code == grpc.StatusCode.CANCELLED:
        return AppError("job_cancelled", text or "The call was cancelled.")
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return AppError("engine_unavailable", f"The engine did not answer in time: {text}")
    return AppError("internal_error", text or "Unexpected engine error.", {"grpc_status": str(code)})
