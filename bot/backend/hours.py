"""Weekly hours as data: when a school is open and when its SENCO can be reached.

Kept as (weekday, opens, closes) periods so a later calendar module can ask "is the SENCO
in now?" or "when next?" without parsing text. Staff write them as
"mon-fri 08:30-15:30" or "mon,tue,thu 08:30-12:00; fri 13:00-15:00".
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_DAY_KEYS = {name[:3].lower(): index for index, name in enumerate(DAY_NAMES)}
_RANGE = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


class HoursError(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    weekday: int  # 0 Monday .. 6 Sunday
    opens: dt.time
    closes: dt.time


@dataclass(frozen=True)
class WeeklyHours:
    periods: tuple[Period, ...] = ()

    def on(self, weekday: int) -> tuple[Period, ...]:
        return tuple(p for p in self.periods if p.weekday == weekday)

    def is_open(self, when: dt.datetime) -> bool:
        """`when` in the school's own time zone (Europe/London)."""
        return any(p.opens <= when.time() < p.closes for p in self.on(when.weekday()))

    def as_dict(self) -> dict[str, list[list[str]]]:
        """{"monday": [["08:30", "15:30"]], ...} for JSON and a calendar module."""
        result: dict[str, list[list[str]]] = {}
        for period in self.periods:
            result.setdefault(DAY_NAMES[period.weekday].lower(), []).append(
                [period.opens.strftime("%H:%M"), period.closes.strftime("%H:%M")]
            )
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


def clock(value: dt.time) -> str:
    """8:30am, 3pm, 12 noon."""
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


def _time(hours: str, minutes: str) -> dt.time:
    try:
        return dt.time(int(hours), int(minutes))
    except ValueError:
        raise HoursError(f"{hours}:{minutes} is not a time of day") from None


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
    return WeeklyHours(tuple(sorted(periods, key=lambda p: (p.weekday, p.opens))))
