"""`make bench`: start-up time, resident memory, REST latency and throughput of the real stack.

Starts the action server and the Rasa server as `make run` does (on free ports, with a
throw-away data folder), then:
- start-up: seconds from launch until both answer;
- memory: resident set size (VmRSS) of each server after warm-up and after the load;
- latency: one message at a time over the REST channel, median and p95;
- throughput: messages per second with 10 conversations at once, and p95 latency then.
Add `--train` to also time a full training run from scratch (into a temporary folder).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bot.config import PROJECT_ROOT, Settings
from bot.launcher import action_server_command, process_environment, rasa_server_command, stop, wait_until_up
from bot.training import ensure_model

QUESTIONS = [
    "hello",
    "what is sen support",
    "what does the senco do",
    "tell me more",
    "how often should school meet me about his plan",
    "can I get an EHC needs assessment",
    "my son is on school action plus, what happened to that",
    "who pays for the extra help",
    "thanks",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def send(url: str, sender: str, text: str) -> float:
    body = json.dumps({"sender": sender, "message": text}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as reply:
        reply.read()
    return (time.perf_counter() - started) * 1000


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[int(fraction * (len(ordered) - 1))]


def time_training() -> float:
    with tempfile.TemporaryDirectory() as models:
        os.environ["SEN_MODELS_DIR"] = models
        started = time.monotonic()
        subprocess.run(
            [sys.executable, "-m", "rasa", "train", "--out", models, "--fixed-model-name", "bench", "--force"],
            cwd=PROJECT_ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
        )
        del os.environ["SEN_MODELS_DIR"]
        return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", action="store_true", help="also time a full training run")
    parser.add_argument("--messages", type=int, default=90)
    args = parser.parse_args()

    if args.train:
        print(f"Full training from scratch: {time_training():.0f} s", flush=True)

    data_dir = Path(tempfile.mkdtemp(prefix="sen-bench-"))
    os.environ.update({"SEN_DATA_DIR": str(data_dir), "RASA_PORT": str(free_port()), "ACTION_SERVER_PORT": str(free_port())})
    os.environ.pop("ACTION_ENDPOINT_URL", None)
    settings = Settings.from_env()
    model = ensure_model(settings)
    env = process_environment(settings)

    started = time.monotonic()
    actions = subprocess.Popen(action_server_command(settings), cwd=PROJECT_ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rasa = subprocess.Popen(rasa_server_command(settings, model), cwd=PROJECT_ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{settings.rasa_port}"
    try:
        if not (wait_until_up(f"http://127.0.0.1:{settings.action_port}/health", actions, 120)
                and wait_until_up(f"{base}/", rasa, 300)):
            raise SystemExit("the stack did not start")
        startup = time.monotonic() - started
        url = f"{base}/webhooks/rest/webhook"
        send(url, "warm-up", "hello")
        rss_idle = (rss_mb(rasa.pid), rss_mb(actions.pid))

        sequential = [send(url, "bench-seq", QUESTIONS[i % len(QUESTIONS)]) for i in range(args.messages)]

        def conversation(n: int) -> list[float]:
            return [send(url, f"bench-par-{n}", QUESTIONS[i % len(QUESTIONS)]) for i in range(args.messages // 10 * 2)]

        load_started = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(max_workers=10) as pool:
            parallel = [ms for result in pool.map(conversation, range(10)) for ms in result]
        elapsed = time.perf_counter() - load_started
        rss_loaded = (rss_mb(rasa.pid), rss_mb(actions.pid))

        print(f"""
Stack start-up (both servers answering): {startup:.1f} s
Resident memory after warm-up: Rasa server {rss_idle[0]:.0f} MB, action server {rss_idle[1]:.0f} MB
Resident memory after the load: Rasa server {rss_loaded[0]:.0f} MB, action server {rss_loaded[1]:.0f} MB
One conversation, {len(sequential)} messages one at a time: median {statistics.median(sequential):.0f} ms, p95 {percentile(sequential, 0.95):.0f} ms
10 conversations at once, {len(parallel)} messages: {len(parallel) / elapsed:.1f} messages/s, median {statistics.median(parallel):.0f} ms, p95 {percentile(parallel, 0.95):.0f} ms
(machine: {os.cpu_count()} cores; model {model.name})""")
    finally:
        stop([rasa, actions])


if __name__ == "__main__":
    main()
