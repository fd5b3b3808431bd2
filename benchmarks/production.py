"""Benchmark `production`: the denoiser against another, on real speech with real noise mixed here.

Clean takes: the six CMU ARCTIC studio sentences (two speakers) and Lucier's 101 s (a room recording, so its
"clean" take already holds room tone and reverberation, which a denoiser also takes away: its SI-SDR against
that take undersells every denoiser). Noises: real kitchen noise (running water, dishes) and 50 Hz hum with six
harmonics under pink noise, mixed at 0, 5 and 10 dB SNR. Side by side on the same mixes:
- ours: DeepFilterNet3 (pipeline.audio.denoise, as ingest runs it: 44.1 kHz WAV in, 44.1 kHz WAV out);
- RNNoise, the library the `pyrnnoise` wheel ships, through ctypes at 48 kHz.
Then the speaker leveler (pipeline.audio.level) against ffmpeg's two speech levellers' defaults, on two real
voices 10 dB apart. Figures: SI-SDR gain against the clean take; what each does to clean speech (SI-SDR of its output against its
input); tiny.en's word error rate on the original and on each denoised mix (why transcription reads the
original); the loudness each takes away (the ingest's guard against music and tones); CPU time per second of
sound; and the peak memory of ingest's denoise on a 60-minute file, in a child process.
"""

from __future__ import annotations

import ctypes
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

RATE = 16_000
MP3_RATE = 44_100
SNRS = (0, 5, 10)
ARCTIC_PROMPTS = ("Author of the danger trail, Philip Steels, etc. Not at this particular case, Tom, apologized "
                  "Whittemore. For the twentieth time that evening the two men shook hands. Lord, but I'm glad to "
                  "see you again, Phil. Will we ever forget it. God bless 'em, I hope I'll go on seeing them forever.")
RNNOISE_DELAY = 960  # samples at 48 kHz its output lags its input (measured here by cross-correlation)


def si_sdr(reference: np.ndarray, estimate: np.ndarray) -> float:
    """Scale-invariant signal-to-distortion ratio (dB) of `estimate` against `reference`."""
    reference = reference - reference.mean()
    estimate = estimate - estimate.mean()
    target = reference * (estimate @ reference) / (reference @ reference)
    return float(10 * np.log10(np.sum(target ** 2) / max(float(np.sum((estimate - target) ** 2)), 1e-20)))


def hum(samples: int, rate: int, base: float = 50.0) -> np.ndarray:
    t = np.arange(samples) / rate
    return sum(np.sin(2 * np.pi * base * k * t + k) / k for k in range(1, 8)).astype(np.float32)  # type: ignore[return-value]


def ours(audio: np.ndarray) -> np.ndarray:
    """16 kHz in, 16 kHz out, through the ingest's denoise at 44.1 kHz."""
    import soundfile
    from scipy.signal import resample_poly

    from pipeline.audio.denoise import denoise

    with tempfile.TemporaryDirectory() as folder:
        source, cleaned = Path(folder) / "in.wav", Path(folder) / "out.wav"
        soundfile.write(source, resample_poly(audio, 441, 160), MP3_RATE, subtype="PCM_24")
        denoise(source, cleaned, layout="mono", duration=audio.shape[0] / RATE)
        return _fit(resample_poly(soundfile.read(cleaned, dtype="float32")[0], 160, 441), audio.shape[0])


def rnnoise(audio: np.ndarray) -> np.ndarray:
    """16 kHz in, 16 kHz out, RNNoise at 48 kHz (the scale it wants: 16-bit sample values)."""
    import importlib.util

    from scipy.signal import resample_poly

    spec = importlib.util.find_spec("pyrnnoise")
    if spec is None or spec.origin is None:
        raise RuntimeError("pyrnnoise is not installed (make venv installs it)")
    library = ctypes.CDLL(os.path.join(os.path.dirname(spec.origin), "librnnoise.so"))
    floats = ctypes.POINTER(ctypes.c_float)
    library.rnnoise_create.argtypes, library.rnnoise_create.restype = [ctypes.c_void_p], ctypes.c_void_p
    library.rnnoise_destroy.argtypes = [ctypes.c_void_p]
    library.rnnoise_process_frame.argtypes = [ctypes.c_void_p, floats, floats]
    state = library.rnnoise_create(None)
    upsampled = resample_poly(audio, 3, 1).astype(np.float32) * 32768.0
    frames = np.concatenate([upsampled, np.zeros(RNNOISE_DELAY + 480 + (-upsampled.shape[0]) % 480, np.float32)])
    out = np.zeros_like(frames)
    for at in range(0, frames.shape[0], 480):
        frame, result = np.ascontiguousarray(frames[at:at + 480]), np.zeros(480, np.float32)
        library.rnnoise_process_frame(state, result.ctypes.data_as(floats), frame.ctypes.data_as(floats))
        out[at:at + 480] = result
    library.rnnoise_destroy(state)
    aligned = out[RNNOISE_DELAY:RNNOISE_DELAY + upsampled.shape[0]] / 32768.0
    return _fit(resample_poly(aligned, 1, 3), audio.shape[0])


def _fit(audio: np.ndarray, samples: int) -> np.ndarray:
    return np.pad(audio, (0, max(0, samples - audio.shape[0])))[:samples].astype(np.float32)


def loudness(audio: np.ndarray) -> float:
    import pyloudnorm

    return float(pyloudnorm.Meter(RATE).integrated_loudness(audio.astype(np.float64)))


def run(root: Path) -> dict[str, Any]:
    import jiwer
    from whisper.normalizers import EnglishTextNormalizer

    from benchmarks.memory import run_in_child
    from benchmarks.voice_cases import DATA, arctic, load, pause, pink_noise
    from pipeline.transcription.audio import load_audio
    from pipeline.transcription.engines import DecodeSettings
    from pipeline.transcription.models import resolve_model
    from pipeline.transcription.transcribe import transcribe_audio

    normalise = EnglishTextNormalizer()
    model = resolve_model("tiny.en", "faster-whisper")
    settings = DecodeSettings(beam_size=5, threads=2)

    def wer(reference: str, audio: np.ndarray) -> float:
        result = transcribe_audio(audio, "faster-whisper", model, settings)
        said = normalise(" ".join(segment.text for segment in result.segments))
        return round(jiwer.wer(normalise(reference), said), 3) if said.strip() else 1.0

    speech = {"arctic": (np.concatenate([piece for who in ("aew", "axb") for piece in (arctic(who), pause(0.5))]),
                         ARCTIC_PROMPTS),
              "lucier": (load(DATA / "lucier.mp3"), (DATA / "lucier.txt").read_text(encoding="utf-8"))}
    kitchen = load_audio(root / "tests" / "data" / "noise" / "doing_the_dishes.ogg")
    denoisers = {"ours": ours, "rnnoise": rnnoise}
    cpu = dict.fromkeys(denoisers, 0.0)
    seconds = 0.0
    rows: dict[str, Any] = {}
    for name, (clean, reference) in speech.items():
        clean = (clean / np.abs(clean).max() * 0.5).astype(np.float32)
        row: dict[str, Any] = {"wer_original": wer(reference, clean)}
        for who, function in denoisers.items():
            out = function(clean)
            row[f"{who}_sisdr_against_input"] = round(si_sdr(clean, out), 1)
            row[f"{who}_wer"] = wer(reference, out)
        rows[f"{name}_clean"] = row
        noises = {"kitchen": np.resize(kitchen, clean.shape[0]),
                  "hum_pink": hum(clean.shape[0], RATE) + 5 * np.resize(pink_noise(60, -20, seed=3), clean.shape[0])}
        for noise_name, noise in noises.items():
            for snr in SNRS:
                scale = np.sqrt(np.mean(clean ** 2) / np.mean(noise ** 2)) * 10 ** (-snr / 20)
                noisy = (clean + noise * scale).astype(np.float32)
                row = {"sisdr_in": round(si_sdr(clean, noisy), 1), "wer_original": wer(reference, noisy)}
                for who, function in denoisers.items():
                    started = time.process_time()
                    out = function(noisy)
                    cpu[who] += time.process_time() - started
                    row[f"{who}_sisdr_gain"] = round(si_sdr(clean, out) - row["sisdr_in"], 1)
                    row[f"{who}_wer"] = wer(reference, out)
                    row[f"{who}_loudness_taken_db"] = round(loudness(noisy) - loudness(out), 1)
                seconds += clean.shape[0] / RATE
                rows[f"{name}_{noise_name}_{snr}db"] = row
    return {**summary(rows, tuple(denoisers)),
            "levelling": levelling(),
            "cpu_seconds_per_second": {who: round(cpu[who] / seconds, 3) for who in denoisers},
            "sixty_minutes": run_in_child(root, "benchmarks.production", {"minutes": 60}, "denoise 60 minutes"),
            "cases": rows}


def levelling() -> dict[str, Any]:
    """Two real voices 10 dB apart (Lucier at −20 dBFS, JFK and an ARCTIC speaker at −30), 12 s turns, pauses of
    faint noise (−60 dBFS): each voice's loudness and the pauses' level, as recorded, through ours (the ingest's
    leveler) and through dynaudnorm's and speechnorm's defaults."""
    import subprocess

    import pyloudnorm
    import soundfile

    from benchmarks.voice_cases import DATA, arctic, level, load
    from pipeline.audio.level import LEVELER
    from pipeline.tools.ffmpeg import ffmpeg_exe

    lucier, others = load(DATA / "lucier.mp3"), np.concatenate([load(DATA / "jfk.flac"), arctic("aew")])
    rng = np.random.default_rng(0)
    pieces, who, position = [], [], 0
    for turn in range(6):
        for samples, name in ((level(lucier[turn * 15 * RATE:(turn * 15 + 12) * RATE], -20), "loud"),
                              (level(np.roll(others, turn * 3 * RATE)[:12 * RATE], -30), "quiet")):
            pause = (rng.standard_normal(int(0.8 * RATE)) * 1e-3).astype(np.float32)
            pieces += [samples, pause]
            who += [(position, position + samples.shape[0], name),
                    (position + samples.shape[0], position + samples.shape[0] + pause.shape[0], "pause")]
            position += samples.shape[0] + pause.shape[0]
    talk = np.concatenate(pieces)
    meter = pyloudnorm.Meter(RATE)

    def figures(sound: np.ndarray) -> dict[str, float]:
        def part(name: str) -> np.ndarray:
            return np.concatenate([sound[a + 2000:b - 2000] if name == "pause" else sound[a:b] for a, b, n in who if n == name])

        loud, quiet = (meter.integrated_loudness(part(name).astype(np.float64)) for name in ("loud", "quiet"))
        pauses = 20 * np.log10(float(np.sqrt(np.mean(part("pause") ** 2))) + 1e-12)
        return {"spread_lu": round(loud - quiet, 1), "speech_to_pause_db": round(loud - pauses, 1)}

    found = {"recorded": figures(talk)}
    with tempfile.TemporaryDirectory() as folder:
        source, target = Path(folder) / "in.wav", Path(folder) / "out.wav"
        soundfile.write(source, talk, RATE, subtype="FLOAT")
        for name, chain in (("ours", LEVELER), ("dynaudnorm_defaults", "dynaudnorm"), ("speechnorm_defaults", "speechnorm")):
            subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-i", str(source), "-af", chain, "-c:a", "pcm_f32le",
                            str(target)], check=True)
            found[name] = figures(_fit(soundfile.read(target, dtype="float32")[0], talk.shape[0]))
    return found


def summary(rows: dict[str, dict[str, Any]], denoisers: tuple[str, ...]) -> dict[str, Any]:
    """The cases' figures as ranges: SI-SDR gains on the studio takes (a clean reference) apart from Lucier's
    (a room recording: the room tone a denoiser removes counts against it)."""
    noisy = {key: row for key, row in rows.items() if not key.endswith("_clean")}

    def span(key: str, prefix: str = "") -> str:
        values = [row[key] for name, row in noisy.items() if name.startswith(prefix)]
        return f"{min(values)}..{max(values)}"

    return {
        "sisdr_gain_db_studio": {who: span(f"{who}_sisdr_gain", "arctic") for who in denoisers},
        "sisdr_gain_db_room": {who: span(f"{who}_sisdr_gain", "lucier") for who in denoisers},
        "clean_studio_sisdr_against_input_db": {who: rows["arctic_clean"][f"{who}_sisdr_against_input"]
                                                for who in denoisers},
        "wer_worse_than_original": {who: f"{sum(row[f'{who}_wer'] > row['wer_original'] for row in noisy.values())}"
                                         f"/{len(noisy)}" for who in denoisers},
        "loudness_taken_db": {who: span(f"{who}_loudness_taken_db") for who in denoisers},
    }


def _worker(spec: dict[str, Any]) -> dict[str, Any]:
    """Ingest's denoise on `minutes` of Lucier (mono, 44.1 kHz) with kitchen noise: wall time and peak memory."""
    import soundfile
    from scipy.signal import resample_poly

    from benchmarks.memory import own_peak_mb
    from benchmarks.voice_cases import DATA, load
    from pipeline.audio.denoise import denoise

    piece = resample_poly(load(DATA / "lucier.mp3"), 441, 160).astype(np.float32)
    repeats = int(np.ceil(spec["minutes"] * 60 * MP3_RATE / piece.shape[0]))
    with tempfile.TemporaryDirectory() as folder:
        source, cleaned = Path(folder) / "in.wav", Path(folder) / "out.wav"
        with soundfile.SoundFile(source, "w", MP3_RATE, 1, subtype="PCM_24") as out:
            for _ in range(repeats):
                out.write(piece)
        duration = repeats * piece.shape[0] / MP3_RATE
        baseline = own_peak_mb()
        started = time.perf_counter()
        denoise(source, cleaned, layout="mono", duration=duration)
        wall = time.perf_counter() - started
    return {"seconds": round(duration), "wall_s": round(wall, 1), "rtf": round(wall / duration, 3),
            "peak_rss_mb": round(own_peak_mb()), "peak_before_mb": round(baseline)}
