"""The moments every out-of-hours test covers, shared by the calendar tests (tests/test_calendar.py)
and the action tests (tests/test_records_actions.py), so both check the same cases.

Each scenario: a calendar (the file format), a moment, whether the SENCO can be reached
then, when next (Europe/London) and how a parent is told ("tomorrow at 8:30am").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

LONDON = ZoneInfo("Europe/London")
UTC = dt.timezone.utc
EXAMPLE_FILE = Path(__file__).resolve().parent.parent / "knowledge" / "calendar.example.yml"
EXAMPLE_DATA = yaml.safe_load(EXAMPLE_FILE.read_text(encoding="utf-8"))
MONDAY_ONLY = {"senco_hours": {"monday": ["08:30", "15:30"]}, "office_hours": {"monday": ["08:00", "16:00"]}}
MON_TUE = {"office_hours": {"monday": ["08:00", "16:00"], "tuesday": ["08:00", "16:00"]}}


def london(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LONDON)


@dataclass(frozen=True)
class Scenario:
    id: str
    calendar: dict
    now: dt.datetime
    senco_in: bool
    office_open: bool
    next_available: dt.datetime
    said: str  # describe(next_available, now)


SCENARIOS = [
    Scenario("in_hours", EXAMPLE_DATA, london(2026, 11, 24, 10, 0), True, True, london(2026, 11, 24, 10, 0), "today at 10am"),
    Scenario("weekday_evening", EXAMPLE_DATA, london(2026, 11, 24, 19, 0), False, False, london(2026, 11, 25, 8, 30), "tomorrow at 8:30am"),
    Scenario("weekend", EXAMPLE_DATA, london(2026, 11, 28, 11, 0), False, False, london(2026, 11, 30, 8, 30), "Monday at 8:30am"),
    # Monday 4 May 2026 is the early May bank holiday.
    Scenario("bank_holiday", MON_TUE, london(2026, 5, 4, 10, 0), False, False, london(2026, 5, 5, 8, 0), "tomorrow at 8am"),
    # Tuesday of the October half term.
    Scenario("term_holiday", EXAMPLE_DATA, london(2026, 10, 27, 10, 0), False, False, london(2026, 11, 2, 8, 30), "Monday at 8:30am"),
    Scenario("last_minute_before_opening", EXAMPLE_DATA, london(2026, 11, 30, 8, 29), False, True, london(2026, 11, 30, 8, 30), "today at 8:30am"),
    Scenario("first_minute_after_opening", EXAMPLE_DATA, london(2026, 11, 30, 8, 30), True, True, london(2026, 11, 30, 8, 30), "today at 8:30am"),
    # The SENCO's Wednesday ends at noon; the office stays open.
    Scenario("senco_gone_office_open", EXAMPLE_DATA, london(2026, 11, 25, 13, 0), False, True, london(2026, 11, 26, 8, 30), "tomorrow at 8:30am"),
    # Clocks went forward on Sunday 29 March 2026: 8:30am on Monday is 07:30 UTC.
    Scenario("spring_clock_change_before", MONDAY_ONLY, dt.datetime(2026, 3, 30, 7, 29, tzinfo=UTC), False, True, london(2026, 3, 30, 8, 30), "today at 8:30am"),
    Scenario("spring_clock_change_after", MONDAY_ONLY, dt.datetime(2026, 3, 30, 7, 30, tzinfo=UTC), True, True, london(2026, 3, 30, 8, 30), "today at 8:30am"),
    Scenario("spring_clock_change_weekend", MONDAY_ONLY, dt.datetime(2026, 3, 28, 12, 0, tzinfo=UTC), False, False, london(2026, 3, 30, 8, 30), "Monday at 8:30am"),
    # Clocks went back on Sunday 25 October 2026: 8:30am on Monday is 08:30 UTC.
    Scenario("autumn_clock_change_before", MONDAY_ONLY, dt.datetime(2026, 10, 26, 8, 29, tzinfo=UTC), False, True, london(2026, 10, 26, 8, 30), "today at 8:30am"),
    Scenario("autumn_clock_change_after", MONDAY_ONLY, dt.datetime(2026, 10, 26, 8, 30, tzinfo=UTC), True, True, london(2026, 10, 26, 8, 30), "today at 8:30am"),
    # 2am on a Sunday in the Christmas holidays.
    Scenario("sunday_2am_holidays", EXAMPLE_DATA, london(2026, 12, 27, 2, 0), False, False, london(2027, 1, 5, 8, 30), "Tuesday 5 January at 8:30am"),
]
