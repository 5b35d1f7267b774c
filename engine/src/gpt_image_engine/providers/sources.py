"""Input image sources: bytes, data: URLs, file:// and http(s) URLs become `InputImage`s.

Types are recognised by magic bytes (PNG, JPEG, WEBP, GIF, BMP); anything else is
`ref_image_invalid`. Part names follow the upstream (§4.1): a local file keeps its
sanitised basename (only `[A-Za-z0-9._-]`, empty -> `image.bin`), a data URL becomes
`image-<i>` / `mask` plus the MIME's extension, and a downloaded URL is named from its
path stem plus the extension. http(s) downloads go through the URL guard.

GIF and BMP inputs are converted to PNG before anything is sent (the image APIs take
PNG, JPEG and WEBP only; sent as they are they fail at the provider as a bare HTTP
400): the part is then named `<stem>.png`. An animated GIF is refused up front
(`ref_image_invalid`): which frame was meant is not ours to guess.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import warnings
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from PIL import Image

from gpt_image_engine.errors import AppError
from gpt_image_engine.providers.base import InputImage
from gpt_image_engine.security import urlguard

EXTENSION_BY_MIME = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "image/bmp": ".bmp",
}
MAX_REF_PIXELS = 100_000_000  # far above any model input; refuses header-only bombs
_UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9._-]")


def sniff_mime(data: bytes) -> str | None:
    """The image MIME type from magic bytes, or None when not a supported image."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data.startswith(b"BM"):
        return "image/bmp"
    return None


def extension_for_mime(mime: str | None) -> str:
    """`.png`, `.jpg`, `.webp`, `.gif`, `.bmp`, else `.bin`."""
    return EXTENSION_BY_MIME.get((mime or "").lower(), ".bin")


def sniff_extension(data: bytes) -> str:
    """The output file extension for image bytes (`.bin` when unrecognised)."""
    return extension_for_mime(sniff_mime(data))


def sanitize_filename(name: str) -> str:
    """Keep only `[A-Za-z0-9._-]` of the basename; empty -> `image.bin`."""
    base = PurePosixPath(name.replace("\\", "/")).name
    cleaned = _UNSAFE_NAME_CHARS.sub("", base)
    return cleaned if cleaned.strip(".") else "image.bin"


def _require_mime(data: bytes, what: str) -> str:
    mime = sniff_mime(data)
    if mime is None:
        raise AppError(
            "ref_image_invalid",
            f"{what} is not a supported image (PNG, JPEG, WEBP, GIF or BMP).",
            {"source": what, "bytes": len(data)},
        )
    _check_header(data, what)
    return mime


def _check_header(data: bytes, what: str) -> None:
    """Check the image's structure without decoding pixels: an unreadable header, a truncated or
    corrupt file (Pillow's `verify`), or a header claiming more than `MAX_REF_PIXELS` (a
    decompression bomb) is `ref_image_invalid`."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as im:
                width, height = im.size
                if width * height <= MAX_REF_PIXELS:
                    im.verify()  # chunk structure and checksums (PNG), no pixel decoding
        except Image.DecompressionBombError as exc:
            claimed = re.search(r"\((\d+) pixels\)", str(exc))
            pixels = int(claimed.group(1)) if claimed else None
            raise _too_large(what, pixels, None) from None
        except Exception as exc:  # noqa: BLE001 - Pillow raises many types for junk headers
            raise AppError(
                "ref_image_invalid",
                f"{what} has an unreadable image header.",
                {"source": what, "error": f"{type(exc).__name__}: {exc}"[:200]},
            ) from None
    if width <= 0 or height <= 0:
        raise AppError("ref_image_invalid", f"{what} has no pixels ({width}x{height}).", {"source": what})
    if width * height > MAX_REF_PIXELS:
        raise _too_large(what, width * height, (width, height))


def _too_large(what: str, pixels: int | None, size: tuple[int, int] | None) -> AppError:
    """The decompression-bomb refusal, in numbers a person can read."""
    count = f"{pixels:,} pixels" if pixels else "more pixels than Pillow will open"
    shape = f" ({size[0]:,} x {size[1]:,})" if size else ""
    detail: dict[str, object] = {"source": what, "max_pixels": MAX_REF_PIXELS}
    if pixels:
        detail["pixels"] = pixels
    if size:
        detail.update(width=size[0], height=size[1])
    return AppError(
        "ref_image_invalid",
        f"{what} is too large: {count}{shape}; the limit is {MAX_REF_PIXELS:,} pixels.",
        detail,
    )


_CONVERT_TO_PNG = frozenset({"image/gif", "image/bmp"})


def _sendable(data: bytes, mime: str, name: str, url: str | None = None) -> InputImage:
    """An InputImage the providers accept: GIF and BMP become PNG (see the module docstring)."""
    if mime not in _CONVERT_TO_PNG:
        return InputImage(data=data, mime=mime, name=name, url=url)
    try:
        with Image.open(io.BytesIO(data)) as im:
            frames = int(getattr(im, "n_frames", 1))
            if frames > 1:
                raise AppError(
                    "ref_image_invalid",
                    f"{name} is an animated GIF; use a single frame (PNG, JPEG or WEBP).",
                    {"source": name, "frames": frames},
                )
            image = im.convert("RGBA") if im.mode not in ("1", "L", "LA", "P", "RGB", "RGBA") else im.copy()
    except AppError:
        raise
    except Exception as exc:  # noqa: BLE001 - Pillow raises many types for junk data
        raise AppError(
            "ref_image_invalid", f"{name} could not be converted to PNG.", {"source": name, "error": str(exc)[:200]}
        ) from None
    out = io.BytesIO()
    image.save(out, format="PNG")
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return InputImage(data=out.getvalue(), mime="image/png", name=f"{stem}.png")


def image_from_bytes(data: bytes, name: str) -> InputImage:
    """An uploaded or local image; the type must be recognisable by its magic bytes."""
    mime = _require_mime(data, sanitize_filename(name))
    return _sendable(data, mime, sanitize_filename(name))


def image_from_path(path: str | Path) -> InputImage:
    """A local file: `ref_image_missing` when not a file, `ref_image_invalid` when unreadable."""
    p = Path(path)
    if not p.is_file():
        raise AppError("ref_image_missing", f"Reference image not found: {p}", {"path": str(p)})
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise AppError(
            "ref_image_invalid",
            f"Unable to read reference image: {p}",
            {"path": str(p), "error": str(exc)},
        ) from None
    return image_from_bytes(data, p.name)


def decode_data_url(url: str) -> tuple[bytes, str]:
    """Decode `data:<mime>;base64,<payload>` into (bytes, declared mime)."""
    header, sep, payload = url.partition(",")
    if not sep or not header.lower().startswith("data:"):
        raise AppError("invalid_data_url", "The data URL is malformed.")
    meta = header[5:].split(";")
    if "base64" not in (m.strip().lower() for m in meta[1:]):
        raise AppError("invalid_data_url", "Only base64 data URLs are supported.")
    try:
        data = base64.b64decode(unquote(payload).strip(), validate=False)
    except (binascii.Error, ValueError) as exc:
        raise AppError(
            "invalid_base64",
            "The data URL's base64 could not be decoded.",
            {"error": str(exc)},
        ) from None
    return data, meta[0].strip().lower()


def decode_base64_image(value: str) -> bytes:
    """Decode a base64 image (a `data:image/...,` prefix is tolerated); `invalid_base64` on failure."""
    text = value.strip()
    if text.startswith("data:"):
        text = text.partition(",")[2]
    try:
        return base64.b64decode(text, validate=False)
    except (binascii.Error, ValueError) as exc:
        raise AppError("invalid_base64", "Image base64 could not be decoded.", {"error": str(exc)}) from None


def to_data_url(image: InputImage) -> str:
    """`data:<mime>;base64,...` for an input image (how Codex receives local refs)."""
    return f"data:{image.mime};base64,{base64.b64encode(image.data).decode('ascii')}"


def image_from_url(url: str, *, index: int = 1, role: str = "image", allow_file: bool = False) -> InputImage:
    """A data: or http(s) URL (and file:// only with `allow_file`) as an InputImage.

    `index` (1-based) and `role` ("image" or "mask") name data-URL parts
    (`image-<i>.<ext>` / `mask.<ext>`). http(s) sources are downloaded through the URL
    guard and keep their URL in `InputImage.url`. URLs that arrive over the wire must
    never read the engine host's files: clients upload local files as artifacts, so
    file:// is `ref_image_invalid` unless the caller is local code reading its own paths.
    """
    lowered = url.strip().lower()
    if lowered.startswith("file:") and not allow_file:
        raise AppError(
            "ref_image_invalid",
            "file:// URLs are not accepted here; upload the file instead.",
            {"source": url[:64]},
        )
    if lowered.startswith("data:"):
        data, _declared = decode_data_url(url.strip())
        what = "mask" if role == "mask" else f"image-{index}"
        mime = _require_mime(data, what)
        return _sendable(data, mime, what + extension_for_mime(mime))
    if lowered.startswith("file:"):
        parts = urlsplit(url.strip())
        if parts.netloc not in ("", "localhost"):
            raise AppError(
                "ref_image_invalid",
                "file:// URLs must refer to this host.",
                {"url": url},
            )
        return image_from_path(url2pathname(unquote(parts.path)))
    if lowered.startswith(("http://", "https://")):
        data, _mime = urlguard.fetch_image_url(url.strip())
        stem = sanitize_filename(PurePosixPath(unquote(urlsplit(url.strip()).path)).stem or "image")
        mime = _require_mime(data, stem)
        name = (stem if stem != "image.bin" else "image") + extension_for_mime(mime)
        return _sendable(data, mime, name, url.strip())
    raise AppError("ref_image_invalid", "Unsupported image source.", {"source": url[:64]})


def image_from_source(source: str, *, index: int = 1, role: str = "image") -> InputImage:
    """A path or URL, as the CLI's `--ref-image` / `--mask` accept them."""
    if re.match(r"^(data|file|https?):", source.strip(), re.IGNORECASE):
        return image_from_url(source, index=index, role=role, allow_file=True)
    return image_from_path(source)
