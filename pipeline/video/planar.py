"""Caption pixels in the pixel format that goes down the pipe to ffmpeg: yuva420p.

Planar 4:2:0 with alpha is 2.5 bytes a pixel against 4 for RGBA, and ffmpeg's overlay filter blends it
onto yuv420p video without converting anything per frame. We convert once per caption state (and for a
highlighted word only the word's box), never per frame.
"""

from __future__ import annotations

import numpy as np

# BT.601, limited range: what ffmpeg assumes for untagged yuv420p, so colours match the burned picture.
_Y = np.array([0.256788, 0.504129, 0.097906], dtype=np.float32)
_U = np.array([-0.148223, -0.290993, 0.439216], dtype=np.float32)
_V = np.array([0.439216, -0.367788, -0.071427], dtype=np.float32)


class PlanarFrame:
    """A yuva420p image in one contiguous buffer (Y, U, V, A planes), shaped (height * 5 / 2, width)."""

    def __init__(self, width: int, height: int, buffer: np.ndarray | None = None) -> None:
        if width % 2 or height % 4:
            raise ValueError(f"yuva420p frames here need an even width and a height divisible by 4, not {width}x{height}")
        self.width, self.height = width, height
        if buffer is None:
            buffer = np.zeros((height * 5 // 2, width), dtype=np.uint8)
            buffer[height: height * 3 // 2] = 128  # neutral chroma; alpha 0 makes it invisible anyway
        self.buffer = buffer
        flat = buffer.reshape(-1)
        luma, chroma = width * height, (width // 2) * (height // 2)
        self.y = flat[:luma].reshape(height, width)
        self.u = flat[luma: luma + chroma].reshape(height // 2, width // 2)
        self.v = flat[luma + chroma: luma + 2 * chroma].reshape(height // 2, width // 2)
        self.a = flat[luma + 2 * chroma:].reshape(height, width)

    def copy(self) -> PlanarFrame:
        return PlanarFrame(self.width, self.height, self.buffer.copy())

    def paint(self, color: np.ndarray, alpha: np.ndarray, x: int, y: int) -> None:
        """Write straight-alpha pixels (`color` h×w×3 float32 0–255, `alpha` h×w uint8) at even (x, y)."""
        h, w = alpha.shape
        if x % 2 or y % 2 or w % 2 or h % 2:
            raise ValueError("regions of a 4:2:0 frame must start and end on even pixels")
        self.y[y: y + h, x: x + w] = np.clip(color @ _Y + 16.0, 0, 255).astype(np.uint8)
        self.a[y: y + h, x: x + w] = alpha
        # Chroma from the alpha-weighted 2×2 mean, so transparent neighbours don't wash out coloured edges.
        weight = alpha.astype(np.float32)
        weighted = color * weight[..., None]
        weighted_sum = weighted[0::2, 0::2] + weighted[1::2, 0::2] + weighted[0::2, 1::2] + weighted[1::2, 1::2]
        total = (weight[0::2, 0::2] + weight[1::2, 0::2] + weight[0::2, 1::2] + weight[1::2, 1::2])[..., None]
        mean = weighted_sum / np.maximum(total, 1.0)
        self.u[y // 2: (y + h) // 2, x // 2: (x + w) // 2] = np.clip(mean @ _U + 128.0, 0, 255).astype(np.uint8)
        self.v[y // 2: (y + h) // 2, x // 2: (x + w) // 2] = np.clip(mean @ _V + 128.0, 0, 255).astype(np.uint8)

    def to_rgba(self) -> np.ndarray:
        """Back to RGBA (for previews and tests; the renderer never needs it)."""
        y = self.y.astype(np.float32) - 16.0
        u = np.repeat(np.repeat(self.u, 2, axis=0), 2, axis=1).astype(np.float32) - 128.0
        v = np.repeat(np.repeat(self.v, 2, axis=0), 2, axis=1).astype(np.float32) - 128.0
        r = 1.164383 * y + 1.596027 * v
        g = 1.164383 * y - 0.391762 * u - 0.812968 * v
        b = 1.164383 * y + 2.017232 * u
        rgb = np.clip(np.stack([r, g, b], axis=-1), 0, 255).astype(np.uint8)
        return np.dstack([rgb, self.a])
