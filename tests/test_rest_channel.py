"""The running assistant over HTTP, as a parent's client (or an attacker) would reach it."""

from __future__ import annotations

import pytest

from tests.conftest import assert_reply_contract, post_json, topic_of

pytestmark = pytest.mark.server


def test_hello_gets_a_greeting_with_its_topic(rasa_server):
    status, reply = post_json(rasa_server.webhook, {"sender": "a", "message": "hello"})
    assert status == 200
    assert topic_of(reply) == "greet"
    assert "Hello" in reply[0]["text"]


@pytest.mark.parametrize(
    "raw, status",
    [
        (b"{not json", 400),
        (b"", 400),
        (b"[1, 2, 3]", 400),
        (b'"just a string"', 400),
        (b'{"message": "hello"}', 400),
        (b'{"sender": 42, "message": "hello"}', 400),
        (b'{"sender": "", "message": "hello"}', 400),
        (b'{"sender": "a", "message": {"nested": true}}', 400),
        (b'{"sender": "' + b"x" * 500 + b'", "message": "hi"}', 400),
        (b'{"sender": "a", "message": "' + b"a" * 70_000 + b'"}', 413),
    ],
)
def test_malformed_requests_get_a_4xx_with_a_plain_message(rasa_server, raw, status):
    code, reply = post_json(rasa_server.webhook, None, raw=raw)
    assert code == status
    assert isinstance(reply, dict) and reply["error"]
    assert "Traceback" not in str(reply)


@pytest.mark.parametrize(
    "message",
    [
        "",
        "    \n\t  ",
        None,
        "what is sen support " * 500,  # 10,000 characters
        "🙂🙂🙂👍",
        "مرحبا، ابني يحتاج مساعدة في المدرسة",  # right-to-left text
        "שלום, האם יש עזרה לילד שלי?",
        "\u202eevil override\u202c what is a senco",
        "<script>alert(1)</script>",
        "'; DROP TABLE events; --",
        "\x00\x01\x02",
    ],
)
def test_odd_messages_get_a_calm_reply(rasa_server, message):
    status, reply = post_json(rasa_server.webhook, {"sender": "odd", "message": message})
    assert status == 200
    assert reply and all(isinstance(item, dict) for item in reply)
    assert_reply_contract(reply)
    assert any(item.get("text") for item in reply)
    assert "Traceback" not in str(reply)


def test_long_message_naming_a_risk_gets_urgent_help_even_past_the_cut(rasa_server):
    message = "I have lots of questions about his plan. " * 200 + "He said he wants to kill himself."
    status, reply = post_json(rasa_server.webhook, {"sender": "long-risk", "message": message})
    assert status == 200
    assert topic_of(reply) == "crisis"


def test_conversation_is_kept_in_the_sqlite_tracker_store(rasa_server):
    import sqlite3

    post_json(rasa_server.webhook, {"sender": "kept", "message": "what does a senco do"})
    with sqlite3.connect(rasa_server.tracker_db) as db:
        rows = db.execute("select count(*) from events where sender_id = ?", ("rest:kept",)).fetchone()[0]
    assert rows > 0


def test_rest_sender_is_namespaced_so_it_cannot_pose_as_another_channel(rasa_server):
    status, reply = post_json(rasa_server.webhook, {"sender": "telegram:12345", "message": "hi"})
    assert status == 200
    assert reply[0]["recipient_id"] == "rest:telegram:12345"
