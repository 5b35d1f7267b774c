"""Opaque page cursors (`created_at|id`, URL-safe base64) and LIKE escaping, shared by the backends."""

from __future__ import annotations

import base64
import binascii
import re

from gpt_image_engine.errors import AppError


def encode_cursor(created_at: str, job_id: str) -> str:
    return base64.urlsafe_b64encode(f"{created_at}|{job_id}".encode()).decode("ascii").rstrip("=")


def decode_cursor(token: str) -> tuple[str, str]:
    bad = AppError("invalid_argument", "The page cursor is malformed.", {"cursor": token})
    text = token.strip()
    if not text or not re.fullmatch(r"[A-Za-z0-9_-]+={0,2}", text):
        raise bad
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("utf-8")
    except (binascii.Error, ValueError):
        raise bad from None
    created_at, sep, job_id = raw.partition("|")
    if not sep or not created_at or not job_id:
        raise bad
    return created_at, job_id


def escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
