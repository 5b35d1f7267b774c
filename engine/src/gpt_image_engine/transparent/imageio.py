"""Image bytes in and out for the transparent pipeline: safe decoding and a fast PNG encoder.

`decode_image` reads the header first and refuses anything over the pixel cap before a single
pixel is decoded; it accepts PNG, JPEG and WebP (as the upstream does) and refuses animations.
`encode_png` writes straight-alpha RGBA8 PNGs. PNG encoding dominates the end-to-end time of an
extraction, so rows are filtered with numpy and compressed in parallel bands by zlib (which
releases the GIL); the bands are joined into one deflate stream at full-flush boundaries, and
the Adler-32 checksums are combined arithmetically, so the file is one ordinary IDAT stream.
"""

from __future__ import annotations

import io
import struct
import warnings
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from PIL import Image

from gpt_image_engine.errors import AppError

DEFAULT_MAX_PIXELS = 40_000_000
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_FORMATS = ("PNG", "JPEG", "WEBP")
_BAND_BYTES = 2 << 20  # ~2 MB of filtered rows per compression job
_pool: ThreadPoolExecutor | None = None


def _executor() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="png")
    return _pool


@dataclass(frozen=True)
class ImageInfo:
    """What verification reports about the decoded file (upstream field names)."""

    is_png: bool
    color_type: str
    has_alpha: bool
    width: int
    height: int


_COLOR_TYPES = {"1": "L8", "L": "L8", "LA": "La8", "La": "La8", "RGB": "Rgb8", "RGBA": "Rgba8", "I;16": "L16"}


def _fail(message: str, error: str) -> AppError:
    return AppError("image_decode_failed", message, {"error": error})


def decode_image_info(data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> tuple[np.ndarray, ImageInfo]:
    """Decode `data` to an HxWx4 uint8 RGBA array (a new array; `data` is untouched)."""
    if not isinstance(data, (bytes, bytearray, memoryview)) or len(data) == 0:
        raise _fail("Unable to decode image.", "empty input")
    head = bytes(data[:24])
    if head[:8] == PNG_SIGNATURE and len(head) == 24 and head[12:16] == b"IHDR":
        # Refuse from the raw IHDR before Pillow sees the file at all.
        pw, ph = struct.unpack(">II", head[16:24])
        if pw * ph > max_pixels:
            raise AppError(
                "image_decode_failed",
                "Image exceeds the pixel cap.",
                {"width": pw, "height": ph, "max_pixels": max_pixels},
            )
    buf = io.BytesIO(bytes(data))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            im = Image.open(buf, formats=_FORMATS)
        except Image.DecompressionBombError as exc:
            raise AppError(
                "image_decode_failed", "Image exceeds the pixel cap.", {"error": str(exc), "max_pixels": max_pixels}
            ) from exc
        except Exception as exc:  # noqa: BLE001 - Pillow raises many types for junk input
            raise _fail("Unable to detect image format.", str(exc)) from exc
        width, height = im.size
        if width <= 0 or height <= 0:
            raise _fail("Unable to decode image.", "empty image")
        if width * height > max_pixels:
            raise AppError(
                "image_decode_failed",
                "Image exceeds the pixel cap.",
                {"width": width, "height": height, "max_pixels": max_pixels},
            )
        if getattr(im, "is_animated", False) or getattr(im, "n_frames", 1) > 1:
            raise _fail("Animated images are not supported.", "animated")
        mode = im.mode
        has_trns = "transparency" in im.info
        try:
            im.load()
        except Exception as exc:  # noqa: BLE001
            raise _fail("Unable to decode image.", str(exc)) from exc
    if mode == "P":
        palette_alpha = im.palette is not None and "A" in im.palette.mode
        color_type = "Rgba8" if has_trns or palette_alpha else "Rgb8"
    elif mode in ("RGB", "L") and has_trns:
        color_type = "Rgba8" if mode == "RGB" else "La8"
    else:
        color_type = _COLOR_TYPES.get(mode, "Rgba8" if "A" in mode else "Rgb8")
    has_alpha = color_type in ("La8", "Rgba8", "La16", "Rgba16")
    if mode == "I;16":
        arr16 = np.asarray(im, dtype=np.uint16)
        grey = ((arr16.astype(np.uint32) + 128) // 257).astype(np.uint8)
        rgba = np.empty((height, width, 4), np.uint8)
        rgba[..., :3] = grey[..., None]
        rgba[..., 3] = 255
    else:
        rgba = np.asarray(im if mode == "RGBA" else im.convert("RGBA"), dtype=np.uint8)
        if not rgba.flags.writeable:
            rgba = rgba.copy()
    info = ImageInfo(bytes(data[:8]) == PNG_SIGNATURE, color_type, has_alpha, width, height)
    return rgba, info


def decode_image(data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Decode to HxWx4 uint8 RGBA; `image_decode_failed` for junk, truncation, animation or the cap."""
    return decode_image_info(data, max_pixels)[0]


def _adler32_combine(adler1: int, adler2: int, len2: int) -> int:
    base = 65521
    rem = len2 % base
    sum1 = adler1 & 0xFFFF
    sum2 = (rem * sum1) % base
    sum1 += (adler2 & 0xFFFF) + base - 1
    sum2 += ((adler1 >> 16) & 0xFFFF) + ((adler2 >> 16) & 0xFFFF) + base - rem
    sum1 %= base
    sum2 %= base
    return sum1 | (sum2 << 16)


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(payload, zlib.crc32(kind)))


def encode_png(rgba: np.ndarray, level: int = 1) -> bytes:
    """Encode an HxWx4 uint8 array as an RGBA8 PNG (straight alpha, no colour chunks).

    Every scanline uses the Up filter (a cheap numpy subtraction that compresses well for
    both flat mattes and photographic subjects); row bands compress concurrently.

    Hand-written on purpose: bench/png_encode.py (a 4K cut-out, 5 alternated runs on 2 cores)
    measured this encoder at 154 ms CPU / 324 ms wall for 5.04 MB, against Pillow level 1
    (309 ms CPU / 1538 ms wall, 5.00 MB), libpng level 1 via imagecodecs (284 / 894 ms, 4.94 MB)
    and libspng level 1 (357 / 1453 ms, 4.94 MB); every file decodes to the same pixels. None
    compresses in parallel, and none reaches this figure.
    """
    arr = np.ascontiguousarray(rgba, dtype=np.uint8)
    if arr.ndim != 3 or arr.shape[2] != 4:
        raise AppError("invalid_argument", "encode_png needs an HxWx4 uint8 array.", {"shape": list(arr.shape)})
    height, width = arr.shape[:2]
    stride = width * 4
    flat = arr.reshape(height, stride)
    rows_per_band = max(1, _BAND_BYTES // max(stride, 1))
    starts = list(range(0, height, rows_per_band))
    last = len(starts) - 1

    def job(i: int) -> tuple[bytes, int, int]:
        y0 = starts[i]
        y1 = min(height, y0 + rows_per_band)
        out = np.empty((y1 - y0, stride + 1), np.uint8)
        out[:, 0] = 2
        if y0 == 0:
            out[0, 1:] = flat[0]
        else:
            np.subtract(flat[y0], flat[y0 - 1], out=out[0, 1:])
        if y1 - y0 > 1:
            np.subtract(flat[y0 + 1 : y1], flat[y0 : y1 - 1], out=out[1:, 1:])
        raw = out.data
        comp = zlib.compressobj(level, zlib.DEFLATED, -15, 9)
        body = comp.compress(raw) + comp.flush(zlib.Z_FINISH if i == last else zlib.Z_FULL_FLUSH)
        return body, zlib.adler32(raw), out.nbytes

    if len(starts) == 1:
        parts = [job(0)]
    else:
        parts = list(_executor().map(job, range(len(starts))))
    adler = 1
    for _, part_adler, part_len in parts:
        adler = _adler32_combine(adler, part_adler, part_len)
    idat = b"".join([b"\x78\x01", *(p[0] for p in parts), struct.pack(">I", adler)])
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return PNG_SIGNATURE + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
