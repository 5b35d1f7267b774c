"""`/api/images/generate` and `/api/images/edit`: start detached jobs.

Edit takes multipart (OpenAI's field names: `image[]`, `mask`) or the upstream web
app's JSON: `{prompt, ..., edit_region_mode, refs: [{name, bytes: [0-255, ...]}],
mask?: {name, bytes}, selection_hint?: {name, bytes}}`. Every file of a JSON body
is checked before any is sent to the engine, so a bad one keeps nothing.
"""

from __future__ import annotations

import io
import os
from typing import Any

from flask import Blueprint, current_app, request

from gpt_image.v1 import common_pb2, images_pb2
from gpt_image_gateway.api import engine
from gpt_image_gateway.api.config import EDIT_REGION_MODES, web_config
from gpt_image_gateway.api.jobs import STARTED, started
from gpt_image_gateway.client import EngineClient
from gpt_image_gateway.forms import call_options, choice, fields, files, image_options, sniff_image, upload
from gpt_image_gateway.openapi import BINARY, IMAGE_FIELDS, choices, json_body, obj, ok, operation
from gpt_image_protocol import validation
from gpt_image_protocol.errors import AppError

bp = Blueprint("images", __name__, url_prefix="/api")
UPLOAD_JSON = obj(
    {"name": {"type": "string"}, "bytes": {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 255}}}
)


@bp.post("/images/generate")
@operation(
    "Start a generate job; answers 202 with the job id at once.",
    tags="images",
    body=json_body(IMAGE_FIELDS),
    responses=ok(STARTED, status="202"),
)
def generate() -> Any:
    body = fields()
    request_ = images_pb2.GenerateImageRequest(options=call_options(body), image=image_options(body), detach=True)
    return started(engine().generate(request_))


@bp.post("/images/edit")
@operation(
    "Start an edit job from uploads (multipart: image[] repeated, mask; or the upstream app's JSON:"
    " refs/mask/selection_hint as {name, bytes: [0-255...]}); 64 MiB cap.",
    tags="images",
    body={
        "content": {
            "multipart/form-data": {
                "schema": obj(
                    {
                        **IMAGE_FIELDS,
                        "image[]": {"type": "array", "items": BINARY},
                        "mask": BINARY,
                        "input_fidelity": choices(validation.INPUT_FIDELITIES),
                    }
                )
            },
            "application/json": {
                "schema": obj(
                    {
                        **IMAGE_FIELDS,
                        "refs": {"type": "array", "items": UPLOAD_JSON},
                        "mask": UPLOAD_JSON,
                        "selection_hint": UPLOAD_JSON,
                        "edit_region_mode": choices(EDIT_REGION_MODES),
                        "input_fidelity": choices(validation.INPUT_FIDELITIES),
                    }
                )
            },
        }
    },
    responses=ok(STARTED, status="202"),
)
def edit() -> Any:
    body = fields()
    image = image_options(body)
    fidelity = choice(body, "input_fidelity", validation.INPUT_FIDELITIES)
    if request.is_json:
        return _edit_json(body, image, fidelity)
    refs = files("image[]", "image")
    if not refs:
        raise AppError("invalid_argument", "At least one reference image is required.", {"field": "image[]"})
    if len(refs) > validation.MAX_REF_IMAGES:
        raise AppError("ref_image_too_many", f"At most {validation.MAX_REF_IMAGES} reference images.")
    masks = files("mask")
    client = engine().pinned()  # uploads and the job on one engine
    sources = [upload(client, ref, "image") for ref in refs]
    return _start_edit(client, body, image, fidelity, sources, upload(client, masks[0], "mask") if masks else None)


def _start_edit(
    client: EngineClient,
    body: dict[str, Any],
    image: images_pb2.ImageOptions,
    fidelity: str,
    refs: list[common_pb2.ImageSource],
    mask: common_pb2.ImageSource | None,
) -> Any:
    edit_request = images_pb2.EditImageRequest(
        options=call_options(body), image=image, detach=True, input_fidelity=fidelity, refs=refs
    )
    if mask is not None:
        edit_request.mask.CopyFrom(mask)
    return started(client.edit(edit_request))


# --- the upstream app's JSON edit


def _decoded(item: Any, field: str) -> tuple[str, str, bytes]:
    """`{name, bytes: [..]}` -> (name, mime, data); 400 coded for anything else."""
    if not isinstance(item, dict) or not isinstance(item.get("bytes"), list):
        raise AppError(
            "invalid_argument", f"{field} must be an object {{name, bytes: [0-255, ...]}}.", {"field": field}
        )
    values = item["bytes"]
    cap = current_app.extensions["gateway_settings"].upload_cap
    if len(values) > cap:
        raise AppError(
            "upload_too_large",
            f"{field} is {len(values)} bytes; the cap is {cap}.",
            {"field": field, "bytes": len(values), "limit_bytes": cap},
        )
    # Types first (in C: JSON true/false or 1.5 would slip through bytes()), then the range.
    if values and set(map(type, values)) != {int}:
        raise AppError("upload_bytes_invalid", f"{field}.bytes must hold integers 0-255 only.", {"field": field})
    try:
        data = bytes(values)
    except ValueError:
        raise AppError(
            "upload_bytes_invalid", f"{field}.bytes must hold integers 0-255 only.", {"field": field}
        ) from None
    raw_name = item.get("name")
    name = os.path.basename(raw_name if isinstance(raw_name, str) else "") or f"{field}.png"
    mime = sniff_image(data[:16])
    if mime is None:
        raise AppError(
            "ref_image_invalid",
            f"{field} ({name!r}) is not a PNG, JPEG, WEBP, GIF or BMP image.",
            {"field": field, "name": name},
        )
    return name, mime, data


def _send(client: EngineClient, item: tuple[str, str, bytes]) -> common_pb2.ImageSource:
    name, mime, data = item
    ref = client.upload(name, mime, io.BytesIO(data), len(data))
    return common_pb2.ImageSource(artifact_id=ref.artifact_id)


def _region_mode(body: dict[str, Any]) -> str:
    """The edit region mode of the provider this edit will use (the upstream's config-aware lookup)."""
    config = web_config()
    name = str(body.get("provider") or config.get("default_provider") or "")
    entry = (config.get("providers") or {}).get(name) if name and name != "auto" else None
    if not isinstance(entry, dict):
        return "reference-hint"
    mode = entry.get("edit_region_mode")
    if mode in EDIT_REGION_MODES:
        return str(mode)
    return "native-mask" if entry.get("type") == "openai" else "reference-hint"


def _edit_json(body: dict[str, Any], image: images_pb2.ImageOptions, fidelity: str) -> Any:
    refs_in = body.get("refs")
    if not isinstance(refs_in, list) or not refs_in:
        raise AppError("invalid_argument", "At least one reference image is required.", {"field": "refs"})
    if len(refs_in) > validation.MAX_REF_IMAGES:
        raise AppError("ref_image_too_many", f"At most {validation.MAX_REF_IMAGES} reference images.")
    refs = [_decoded(item, f"refs[{i}]") for i, item in enumerate(refs_in)]
    mask = _decoded(body["mask"], "mask") if body.get("mask") is not None else None
    hint = _decoded(body["selection_hint"], "selection_hint") if body.get("selection_hint") is not None else None
    mode = _region_mode(body) if (mask or hint) else "none"
    # The upstream's region rule, by the provider's configured mode (the body's edit_region_mode is
    # the app's echo of it): reference-hint sends the hint as one more reference and no mask;
    # native-mask sends the mask and no hint; none refuses either.
    if mode == "none" and (mask or hint):
        raise AppError(
            "unsupported_option",
            "This provider does not support region editing; use multi-reference edit or another provider.",
            {"edit_region_mode": mode},
        )
    if mode == "reference-hint":
        mask = None
    if hint is not None and mode != "native-mask":
        refs.append(hint)
    if len(refs) > validation.MAX_REF_IMAGES:
        raise AppError("ref_image_too_many", f"At most {validation.MAX_REF_IMAGES} reference images.")
    client = engine().pinned()  # uploads and the job on one engine
    sources = [_send(client, ref) for ref in refs]
    return _start_edit(client, body, image, fidelity, sources, _send(client, mask) if mask is not None else None)
