"""Episode production pipeline: ingest, transcribe, notes, video, feed, validate, publish."""

__version__ = "0.1.0"
