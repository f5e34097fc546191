"""Custom actions, served by the Rasa SDK action server (`rasa run actions --actions bot.actions`).

Actions stay thin: they read the tracker, ask the knowledge base or the records connector,
and render a reply through bot.actions.rendering. No SQL and no HTTP here.
"""

from bot.actions import fallback_actions, knowledge_actions, records_actions  # noqa: F401  (registers the actions)
