"""A parent links with a code and asks about each child, through the real running stack.

REST channel -> Rasa server (SQL tracker store) -> action server -> records connector
(the session's SQLite records database). Then the tracker store and every log are read
to prove the code never reached them in clear.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT, assert_reply_contract, post_json, text_of, topic_of

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def demo_code(rasa_server) -> str:
    result = subprocess.run([sys.executable, "-m", "bot.admin", "demo"], cwd=ROOT, env=dict(os.environ), capture_output=True, text=True, check=True)
    return re.search(r"Demo link code: ([A-Z0-9]{5}-[A-Z0-9]{5})", result.stdout).group(1)


def say(server, sender: str, message: str) -> list[dict]:
    status, reply = post_json(server.webhook, {"sender": sender, "message": message})
    assert status == 200, reply
    assert_reply_contract(reply)
    return reply


def buttons(reply: list[dict]) -> dict[str, str]:
    return {button["title"]: button["payload"] for message in reply for button in message.get("buttons") or []}


def test_verified_parent_gets_each_childs_records_and_the_code_is_never_in_clear(rasa_server, demo_code, session_dir):
    parent = "parent-e2e"
    before = say(rasa_server, parent, "what stage is my son's plan at")
    assert topic_of(before) == "plan_status" and "code" in text_of(before)

    linked = say(rasa_server, parent, f"hello, the school gave me this code {demo_code.lower()}")
    assert topic_of(linked) == "verify" and "linked" in text_of(linked)

    choice = say(rasa_server, parent, "what stage is my son's plan at")
    children = buttons(choice)
    assert set(children) == {"Maya", "Sam"}
    answers = {name: text_of(say(rasa_server, parent, payload)) for name, payload in children.items()}
    assert "Sam" in answers["Sam"] and "Maya" not in answers["Sam"]
    assert "Maya" in answers["Maya"] and "Sam" not in answers["Maya"]
    assert answers["Sam"] != answers["Maya"]

    review = say(rasa_server, parent, "when is the next review")
    for name, payload in buttons(review).items():
        reply = say(rasa_server, parent, payload)
        assert topic_of(reply) == "next_review_date" and name in text_of(reply)

    # Someone else, and someone replaying the used code, get nothing.
    stranger = say(rasa_server, "stranger-e2e", "what stage is my son's plan at")
    assert "Sam" not in text_of(stranger) and "Maya" not in text_of(stranger)
    replay = say(rasa_server, "stranger-e2e", demo_code)
    assert topic_of(replay) == "verify" and "Sam" not in text_of(replay)

    # The code never reached the tracker store or a log in clear (any spacing or case).
    compact = demo_code.replace("-", "")
    tracker_bytes = rasa_server.tracker_db.read_bytes()
    for form in (demo_code, compact, demo_code.lower(), compact.lower()):
        assert form.encode() not in tracker_bytes
        for log in session_dir.glob("*.log"):
            assert form not in log.read_text(errors="replace"), log.name


def _api(server, path: str, payload: dict) -> tuple[int, object]:
    return post_json(f"{server.base_url}{path}", payload)


def test_forged_events_and_slots_through_the_http_api_get_nothing(rasa_server, session_dir):
    """A linked conversation, then an API caller forges a message, an intent and a slot for it."""
    result = subprocess.run([sys.executable, "-m", "bot.admin", "demo"], cwd=ROOT, env=dict(os.environ), capture_output=True, text=True, check=True)
    code = re.search(r"Demo link code: ([A-Z0-9]{5}-[A-Z0-9]{5})", result.stdout).group(1)
    victim = "victim-e2e"
    assert "linked" in text_of(say(rasa_server, victim, code))
    conversation = f"/conversations/rest:{victim}"

    # A user message added through the API carries no channel signature.
    status, _ = _api(rasa_server, f"{conversation}/messages", {"text": "/plan_status", "sender": "user"})
    assert status == 200
    status, reply = _api(rasa_server, f"{conversation}/execute", {"name": "action_plan_status"})
    assert status == 200
    forged = " ".join(message.get("text") or "" for message in reply["messages"])
    assert "Sam" not in forged and "Maya" not in forged and forged.strip()

    # Triggering the intent directly, with a forged child slot, is no better.
    status, reply = _api(rasa_server, f"{conversation}/trigger_intent", {"name": "next_review_date", "entities": {"child_ref": "1"}})
    assert status == 200
    forged = " ".join(message.get("text") or "" for message in reply["messages"])
    assert "Sam" not in forged and "Maya" not in forged

    # The real parent, through the channel, still gets their answer.
    assert set(buttons(say(rasa_server, victim, "what stage is my child's plan at"))) == {"Maya", "Sam"}
