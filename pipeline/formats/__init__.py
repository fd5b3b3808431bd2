"""Pure functions and data models for file formats: no I/O beyond load/save helpers, tested directly."""
