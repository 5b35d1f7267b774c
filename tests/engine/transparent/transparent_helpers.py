import io

import numpy as np
from PIL import Image


def png_bytes(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr, "RGBA" if arr.shape[2] == 4 else "RGB").save(buf, "PNG")
    return buf.getvalue()


def canvas(h: int, w: int, colour) -> np.ndarray:
    a = np.zeros((h, w, 4), np.uint8)
    a[...] = tuple(colour) + ((255,) if len(colour) == 3 else ())
    return a


