"""Several Rasa instances behind a load balancer: one PostgreSQL tracker store, one Redis lock store.

Needs TEST_POSTGRES_URL and TEST_REDIS_URL (skipped with a message outside CI, required in CI).
"""

from __future__ import annotations

import concurrent.futures
import json
import urllib.parse
import urllib.request
import uuid

import pytest

from tests.conftest import post_json, require_service, start_rasa_server, stop_process, topic_of

pytestmark = [pytest.mark.server, pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture(scope="module")
def tracker_database():
    import psycopg2

    base = require_service("PostgreSQL", "TEST_POSTGRES_URL")
    require_service("Redis", "TEST_REDIS_URL")
    name = f"sen_tracker_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(base)
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    parts = urllib.parse.urlsplit(base)
    yield urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))
    admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture(scope="module")
def two_instances(trained_model, action_server, tracker_database):
    redis = urllib.parse.urlsplit(require_service("Redis", "TEST_REDIS_URL"))
    env = {
        "TRACKER_STORE_URL": tracker_database,
        "LOCK_STORE_TYPE": "redis",
        "REDIS_HOST": redis.hostname or "127.0.0.1",
        "REDIS_PORT": str(redis.port or 6379),
    }
    servers = []
    try:
        for name in ("instance-a", "instance-b"):
            servers.append(start_rasa_server(trained_model, action_server.url, env=env, name=name))
        yield servers
    finally:
        for server in servers:
            stop_process(server.process)


def test_a_conversation_carries_on_across_instances(two_instances):
    from bot.knowledge import load_knowledge_base

    a, b = two_instances
    first = post_json(a.webhook, {"sender": "lb-1", "message": "what does a senco do"})[1]
    assert topic_of(first) == "senco_role"
    more = post_json(b.webhook, {"sender": "lb-1", "message": "tell me more"})[1]
    assert topic_of(more) == "senco_role"
    assert more[0]["text"] == load_knowledge_base().get("senco_role").more


def test_concurrent_messages_to_one_conversation_are_handled_one_at_a_time(two_instances):
    a, b = two_instances
    messages = ["hello", "what is sen support", "thanks", "what does a senco do", "who pays for support", "bye"] * 2
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(messages)) as pool:
        results = list(pool.map(lambda pair: post_json((a, b)[pair[0] % 2].webhook, {"sender": "lb-2", "message": pair[1]}),
                                enumerate(messages)))
    assert [status for status, _ in results] == [200] * len(messages), results
    assert all(topic_of(reply) for _, reply in results), results
    with urllib.request.urlopen(f"{a.base_url}/conversations/rest:lb-2/tracker") as reply:
        events = json.loads(reply.read())["events"]
    turns = [e for e in events if e["event"] in {"user", "action"}]
    users = [i for i, e in enumerate(turns) if e["event"] == "user"]
    assert len(users) == len(messages)
    # The lock store keeps each message's turn whole: every user message is followed by
    # its actions and an action_listen before the next user message arrives.
    for start, end in zip(users, users[1:] + [len(turns)]):
        names = [e.get("name") for e in turns[start + 1:end]]
        assert names and names[-1] == "action_listen", names
        assert names.count("action_listen") == 1, names
