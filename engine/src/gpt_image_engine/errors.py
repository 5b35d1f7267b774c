"""The engine's coded error: the shared `AppError` (registry in gpt_image_protocol.codes)."""

from gpt_image_protocol.errors import AppError

__all__ = ["AppError"]
