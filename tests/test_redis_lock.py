"""The atomic Redis lock store: one holder per conversation, across store instances (= Rasa instances)."""

from __future__ import annotations

import asyncio
import urllib.parse
import uuid

import pytest

from tests.conftest import require_service

pytestmark = pytest.mark.redis


def _stores(count: int):
    from bot.stores.redis_lock import AtomicRedisLockStore

    url = urllib.parse.urlsplit(require_service("Redis", "TEST_REDIS_URL"))
    prefix = f"test{uuid.uuid4().hex[:6]}"
    return [AtomicRedisLockStore(host=url.hostname, port=url.port or 6379, db=1, key_prefix=prefix) for _ in range(count)]


async def test_only_one_instance_holds_a_conversation_at_a_time():
    stores = _stores(4)
    holders, most, log = 0, 0, []

    async def work(store, n):
        nonlocal holders, most
        async with store.lock("conv-1", lock_lifetime=10):
            holders += 1
            most = max(most, holders)
            log.append(("in", n))
            await asyncio.sleep(0.05)
            log.append(("out", n))
            holders -= 1

    await asyncio.gather(*(work(stores[i % 4], i) for i in range(12)))
    assert most == 1
    assert [kind for kind, _ in log] == ["in", "out"] * 12


async def test_a_lock_is_released_even_when_the_work_fails_and_others_are_not_blocked():
    store = _stores(1)[0]
    with pytest.raises(RuntimeError):
        async with store.lock("conv-2", lock_lifetime=10):
            raise RuntimeError("boom")
    async with store.lock("conv-2", lock_lifetime=10):
        pass
    async with store.lock("another-conversation", lock_lifetime=10):
        async with store.lock("conv-3", lock_lifetime=10):
            pass
