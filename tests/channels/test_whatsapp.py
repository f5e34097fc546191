"""The WhatsApp channel, end to end: real-shaped (and signed) webhook calls POSTed to the running
assistant, and what it sent, as recorded by the local stand-in of Meta's Graph API."""

from __future__ import annotations

import json
import logging
import time
import urllib.parse
import uuid

import pytest

from bot.channels.outbound import ExpiringStore, PayloadTokens
from bot.channels.whatsapp import (
    BUTTONS_PROMPT,
    SIGNATURE_HEADER,
    GraphClient,
    WhatsAppConfig,
    WhatsAppInput,
    WhatsAppOutput,
    parse_webhook,
    valid_signature,
)
from bot.knowledge import load_knowledge_base
from bot.security.identity import verified_identity
from tests.channels.conftest import (
    SECRETS,
    WHATSAPP_ACCESS_TOKEN,
    WHATSAPP_APP_SECRET,
    WHATSAPP_PHONE_NUMBER_ID,
    WHATSAPP_VERIFY_TOKEN,
    get,
    last_topic,
    post,
    server_log,
    tracker,
    unique_number,
    user_events,
)
from tests.channels.standins import whatsapp_message, whatsapp_signature, whatsapp_webhook
from tests.conftest import post_json, require_service

pytestmark = pytest.mark.server

WEBHOOK = "/webhooks/whatsapp/webhook"
KB = load_knowledge_base()


def number() -> str:
    """A made-up UK mobile number in Ofcom's range for drama (07700 900000-900999)."""
    return f"447700{900000 + unique_number(0) % 1000:06d}"


def send(server, payload=None, secret: str = WHATSAPP_APP_SECRET, signature: str | None = None, raw: bytes | None = None,
         unsigned: bool = False) -> tuple[int, str]:
    body = raw if raw is not None else json.dumps(payload).encode("utf-8")
    headers = {} if unsigned else {SIGNATURE_HEADER: signature if signature is not None else whatsapp_signature(secret, body)}
    return post(server.base_url + WEBHOOK, body, headers)


def say(server, wa_id: str, kind: str = "text", content=None, message_id: str | None = None) -> tuple[int, str]:
    message = whatsapp_message(wa_id, kind, content, message_id)
    return send(server, whatsapp_webhook(WHATSAPP_PHONE_NUMBER_ID, [message]))


def shown(message: dict) -> str:
    """What the parent reads of one sent message."""
    if message["type"] == "text":
        return message["text"]["body"]
    return message["interactive"]["body"]["text"]


def all_shown(messages: list[dict]) -> str:
    return "\n".join(shown(message) for message in messages)


def reply_buttons(message: dict) -> list[dict]:
    return [button["reply"] for button in message["interactive"]["action"]["buttons"]]


def list_rows(message: dict) -> list[dict]:
    return [row for section in message["interactive"]["action"]["sections"] for row in section["rows"]]


# --- Verification handshake ---------------------------------------------------------------


def _handshake(server, mode="subscribe", token=WHATSAPP_VERIFY_TOKEN, challenge="1158201444") -> tuple[int, str]:
    query = urllib.parse.urlencode({key: value for key, value in
                                    {"hub.mode": mode, "hub.verify_token": token, "hub.challenge": challenge}.items() if value is not None})
    return get(f"{server.base_url}{WEBHOOK}?{query}")


def test_handshake_with_the_right_verify_token_echoes_the_challenge(channel_server):
    assert _handshake(channel_server) == (200, "1158201444")


@pytest.mark.parametrize(
    "changes",
    [{"token": "wrong"}, {"token": None}, {"token": WHATSAPP_VERIFY_TOKEN + "x"}, {"mode": "unsubscribe"}, {"mode": None}, {"challenge": None}],
    ids=["wrong-token", "no-token", "longer-token", "wrong-mode", "no-mode", "no-challenge"],
)
def test_handshake_with_a_wrong_token_or_mode_is_refused(channel_server, changes):
    status, body = _handshake(channel_server, **changes)
    assert status == 403
    assert "1158201444" not in body


# --- Conversations ------------------------------------------------------------------------


def test_greeting_gets_reply_buttons_with_short_titles_and_payload_ids(channel_server, graph_api):
    wa_id = number()
    mark = graph_api.mark()
    status, _ = say(channel_server, wa_id, "text", "hello")
    assert status == 200
    sent = graph_api.sent_to(wa_id, after=mark)
    assert len(sent) == 1
    message = sent[0]
    assert message["messaging_product"] == "whatsapp" and message["to"] == wa_id
    assert message["type"] == "interactive" and message["interactive"]["type"] == "button"
    assert "Hello" in shown(message)
    buttons = reply_buttons(message)
    assert [button["id"] for button in buttons] == ["/what_is_sen_support", "/senco_role", "/help"]
    assert all(1 <= len(button["title"]) <= 20 for button in buttons)
    assert len({button["title"] for button in buttons}) == 3
    assert last_topic(channel_server, f"whatsapp:{wa_id}") == "greet"


def test_knowledge_answer_carries_its_sources_as_plain_urls(channel_server, graph_api):
    article = KB.get("senco_role")
    wa_id = number()
    mark = graph_api.mark()
    say(channel_server, wa_id, "text", "what does the senco actually do at school")
    sent = graph_api.sent_to(wa_id, after=mark)
    text = all_shown(sent)
    assert article.short in text
    assert "Sources:" in text
    for source in article.sources:
        assert source.url in text
    assert [button["id"] for button in reply_buttons(sent[-1])] == ["/tell_me_more", "/help"]
    assert all(message["text"]["preview_url"] is False for message in sent if message["type"] == "text")
    assert last_topic(channel_server, f"whatsapp:{wa_id}") == "senco_role"


def test_button_reply_gives_that_topics_answer(channel_server, graph_api):
    article = KB.get("graduated_approach")
    wa_id = number()
    mark = graph_api.mark()
    say(channel_server, wa_id, "button_reply", ("/graduated_approach", "Assess, plan, do, review"))
    assert article.short in all_shown(graph_api.sent_to(wa_id, after=mark))
    assert last_topic(channel_server, f"whatsapp:{wa_id}") == "graduated_approach"


def test_help_has_more_than_three_options_so_it_is_a_list(channel_server, graph_api):
    wa_id = number()
    mark = graph_api.mark()
    say(channel_server, wa_id, "text", "help")
    sent = graph_api.sent_to(wa_id, after=mark)
    message = sent[-1]
    assert message["interactive"]["type"] == "list"
    assert len(message["interactive"]["action"]["button"]) <= 20
    rows = list_rows(message)
    assert 4 <= len(rows) <= 10
    assert "/graduated_approach" in [row["id"] for row in rows]
    assert all(len(row["title"]) <= 24 and len(row.get("description", "")) <= 72 for row in rows)


def test_list_reply_gives_that_topics_answer(channel_server, graph_api):
    article = KB.get("independent_advice")
    wa_id = number()
    mark = graph_api.mark()
    say(channel_server, wa_id, "list_reply", ("/independent_advice", "Free independent advice"))
    assert article.short in all_shown(graph_api.sent_to(wa_id, after=mark))


def test_typed_tell_me_more_gives_the_detail_with_long_text_before_the_buttons(channel_server, graph_api):
    article = KB.get("what_is_sen_support")
    assert len(article.more) > 1024, "this test needs an answer too long for an interactive message's body"
    wa_id = number()
    mark = graph_api.mark()
    say(channel_server, wa_id, "text", "what is sen support")
    graph_api.sent_to(wa_id, after=mark)
    mark = graph_api.mark()
    say(channel_server, wa_id, "text", "tell me more")
    sent = graph_api.sent_to(wa_id, after=mark, count=2)
    assert sent[0]["type"] == "text" and article.more in sent[0]["text"]["body"]
    assert sent[0]["text"]["preview_url"] is False
    assert sent[-1]["type"] == "interactive" and shown(sent[-1]) == BUTTONS_PROMPT
    assert [button["id"] for button in reply_buttons(sent[-1])] == ["/help"]
    assert last_topic(channel_server, f"whatsapp:{wa_id}") == "what_is_sen_support"


@pytest.mark.parametrize("kind", ["image", "audio", "sticker", "document", "video", "location"])
def test_media_gets_a_calm_text_reply_and_nothing_reaches_the_assistant(channel_server, graph_api, kind):
    wa_id = number()
    mark = graph_api.mark()
    assert say(channel_server, wa_id, kind)[0] == 200
    sent = graph_api.sent_to(wa_id, after=mark)
    assert len(sent) == 1 and sent[0]["type"] == "text"
    assert "I can only read text messages" in sent[0]["text"]["body"]
    assert user_events(channel_server, f"whatsapp:{wa_id}") == []


def test_reactions_are_ignored(channel_server, graph_api):
    wa_id = number()
    mark = graph_api.mark()
    assert say(channel_server, wa_id, "reaction")[0] == 200
    time.sleep(0.5)
    assert graph_api.find(lambda c: c.params.get("to") == wa_id, after=mark) == []


def test_status_callbacks_are_ignored(channel_server, graph_api):
    wa_id = number()
    statuses = [{"id": f"wamid.out{kind}", "status": kind, "timestamp": str(int(time.time())), "recipient_id": wa_id,
                 "conversation": {"id": "c1", "origin": {"type": "service"}}, "pricing": {"billable": False, "category": "service"}}
                for kind in ("sent", "delivered", "read")]
    mark = graph_api.mark()
    assert send(channel_server, whatsapp_webhook(WHATSAPP_PHONE_NUMBER_ID, statuses=statuses))[0] == 200
    time.sleep(0.5)
    assert graph_api.find(lambda c: c.params.get("to") == wa_id, after=mark) == []
    assert user_events(channel_server, f"whatsapp:{wa_id}") == []


def test_a_retried_webhook_is_answered_once(channel_server, graph_api):
    wa_id = number()
    payload = whatsapp_webhook(WHATSAPP_PHONE_NUMBER_ID, [whatsapp_message(wa_id, "text", "hello", message_id=f"wamid.retry{uuid.uuid4().hex}")])
    mark = graph_api.mark()
    assert send(channel_server, payload)[0] == 200
    assert send(channel_server, payload)[0] == 200
    first = graph_api.sent_to(wa_id, after=mark)
    assert send(channel_server, payload)[0] == 200  # a later retry, after the answer went out
    time.sleep(1.5)
    assert len(graph_api.find(lambda c: c.params.get("to") == wa_id, after=mark)) == len(first) == 1
    assert len(user_events(channel_server, f"whatsapp:{wa_id}")) == 1


def test_one_call_with_messages_from_two_parents_answers_both(channel_server, graph_api):
    first, second = number(), number()
    mark = graph_api.mark()
    payload = whatsapp_webhook(WHATSAPP_PHONE_NUMBER_ID, [whatsapp_message(first, "text", "hello"), whatsapp_message(second, "text", "hello")])
    assert send(channel_server, payload)[0] == 200
    assert "Hello" in all_shown(graph_api.sent_to(first, after=mark))
    assert "Hello" in all_shown(graph_api.sent_to(second, after=mark))


def test_messages_to_another_phone_number_id_are_ignored(channel_server, graph_api):
    wa_id = number()
    mark = graph_api.mark()
    assert send(channel_server, whatsapp_webhook("999888777", [whatsapp_message(wa_id, "text", "hello")]))[0] == 200
    time.sleep(0.5)
    assert graph_api.find(lambda c: c.params.get("to") == wa_id, after=mark) == []


# --- Refusals -----------------------------------------------------------------------------


@pytest.mark.parametrize("forgery", ["unsigned", "wrong-secret", "other-body", "sha1", "no-prefix", "empty", "truncated"])
def test_forged_or_unsigned_posts_are_refused_with_403_and_nothing_is_sent(channel_server, graph_api, forgery):
    wa_id = number()
    body = json.dumps(whatsapp_webhook(WHATSAPP_PHONE_NUMBER_ID, [whatsapp_message(wa_id, "text", "hello")])).encode()
    good = whatsapp_signature(WHATSAPP_APP_SECRET, body)
    signature = {
        "unsigned": None,
        "wrong-secret": whatsapp_signature("not-the-app-secret", body),
        "other-body": whatsapp_signature(WHATSAPP_APP_SECRET, body + b" "),
        "sha1": "sha1=" + good.split("=", 1)[1][:40],
        "no-prefix": good.split("=", 1)[1],
        "empty": "",
        "truncated": good[:-2],
    }[forgery]
    mark = graph_api.mark()
    status, reply = send(channel_server, raw=body, signature=signature, unsigned=signature is None)
    assert status == 403
    assert "Traceback" not in reply
    time.sleep(0.5)
    assert graph_api.find(lambda c: c.params.get("to") == wa_id, after=mark) == []
    assert user_events(channel_server, f"whatsapp:{wa_id}") == []


def test_signature_is_checked_before_the_body_is_parsed(channel_server):
    assert send(channel_server, raw=b"{not json", signature="sha256=" + "0" * 64)[0] == 403
    assert send(channel_server, raw=b"{not json", unsigned=True)[0] == 403
    assert send(channel_server, raw=b"{not json")[0] == 400
    assert send(channel_server, raw=b'{"object": "page"}')[0] == 200  # signed but not for us: acknowledged, ignored


# --- Identity -----------------------------------------------------------------------------


def test_whatsapp_number_and_rest_sender_with_that_name_are_different_conversations(channel_server, graph_api):
    wa_id = number()
    mark = graph_api.mark()
    say(channel_server, wa_id, "text", "hello")
    graph_api.sent_to(wa_id, after=mark)
    status, reply = post_json(channel_server.base_url + "/webhooks/rest/webhook", {"sender": f"whatsapp:{wa_id}", "message": "hi"})
    assert status == 200 and reply[0]["recipient_id"] == f"rest:whatsapp:{wa_id}"
    last_topic(channel_server, f"whatsapp:{wa_id}")  # the WhatsApp turn is saved
    events = user_events(channel_server, f"whatsapp:{wa_id}")
    assert [event["text"] for event in events] == ["hello"]
    claim = events[0]["metadata"]["sen_identity"]
    assert (claim["channel"], claim["user_id"]) == ("whatsapp", wa_id)
    identity = verified_identity(f"whatsapp:{wa_id}", tracker(channel_server, f"whatsapp:{wa_id}")["latest_message"])
    assert identity is not None and identity.user_id == wa_id
    assert verified_identity(f"whatsapp:{wa_id}", tracker(channel_server, f"rest:whatsapp:{wa_id}")["latest_message"]) is None


# --- Rendering, in process, against the stand-in ------------------------------------------


def _output(graph_api, wa_id: str) -> tuple[WhatsAppOutput, PayloadTokens]:
    config = WhatsAppConfig(WHATSAPP_ACCESS_TOKEN, WHATSAPP_PHONE_NUMBER_ID, WHATSAPP_APP_SECRET, WHATSAPP_VERIFY_TOKEN, graph_api.base_url)
    tokens = PayloadTokens(ExpiringStore("whatsapp-test"), 200)
    return WhatsAppOutput(GraphClient(config), tokens, wa_id=wa_id), tokens


async def test_long_text_is_split_at_4096_characters_on_boundaries(graph_api):
    wa_id = number()
    output, _ = _output(graph_api, wa_id)
    text = "\n\n".join(f"Part {i}. " + "School should talk to you about your child's support. " * 20 for i in range(12))
    assert len(text) > 3 * 4096
    mark = graph_api.mark()
    await output.send_response("", {"text": text, "custom": {"sources": [{"title": "Code", "ref": "CoP 6.2", "url": "https://www.gov.uk/x"}]}})
    await output.graph.close()
    sent = graph_api.sent_to(wa_id, after=mark, count=4)
    assert all(message["type"] == "text" and len(message["text"]["body"]) <= 4096 for message in sent)
    assert all(shown(message).endswith(".") for message in sent[:-1])
    assert sent[-1]["text"]["body"].endswith("https://www.gov.uk/x")
    body = all_shown(sent).split("Sources:")[0]
    assert " ".join(body.split()) == " ".join(text.split())


async def test_long_payloads_long_titles_and_more_than_ten_options(graph_api):
    wa_id = number()
    output, tokens = _output(graph_api, wa_id)
    long_payload = '/leave_message{"note": "' + "x" * 300 + '"}'
    buttons = [{"title": "An extremely long button title that WhatsApp would refuse", "payload": long_payload},
               {"title": "An extremely long button title that WhatsApp would refuse too", "payload": "/help"}]
    mark = graph_api.mark()
    await output.send_response("", {"text": "Pick one", "buttons": buttons})
    many = [{"title": f"Option number {i} with a long name", "payload": f"/topic_{i}"} for i in range(12)]
    await output.send_response("", {"text": "Pick one of many", "buttons": many})
    await output.graph.close()
    first, second = graph_api.sent_to(wa_id, after=mark, count=2)
    ids = [button["id"] for button in reply_buttons(first)]
    titles = [button["title"] for button in reply_buttons(first)]
    assert len(ids[0]) <= 200 and ids[0] != long_payload and await tokens.decode(ids[0]) == long_payload
    assert ids[1] == "/help"
    assert all(len(title) <= 20 for title in titles) and len(set(titles)) == 2
    rows = list_rows(second)
    assert len(rows) == 10 and all(len(row["title"]) <= 24 for row in rows)
    assert rows[0]["description"] == "Option number 0 with a long name"
    assert len({row["title"] for row in rows}) == 10


async def test_graph_api_errors_are_calm_and_logged_by_status_only(graph_api, caplog):
    wa_id = number()
    graph_api.failing_numbers.add(wa_id)
    output, _ = _output(graph_api, wa_id)
    caplog.set_level(logging.DEBUG)
    await output.send_response("", {"text": "A private worry about my son", "buttons": [{"title": "OK", "payload": "/affirm"}]})
    await output.graph.close()
    assert len(graph_api.sent_to(wa_id)) >= 1
    logged = "\n".join(record.getMessage() for record in caplog.records if record.levelno >= logging.INFO)
    assert "400" in logged
    assert wa_id not in logged and "private worry" not in logged and WHATSAPP_ACCESS_TOKEN not in logged


def test_parse_webhook_reads_each_kind():
    messages = [whatsapp_message("447700900001", "text", "hi"),
                whatsapp_message("447700900002", "button_reply", ("/help", "Help")),
                whatsapp_message("447700900003", "list_reply", ("/funding", "Funding")),
                whatsapp_message("447700900004", "image"),
                whatsapp_message("447700900005", "reaction"),
                {"from": "not-a-number", "id": "x", "type": "text", "text": {"body": "x"}},
                {"from": "447700900006", "type": "text", "text": {"body": "no id"}}]
    found = [(m.wa_id, m.text) for m in parse_webhook(whatsapp_webhook(WHATSAPP_PHONE_NUMBER_ID, messages))]
    assert found == [("447700900001", "hi"), ("447700900002", "/help"), ("447700900003", "/funding"), ("447700900004", None)]
    assert list(parse_webhook({"object": "page", "entry": []})) == []
    assert list(parse_webhook([1, 2])) == []


def test_signature_check():
    body = b'{"a": 1}'
    assert valid_signature("s", body, whatsapp_signature("s", body))
    assert valid_signature("s", body, whatsapp_signature("s", body).upper().replace("SHA256=", "sha256="))
    assert not valid_signature("s", body, None)
    assert not valid_signature("s", body, whatsapp_signature("t", body))


# --- Configuration ------------------------------------------------------------------------


async def test_missing_settings_disable_the_channel_and_its_webhook_answers_503(monkeypatch):
    for name in ("WHATSAPP_ACCESS_TOKEN", "WHATSAPP_PHONE_NUMBER_ID", "WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN"):
        monkeypatch.setenv(name, "x")
    monkeypatch.delenv("WHATSAPP_APP_SECRET")
    channel = WhatsAppInput.from_credentials({})
    assert not channel.enabled and channel.get_output_channel() is None

    async def never(message):  # pragma: no cover - must not be called
        raise AssertionError("a disabled channel handled a message")

    assert (await channel.receive(b"{}", "sha256=00", never)).status == 503
    assert channel.handshake("subscribe", "x", "1").status == 503


# --- Several instances: de-duplication through Redis --------------------------------------


@pytest.mark.redis
async def test_two_instances_share_duplicate_detection_through_redis():
    url = require_service("Redis", "TEST_REDIS_URL")
    namespace = f"whatsapp-seen-test-{uuid.uuid4().hex}"
    first, second = ExpiringStore(namespace, url), ExpiringStore(namespace, url)
    message_id = f"wamid.{uuid.uuid4().hex}"
    try:
        assert await first.add_if_new(message_id, 60) is True
        assert await second.add_if_new(message_id, 60) is False, "the second instance must see the first one's message id"
        assert await first.add_if_new(message_id, 60) is False
        assert await second.add_if_new(message_id + "-other", 60) is True
        assert first._redis_failed_at == 0 and second._redis_failed_at == 0, "Redis was not actually used"
    finally:
        await first.close()
        await second.close()


async def test_unreachable_redis_falls_back_to_memory():
    store = ExpiringStore("whatsapp-seen-test", "redis://127.0.0.1:1/0")
    assert await store.add_if_new("wamid.a", 60) is True
    assert await store.add_if_new("wamid.a", 60) is False
    await store.close()


# --- Logs ---------------------------------------------------------------------------------


def test_server_log_holds_no_token_secret_number_or_message_text(channel_server):
    log = server_log(channel_server)
    assert log.exists(), f"expected the Rasa server's log at {log}"
    content = log.read_text(encoding="utf-8", errors="replace")
    for secret in SECRETS:
        assert secret not in content
    assert "4477009" not in content
    assert "senco actually do" not in content
