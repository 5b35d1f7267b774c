"""The coded error every layer raises: `AppError(code, message, detail)`.

No grpc here, so domain code (providers, store, transparent) can raise it.
`to_envelope` gives the `{code, message, detail?}` shape every surface prints.
"""

from __future__ import annotations

from typing import Any

from gpt_image_protocol.codes import REGISTRY


class AppError(Exception):
    def __init__(self, code: str, message: str, detail: Any = None, *, status_code: int | None = None) -> None:
        super().__init__(message)
        if code not in REGISTRY:
            # An unregistered code is a programming error; keep it visible but coded.
            detail = {"unregistered_code": code, "detail": detail}
            code = "internal_error"
        self.code = code
        self.message = message
        self.detail = detail
        self.status_code = status_code

    def to_envelope(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.detail is not None:
            body["detail"] = self.detail
        return body

    def __repr__(self) -> str:
        return f"AppError({self.code!r}, {self.message!r})"
