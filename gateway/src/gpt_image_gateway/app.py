"""`create_app(engine_client)`: the Flask application factory.

The app holds no state of its own: the engine client (one gRPC channel), the SSE
watch hub that shares one engine watch per job among followers, the settings, and
the page's static folder. Every `/api` view is a translation to one or two RPCs.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from flask import Flask, abort, send_from_directory
from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import PathConverter

from gpt_image_gateway import errors, security
from gpt_image_gateway.api import blueprints
from gpt_image_gateway.client import EngineClient
from gpt_image_gateway.settings import Settings
from gpt_image_gateway.sse import WatchHub


def create_app(
    engine_client: EngineClient, settings: Settings | None = None, test_config: dict[str, Any] | None = None
) -> Flask:
    settings = settings or Settings.from_env()
    settings.check()
    app = Flask(__name__, static_folder=None)
    app.json = _JSONProvider(app)
    app.config.update(JSON_SORT_KEYS=False, MAX_CONTENT_LENGTH=settings.image_body_cap)
    if test_config:
        app.config.update(test_config)
    app.extensions["engine"] = engine_client
    app.extensions["gateway_settings"] = settings
    app.extensions["watch_hub"] = WatchHub(engine_client, heartbeat_s=settings.sse_heartbeat_s)

    errors.install(app)
    security.install(app)
    for bp in blueprints():
        app.register_blueprint(bp)
    _static(app, settings.static_dir)
    return app


class _JSONProvider(DefaultJSONProvider):
    """Flask's JSON, with a body nested past the parser's depth being bad JSON (400), not a crash."""

    sort_keys = False

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("The JSON body is nested too deeply.") from None


class PagePath(PathConverter):
    """A page path: anything but `api` and `api/...`, so an unknown API route under any method
    matches no rule and answers 404 JSON (not 405 from this GET-only catch-all)."""

    regex = r"(?!api(?:/|$))[^/].*?"


def _static(app: Flask, root: Path) -> None:
    """The page: files under web/, with index.html for the root and unknown non-API paths.

    The PWA files are ordinary page files; their types are registered here because some
    platforms' MIME tables lack them (a manifest must be application/manifest+json).
    """
    mimetypes.add_type("application/manifest+json", ".webmanifest")
    mimetypes.add_type("image/x-icon", ".ico")
    mimetypes.add_type("text/javascript", ".js")
    app.url_map.converters["page"] = PagePath

    @app.get("/")
    def index() -> Any:
        return send_from_directory(root, "index.html", max_age=0)

    @app.get("/<page:name>")
    def page_file(name: str) -> Any:
        target = (root / name).resolve()
        if root.resolve() not in target.parents or not target.is_file():
            if "." in name.rsplit("/", 1)[-1]:
                abort(404)
            return send_from_directory(root, "index.html", max_age=0)  # client-side routes
        return send_from_directory(root, name, max_age=0)
