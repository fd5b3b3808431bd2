"""Make the demo multitrack conversation (episode 464): one MP3 per participant, as a remote-recording tool gives them.

Each line of episodes/464/script.txt is `Name: text`. Every line is spoken by that person's espeak-ng voice
into their own track; the other track hears it too, 24 dB down and 20 ms late (bleed from the other
microphone), and the guest's microphone is 9 dB quieter than the host's. Needs espeak-ng.

    .venv/bin/python scripts/make_conversation.py episodes/464
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import wave
from pathlib import Path

import numpy as np
from imageio_ffmpeg import get_ffmpeg_exe

RATE = 22_050  # espeak-ng's rate
VOICES = {"Dana Reyes": ["-v", "en-us", "-s", "150"], "Sam Lee": ["-v", "en-gb+f2", "-p", "70", "-s", "160"]}
TRACKS = {"Dana Reyes": ("host.mp3", 0.0), "Sam Lee": ("guest.mp3", -9.0)}
BLEED_DB, BLEED_DELAY = -24.0, 0.020
LEAD_IN, PAUSE = 1.0, 0.6


def speak(text: str, voice: list[str], scratch: Path) -> np.ndarray:
    path = scratch / "line.wav"
    subprocess.run(["espeak-ng", *voice, "-w", str(path), text], check=True, capture_output=True)
    with wave.open(str(path), "rb") as source:
        return np.frombuffer(source.readframes(source.getnframes()), dtype="<i2").astype(np.float32) / 32768.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("episode", type=Path)
    folder = parser.parse_args().episode
    lines = [line.split(":", 1) for line in (folder / "script.txt").read_text(encoding="utf-8").splitlines() if line.strip()]
    tracks = {name: [np.zeros(int(LEAD_IN * RATE), np.float32)] for name in TRACKS}
    with tempfile.TemporaryDirectory() as scratch:
        for name, text in lines:
            speech = speak(text.strip(), VOICES[name.strip()], Path(scratch))
            pause = np.zeros(int(PAUSE * RATE), np.float32)
            for other in tracks:
                tracks[other] += [speech if other == name.strip() else np.zeros_like(speech), pause]
        own = {name: np.concatenate(parts) for name, parts in tracks.items()}
        delay = int(BLEED_DELAY * RATE)
        for name, (file, gain_db) in TRACKS.items():
            signal = own[name].copy()
            for other, samples in own.items():
                if other != name:
                    signal[delay:] += samples[:-delay] * 10 ** (BLEED_DB / 20)
            signal *= 10 ** (gain_db / 20)
            raw = Path(scratch) / f"{name}.f32"
            raw.write_bytes(signal.astype("<f4").tobytes())
            subprocess.run([get_ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "f32le", "-ar", str(RATE), "-ac", "1",
                            "-i", str(raw), "-c:a", "libmp3lame", "-b:a", "32k", str(folder / file)], check=True)


if __name__ == "__main__":
    main()
