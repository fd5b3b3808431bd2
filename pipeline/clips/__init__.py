"""Clips: the short captioned videos picked from an episode (selection in select.py; the stage renders them)."""
