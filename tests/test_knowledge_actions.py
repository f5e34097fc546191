"""Knowledge and fallback actions over tracker fixtures (no model, no server)."""

from __future__ import annotations

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.fallback_actions import ActionClarify, ActionOutOfScope
from bot.actions.knowledge_actions import ActionAnswerKnowledge, ActionTellMeMore
from bot.knowledge import load_knowledge_base
from bot.knowledge.triage import CANDIDATE_FLOOR, reply_topic, triage

KB = load_knowledge_base()


def tracker(intent: str | None = None, ranking: list[dict] | None = None, slots: dict | None = None, text: str = "x") -> Tracker:
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.9} if intent else {}, "intent_ranking": ranking or [], "entities": []}
    return Tracker("rest:test", slots or {}, latest, [], False, None, {}, "action_listen")


def custom(dispatcher: CollectingDispatcher) -> dict:
    return next(message["custom"] for message in dispatcher.messages if message.get("custom"))


@pytest.mark.parametrize("topic", KB.knowledge_topics)
async def test_every_knowledge_intent_gets_its_article(topic):
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerKnowledge().run(dispatcher, tracker(topic), {})
    article = KB.get(topic)
    assert dispatcher.messages[0]["text"] == article.short
    assert custom(dispatcher) == article.custom_payload()
    assert {"title": "Tell me more", "payload": "/tell_me_more"} in dispatcher.messages[0]["buttons"]
    assert events == [{"event": "slot", "timestamp": None, "name": "last_topic", "value": topic}]


async def test_crisis_reply_is_urgent_and_has_no_distractions():
    dispatcher = CollectingDispatcher()
    await ActionAnswerKnowledge().run(dispatcher, tracker("crisis"), {})
    assert custom(dispatcher)["topic"] == "crisis" and custom(dispatcher)["urgent"] is True
    assert not dispatcher.messages[0]["buttons"]


async def test_unknown_topic_signposts_instead_of_failing():
    dispatcher = CollectingDispatcher()
    await ActionAnswerKnowledge().run(dispatcher, tracker("no_such_topic"), {})
    assert custom(dispatcher)["topic"] == "out_of_scope"


async def test_tell_me_more_without_a_topic_offers_help():
    dispatcher = CollectingDispatcher()
    await ActionTellMeMore().run(dispatcher, tracker("tell_me_more"), {})
    assert dispatcher.messages[0]["response"] == "utter_help"


async def test_tell_me_more_gives_the_detail():
    dispatcher = CollectingDispatcher()
    await ActionTellMeMore().run(dispatcher, tracker("tell_me_more", slots={"last_topic": "funding"}), {})
    assert dispatcher.messages[0]["text"] == KB.get("funding").more
    assert custom(dispatcher)["topic"] == "funding"


async def test_unsure_offers_the_likeliest_topics_as_buttons():
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.25},
        {"name": "assess_stage", "confidence": 0.22},
        {"name": "greet", "confidence": 0.20},
        {"name": "graduated_approach", "confidence": 0.18},
        {"name": "specialists", "confidence": 0.10},
        {"name": "funding", "confidence": 0.01},
    ]
    dispatcher = CollectingDispatcher()
    await ActionClarify().run(dispatcher, tracker("nlu_fallback", ranking), {})
    payloads = [button["payload"] for button in dispatcher.messages[0]["buttons"]]
    assert payloads[:3] == ["/assess_stage", "/graduated_approach", "/specialists"]
    assert custom(dispatcher) == {"topic": "assess_stage", "clarify": True, "candidates": ["assess_stage", "graduated_approach", "specialists"]}
    assert "Did you mean" in dispatcher.messages[0]["text"]


async def test_unsure_with_nothing_likely_signposts():
    ranking = [{"name": "nlu_fallback", "confidence": 0.25}, {"name": "funding", "confidence": CANDIDATE_FLOOR / 2}]
    dispatcher = CollectingDispatcher()
    await ActionClarify().run(dispatcher, tracker("nlu_fallback", ranking), {})
    assert custom(dispatcher)["topic"] == "out_of_scope"


async def test_unsure_but_possibly_a_risk_puts_urgent_help_first():
    ranking = [{"name": "nlu_fallback", "confidence": 0.25}, {"name": "crisis", "confidence": 0.2}, {"name": "behaviour_and_sen", "confidence": 0.19}]
    dispatcher = CollectingDispatcher()
    await ActionClarify().run(dispatcher, tracker("nlu_fallback", ranking), {})
    message = dispatcher.messages[0]
    assert message["text"].startswith("If you are worried that someone is in danger right now, call 999")
    assert message["buttons"][0] == {"title": "Urgent help", "payload": "/crisis"}
    assert custom(dispatcher)["topic"] == "behaviour_and_sen"


async def test_unsure_and_nothing_likely_but_possibly_a_risk_still_puts_urgent_help_first():
    ranking = [{"name": "nlu_fallback", "confidence": 0.25}, {"name": "crisis", "confidence": 0.2}, {"name": "out_of_scope", "confidence": 0.19}]
    dispatcher = CollectingDispatcher()
    await ActionClarify().run(dispatcher, tracker("nlu_fallback", ranking), {})
    assert dispatcher.messages[0]["text"].startswith("If you are worried")
    assert dispatcher.messages[0]["buttons"][0]["payload"] == "/crisis"
    assert custom(dispatcher)["topic"] == "out_of_scope"


async def test_out_of_scope_lists_where_to_go():
    dispatcher = CollectingDispatcher()
    await ActionOutOfScope().run(dispatcher, tracker("out_of_scope"), {})
    text = dispatcher.messages[0]["text"]
    assert "Local Offer" in text and "SENDIASS" in text and "IPSEA" in text
    assert any(source["url"] == "https://www.ipsea.org.uk" for source in custom(dispatcher)["sources"])


def test_reply_topic_mirrors_the_actions():
    answerable = set(KB.answerable_topics)
    assert reply_topic({"intent": {"name": "funding"}}, answerable) == "funding"
    parse = {"intent": {"name": "nlu_fallback"}, "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.25}, {"name": "out_of_scope", "confidence": 0.2}, {"name": "funding", "confidence": 0.19}]}
    assert reply_topic(parse, answerable) == "out_of_scope"
    assert triage(parse["intent_ranking"], answerable).kind == "out_of_scope"
