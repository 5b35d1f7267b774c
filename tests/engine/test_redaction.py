"""The event/log redactor (upstream §3.4) and secret scrubbing of log text."""

from __future__ import annotations

from gpt_image_engine.security.redaction import redact, redact_secrets_in_text

B64 = "QUJD" * 200  # 800 base64 chars


def test_secret_keys_case_insensitive() -> None:
    value = {
        "Access_Token": "a",
        "REFRESH_TOKEN": "r",
        "id_token": None,
        "Authorization": "Bearer x",
        "api_key": "k",
        "other": "ok",
    }
    out = redact(value)
    for key in (
        "Access_Token",
        "REFRESH_TOKEN",
        "id_token",
        "Authorization",
        "api_key",
    ):
        assert out[key] == {"_omitted": "secret"}
    assert out["other"] == "ok"


def test_data_url() -> None:
    out = redact({"image": "data:image/png;base64,AAAA"})
    assert out["image"] == {
        "_omitted": "data_url",
        "prefix": "data:image/png;base64",
        "base64_chars": 4,
    }


def test_base64_keys() -> None:
    out = redact(
        {
            "result": "abc",
            "b64_json": B64,
            "partial_image_b64": "xyz",
            "image_url": "https://example.com/a.png",
        }
    )
    assert out["result"] == {"_omitted": "base64", "base64_chars": 3}
    assert out["b64_json"] == {"_omitted": "base64", "base64_chars": len(B64)}
    assert out["partial_image_b64"] == {"_omitted": "base64", "base64_chars": 3}
    assert out["image_url"] == {
        "_omitted": "string",
        "chars": len("https://example.com/a.png"),
    }


def test_long_base64_anywhere_and_nested() -> None:
    out = redact({"a": [{"b": B64}], "short": "QUJD", "long_text": "hello world " * 100})
    assert out["a"][0]["b"] == {"_omitted": "base64", "base64_chars": len(B64)}
    assert out["short"] == "QUJD"
    assert out["long_text"] == "hello world " * 100


def test_scalars_untouched_and_input_not_mutated() -> None:
    value = {"n": 1, "f": 1.5, "b": True, "z": None, "api_key": "k"}
    out = redact(value)
    assert out["n"] == 1 and out["b"] is True and out["z"] is None
    assert value["api_key"] == "k"
    assert redact("plain") == "plain"


def test_redact_secrets_in_text() -> None:
    text = "using key sk-abcdef and token sk-abcdef-long, sk-abcdef"
    out = redact_secrets_in_text(text, ["sk-abcdef", "sk-abcdef-long", "", None])
    assert "sk-abcdef" not in out
    assert out.count("[redacted]") == 3
