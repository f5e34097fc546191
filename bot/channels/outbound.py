"""What every messaging channel does to a reply before a parent sees it (the other half of inbound.py).

Telegram and WhatsApp share this:
- `Reply.from_rasa` turns one Rasa bot message (text, buttons, custom.sources) into one
  thing to render, so a knowledge answer, its source links and its buttons stay together;
- `split_text` cuts long text at paragraph, line, sentence or word boundaries to fit a
  platform's limit;
- `ExpiringStore` is a small TTL store in memory, shared through Redis when REDIS_URL is set
  (several Rasa instances behind a load balancer): WhatsApp de-duplicates retried webhooks
  with it, and `PayloadTokens` maps button payloads that are too long for a platform
  (Telegram callback_data is at most 64 bytes) to short tokens and back.
Nothing here logs message text, phone numbers, tokens or secrets.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import os
import re
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable, Coroutine
from urllib.parse import urlsplit

from rasa.core.channels.channel import OutputChannel

logger = logging.getLogger(__name__)

MEDIA_REPLY = {
    "text": "Sorry, I can only read text messages. Please type your question, or type help to see what I can do.",
    "custom": {"topic": "help"},
}
FAILURE_REPLY = {
    "text": "Sorry, something went wrong on my side. Please try again in a moment.",
    "custom": {"topic": "help"},
}
MAX_SOURCES = 8


def quiet_http_client_logs() -> None:
    """httpx logs every request URL at INFO, and a Telegram Bot API URL contains the bot token."""
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)


# --- What to render ---------------------------------------------------------------------


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class SourceLink:
    title: str
    ref: str
    url: str

    def plain(self) -> str:
        label = self.title or self.url
        return f"{label} ({self.ref})" if self.ref else label


@dataclass
class Reply:
    text: str = ""
    buttons: list[Button] = field(default_factory=list)
    sources: list[SourceLink] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.text.strip() or self.buttons or self.sources)

    @classmethod
    def from_rasa(cls, message: dict[str, Any]) -> "Reply":
        text = message.get("text") if isinstance(message.get("text"), str) else ""
        for key in ("image", "attachment"):
            url = safe_url(message.get(key))
            if url:
                text = f"{text}\n\n{url}" if text else url
        buttons: list[Button] = []
        seen: set[str] = set()
        for raw in list(message.get("buttons") or []) + list(message.get("quick_replies") or []):
            if not isinstance(raw, dict):
                continue
            title = raw.get("title") if isinstance(raw.get("title"), str) else ""
            payload = raw.get("payload") if isinstance(raw.get("payload"), str) else ""
            title, payload = title.strip(), payload.strip() or title.strip()
            if title and payload and payload not in seen:
                seen.add(payload)
                buttons.append(Button(title, payload))
        custom = message.get("custom") if isinstance(message.get("custom"), dict) else {}
        return cls(text=text.strip(), buttons=buttons, sources=sources_of(custom))


def safe_url(value: Any) -> str | None:
    """The URL if it is a plain http(s) link (nothing a client could run or mis-render)."""
    if not isinstance(value, str) or len(value) > 2000 or re.search(r"[\s<>\"'`\x00-\x1f\x7f]", value):
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme not in {"https", "http"} or not parts.netloc:
        return None
    return value


def sources_of(custom: dict[str, Any]) -> list[SourceLink]:
    out: list[SourceLink] = []
    seen: set[tuple[str, str]] = set()
    for raw in custom.get("sources") or []:
        if not isinstance(raw, dict):
            continue
        url = safe_url(raw.get("url"))
        if not url:
            continue
        title = str(raw.get("title") or "").strip()
        ref = str(raw.get("ref") or "").strip()
        if (url, ref) in seen:
            continue
        seen.add((url, ref))
        out.append(SourceLink(title=title, ref=ref, url=url))
    return out[:MAX_SOURCES]


# --- Length limits ------------------------------------------------------------------------


def utf16_len(text: str) -> int:
    """Telegram counts message length in UTF-16 code units (an emoji can count twice)."""
    return len(text.encode("utf-16-le")) // 2


_BOUNDARIES: tuple[re.Pattern[str], ...] = (
    re.compile(r"\n\s*\n"),           # paragraph
    re.compile(r"\n"),                # line
    re.compile(r"(?<=[.!?…])[\"')\]]*\s+"),  # sentence
    re.compile(r"\s+"),               # word
)


def _fits(text: str, limit: int, measure: Callable[[str], int]) -> int:
    """The largest n such that measure(text[:n]) <= limit (measure grows with n)."""
    if measure(text) <= limit:
        return len(text)
    low, high = 0, min(len(text), limit)
    while low < high:
        middle = (low + high + 1) // 2
        if measure(text[:middle]) <= limit:
            low = middle
        else:
            high = middle - 1
    return low


def split_text(text: str, limit: int, measure: Callable[[str], int] = len) -> list[str]:
    """`text` in pieces of at most `limit` (as `measure` counts), cut at the best boundary.

    Paragraph breaks are preferred, then line breaks, sentence ends and spaces; a boundary
    is only used if it keeps at least half of the room, so no piece is needlessly short.
    A single word longer than the limit is cut where it must be.
    """
    text = text.strip()
    pieces: list[str] = []
    while text:
        room = _fits(text, limit, measure)
        if room >= len(text):
            pieces.append(text)
            break
        window = text[: room + 1]  # a boundary right after the last character that fits counts
        cut = 0
        for boundary in _BOUNDARIES:
            ends = [m.start() for m in boundary.finditer(window) if m.start() > 0]
            if ends and ends[-1] >= room // 2:
                cut = ends[-1]
                break
        if cut <= 0:
            cut = max(1, room)
        head, text = text[:cut].rstrip(), text[cut:].lstrip()
        if head:
            pieces.append(head)
    return pieces


def shorten(title: str, limit: int) -> str:
    """`title` cut to `limit` characters at a word boundary, with an ellipsis if cut."""
    title = " ".join(title.split())
    if len(title) <= limit:
        return title
    cut = title[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,.;:-") + "…"


def unique_titles(titles: list[str], limit: int) -> list[str]:
    """Shortened titles, made distinct (WhatsApp refuses two reply buttons with one title)."""
    out: list[str] = []
    for title in titles:
        candidate = shorten(title, limit)
        number = 2
        while candidate in out:
            suffix = f" {number}"
            candidate = shorten(title, limit - len(suffix)) + suffix
            number += 1
        out.append(candidate)
    return out


# --- A small store with expiry, in memory or shared through Redis -----------------------


class ExpiringStore:
    """Keys with a time to live: bounded in memory, or shared through Redis when a URL is given.

    If Redis is unreachable the store falls back to memory (a retried message might then be
    answered twice on two instances, which is better than not answering at all).
    """

    def __init__(self, namespace: str, redis_url: str | None = None, max_items: int = 10_000) -> None:
        self.namespace = namespace
        self.redis_url = redis_url or None
        self.max_items = max_items
        self._memory: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._redis: Any = None
        self._redis_failed_at = 0.0

    # memory
    def _purge(self, now: float) -> None:
        for key in [key for key, (expires, _) in self._memory.items() if expires <= now]:
            del self._memory[key]
        while len(self._memory) > self.max_items:
            self._memory.popitem(last=False)

    def _memory_get(self, key: str, now: float) -> str | None:
        item = self._memory.get(key)
        if item is None or item[0] <= now:
            return None
        return item[1]

    def _memory_put(self, key: str, value: str, ttl: float, now: float) -> None:
        self._memory[key] = (now + ttl, value)
        self._memory.move_to_end(key)
        if len(self._memory) > self.max_items or len(self._memory) % 256 == 0:
            self._purge(now)

    # redis
    def _client(self) -> Any:
        if not self.redis_url or (self._redis_failed_at and time.monotonic() - self._redis_failed_at < 30):
            return None
        if self._redis is None:
            import redis.asyncio as redis_asyncio

            self._redis = redis_asyncio.from_url(self.redis_url, socket_timeout=2, socket_connect_timeout=2)
        return self._redis

    def _redis_error(self, error: Exception) -> None:
        self._redis_failed_at = time.monotonic()
        # the URL may hold a password: only the kind of error is logged
        logger.warning("%s: Redis unavailable (%s); using this instance's memory for now", self.namespace, type(error).__name__)

    def _key(self, key: str) -> str:
        return f"sen:{self.namespace}:{key}"

    async def add_if_new(self, key: str, ttl: float) -> bool:
        """Remember `key` for `ttl` seconds; False if it was already remembered (a duplicate)."""
        client = self._client()
        if client is not None:
            try:
                return bool(await client.set(self._key(key), "1", nx=True, ex=max(1, int(ttl))))
            except Exception as error:  # noqa: BLE001 - any Redis failure falls back to memory
                self._redis_error(error)
        now = time.monotonic()
        if self._memory_get(key, now) is not None:
            return False
        self._memory_put(key, "1", ttl, now)
        return True

    async def put(self, key: str, value: str, ttl: float) -> None:
        self._memory_put(key, value, ttl, time.monotonic())
        client = self._client()
        if client is not None:
            try:
                await client.set(self._key(key), value, ex=max(1, int(ttl)))
            except Exception as error:  # noqa: BLE001
                self._redis_error(error)

    async def get(self, key: str) -> str | None:
        value = self._memory_get(key, time.monotonic())
        if value is not None:
            return value
        client = self._client()
        if client is not None:
            try:
                raw = await client.get(self._key(key))
            except Exception as error:  # noqa: BLE001
                self._redis_error(error)
                return None
            if raw is not None:
                return raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
        return None

    async def close(self) -> None:
        if self._redis is not None:
            try:
                await self._redis.close()
            except Exception:  # noqa: BLE001
                pass
            self._redis = None


def redis_url_from_env() -> str | None:
    return os.environ.get("REDIS_URL") or None


class PayloadTokens:
    """Button payloads that fit a platform's limit go as they are; longer ones as a short token.

    A token is a hash of the payload (the same payload always gets the same token), kept for
    `ttl` seconds. A token that is no longer known decodes to None: the channel then asks
    the parent to type their question.
    """

    PREFIX = "~t:"

    def __init__(self, store: ExpiringStore, max_bytes: int, ttl: float = 30 * 24 * 3600) -> None:
        self.store = store
        self.max_bytes = max_bytes
        self.ttl = ttl

    def needs_token(self, payload: str) -> bool:
        return len(payload.encode("utf-8")) > self.max_bytes or payload.startswith(self.PREFIX)

    async def encode(self, payload: str) -> str:
        if not self.needs_token(payload):
            return payload
        digest = hashlib.sha256(payload.encode("utf-8")).digest()[:15]
        token = self.PREFIX + base64.urlsafe_b64encode(digest).decode("ascii")
        await self.store.put(token, payload, self.ttl)
        return token

    async def decode(self, data: str) -> str | None:
        if not data.startswith(self.PREFIX):
            return data
        return await self.store.get(data)


class ReplyOutputChannel(OutputChannel):
    """An output channel that renders each Rasa message as one `Reply` in `send_response`.

    Rasa calls the send_* methods one by one for a message's parts; they all come back here
    as a message dict, so each channel writes only `send_response`.
    """

    def user_id_in(self, recipient_id: str) -> str:
        """The channel's own user id in a conversation id `<channel>:<user id>` ("" if it is not one)."""
        prefix = f"{self.name()}:"
        return recipient_id[len(prefix):] if recipient_id.startswith(prefix) else ""

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text})

    async def send_text_with_buttons(self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text, "buttons": buttons})

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"custom": json_message})


class BackgroundTasks:
    """Replies handled after the webhook has answered 200, kept so they can be cancelled on shutdown."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task] = set()

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def cancel_all(self) -> None:
        for task in list(self._tasks):
            task.cancel()
