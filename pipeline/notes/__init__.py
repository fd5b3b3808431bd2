"""Show notes: summary, chapters, links, citations, and their Markdown / HTML rendering.

Each module is a set of pure functions over a transcript and the episode's configuration; the
`notes` stage (pipeline/stages/notes.py) ties them together and writes the files.
"""
