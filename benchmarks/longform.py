"""A long-form test recording made from real speech, with its reference, built at bench time (never committed).

Rounds of the real clips in tests/data (Alvin Lucier reading, JFK), each at its own level, separated by
pauses of 0.3–3 s; a 20 s music-like stretch (chords with a tremolo) and a 60 s quiet stretch (faint
noise) sit between rounds. The layout is seeded, so every run builds the same file.

    .venv/bin/python -m benchmarks.longform OUT.wav [--minutes 32]   # writes OUT.wav and OUT.txt
"""

from __future__ import annotations

import argparse
import random
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
RATE = 16_000
JFK_REFERENCE = ("And so my fellow Americans, ask not what your country can do for you, "
                 "ask what you can do for your country.")


@dataclass(frozen=True)
class Placed:
    name: str
    start: float
    end: float


def sources() -> dict[str, tuple[np.ndarray, str]]:
    """The real clips with a text reference: samples (16 kHz mono float32) and reference text."""
    from pipeline.transcription.audio import load_audio

    return {
        "lucier": (load_audio(DATA / "lucier.mp3"), (DATA / "lucier.txt").read_text(encoding="utf-8").strip()),
        "jfk": (load_audio(DATA / "jfk.flac"), JFK_REFERENCE),
    }


def music_like(seconds: float, rng: random.Random) -> np.ndarray:
    """Chords of harmonics with a slow tremolo: tonal, like a jingle, with no voice in it."""
    t = np.arange(int(seconds * RATE)) / RATE
    signal = np.zeros_like(t)
    for index, root in enumerate(rng.sample([196.0, 220.0, 247.0, 262.0, 294.0], 3)):
        for harmonic in (1, 2, 3):
            signal += np.sin(2 * np.pi * root * harmonic * t + index) / harmonic
    tremolo = 0.6 + 0.4 * np.sin(2 * np.pi * 3.0 * t)
    return (0.08 * signal * tremolo).astype(np.float32)


def quiet(seconds: float, rng: random.Random) -> np.ndarray:
    noise = np.random.default_rng(rng.randrange(1 << 30)).standard_normal(int(seconds * RATE))
    return (0.001 * noise).astype(np.float32)  # about −60 dBFS


def build(minutes: float = 32.0, seed: int = 463) -> tuple[np.ndarray, str, list[Placed]]:
    """Samples, reference text and where each clip was placed."""
    rng = random.Random(seed)
    clips = sources()
    parts: list[np.ndarray] = []
    references: list[str] = []
    placed: list[Placed] = []
    position = 0.0
    round_index = 0

    def add(samples: np.ndarray, name: str | None = None) -> None:
        nonlocal position
        if name is not None:
            placed.append(Placed(name, position, position + samples.shape[0] / RATE))
        parts.append(samples)
        position += samples.shape[0] / RATE

    while position < minutes * 60:
        for name in ("lucier", "jfk"):
            samples, reference = clips[name]
            gain = 10 ** (rng.uniform(-9.0, 0.0) / 20)  # levels vary as real guests' do
            add((samples * gain).astype(np.float32), name)
            references.append(reference)
            add(np.zeros(int(rng.uniform(0.3, 3.0) * RATE), dtype=np.float32))
        round_index += 1
        if round_index == 4:
            add(music_like(20.0, rng))
        if round_index == 9:
            add(quiet(60.0, rng))
    return np.concatenate(parts), " ".join(references), placed


def write_wav(path: Path, samples: np.ndarray) -> Path:
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(pcm.tobytes())
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("output", type=Path)
    parser.add_argument("--minutes", type=float, default=32.0)
    args = parser.parse_args()
    samples, reference, _placed = build(args.minutes)
    write_wav(args.output, samples)
    args.output.with_suffix(".txt").write_text(reference + "\n", encoding="utf-8")
    print(f"{args.output}: {samples.shape[0] / RATE / 60:.1f} min")


if __name__ == "__main__":
    main()
