"""The soft subtitle track's inputs: WebVTT text for cues, and the ISO 639-2 code MP4 wants."""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.formats.captions import Cue


def vtt_timestamp(seconds: float) -> str:
    milliseconds = max(0, round(seconds * 1000))
    hours, rest = divmod(milliseconds, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    whole, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{whole:02d}.{millis:03d}"


def webvtt(cues: Sequence[Cue]) -> str:
    """A minimal WebVTT file for `cues` (used when the transcribe stage's captions.vtt is not there)."""
    blocks = ["WEBVTT"]
    for cue in cues:
        text = cue.text.replace("-->", "→").replace("&", "&amp;").replace("<", "&lt;")
        blocks.append(f"{vtt_timestamp(cue.start)} --> {vtt_timestamp(cue.end)}\n{text}")
    return "\n\n".join(blocks) + "\n"


def iso639_2(language: str) -> str:
    """'en' or 'en-US' → 'eng': MP4 stores three-letter codes and drops two-letter ones ('und' if unknown)."""
    import pycountry

    primary = language.split("-")[0].lower()
    record = pycountry.languages.get(alpha_2=primary) if len(primary) == 2 else pycountry.languages.get(alpha_3=primary)
    return record.alpha_3 if record is not None else "und"
