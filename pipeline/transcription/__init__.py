"""Whisper transcription: model resolution, the two engines, and CTranslate2 → openai-whisper conversion.

The modules, each imported by name (this file re-exports nothing, so a step's derived code is only the modules
it uses, see pipeline.code_deps): `audio` (reading 16 kHz audio), `models` (which model, where), `engines`
(decoding and `transcribe_audio`), `coverage` (recovering speech no word covers), `glossary` (spelling fixes),
`ct2` (checkpoint conversion). Heavy libraries (faster_whisper, whisper, torch) are imported inside functions only.
"""
