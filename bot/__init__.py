"""SEN Support assistant: Rasa 3.6 project code (actions, NLU components, channels, records)."""
