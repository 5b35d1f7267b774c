"""Client-side validation of image flags, with the upstream's rules and messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from gpt_image_cli.validate import parse_size
from tests.cli.conftest import Invoke, envelope

GEN = ("images", "generate", "--prompt", "a cat", "--out", "out.png")


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        ("1024x640", "1024x640"),
        ("2880x2880", "2880x2880"),
        ("2160x3840", "2160x3840"),
        ("2k", "2048x2048"),
        ("2K", "2048x2048"),
        ("4K", "3840x2160"),
        ("auto", "auto"),
        (" AUTO ", "auto"),
    ],
)
def test_sizes_accepted(text: str, normalized: str) -> None:
    assert parse_size(text) == normalized


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("4096x4096", "Image size supports a maximum edge of 3840px."),
        ("512x512", "Image size supports at least 655360 total pixels. The smallest valid size of that shape is 816x816."),
        ("16x16", "Image size supports at least 655360 total pixels. The smallest valid size of that shape is 816x816."),
        ("1024x512", "Image size supports at least 655360 total pixels. The smallest valid size of that shape is 1152x576."),
        ("5000x5000", "Image size must use width and height values that are multiples of 16."),
        ("4000x4000", "Image size supports a maximum edge of 3840px."),
        ("3840x3840", "Image size supports up to 8294400 total pixels."),
        ("1000x1000", "Image size must use width and height values that are multiples of 16."),
        ("0x1024", "Image size must use positive width and height values."),
        ("3840x1024", "Image size supports a maximum aspect ratio of 3:1."),
        ("big", "Image size must be auto, 2K, 4K, or WIDTHxHEIGHT."),
        ("1024x", "Image size must be auto, 2K, 4K, or WIDTHxHEIGHT."),
    ],
)
def test_sizes_rejected_with_upstream_message(invoke: Invoke, text: str, message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace(".", r"\.") + "$"):
        parse_size(text)
    result = invoke(*GEN, "--size", text)
    assert result.exit_code == 2
    body = envelope(result)
    assert body["error"]["code"] == "invalid_command"
    assert message in body["error"]["message"]


@pytest.mark.parametrize("size", ["1024x640", "2880x2880", "2160x3840", "2k", "4K"])
def test_accepted_size_passes_validation(invoke: Invoke, size: str) -> None:
    # Past validation the CLI tries the (absent) engine: proof nothing was rejected.
    result = invoke(*GEN, "--size", size)
    assert result.exit_code == 1
    assert envelope(result)["error"]["code"] == "engine_unavailable"


@pytest.mark.parametrize(
    ("flag", "value", "ok"),
    [
        ("--n", "0", False),
        ("--n", "11", False),
        ("--n", "1", True),
        ("--n", "10", True),
        ("--compression", "101", False),
        ("--compression", "-1", False),
        ("--compression", "0", True),
        ("--compression", "100", True),
        ("--partial-images", "4", False),
        ("--partial-images", "3", True),
    ],
)
def test_ranges(invoke: Invoke, flag: str, value: str, ok: bool) -> None:
    result = invoke(*GEN, flag, value)
    body = envelope(result)
    if ok:
        assert (result.exit_code, body["error"]["code"]) == (1, "engine_unavailable")
    else:
        assert (result.exit_code, body["error"]["code"]) == (2, "invalid_command")


def _refs(tmp_path: Path, count: int) -> list[str]:
    args = []
    for i in range(count):
        path = tmp_path / f"ref{i}.png"
        path.write_bytes(b"\x89PNG\r\n\x1a\n")
        args += ["--ref-image", str(path)]
    return args


def test_seventeen_refs_are_too_many(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("images", "edit", "--prompt", "x", "--out", "o.png", *_refs(tmp_path, 17))
    assert result.exit_code == 1
    error = envelope(result)["error"]
    assert error["code"] == "ref_image_too_many"
    assert error["detail"] == {"max": 16, "actual": 17}


def test_sixteen_refs_pass_validation(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("images", "edit", "--prompt", "x", "--out", "o.png", *_refs(tmp_path, 16))
    assert envelope(result)["error"]["code"] == "engine_unavailable"


def test_missing_local_ref(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("images", "edit", "--prompt", "x", "--out", "o.png", "--ref-image", str(tmp_path / "nope.png"))
    assert result.exit_code == 1
    error = envelope(result)["error"]
    assert error["code"] == "ref_image_missing"
    assert error["message"].startswith("Reference image not found: ")


def test_file_url_ref_is_checked_and_http_ref_is_not(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("images", "edit", "--prompt", "x", "--out", "o.png", "--ref-image", f"file://{tmp_path}/nope.png")
    assert envelope(result)["error"]["code"] == "ref_image_missing"
    result = invoke(
        "images",
        "edit",
        "--prompt",
        "x",
        "--out",
        "o.png",
        "--ref-image",
        "https://example.com/a.png",
        "--ref-image",
        "data:image/png;base64,AAAA",
    )
    assert envelope(result)["error"]["code"] == "engine_unavailable"
