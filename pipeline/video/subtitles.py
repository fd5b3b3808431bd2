"""The soft subtitle track's language: the ISO 639-2 code MP4 wants (its WebVTT comes from pipeline.formats.subtitles)."""

from __future__ import annotations


def iso639_2(language: str) -> str:
    """'en' or 'en-US' → 'eng': MP4 stores three-letter codes and drops two-letter ones ('und' if unknown)."""
    import pycountry

    primary = language.split("-")[0].lower()
    record = pycountry.languages.get(alpha_2=primary) if len(primary) == 2 else pycountry.languages.get(alpha_3=primary)
    return record.alpha_3 if record is not None else "und"
