"""Answers from the knowledge base: the short answer, and "tell me more"."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import rendering
from bot.knowledge import load_knowledge_base
from bot.signposting import load_signposting

CRISIS = "crisis"


class ActionAnswerKnowledge(Action):
    """Replies to a knowledge intent (or `crisis`) with the article of the same id."""

    def name(self) -> str:
        return "action_answer_knowledge"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        topic = (tracker.latest_message.get("intent") or {}).get("name")
        article = load_knowledge_base().get(topic or "")
        if article is None:
            rendering.send_out_of_scope(dispatcher, load_signposting())
            return []
        if topic == CRISIS:
            rendering.send_crisis(dispatcher, article)
        else:
            rendering.send_article(dispatcher, article)
        return [SlotSet("last_topic", topic)]


class ActionTellMeMore(Action):
    """The detail of the topic the parent was last given an answer on."""

    def name(self) -> str:
        return "action_tell_me_more"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        article = load_knowledge_base().get(tracker.get_slot("last_topic") or "")
        if article is None:
            dispatcher.utter_message(response="utter_help")
            return []
        rendering.send_article(dispatcher, article, detail=True)
        return []
