"""What every JSON webhook of the project does with a request body, in one place."""

from __future__ import annotations

import json
from typing import Any

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

MAX_BODY_BYTES = 64 * 1024


def error_response(status: int, message: str) -> HTTPResponse:
    """A plain, calm JSON error: never a stack trace."""
    return response.json({"error": message}, status=status)


def read_message_body(request: Request, example: str) -> dict[str, Any] | HTTPResponse:
    """The JSON object of a chat request (with 'message' absent or a string), or the 4xx to send back.

    `example` shows the expected body in the 400 message, e.g. '{"sender": "id", "message": "text"}'.
    """
    if len(request.body or b"") > MAX_BODY_BYTES:
        return error_response(413, "That message is too large.")
    try:
        body = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError):
        return error_response(400, f"The request body must be JSON like {example}.")
    if not isinstance(body, dict):
        return error_response(400, "The request body must be a JSON object.")
    message = body.get("message")
    if message is not None and not isinstance(message, str):
        return error_response(400, "'message' must be a string.")
    return body
