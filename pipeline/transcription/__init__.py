"""Whisper transcription: model resolution, the two engines, and CTranslate2 → openai-whisper conversion.

Heavy libraries (faster_whisper, whisper, torch) are imported inside functions only.
"""

from pipeline.transcription.audio import SAMPLE_RATE, Samples, load_audio, open_audio
from pipeline.transcription.engines import ENGINES, DecodeSettings, Result, transcribe_audio
from pipeline.transcription.models import ModelSource, resolve_model

__all__ = ["ENGINES", "SAMPLE_RATE", "DecodeSettings", "ModelSource", "Result", "Samples", "load_audio", "open_audio",
           "resolve_model", "transcribe_audio"]
