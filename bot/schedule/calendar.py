"""A school's calendar as data: opening hours, the SENCO's hours, terms and closure days.

Times are wall-clock times in Europe/London, so 8:30am stays 8:30am across the clock
changes. Bank holidays in England come from the `holidays` package. A school sets its
calendar with `python -m bot.admin set-calendar --school ID --file calendar.yml`
(format: docs/out-of-hours.md, example: knowledge/calendar.example.yml).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
SEARCH_DAYS = 400


class CalendarError(ValueError):
    """The calendar data is malformed (said in words a member of staff can act on)."""


@lru_cache(maxsize=8)
def _bank_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("GB", subdiv="ENG", years=[year])


def is_bank_holiday(day: dt.date) -> bool:
    return day in _bank_holidays(day.year)


def _parse_time(value: str, where: str) -> dt.time:
    try:
        hours, minutes = str(value).strip().split(":")
        return dt.time(int(hours), int(minutes))
    except (ValueError, TypeError):
        raise CalendarError(f"{where}: times must look like 08:30, not {value!r}") from None


def _parse_date(value, where: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise CalendarError(f"{where}: dates must look like 2026-09-03, not {value!r}") from None


def _parse_hours(data: dict | None, where: str) -> dict[int, tuple[dt.time, dt.time]]:
    hours: dict[int, tuple[dt.time, dt.time]] = {}
    for name, span in (data or {}).items():
        if str(name).lower() not in WEEKDAYS:
            raise CalendarError(f"{where}: {name!r} is not a day of the week")
        if not isinstance(span, (list, tuple)) or len(span) != 2:
            raise CalendarError(f"{where}.{name}: give an opening and a closing time, like [\"08:30\", \"16:00\"]")
        opens, closes = _parse_time(span[0], f"{where}.{name}"), _parse_time(span[1], f"{where}.{name}")
        if closes <= opens:
            raise CalendarError(f"{where}.{name}: closing time must be after opening time")
        hours[WEEKDAYS.index(str(name).lower())] = (opens, closes)
    return hours


@dataclass(frozen=True)
class SchoolCalendar:
    office_hours: dict[int, tuple[dt.time, dt.time]]
    senco_hours: dict[int, tuple[dt.time, dt.time]]
    terms: tuple[tuple[dt.date, dt.date], ...] = ()
    closures: frozenset[dt.date] = field(default_factory=frozenset)

    @classmethod
    def from_dict(cls, data: dict) -> "SchoolCalendar":
        if not isinstance(data, dict):
            raise CalendarError("the calendar must be a mapping with office_hours, senco_hours, terms and closures")
        office = _parse_hours(data.get("office_hours"), "office_hours")
        senco = _parse_hours(data.get("senco_hours"), "senco_hours") or office
        terms = []
        for index, term in enumerate(data.get("terms") or []):
            start = _parse_date((term or {}).get("start"), f"terms[{index}].start")
            end = _parse_date((term or {}).get("end"), f"terms[{index}].end")
            if end < start:
                raise CalendarError(f"terms[{index}]: the end is before the start")
            terms.append((start, end))
        closures = frozenset(_parse_date(day, "closures") for day in data.get("closures") or [])
        return cls(office, senco, tuple(sorted(terms)), closures)

    def is_school_day(self, day: dt.date) -> bool:
        if day in self.closures or is_bank_holiday(day):
            return False
        if self.terms and not any(start <= day <= end for start, end in self.terms):
            return False
        return True

    def _within(self, hours: dict[int, tuple[dt.time, dt.time]], moment: dt.datetime) -> bool:
        local = _as_london(moment)
        span = hours.get(local.weekday())
        if not span or not self.is_school_day(local.date()):
            return False
        return span[0] <= local.time().replace(tzinfo=None) < span[1]

    def office_open(self, moment: dt.datetime) -> bool:
        return self._within(self.office_hours, moment)

    def senco_available(self, moment: dt.datetime) -> bool:
        return self._within(self.senco_hours, moment)

    def next_senco_time(self, moment: dt.datetime) -> dt.datetime | None:
        """The next moment (Europe/London) the SENCO can be reached; `moment` itself if now."""
        local = _as_london(moment)
        if self.senco_available(local):
            return local
        for offset in range(SEARCH_DAYS):
            day = local.date() + dt.timedelta(days=offset)
            span = self.senco_hours.get(day.weekday())
            if not span or not self.is_school_day(day):
                continue
            start = dt.datetime.combine(day, span[0], tzinfo=LONDON)
            if start > local:
                return start
        return None


def _as_london(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("use timezone-aware datetimes")
    return moment.astimezone(LONDON)


def clock_time(moment: dt.datetime) -> str:
    """8:30am, 2pm, 12:15pm."""
    hour = moment.hour % 12 or 12
    suffix = "am" if moment.hour < 12 else "pm"
    return f"{hour}{suffix}" if moment.minute == 0 else f"{hour}:{moment.minute:02d}{suffix}"


def describe(when: dt.datetime, now: dt.datetime) -> str:
    """In words a parent reads easily: "tomorrow at 8:30am", "Monday at 9am", "Monday 5 January at 9am"."""
    when, now = _as_london(when), _as_london(now)
    days = (when.date() - now.date()).days
    if days == 0:
        return f"today at {clock_time(when)}"
    if days == 1:
        return f"tomorrow at {clock_time(when)}"
    weekday = WEEKDAYS[when.weekday()].capitalize()
    if days < 7:
        return f"{weekday} at {clock_time(when)}"
    return f"{weekday} {when.day} {when.strftime('%B')} at {clock_time(when)}"
