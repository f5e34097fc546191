"""Every setting of the assistant, read from the environment, with safe local defaults.

This module is the one place defaults live. The launcher (`bot.launcher`) exports them
before starting Rasa, so `endpoints.yml` and `credentials.yml` can refer to them as
`${NAME}`. `.env.example` documents each variable for people deploying the assistant.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


# LOCK_STORE_TYPE=redis means the project's atomic Redis lock (bot/stores/redis_lock.py):
# Rasa's own RedisLockStore can let two instances work on one conversation at once.
LOCK_STORE_CLASSES = {"redis": "bot.stores.redis_lock.AtomicRedisLockStore"}


@dataclass(frozen=True)
class Settings:
    """A snapshot of the configuration. Build it with `Settings.from_env()`."""

    environment: str
    data_dir: Path
    rasa_host: str
    rasa_port: int
    action_port: int
    action_endpoint_url: str
    tracker_store_url: str
    lock_store_type: str
    redis_host: str
    redis_port: int
    api_token: str
    enable_api: bool
    enable_rest: bool
    max_message_chars: int
    models_dir: Path
    spacy_model_dir: Path

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "Settings":
        """Settings from `environ` (default: this process's environment)."""
        source = os.environ if environ is None else environ

        def _env(name: str, default: str) -> str:
            value = source.get(name)
            return default if value is None or value == "" else value

        def _env_bool(name: str, default: bool) -> bool:
            return _env(name, "true" if default else "false").strip().lower() in {"1", "true", "yes", "on"}

        data_dir = Path(_env("SEN_DATA_DIR", str(PROJECT_ROOT / "var"))).resolve()
        environment = _env("SEN_ENV", "development").lower()
        action_port = int(_env("ACTION_SERVER_PORT", "5055"))
        return cls(
            environment=environment,
            data_dir=data_dir,
            rasa_host=_env("RASA_HOST", "127.0.0.1"),
            rasa_port=int(_env("RASA_PORT", "5005")),
            action_port=action_port,
            action_endpoint_url=_env(
                "ACTION_ENDPOINT_URL", f"http://127.0.0.1:{action_port}/webhook"
            ),
            tracker_store_url=_env("TRACKER_STORE_URL", f"sqlite:///{data_dir / 'tracker.db'}"),
            lock_store_type=_env("LOCK_STORE_TYPE", "in_memory"),
            redis_host=_env("REDIS_HOST", "127.0.0.1"),
            redis_port=int(_env("REDIS_PORT", "6379")),
            api_token=_env("RASA_API_TOKEN", ""),
            # The HTTP API lets a caller rewrite conversations: on by default only in
            # development (where Rasa listens on localhost), and in production only
            # with a token.
            enable_api=_env_bool("RASA_ENABLE_API", environment != "production"),
            enable_rest=_env_bool("ENABLE_REST_CHANNEL", environment != "production"),
            max_message_chars=int(_env("MAX_MESSAGE_CHARS", "2000")),
            models_dir=Path(_env("SEN_MODELS_DIR", str(PROJECT_ROOT / "models"))).resolve(),
            spacy_model_dir=Path(
                _env("SEN_SPACY_MODEL_DIR", str(PROJECT_ROOT / ".build" / "spacy_en_sen"))
            ).resolve(),
        )

    def rasa_environment(self) -> dict[str, str]:
        """The variables `endpoints.yml` and `credentials.yml` expand, with defaults filled in."""
        return {
            "RASA_TELEMETRY_ENABLED": "false",
            "SEN_DATA_DIR": str(self.data_dir),
            "ACTION_ENDPOINT_URL": self.action_endpoint_url,
            "TRACKER_STORE_URL": self.tracker_store_url,
            "LOCK_STORE_TYPE": LOCK_STORE_CLASSES.get(self.lock_store_type, self.lock_store_type),
            "REDIS_HOST": self.redis_host,
            "REDIS_PORT": str(self.redis_port),
            "ENABLE_REST_CHANNEL": "true" if self.enable_rest else "false",
            "MAX_MESSAGE_CHARS": str(self.max_message_chars),
        }
