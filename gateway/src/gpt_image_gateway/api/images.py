"""`/api/images/generate` and `/api/images/edit` (multipart, OpenAI's field names): start detached jobs."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from gpt_image.v1 import images_pb2
from gpt_image_gateway.api import engine
from gpt_image_gateway.api.jobs import started
from gpt_image_gateway.forms import call_options, choice, fields, files, image_options, upload
from gpt_image_protocol import validation
from gpt_image_protocol.errors import AppError

bp = Blueprint("images", __name__, url_prefix="/api")


@bp.post("/images/generate")
def generate() -> Any:
    body = fields()
    request = images_pb2.GenerateImageRequest(options=call_options(body), image=image_options(body), detach=True)
    return started(engine().generate(request))


@bp.post("/images/edit")
def edit() -> Any:
    body = fields()
    image = image_options(body)
    fidelity = choice(body, "input_fidelity", validation.INPUT_FIDELITIES)
    refs = files("image[]", "image")
    if not refs:
        raise AppError("invalid_argument", "At least one reference image is required.", {"field": "image[]"})
    if len(refs) > validation.MAX_REF_IMAGES:
        raise AppError("ref_image_too_many", f"At most {validation.MAX_REF_IMAGES} reference images.")
    masks = files("mask")
    client = engine().pinned()  # uploads and the job on one engine
    request = images_pb2.EditImageRequest(
        options=call_options(body),
        image=image,
        detach=True,
        input_fidelity=fidelity,
        refs=[upload(client, ref, "image") for ref in refs],
    )
    if masks:
        request.mask.CopyFrom(upload(client, masks[0], "mask"))
    return started(client.edit(request))
