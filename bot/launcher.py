"""`make run`: trains if needed, starts the action server and the Rasa server, stops both on Ctrl-C.

Usage: python -m bot.launcher
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from bot.config import PROJECT_ROOT, Settings
from bot.security.keys import ENV_NAME as SECRET_ENV, ensure_local_secret
from bot.training import ensure_model, rasa_env


def process_environment(settings: Settings) -> dict[str, str]:
    """The environment both servers run with: defaults from bot.config, secrets from the environment."""
    env = rasa_env()
    env.update(settings.rasa_environment())
    env.setdefault("SANIC_HOST", os.environ.get("ACTION_SERVER_HOST", "127.0.0.1"))
    if not env.get(SECRET_ENV):
        if settings.is_production:
            raise SystemExit(f"{SECRET_ENV} must be set in production (at least 32 random characters).")
        env[SECRET_ENV] = ensure_local_secret(settings.data_dir)
    return env


def action_server_command(settings: Settings) -> list[str]:
    return [sys.executable, "-m", "rasa_sdk", "--actions", "bot.actions", "--port", str(settings.action_port)]


def rasa_server_command(settings: Settings, model: Path) -> list[str]:
    command = [
        sys.executable, "-m", "rasa", "run",
        "--model", str(model),
        "--endpoints", "endpoints.yml",
        "--credentials", "credentials.yml",
        "--interface", settings.rasa_host,
        "--port", str(settings.rasa_port),
        "--cors", os.environ.get("CORS_ORIGINS", "*"),
    ]
    if settings.api_token:
        command += ["--enable-api", "--auth-token", settings.api_token]
    elif settings.enable_api:
        if settings.rasa_host not in {"127.0.0.1", "localhost", "::1"}:
            raise SystemExit("The HTTP API without RASA_API_TOKEN is only allowed on localhost (RASA_HOST).")
        command += ["--enable-api"]
    return command


def prepare_records(settings: Settings, env: dict[str, str]) -> str:
    """Migrates the records database; in development (no DATABASE_URL) loads the demo data.

    Returns what the demo command printed (it includes a fresh demo link code), or "".
    """
    admin = [sys.executable, "-m", "bot.admin"]
    subprocess.run(admin + ["migrate"], cwd=PROJECT_ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    wants_demo = os.environ.get("SEN_DEMO", "true").lower() not in {"0", "false", "no", "off"}
    if settings.is_production or env.get("DATABASE_URL") or not wants_demo:
        return ""
    result = subprocess.run(admin + ["demo"], cwd=PROJECT_ROOT, env=env, check=True, capture_output=True, text=True)
    return result.stdout.strip()


def wait_until_up(url: str, process: subprocess.Popen, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    return False


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def demo_text(demo: str) -> str:
    if not demo:
        return ""
    indented = demo.replace("\n", "\n  ")
    return f"""
Demo data (a school, one parent, two children):
  {indented}
  Type the code in the chat to link, then ask "what stage is my child's plan at?".

"""


def main() -> int:
    settings = Settings.from_env()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    env = process_environment(settings)
    model = ensure_model(settings)
    demo = prepare_records(settings, env)

    processes: list[subprocess.Popen] = []
    interrupted = False

    def on_signal(signum, frame):  # noqa: ARG001
        nonlocal interrupted
        interrupted = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    started = time.monotonic()
    try:
        processes.append(subprocess.Popen(action_server_command(settings), cwd=PROJECT_ROOT, env=env, start_new_session=True))
        processes.append(subprocess.Popen(rasa_server_command(settings, model), cwd=PROJECT_ROOT, env=env, start_new_session=True))
        actions, rasa = processes
        base = f"http://{settings.rasa_host}:{settings.rasa_port}"
        up = wait_until_up(f"http://127.0.0.1:{settings.action_port}/health", actions, 120) and wait_until_up(
            f"{base}/", rasa, 300
        )
        if not up:
            print("The assistant did not start; see the messages above.", file=sys.stderr)
            return 1
        print(
            f"""
The SEN Support assistant is running (started in {time.monotonic() - started:.0f} s).
  Talk to it in this terminal:   make chat          (in another terminal)
  Or over HTTP:                  curl -s {base}/webhooks/rest/webhook -H 'Content-Type: application/json' -d '{{"sender":"me","message":"hello"}}'
  Website widget demo page:      {base}/webhooks/web/demo
  Conversations are kept in:     {settings.tracker_store_url}
{demo_text(demo)}Press Ctrl-C to stop.
""",
            flush=True,
        )
        while not interrupted and all(process.poll() is None for process in processes):
            time.sleep(0.5)
        print("Stopping the assistant...", flush=True)
        return 0
    finally:
        stop(processes)

if __name__ == "__main__":
    sys.exit(main())
