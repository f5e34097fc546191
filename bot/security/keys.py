"""The server secret (SEN_SECRET_KEY). Never logged, never sent to a client.

Both processes (Rasa server and action server) must see the same value. `make run`
creates one under SEN_DATA_DIR on first start in development; production must set it.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

ENV_NAME = "SEN_SECRET_KEY"


class MissingSecretKey(RuntimeError):
    pass


def secret_key() -> bytes:
    value = os.environ.get(ENV_NAME, "")
    if len(value) < 32:
        raise MissingSecretKey(f"{ENV_NAME} must be set to at least 32 random characters")
    return value.encode("utf-8")


def derived_key(purpose: str) -> bytes:
    """A separate 32-byte key per purpose, so one use can never be mistaken for another."""
    return hashlib.sha256(secret_key() + b"\x00" + purpose.encode("ascii")).digest()


def ensure_local_secret(data_dir: Path) -> str:
    """Development only: read or create data_dir/secret.key (mode 0600)."""
    path = data_dir / "secret.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
    return path.read_text(encoding="utf-8").strip()
