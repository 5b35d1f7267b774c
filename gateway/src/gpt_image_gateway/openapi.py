"""The OpenAPI 3.1 document of `/api`, generated from the app's routes with apispec.

Each view declares its own operation beside itself with `@operation(...)` (summary, tags,
request body, parameters, responses), and a blueprint names the shapes its routes share
with `component` (the job and the 202 "started" answer in api/jobs, the queue in api/queue).
This module holds what every blueprint uses: the decorator and its building blocks, the one
error shape, and the image and transparent option fields, whose choices come from
`gpt_image_protocol.validation`, the one table the CLI and the gateway's form parsing use
too. `build(app)` walks the app's URL map: for every `/api` view it takes the declared
operation, adds what the rule itself says (path parameters typed by their converters, the
operationId, the error response) and hands it to apispec's Flask plugin, which finds the
rule of each view and assembles and checks the document. `document(app)` builds it once per
app (its routes are fixed after the first request) and `/api/openapi.json` serves the same
bytes each time.

The views import this module, never the other way round.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from apispec import APISpec
from apispec_webframeworks.flask import FlaskPlugin
from flask import Flask
from werkzeug.routing import BaseConverter, FloatConverter, IntegerConverter

from gpt_image_gateway import __version__
from gpt_image_protocol import validation

View = TypeVar("View", bound=Callable[..., Any])
Schema = dict[str, Any]

_OPERATION = "openapi_operation"  # the attribute `@operation` sets on a view
_CACHE = "openapi_document"  # app.extensions key: (document, its JSON bytes)

# --- shared shapes


def ref(name: str) -> Schema:
    """A reference to one of the document's component schemas (`COMPONENTS`)."""
    return {"$ref": f"#/components/schemas/{name}"}


ERROR: Schema = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "detail": {}},
        }
    },
}
# Shapes answered by several routes, named in the document's components; a blueprint names
# its own with `component` (the job's and the queue's live beside their routes).
COMPONENTS: dict[str, Schema] = {"Error": ERROR}
ERROR_RESPONSE: Schema = {"description": "Error", "content": {"application/json": {"schema": ref("Error")}}}
BINARY: Schema = {"type": "string", "format": "binary"}


def component(name: str, schema: Schema) -> Schema:
    """Name a shared shape in the document's components; answers the reference to it."""
    COMPONENTS[name] = schema
    return ref(name)


def choices(values: Iterable[str]) -> Schema:
    return {"type": "string", "enum": list(values)}


IMAGE_FIELDS: dict[str, Schema] = {
    "prompt": {"type": "string"},
    "provider": {"type": "string"},
    "model": {"type": "string"},
    "instructions": {"type": "string"},
    "size": {"type": "string", "description": "auto | 2K | 4K | WIDTHxHEIGHT"},
    "quality": choices(validation.QUALITIES),
    "format": choices(validation.FORMATS),
    "background": choices(validation.BACKGROUNDS),
    "compression": {"type": "integer", "minimum": 0, "maximum": 100},
    "moderation": choices(validation.MODERATIONS),
    "n": {"type": "integer", "minimum": 1, "maximum": 10},
    "partial_images": {"type": "integer", "minimum": 0, "maximum": 3},
}
TRANSPARENT_FIELDS: dict[str, Schema] = {
    "method": choices(validation.METHODS),
    "profile": choices(validation.PROFILES),
    "material": choices(validation.MATERIALS),
    "matte_color": {"type": "string"},
    "threshold": {"type": "number"},
    "softness": {"type": "number"},
    "spill_suppression": {"type": "number"},
    "strict": {"type": "boolean"},
}

# --- building blocks of an operation


def obj(props: dict[str, Schema]) -> Schema:
    return {"type": "object", "properties": props}


def json_body(props: dict[str, Schema], form: bool = True) -> Schema:
    """A body read by `forms.fields()`: JSON, or the same fields as a form (unless `form` is off)."""
    media = {"application/json": {"schema": obj(props)}}
    if form:
        media["multipart/form-data"] = {"schema": obj(props)}
    return {"content": media}


def multipart(props: dict[str, Schema]) -> Schema:
    return {"content": {"multipart/form-data": {"schema": obj(props)}}}


def ok(
    schema: Schema | None = None, media: str = "application/json", status: str = "200", description: str = ""
) -> dict[str, Schema]:
    description = description or ("Started" if status == "202" else "OK")
    return {status: {"description": description, "content": {media: {"schema": schema or {"type": "object"}}}}}


CONFIG = ok(description="The redacted config.")  # what every settings save answers


def query(name: str, schema: Schema, required: bool = False, description: str = "") -> Schema:
    param: Schema = {"name": name, "in": "query", "schema": schema}
    if required:
        param["required"] = True
    if description:
        param["description"] = description
    return param


def operation(
    summary: str,
    *,
    tags: str,
    body: Schema | None = None,
    parameters: Iterable[Schema] = (),
    responses: dict[str, Schema] | None = None,
) -> Callable[[View], View]:
    """Declare a view's OpenAPI operation beside it (below its `@bp.<method>(...)` line).

    Without `responses` the view answers 200 with a JSON object; every operation also gets
    the `default` error response, its path parameters and an operationId from the rule."""
    op: Schema = {"summary": summary, "tags": [tags]}
    if parameters:
        op["parameters"] = list(parameters)
    if body is not None:
        op["requestBody"] = body
    op["responses"] = responses or ok()

    def mark(view: View) -> View:
        setattr(view, _OPERATION, op)
        return view

    return mark


def declared(view: Callable[..., Any]) -> Schema | None:
    """The operation a view declared with `@operation`, if it did."""
    op = getattr(view, _OPERATION, None)
    return op if isinstance(op, dict) else None


# --- the document

_RULE_PARAM = re.compile(r"<(?:([A-Za-z_]\w*)(?:\([^)]*\))?:)?([A-Za-z_]\w*)>")


def _path_parameters(app: Flask, rule: str) -> list[Schema]:
    params = []
    for converter_name, name in _RULE_PARAM.findall(rule):
        converter: type[BaseConverter] = app.url_map.converters[converter_name or "default"]
        if issubclass(converter, IntegerConverter):
            schema: Schema = {"type": "integer", "minimum": 0}  # werkzeug's int is unsigned by default
        elif issubclass(converter, FloatConverter):
            schema = {"type": "number", "minimum": 0}
        else:
            schema = {"type": "string"}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return params


def _operation_id(method: str, path: str) -> str:
    return f"{method}_{re.sub(r'[^a-z0-9]+', '_', path[len('/api/') :].lower()).strip('_')}"


def api_routes(app: Flask) -> set[tuple[str, str]]:
    """(method, OpenAPI path) of every /api route in the app's URL map."""
    found: set[tuple[str, str]] = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            path = FlaskPlugin.flaskpath2openapi(rule.rule)
            found.update((m.lower(), path) for m in rule.methods or () if m not in ("HEAD", "OPTIONS"))
    return found


def build(app: Flask) -> dict[str, Any]:
    """Generate the document from `app`'s routes (uncached; `document` caches it)."""
    spec = APISpec(
        title="gpt-image-2 web gateway",
        version=__version__,
        openapi_version="3.1.0",
        plugins=[FlaskPlugin()],
        security=[{"bearer": []}, {"cookie": []}, {}],
    )
    for name, schema in COMPONENTS.items():
        spec.components.schema(name, schema)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.security_scheme("cookie", {"type": "apiKey", "in": "cookie", "name": "gpt2_session"})
    rules = sorted((r for r in app.url_map.iter_rules() if r.rule.startswith("/api/")), key=lambda r: r.rule)
    for rule in rules:
        view = app.view_functions[rule.endpoint]
        op = declared(view) or {"summary": (view.__doc__ or rule.endpoint).strip().splitlines()[0], "tags": ["other"]}
        path = FlaskPlugin.flaskpath2openapi(rule.rule)
        operations = {}
        for method in sorted(m.lower() for m in rule.methods or () if m not in ("HEAD", "OPTIONS")):
            responses = {**op.get("responses", ok()), "default": ERROR_RESPONSE}
            operations[method] = {
                **op,
                "operationId": _operation_id(method, path),
                "parameters": [*op.get("parameters", ()), *_path_parameters(app, rule.rule)],
                "responses": responses,
            }
            if not operations[method]["parameters"]:
                del operations[method]["parameters"]
        # The plugin maps a view to its endpoint's first rule: one rule per /api view (a view
        # under two rules would be documented twice under the first; the route test would fail).
        spec.path(view=view, app=app, operations=operations)
    return spec.to_dict()


def document(app: Flask) -> dict[str, Any]:
    return _cached(app)[0]


def document_bytes(app: Flask) -> bytes:
    """The document as JSON, built on the first call for this app and kept."""
    return _cached(app)[1]


def _cached(app: Flask) -> tuple[dict[str, Any], bytes]:
    cached = app.extensions.get(_CACHE)
    if cached is None:
        doc = build(app)
        cached = app.extensions[_CACHE] = (doc, json.dumps(doc, separators=(",", ":")).encode())
    return cached  # type: ignore[no-any-return]
