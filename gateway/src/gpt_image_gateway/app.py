"""`create_app(engine_client)`: the Flask application factory."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify
from gpt_image_protocol.errors import AppError

from gpt_image_gateway.client import EngineClient


def create_app(engine_client: EngineClient, test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    if test_config:
        app.config.update(test_config)
    app.extensions["engine"] = engine_client

    @app.errorhandler(AppError)
    def coded(err: AppError) -> Any:
        status = 404 if err.code.endswith("not_found") else 503 if err.code == "engine_unavailable" else 400
        return jsonify({"error": err.to_envelope()}), status

    @app.get("/api/version")
    def version() -> Any:
        return jsonify({"gateway": "0.1.0", "engine": engine_client.version()})

    return app
