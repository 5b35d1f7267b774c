"""Input image sources: magic-byte typing, data/file/http URLs, part names."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from PIL import Image

from gpt_image_engine.errors import AppError
from gpt_image_engine.providers.sources import (
    image_from_bytes,
    image_from_path,
    image_from_source,
    image_from_url,
    sanitize_filename,
    sniff_extension,
    to_data_url,
)
from gpt_image_engine.security import urlguard
from tests.fakeupstream import FakeUpstream, draw_png


def encode(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), (1, 2, 3)).save(out, format=fmt)
    return out.getvalue()


@pytest.mark.parametrize(
    ("fmt", "ext", "mime"),
    [("PNG", ".png", "image/png"), ("JPEG", ".jpg", "image/jpeg"), ("WEBP", ".webp", "image/webp"),
     ("GIF", ".gif", "image/gif"), ("BMP", ".bmp", "image/bmp")],
)  # fmt: skip
def test_magic_bytes(fmt: str, ext: str, mime: str) -> None:
    data = encode(fmt)
    assert sniff_extension(data) == ext
    sent = image_from_bytes(data, f"x{ext}")
    if fmt in ("GIF", "BMP"):
        # Issue 12 (10): the image APIs take PNG/JPEG/WEBP only; GIF and BMP are converted.
        assert (sent.mime, sent.name, sent.data[:8]) == ("image/png", "x.png", b"\x89PNG\r\n\x1a\n")
        with Image.open(io.BytesIO(sent.data)) as im:
            assert im.size == (4, 4) and im.convert("RGB").getpixel((0, 0)) == (1, 2, 3)
    else:
        assert sent.mime == mime and sent.data == data


def test_animated_gif_is_refused_up_front() -> None:
    out = io.BytesIO()
    frames = [Image.new("RGB", (4, 4), c) for c in ((255, 0, 0), (0, 255, 0))]
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:])
    with pytest.raises(AppError) as info:
        image_from_bytes(out.getvalue(), "anim.gif")
    assert info.value.code == "ref_image_invalid" and "animated" in info.value.message


def test_bomb_message_reads_in_pixels() -> None:
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    for width, height in ((50_000, 50_000), (100_000_000, 2)):
        ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
        bomb = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")
        with pytest.raises(AppError) as info:
            image_from_bytes(bomb, "bomb.png")
        message = info.value.message
        assert f"{width * height:,} pixels" in message and "the limit is 100,000,000 pixels" in message, message
        assert "100000000x2" not in message


def test_unknown_bytes_are_invalid() -> None:
    assert sniff_extension(b"hello") == ".bin"
    with pytest.raises(AppError) as info:
        image_from_bytes(b"hello world", "notes.txt")
    assert info.value.code == "ref_image_invalid"


@pytest.mark.parametrize(
    ("name", "expected"),
    [("my photo (1).png", "myphoto1.png"), ("../../etc/a.png", "a.png"), ("日本.png", ".png"), ("", "image.bin"),
     ("ok_name-1.jpg", "ok_name-1.jpg"), ("???", "image.bin")],
)  # fmt: skip
def test_sanitize(name: str, expected: str) -> None:
    assert sanitize_filename(name) == expected


def test_data_urls() -> None:
    png = draw_png()
    url = "data:image/png;base64," + base64.b64encode(png).decode()
    img = image_from_url(url, index=2)
    assert (img.data, img.mime, img.name) == (png, "image/png", "image-2.png")
    assert image_from_url(url, role="mask").name == "mask.png"
    assert to_data_url(img) == url
    with pytest.raises(AppError) as info:
        image_from_url("data:image/png,rawbytes")
    assert info.value.code == "invalid_data_url"
    with pytest.raises(AppError) as info:
        image_from_url("data:image/png;base64,A")
    assert info.value.code == "invalid_base64"
    with pytest.raises(AppError) as info:
        image_from_url("data:text/plain;base64," + base64.b64encode(b"hello there").decode())
    assert info.value.code == "ref_image_invalid"


def test_paths_and_file_urls(tmp_path: Path) -> None:
    path = tmp_path / "ref image.png"
    path.write_bytes(draw_png())
    assert image_from_path(path).name == "refimage.png"
    assert image_from_source(path.as_uri()).data == path.read_bytes()
    assert image_from_source(str(path)).mime == "image/png"
    with pytest.raises(AppError) as info:
        image_from_source(str(tmp_path / "missing.png"))
    assert info.value.code == "ref_image_missing"


def test_http_url_is_downloaded_through_the_guard(fake: FakeUpstream, monkeypatch: pytest.MonkeyPatch) -> None:
    url = fake.host_file("cat%20pic.webp", encode("WEBP"), "image/webp")
    monkeypatch.delenv(urlguard.ALLOW_PRIVATE_ENV, raising=False)
    with pytest.raises(AppError) as info:
        image_from_url(url)
    assert info.value.code == "storage_remote_blocked"
    monkeypatch.setenv(urlguard.ALLOW_PRIVATE_ENV, "1")
    img = image_from_url(url)
    assert img.mime == "image/webp" and img.url == url and img.name == "catpic.webp"
