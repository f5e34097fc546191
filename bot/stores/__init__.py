"""Rasa stores of the project's own (see endpoints.yml)."""
