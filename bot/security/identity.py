"""Who a message really came from: (channel, user id), signed by the channel that received it.

Channels put `sen_identity` into the message metadata. Actions trust only a signature that
checks out for this conversation, this text and a recent time, so a sender id typed into
the REST channel, or a slot or event forged through Rasa's HTTP API, identifies no one.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Any

from bot.security.keys import MissingSecretKey, derived_key

METADATA_KEY = "sen_identity"
MAX_AGE_SECONDS = 300
_PURPOSE = "identity-v1"


@dataclass(frozen=True)
class Identity:
    channel: str
    user_id: str

    @property
    def sender_id(self) -> str:
        """The Rasa conversation id: one conversation per channel and user."""
        return f"{self.channel}:{self.user_id}"


def _mac(sender_id: str, text: str, timestamp: int) -> str:
    message = f"{sender_id}\x00{timestamp}\x00{hashlib.sha256(text.encode('utf-8')).hexdigest()}"
    return hmac.new(derived_key(_PURPOSE), message.encode("utf-8"), hashlib.sha256).hexdigest()


def sign(identity: Identity, text: str, now: float | None = None) -> dict[str, Any]:
    timestamp = int(now if now is not None else time.time())
    return {
        "channel": identity.channel,
        "user_id": identity.user_id,
        "ts": timestamp,
        "sig": _mac(identity.sender_id, text, timestamp),
    }


def verified_identity(sender_id: str, latest_message: dict[str, Any], now: float | None = None) -> Identity | None:
    """The identity behind the latest message, or None if it can't be proved."""
    metadata = (latest_message or {}).get("metadata") or {}
    claim = metadata.get(METADATA_KEY) if isinstance(metadata, dict) else None
    if not isinstance(claim, dict):
        return None
    try:
        identity = Identity(str(claim["channel"]), str(claim["user_id"]))
        timestamp = int(claim["ts"])
        signature = str(claim["sig"])
    except (KeyError, TypeError, ValueError):
        return None
    if identity.sender_id != sender_id:
        return None
    current = now if now is not None else time.time()
    if not (current - MAX_AGE_SECONDS <= timestamp <= current + 30):
        return None
    try:
        expected = _mac(sender_id, str(latest_message.get("text") or ""), timestamp)
    except MissingSecretKey:
        return None
    return identity if hmac.compare_digest(expected, signature) else None
