"""A school's calendar as data: opening hours, the SENCO's hours, terms and closure days.

Times are wall-clock times in Europe/London, so 8:30am stays 8:30am across the clock
changes. Bank holidays in England come from the `holidays` package. Hours are
`WeeklyHours` (bot.schedule.hours): several periods a day are allowed. A school sets its
calendar with `python -m bot.admin set-calendar --school <ref or id> --file calendar.yml`
(format: docs/out-of-hours.md, example: knowledge/calendar.example.yml); the records
connector builds a `SchoolCalendar` from the database for each school.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays

from bot.schedule.hours import WEEKDAYS, HoursError, WeeklyHours, clock

LONDON = ZoneInfo("Europe/London")
SEARCH_DAYS = 400
CALENDAR_KEYS = ("office_hours", "senco_hours", "terms", "closures")
MAX_REASON_CHARS = 200


class CalendarError(ValueError):
    """The calendar data is malformed (said in words a member of staff can act on)."""


@lru_cache(maxsize=8)
def _bank_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("GB", subdiv="ENG", years=[year])


def is_bank_holiday(day: dt.date) -> bool:
    return day in _bank_holidays(day.year)


def _parse_date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        raise CalendarError(f"{where}: give a date like 2026-09-03, without a time")
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise CalendarError(f"{where}: dates must look like 2026-09-03, not {value!r}") from None


def _parse_hours(data: Any, where: str) -> WeeklyHours:
    try:
        return WeeklyHours.from_mapping(data, where)
    except HoursError as error:
        raise CalendarError(str(error)) from None


@dataclass(frozen=True)
class Term:
    starts_on: dt.date
    ends_on: dt.date  # the last day of term (inclusive)


@dataclass(frozen=True)
class Closure:
    day: dt.date
    reason: str = ""  # "INSET day", "polling station"


@dataclass(frozen=True)
class Availability:
    """Can the SENCO be reached at `now`, and if not, when next? (All times Europe/London.)"""

    now: dt.datetime
    known: bool  # the school has said when its SENCO works
    senco_in: bool
    office_open: bool
    next_available: dt.datetime | None  # `now` when in; None when unknown or nothing ahead

    @property
    def out_of_hours(self) -> bool:
        return self.known and not self.senco_in

    def when_next(self) -> str | None:
        """"tomorrow at 8:30am", "Monday at 8:30am", or None."""
        return describe(self.next_available, self.now) if self.next_available is not None else None


@dataclass(frozen=True)
class SchoolCalendar:
    office_hours: WeeklyHours = field(default_factory=WeeklyHours)
    senco_hours: WeeklyHours = field(default_factory=WeeklyHours)
    terms: tuple[Term, ...] = ()  # empty: the school is open all year (except closures and bank holidays)
    closures: tuple[Closure, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "terms", tuple(sorted(self.terms, key=lambda t: (t.starts_on, t.ends_on))))
        object.__setattr__(self, "closures", tuple(sorted(self.closures, key=lambda c: c.day)))
        object.__setattr__(self, "_closed_days", frozenset(c.day for c in self.closures))

    # --- reading and writing the calendar file ---------------------------------------------

    @classmethod
    def from_dict(cls, data: Any) -> "SchoolCalendar":
        """The calendar file's content (knowledge/calendar.example.yml), validated.

        senco_hours may be left out: the SENCO is then taken to be reachable when the office is open.
        """
        if not isinstance(data, dict):
            raise CalendarError("the calendar must be a mapping with office_hours, senco_hours, terms and closures")
        unknown = [str(key) for key in data if key not in CALENDAR_KEYS]
        if unknown:
            raise CalendarError(f"{unknown[0]!r} is not part of a calendar (use {', '.join(CALENDAR_KEYS)})")
        office = _parse_hours(data.get("office_hours"), "office_hours")
        senco = _parse_hours(data.get("senco_hours"), "senco_hours") or office
        terms = []
        raw_terms = data.get("terms") or []
        if not isinstance(raw_terms, list):
            raise CalendarError("terms: list each term as {start: 2026-09-03, end: 2026-10-23}")
        for index, term in enumerate(raw_terms):
            where = f"terms[{index}]"
            if not isinstance(term, dict) or "start" not in term or "end" not in term:
                raise CalendarError(f"{where}: write each term as {{start: 2026-09-03, end: 2026-10-23}}")
            start = _parse_date(term.get("start"), f"{where}.start")
            end = _parse_date(term.get("end"), f"{where}.end")
            if end < start:
                raise CalendarError(f"{where}: the end is before the start")
            terms.append(Term(start, end))
        closures: dict[dt.date, Closure] = {}
        raw_closures = data.get("closures") or []
        if not isinstance(raw_closures, list):
            raise CalendarError("closures: list the days, like - 2026-11-27")
        for index, item in enumerate(raw_closures):
            where = f"closures[{index}]"
            if isinstance(item, dict):
                if "day" not in item:
                    raise CalendarError(f"{where}: write a closure as 2026-11-27 or {{day: 2026-11-27, reason: INSET day}}")
                day = _parse_date(item.get("day"), f"{where}.day")
                reason = str(item.get("reason") or "").strip()
                if len(reason) > MAX_REASON_CHARS:
                    raise CalendarError(f"{where}.reason: at most {MAX_REASON_CHARS} characters")
            else:
                day, reason = _parse_date(item, "closures"), ""
            if day in closures:
                raise CalendarError(f"{where}: {day.isoformat()} is listed twice")
            closures[day] = Closure(day, reason)
        return cls(office, senco, tuple(terms), tuple(closures.values()))

    def to_dict(self) -> dict[str, Any]:
        """The calendar file's form (dates as ISO strings): from_dict(to_dict()) == self."""
        return {
            "office_hours": self.office_hours.as_dict(),
            "senco_hours": self.senco_hours.as_dict(),
            "terms": [{"start": t.starts_on.isoformat(), "end": t.ends_on.isoformat()} for t in self.terms],
            "closures": [
                {"day": c.day.isoformat(), "reason": c.reason} if c.reason else c.day.isoformat() for c in self.closures
            ],
        }

    # --- questions -------------------------------------------------------------------------

    @property
    def knows_senco_hours(self) -> bool:
        return bool(self.senco_hours)

    def is_school_day(self, day: dt.date) -> bool:
        if day in self._closed_days or is_bank_holiday(day):  # type: ignore[attr-defined]
            return False
        if self.terms and not any(t.starts_on <= day <= t.ends_on for t in self.terms):
            return False
        return True

    def _within(self, hours: WeeklyHours, moment: dt.datetime) -> bool:
        local = _as_london(moment)
        return self.is_school_day(local.date()) and hours.is_open(local)

    def office_open(self, moment: dt.datetime) -> bool:
        return self._within(self.office_hours, moment)

    def senco_available(self, moment: dt.datetime) -> bool:
        return self._within(self.senco_hours, moment)

    def next_senco_time(self, moment: dt.datetime) -> dt.datetime | None:
        """The next moment (Europe/London) the SENCO can be reached; `moment` itself if now."""
        return self._next(self.senco_hours, moment)

    def next_office_time(self, moment: dt.datetime) -> dt.datetime | None:
        return self._next(self.office_hours, moment)

    def _next(self, hours: WeeklyHours, moment: dt.datetime) -> dt.datetime | None:
        local = _as_london(moment)
        if self._within(hours, local):
            return local
        for offset in range(SEARCH_DAYS):
            day = local.date() + dt.timedelta(days=offset)
            periods = hours.on(day.weekday())
            if not periods or not self.is_school_day(day):
                continue
            for period in periods:
                start = dt.datetime.combine(day, period.opens, tzinfo=LONDON)
                if start > local:
                    return start
        return None

    def availability(self, moment: dt.datetime) -> Availability:
        local = _as_london(moment)
        senco_in = self.senco_available(local)
        return Availability(
            now=local,
            known=self.knows_senco_hours,
            senco_in=senco_in,
            office_open=self.office_open(local),
            next_available=self.next_senco_time(local) if self.knows_senco_hours else None,
        )


def _as_london(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("use timezone-aware datetimes")
    return moment.astimezone(LONDON)


def describe(when: dt.datetime, now: dt.datetime) -> str:
    """In words a parent reads easily: "tomorrow at 8:30am", "Monday at 9am", "Monday 5 January at 9am"."""
    when, now = _as_london(when), _as_london(now)
    days = (when.date() - now.date()).days
    if days == 0:
        return f"today at {clock(when)}"
    if days == 1:
        return f"tomorrow at {clock(when)}"
    weekday = WEEKDAYS[when.weekday()].capitalize()
    if days < 7:
        return f"{weekday} at {clock(when)}"
    return f"{weekday} {when.day} {when.strftime('%B')} at {clock(when)}"
