"""Local stand-ins for Telegram's Bot API and Meta's Graph API: TEST DOUBLES ONLY.

They stand in for Telegram's and Meta's servers in the tests, so the channels can be tested
without the internet, real tokens or real phone numbers. Each is a small aiohttp server on a
free port on 127.0.0.1, running in its own thread, that implements just the calls the
channels make and records every call, so a test can assert on exactly what a parent would
have been sent. They are not a faithful copy of either API and are never used outside tests.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import parse_qsl

from aiohttp import web

JSON_FIELDS = {"reply_markup", "link_preview_options", "entities", "allowed_updates", "reply_parameters"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float


class _StandIn:
    """An aiohttp app served from a background thread; calls recorded under a lock."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._condition = threading.Condition()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    def app(self) -> web.Application:
        raise NotImplementedError

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "_StandIn":
        ready = threading.Event()
        failure: list[BaseException] = []

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                self._runner = web.AppRunner(self.app(), access_log=None)
                loop.run_until_complete(self._runner.setup())
                site = web.TCPSite(self._runner, "127.0.0.1", 0)
                loop.run_until_complete(site.start())
                self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            except BaseException as error:  # noqa: BLE001
                failure.append(error)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=serve, name=type(self).__name__, daemon=True)
        self._thread.start()
        ready.wait(10)
        if failure:
            raise failure[0]
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def record(self, method: str, params: dict[str, Any]) -> None:
        with self._condition:
            self.calls.append(Call(method, params, time.monotonic()))
            self._condition.notify_all()

    def mark(self) -> int:
        """A bookmark: pass it as `after` to look only at calls made from now on."""
        with self._condition:
            return len(self.calls)

    def find(self, predicate: Callable[[Call], bool], after: int = 0) -> list[Call]:
        with self._condition:
            return [call for call in self.calls[after:] if predicate(call)]

    def wait(self, predicate: Callable[[Call], bool], after: int = 0, count: int = 1, timeout: float = 30, settle: float = 0.3) -> list[Call]:
        """The matching calls once there are at least `count` and none came for `settle` seconds."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while True:
                found = [call for call in self.calls[after:] if predicate(call)]
                now = time.monotonic()
                if len(found) >= count and now - found[-1].at >= settle:
                    return found
                if now >= deadline:
                    if len(found) >= count:
                        return found
                    raise AssertionError(f"{type(self).__name__}: expected {count} matching call(s) in {timeout} s, got {len(found)}")
                wait_for = settle - (now - found[-1].at) if len(found) >= count else deadline - now
                self._condition.wait(max(0.05, min(wait_for, deadline - now)))


class BotApiStandIn(_StandIn):
    """A stand-in for Telegram's Bot API server (https://api.telegram.org/bot<token>/<method>).

    Point python-telegram-bot at it with base_url=f"{standin.url}/bot". Implements getMe,
    sendMessage, answerCallbackQuery, getUpdates (from `queue_update`), getWebhookInfo,
    deleteWebhook, setWebhook and sendChatAction. A wrong token gets Telegram's 401; a chat id
    in `blocked_chats` gets Telegram's 403 "bot was blocked by the user".
    """

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token
        self.blocked_chats: set[int] = set()
        self.webhook_url = ""
        self._updates: list[dict[str, Any]] = []
        self._message_ids = itertools.count(1000)

    def queue_update(self, update: dict[str, Any]) -> None:
        with self._condition:
            self._updates.append(update)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self.handle)
        return app

    @staticmethod
    def _ok(result: Any) -> web.Response:
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def _fail(status: int, description: str) -> web.Response:
        return web.json_response({"ok": False, "error_code": status, "description": description}, status=status)

    async def _params(self, request: web.Request) -> dict[str, Any]:
        raw = await request.read()
        if request.content_type == "application/json":
            params = json.loads(raw or b"{}")
        else:
            params = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
            params.update({key: value for key, value in request.query.items()})
        for key in JSON_FIELDS & params.keys():
            if isinstance(params[key], str):
                params[key] = json.loads(params[key])
        return params

    async def handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._fail(401, "Unauthorized")
        method = request.match_info["method"]
        params = await self._params(request)
        self.record(method, params)
        if method == "getMe":
            return self._ok({"id": 999000, "is_bot": True, "first_name": "SEN support (stand-in)", "username": "sen_standin_bot",
                             "can_join_groups": False, "can_read_all_group_messages": False, "supports_inline_queries": False})
        if method == "sendMessage":
            chat_id = int(params["chat_id"])
            if chat_id in self.blocked_chats:
                return self._fail(403, "Forbidden: bot was blocked by the user")
            text = params.get("text") or ""
            if not text.strip():
                return self._fail(400, "Bad Request: message text is empty")
            result = {"message_id": next(self._message_ids), "date": int(time.time()),
                      "chat": {"id": chat_id, "type": "private"}, "text": text,
                      "from": {"id": 999000, "is_bot": True, "first_name": "SEN support (stand-in)"}}
            if params.get("reply_markup"):
                result["reply_markup"] = params["reply_markup"]
            return self._ok(result)
        if method in {"answerCallbackQuery", "sendChatAction", "deleteWebhook"}:
            if method == "deleteWebhook":
                self.webhook_url = ""
            return self._ok(True)
        if method == "setWebhook":
            self.webhook_url = params.get("url", "")
            return self._ok(True)
        if method == "getWebhookInfo":
            return self._ok({"url": self.webhook_url, "has_custom_certificate": False, "pending_update_count": 0})
        if method == "getUpdates":
            offset = int(params.get("offset") or 0)
            with self._condition:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
                batch = list(self._updates)
            return self._ok(batch)
        return self._fail(404, "Not Found")

    # what a parent saw
    def sent_to(self, chat_id: int, after: int = 0, count: int = 1, timeout: float = 30) -> list[dict[str, Any]]:
        """The sendMessage calls to `chat_id` (waiting for at least `count`)."""
        calls = self.wait(lambda c: c.method == "sendMessage" and int(c.params.get("chat_id", 0)) == chat_id, after, count, timeout)
        return [call.params for call in calls]


class GraphApiStandIn(_StandIn):
    """A stand-in for Meta's Graph API (https://graph.facebook.com/v19.0/<phone number id>/messages).

    Records every message POSTed with the right bearer token and answers as the Cloud API
    does; a wrong token gets the OAuth error (401); a number in `failing_numbers` gets a 400.
    """

    def __init__(self, access_token: str, phone_number_id: str, version: str = "v19.0") -> None:
        super().__init__()
        self.access_token = access_token
        self.phone_number_id = phone_number_id
        self.version = version
        self.failing_numbers: set[str] = set()
        self._ids = itertools.count(1)

    @property
    def base_url(self) -> str:
        return f"{self.url}/{self.version}"

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/{version}/{phone_number_id}/messages", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {self.access_token}":
            return web.json_response({"error": {"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190}}, status=401)
        if request.match_info["phone_number_id"] != self.phone_number_id or request.match_info["version"] != self.version:
            return web.json_response({"error": {"message": "Unsupported post request.", "type": "GraphMethodException", "code": 100}}, status=400)
        try:
            message = json.loads(await request.read())
        except ValueError:
            return web.json_response({"error": {"message": "Invalid JSON", "code": 100}}, status=400)
        self.record("messages", message)
        to = str(message.get("to", ""))
        if to in self.failing_numbers:
            return web.json_response({"error": {"message": "(#131030) Recipient phone number not in allowed list", "code": 131030}}, status=400)
        return web.json_response({"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}],
                                  "messages": [{"id": f"wamid.standin{next(self._ids)}"}]})

    def sent_to(self, wa_id: str, after: int = 0, count: int = 1, timeout: float = 30) -> list[dict[str, Any]]:
        calls = self.wait(lambda c: c.params.get("to") == wa_id, after, count, timeout)
        return [call.params for call in calls]


def whatsapp_signature(app_secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


# --- What Telegram and Meta would POST to the assistant's webhooks ------------------------

_update_ids = itertools.count(700_000)
_message_ids = itertools.count(1)


def telegram_user(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": "Parent", "language_code": "en"}


def telegram_chat(chat_id: int, kind: str = "private") -> dict[str, Any]:
    if kind == "private":
        return {"id": chat_id, "type": "private", "first_name": "Parent"}
    return {"id": chat_id, "type": kind, "title": "A group"}


def telegram_message(user_id: int, text: str | None = None, chat_id: int | None = None, chat_type: str = "private", **extra: Any) -> dict[str, Any]:
    """An Update with a `message` (pass edited=True for an `edited_message`)."""
    edited = extra.pop("edited", False)
    message: dict[str, Any] = {
        "message_id": next(_message_ids), "date": int(time.time()),
        "chat": telegram_chat(chat_id if chat_id is not None else user_id, chat_type),
        "from": telegram_user(user_id),
    }
    if text is not None:
        message["text"] = text
    if edited:
        message["edit_date"] = int(time.time())
    message.update(extra)
    return {"update_id": next(_update_ids), "edited_message" if edited else "message": message}


def telegram_callback(user_id: int, data: str) -> dict[str, Any]:
    """An Update with a `callback_query`: the parent pressed an inline button carrying `data`."""
    return {"update_id": next(_update_ids), "callback_query": {
        "id": f"cbq{next(_update_ids)}", "chat_instance": "42", "data": data, "from": telegram_user(user_id),
        "message": {"message_id": next(_message_ids), "date": int(time.time()), "chat": telegram_chat(user_id),
                    "from": {"id": 999000, "is_bot": True, "first_name": "SEN support (stand-in)"}, "text": "An earlier answer"},
    }}


STICKER = {"sticker": {"file_id": "CAACAgIAAxk", "file_unique_id": "AgADxk", "type": "regular", "width": 512, "height": 512,
                       "is_animated": False, "is_video": False, "emoji": "👍"}}
PHOTO = {"photo": [{"file_id": "AgACAgQAAxk", "file_unique_id": "AQADph", "width": 90, "height": 67, "file_size": 1200}]}
VOICE = {"voice": {"file_id": "AwACAgQAAxk", "file_unique_id": "AgADvo", "duration": 3, "mime_type": "audio/ogg"}}
DOCUMENT = {"document": {"file_id": "BQACAgQAAxk", "file_unique_id": "AgADdo", "file_name": "plan.pdf", "mime_type": "application/pdf"}}


_wamids = itertools.count(1)


def whatsapp_webhook(phone_number_id: str, messages: list[dict[str, Any]] | None = None,
                     statuses: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A webhook call as the WhatsApp Cloud API sends it for the `messages` field."""
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "447700900000", "phone_number_id": phone_number_id},
    }
    if messages is not None:
        value["contacts"] = [{"profile": {"name": "Parent"}, "wa_id": m["from"]} for m in messages]
        value["messages"] = messages
    if statuses is not None:
        value["statuses"] = statuses
    return {"object": "whatsapp_business_account",
            "entry": [{"id": "WHATSAPP_BUSINESS_ACCOUNT_ID", "changes": [{"value": value, "field": "messages"}]}]}


def whatsapp_message(wa_id: str, kind: str = "text", content: Any = None, message_id: str | None = None) -> dict[str, Any]:
    """One inbound message: text (content = body), button_reply / list_reply (content = (id, title)),
    or a media kind (image, audio, sticker, document, location...)."""
    message: dict[str, Any] = {"from": wa_id, "id": message_id or f"wamid.test{next(_wamids)}",
                               "timestamp": str(int(time.time()))}
    if kind == "text":
        message.update(type="text", text={"body": content})
    elif kind in {"button_reply", "list_reply"}:
        ident, title = content
        message.update(type="interactive", interactive={"type": kind, kind: {"id": ident, "title": title}})
    elif kind == "location":
        message.update(type="location", location={"latitude": 51.5, "longitude": -0.12})
    elif kind == "reaction":
        message.update(type="reaction", reaction={"message_id": "wamid.earlier", "emoji": "👍"})
    else:
        message.update(type=kind, **{kind: {"id": "1234567890", "mime_type": "image/jpeg", "sha256": "abc"}})
    return message
