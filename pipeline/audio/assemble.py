"""The edited sound: the pieces of the time map one after another (the recording's kept stretches, inserts),
with the intro and outro laid under the speech and ducked, written block by block (bounded memory).

Joins are crossfaded, centred on the join (half each side, equal power), so a cut takes away exactly what the
time map says. An insert, an intro or an outro is brought to the recording's loudness before it is placed.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.audio.loudness import loudness
from pipeline.edit.plan import Music
from pipeline.errors import InputError
from pipeline.formats.timemap import RECORDING, TimeMap
from pipeline.tools.ffmpeg import run_ffmpeg
from pipeline.tools.media import probe

log = logging.getLogger(__name__)

CROSSFADE_SECONDS = 0.02  # at every join: long enough that nothing clicks, short enough to stay in the pause
DUCK_DB = -15.0  # music under speech
DUCK_RAMP_SECONDS = 0.5  # music goes down (before the speech starts) and up (after it ends) over this
BLOCK_SECONDS = 10.0


@dataclass(frozen=True)
class Sound:
    """A file decoded at the recording's rate and channels, brought to its loudness."""

    samples: np.ndarray  # (frames, channels) float32
    rate: int

    @property
    def seconds(self) -> float:
        return self.samples.shape[0] / self.rate


def sound_length(path: Path, field: str) -> float:
    """Seconds of sound in `path`; InputError naming the file and the field when it is not audio."""
    try:
        return probe(path).duration
    except InputError as exc:
        raise InputError(f"{field}: {exc.message}", hint=f"give {field} an audio file (MP3, WAV, M4A)") from exc


def load_sound(path: Path, rate: int, channels: int, loudness_lufs: float) -> Sound:
    """`path` decoded at `rate` with `channels`, gained to `loudness_lufs` (a silent file stays as it is)."""
    import soundfile

    with tempfile.TemporaryDirectory(prefix="assemble-") as scratch:
        wav = Path(scratch) / "sound.wav"
        run_ffmpeg(["-loglevel", "error", "-i", path, "-vn", "-ac", str(channels), "-ar", str(rate), "-c:a", "pcm_f32le",
                    wav], what=f"decoding {path.name}")
        measured = loudness(wav)
        samples, _rate = soundfile.read(str(wav), dtype="float32", always_2d=True)
    gain = 0.0 if measured <= -70 else loudness_lufs - measured
    return Sound(samples * np.float32(10 ** (gain / 20)), rate)


def assemble(time_map: TimeMap, recording: Path, sounds: dict[str, Sound], music: Sequence[Music], target: Path,
             progress: Callable[[float], None] | None = None) -> float:
    """Write the edited sound to `target` (float RF64 WAV, the recording's rate and channels); return its sample peak
    in dBFS. `sounds`: the inserted files and the music, by the name the time map and `music` give them."""
    import soundfile

    with soundfile.SoundFile(str(recording)) as source:
        rate, channels = source.samplerate, source.channels
        half = round(CROSSFADE_SECONDS / 2 * rate)
        total = round(time_map.duration * rate)
        beds = {bed.source for bed in music}  # their pieces only hold their place: the music plays as a bed
        layers = [piece_layer(piece, index, time_map, rate, half, source, sounds)
                  for index, piece in enumerate(time_map.pieces) if piece.source not in beds]
        layers += [music_layer(bed, sounds[bed.source], rate) for bed in music]
        block = int(BLOCK_SECONDS * rate)
        peak = 0.0
        with soundfile.SoundFile(str(target), "w", samplerate=rate, channels=channels, subtype="FLOAT",
                                 format="RF64") as out:  # RF64: a float WAV of three hours passes 4 GB
            for begin in range(0, total, block):
                end = min(total, begin + block)
                mixed = np.zeros((end - begin, channels), dtype=np.float32)
                for layer in layers:
                    layer.add_to(mixed, begin)
                peak = max(peak, float(np.abs(mixed).max(initial=0.0)))
                out.write(mixed)
                if progress is not None:
                    progress(end / rate)
    return 20 * np.log10(peak) if peak > 0 else -120.0


@dataclass
class Layer:
    """Sound laid on the output from sample `begin` to `end`: `read(start, count)` gives it, `gain(positions)` its
    envelope at those output samples."""

    begin: int
    end: int
    read: Callable[[int, int], np.ndarray]
    gain: Callable[[np.ndarray], np.ndarray]

    def add_to(self, mixed: np.ndarray, offset: int) -> None:
        start, stop = max(self.begin, offset), min(self.end, offset + mixed.shape[0])
        if stop <= start:
            return
        positions = np.arange(start, stop)
        chunk = self.read(start - self.begin, stop - start)
        mixed[start - offset:stop - offset] += chunk * self.gain(positions)[:, None]


def piece_layer(piece, index: int, time_map: TimeMap, rate: int, half: int,  # type: ignore[no-untyped-def]
                source, sounds: dict[str, Sound]) -> Layer:
    """A piece of the time map as a layer: it runs `half` a crossfade past each join, fading in and out there."""
    start, stop = round(piece.start * rate), round(piece.end * rate)
    joined_before = index > 0
    joined_after = index < len(time_map.pieces) - 1
    begin = start - (half if joined_before else 0)
    end = stop + (half if joined_after else 0)
    source_begin = round(piece.source_start * rate) - (start - begin)

    if piece.source == RECORDING:
        frames = source.frames

        def read(offset: int, count: int) -> np.ndarray:
            first = source_begin + offset
            chunk = np.zeros((count, source.channels), dtype=np.float32)
            lo, hi = max(0, first), min(frames, first + count)
            if hi > lo:
                source.seek(lo)
                chunk[lo - first:hi - first] = source.read(hi - lo, dtype="float32", always_2d=True)
            return chunk
    else:
        samples = sounds[piece.source].samples

        def read(offset: int, count: int) -> np.ndarray:
            first = source_begin + offset
            chunk = np.zeros((count, samples.shape[1]), dtype=np.float32)
            lo, hi = max(0, first), min(samples.shape[0], first + count)
            if hi > lo:
                chunk[lo - first:hi - first] = samples[lo:hi]
            return chunk

    def gain(positions: np.ndarray) -> np.ndarray:
        envelope = np.ones(positions.shape[0], dtype=np.float32)
        if joined_before and half:
            rising = np.clip((positions - begin) / (2 * half), 0, 1)
            envelope *= np.sin(rising * np.pi / 2).astype(np.float32)
        if joined_after and half:
            falling = np.clip((end - positions) / (2 * half), 0, 1)
            envelope *= np.sin(falling * np.pi / 2).astype(np.float32)
        return envelope

    return Layer(begin, end, read, gain)


def music_layer(bed: Music, sound: Sound, rate: int) -> Layer:
    """An intro or outro laid from its start, at full level but ducked under the speech (ramping down before
    `ducked_from`, up after `ducked_until`), with a short fade at its own ends."""
    begin = round(bed.start * rate)
    samples = sound.samples
    end = begin + samples.shape[0]
    low = 10 ** (DUCK_DB / 20)
    ramp = DUCK_RAMP_SECONDS * rate
    duck_from, duck_until = bed.ducked_from * rate, bed.ducked_until * rate
    edge = max(1, int(CROSSFADE_SECONDS * rate))

    def read(offset: int, count: int) -> np.ndarray:
        return samples[offset:offset + count]

    def gain(positions: np.ndarray) -> np.ndarray:
        down = np.clip((duck_from - positions) / ramp, 0, 1)  # 1 before the ramp, 0 at the speech
        up = np.clip((positions - duck_until) / ramp, 0, 1)
        ducked = np.where(positions < duck_from, down, np.where(positions > duck_until, up, 0.0))
        envelope = low + (1 - low) * ducked
        envelope *= np.clip(np.minimum(positions - begin, end - positions) / edge, 0, 1)
        return envelope.astype(np.float32)

    return Layer(begin, end, read, gain)
