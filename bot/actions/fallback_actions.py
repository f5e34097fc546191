"""When the model is unsure: ask "Did you mean ...?", or say what the assistant can't help with."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import rendering
from bot.knowledge import load_knowledge_base
from bot.knowledge.triage import triage
from bot.signposting import load_signposting


class ActionClarify(Action):
    def name(self) -> str:
        return "action_clarify"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        kb = load_knowledge_base()
        decision = triage(tracker.latest_message.get("intent_ranking") or [], set(kb.answerable_topics))
        if decision.kind == "clarify":
            candidates = [(topic, kb.title_for(topic)) for topic in decision.candidates]
            rendering.send_clarification(dispatcher, candidates, safety_first=decision.safety_first)
        else:
            rendering.send_out_of_scope(dispatcher, load_signposting(), safety_first=decision.safety_first)
        return []


class ActionOutOfScope(Action):
    def name(self) -> str:
        return "action_out_of_scope"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        rendering.send_out_of_scope(dispatcher, load_signposting())
        return []
