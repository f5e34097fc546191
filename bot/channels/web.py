"""The website chat widget's channel (/webhooks/web/...): serves the widget and talks to it.

- GET  widget.js, widget.css   the widget itself (one script tag on any page, see docs/widget.md)
- GET  demo, demo.css          a demo page about a fictional school, with a strict CSP
- POST session                 a new conversation: a random server-side session id, signed into
                               a token the widget keeps in the browser's sessionStorage
- POST message                 {"session": token, "message": text} -> the replies, as a JSON list
                               (text, buttons, custom), like the REST channel but without ids

The session id is the web user id: the conversation is `web:<session id>`, so a web visitor can
never reach a Telegram, WhatsApp or REST conversation, and a forged or missing token gets a 401.
Tokens are stateless (HMAC with a key derived from SEN_SECRET_KEY) and expire after
WEB_SESSION_MAX_AGE seconds (default 12 hours); the widget then asks for a new one.
The transcript is kept by the widget (sessionStorage), not served back: there is no history route.
Message text is never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
import time
from pathlib import Path
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.inbound import prepare
from bot.channels.http import error_response, read_message_body
from bot.security.identity import Identity
from bot.security.keys import MissingSecretKey, derived_key

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
TOKEN_PURPOSE = "web-session-v1"
DEFAULT_MAX_AGE = 12 * 60 * 60
_SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{32}$")
_TOKEN = re.compile(r"^v1\.([A-Za-z0-9_-]{32})\.([0-9]{1,12})\.([0-9a-f]{64})$")
_MAX_TOKEN_CHARS = 200

# (file name, content type, Cache-Control). Nothing else under static/ is served.
ASSETS = {
    "widget.js": ("application/javascript; charset=utf-8", "public, max-age=300"),
    "widget.css": ("text/css; charset=utf-8", "public, max-age=300"),
    "demo.css": ("text/css; charset=utf-8", "public, max-age=300"),
}

COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

# The demo page runs only the widget from this server: no inline script or style anywhere.
DEMO_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def max_age() -> int:
    try:
        return max(60, int(os.environ.get("WEB_SESSION_MAX_AGE") or DEFAULT_MAX_AGE))
    except ValueError:
        return DEFAULT_MAX_AGE


def _mac(session_id: str, issued: int) -> str:
    return hmac.new(derived_key(TOKEN_PURPOSE), f"{session_id}.{issued}".encode("ascii"), hashlib.sha256).hexdigest()


def new_session(now: float | None = None) -> tuple[str, str]:
    """(session id, token). Raises MissingSecretKey when the server has no secret."""
    session_id = secrets.token_urlsafe(24)
    issued = int(now if now is not None else time.time())
    return session_id, f"v1.{session_id}.{issued}.{_mac(session_id, issued)}"


def session_from_token(token: Any, now: float | None = None) -> str | None:
    """The session id a token was issued for, or None if it is missing, forged or expired."""
    if not isinstance(token, str) or len(token) > _MAX_TOKEN_CHARS:
        return None
    match = _TOKEN.match(token)
    if not match:
        return None
    session_id, issued_text, signature = match.groups()
    issued = int(issued_text)
    current = now if now is not None else time.time()
    if not (current - max_age() <= issued <= current + 30):
        return None
    try:
        expected = _mac(session_id, issued)
    except MissingSecretKey:
        return None
    return session_id if hmac.compare_digest(expected, signature) else None


def parse_message_body(request: Request) -> tuple[Any, Any] | HTTPResponse:
    """The (token, message) of a POST /message, or the 4xx response to send back."""
    body = read_message_body(request, '{"session": "token", "message": "text"}')
    if isinstance(body, HTTPResponse):
        return body
    return body.get("session"), body.get("message")


def _button(button: Any) -> dict[str, str] | None:
    if not isinstance(button, dict):
        return None
    title, payload = button.get("title"), button.get("payload")
    if not isinstance(title, str) or not isinstance(payload, str):
        return None
    return {"title": title, "payload": payload}


def for_widget(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the widget needs of each reply: text, buttons and custom (no recipient ids)."""
    out = []
    for message in messages:
        item: dict[str, Any] = {}
        if isinstance(message.get("text"), str):
            item["text"] = message["text"]
        buttons = [b for b in (_button(b) for b in message.get("buttons") or []) if b]
        if buttons:
            item["buttons"] = buttons
        if isinstance(message.get("custom"), dict):
            item["custom"] = message["custom"]
        if item:
            out.append(item)
    return out


def _asset(name: str, request: Request) -> HTTPResponse:
    content_type, cache = ASSETS[name]
    body = (STATIC_DIR / name).read_bytes()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {
        **COMMON_HEADERS,
        "Cache-Control": cache,
        "ETag": etag,
        # Embedded on other sites (possibly with Cross-Origin-Embedder-Policy).
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    if request.headers.get("if-none-match") == etag:
        return response.raw(b"", status=304, headers=headers)
    return response.raw(body, content_type=content_type, headers=headers)


def _json(payload: Any, status: int = 200) -> HTTPResponse:
    return response.json(payload, status=status, headers={**COMMON_HEADERS, "Cache-Control": "no-store"})


class WebChatInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "web"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        web = Blueprint("sen_web_widget", __name__)

        @web.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return _json({"status": "ok"})

        @web.route("/widget.js", methods=["GET"])
        async def widget_js(request: Request) -> HTTPResponse:
            return _asset("widget.js", request)

        @web.route("/widget.css", methods=["GET"])
        async def widget_css(request: Request) -> HTTPResponse:
            return _asset("widget.css", request)

        @web.route("/demo.css", methods=["GET"])
        async def demo_css(request: Request) -> HTTPResponse:
            return _asset("demo.css", request)

        @web.route("/demo", methods=["GET"])
        async def demo(request: Request) -> HTTPResponse:
            body = (STATIC_DIR / "demo.html").read_text(encoding="utf-8")
            return response.html(
                body,
                headers={
                    **COMMON_HEADERS,
                    "Content-Security-Policy": DEMO_CSP,
                    "X-Frame-Options": "DENY",
                    "Cache-Control": "no-cache",
                },
            )

        @web.route("/session", methods=["POST"])
        async def session(request: Request) -> HTTPResponse:
            try:
                _, token = new_session()
            except MissingSecretKey:
                logger.error("web channel: SEN_SECRET_KEY is not set, so no chat sessions can be issued")
                return error_response(503, "The chat is not available right now. Please try again later.")
            return _json({"session": token, "expires_in": max_age()})

        @web.route("/message", methods=["POST"])
        async def message(request: Request) -> HTTPResponse:
            parsed = parse_message_body(request)
            if isinstance(parsed, HTTPResponse):
                return parsed
            token, text = parsed
            session_id = session_from_token(token)
            if session_id is None:
                return error_response(401, "Your chat session has ended or is not valid. Please start a new one.")
            inbound = prepare(Identity(self.name(), session_id), text)
            if not inbound.needs_rasa:
                return _json(for_widget(inbound.direct_replies))
            collector = CollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(inbound.text, collector, inbound.sender_id, input_channel=self.name(), metadata=inbound.metadata)
                )
            except Exception:  # never a stack trace in the reply, never the text in the log
                logger.exception("web channel: handling a message failed")
                return error_response(500, "Sorry, something went wrong. Please try again in a moment.")
            return _json(for_widget(collector.messages))

        return web
