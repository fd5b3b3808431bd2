"""Real recordings of one voice and of several, for the speaker tests and `BENCH=speakers`: where the number of
voices is known, and how each is heard when the input changes a little (as it does on another machine).

All from tests/data (copies of shared/audio/dev): JFK, Lucier, fifteen FLEURS readers (German, Spanish,
French), two CMU ARCTIC speakers, five AMI meeting excerpts, AN4, the stereo clip, a house-music loop (a show's
intro and outro, which pyannote's segmentation model calls speech). Conversations made here join
recordings of different people (FLEURS readers only across languages: one reader may read several sentences of
one language), each levelled to −25 dBFS, with the reference from each piece's speech (Silero).
"""

from __future__ import annotations

import contextlib
import functools
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
RATE = 16_000
Turn = tuple[float, float, str]
AMI = ("ami_dev00", "ami_dev01", "ami_trn00", "ami_trn04", "ami_trn05")
# Voices of one room through one recording chain, far more alike than people of different recordings: two people
# talking (pyannote.audio's sample) and two Seattle City Council meetings, their members in turn (tests/data/README.md).
ONE_ROOM = {"pyannote_sample": "pyannote_sample.flac", "council_7": "council/council_7.ogg",
            "council_9": "council/council_9.ogg"}
FLEURS_PAIRS = (("de-003", "es-004"), ("es-003", "de-002"), ("es-002", "fr-000"), ("es-004", "de-001"),
                ("fr-001", "de-000"), ("fr-002", "es-001"))


@dataclass(frozen=True)
class Case:
    audio: np.ndarray
    voices: int
    reference: list[Turn] | None = None  # who speaks when, where known


def load(path: Path) -> np.ndarray:
    from pipeline.transcription.audio import load_audio

    return load_audio(path)


def level(audio: np.ndarray, dbfs: float = -25.0) -> np.ndarray:
    rms = float(np.sqrt(np.mean(np.square(audio, dtype=np.float64))))
    return (audio * (10 ** (dbfs / 20) / max(rms, 1e-9))).astype(np.float32)


def pause(seconds: float = 0.6) -> np.ndarray:
    return np.zeros(int(seconds * RATE), dtype=np.float32)


def pink_noise(seconds: float, dbfs: float, seed: int = 0) -> np.ndarray:
    samples = int(seconds * RATE)
    spectrum = np.fft.rfft(np.random.default_rng(seed).standard_normal(samples))
    frequencies = np.fft.rfftfreq(samples, 1 / RATE)
    frequencies[0] = frequencies[1]
    return level(np.fft.irfft(spectrum / np.sqrt(frequencies), samples).astype(np.float32), dbfs)


def read_rttm(path: Path) -> list[Turn]:
    turns = []
    for line in path.read_text().splitlines():
        fields = line.split()
        if fields and fields[0] == "SPEAKER":
            start, duration = float(fields[3]), float(fields[4])
            turns.append((start, start + duration, fields[7]))
    return turns


def annotated(path: Path) -> Case:
    """A real recording and its reference (the RTTM beside it), with as many voices as the reference names."""
    reference = read_rttm(path.with_suffix(".rttm"))
    return Case(load(path), len(spoken_seconds(reference)), reference)


def spoken_seconds(reference: list[Turn]) -> dict[str, float]:
    """Seconds each speaker of a reference speaks."""
    spoken: dict[str, float] = {}
    for start, end, label in reference:
        spoken[label] = spoken.get(label, 0.0) + end - start
    return spoken


def joined(pieces: list[tuple[np.ndarray, str]]) -> Case:
    """Recordings one after another with short pauses; the reference from each one's speech."""
    from pipeline.speakers.speech import speech_spans

    audio, reference, position = [], [], 0.0
    for samples, speaker in pieces:
        reference += [(position + a, position + b, speaker) for a, b in speech_spans(samples)]
        audio += [samples, pause()]
        position += (samples.shape[0] + pause().shape[0]) / RATE
    return Case(np.concatenate(audio), len({speaker for _samples, speaker in pieces}), reference)


def arctic(speaker: str) -> np.ndarray:
    return np.concatenate([piece for path in sorted((DATA / "arctic").glob(f"*_{speaker}_*.flac"))
                           for piece in (load(path), pause())])


def fleurs(name: str) -> np.ndarray:
    return load(DATA / "fleurs" / f"fleurs-{name}.ogg")


def music(seconds: float = 20.0) -> np.ndarray:
    """A 7 s house-music loop repeated to `seconds`, at −25 dBFS, like a show's jingle."""
    loop = load(DATA / "music" / "house_lo.ogg")
    return level(np.tile(loop, -(-int(seconds * RATE) // loop.shape[0]))[:int(seconds * RATE)])


def single_voice_cases() -> dict[str, Case]:
    jfk = load(DATA / "jfk.flac")
    lucier = load(DATA / "lucier.mp3")
    cases = {"jfk": Case(jfk, 1), "lucier": Case(lucier, 1)}
    cases["lucier_music_intro_outro"] = Case(np.concatenate([music(), level(lucier[:60 * RATE]), music()]), 1)
    cases |= {path.stem: Case(load(path), 1) for path in sorted((DATA / "fleurs").glob("*.ogg"))}
    cases |= {f"arctic_{speaker}": Case(arctic(speaker), 1) for speaker in ("aew", "axb")}
    cases["jfk_twice_pink_noise"] = Case(np.concatenate([jfk, pink_noise(20, -50), jfk]), 1)  # the solo show's pause
    return cases


def reader_with_guests(minutes: float = 8.0, seed: int = 2) -> Case:
    """One main reader (Lucier excerpts of 20–35 s) and six guests of 8–23 s each between them (about a fifth of
    the speech): the guests must be found."""
    import random

    rng = random.Random(seed)
    lucier = load(DATA / "lucier.mp3")
    guests = [("JFK", load(DATA / "jfk.flac")), ("ARCTIC aew", arctic("aew")), ("FLEURS de-000", fleurs("de-000")),
              ("FLEURS es-001", fleurs("es-001")), ("FLEURS fr-001", fleurs("fr-001")), ("FLEURS de-003", fleurs("de-003"))]
    slots = sorted(rng.sample(range(1, 14), len(guests)))
    pieces: list[tuple[np.ndarray, str]] = []
    seconds, excerpts = 0.0, 0
    while seconds < minutes * 60:
        start = rng.randint(0, lucier.shape[0] // RATE - 35)
        pieces.append((lucier[start * RATE:(start + rng.randint(20, 35)) * RATE], "Lucier"))
        excerpts += 1
        if slots and excerpts == slots[0]:
            slots.pop(0)
            name, samples = guests.pop(0)
            pieces.append((level(samples, -28.0), name))
        seconds = sum(samples.shape[0] for samples, _name in pieces) / RATE
    return joined(pieces)


def multi_voice_cases(long: bool = True) -> dict[str, Case]:
    from benchmarks.speakers import stereo_case

    cases: dict[str, Case] = {}
    for name in (*AMI, "an4_2spk"):
        cases[name] = annotated(DATA / f"{name}.flac")
    stereo, reference = stereo_case()
    cases["stereo_diarization"] = Case(stereo, 2, reference)
    cases["arctic_aew_axb"] = joined([(level(load(path)), path.stem.split("_")[3])
                                      for path in sorted((DATA / "arctic").glob("*.flac"))])
    for first, second in FLEURS_PAIRS:
        cases[f"fleurs_{first}_{second}"] = joined([(level(fleurs(first)), first), (level(fleurs(second)), second),
                                                    (level(fleurs(first))[:5 * RATE], first)])
    for name, file in ONE_ROOM.items():
        cases[name] = annotated(DATA / file)
    cases["jfk_lucier"] = joined([(level(load(DATA / "jfk.flac")), "JFK"),
                                  (level(load(DATA / "lucier.mp3"))[:30 * RATE], "Lucier")])
    if long:
        cases["reader_6_guests"] = reader_with_guests()
    return cases


def shifted(audio: np.ndarray) -> np.ndarray:
    """10 ms of silence first: every window falls elsewhere."""
    return np.concatenate([pause(0.01), audio])


def dithered(audio: np.ndarray) -> np.ndarray:
    """White noise at −60 dBFS once the recording is levelled to −20 dBFS (40 dB below its level)."""
    rms = float(np.sqrt(np.mean(np.square(audio, dtype=np.float64))))
    noise = np.random.default_rng(0).standard_normal(audio.shape[0]) * rms * 10 ** (-40 / 20)
    return (audio + noise).astype(np.float32)


def as_mp3(audio: np.ndarray, bitrate: str = "128k") -> np.ndarray:
    """Through an MP3 and back (libmp3lame, decoded as the pipeline decodes)."""
    import imageio_ffmpeg
    import soundfile

    with tempfile.TemporaryDirectory() as folder:
        wav, mp3 = Path(folder) / "in.wav", Path(folder) / "in.mp3"
        soundfile.write(wav, audio, RATE)
        subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-i", str(wav), "-b:a", bitrate, str(mp3)],
                       check=True)
        return load(mp3)


def telephone(audio: np.ndarray) -> np.ndarray:
    """A phone line: 8 kHz, 300–3400 Hz."""
    from scipy.signal import butter, resample_poly, sosfilt

    band = butter(4, [300, 3400], btype="band", fs=RATE // 2, output="sos")
    return resample_poly(sosfilt(band, resample_poly(audio, 1, 2)), 2, 1)[:audio.shape[0]].astype(np.float32)


def in_kitchen(audio: np.ndarray, snr_db: float) -> np.ndarray:
    """Real kitchen noise (running water, dishes) under the speech, `snr_db` below it."""
    noise = np.resize(load(DATA / "noise" / "doing_the_dishes.ogg"), audio.shape)
    gain = np.sqrt(np.mean(np.square(audio, dtype=np.float64)) / np.mean(np.square(noise, dtype=np.float64)))
    return (audio + noise * gain * 10 ** (-snr_db / 20)).astype(np.float32)


def reverberant(audio: np.ndarray, seconds: float = 0.5) -> np.ndarray:
    """A bare room: exponentially decaying noise as the impulse response (RT60 `seconds`)."""
    from scipy.signal import fftconvolve

    t = np.arange(int(seconds * RATE)) / RATE
    response = np.random.default_rng(0).standard_normal(t.shape) * np.exp(-6.9 * t / seconds)
    response[0] = 1.0
    return level(fftconvolve(audio, response)[:audio.shape[0]].astype(np.float32))


# Recording conditions none of the cases were chosen or tuned under: what a listener's recordings may be.
CONDITIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "telephone": telephone, "kitchen_10db": functools.partial(in_kitchen, snr_db=10.0),
    "kitchen_0db": functools.partial(in_kitchen, snr_db=0.0), "reverberant": reverberant,
    "mp3_32k": functools.partial(as_mp3, bitrate="32k"), "quieter_20db": lambda audio: (audio * 0.1).astype(np.float32)}


PERTURBATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "shift_10ms": shifted, "dither_60dbfs": dithered, "mp3": as_mp3}
SHIFT_SECONDS = {"shift_10ms": 0.01}


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """torch on one thread (the speaker encoder's kernels then add up their sums in another order)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
