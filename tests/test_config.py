"""Production configuration: the HTTP API and the REST channel are off or authenticated."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.channels.rest import rest_enabled
from bot.config import Settings
from bot.launcher import process_environment, rasa_server_command

MODEL = Path("models/x.tar.gz")


def test_development_defaults_are_local_and_embedded():
    settings = Settings.from_env({})
    assert settings.rasa_host == "127.0.0.1"
    assert settings.tracker_store_url.startswith("sqlite:///")
    assert settings.enable_api and settings.enable_rest
    assert "--enable-api" in rasa_server_command(settings, MODEL)


def test_production_turns_the_api_and_rest_channel_off():
    settings = Settings.from_env({"SEN_ENV": "production"})
    assert not settings.enable_api and not settings.enable_rest
    assert "--enable-api" not in rasa_server_command(settings, MODEL)


def test_production_api_needs_a_token():
    settings = Settings.from_env({"SEN_ENV": "production", "RASA_API_TOKEN": "t0ken"})
    command = rasa_server_command(settings, MODEL)
    assert command[command.index("--auth-token") + 1] == "t0ken"


def test_an_open_api_off_localhost_is_refused():
    settings = Settings.from_env({"RASA_HOST": "0.0.0.0"})
    with pytest.raises(SystemExit):
        rasa_server_command(settings, MODEL)


def test_production_needs_a_secret_key(monkeypatch):
    monkeypatch.delenv("SEN_SECRET_KEY", raising=False)
    with pytest.raises(SystemExit):
        process_environment(Settings.from_env({"SEN_ENV": "production"}))


def test_rest_channel_is_off_in_production(monkeypatch):
    monkeypatch.setenv("SEN_ENV", "production")
    monkeypatch.delenv("ENABLE_REST_CHANNEL", raising=False)
    assert not rest_enabled()
    monkeypatch.setenv("ENABLE_REST_CHANNEL", "true")
    assert rest_enabled()


def test_redis_lock_store_means_the_atomic_one():
    env = Settings.from_env({"LOCK_STORE_TYPE": "redis"}).rasa_environment()
    assert env["LOCK_STORE_TYPE"] == "bot.stores.redis_lock.AtomicRedisLockStore"
    assert Settings.from_env({}).rasa_environment()["LOCK_STORE_TYPE"] == "in_memory"
