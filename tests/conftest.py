"""Shared test harness.

- The model is trained once per session (and reused across sessions while its inputs are
  unchanged: bot.training names it by fingerprint).
- `agent` is the real trained Rasa agent, in-process, talking to a real action server.
- `rasa_server` is the whole stack as `make run` starts it (subprocesses), for HTTP tests.
- Services: PostgreSQL (TEST_POSTGRES_URL), Redis (TEST_REDIS_URL) and Chromium
  (CHROMIUM_PATH). Outside CI a test that needs a missing one is skipped with the reason;
  in CI (CI=true) it fails instead.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() == "true"

# One environment for the whole session, set before anything reads it.
_SESSION_DIR = Path(tempfile.mkdtemp(prefix="sen-tests-"))
os.environ.setdefault("SEN_SECRET_KEY", "test-secret-key-that-is-long-enough-0123456789")
os.environ["SEN_DATA_DIR"] = str(_SESSION_DIR / "data")
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.pop("DATABASE_URL", None)  # records go to the session's SQLite unless a test says otherwise
Path(os.environ["SEN_DATA_DIR"]).mkdir(parents=True, exist_ok=True)


def require_service(name: str, env_var: str) -> str:
    """The value of env_var, or skip (outside CI) / fail (in CI) with a clear message."""
    value = os.environ.get(env_var, "")
    if not value:
        message = f"{name} not configured: set {env_var} (see README, 'Running the tests')"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return value


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process for {url} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)
    raise TimeoutError(f"{url} did not come up in {timeout} s")


def stop_process(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def session_dir() -> Path:
    """The session's temporary folder: data (SEN_DATA_DIR) and every server's log."""
    return _SESSION_DIR


@pytest.fixture(scope="session")
def trained_model() -> Path:
    from bot.training import ensure_model

    return ensure_model(quiet=True)


@dataclass
class ActionServer:
    url: str
    process: subprocess.Popen


def start_action_server(env: dict[str, str] | None = None) -> ActionServer:
    port = free_port()
    process_env = {**os.environ, "SANIC_HOST": "127.0.0.1", **(env or {})}
    log = open(_SESSION_DIR / f"actions-{port}.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "rasa_sdk", "--actions", "bot.actions", "--port", str(port)],
        cwd=ROOT, env=process_env, stdout=log, stderr=subprocess.STDOUT,
    )
    wait_for(f"http://127.0.0.1:{port}/health", process, 120)
    return ActionServer(url=f"http://127.0.0.1:{port}/webhook", process=process)


@pytest.fixture(scope="session")
def action_server() -> Iterator[ActionServer]:
    server = start_action_server()
    yield server
    stop_process(server.process)


def assert_reply_contract(messages: list[dict]) -> None:
    """Every reply carries, in one of its messages, custom.topic from knowledge/topics.yml."""
    from bot.knowledge.store import load_topics

    topics = {topic for section in load_topics().values() for topic in section}
    topic = topic_of(messages)
    assert topic in topics, f"reply topic {topic!r} is not in knowledge/topics.yml: {messages}"


class Conversation:
    """Talks to the in-process agent exactly as a channel would (bot.channels.inbound).

    Every reply is checked against the reply contract (assert_reply_contract).
    """

    def __init__(self, agent: Any, channel: str = "rest", user_id: str | None = None) -> None:
        import uuid

        self.agent = agent
        self.channel = channel
        self.user_id = user_id or uuid.uuid4().hex[:12]

    async def say(self, text: str) -> list[dict]:
        from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

        from bot.channels.inbound import prepare
        from bot.security.identity import Identity

        inbound = prepare(Identity(self.channel, self.user_id), text)
        if not inbound.needs_rasa:
            return inbound.direct_replies
        collector = CollectingOutputChannel()
        await self.agent.handle_message(
            UserMessage(inbound.text, collector, inbound.sender_id, input_channel=self.channel, metadata=inbound.metadata)
        )
        assert_reply_contract(collector.messages)
        return collector.messages


def topic_of(messages: list[dict]) -> str | None:
    """The custom.topic of a reply (the contract in knowledge/topics.yml)."""
    for message in messages:
        topic = (message.get("custom") or {}).get("topic")
        if topic:
            return topic
    return None


def custom_of(messages: list[dict]) -> dict:
    for message in messages:
        if message.get("custom"):
            return message["custom"]
    return {}


def text_of(messages: list[dict]) -> str:
    return "\n".join(message.get("text") or "" for message in messages)


@pytest.fixture(scope="session")
async def agent(trained_model: Path, action_server: ActionServer):
    from rasa.core.agent import Agent
    from rasa.utils.endpoints import EndpointConfig

    return Agent.load(str(trained_model), action_endpoint=EndpointConfig(url=action_server.url))


@pytest.fixture
def conversation(agent) -> Conversation:
    return Conversation(agent)


@dataclass
class RasaServer:
    base_url: str
    process: subprocess.Popen
    tracker_db: Path

    @property
    def webhook(self) -> str:
        return f"{self.base_url}/webhooks/rest/webhook"


def start_rasa_server(model: Path, action_url: str, env: dict[str, str] | None = None, name: str = "rasa") -> RasaServer:
    from bot.config import Settings

    port = free_port()
    tracker_db = _SESSION_DIR / f"{name}-{port}-tracker.db"
    wanted = {**os.environ, "ACTION_ENDPOINT_URL": action_url, "TRACKER_STORE_URL": f"sqlite:///{tracker_db}", **(env or {})}
    process_env = {**wanted, **Settings.from_env(wanted).rasa_environment()}
    log = open(_SESSION_DIR / f"{name}-{port}.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "rasa", "run", "--model", str(model), "--endpoints", "endpoints.yml",
         "--credentials", "credentials.yml", "--interface", "127.0.0.1", "--port", str(port), "--enable-api"],
        cwd=ROOT, env=process_env, stdout=log, stderr=subprocess.STDOUT,
    )
    wait_for(f"http://127.0.0.1:{port}/", process, 240)
    return RasaServer(base_url=f"http://127.0.0.1:{port}", process=process, tracker_db=tracker_db)


@pytest.fixture(scope="session")
def rasa_server(trained_model: Path, action_server: ActionServer) -> Iterator[RasaServer]:
    server = start_rasa_server(trained_model, action_server.url)
    yield server
    stop_process(server.process)


def post_json(url: str, payload: Any, raw: bytes | None = None, timeout: float = 60) -> tuple[int, Any]:
    import json

    body = raw if raw is not None else json.dumps(payload).encode("utf-8")
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            return reply.status, json.loads(reply.read().decode("utf-8"))
    except urllib.error.HTTPError as error:
        text = error.read().decode("utf-8", "replace")
        try:
            return error.code, json.loads(text)
        except ValueError:
            return error.code, text
