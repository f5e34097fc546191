"""The Telegram channel, end to end: real-shaped updates POSTed to the running assistant's
webhook, and what it sent, as recorded by the local stand-in of Telegram's Bot API."""

from __future__ import annotations

import html
import json
import re
import time
from types import SimpleNamespace

import pytest

from bot.channels.outbound import ExpiringStore, PayloadTokens, split_text, utf16_len
from bot.channels.telegram import (
    EXPIRED_BUTTON_TEXT,
    SECRET_HEADER,
    TelegramConfig,
    TelegramInput,
    TelegramOutput,
    command_as_text,
    make_bot,
)
from bot.knowledge import load_knowledge_base
from bot.security.identity import verified_identity
from tests.channels.conftest import (
    SECRETS,
    TELEGRAM_SECRET,
    TELEGRAM_TOKEN,
    last_topic,
    post,
    server_log,
    tracker,
    unique_number,
    user_events,
)
from tests.channels.standins import (
    DOCUMENT,
    PHOTO,
    STICKER,
    VOICE,
    telegram_callback,
    telegram_message,
)
from tests.conftest import post_json

pytestmark = pytest.mark.server

WEBHOOK = "/webhooks/telegram/webhook"
KB = load_knowledge_base()
SENCO_QUESTION = "what does the senco actually do at school"


def send(server, update=None, secret: str | None = TELEGRAM_SECRET, raw: bytes | None = None) -> tuple[int, str]:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    return post(server.base_url + WEBHOOK, raw if raw is not None else json.dumps(update).encode("utf-8"), headers)


def escaped(text: str) -> str:
    return html.escape(text, quote=False)


def visible(html_text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", html_text))


def callback_data(message: dict) -> list[str]:
    return [row[0]["callback_data"] for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])]


# --- Conversations ------------------------------------------------------------------------


def test_greeting_gets_a_reply_with_an_inline_keyboard(channel_server, bot_api):
    user = unique_number(10_000)
    mark = bot_api.mark()
    status, _ = send(channel_server, telegram_message(user, "hello"))
    assert status == 200
    sent = bot_api.sent_to(user, after=mark)
    assert len(sent) == 1
    assert "Hello" in sent[0]["text"]
    assert sent[0]["parse_mode"] == "HTML"
    assert "/help" in callback_data(sent[0])
    assert last_topic(channel_server, f"telegram:{user}") == "greet"


def test_start_command_is_a_greeting(channel_server, bot_api):
    user = unique_number(10_000)
    mark = bot_api.mark()
    send(channel_server, telegram_message(user, "/start"))
    assert "Hello" in bot_api.sent_to(user, after=mark)[0]["text"]


def test_knowledge_answer_has_its_sources_as_links_and_the_tell_me_more_button(channel_server, bot_api):
    article = KB.get("senco_role")
    user = unique_number(10_000)
    mark = bot_api.mark()
    send(channel_server, telegram_message(user, SENCO_QUESTION))
    sent = bot_api.sent_to(user, after=mark)
    assert len(sent) == 1
    text = sent[0]["text"]
    assert escaped(article.short) in text
    for source in article.sources:
        assert f'<a href="{html.escape(source.url, quote=True)}">' in text
    assert "Sources:" in text
    assert callback_data(sent[0]) == ["/tell_me_more", "/help"]
    assert sent[0]["link_preview_options"] == {"is_disabled": True}
    assert last_topic(channel_server, f"telegram:{user}") == "senco_role"


def test_button_press_is_answered_then_gives_that_topics_answer(channel_server, bot_api):
    article = KB.get("graduated_approach")
    user = unique_number(10_000)
    update = telegram_callback(user, "/graduated_approach")
    mark = bot_api.mark()
    status, _ = send(channel_server, update)
    assert status == 200
    messages = bot_api.wait(lambda c: c.method == "sendMessage" and int(c.params["chat_id"]) == user, after=mark)
    answers = bot_api.find(lambda c: c.method == "answerCallbackQuery", after=mark)
    answered = [c for c in answers if c.params["callback_query_id"] == update["callback_query"]["id"]]
    assert len(answered) == 1, "the callback query must be answered exactly once"
    assert answered[0].at <= messages[0].at, "the spinner is stopped before the answer is sent"
    assert escaped(article.short) in messages[0].params["text"]
    assert last_topic(channel_server, f"telegram:{user}") == "graduated_approach"


def test_tell_me_more_button_gives_the_detail_of_the_last_topic(channel_server, bot_api):
    article = KB.get("review_frequency")
    user = unique_number(10_000)
    mark = bot_api.mark()
    send(channel_server, telegram_message(user, "how often should school meet with me about his sen support"))
    first = bot_api.sent_to(user, after=mark)
    assert "/tell_me_more" in callback_data(first[-1])
    mark = bot_api.mark()
    send(channel_server, telegram_callback(user, "/tell_me_more"))
    more = bot_api.sent_to(user, after=mark)
    assert escaped(article.more) in "\n".join(message["text"] for message in more)
    assert last_topic(channel_server, f"telegram:{user}") == "review_frequency"


def test_expired_button_token_is_answered_without_reaching_the_assistant(channel_server, bot_api):
    user = unique_number(10_000)
    update = telegram_callback(user, "~t:no-such-token")
    mark = bot_api.mark()
    send(channel_server, update)
    answered = bot_api.wait(lambda c: c.method == "answerCallbackQuery" and c.params["callback_query_id"] == update["callback_query"]["id"], after=mark)
    assert answered[0].params.get("text") == EXPIRED_BUTTON_TEXT
    assert user_events(channel_server, f"telegram:{user}") == []


@pytest.mark.parametrize("media", [STICKER, PHOTO, VOICE, DOCUMENT], ids=["sticker", "photo", "voice", "document"])
def test_stickers_photos_voice_and_documents_get_a_calm_text_reply(channel_server, bot_api, media):
    user = unique_number(10_000)
    mark = bot_api.mark()
    status, _ = send(channel_server, telegram_message(user, **media))
    assert status == 200
    sent = bot_api.sent_to(user, after=mark)
    assert len(sent) == 1
    assert "I can only read text messages" in sent[0]["text"]
    assert user_events(channel_server, f"telegram:{user}") == [], "media never reaches the assistant"


def test_edited_message_is_answered_as_a_new_message(channel_server, bot_api):
    article = KB.get("senco_role")
    user = unique_number(10_000)
    mark = bot_api.mark()
    send(channel_server, telegram_message(user, SENCO_QUESTION, edited=True))
    sent = bot_api.sent_to(user, after=mark)
    assert escaped(article.short) in sent[0]["text"]


def test_group_chats_get_a_private_only_note_and_nothing_reaches_the_assistant(channel_server, bot_api):
    user, group = unique_number(10_000), -unique_number(500_000)
    mark = bot_api.mark()
    send(channel_server, telegram_message(user, "what is sen support", chat_id=group, chat_type="group"))
    sent = bot_api.sent_to(group, after=mark)
    assert "private chat" in sent[0]["text"]
    assert user_events(channel_server, f"telegram:{user}") == []


def test_channel_posts_and_unknown_updates_get_200_and_are_ignored(channel_server, bot_api):
    channel_id = -unique_number(1_000_000)
    user = unique_number(10_000)
    updates = [
        {"update_id": unique_number(900_000), "channel_post": {"message_id": 1, "date": int(time.time()), "text": "hello",
                                                                "chat": {"id": channel_id, "type": "channel", "title": "News"}}},
        {"update_id": unique_number(900_000), "some_future_update_kind": {"anything": True}},
        {"update_id": unique_number(900_000), "my_chat_member": {
            "chat": {"id": user, "type": "private"}, "from": {"id": user, "is_bot": False, "first_name": "P"}, "date": int(time.time()),
            "old_chat_member": {"status": "member", "user": {"id": 999000, "is_bot": True, "first_name": "B"}},
            "new_chat_member": {"status": "kicked", "until_date": 0, "user": {"id": 999000, "is_bot": True, "first_name": "B"}}}},
    ]
    mark = bot_api.mark()
    for update in updates:
        assert send(channel_server, update)[0] == 200
    time.sleep(1.5)
    assert bot_api.find(lambda c: c.method == "sendMessage" and int(c.params["chat_id"]) in {channel_id, user}, after=mark) == []


def test_a_blocked_chat_is_handled_calmly(channel_server, bot_api):
    blocked, other = unique_number(10_000), unique_number(10_000)
    bot_api.blocked_chats.add(blocked)
    mark = bot_api.mark()
    assert send(channel_server, telegram_message(blocked, "hello"))[0] == 200
    bot_api.sent_to(blocked, after=mark)  # the attempt was made and refused with 403
    send(channel_server, telegram_message(other, "hello"))
    assert "Hello" in bot_api.sent_to(other, after=mark)[0]["text"]


# --- Refusals -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "secret, status",
    [(None, 401), ("", 401), ("wrong-secret", 403), (TELEGRAM_SECRET + "x", 403), (TELEGRAM_SECRET[:-1], 403), (TELEGRAM_SECRET.upper(), 403)],
    ids=["no-header", "empty", "wrong", "longer", "shorter", "case"],
)
def test_forged_or_unsigned_webhook_calls_are_refused_and_nothing_is_sent(channel_server, bot_api, secret, status):
    user = unique_number(10_000)
    mark = bot_api.mark()
    code, body = send(channel_server, telegram_message(user, "hello"), secret=secret)
    assert code == status
    assert "Traceback" not in body
    time.sleep(0.5)
    assert bot_api.find(lambda c: int(c.params.get("chat_id", 0) or 0) == user, after=mark) == []
    assert user_events(channel_server, f"telegram:{user}") == []


def test_secret_is_checked_before_the_body_is_parsed(channel_server):
    assert send(channel_server, raw=b"{not json", secret="wrong")[0] == 403
    assert send(channel_server, raw=b"{not json", secret=None)[0] == 401
    assert send(channel_server, raw=b"{not json")[0] == 400
    assert send(channel_server, raw=b"[1, 2]")[0] == 400
    assert send(channel_server, raw=b"{" + b" " * 300_000 + b"}")[0] == 413


# --- Identity -----------------------------------------------------------------------------


def test_telegram_user_123_and_rest_sender_telegram_123_are_different_conversations(channel_server, bot_api):
    mark = bot_api.mark()
    send(channel_server, telegram_message(123, "hello"))
    bot_api.sent_to(123, after=mark)

    status, reply = post_json(channel_server.base_url + "/webhooks/rest/webhook", {"sender": "telegram:123", "message": "what is sen support"})
    assert status == 200
    assert reply[0]["recipient_id"] == "rest:telegram:123"

    telegram_events = user_events(channel_server, "telegram:123")
    assert [event["text"] for event in telegram_events] == ["hello"], "the REST message must not join the Telegram conversation"
    claim = telegram_events[0]["metadata"]["sen_identity"]
    assert (claim["channel"], claim["user_id"]) == ("telegram", "123")
    assert telegram_events[0]["input_channel"] == "telegram"
    latest = tracker(channel_server, "telegram:123")["latest_message"]
    identity = verified_identity("telegram:123", latest)
    assert identity is not None and (identity.channel, identity.user_id) == ("telegram", "123")

    rest_events = user_events(channel_server, "rest:telegram:123")
    assert len(rest_events) == 1
    assert rest_events[0]["metadata"]["sen_identity"]["channel"] == "rest"
    assert verified_identity("telegram:123", tracker(channel_server, "rest:telegram:123")["latest_message"]) is None
    assert len(bot_api.find(lambda c: c.method == "sendMessage" and int(c.params["chat_id"]) == 123, after=mark)) == 1


# --- Rendering, in process, against the stand-in ------------------------------------------


def _output(bot_api, chat_id: int) -> tuple[TelegramOutput, PayloadTokens]:
    tokens = PayloadTokens(ExpiringStore("telegram-test"), 64)
    bot = make_bot(TelegramConfig(TELEGRAM_TOKEN, TELEGRAM_SECRET, f"{bot_api.url}/bot"))
    return TelegramOutput(bot, tokens, chat_id=chat_id), tokens


async def test_long_reply_is_split_at_4096_on_boundaries_with_sources_and_buttons_last(bot_api):
    chat = unique_number(20_000)
    output, _ = _output(bot_api, chat)
    paragraphs = [f"Part {i}. " + "Your child's school should explain SEN support & <b>plans</b> to you. " * 25 for i in range(12)]
    text = "\n\n".join(paragraphs)
    assert len(text) > 3 * 4096
    sources = [{"title": "SEND code of practice", "ref": "CoP 6.2", "url": "https://www.gov.uk/government/publications/send-code-of-practice-0-to-25"}]
    mark = bot_api.mark()
    await output.send_response("telegram:ignored", {"text": text, "buttons": [{"title": "Tell me more", "payload": "/tell_me_more"}],
                                                    "custom": {"topic": "x", "sources": sources}})
    await output.bot.request.shutdown()
    sent = bot_api.sent_to(chat, after=mark, count=4)
    assert len(sent) >= 4
    for message in sent:
        assert utf16_len(visible(message["text"])) <= 4096
        assert "<b>plans</b>" not in message["text"] and "&lt;b&gt;plans&lt;/b&gt;" in message["text"]
    for message in sent[:-1]:
        assert "reply_markup" not in message or not message["reply_markup"]
        assert visible(message["text"]).rstrip().endswith("."), "split on a sentence or paragraph boundary"
    assert callback_data(sent[-1]) == ["/tell_me_more"]
    assert '<a href="https://www.gov.uk/' in sent[-1]["text"]
    body = " ".join(visible(message["text"]) for message in sent).split("Sources:")[0]
    assert " ".join(body.split()) == " ".join(text.split()), "nothing lost or reordered"


async def test_long_button_payload_goes_as_a_short_token_that_maps_back(bot_api):
    chat = unique_number(20_000)
    output, tokens = _output(bot_api, chat)
    payload = '/leave_message{"note": "' + "é" * 60 + '"}'
    mark = bot_api.mark()
    await output.send_response("", {"text": "Send it?", "buttons": [{"title": "Yes", "payload": payload}, {"title": "Help", "payload": "/help"}]})
    await output.bot.request.shutdown()
    data = callback_data(bot_api.sent_to(chat, after=mark)[0])
    assert len(data[0].encode("utf-8")) <= 64 and data[0] != payload
    assert data[1] == "/help"
    assert await tokens.decode(data[0]) == payload


async def test_html_in_text_titles_and_urls_is_escaped(bot_api):
    chat = unique_number(20_000)
    output, _ = _output(bot_api, chat)
    mark = bot_api.mark()
    await output.send_response("", {"text": "<script>alert(1)</script> & more", "custom": {"sources": [
        {"title": "<i>Guide</i>", "ref": "A&B", "url": "https://example.org/?a=1&b=2"},
        {"title": "quote", "ref": "", "url": 'https://example.org/"><script>'},
        {"title": "bad", "ref": "", "url": "javascript:alert(1)"}]}})
    await output.bot.request.shutdown()
    text = bot_api.sent_to(chat, after=mark)[0]["text"]
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "&lt;i&gt;Guide&lt;/i&gt;" in text and "A&amp;B" in text
    assert '<a href="https://example.org/?a=1&amp;b=2">' in text
    assert "javascript:" not in text and "example.org/\"" not in text, "only plain http(s) links are shown"


def test_split_text_counts_emoji_as_telegram_does():
    text = "😀 " * 3000  # 9000 UTF-16 code units, 6000 characters
    pieces = split_text(text, 4096, utf16_len)
    assert len(pieces) == 3 and all(utf16_len(piece) <= 4096 for piece in pieces)
    assert "".join(pieces).replace(" ", "") == text.replace(" ", "")


def test_split_text_prefers_paragraphs_then_sentences_and_cuts_a_giant_word():
    paragraph = "A sentence here. " * 100
    pieces = split_text(paragraph.strip() + "\n\n" + paragraph.strip(), 2000)
    assert pieces == [paragraph.strip(), paragraph.strip()]
    assert all(piece.endswith(".") for piece in split_text("One two three. " * 400, 1000))
    assert [len(piece) for piece in split_text("x" * 9000, 4096)] == [4096, 4096, 808]


def test_commands():
    assert command_as_text("/start") == "/greet"
    assert command_as_text("/start abc") == "/greet"
    assert command_as_text("/help@sen_bot") == "/help"
    assert command_as_text("what is sen support") == "what is sen support"


# --- Configuration ------------------------------------------------------------------------


async def test_missing_token_disables_the_channel_and_its_webhook_answers_503(monkeypatch):
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "s")
    channel = TelegramInput.from_credentials({})
    assert not channel.enabled and channel.get_output_channel() is None

    async def never(message):  # pragma: no cover - must not be called
        raise AssertionError("a disabled channel handled a message")

    reply = await channel.receive(SimpleNamespace(headers={SECRET_HEADER: "s"}, body=b"{}"), never)
    assert reply.status == 503 and b"not configured" in reply.body


def test_credentials_yml_loads_without_any_channel_tokens(monkeypatch):
    """Rasa reads credentials.yml at start-up: with no Telegram or WhatsApp variables it must still start."""
    from rasa.core.run import create_http_input_channels

    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "WHATSAPP_ACCESS_TOKEN", "WHATSAPP_PHONE_NUMBER_ID",
                 "WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    channels = {channel.name(): channel for channel in create_http_input_channels(None, "credentials.yml")}
    assert not channels["telegram"].enabled and not channels["whatsapp"].enabled


# --- Polling mode -------------------------------------------------------------------------


async def test_polling_mode_forwards_updates_to_the_webhook(channel_server, bot_api, monkeypatch):
    from bot.channels import telegram_polling

    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TELEGRAM_TOKEN)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", TELEGRAM_SECRET)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", f"{bot_api.url}/bot")
    url = channel_server.base_url + WEBHOOK
    user = unique_number(10_000)

    bot_api.webhook_url = "https://example.org/production-webhook"
    with pytest.raises(telegram_polling.Refused):
        await telegram_polling.run(url, once=True)  # never takes over a bot that has a webhook

    mark = bot_api.mark()
    bot_api.queue_update(telegram_message(user, "hello"))
    await telegram_polling.run(url, delete_webhook=True, once=True)
    assert bot_api.webhook_url == ""
    assert "Hello" in bot_api.sent_to(user, after=mark)[0]["text"]
    polled = bot_api.find(lambda c: c.method == "getUpdates", after=mark)
    assert polled and set(polled[0].params["allowed_updates"]) == {"message", "edited_message", "callback_query"}

    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "not-the-servers-secret")
    bot_api.queue_update(telegram_message(user, "hello again"))
    with pytest.raises(telegram_polling.Refused):
        await telegram_polling.run(url, once=True)


# --- Logs ---------------------------------------------------------------------------------


def test_server_log_holds_no_token_secret_or_message_text(channel_server):
    log = server_log(channel_server)
    assert log.exists(), f"expected the Rasa server's log at {log}"
    content = log.read_text(encoding="utf-8", errors="replace")
    for secret in SECRETS:
        assert secret not in content
    assert "senco actually do" not in content
    assert "how often should school meet" not in content
