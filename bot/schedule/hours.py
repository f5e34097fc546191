"""Weekly hours as data: when a school office is open and when its SENCO can be reached.

One model for the whole project: the school calendar (bot.schedule.calendar), the records
connector (bot.backend) and the staff command line all use `WeeklyHours`, a set of
(weekday, opens, closes) periods. A day may have several periods (08:30-12:00 and
13:00-15:30); a day with none is closed. Times are wall-clock times in Europe/London.

Staff write them in two ways:
- on the command line: "mon-fri 08:30-15:30" or "mon,tue,thu 08:30-12:00; fri 13:00-15:00"
  (`parse_hours`);
- in a calendar file: {"monday": ["08:30", "15:30"]} or
  {"monday": [["08:30", "12:00"], ["13:00", "15:30"]]} (`WeeklyHours.from_mapping`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAYS = tuple(name.lower() for name in DAY_NAMES)
_DAY_KEYS = {name[:3].lower(): index for index, name in enumerate(DAY_NAMES)}
_RANGE = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")


class HoursError(ValueError):
    """Hours written in a way we can't read. The message says what to write instead."""


@dataclass(frozen=True)
class Period:
    weekday: int  # 0 Monday .. 6 Sunday
    opens: dt.time
    closes: dt.time


@dataclass(frozen=True)
class WeeklyHours:
    periods: tuple[Period, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.periods)

    def on(self, weekday: int) -> tuple[Period, ...]:
        """That day's periods, earliest first."""
        return tuple(sorted((p for p in self.periods if p.weekday == weekday), key=lambda p: p.opens))

    def is_open(self, when: dt.datetime) -> bool:
        """`when` as a wall-clock time in the school's own time zone (Europe/London)."""
        moment = when.time().replace(tzinfo=None)
        return any(p.opens <= moment < p.closes for p in self.on(when.weekday()))

    @classmethod
    def of(cls, periods) -> "WeeklyHours":
        """From any iterable of periods: sorted, and checked for overlaps."""
        ordered = tuple(sorted(periods, key=lambda p: (p.weekday, p.opens, p.closes)))
        for before, after in zip(ordered, ordered[1:]):
            if before.weekday == after.weekday and after.opens < before.closes:
                raise HoursError(
                    f"on {DAY_NAMES[before.weekday]} the times {_hhmm(before.opens)}-{_hhmm(before.closes)} "
                    f"and {_hhmm(after.opens)}-{_hhmm(after.closes)} overlap"
                )
        return cls(ordered)

    @classmethod
    def from_mapping(cls, data: Any, where: str = "hours") -> "WeeklyHours":
        """{"monday": ["08:30", "15:30"], "wednesday": [["08:30", "12:00"], ["13:00", "15:00"]]}."""
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise HoursError(f"{where}: list the days of the week, like monday: [\"08:30\", \"15:30\"]")
        periods: list[Period] = []
        for name, spans in data.items():
            day = str(name).strip().lower()
            if day not in WEEKDAYS:
                raise HoursError(f"{where}: {name!r} is not a day of the week")
            label = f"{where}.{day}"
            if spans is None or spans == []:
                continue  # closed that day
            if isinstance(spans, (list, tuple)) and spans and all(isinstance(s, (list, tuple)) for s in spans):
                pairs = list(spans)
            else:
                pairs = [spans]
            for span in pairs:
                if not isinstance(span, (list, tuple)) or len(span) != 2:
                    raise HoursError(f"{label}: give an opening and a closing time, like [\"08:30\", \"16:00\"]")
                opens, closes = parse_time(span[0], label), parse_time(span[1], label)
                if closes <= opens:
                    raise HoursError(f"{label}: closing time must be after opening time")
                periods.append(Period(WEEKDAYS.index(day), opens, closes))
        try:
            return cls.of(periods)
        except HoursError as error:
            raise HoursError(f"{where}: {error}") from None

    def as_dict(self) -> dict[str, list[list[str]]]:
        """{"monday": [["08:30", "15:30"]], ...}: the calendar file's form, for JSON and YAML."""
        result: dict[str, list[list[str]]] = {}
        for period in sorted(self.periods, key=lambda p: (p.weekday, p.opens)):
            result.setdefault(WEEKDAYS[period.weekday], []).append([_hhmm(period.opens), _hhmm(period.closes)])
        return result

    def describe(self) -> str:
        """Plain English: "Monday to Friday, 8:30am to 3:30pm"."""
        if not self.periods:
            return ""
        # Group days that share exactly the same periods.
        by_day: dict[int, tuple[tuple[dt.time, dt.time], ...]] = {}
        for day in range(7):
            spans = tuple((p.opens, p.closes) for p in self.on(day))
            if spans:
                by_day[day] = spans
        groups: list[tuple[list[int], tuple[tuple[dt.time, dt.time], ...]]] = []
        for day, spans in by_day.items():
            for days, group_spans in groups:
                if group_spans == spans:
                    days.append(day)
                    break
            else:
                groups.append(([day], spans))
        parts = []
        for days, spans in groups:
            times = " and ".join(f"{clock(a)} to {clock(b)}" for a, b in spans)
            parts.append(f"{describe_days(days)}, {times}")
        return "; ".join(parts)


def _hhmm(value: dt.time) -> str:
    return value.strftime("%H:%M")


def clock(value: dt.time | dt.datetime) -> str:
    """8:30am, 3pm, 12 noon (a time, or the wall-clock time of a datetime)."""
    if isinstance(value, dt.datetime):
        value = value.time()
    if value.hour == 12 and value.minute == 0:
        return "12 noon"
    hour = value.hour % 12 or 12
    suffix = "am" if value.hour < 12 else "pm"
    return f"{hour}{suffix}" if value.minute == 0 else f"{hour}:{value.minute:02d}{suffix}"


def describe_days(days: list[int]) -> str:
    days = sorted(days)
    if len(days) >= 3 and days == list(range(days[0], days[-1] + 1)):
        return f"{DAY_NAMES[days[0]]} to {DAY_NAMES[days[-1]]}"
    names = [DAY_NAMES[d] for d in days]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def parse_time(value: Any, where: str) -> dt.time:
    """"08:30" -> time(8, 30), or HoursError saying what went wrong."""
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML 1.1 reads an unquoted 15:30 as the number 930 (base 60).
        raise HoursError(f"{where}: put times in quotes, like \"15:30\" (without quotes the file reads them as numbers)")
    match = _TIME.match(str(value).strip()) if isinstance(value, str) else None
    if not match:
        raise HoursError(f"{where}: times must look like 08:30, not {value!r}")
    return _time(match[1], match[2], where)


def _time(hours: str, minutes: str, where: str = "") -> dt.time:
    try:
        return dt.time(int(hours), int(minutes))
    except ValueError:
        prefix = f"{where}: " if where else ""
        raise HoursError(f"{prefix}{hours}:{minutes} is not a time of day") from None


def _days(spec: str) -> list[int]:
    result: list[int] = []
    for part in spec.split(","):
        part = part.strip().lower()
        if "-" in part:
            start, _, end = part.partition("-")
            a, b = _DAY_KEYS.get(start.strip()[:3]), _DAY_KEYS.get(end.strip()[:3])
            if a is None or b is None or a > b:
                raise HoursError(f"'{part}' is not a range of days like mon-fri")
            result.extend(range(a, b + 1))
        else:
            day = _DAY_KEYS.get(part[:3])
            if day is None or not part:
                raise HoursError(f"'{part}' is not a day (use mon, tue, wed, thu, fri, sat or sun)")
            result.append(day)
    return result


def parse_hours(text: str) -> WeeklyHours:
    """'mon-fri 08:30-15:30; sat 09:00-12:00' -> WeeklyHours. Empty text: no hours."""
    periods: list[Period] = []
    for chunk in (text or "").split(";"):
        chunk = chunk.strip()
        if not chunk:
            continue
        days_part, _, times_part = chunk.partition(" ")
        for span in times_part.split(","):
            match = _RANGE.match(span.strip())
            if not match:
                raise HoursError(f"'{chunk}' should look like 'mon-fri 08:30-15:30'")
            opens, closes = _time(match[1], match[2]), _time(match[3], match[4])
            if opens >= closes:
                raise HoursError(f"in '{chunk}' the opening time must be before the closing time")
            periods.extend(Period(day, opens, closes) for day in _days(days_part))
    return WeeklyHours.of(periods)
