"""Fixtures for the Telegram and WhatsApp channel tests.

One real Rasa server (with the real action server and trained model) serves every channel
test: it is started once per session with the channels' tokens and secrets in its
environment and the API base URLs pointing at the local stand-ins of Telegram's Bot API and
Meta's Graph API (tests/channels/standins.py), which record what a parent would have been sent.
All tokens, secrets and numbers here are made up for the tests.
"""

from __future__ import annotations

import itertools
import time
import json
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.channels.standins import BotApiStandIn, GraphApiStandIn
from tests.conftest import RasaServer, start_rasa_server, stop_process

TELEGRAM_TOKEN = "123456:TEST-telegram-token-not-real_xyz"
TELEGRAM_SECRET = "test-webhook-secret_Abc123"
WHATSAPP_ACCESS_TOKEN = "EAAtest-access-token-not-real"
WHATSAPP_PHONE_NUMBER_ID = "100200300400500"
WHATSAPP_APP_SECRET = "test-app-secret-0f1e2d3c4b5a"
WHATSAPP_VERIFY_TOKEN = "test-verify-token-xyz789"

SECRETS = (TELEGRAM_TOKEN, TELEGRAM_SECRET, WHATSAPP_ACCESS_TOKEN, WHATSAPP_APP_SECRET, WHATSAPP_VERIFY_TOKEN)

_ids = itertools.count(1)


def unique_number(base: int) -> int:
    """A user id / number suffix no other test in the session uses."""
    return base + next(_ids)


@pytest.fixture(scope="session")
def bot_api() -> Iterator[BotApiStandIn]:
    standin = BotApiStandIn(TELEGRAM_TOKEN).start()
    yield standin
    standin.stop()


@pytest.fixture(scope="session")
def graph_api() -> Iterator[GraphApiStandIn]:
    standin = GraphApiStandIn(WHATSAPP_ACCESS_TOKEN, WHATSAPP_PHONE_NUMBER_ID).start()
    yield standin
    standin.stop()


def channel_environment(bot_api: BotApiStandIn, graph_api: GraphApiStandIn) -> dict[str, str]:
    return {
        "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
        "TELEGRAM_API_BASE_URL": f"{bot_api.url}/bot",
        "WHATSAPP_ACCESS_TOKEN": WHATSAPP_ACCESS_TOKEN,
        "WHATSAPP_PHONE_NUMBER_ID": WHATSAPP_PHONE_NUMBER_ID,
        "WHATSAPP_APP_SECRET": WHATSAPP_APP_SECRET,
        "WHATSAPP_VERIFY_TOKEN": WHATSAPP_VERIFY_TOKEN,
        "WHATSAPP_API_BASE_URL": graph_api.base_url,
        "REDIS_URL": "",  # de-duplication in memory here; the Redis path has its own test
        "PYTHONUNBUFFERED": "1",
    }


@pytest.fixture(scope="session")
def channel_server(trained_model, action_server, bot_api, graph_api) -> Iterator[RasaServer]:
    server = start_rasa_server(trained_model, action_server.url, env=channel_environment(bot_api, graph_api), name="channels")
    yield server
    stop_process(server.process)


def server_log(server: RasaServer) -> Path:
    """The Rasa server's log file (tests/conftest.py writes it next to the tracker database)."""
    return server.tracker_db.with_name(server.tracker_db.name.replace("-tracker.db", ".log"))


def post(url: str, body: bytes, headers: dict[str, str] | None = None, method: str = "POST", timeout: float = 30) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body if method == "POST" else None, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            return reply.status, reply.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def get(url: str, timeout: float = 30) -> tuple[int, str]:
    return post(url, b"", method="GET", timeout=timeout)


def tracker(server: RasaServer, sender_id: str) -> dict[str, Any]:
    status, body = get(f"{server.base_url}/conversations/{urllib.parse.quote(sender_id, safe=':')}/tracker")
    assert status == 200, body
    return json.loads(body)


def user_events(server: RasaServer, sender_id: str) -> list[dict[str, Any]]:
    return [event for event in tracker(server, sender_id)["events"] if event.get("event") == "user"]


def last_topic(server: RasaServer, sender_id: str, timeout: float = 10) -> str | None:
    """custom.topic of the last bot message in the conversation (the contract in knowledge/topics.yml).

    Replies reach the channel before Rasa saves the turn, so this waits for the saved turn.
    """
    deadline = time.monotonic() + timeout
    while True:
        events = tracker(server, sender_id)["events"]
        finished = events and events[-1].get("event") == "action" and events[-1].get("name") == "action_listen"
        if finished or time.monotonic() > deadline:
            for event in reversed(events):
                if event.get("event") == "bot":
                    topic = ((event.get("data") or {}).get("custom") or {}).get("topic")
                    if topic:
                        return topic
            return None
        time.sleep(0.2)
