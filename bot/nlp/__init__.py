"""Builds the project's own spaCy pipeline (no model download)."""
