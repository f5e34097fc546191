"""Rasa input channels. Each one only receives and renders; the conversation design is shared."""
