"""A Redis lock store that really is one lock across several Rasa instances.

Rasa 3.6's RedisLockStore keeps a ticket queue as JSON and updates it with GET then SET,
which is not atomic: two instances handling the same conversation at the same moment
can both believe they hold the lock, and one message's events are then lost when both
save the tracker (tests/test_deployment.py caught this). This store takes a per-conversation
mutex with `SET key token NX PX` and releases it only if it still holds it (a small Lua
script), so exactly one instance works on a conversation at a time. Messages waiting
for the same conversation are served as the lock frees up (not strictly first come,
first served: across instances there is no shared arrival order anyway).

Selected with LOCK_STORE_TYPE=redis (bot.config maps it to this class).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncGenerator, Optional

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

POLL_SECONDS = 0.05
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


class AtomicRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        if "port" in kwargs:
            kwargs["port"] = int(kwargs["port"])
        super().__init__(**kwargs)
        self._release = self.red.register_script(_RELEASE)

    def _mutex_key(self, conversation_id: str) -> str:
        return f"{self.key_prefix}mutex:{conversation_id}"

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = POLL_SECONDS,
    ) -> AsyncGenerator[TicketLock, None]:
        key, token = self._mutex_key(conversation_id), secrets.token_hex(16)
        deadline = time.monotonic() + lock_lifetime
        while not self.red.set(key, token, nx=True, px=int(lock_lifetime * 1000)):
            if time.monotonic() > deadline:
                raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")
            await asyncio.sleep(min(wait_time_in_seconds, POLL_SECONDS))
        try:
            yield TicketLock(conversation_id)
        finally:
            self._release(keys=[key], args=[token])
