"""The REST channel (/webhooks/rest/webhook), hardened: for development, tests and evaluation.

Same URL and JSON as Rasa's own RestInput, but malformed input gets a 400 with a plain
message instead of a stack trace, the conversation id is namespaced (`rest:<sender>`) so
a REST client can never act as a Telegram or WhatsApp user, client metadata is ignored,
and in production (SEN_ENV=production) it is off unless ENABLE_REST_CHANNEL=true.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.http import error_response, read_message_body
from bot.channels.inbound import prepare
from bot.security.identity import Identity

logger = logging.getLogger(__name__)

MAX_SENDER_CHARS = 128


def rest_enabled() -> bool:
    default = "false" if os.environ.get("SEN_ENV", "").lower() == "production" else "true"
    return (os.environ.get("ENABLE_REST_CHANNEL") or default).lower() in {"1", "true", "yes", "on"}


def parse_body(request: Request) -> tuple[str, Any] | HTTPResponse:
    """The (sender, message) of a request, or the 4xx response to send back."""
    body = read_message_body(request, '{"sender": "id", "message": "text"}')
    if isinstance(body, HTTPResponse):
        return body
    sender = body.get("sender")
    if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER_CHARS:
        return error_response(400, f"'sender' must be a string of 1 to {MAX_SENDER_CHARS} characters.")
    return sender.strip(), body.get("message")


class SafeRestInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("sen_rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            if not rest_enabled():
                return error_response(404, "Not found.")
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not rest_enabled():
                return error_response(404, "Not found.")
            parsed = parse_body(request)
            if isinstance(parsed, HTTPResponse):
                return parsed
            sender, message = parsed
            inbound = prepare(Identity(self.name(), sender), message)
            if not inbound.needs_rasa:
                return response.json([{"recipient_id": inbound.sender_id, **reply} for reply in inbound.direct_replies])
            collector = CollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(inbound.text, collector, inbound.sender_id, input_channel=self.name(), metadata=inbound.metadata)
                )
            except Exception:  # never a stack trace in the reply, never the text in the log
                logger.exception("rest channel: handling a message failed")
                return error_response(500, "Sorry, something went wrong. Please try again in a moment.")
            return response.json(collector.messages)

        return webhook
