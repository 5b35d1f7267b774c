"""Issue 9 (3), property-based: hostile size strings, enum flags, config.json and auth.json.

Every input either parses into a value that satisfies every rule, or fails with the one
documented coded error; nothing else escapes, and reading a file never changes it.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from gpt_image_engine.errors import AppError as EngineAppError
from gpt_image_protocol import validation
from gpt_image_protocol.errors import AppError

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_size_text = st.one_of(
    st.text(max_size=24),
    st.builds(
        lambda w, sep, h, pad: f"{pad}{w}{sep}{h}{pad}",
        st.integers(-5, 10_000).map(str) | st.text("0123456789", max_size=6),
        st.sampled_from(["x", "X", "×", "*", "", "xx", " x "]),
        st.integers(-5, 10_000).map(str) | st.text("0123456789", max_size=6),
        st.sampled_from(["", " ", "\t", "\n"]),
    ),
    st.sampled_from(["auto", "AUTO", "2k", "4K", " 2K ", "1024x1024", "3840x2160", "0x0", "16x16"]),
)

_ASCII_DIGIT_SIZES = _size_text.filter(lambda s: all(ord(c) < 128 for c in s))


def _check_accepted(value: str, result: str) -> None:
    if result == "auto":
        assert value.strip().lower() == "auto"
        return
    w_text, _, h_text = result.partition("x")
    width, height = int(w_text), int(h_text)
    assert width > 0 and height > 0
    assert width % 16 == 0 and height % 16 == 0
    assert max(width, height) <= validation.MAX_EDGE
    assert validation.MIN_PIXELS <= width * height <= validation.MAX_PIXELS
    assert max(width, height) / min(width, height) <= validation.MAX_ASPECT


@SETTINGS
@given(_ASCII_DIGIT_SIZES)
@example("1024x1024")
@example("4k")
def test_parse_size_ascii(value: str) -> None:
    try:
        result = validation.parse_size(value)
    except AppError as err:
        assert err.code == "invalid_command"
        return
    _check_accepted(value, result)


@SETTINGS
@given(st.integers(1, 4000), st.integers(1, 4000))
def test_parse_size_every_accepted_pair_obeys_the_rules(width: int, height: int) -> None:
    try:
        result = validation.parse_size(f"{width}x{height}")
    except AppError as err:
        assert err.code == "invalid_command"
        return
    assert result == f"{width}x{height}"
    _check_accepted(f"{width}x{height}", result)


def test_parse_size_unicode_digits() -> None:
    for value in ("1024x²", "²x1024", "1024x1024²"):
        try:
            validation.parse_size(value)
        except AppError as err:
            assert err.code == "invalid_command"


@SETTINGS
@given(st.text(max_size=16), st.sampled_from(["quality", "format", "background", "moderation", "fidelity"]))
def test_enum_flags(value: str, which: str) -> None:
    allowed = {
        "quality": validation.QUALITIES,
        "format": validation.FORMATS,
        "background": validation.BACKGROUNDS,
        "moderation": validation.MODERATIONS,
        "fidelity": validation.INPUT_FIDELITIES,
    }[which]
    try:
        result = validation.check_choice(f"--{which}", value, allowed)
    except AppError as err:
        assert err.code == "invalid_command"
        assert value not in allowed
        return
    assert result in allowed or (value == "" and result is None)


@SETTINGS
@given(st.integers(-(2**63), 2**63 - 1), st.integers(-5, 5), st.integers(-5, 200))
def test_ranges(value: int, low: int, high: int) -> None:
    try:
        assert validation.check_range("--n", value, low, high) == value
        assert low <= value <= high
    except AppError as err:
        assert err.code == "invalid_command"
        assert not low <= value <= high


# --- files the engine reads

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
_provider_fields = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["openai", "openai-compatible", "codex", "bogus", ""]) | _json_values,
        "api_base": st.text(max_size=20) | _json_values,
        "endpoint": st.text(max_size=20) | _json_values,
        "model": _json_values,
        "supports_n": _json_values,
        "edit_region_mode": st.sampled_from(["native-mask", "reference-hint", "none", "x"]) | _json_values,
        "credentials": st.dictionaries(
            st.sampled_from(["api_key", "access_token", "refresh_token", "x"]),
            st.fixed_dictionaries({}, optional={"source": st.sampled_from(["file", "env", "keychain", "?"]) | _json_values, "value": _json_values, "env": _json_values}) | _json_values,  # fmt: skip
            max_size=3,
        )
        | _json_values,
    },
)
_config_docs = st.fixed_dictionaries(
    {},
    optional={
        "version": _json_values,
        "default_provider": st.text(max_size=8) | _json_values,
        "providers": st.dictionaries(st.text(max_size=8), _provider_fields | _json_values, max_size=3) | _json_values,
        "notifications": _json_values,
        "storage": _json_values,
        "paths": _json_values,
    },
)
_config_bytes = st.one_of(
    st.binary(max_size=200),
    _json_values.map(lambda v: json.dumps(v).encode()),
    _config_docs.map(lambda v: json.dumps(v).encode()),
    st.text(max_size=60).map(lambda t: t.encode("utf-8", "surrogatepass")),
)


@SETTINGS
@given(_config_bytes)
@example(b"\xef\xbb\xbf{}")
@example(b'{"providers": {"a": {"type": "codex", "credentials": {"access_token": {"source": "file"}}}}}')
def test_load_config_any_bytes(raw: bytes) -> None:
    from gpt_image_engine.store.config import load_config

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "config.json"
        path.write_bytes(raw)
        try:
            cfg = load_config(path)
        except EngineAppError as err:
            assert err.code in ("config_invalid_json", "config_read_failed"), (err.code, err.message)
        else:
            assert isinstance(cfg, dict)
        assert path.read_bytes() == raw


_AUTH_CODES = {
    "auth_missing",
    "auth_read_failed",
    "auth_invalid_json",
    "auth_invalid_shape",
    "access_token_missing",
    "account_id_missing",
    "invalid_jwt",
}


def _jwt_like(payload: Any) -> str:
    import base64

    body = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    return f"eyJhbGciOiJub25lIn0.{body}.sig"


_token = st.one_of(
    st.text(max_size=30),
    _json_values.map(_jwt_like),
    st.just("a.b.c"),
    st.just("a.!!!.c"),
    _json_values,
)
_auth_docs = st.fixed_dictionaries(
    {},
    optional={
        "tokens": st.fixed_dictionaries(
            {}, optional={"access_token": _token, "refresh_token": _token, "id_token": _token, "account_id": _json_values}
        )
        | _json_values,
        "access_token": _token,
        "account_id": _json_values,
        "OPENAI_API_KEY": _json_values,
    },
)


@SETTINGS
@given(st.one_of(st.binary(max_size=200), _auth_docs.map(lambda v: json.dumps(v).encode())))
def test_load_auth_state_any_bytes(raw: bytes) -> None:
    from gpt_image_engine.providers.codex_auth import load_auth_state

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "auth.json"
        path.write_bytes(raw)
        try:
            state = load_auth_state(path)
        except EngineAppError as err:
            assert err.code in _AUTH_CODES, (err.code, err.message)
        else:
            assert isinstance(state.access_token, str) and isinstance(state.account_id, str) and state.account_id
        assert path.read_bytes() == raw
