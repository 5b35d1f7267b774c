"""`/api/openapi.json` is generated from the routes: it matches the app's URL map both ways,
every view declares its operation, the option choices are the protocol's tables, and every
path, method, parameter and request/response schema of the hand-written document it
replaced is still there (`fixtures/openapi_handwritten.json` is a snapshot of that
document, as `GET /api/openapi.json` served it before the change)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gpt_image_gateway.openapi import api_routes, declared, document
from gpt_image_protocol import validation

HANDWRITTEN = Path(__file__).parent / "fixtures" / "openapi_handwritten.json"
OPS = ("get", "put", "post", "delete", "patch")


@pytest.fixture
def http(down_app: Flask) -> FlaskClient:
    """The document needs no engine: an app whose engine is down serves it."""
    return down_app.test_client()


def test_document_matches_routes(down_app: Flask, http: FlaskClient) -> None:
    app = down_app
    doc = http.get("/api/openapi.json").json
    assert doc["openapi"] == "3.1.0"
    documented = {(m, p) for p, ops in doc["paths"].items() for m in ops}
    served = api_routes(app)
    assert documented == served, {"undocumented": served - documented, "not served": documented - served}
    undeclared = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/") and declared(app.view_functions[rule.endpoint]) is None
    ]
    assert undeclared == [], "every /api view declares its operation with @operation"


def test_every_operation_is_described(http: FlaskClient) -> None:
    doc = http.get("/api/openapi.json").json
    ids = set()
    for path, ops in doc["paths"].items():
        names = {p["name"] for op in ops.values() for p in op.get("parameters", []) if p["in"] == "path"}
        assert names == set(part[1:-1] for part in path.split("/") if part.startswith("{")), path
        for method, op in ops.items():
            assert op["summary"], (method, path)
            assert op["responses"]["default"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Error"
            }
            assert op["operationId"] not in ids
            ids.add(op["operationId"])


def test_built_once_and_served_as_the_same_bytes(down_app: Flask, http: FlaskClient) -> None:
    app = down_app
    first, second = http.get("/api/openapi.json"), http.get("/api/openapi.json")
    assert first.status_code == second.status_code == 200 and first.mimetype == "application/json"
    assert first.get_data() == second.get_data()
    assert document(app) is document(app)
    assert json.loads(first.get_data()) == document(app)


def test_choices_come_from_the_protocol_tables(http: FlaskClient) -> None:
    doc = http.get("/api/openapi.json").json
    generate = doc["paths"]["/api/images/generate"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    transparent = doc["paths"]["/api/transparent/generate"]["post"]["requestBody"]["content"]["application/json"]
    props, tprops = generate["properties"], transparent["schema"]["properties"]
    assert props["quality"]["enum"] == list(validation.QUALITIES)
    assert props["format"]["enum"] == list(validation.FORMATS)
    assert props["background"]["enum"] == list(validation.BACKGROUNDS)
    assert props["moderation"]["enum"] == list(validation.MODERATIONS)
    assert tprops["profile"]["enum"] == list(validation.PROFILES)
    assert tprops["method"]["enum"] == list(validation.METHODS)
    assert tprops["material"]["enum"] == list(validation.MATERIALS)


# --- the hand-written document's shapes, all still there


def resolve(node: Any, doc: dict[str, Any]) -> Any:
    """`node` with every `$ref` to the document's components replaced by the schema it names."""
    if isinstance(node, dict):
        if set(node) == {"$ref"}:
            target: Any = doc
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return resolve(target, doc)
        return {k: resolve(v, doc) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve(v, doc) for v in node]
    return node


def missing(old: Any, new: Any, where: str = "") -> list[str]:
    """What of `old` is not in `new`: every key and value of `old`, recursively; `new` may add
    keys (a field, a bound, an enum on a free string) and values to an `enum`. Prose
    (`description`) is not a shape."""
    if isinstance(old, dict):
        if not isinstance(new, dict):
            return [f"{where}: {new!r} is no object"]
        out = []
        for key, value in old.items():
            if key == "description":
                continue
            if key not in new:
                out.append(f"{where}/{key}: gone")
            elif key == "enum":
                out += [f"{where}/enum: {v!r} gone" for v in value if v not in new[key]]
            else:
                out += missing(value, new[key], f"{where}/{key}")
        return out
    if isinstance(old, list):
        if not isinstance(new, list) or len(new) != len(old):
            return [f"{where}: {old!r} -> {new!r}"]
        return [m for i, (a, b) in enumerate(zip(old, new, strict=True)) for m in missing(a, b, f"{where}[{i}]")]
    return [] if old == new else [f"{where}: {old!r} -> {new!r}"]


def shapes(doc: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    op = resolve(doc["paths"][path][method], doc)
    return {
        "parameters": {(p["in"], p["name"]): p for p in op.get("parameters", [])},
        "requestBody": op.get("requestBody", {}).get("content", {}),
        "responses": {
            code: response.get("content", {}) for code, response in op["responses"].items() if code != "default"
        },
        "error": op["responses"]["default"]["content"],
    }


def test_every_shape_of_the_handwritten_document_is_kept(http: FlaskClient) -> None:
    old = json.loads(HANDWRITTEN.read_text())
    new = http.get("/api/openapi.json").json
    assert len(old["paths"]) == 42 and sum(len(ops) for ops in old["paths"].values()) == 48  # the snapshot
    problems = []
    for path, ops in old["paths"].items():
        for method in ops:
            if method not in OPS:
                continue
            if method not in new["paths"].get(path, {}):
                problems.append(f"{method} {path}: gone")
                continue
            before, after = shapes(old, path, method), shapes(new, path, method)
            for key, params in before["parameters"].items():
                if key not in after["parameters"]:
                    problems.append(f"{method} {path} parameter {key}: gone")
                else:
                    problems += missing(params, after["parameters"][key], f"{method} {path} parameter {key}")
            for part in ("requestBody", "responses", "error"):
                problems += missing(before[part], after[part], f"{method} {path} {part}")
            for key in set(after["parameters"]) - set(before["parameters"]):
                if after["parameters"][key].get("required"):
                    problems.append(f"{method} {path} parameter {key}: new and required")
    assert problems == [], "\n".join(problems)
    assert missing(resolve(old["components"], old), resolve(new["components"], new), "components") == []
    assert new["security"] == old["security"] and new["info"]["title"] == old["info"]["title"]


def test_the_shape_comparison_itself() -> None:
    """The comparison finds what it should (a green run means something)."""
    base = {"type": "object", "properties": {"a": {"type": "string", "enum": ["x", "y"]}}, "description": "d"}
    assert missing(base, {**base, "description": "other", "required": ["a"]}) == []
    assert missing(base, {"type": "object", "properties": {"a": {"type": "string", "enum": ["x", "y", "z"]}}}) == []
    assert missing(base, {"type": "object", "properties": {"a": {"type": "string", "enum": ["x"]}}})
    assert missing(base, {"type": "object", "properties": {"a": {"type": "integer"}}})
    assert missing(base, {"type": "object", "properties": {}})
    assert missing({"type": ["string", "null"]}, {"type": "string"})
    doc = {"components": {"schemas": {"J": {"type": "object"}}}}
    assert resolve({"items": {"$ref": "#/components/schemas/J"}}, doc) == {"items": {"type": "object"}}
