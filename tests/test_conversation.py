"""Conversations through the real trained model and the real action server."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import custom_of, text_of, topic_of

HERE = Path(__file__).parent


@pytest.mark.parametrize(
    "message, topic",
    [
        ("hello", "greet"),
        ("good evening", "greet"),
        ("thanks so much", "thanks"),
        ("bye for now", "goodbye"),
        ("am i talking to a real person?", "bot_challenge"),
        ("what can you do", "help"),
    ],
)
async def test_conversation_topics(conversation, message, topic):
    reply = await conversation.say(message)
    assert topic_of(reply) == topic
    assert text_of(reply).strip()


async def test_help_offers_buttons_for_the_main_things(conversation):
    reply = await conversation.say("help")
    payloads = [button["payload"] for message in reply for button in message.get("buttons") or []]
    assert "/what_is_sen_support" in payloads
    assert "/senco_contact" in payloads
    assert "/plan_status" in payloads


async def test_knowledge_answer_carries_sources_and_review_date(conversation):
    reply = await conversation.say("what does the senco actually do at school")
    custom = custom_of(reply)
    assert custom["topic"] == "senco_role"
    assert custom["sources"] and all(source["url"].startswith("https://") for source in custom["sources"])
    assert any(source["ref"].startswith("CoP") or "Regulations" in source["ref"] for source in custom["sources"])
    assert len(custom["reviewed"]) == 10


async def test_tell_me_more_gives_the_detail_of_the_last_topic(conversation):
    from bot.knowledge import load_knowledge_base

    first = await conversation.say("how often should school meet with me about his sen support")
    assert topic_of(first) == "review_frequency"
    more = await conversation.say("tell me more")
    assert topic_of(more) == "review_frequency"
    assert text_of(more).strip() == load_knowledge_base().get("review_frequency").more


async def test_button_payload_answers_that_topic(conversation):
    reply = await conversation.say("/graduated_approach")
    assert topic_of(reply) == "graduated_approach"


async def test_out_of_scope_says_so_and_signposts(conversation):
    reply = await conversation.say("how do i apply for a bus pass for school transport")
    assert topic_of(reply) == "out_of_scope"
    text = text_of(reply)
    assert "can't help" in text
    assert "SENDIASS" in text and "IPSEA" in text


async def test_gibberish_is_never_a_dead_end(conversation):
    reply = await conversation.say("zxqv blorp fnarg")
    assert topic_of(reply)
    assert any(message.get("buttons") for message in reply)


def _lines(name: str) -> list[str]:
    return [line.strip() for line in (HERE / name).read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("message", _lines("crisis_phrasings.txt"))
async def test_every_crisis_phrasing_gets_urgent_help_first(conversation, message):
    reply = await conversation.say(message)
    assert topic_of(reply) == "crisis", message
    assert "999" in reply[0]["text"] and "0800 1111" in reply[0]["text"] and "116 123" in reply[0]["text"]


@pytest.mark.parametrize("message", _lines("not_crisis_phrasings.txt"))
async def test_worries_that_are_not_a_risk_do_not_get_the_crisis_reply(conversation, message):
    reply = await conversation.say(message)
    assert topic_of(reply) != "crisis", message


async def test_crisis_comes_first_even_mid_conversation(conversation):
    await conversation.say("what is sen support")
    reply = await conversation.say("my daughter has been cutting herself. also how often are reviews?")
    assert topic_of(reply) == "crisis"


async def test_a_typed_yes_after_the_senco_reply_takes_up_the_message_offer(conversation):
    await conversation.say("how do i contact the senco")
    reply = await conversation.say("yes please")
    assert topic_of(reply) == "leave_message"
