"""Polling mode for Telegram: try the bot without a public HTTPS URL (development only).

    make run                                   # in one terminal: the assistant
    python -m bot.channels.telegram_polling     # in another: fetch updates and forward them

It asks Telegram for updates with python-telegram-bot's getUpdates (long polling) and
forwards each one, unchanged, to the running Rasa server's Telegram webhook on this machine
with the webhook secret, so the assistant handles it exactly as a webhook call. Replies go
out from the Rasa server, as in production.

Needs the same environment as the Rasa server: TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET
(any value of A-Z a-z 0-9 _ -, the same in both processes), optionally TELEGRAM_API_BASE_URL.
The webhook URL is http://127.0.0.1:$RASA_PORT/webhooks/telegram/webhook unless --rasa-url says
otherwise. Telegram refuses getUpdates while a webhook is set: this tool stops unless you
pass --delete-webhook (don't, on a production bot: use your own bot from BotFather for
development).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from typing import Any

import httpx

from bot.channels.outbound import quiet_http_client_logs
from bot.channels.telegram import SECRET_HEADER, TelegramConfig, make_bot

logger = logging.getLogger("bot.channels.telegram_polling")

ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
FORWARD_ATTEMPTS = 3


class Refused(RuntimeError):
    """The Rasa server refused the forwarded update: retrying would not help."""


def default_rasa_url() -> str:
    return f"http://127.0.0.1:{os.environ.get('RASA_PORT') or '5005'}/webhooks/telegram/webhook"


async def forward(client: httpx.AsyncClient, url: str, secret: str, update: dict[str, Any]) -> bool:
    """POST one update to the webhook. True when it was accepted; raises Refused on 401/403/503."""
    for attempt in range(FORWARD_ATTEMPTS):
        try:
            reply = await client.post(url, json=update, headers={SECRET_HEADER: secret})
        except httpx.HTTPError as error:
            logger.warning("could not reach the Rasa server (%s); is it running?", type(error).__name__)
        else:
            if reply.status_code < 300:
                return True
            if reply.status_code in (401, 403):
                raise Refused("the Rasa server refused the webhook secret: set the same TELEGRAM_WEBHOOK_SECRET for both")
            if reply.status_code == 503:
                raise Refused("the Rasa server's Telegram channel is off: start it with TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET set")
            logger.warning("the Rasa server answered HTTP %s", reply.status_code)
        await asyncio.sleep(0.5 * 2**attempt)
    logger.warning("an update was skipped after %s attempts", FORWARD_ATTEMPTS)
    return False


async def poll_once(bot: Any, client: httpx.AsyncClient, url: str, secret: str, offset: int | None, timeout: int = 25) -> int | None:
    """Fetch one batch of updates, forward them in order, and return the next offset."""
    updates = await bot.get_updates(offset=offset, timeout=timeout, allowed_updates=ALLOWED_UPDATES)
    for update in updates:
        await forward(client, url, secret, update.to_dict())
        offset = update.update_id + 1
    return offset


async def prepare_bot(bot: Any, delete_webhook: bool) -> None:
    info = await bot.get_webhook_info()
    if info.url:
        if not delete_webhook:
            raise Refused("this bot has a webhook set, so Telegram won't give updates to polling. "
                          "Use a development bot, or pass --delete-webhook to remove it.")
        await bot.delete_webhook()


async def run(url: str, delete_webhook: bool = False, once: bool = False) -> None:
    config, missing = TelegramConfig.from_env()
    if config is None:
        raise Refused(f"set {' and '.join(missing)} (the same values as for the Rasa server)")
    from telegram.error import InvalidToken, NetworkError, TimedOut

    bot = make_bot(config)
    try:
        await bot.initialize()
    except InvalidToken:
        raise Refused("Telegram refused TELEGRAM_BOT_TOKEN: check it with BotFather") from None
    async with bot, httpx.AsyncClient(timeout=60) as client:
        await prepare_bot(bot, delete_webhook)
        print(f"Polling Telegram as @{bot.username}; forwarding to {url}. Ctrl-C to stop.", file=sys.stderr)
        offset: int | None = None
        backoff = 1.0
        while True:
            try:
                offset = await poll_once(bot, client, url, config.secret, offset, timeout=0 if once else 25)
                backoff = 1.0
            except (NetworkError, TimedOut) as error:
                logger.warning("Telegram could not be reached (%s); retrying in %.0f s", type(error).__name__, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 60)
            if once:
                return


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rasa-url", default=default_rasa_url(), help="the Rasa server's Telegram webhook (default: %(default)s)")
    parser.add_argument("--delete-webhook", action="store_true", help="remove the bot's webhook first (development bots only)")
    parser.add_argument("--once", action="store_true", help="fetch and forward one batch, then stop")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    quiet_http_client_logs()
    try:
        asyncio.run(run(args.rasa_url, delete_webhook=args.delete_webhook, once=args.once))
    except Refused as error:
        print(f"telegram_polling: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
