"""HTTP API blueprints, one per resource; views translate HTTP to RPCs and back, nothing more."""

from __future__ import annotations

import re
from typing import Any

from flask import current_app

from gpt_image_gateway.client import EngineClient
from gpt_image_protocol.errors import AppError

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def engine(check: bool = True) -> EngineClient:
    """The app's engine client; while an engine speaks another contract, 502 `engine_incompatible`."""
    client: EngineClient = current_app.extensions["engine"]
    if check:
        err = client.incompatible()
        if err is not None:
            raise err
    return client


def check_id(value: str, what: str = "job id") -> str:
    if not _ID.match(value) or ".." in value:
        raise AppError("invalid_argument", f"Malformed {what}.", {"value": value[:200]})
    return value


def blueprints() -> list[Any]:
    from gpt_image_gateway.api import (
        app_settings,
        auth,
        config,
        images,
        jobs,
        meta,
        outputs,
        queue,
        session,
        transparent,
    )

    return [
        meta.bp,
        session.bp,
        config.bp,
        app_settings.bp,
        auth.bp,
        jobs.bp,
        queue.bp,
        images.bp,
        transparent.bp,
        outputs.bp,
    ]
