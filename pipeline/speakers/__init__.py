"""Speakers: who says each word, from the tracks of a multitrack recording or by diarisation of a mixed one.

The modules, each imported by name (this file re-exports nothing, so a step's derived code is only the modules
it uses, see pipeline.code_deps): `people` (the episode's people, light: the notes and the feed read it),
`known` (the number of speakers from the configuration, matching found voices to known ones), `turns` (turns,
labelling words, naming speakers), `tracks` (turns of a multitrack recording), `diarize` (turns of a mixed one),
`voices` (clustering embeddings into voices), `overlap` (where two people speak at once).
"""
