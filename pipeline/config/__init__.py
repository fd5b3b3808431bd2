"""The show's and the episodes' configuration, one job per module; this file re-exports nothing.

- `fields`: the strict base model and the field types both files use (web URLs, timestamps).
- `vocab`: the feed's own vocabulary as the YAML gives it: one model per iTunes / Podcasting 2.0 tag.
- `show`: show.yaml: `ShowConfig` and the production settings (audio, transcription, captions, video…).
- `episode`: episode.yaml: `EpisodeConfig`, and `Episode` (an episode's id, folder and configuration).
- `report`: pydantic's errors and unknown keys as messages naming the file, the key, the value and the fix.
- `load`: reading and validating show.yaml and every episode.yaml (`load_project`), before any stage runs.

`Project` (where a show lives on disk) is in `pipeline.layout`, beside every other path.
"""
