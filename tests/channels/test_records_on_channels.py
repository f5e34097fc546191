"""The records flow on Telegram and WhatsApp, end to end (the web widget and REST have theirs).

A parent on each channel asks about the plan before linking, types a link code from school,
then asks about the plan and the next review, choosing a child with the channel's own
buttons (a Telegram inline keyboard, WhatsApp reply buttons). Then: the code never left the
assistant in clear (the stand-ins record only what the assistant SENT, so any code they hold
was leaked; the parent's own incoming message is POSTed by the test and never recorded), it
never reached the Rasa server's log or tracker store, and a Telegram user's link is not
borrowed by a WhatsApp number or a REST sender with the same name.

Uses the session's channel server and the records database it reads ($SEN_DATA_DIR/records.db).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from dataclasses import dataclass

import pytest

from bot.channels.telegram import SECRET_HEADER
from bot.channels.whatsapp import SIGNATURE_HEADER
from tests.channels.conftest import (
    TELEGRAM_SECRET,
    WHATSAPP_APP_SECRET,
    WHATSAPP_PHONE_NUMBER_ID,
    last_topic,
    post,
    server_log,
)
from tests.channels.standins import telegram_callback, telegram_message, whatsapp_message, whatsapp_signature, whatsapp_webhook
from tests.conftest import post_json, text_of

pytestmark = pytest.mark.server

TELEGRAM_PARENT = 777001
WHATSAPP_PARENT = "447700900777"
CHILDREN = {"Sam", "Maya"}
PLAN_QUESTION = "what stage is my son's plan at"
REVIEW_QUESTION = "when is the next review"


# --- The demo family, and a fresh code for each parent ------------------------------------


@dataclass(frozen=True)
class Family:
    parent_id: int
    reviews: dict[str, dt.datetime]  # first name -> next scheduled review


@pytest.fixture(scope="module")
def family(channel_server) -> Family:
    """The demo school and family (bot.backend.demo) in the records database the channel server's action server reads."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from bot.backend.db import make_engine
    from bot.backend.demo import load_demo
    from bot.backend.migrate import upgrade_to_head
    from bot.backend.models import Child, Review
    from bot.backend.staff import StaffService

    engine = make_engine()
    try:
        upgrade_to_head(engine)
        demo = load_demo(StaffService(engine))
        now = dt.datetime.now(dt.timezone.utc)
        reviews: dict[str, dt.datetime] = {}
        with Session(engine) as session:
            rows = session.execute(
                select(Child.first_name, Review.scheduled_at)
                .join(Review, Review.child_id == Child.id)
                .where(Child.id.in_(demo.child_ids), Review.status == "scheduled", Review.scheduled_at >= now)
                .order_by(Review.scheduled_at.desc())
            ).all()
        for name, when in rows:  # latest first, so the earliest upcoming one wins
            reviews[name] = when
        assert set(reviews) == CHILDREN, reviews
        return Family(demo.parent_id, reviews)
    finally:
        engine.dispose()


def fresh_code(family: Family) -> str:
    """A new one-time link code for the demo parent, as a member of staff would issue it."""
    from bot.backend.db import make_engine
    from bot.backend.staff import StaffService

    engine = make_engine()
    try:
        code = StaffService(engine).issue_code(family.parent_id).code
    finally:
        engine.dispose()
    assert re.fullmatch(r"[A-Z0-9]{5}-[A-Z0-9]{5}", code), code
    return code


def forms(code: str) -> list[str]:
    """The code as it could appear in clear: with a dash, a space or neither, either case."""
    variants = (code, code.replace("-", ""), code.replace("-", " "))
    return [form for variant in variants for form in (variant, variant.lower())]


def expected_review(name: str, when: dt.datetime) -> str:
    from bot.actions.records_actions import local_date_time

    return f"{name}'s next review is on {local_date_time(when)}"


def names_in(text: str) -> set[str]:
    return {name for name in CHILDREN if re.search(rf"\b{name}\b", text)}


# --- Telegram -----------------------------------------------------------------------------


def telegram_send(server, update: dict) -> None:
    status, body = post(server.base_url + "/webhooks/telegram/webhook", json.dumps(update).encode("utf-8"), {SECRET_HEADER: TELEGRAM_SECRET})
    assert status == 200, body


def telegram_visible(message: dict) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", message["text"]))


def telegram_buttons(message: dict) -> dict[str, str]:
    """title -> callback data of the message's inline keyboard."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return {button["text"]: button["callback_data"] for row in rows for button in row}


def telegram_turn(server, bot_api, user: int, update: dict) -> list[dict]:
    mark = bot_api.mark()
    telegram_send(server, update)
    return bot_api.sent_to(user, after=mark)


@dataclass(frozen=True)
class Linked:
    user: int | str
    code: str


@pytest.fixture(scope="module")
def telegram_parent(channel_server, bot_api, family) -> Linked:
    """Steps 1 and 2 on Telegram: asked before linking (no records), then linked with a code."""
    user, sender = TELEGRAM_PARENT, f"telegram:{TELEGRAM_PARENT}"
    before = telegram_turn(channel_server, bot_api, user, telegram_message(user, PLAN_QUESTION))
    shown = "\n".join(telegram_visible(message) for message in before)
    assert "link code" in shown, shown
    assert names_in(shown) == set(), shown
    assert all(not set(telegram_buttons(message)) & CHILDREN for message in before)
    assert last_topic(channel_server, sender) == "plan_status"

    code = fresh_code(family)
    linked = telegram_turn(channel_server, bot_api, user, telegram_message(user, f"hi, the school gave me this code {code}"))
    assert "now linked" in "\n".join(telegram_visible(message) for message in linked)
    assert last_topic(channel_server, sender) == "verify"
    return Linked(user, code)


def test_telegram_parent_chooses_each_child_with_inline_buttons(channel_server, bot_api, family, telegram_parent):
    user, sender = telegram_parent.user, f"telegram:{telegram_parent.user}"

    # The plan: which child? An inline keyboard of the children; pressing Sam answers for Sam only.
    choice = telegram_turn(channel_server, bot_api, user, telegram_message(user, PLAN_QUESTION))
    children = telegram_buttons(choice[-1])
    assert set(children) == CHILDREN, choice
    assert all(len(data.encode("utf-8")) <= 64 for data in children.values())
    assert last_topic(channel_server, sender) == "plan_status"
    press = telegram_callback(user, children["Sam"])
    plan = telegram_turn(channel_server, bot_api, user, press)
    answered = bot_api.find(lambda c: c.method == "answerCallbackQuery" and c.params.get("callback_query_id") == press["callback_query"]["id"])
    assert len(answered) == 1, "the button press must be answered once"
    shown = "\n".join(telegram_visible(message) for message in plan)
    assert "Sam's SEN support plan is active" in shown, shown
    assert names_in(shown) == {"Sam"}, shown
    assert last_topic(channel_server, sender) == "plan_status"

    # The next review: choose the other child and get her date.
    choice = telegram_turn(channel_server, bot_api, user, telegram_message(user, REVIEW_QUESTION))
    children = telegram_buttons(choice[-1])
    assert set(children) == CHILDREN, choice
    review = telegram_turn(channel_server, bot_api, user, telegram_callback(user, children["Maya"]))
    shown = "\n".join(telegram_visible(message) for message in review)
    assert expected_review("Maya", family.reviews["Maya"]) in shown, shown
    assert names_in(shown) == {"Maya"}, shown
    assert last_topic(channel_server, sender) == "next_review_date"


def test_a_linked_telegram_user_id_is_not_linked_on_whatsapp_or_rest(channel_server, graph_api, telegram_parent):
    """The link belongs to (telegram, 777001): WhatsApp number 777001 and REST sender telegram:777001 are strangers."""
    wa_id = str(telegram_parent.user)
    mark = graph_api.mark()
    status, body = whatsapp_send(channel_server, whatsapp_message(wa_id, "text", PLAN_QUESTION))
    assert status == 200, body
    shown = whatsapp_all_shown(graph_api.sent_to(wa_id, after=mark))
    assert "link code" in shown and names_in(shown) == set(), shown
    assert last_topic(channel_server, f"whatsapp:{wa_id}") == "plan_status"

    status, reply = post_json(channel_server.webhook, {"sender": f"telegram:{telegram_parent.user}", "message": PLAN_QUESTION})
    assert status == 200, reply
    assert reply and reply[0]["recipient_id"] == f"rest:telegram:{telegram_parent.user}"
    shown = text_of(reply)
    assert "link code" in shown and names_in(shown) == set(), shown
    assert not any(button["title"] in CHILDREN for message in reply for button in message.get("buttons") or [])


# --- WhatsApp -----------------------------------------------------------------------------


def whatsapp_send(server, message: dict) -> tuple[int, str]:
    body = json.dumps(whatsapp_webhook(WHATSAPP_PHONE_NUMBER_ID, [message])).encode("utf-8")
    return post(server.base_url + "/webhooks/whatsapp/webhook", body, {SIGNATURE_HEADER: whatsapp_signature(WHATSAPP_APP_SECRET, body)})


def whatsapp_shown(message: dict) -> str:
    return message["text"]["body"] if message["type"] == "text" else message["interactive"]["body"]["text"]


def whatsapp_all_shown(messages: list[dict]) -> str:
    return "\n".join(whatsapp_shown(message) for message in messages)


def whatsapp_buttons(message: dict) -> dict[str, str]:
    """title -> id of the message's reply buttons."""
    assert message["type"] == "interactive" and message["interactive"]["type"] == "button", message
    return {button["reply"]["title"]: button["reply"]["id"] for button in message["interactive"]["action"]["buttons"]}


def whatsapp_turn(server, graph_api, wa_id: str, kind: str, content) -> list[dict]:
    mark = graph_api.mark()
    status, body = whatsapp_send(server, whatsapp_message(wa_id, kind, content))
    assert status == 200, body
    return graph_api.sent_to(wa_id, after=mark)


@pytest.fixture(scope="module")
def whatsapp_parent(channel_server, graph_api, family) -> Linked:
    """Steps 1 and 2 on WhatsApp: asked before linking (no records), then linked with a code."""
    wa_id, sender = WHATSAPP_PARENT, f"whatsapp:{WHATSAPP_PARENT}"
    before = whatsapp_turn(channel_server, graph_api, wa_id, "text", PLAN_QUESTION)
    shown = whatsapp_all_shown(before)
    assert "link code" in shown, shown
    assert names_in(shown) == set(), shown
    assert last_topic(channel_server, sender) == "plan_status"

    code = fresh_code(family)
    linked = whatsapp_turn(channel_server, graph_api, wa_id, "text", f"my code is {code.lower().replace('-', ' ')}")
    assert "now linked" in whatsapp_all_shown(linked)
    assert last_topic(channel_server, sender) == "verify"
    return Linked(wa_id, code)


def test_whatsapp_parent_chooses_each_child_with_reply_buttons(channel_server, graph_api, family, whatsapp_parent):
    wa_id, sender = whatsapp_parent.user, f"whatsapp:{whatsapp_parent.user}"

    choice = whatsapp_turn(channel_server, graph_api, wa_id, "text", PLAN_QUESTION)
    children = whatsapp_buttons(choice[-1])
    assert set(children) == CHILDREN, choice
    assert last_topic(channel_server, sender) == "plan_status"
    plan = whatsapp_all_shown(whatsapp_turn(channel_server, graph_api, wa_id, "button_reply", (children["Maya"], "Maya")))
    assert "Maya's SEN support plan is being reviewed" in plan, plan
    assert names_in(plan) == {"Maya"}, plan
    assert last_topic(channel_server, sender) == "plan_status"

    choice = whatsapp_turn(channel_server, graph_api, wa_id, "text", REVIEW_QUESTION)
    children = whatsapp_buttons(choice[-1])
    assert set(children) == CHILDREN, choice
    review = whatsapp_all_shown(whatsapp_turn(channel_server, graph_api, wa_id, "button_reply", (children["Sam"], "Sam")))
    assert expected_review("Sam", family.reviews["Sam"]) in review, review
    assert names_in(review) == {"Sam"}, review
    assert last_topic(channel_server, sender) == "next_review_date"


# --- The codes, afterwards ----------------------------------------------------------------


def test_the_link_codes_were_never_sent_logged_or_stored_in_clear(channel_server, bot_api, graph_api, session_dir,
                                                                   telegram_parent, whatsapp_parent):
    sent_telegram = bot_api.find(lambda c: c.method == "sendMessage" and int(c.params.get("chat_id", 0)) == telegram_parent.user)
    sent_whatsapp = graph_api.find(lambda c: c.params.get("to") == whatsapp_parent.user)
    assert len(sent_telegram) >= 2 and len(sent_whatsapp) >= 2, "the parents' conversations were recorded"
    recorded = "\n".join(json.dumps(call.params, ensure_ascii=False) for call in bot_api.find(lambda c: True) + graph_api.find(lambda c: True))
    log = server_log(channel_server)
    assert log.exists(), f"expected the Rasa server's log at {log}"
    server_text = log.read_text(encoding="utf-8", errors="replace")
    other_logs = {path.name: path.read_text(encoding="utf-8", errors="replace") for path in session_dir.glob("*.log")}
    tracker_bytes = channel_server.tracker_db.read_bytes()
    for parent in (telegram_parent, whatsapp_parent):
        for form in forms(parent.code):
            assert form not in recorded, f"the assistant sent the link code ({form}) to Telegram or WhatsApp"
            assert form not in server_text, f"the link code ({form}) is in the Rasa server's log"
            for name, text in other_logs.items():
                assert form not in text, f"the link code ({form}) is in {name}"
            assert form.encode() not in tracker_bytes, f"the link code ({form}) is in the tracker store"
