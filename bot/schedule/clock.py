"""The one clock of the assistant: `now()`.

Everything that asks "what time is it?" for a parent's conversation (is the SENCO in, when
next, the records connector's time stamps) calls `now()` here, so tests and demos can run
the real servers at a chosen moment:

    SEN_CLOCK_OVERRIDE=2026-11-28T11:00:00+00:00   (ISO 8601 with an offset; "Z" works too)

The clock then stands still at that moment. It is honoured only when SEN_ENV is not
`production`; in production it is ignored (with a warning in the log), so a stray variable
can never make a live assistant tell parents the wrong thing. A value without an offset,
or one that isn't a date and time, is also ignored with a warning.
"""

from __future__ import annotations

import datetime as dt
import logging
import os

logger = logging.getLogger(__name__)

UTC = dt.timezone.utc
OVERRIDE_ENV = "SEN_CLOCK_OVERRIDE"
_warned: set[str] = set()


def _warn_once(key: str, message: str, *args: object) -> None:
    if key not in _warned:
        _warned.add(key)
        logger.warning(message, *args)


def _is_production() -> bool:
    return (os.environ.get("SEN_ENV") or "development").strip().lower() == "production"


def override() -> dt.datetime | None:
    """The moment SEN_CLOCK_OVERRIDE asks for, if it is set, valid and allowed here."""
    value = (os.environ.get(OVERRIDE_ENV) or "").strip()
    if not value:
        return None
    if _is_production():
        _warn_once("production", "%s is set but ignored: SEN_ENV is production", OVERRIDE_ENV)
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        _warn_once(value, "%s ignored: not an ISO date and time such as 2026-11-28T11:00:00+00:00", OVERRIDE_ENV)
        return None
    if moment.tzinfo is None:
        _warn_once(value, "%s ignored: give the offset too, such as 2026-11-28T11:00:00+00:00", OVERRIDE_ENV)
        return None
    return moment.astimezone(UTC)


def now() -> dt.datetime:
    """The current time, timezone-aware UTC (or the override, in development and tests)."""
    return override() or dt.datetime.now(UTC)
