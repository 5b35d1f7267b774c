"""`/api/openapi.json` matches the app's routes, both ways."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from gpt_image_gateway.openapi import ROUTES, api_routes


def test_document_matches_routes(app: Flask, http: FlaskClient) -> None:
    doc = http.get("/api/openapi.json").json
    assert doc["openapi"].startswith("3.")
    documented = {(m, p) for p, ops in doc["paths"].items() for m in ops}
    served = api_routes(app)
    assert documented == served, {"undocumented": served - documented, "not served": documented - served}
    assert set(ROUTES) == served


def test_every_operation_is_described(http: FlaskClient) -> None:
    doc = http.get("/api/openapi.json").json
    ids = set()
    for path, ops in doc["paths"].items():
        names = {p["name"] for op in ops.values() for p in op.get("parameters", []) if p["in"] == "path"}
        assert names == set(part[1:-1] for part in path.split("/") if part.startswith("{")), path
        for method, op in ops.items():
            assert op["summary"], (method, path)
            assert "default" in op["responses"]
            assert op["operationId"] not in ids
            ids.add(op["operationId"])
