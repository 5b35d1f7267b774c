"""Draw the page's icons (PWA 192/512, maskable 512, favicon.ico) into web/icons.

The same mark as web/icons/icon.svg: a violet-to-cyan rounded square with a white
four-point sparkle. Run after changing the design; the PNGs are committed so the
gateway needs no build step.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

WEB = Path(__file__).resolve().parents[1] / "web"
A = np.array([0x8B, 0x7B, 0xFF], dtype=np.float32)
B = np.array([0x22, 0xD3, 0xEE], dtype=np.float32)


def sparkle(cx: float, cy: float, r: float, w: float) -> list[tuple[float, float]]:
    return [(cx, cy - r), (cx + w, cy - w), (cx + r, cy), (cx + w, cy + w), (cx, cy + r), (cx - w, cy + w), (cx - r, cy), (cx - w, cy - w)]


def draw(size: int, *, maskable: bool = False) -> Image.Image:
    scale = 4  # drawn large, then reduced: smooth edges
    big = size * scale
    yy, xx = np.mgrid[0:big, 0:big].astype(np.float32)
    t = ((xx + yy) / (2 * big - 2))[..., None]
    rgb = (A * (1 - t) + B * t).astype(np.uint8)
    image = Image.fromarray(rgb, "RGB").convert("RGBA")
    mask = Image.new("L", (big, big), 0)
    if maskable:
        mask = Image.new("L", (big, big), 255)  # full bleed; the platform rounds it
    else:
        ImageDraw.Draw(mask).rounded_rectangle((0, 0, big - 1, big - 1), radius=big * 15 / 64, fill=255)
    image.putalpha(mask)
    d = ImageDraw.Draw(image)
    inset = 0.18 if maskable else 0.0  # keep the mark inside the maskable safe zone
    u = big * (1 - 2 * inset) / 64
    o = big * inset
    d.polygon([(o + x * u, o + y * u) for x, y in sparkle(32, 29, 17, 4.6)], fill=(255, 255, 255, 255))
    d.polygon([(o + x * u, o + y * u) for x, y in sparkle(47, 46, 6, 1.8)], fill=(255, 255, 255, 220))
    return image.resize((size, size), Image.LANCZOS)


def main() -> None:
    icons = WEB / "icons"
    icons.mkdir(exist_ok=True)
    draw(192).save(icons / "icon-192.png", optimize=True)
    draw(512).save(icons / "icon-512.png", optimize=True)
    draw(512, maskable=True).save(icons / "maskable-512.png", optimize=True)
    draw(64).save(WEB / "favicon.ico", sizes=[(16, 16), (32, 32), (48, 48)])


if __name__ == "__main__":
    main()
