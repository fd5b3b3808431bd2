"""Languages: the codes Whisper speaks, and what each language changes in captions and text.

Pure data and functions. Caption limits follow Netflix's timed-text style guides: most languages keep the
show's `captions` settings; Chinese, Japanese and Korean are counted in characters, with shorter lines and a
slower reading speed. Arabic, Hebrew, Persian, Urdu, Yiddish, Pashto and Sindhi are written right to left.
"""

from __future__ import annotations

from dataclasses import dataclass

# Whisper's languages, as faster_whisper.tokenizer._LANGUAGE_CODES lists them (a test keeps the two equal).
WHISPER_LANGUAGES = (
    "af", "am", "ar", "as", "az", "ba", "be", "bg", "bn", "bo", "br", "bs", "ca", "cs", "cy", "da", "de", "el", "en",
    "es", "et", "eu", "fa", "fi", "fo", "fr", "gl", "gu", "ha", "haw", "he", "hi", "hr", "ht", "hu", "hy", "id", "is",
    "it", "ja", "jw", "ka", "kk", "km", "kn", "ko", "la", "lb", "ln", "lo", "lt", "lv", "mg", "mi", "mk", "ml", "mn",
    "mr", "ms", "mt", "my", "ne", "nl", "nn", "no", "oc", "pa", "pl", "ps", "pt", "ro", "ru", "sa", "sd", "si", "sk",
    "sl", "sn", "so", "sq", "sr", "su", "sv", "sw", "ta", "te", "tg", "th", "tk", "tl", "tr", "tt", "uk", "ur", "uz",
    "vi", "yi", "yo", "zh", "yue",
)
AUTO = "auto"
RIGHT_TO_LEFT = frozenset({"ar", "he", "fa", "ur", "yi", "ps", "sd"})
# (characters a line, characters a second) where a language's guide differs from the show's settings
CAPTION_LIMITS = {"zh": (16, 9.0), "yue": (16, 9.0), "ja": (13, 4.0), "ko": (16, 12.0)}
WITHOUT_SPACES = frozenset({"zh", "yue", "ja", "th", "lo", "km", "my", "bo"})  # words are not separated by spaces
# sumy's names for the languages it has stop words and a stemmer for
SUMMARY_LANGUAGES = {"ar": "arabic", "zh": "chinese", "cs": "czech", "en": "english", "fr": "french", "de": "german",
                     "el": "greek", "he": "hebrew", "it": "italian", "ja": "japanese", "ko": "korean", "pl": "polish",
                     "pt": "portuguese", "sk": "slovak", "es": "spanish", "sv": "swedish", "th": "thai",
                     "uk": "ukrainian"}


# The script each language is written in, where it is not Latin (Unicode's name for it, as in character names).
# Latin terms (names, brands) are allowed in any language.
SCRIPTS = {
    **dict.fromkeys(("ru", "uk", "be", "bg", "mk", "sr", "kk", "mn", "tg", "tt", "ba"), "CYRILLIC"),
    **dict.fromkeys(("ar", "fa", "ur", "ps", "sd"), "ARABIC"),
    **dict.fromkeys(("he", "yi"), "HEBREW"),
    "el": "GREEK", "zh": "CJK", "yue": "CJK", "ja": "CJK", "ko": "HANGUL",
    **dict.fromkeys(("hi", "mr", "ne", "sa"), "DEVANAGARI"),
    **dict.fromkeys(("bn", "as"), "BENGALI"),
    "pa": "GURMUKHI", "gu": "GUJARATI", "ta": "TAMIL", "te": "TELUGU", "kn": "KANNADA", "ml": "MALAYALAM",
    "si": "SINHALA", "th": "THAI", "lo": "LAO", "km": "KHMER", "my": "MYANMAR", "bo": "TIBETAN", "ka": "GEORGIAN",
    "hy": "ARMENIAN", "am": "ETHIOPIC",
}
SCRIPT_ALIASES = {"HIRAGANA": "CJK", "KATAKANA": "CJK", "CJK": "CJK"}  # Japanese mixes them; Korean may use Hanja
ALSO_WRITTEN = {"ja": {"CJK"}, "ko": {"HANGUL", "CJK"}}


def script_of(text: str) -> str | None:
    """The script of the first letter of `text` (LATIN, CYRILLIC, CJK …), or None when it has no letter."""
    import unicodedata

    for character in text:
        if character.isalpha():
            first = unicodedata.name(character, "").split(" ")[0]
            return SCRIPT_ALIASES.get(first, first)
    return None


def glossary_problem(term: str, language: str, where: str) -> str | None:
    """A glossary term written in a script the episode's language is not (Latin is always allowed)."""
    code = whisper_language(language)
    script = script_of(term)
    if code is None or script in (None, "LATIN"):
        return None
    expected = ALSO_WRITTEN.get(code, {SCRIPTS.get(code, "LATIN")})
    if script in expected:
        return None
    return (f"{where}: {term!r} is written in {script.title()} script, but the episode is spoken in {code!r} "
            f"({' or '.join(sorted(x.title() for x in expected))} script): Whisper would be prompted with words it "
            "cannot hear; write the term as it is spelt in that language, or remove it")


def whisper_language(code: str) -> str | None:
    """Whisper's code for a language tag ("en-US" → "en", "pt-BR" → "pt"); None when Whisper does not speak it."""
    tag = code.strip().lower()
    if tag in WHISPER_LANGUAGES:
        return tag
    primary = tag.split("-")[0]
    return primary if primary in WHISPER_LANGUAGES else None


def language_problem(code: str, where: str, allow_auto: bool) -> str | None:
    """What is wrong with a `language:` setting, or None."""
    if allow_auto and code == AUTO:
        return None
    if whisper_language(code) is None:
        choices = "auto or " if allow_auto else ""
        return (f"{where}: {code!r} is not a language Whisper speaks; give {choices}a code like en, de, fr, es, "
                f"pt-BR or ja (see the README's list)")
    return None


@dataclass(frozen=True)
class CaptionLimits:
    max_chars_per_line: int
    max_chars_per_second: float
    right_to_left: bool


def caption_limits(language: str, max_chars_per_line: int, max_chars_per_second: float) -> CaptionLimits:
    """The caption limits for `language`: its guide's, where it has its own, else the show's settings."""
    code = whisper_language(language) or language
    line, speed = CAPTION_LIMITS.get(code, (max_chars_per_line, max_chars_per_second))
    return CaptionLimits(min(line, max_chars_per_line), min(speed, max_chars_per_second), code in RIGHT_TO_LEFT)


def text_direction(language: str) -> str:
    """"rtl" or "ltr", for HTML's `dir`."""
    return "rtl" if (whisper_language(language) or language) in RIGHT_TO_LEFT else "ltr"
