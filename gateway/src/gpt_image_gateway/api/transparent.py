"""`/api/transparent/{extract,verify,generate}`: transparent PNGs from uploads or prompts."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from gpt_image.v1 import transparent_pb2
from gpt_image_gateway.api import engine
from gpt_image_gateway.api.jobs import STARTED, started
from gpt_image_gateway.forms import (
    call_options,
    enum_word,
    fields,
    files,
    flag,
    image_options,
    text,
    transparent_options,
    upload,
)
from gpt_image_gateway.openapi import BINARY, IMAGE_FIELDS, TRANSPARENT_FIELDS, json_body, multipart, ok, operation
from gpt_image_protocol.errors import AppError
from gpt_image_protocol.jsonshape import PROFILES, error_of, ref_record, result_of, state

bp = Blueprint("transparent", __name__, url_prefix="/api")


@bp.post("/transparent/extract")
@operation(
    "Start extracting a transparent PNG from an upload (image, or dark_image + light_image).",
    tags="transparent",
    body=multipart({**TRANSPARENT_FIELDS, "image": BINARY, "dark_image": BINARY, "light_image": BINARY}),
    responses=ok(STARTED, status="202"),
)
def extract() -> Any:
    body = fields()
    client = engine().pinned()  # uploads and the job on one engine
    request = transparent_pb2.ExtractTransparentRequest(
        options=call_options(body), transparent=transparent_options(body), detach=True
    )
    single = files("image", "input", "image[]")
    dark, light = files("dark_image"), files("light_image")
    if single:
        request.input.CopyFrom(upload(client, single[0], "image"))
    elif dark and light:
        request.dark_image.CopyFrom(upload(client, dark[0], "dark_image"))
        request.light_image.CopyFrom(upload(client, light[0], "light_image"))
    else:
        raise AppError("invalid_argument", "Upload an image, or a dark_image and a light_image.", {"field": "image"})
    return started(client.transparent_extract(request))


@bp.post("/transparent/verify")
@operation(
    "Verify a transparent PNG against a profile; answers with the metrics.",
    tags="transparent",
    body=multipart(
        {
            "image": BINARY,
            "profile": TRANSPARENT_FIELDS["profile"],
            "expected_matte_color": {"type": "string"},
            "strict": TRANSPARENT_FIELDS["strict"],
        }
    ),
)
def verify() -> Any:
    body = fields()
    single = files("image", "input")
    if not single:
        raise AppError("invalid_argument", "Upload the image to verify.", {"field": "image"})
    client = engine().pinned()  # uploads and the job on one engine
    request = transparent_pb2.VerifyTransparentRequest(
        options=call_options(body),
        input=upload(client, single[0], "image"),
        transparent_profile=enum_word(body, "profile", PROFILES),
        expected_matte_color=text(body, "expected_matte_color", "matte_color"),
        strict=flag(body, "strict"),
    )
    last = client.transparent_verify(request)
    err = error_of(last)
    if err:
        raise AppError(err["code"], err["message"], err.get("detail"))
    return jsonify(
        {
            "job_id": last.job_id,
            "status": state(last),
            "result": result_of(last) or {},
            "artifacts": [ref_record(a) for a in last.artifacts],
        }
    )


@bp.post("/transparent/generate")
@operation(
    "Start a transparent generate job.",
    tags="transparent",
    body=json_body(
        {
            **IMAGE_FIELDS,
            **TRANSPARENT_FIELDS,
            "source_prompt": {"type": "string"},
            "keep_sources": {"type": "boolean"},
            "want_report": {"type": "boolean"},
        }
    ),
    responses=ok(STARTED, status="202"),
)
def generate() -> Any:
    body = fields()
    request = transparent_pb2.GenerateTransparentRequest(
        options=call_options(body),
        image=image_options(body),
        transparent=transparent_options(body),
        detach=True,
        source_prompt=text(body, "source_prompt"),
        keep_sources=flag(body, "keep_sources"),
        want_report=flag(body, "want_report"),
    )
    return started(engine().transparent_generate(request))
