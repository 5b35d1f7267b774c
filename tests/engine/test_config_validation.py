"""config.json's checks (msgspec underneath): each malformed shape keeps its own message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gpt_image_engine.errors import AppError
from gpt_image_engine.store import config as cs


@pytest.mark.parametrize(
    ("body", "message", "error"),
    [
        ("[1]", "Config file must contain a JSON object", "top level is not an object"),
        ('{"providers": 3}', "Config `providers` must be an object", "providers is not an object"),
        ('{"default_provider": 7}', "Config `default_provider` must be a string", "default_provider is not a string"),
        ('{"providers": {"ok": {}, "bad one": [1]}}', "Provider 'bad one' must be an object", "provider entry is not an object"),
        ('{"providers": {"ok": {"credentials": null}, "p": {"credentials": "k"}}}', "Provider 'p' credentials must be an object", "credentials is not an object"),
        ('{"providers": {', "Config file must be valid JSON", None),
        (b"\xff\xfe{}", "Config file must be valid JSON", None),
        ('{"providers": {"a": null', "Config file must be valid JSON", None),  # cut short after a bad entry
    ],
)  # fmt: skip
def test_each_bad_shape_has_its_message(tmp_path: Path, body: str | bytes, message: str, error: str | None) -> None:
    path = tmp_path / "config.json"
    path.write_bytes(body if isinstance(body, bytes) else body.encode())
    with pytest.raises(AppError) as info:
        cs.load_config(path)
    assert info.value.code == "config_invalid_json"
    assert info.value.message == f"{message} ({path}); the file was left untouched."
    assert info.value.detail["config_file"] == str(path)
    if error is not None:
        assert info.value.detail["error"] == error


def test_unknown_keys_drop_defaults_fill_and_reads_are_independent(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    raw = {
        "version": None,
        "mystery": {"x": 1},
        "providers": {"p": {"api_base": "http://h/v1", "extra": 1, "proxy": None}},
        "queue": {"max_parallel": 3},
    }
    path.write_text(json.dumps(raw))
    cfg = cs.load_config(path)
    assert cfg == {
        "version": 1,
        "default_provider": None,
        "providers": {"p": {"type": "openai-compatible", "api_base": "http://h/v1", "credentials": {}, "proxy": None}},
        "queue": {"max_parallel": 3},
    }
    cfg["providers"]["p"]["credentials"]["api_key"] = "mutated"
    cfg["queue"]["max_parallel"] = 9
    assert cs.load_config(path)["providers"]["p"]["credentials"] == {}  # no cache shares state
    assert cs.load_config(path)["queue"] == {"max_parallel": 3}
    path.write_text(json.dumps({**raw, "queue": {"max_parallel": 5}}))  # a rewrite is seen at once
    assert cs.queue_max_parallel(cs.load_config(path)) == 5
