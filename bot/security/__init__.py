"""Secrets shared by the Rasa server (channels) and the action server: identity signing and sealed link codes."""
