"""Audio: one job per module, nothing re-exported (each caller imports the module it uses, so a build step's
derived code holds only what it needs; see pipeline.code_deps).

- `loudness`: EBU R128 loudness (ffmpeg's ebur128), the gain to a target and the limiter that keeps the peaks
  under a ceiling (the gain found by measuring the limited sound).
- `silence`: silent stretches (ffmpeg's silencedetect), what sounds between them, and the silent-recording check.
- `decode`: the first pass: one decode of the recording measures it and writes the ASR WAV and the sound.
- `normalise`: the second pass: gain and limiter, encoded to MP3, measured, and encoded again if it missed.
- `mix`: a multitrack recording's tracks, each levelled to the same loudness, mixed into one.
- `tags`: ID3v2.4 tags on the podcast MP3: text frames, cover art, chapters (CHAP/CTOC).

ffmpeg is reached only through pipeline.tools.ffmpeg; the arithmetic and the text formats are pure functions.
"""
