"""The WhatsApp channel (/webhooks/whatsapp/...), for the WhatsApp Business Cloud API.

Receiving (the callback URL configured in the Meta app, subscribed to the `messages` field):
- GET  /webhooks/whatsapp/webhook: Meta's verification handshake. hub.mode=subscribe and
  hub.verify_token equal to WHATSAPP_VERIFY_TOKEN -> the hub.challenge is echoed; else 403.
- POST /webhooks/whatsapp/webhook: `X-Hub-Signature-256` must be "sha256=" + the hex
  HMAC-SHA256 of the raw body with WHATSAPP_APP_SECRET (compared in constant time), or the
  call is refused with 403 before the body is parsed. Meta gets its 200 at once; messages
  are handled in the background.
- entry[].changes[].value.messages[]: text messages go through
  `bot.channels.inbound.prepare` like every channel's; a reply-button or list choice
  (interactive button_reply / list_reply, or a template's quick-reply `button`) sends its id,
  the button's payload; images, voice notes, stickers, documents, locations and the like get a
  calm "I can only read text messages" reply; reactions and system notices are ignored.
  `statuses` callbacks (sent, delivered, read) are ignored. Messages sent to another phone
  number of the same Meta app are ignored.
- Meta retries a webhook it thinks failed: each message id is handled once. The ids are kept
  for a day in a bounded in-memory cache, or, when REDIS_URL is set, in Redis (SET NX with
  an expiry) so several Rasa instances share them.
- The parent is the sender's WhatsApp number: `Identity("whatsapp", wa_id)`, conversation
  `whatsapp:<number>`.

Sending (`WhatsAppOutput`, POST {WHATSAPP_API_BASE_URL}/{WHATSAPP_PHONE_NUMBER_ID}/messages with
the bearer WHATSAPP_ACCESS_TOKEN, through httpx): text messages (preview_url false), split at
4096 characters; a reply's sources are added as plain URLs (WhatsApp links them); 1-3 buttons
become interactive reply buttons (titles cut to 20 characters), 4-10 an interactive list (row
titles cut to 24, the full title as the row's description); ids are the payloads, or a short
token for a payload over 200 characters. The interactive message carries the reply's last
part as its body when that fits WhatsApp's 1024 characters; otherwise the text goes first and
the buttons follow under a short prompt. Graph API errors are logged with their HTTP status
only: never a message text, a number or a token.

Configuration, from the environment only (credentials.yml has an empty entry):
WHATSAPP_ACCESS_TOKEN, WHATSAPP_PHONE_NUMBER_ID, WHATSAPP_APP_SECRET, WHATSAPP_VERIFY_TOKEN;
optional WHATSAPP_API_BASE_URL (default https://graph.facebook.com/v19.0) and REDIS_URL.
Without the four required ones the channel is disabled and its routes answer 503.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Coroutine, Iterator

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.inbound import prepare
from bot.channels.http import error_response
from bot.channels.outbound import (
    FAILURE_REPLY,
    MEDIA_REPLY,
    BackgroundTasks,
    ExpiringStore,
    PayloadTokens,
    Reply,
    ReplyOutputChannel,
    quiet_http_client_logs,
    redis_url_from_env,
    shorten,
    split_text,
    unique_titles,
)
from bot.security.identity import Identity

logger = logging.getLogger(__name__)

ACCESS_TOKEN_ENV = "WHATSAPP_ACCESS_TOKEN"
PHONE_NUMBER_ID_ENV = "WHATSAPP_PHONE_NUMBER_ID"
APP_SECRET_ENV = "WHATSAPP_APP_SECRET"
VERIFY_TOKEN_ENV = "WHATSAPP_VERIFY_TOKEN"
API_BASE_ENV = "WHATSAPP_API_BASE_URL"
DEFAULT_API_BASE = "https://graph.facebook.com/v19.0"
SIGNATURE_HEADER = "X-Hub-Signature-256"

TEXT_LIMIT = 4096
INTERACTIVE_BODY_LIMIT = 1024
MAX_REPLY_BUTTONS = 3
MAX_LIST_ROWS = 10
BUTTON_TITLE_LIMIT = 20
ROW_TITLE_LIMIT = 24
ROW_DESCRIPTION_LIMIT = 72
LIST_BUTTON_LABEL = "See options"
LIST_SECTION_TITLE = "Options"
EXPIRED_BUTTON_REPLY = {"text": "That button has expired. Please type your question instead.", "custom": {"topic": "help"}}
BUTTON_ID_MAX_BYTES = 200
MAX_BODY_BYTES = 1024 * 1024
DEDUP_TTL_SECONDS = 24 * 3600
BUTTONS_PROMPT = "What would you like to do next?"

IGNORED_TYPES = {"reaction", "system", "request_welcome"}


@dataclass(frozen=True)
class WhatsAppConfig:
    access_token: str
    phone_number_id: str
    app_secret: str
    verify_token: str
    api_base: str = DEFAULT_API_BASE

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> tuple["WhatsAppConfig | None", list[str]]:
        """(config, []) when the channel can run, or (None, names of the missing variables)."""
        env = os.environ if env is None else env
        names = (ACCESS_TOKEN_ENV, PHONE_NUMBER_ID_ENV, APP_SECRET_ENV, VERIFY_TOKEN_ENV)
        values = {name: (env.get(name) or "").strip() for name in names}
        missing = [name for name in names if not values[name]]
        if missing:
            return None, missing
        base = ((env.get(API_BASE_ENV) or "").strip() or DEFAULT_API_BASE).rstrip("/")
        return cls(values[ACCESS_TOKEN_ENV], values[PHONE_NUMBER_ID_ENV], values[APP_SECRET_ENV], values[VERIFY_TOKEN_ENV], base), []

    @property
    def messages_url(self) -> str:
        return f"{self.api_base}/{self.phone_number_id}/messages"


def valid_signature(app_secret: str, body: bytes, header: str | None) -> bool:
    """Whether `header` is "sha256=<hex HMAC-SHA256 of body with app_secret>"."""
    if not header or not header.startswith("sha256="):
        return False
    expected = "sha256=" + hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode("ascii"), header.strip().lower().encode("utf-8", "replace"))


# --- Sending ------------------------------------------------------------------------------


class GraphClient:
    """POSTs messages to the Graph API. Failures are logged by status code and swallowed."""

    def __init__(self, config: WhatsAppConfig) -> None:
        self.config = config
        self._client: Any = None

    def client(self) -> Any:
        if self._client is None:
            import httpx

            quiet_http_client_logs()
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(15.0, connect=5.0),
                headers={"Authorization": f"Bearer {self.config.access_token}"},
            )
        return self._client

    async def send(self, payload: dict[str, Any]) -> bool:
        try:
            reply = await self.client().post(self.config.messages_url, json=payload)
        except Exception as error:  # noqa: BLE001 - network trouble: the reply is lost, calmly
            logger.warning("whatsapp: sending a reply failed (%s)", type(error).__name__)
            return False
        if reply.status_code >= 400:
            logger.warning("whatsapp: the Graph API refused a reply (HTTP %s)", reply.status_code)
            return False
        return True

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def _text_message(body: str) -> dict[str, Any]:
    return {"type": "text", "text": {"preview_url": False, "body": body}}


def _interactive(body: str, buttons: list[tuple[str, str]]) -> dict[str, Any]:
    """Reply buttons for up to 3 (id, title) pairs, a list for 4-10."""
    if len(buttons) <= MAX_REPLY_BUTTONS:
        titles = unique_titles([title for _, title in buttons], BUTTON_TITLE_LIMIT)
        action: dict[str, Any] = {
            "buttons": [{"type": "reply", "reply": {"id": ident, "title": title}} for (ident, _), title in zip(buttons, titles)]
        }
        kind = "button"
    else:
        rows = buttons[:MAX_LIST_ROWS]
        titles = unique_titles([title for _, title in rows], ROW_TITLE_LIMIT)
        items = []
        for (ident, full), title in zip(rows, titles):
            row: dict[str, Any] = {"id": ident, "title": title}
            if title != full:
                row["description"] = shorten(full, ROW_DESCRIPTION_LIMIT)
            items.append(row)
        action = {"button": LIST_BUTTON_LABEL, "sections": [{"title": LIST_SECTION_TITLE, "rows": items}]}
        kind = "list"
    return {"type": "interactive", "interactive": {"type": kind, "body": {"text": body}, "action": action}}


def full_text(reply: Reply) -> str:
    text = reply.text.strip()
    if reply.sources:
        lines = ["Sources:"] + [f"• {source.plain()}: {source.url}" for source in reply.sources]
        text = (text + "\n\n" if text else "") + "\n".join(lines)
    return text


def render(reply: Reply, button_ids: list[str] | None = None) -> list[dict[str, Any]]:
    """The Graph API message objects (without recipient) for one reply, in order."""
    pieces = split_text(full_text(reply), TEXT_LIMIT)
    if not reply.buttons:
        return [_text_message(piece) for piece in pieces]
    ids = button_ids if button_ids is not None else [button.payload for button in reply.buttons]
    pairs = list(zip(ids, (button.title for button in reply.buttons)))
    if pieces and len(pieces[-1]) <= INTERACTIVE_BODY_LIMIT:
        body = pieces.pop()
    else:
        body = BUTTONS_PROMPT
    return [_text_message(piece) for piece in pieces] + [_interactive(body, pairs)]


class WhatsAppOutput(ReplyOutputChannel):
    """Sends a reply to one WhatsApp number. Errors are logged by status only, never raised into Rasa."""

    @classmethod
    def name(cls) -> str:
        return "whatsapp"

    def __init__(self, graph: GraphClient, tokens: PayloadTokens, wa_id: str | None = None) -> None:
        self.graph = graph
        self.tokens = tokens
        self.wa_id = wa_id

    def _recipient(self, recipient_id: str) -> str | None:
        if self.wa_id:
            return self.wa_id
        number = self.user_id_in(recipient_id)  # a reminder or external event: the conversation id is whatsapp:<number>
        return number if number.isdigit() else None

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        to = self._recipient(recipient_id)
        if to is None:
            logger.warning("whatsapp: a reply has no number to go to; dropped")
            return
        reply = Reply.from_rasa(message)
        if reply.empty:
            return
        ids = [await self.tokens.encode(button.payload) for button in reply.buttons[:MAX_LIST_ROWS]]
        for item in render(reply, ids):
            payload = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, **item}
            if not await self.graph.send(payload):
                return


# --- Receiving ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Incoming:
    message_id: str
    wa_id: str
    text: str | None      # None: something we can't read (media)
    phone_number_id: str


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def text_of(message: dict[str, Any]) -> str | None:
    """The text a message stands for; None for media and other kinds we can't read."""
    kind = message.get("type")
    if kind == "text":
        body = _dict(message.get("text")).get("body")
        return body if isinstance(body, str) else ""
    if kind == "interactive":
        interactive = _dict(message.get("interactive"))
        choice = _dict(interactive.get(interactive.get("type") or ""))
        ident = choice.get("id") if interactive.get("type") in {"button_reply", "list_reply"} else None
        return ident if isinstance(ident, str) else None
    if kind == "button":  # a quick-reply button of a template message
        button = _dict(message.get("button"))
        value = button.get("payload") or button.get("text")
        return value if isinstance(value, str) else None
    return None


def parse_webhook(payload: Any) -> Iterator[Incoming]:
    """The parents' messages in one webhook call (status callbacks and the like are skipped)."""
    payload = _dict(payload)
    if payload.get("object") != "whatsapp_business_account":
        return
    for entry in _list(payload.get("entry")):
        for change in _list(_dict(entry).get("changes")):
            change = _dict(change)
            if change.get("field") != "messages":
                continue
            value = _dict(change.get("value"))
            phone_number_id = str(_dict(value.get("metadata")).get("phone_number_id") or "")
            for message in _list(value.get("messages")):
                message = _dict(message)
                sender, message_id = message.get("from"), message.get("id")
                if not isinstance(sender, str) or not sender.isdigit() or not isinstance(message_id, str) or not message_id:
                    continue
                if message.get("type") in IGNORED_TYPES:
                    continue
                yield Incoming(message_id=message_id[:256], wa_id=sender, text=text_of(message), phone_number_id=phone_number_id)


class WhatsAppInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "whatsapp"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> "WhatsAppInput":
        # Secrets come from the environment only, so credentials.yml needs no ${VAR} that
        # would stop Rasa from starting when WhatsApp isn't set up.
        config, missing = WhatsAppConfig.from_env()
        if config is None:
            logger.info("whatsapp channel is off: set %s to turn it on (docs/channels.md)", ", ".join(missing))
        return cls(config, redis_url_from_env())

    def __init__(self, config: WhatsAppConfig | None, redis_url: str | None = None) -> None:
        self.config = config
        self.graph = GraphClient(config) if config else None
        self.seen = ExpiringStore("whatsapp-seen", redis_url)
        self.tokens = PayloadTokens(ExpiringStore("whatsapp-buttons", redis_url), BUTTON_ID_MAX_BYTES)
        self.background = BackgroundTasks()

    @property
    def enabled(self) -> bool:
        return self.config is not None

    def get_output_channel(self) -> OutputChannel | None:
        # Outside WhatsApp's 24-hour window a message needs an approved template; plain replies fail there.
        return WhatsAppOutput(self.graph, self.tokens) if self.graph else None

    def output_for(self, wa_id: str) -> WhatsAppOutput:
        assert self.graph is not None
        return WhatsAppOutput(self.graph, self.tokens, wa_id=wa_id)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("sen_whatsapp_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            if not self.enabled:
                return error_response(503, "The WhatsApp channel is not configured.")
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            return self.handshake(request.args.get("hub.mode"), request.args.get("hub.verify_token"), request.args.get("hub.challenge"))

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            return await self.receive(request.body or b"", request.headers.get(SIGNATURE_HEADER), on_new_message)

        @webhook.listener("after_server_stop")
        async def close(app: Any, loop: Any) -> None:
            await self.close()

        return webhook

    async def close(self) -> None:
        self.background.cancel_all()
        if self.graph is not None:
            await self.graph.close()
        await self.seen.close()
        await self.tokens.store.close()

    def handshake(self, mode: str | None, token: str | None, challenge: str | None) -> HTTPResponse:
        if not self.enabled:
            return error_response(503, "The WhatsApp channel is not configured.")
        assert self.config is not None
        token_ok = bool(token) and hmac.compare_digest(token.encode("utf-8"), self.config.verify_token.encode("utf-8"))
        if mode != "subscribe" or not token_ok or not challenge or len(challenge) > 256:
            return error_response(403, "Forbidden.")
        return response.text(challenge, headers={"X-Content-Type-Options": "nosniff"})

    async def receive(
        self, body: bytes, signature: str | None, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> HTTPResponse:
        if not self.enabled:
            return error_response(503, "The WhatsApp channel is not configured.")
        assert self.config is not None
        if len(body) > MAX_BODY_BYTES:
            return error_response(413, "Too large.")
        if not valid_signature(self.config.app_secret, body, signature):
            return error_response(403, "Forbidden.")
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return error_response(400, "The body must be JSON.")
        for incoming in parse_webhook(payload):
            if incoming.phone_number_id and incoming.phone_number_id != self.config.phone_number_id:
                logger.debug("whatsapp: a message for another phone number id was ignored")
                continue
            self.spawn(self.handle(incoming, on_new_message))
        return response.json({"status": "ok"})

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        self.background.spawn(coroutine)

    async def handle(self, incoming: Incoming, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        try:
            if not await self.seen.add_if_new(incoming.message_id, DEDUP_TTL_SECONDS):
                logger.debug("whatsapp: a retried message was ignored")
                return
            output = self.output_for(incoming.wa_id)
            if incoming.text is None:
                await output.send_response("", dict(MEDIA_REPLY))
                return
            text = await self.tokens.decode(incoming.text)
            if text is None:
                await output.send_response("", dict(EXPIRED_BUTTON_REPLY))
                return
            inbound = prepare(Identity(self.name(), incoming.wa_id), text)
            if not inbound.needs_rasa:
                for reply in inbound.direct_replies:
                    await output.send_response(inbound.sender_id, dict(reply))
                return
            try:
                await on_new_message(
                    UserMessage(inbound.text, output, inbound.sender_id, input_channel=self.name(), metadata=inbound.metadata)
                )
            except Exception as error:  # noqa: BLE001
                logger.error("whatsapp: the assistant failed to handle a message (%s)", type(error).__name__)
                await output.send_response(inbound.sender_id, dict(FAILURE_REPLY))
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - never a traceback with a parent's text in the log
            logger.error("whatsapp: handling a message failed (%s)", type(error).__name__)
