"""The audio Whisper and the speaker models listen to: 16 kHz mono float32 samples.

`load_audio` decodes any file into one array. `open_audio` opens the ingest stage's own WAV (16 kHz mono
PCM) without reading it: slicing it reads just those samples from the file, so a two-hour episode is never
held whole (230 MB as PCM, 460 MB as float32), and the transcribe stage's memory does not grow with length.
"""

from __future__ import annotations

import os
import wave
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from pipeline.errors import InputError

if TYPE_CHECKING:
    import numpy as np

SAMPLE_RATE = 16_000
WINDOW_SECONDS = 30  # Whisper hears 30 s at a time


class Samples(Protocol):
    """What the transcription and speaker code need of audio: its length, and slices of it as float32 arrays."""

    @property
    def shape(self) -> tuple[int, ...]: ...

    def __getitem__(self, index: slice) -> np.ndarray: ...


class WavSamples:
    """The samples of a 16 kHz mono 16-bit WAV file, read from the file slice by slice (safe from several threads)."""

    def __init__(self, path: Path, data_offset: int, frames: int) -> None:
        import numpy as np

        self.path = path
        self.dtype = np.dtype(np.float32)
        self._offset, self._frames = data_offset, frames
        self._fd = os.open(path, os.O_RDONLY)
        weakref.finalize(self, os.close, self._fd)

    @property
    def shape(self) -> tuple[int]:
        return (self._frames,)

    @property
    def size(self) -> int:
        return self._frames

    def __len__(self) -> int:
        return self._frames

    def __getitem__(self, index: slice) -> np.ndarray:
        import numpy as np

        if not isinstance(index, slice):
            raise TypeError("WavSamples are read by slices of samples")
        start, stop, step = index.indices(self._frames)
        if step != 1:
            raise ValueError("WavSamples are read in order, one sample after another")
        length = max(0, stop - start)
        data = os.pread(self._fd, 2 * length, self._offset + 2 * start)
        return np.frombuffer(data, dtype="<i2").astype(np.float32) / np.float32(32768.0)


def open_audio(path: Path) -> Samples:
    """The ingest stage's WAV, read as it is sliced; any other file decoded whole (load_audio)."""
    path = Path(path)
    if path.suffix.lower() == ".wav" and path.is_file():
        try:
            with wave.open(str(path), "rb") as source:
                layout = (source.getframerate(), source.getnchannels(), source.getsampwidth())
                frames = source.getnframes()
        except wave.Error:  # not plain PCM (float, extensible): the decoder reads it, or names what is wrong
            return load_audio(path)
        except (OSError, EOFError) as exc:
            raise InputError(f"{path}: not readable audio ({exc})", hint="run the ingest stage again to rewrite it") from exc
        if layout == (SAMPLE_RATE, 1, 2):
            if frames == 0:
                raise InputError(f"{path}: the audio is empty", hint="check the recording and run the ingest stage again")
            return WavSamples(path, _data_offset(path), frames)
    return load_audio(path)


def load_audio(path: Path) -> np.ndarray:
    """16 kHz mono float32 samples of `path`; InputError naming the file if it cannot be decoded.

    The ingest stage's own WAV (16 kHz mono PCM) is read straight into one float32 array; anything
    else goes through PyAV's decoder and resampler.
    """
    import av
    from faster_whisper.audio import decode_audio

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no audio to transcribe", hint="run the ingest stage first (it writes asr.wav)")
    try:
        audio = _read_asr_wav(path)
        if audio is None:
            audio = decode_audio(str(path), sampling_rate=SAMPLE_RATE)
    except (av.error.FFmpegError, OSError, ValueError, IndexError, EOFError, wave.Error) as exc:
        raise InputError(f"{path}: not readable audio ({exc})", hint="run the ingest stage again to rewrite it") from exc
    if audio.size == 0:
        raise InputError(f"{path}: the audio is empty", hint="check the recording and run the ingest stage again")
    return audio


def _read_asr_wav(path: Path) -> np.ndarray | None:
    if path.suffix.lower() != ".wav":
        return None
    try:
        with wave.open(str(path), "rb") as source:
            return _pcm_samples(source)
    except wave.Error:  # not plain PCM (float, extensible): the decoder reads it, or names what is wrong
        return None


def _pcm_samples(source: wave.Wave_read) -> np.ndarray | None:
    import numpy as np

    if (source.getframerate(), source.getnchannels(), source.getsampwidth()) != (SAMPLE_RATE, 1, 2):
        return None
    total = source.getnframes()
    audio = np.empty(total, dtype=np.float32)
    step = SAMPLE_RATE * 60
    for start in range(0, total, step):  # a minute at a time: no second whole-episode array
        frames = np.frombuffer(source.readframes(step), dtype="<i2")
        audio[start:start + frames.shape[0]] = frames / np.float32(32768.0)
    return audio


def _data_offset(path: Path) -> int:
    """Where the PCM data of a WAV file begins: after the RIFF header and every chunk before `data`."""
    with path.open("rb") as source:
        source.seek(12)  # "RIFF", size, "WAVE"
        while header := source.read(8):
            size = int.from_bytes(header[4:8], "little")
            if header[:4] == b"data":
                return source.tell()
            source.seek(size + (size & 1), os.SEEK_CUR)
    raise InputError(f"{path}: no audio data in the WAV file", hint="run the ingest stage again to rewrite it")
