"""A multitrack recording (one track per participant) levelled and mixed into one: every audible track brought
to TRACK_LEVEL_LUFS, then summed (32-bit float, no clipping); the mix is normalised as one recording after.

Pure: `track_gain`, `mix_graph`, `tracks_report`. Through ffmpeg: `decode_track`, `mix_tracks`.
"""

from __future__ import annotations

import logging
import tempfile
import wave
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.audio.loudness import audible, parse_ebur128
from pipeline.errors import InputError
from pipeline.progress import advance_to, progress_bar
from pipeline.tools.ffmpeg import run_ffmpeg
from pipeline.tools.media import probe
from pipeline.transcription.audio import SAMPLE_RATE

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

log = logging.getLogger(__name__)

TRACK_LEVEL_LUFS = -23.0  # every track is brought to this before mixing; the mix is then normalised as one recording


@dataclass(frozen=True)
class Track:
    """One participant's track as measured: its file, speaker, integrated loudness (LUFS) and its sound at
    16 kHz mono (for telling who speaks when)."""

    path: Path
    speaker: str
    loudness: float
    samples: npt.NDArray[np.float32]

    @property
    def audible(self) -> bool:
        return audible(self.loudness)

    @property
    def gain(self) -> float:
        return track_gain(self.loudness)


def track_gain(loudness: float) -> float:
    """dB that brings a track measured at `loudness` LUFS to TRACK_LEVEL_LUFS; 0 for a silent one."""
    return TRACK_LEVEL_LUFS - loudness if audible(loudness) else 0.0


def mix_graph(gains: Sequence[float], sample_rate: int, layout: str) -> str:
    """ffmpeg's filter graph mixing inputs 0… (first audio stream each), input n turned up by gains[n] dB, at
    `sample_rate` in `layout`, as long as the longest, without amix's normalisation; the output is [mix]."""
    chains = "".join(f"[{n}:a:0]aresample={sample_rate},aformat=sample_fmts=flt:channel_layouts={layout},"
                     f"volume={gain:.2f}dB[t{n}];" for n, gain in enumerate(gains))
    labels = "".join(f"[t{n}]" for n in range(len(gains)))
    return f"{chains}{labels}amix=inputs={len(gains)}:duration=longest:normalize=0[mix]"


def decode_track(path: Path, speaker: str, wav: Path) -> Track:
    """Measure a track's loudness and decode it to `wav` at 16 kHz mono, read back as samples."""
    import numpy as np

    stderr = run_ffmpeg(["-i", path, "-filter_complex",
                         f"[0:a:0]asplit=2[a][b];[a]ebur128=framelog=quiet[m];"
                         f"[b]aresample={SAMPLE_RATE},aformat=sample_fmts=s16:channel_layouts=mono[asr]",
                         "-map", "[m]", "-f", "null", "-", "-map", "[asr]", "-c:a", "pcm_s16le", "-f", "wav", wav],
                        what=f"decoding track {path.name} ({speaker})")
    with wave.open(str(wav), "rb") as source:
        samples = np.frombuffer(source.readframes(source.getnframes()), dtype="<i2") / np.float32(32768.0)
    return Track(path, speaker, parse_ebur128(stderr)[0], samples)


def mix_tracks(tracks: Sequence[tuple[Path, str]], mix: Path, layout: str, sample_rate: int,
               name: Callable[[Path], str] = str) -> list[Track]:
    """Level every (file, speaker) track to the same loudness and mix the audible ones into `mix` (32-bit float
    WAV at `sample_rate`, `layout`); return every track as measured. Tracks may differ in length, rate and
    channels; a track silent throughout is a warning, every track silent an InputError. `name` says a file as
    the creator wrote it."""
    longest = max(probe(path).duration for path, _speaker in tracks)  # InputError naming a file that is not audio
    mix.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tracks-", dir=mix.parent) as scratch:
        measured = [decode_track(path, speaker, Path(scratch) / f"{index}.wav")
                    for index, (path, speaker) in enumerate(tracks)]
    for track in measured:
        if not track.audible:
            log.warning("%s: the track of %s is silent throughout; check the file, or remove it from recording.tracks",
                        name(track.path), track.speaker)
    kept = [track for track in measured if track.audible]
    if not kept:
        raise InputError(f"{name(tracks[0][0])}: every track of the recording is silent",
                         hint="check the files named in recording.tracks")
    inputs = [arg for track in kept for arg in ("-i", track.path)]
    with progress_bar(longest, "mix tracks") as bar:
        run_ffmpeg([*inputs, "-filter_complex", mix_graph([track.gain for track in kept], sample_rate, layout),
                    "-map", "[mix]", "-c:a", "pcm_f32le", "-f", "wav", mix], what="mixing the tracks",
                   on_progress=lambda seconds: advance_to(bar, seconds))
    log.info("mixed %d tracks (%s), levelled to %s LUFS each", len(kept),
             ", ".join(f"{track.speaker} {track.gain:+.1f} dB" for track in kept), TRACK_LEVEL_LUFS)
    return measured


def tracks_report(tracks: Sequence[Track], turns: Sequence[tuple[float, float, str]],
                  name: Callable[[Path], str] = str) -> dict[str, object]:
    """What tracks.json says: each track's file, speaker, loudness, gain and whether it is silent; who speaks when."""
    return {
        "tracks": [{"file": name(track.path), "speaker": track.speaker, "loudness_lufs": round(track.loudness, 1),
                    "gain_db": round(track.gain, 1), "silent": not track.audible} for track in tracks],
        "turns": [{"start": start, "end": end, "speaker": speaker} for start, end, speaker in turns],
    }
