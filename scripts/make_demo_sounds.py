"""Make the demo show's intro and outro music (config/intro.mp3, config/outro.mp3) and episode 463's sponsor
read (episodes/463/sponsor.mp3): synthesised here, so the demo holds nothing under someone else's licence.

The music is four soft chords (sine partials, a slow attack and release) with a plucked note on each beat;
the sponsor read is espeak-ng, another voice than the host's. Needs espeak-ng.

    .venv/bin/python scripts/make_demo_sounds.py
"""

from __future__ import annotations

import subprocess
import tempfile
import wave
from pathlib import Path

import numpy as np
from imageio_ffmpeg import get_ffmpeg_exe

RATE = 44_100
CHORDS = [(261.63, 329.63, 392.00), (220.00, 261.63, 329.63), (174.61, 220.00, 261.63), (196.00, 246.94, 293.66)]
SPONSOR = ("This episode is supported by listeners like you. Become a member at massage monday dot example, "
           "and get every episode a day early.")


def music(seconds_per_chord: float, chords: list[tuple[float, ...]]) -> np.ndarray:
    length = int(seconds_per_chord * RATE)
    t = np.arange(length) / RATE
    pieces = []
    for chord in chords:
        pad = sum(np.sin(2 * np.pi * f * t) + 0.3 * np.sin(4 * np.pi * f * t) for f in chord) / len(chord)
        pad *= np.minimum(1, t / 0.4) * np.minimum(1, (seconds_per_chord - t) / 0.4)
        beat = np.zeros(length)
        for start in np.arange(0, seconds_per_chord, 0.5):
            n = np.arange(length - int(start * RATE)) / RATE
            beat[int(start * RATE):] += np.sin(2 * np.pi * chord[0] * 2 * n) * np.exp(-n * 9)
        pieces.append(0.25 * pad + 0.15 * beat)
    sound = np.concatenate(pieces)
    fade = np.minimum(1, np.minimum(np.arange(sound.size), sound.size - np.arange(sound.size)) / (0.05 * RATE))
    return (sound * fade).astype(np.float32)


def encode(samples: np.ndarray, rate: int, target: Path, bitrate: str = "64k") -> None:
    subprocess.run([get_ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "f32le", "-ar", str(rate), "-ac", "1", "-i", "-",
                    "-c:a", "libmp3lame", "-b:a", bitrate, str(target)], input=samples.tobytes(), check=True)


def main() -> None:
    root = Path(__file__).resolve().parent.parent
    encode(music(2.0, CHORDS), RATE, root / "config" / "intro.mp3")
    encode(music(2.5, CHORDS[::-1]), RATE, root / "config" / "outro.mp3")
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "sponsor.wav"
        subprocess.run(["espeak-ng", "-v", "en-gb+f3", "-s", "155", "-w", str(path), SPONSOR], check=True)
        with wave.open(str(path)) as source:
            rate = source.getframerate()
            samples = np.frombuffer(source.readframes(source.getnframes()), dtype=np.int16).astype(np.float32) / 32768
    silence = np.zeros(int(0.4 * rate), dtype=np.float32)
    encode(np.concatenate([silence, samples, silence]), rate, root / "episodes" / "463" / "sponsor.mp3", "48k")


if __name__ == "__main__":
    main()
