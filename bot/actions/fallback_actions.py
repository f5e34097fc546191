"""When the model is unsure: ask "Did you mean ...?", or say what the assistant can't help with."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import rendering
from bot.knowledge import load_knowledge_base
from bot.signposting import load_signposting

# A topic is offered as "Did you mean ...?" only if the model gives it at least this much.
CANDIDATE_FLOOR = 0.08
MAX_CANDIDATES = 3


def likely_topics(intent_ranking: list[dict], answerable: set[str]) -> list[tuple[str, float]]:
    """The likeliest answerable topics in the model's ranking, best first."""
    candidates = [
        (item["name"], float(item.get("confidence") or 0.0))
        for item in intent_ranking
        if item.get("name") in answerable and float(item.get("confidence") or 0.0) >= CANDIDATE_FLOOR
    ]
    return candidates[:MAX_CANDIDATES]


class ActionClarify(Action):
    def name(self) -> str:
        return "action_clarify"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        kb = load_knowledge_base()
        ranking = [item for item in tracker.latest_message.get("intent_ranking") or [] if item.get("name") != "nlu_fallback"]
        if ranking and ranking[0].get("name") == "crisis":
            # Unsure, but the likeliest reading is that someone is at risk: urgent help first.
            rendering.send_crisis(dispatcher, kb.get("crisis"))
            return []
        candidates = likely_topics(ranking, set(kb.answerable_topics))
        if not candidates or (ranking and ranking[0].get("name") == "out_of_scope"):
            rendering.send_out_of_scope(dispatcher, load_signposting())
            return []
        rendering.send_clarification(dispatcher, [(topic, kb.title_for(topic)) for topic, _ in candidates])
        return []


class ActionOutOfScope(Action):
    def name(self) -> str:
        return "action_out_of_scope"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        rendering.send_out_of_scope(dispatcher, load_signposting())
        return []
