"""A terminal chat with the running assistant (`make chat`), through its REST channel.

Buttons are numbered: type the number to press one. Type /quit to leave.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
import uuid


def post(url: str, sender: str, message: str) -> list[dict]:
    body = json.dumps({"sender": sender, "message": message}).encode("utf-8")
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as reply:
        return json.loads(reply.read().decode("utf-8"))


def render(messages: list[dict]) -> list[dict]:
    buttons: list[dict] = []
    for message in messages:
        if message.get("text"):
            print(f"\nAssistant: {message['text']}")
        for button in message.get("buttons") or []:
            buttons.append(button)
            print(f"  [{len(buttons)}] {button['title']}")
        for source in (message.get("custom") or {}).get("sources") or []:
            print(f"  Source: {source['title']} ({source['ref']}) {source['url']}")
    return buttons


def main() -> int:
    port = os.environ.get("RASA_PORT", "5005")
    url = os.environ.get("SEN_CHAT_URL", f"http://127.0.0.1:{port}/webhooks/rest/webhook")
    sender = f"terminal-{uuid.uuid4().hex[:12]}"
    print(f"Talking to {url}. Type /quit to leave.")
    buttons: list[dict] = []
    while True:
        try:
            text = input("\nYou: ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if text in {"/quit", "/exit"}:
            return 0
        if text.isdigit() and 0 < int(text) <= len(buttons):
            text = buttons[int(text) - 1]["payload"]
        try:
            buttons = render(post(url, sender, text))
        except (urllib.error.URLError, OSError) as error:
            print(f"Could not reach the assistant at {url} ({error}). Is `make run` running?")
            return 1


if __name__ == "__main__":
    sys.exit(main())
