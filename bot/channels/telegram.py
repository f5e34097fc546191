"""The Telegram channel (/webhooks/telegram/...), built on python-telegram-bot.

Receiving (POST /webhooks/telegram/webhook, the URL given to Telegram's setWebhook):
- the `X-Telegram-Bot-Api-Secret-Token` header must equal TELEGRAM_WEBHOOK_SECRET (compared
  in constant time) before the body is even parsed: missing -> 401, wrong -> 403;
- the body is parsed with `telegram.Update.de_json`; Telegram gets its 200 at once and the
  update is handled in the background (so a slow turn never makes Telegram retry);
- the parent is the Telegram *user* (`Identity("telegram", str(user.id))`, conversation
  `telegram:<user id>`), never the chat, and only private chats are served: in a group the
  bot says it only talks in private, so no child's details are ever posted to a group;
- text messages go through `bot.channels.inbound.prepare` like every channel's;
- an *edited* message is handled as a new message: a parent who corrects a typo gets the
  answer to what they meant, and an edit that adds a worry about safety is never missed;
- a button press (callback query) is answered (which stops the spinner in the app), then its
  callback data, the button's payload, is the message;
- stickers, photos, voice notes, documents and other media get a calm "I can only read text
  messages" reply; nothing about them reaches Rasa;
- channel posts, service messages and update kinds we don't use get a 200 and are ignored.
- "/start" (sent when a parent first opens the bot) is taken as a greeting.

Sending (`TelegramOutput`, through `telegram.Bot.send_message`): HTML parse mode with every
piece of text escaped; a reply's sources (custom.sources) are added as links under the
text; buttons become an inline keyboard (one button a row) whose callback data is the
payload, or a short token standing for it when the payload is over Telegram's 64 bytes;
text over Telegram's 4096-character limit is split at paragraph or sentence boundaries,
with the sources and buttons on the last part. Link previews are off.

Configuration, from the environment only (credentials.yml has an empty entry):
TELEGRAM_BOT_TOKEN (from BotFather) and TELEGRAM_WEBHOOK_SECRET (the `secret_token` given
to setWebhook, 1-256 characters of A-Z a-z 0-9 _ -). Without both the channel is disabled
and its routes answer 503. TELEGRAM_API_BASE_URL (default Telegram's own) points the bot at
another Bot API server, such as the tests' stand-in. No message text, user id or token is
logged at INFO or above.

Developers without a public HTTPS URL can use polling instead: `python -m bot.channels.telegram_polling`.
"""

from __future__ import annotations

import asyncio
import hmac
import html
import json
import logging
import os
import re
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Coroutine

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
    SourceLink,
    quiet_http_client_logs,
    redis_url_from_env,
    split_text,
    utf16_len,
)
from bot.security.identity import Identity

logger = logging.getLogger(__name__)

TOKEN_ENV = "TELEGRAM_BOT_TOKEN"
SECRET_ENV = "TELEGRAM_WEBHOOK_SECRET"
API_BASE_ENV = "TELEGRAM_API_BASE_URL"
DEFAULT_API_BASE = "https://api.telegram.org/bot"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

MESSAGE_LIMIT = 4096          # characters (UTF-16 code units) after entity parsing
CALLBACK_DATA_MAX_BYTES = 64
MAX_BODY_BYTES = 256 * 1024
MAX_RETRY_AFTER_SECONDS = 5

PRIVATE_ONLY_REPLY = {
    "text": "I can only talk in a private chat, to keep your child's details private. Please message me directly.",
}
EXPIRED_BUTTON_TEXT = "That button has expired. Please type your question instead."
DEFAULT_BUTTONS_TEXT = "Please choose:"
_SECRET_SHAPE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_COMMAND = re.compile(r"^/([A-Za-z0-9_]+)(@[A-Za-z0-9_]+)?(\s.*)?$", re.DOTALL)


@dataclass(frozen=True)
class TelegramConfig:
    token: str
    secret: str
    api_base: str = DEFAULT_API_BASE

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> tuple["TelegramConfig | None", list[str]]:
        """(config, []) when the channel can run, or (None, names of the missing variables)."""
        env = os.environ if env is None else env
        token = (env.get(TOKEN_ENV) or "").strip()
        secret = (env.get(SECRET_ENV) or "").strip()
        missing = [name for name, value in ((TOKEN_ENV, token), (SECRET_ENV, secret)) if not value]
        if missing:
            return None, missing
        return cls(token=token, secret=secret, api_base=(env.get(API_BASE_ENV) or "").strip() or DEFAULT_API_BASE), []


def make_bot(config: TelegramConfig) -> Any:
    from telegram import Bot
    from telegram.request import HTTPXRequest

    quiet_http_client_logs()
    return Bot(
        config.token,
        base_url=config.api_base,
        request=HTTPXRequest(connection_pool_size=16, connect_timeout=5, read_timeout=15, write_timeout=15, pool_timeout=5),
        get_updates_request=HTTPXRequest(connect_timeout=5, read_timeout=40),
    )


# --- Sending ------------------------------------------------------------------------------


def _sources_block(sources: list[SourceLink]) -> tuple[str, str]:
    """(visible text, HTML) of the sources list shown under an answer."""
    plain = ["Sources:"]
    marked = ["<b>Sources:</b>"]
    for source in sources:
        label = source.title or source.url
        suffix = f" ({source.ref})" if source.ref else ""
        plain.append(f"• {label}{suffix}")
        marked.append(f'• <a href="{html.escape(source.url, quote=True)}">{html.escape(label)}</a>{html.escape(suffix)}')
    return "\n".join(plain), "\n".join(marked)


def render_html(reply: Reply, limit: int = MESSAGE_LIMIT) -> list[str]:
    """The HTML texts of the messages for one reply; buttons go on the last one."""
    pieces = split_text(reply.text, limit, utf16_len) if reply.text.strip() else []
    texts = [html.escape(piece, quote=False) for piece in pieces]
    if reply.sources:
        plain, marked = _sources_block(reply.sources)
        if pieces and utf16_len(pieces[-1] + "\n\n" + plain) <= limit:
            texts[-1] = texts[-1] + "\n\n" + marked
        else:
            texts.append(marked)
    if not texts and reply.buttons:
        texts.append(html.escape(DEFAULT_BUTTONS_TEXT))
    return texts


class TelegramOutput(ReplyOutputChannel):
    """Sends a reply to one Telegram chat. Errors are logged by kind only, never raised into Rasa."""

    @classmethod
    def name(cls) -> str:
        return "telegram"

    def __init__(self, bot: Any, tokens: PayloadTokens, chat_id: int | None = None) -> None:
        self.bot = bot
        self.tokens = tokens
        self.chat_id = chat_id

    def _chat_for(self, recipient_id: str) -> int | None:
        if self.chat_id is not None:
            return self.chat_id
        user_id = self.user_id_in(recipient_id)  # a reminder or external event: the conversation id is telegram:<user id>
        return int(user_id) if user_id.lstrip("-").isdigit() else None

    async def _keyboard(self, reply: Reply) -> Any:
        from telegram import InlineKeyboardButton, InlineKeyboardMarkup

        if not reply.buttons:
            return None
        rows = [[InlineKeyboardButton(button.title, callback_data=await self.tokens.encode(button.payload))] for button in reply.buttons]
        return InlineKeyboardMarkup(rows)

    async def _send(self, chat_id: int, text: str, markup: Any) -> bool:
        from telegram import LinkPreviewOptions
        from telegram.constants import ParseMode
        from telegram.error import Forbidden, RetryAfter, TelegramError

        for attempt in range(2):
            try:
                await self.bot.send_message(
                    chat_id=chat_id, text=text, parse_mode=ParseMode.HTML, reply_markup=markup,
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                )
                return True
            except RetryAfter as error:
                wait = error.retry_after.total_seconds() if hasattr(error.retry_after, "total_seconds") else float(error.retry_after)
                if attempt or wait > MAX_RETRY_AFTER_SECONDS:
                    logger.warning("telegram: sending was rate limited; a reply was dropped")
                    return False
                await asyncio.sleep(wait)
            except Forbidden:
                logger.info("telegram: the chat is not reachable (the parent may have blocked the bot)")
                return False
            except TelegramError as error:
                logger.warning("telegram: sending a reply failed (%s)", type(error).__name__)
                return False
            except Exception as error:  # noqa: BLE001 - never raise into the dialogue
                logger.warning("telegram: sending a reply failed (%s)", type(error).__name__)
                return False
        return False

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        chat_id = self._chat_for(recipient_id)
        if chat_id is None:
            logger.warning("telegram: a reply has no chat to go to; dropped")
            return
        reply = Reply.from_rasa(message)
        if reply.empty:
            return
        texts = render_html(reply)
        markup = await self._keyboard(reply)
        for index, text in enumerate(texts):
            last = index == len(texts) - 1
            if not await self._send(chat_id, text, markup if last else None):
                return


# --- Receiving ----------------------------------------------------------------------------


def command_as_text(text: str) -> str:
    """'/start' (and '/start something') is a greeting; '/help@SenBot' is '/help'."""
    match = _COMMAND.match(text.strip())
    if not match:
        return text
    command, rest = match.group(1), (match.group(3) or "")
    if command.lower() == "start":
        return "/greet"
    return f"/{command}{rest}"


class TelegramInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> "TelegramInput":
        # Tokens come from the environment only, so credentials.yml needs no ${VAR} that
        # would stop Rasa from starting when Telegram isn't set up.
        config, missing = TelegramConfig.from_env()
        if config is None:
            logger.info("telegram channel is off: set %s to turn it on (docs/channels.md)", " and ".join(missing))
        elif not _SECRET_SHAPE.match(config.secret):
            logger.warning("telegram: %s has characters Telegram's setWebhook refuses (allowed: A-Z a-z 0-9 _ -)", SECRET_ENV)
        return cls(config)

    def __init__(self, config: TelegramConfig | None) -> None:
        self.config = config
        self._bot: Any = None
        self.background = BackgroundTasks()
        self.tokens = PayloadTokens(ExpiringStore("telegram-buttons", redis_url_from_env()), CALLBACK_DATA_MAX_BYTES)

    @property
    def enabled(self) -> bool:
        return self.config is not None

    def bot(self) -> Any:
        if self._bot is None:
            assert self.config is not None
            self._bot = make_bot(self.config)
        return self._bot

    def get_output_channel(self) -> OutputChannel | None:
        return TelegramOutput(self.bot(), self.tokens) if self.enabled else None

    def output_for(self, chat_id: int) -> TelegramOutput:
        return TelegramOutput(self.bot(), self.tokens, chat_id=chat_id)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("sen_telegram_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            if not self.enabled:
                return error_response(503, "The Telegram channel is not configured.")
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            return await self.receive(request, on_new_message)

        @webhook.listener("after_server_stop")
        async def close(app: Any, loop: Any) -> None:
            await self.close()

        return webhook

    async def close(self) -> None:
        self.background.cancel_all()
        if self._bot is not None:
            try:
                await self._bot.request.shutdown()  # the bot is never initialize()d, so close its HTTP client directly
            except Exception:  # noqa: BLE001
                pass
        await self.tokens.store.close()

    def authorised(self, header: str | None) -> int | None:
        """None if the secret header is right, else the status to refuse with."""
        if not header:
            return 401
        assert self.config is not None
        if not hmac.compare_digest(header.encode("utf-8"), self.config.secret.encode("utf-8")):
            return 403
        return None

    async def receive(self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> HTTPResponse:
        if not self.enabled:
            return error_response(503, "The Telegram channel is not configured.")
        refused = self.authorised(request.headers.get(SECRET_HEADER))
        if refused:
            return error_response(refused, "Unauthorised." if refused == 401 else "Forbidden.")
        body = request.body or b""
        if len(body) > MAX_BODY_BYTES:
            return error_response(413, "Too large.")
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return error_response(400, "The body must be a Telegram update (JSON).")
        if not isinstance(data, dict):
            return error_response(400, "The body must be a Telegram update (JSON object).")

        from telegram import Update

        try:
            update = Update.de_json(data, self.bot())
        except Exception as error:  # noqa: BLE001 - a shape we can't read: acknowledge, ignore
            logger.warning("telegram: an update could not be read (%s); ignored", type(error).__name__)
            return response.json({"ok": True})
        if update is not None:
            self.spawn(self.handle_update(update, on_new_message))
        return response.json({"ok": True})

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        self.background.spawn(coroutine)

    async def _answer_callback(self, query: Any, text: str | None = None) -> None:
        try:
            await self.bot().answer_callback_query(query.id, text=text)
        except Exception as error:  # noqa: BLE001 - the press is still handled
            logger.warning("telegram: answering a button press failed (%s)", type(error).__name__)

    async def handle_update(self, update: Any, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        from telegram.constants import ChatType

        try:
            text: str | None
            if update.callback_query is not None:
                query = update.callback_query
                chat = query.message.chat if query.message is not None else None
                user = query.from_user
                payload = await self.tokens.decode(query.data or "") if query.data else None
                if chat is None or user is None or chat.type != ChatType.PRIVATE:
                    await self._answer_callback(query)
                    return
                if payload is None:
                    await self._answer_callback(query, EXPIRED_BUTTON_TEXT)
                    return
                await self._answer_callback(query)
                text = payload
            else:
                message = update.message or update.edited_message
                if message is None:
                    return  # channel posts, polls, membership changes...: nothing to answer
                user, chat = message.from_user, message.chat
                if user is None or user.is_bot:
                    return
                if chat.type != ChatType.PRIVATE:
                    if message.text or message.effective_attachment is not None:
                        await self.output_for(chat.id).send_response("", dict(PRIVATE_ONLY_REPLY))
                    return
                if message.text is None:
                    if message.effective_attachment is not None:
                        await self.output_for(chat.id).send_response("", dict(MEDIA_REPLY))
                    return  # service messages
                text = command_as_text(message.text)

            await self.deliver(Identity(self.name(), str(user.id)), chat.id, text, on_new_message)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - never a traceback with a parent's text in the log
            logger.error("telegram: handling an update failed (%s)", type(error).__name__)

    async def deliver(
        self, identity: Identity, chat_id: int, text: str, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> None:
        output = self.output_for(chat_id)
        inbound = prepare(identity, text)
        if not inbound.needs_rasa:
            for reply in inbound.direct_replies:
                await output.send_response(inbound.sender_id, dict(reply))
            return
        try:
            await on_new_message(
                UserMessage(inbound.text, output, inbound.sender_id, input_channel=self.name(), metadata=inbound.metadata)
            )
        except Exception as error:  # noqa: BLE001
            logger.error("telegram: the assistant failed to handle a message (%s)", type(error).__name__)
            await output.send_response(inbound.sender_id, dict(FAILURE_REPLY))
