"""School calendar with an injected clock: evenings, weekends, bank and school holidays, clock changes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from bot.schedule.calendar import LONDON, CalendarError, SchoolCalendar, clock_time, describe

UTC = dt.timezone.utc
EXAMPLE = SchoolCalendar.from_dict(yaml.safe_load((Path(__file__).parent.parent / "knowledge" / "calendar.example.yml").read_text()))


def london(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LONDON)


def test_in_hours_the_senco_is_available_now():
    now = london(2026, 11, 24, 10, 0)  # Tuesday in term
    assert EXAMPLE.office_open(now) and EXAMPLE.senco_available(now)
    assert EXAMPLE.next_senco_time(now) == now


def test_weekday_evening_points_to_next_morning():
    now = london(2026, 11, 24, 19, 0)  # Tuesday evening
    assert not EXAMPLE.office_open(now)
    nxt = EXAMPLE.next_senco_time(now)
    assert nxt == london(2026, 11, 25, 8, 30)
    assert describe(nxt, now) == "tomorrow at 8:30am"


def test_weekend_points_to_monday():
    now = london(2026, 11, 28, 11, 0)  # Saturday
    assert not EXAMPLE.office_open(now)
    assert describe(EXAMPLE.next_senco_time(now), now) == "Monday at 8:30am"


def test_closure_day_is_skipped():
    now = london(2026, 11, 26, 16, 0)  # Thursday after hours; Friday 27th is an INSET day, SENCO doesn't work Fridays anyway
    assert not EXAMPLE.is_school_day(dt.date(2026, 11, 27))
    assert EXAMPLE.next_senco_time(now) == london(2026, 11, 30, 8, 30)


def test_bank_holiday_is_closed():
    cal = SchoolCalendar.from_dict({"office_hours": {"monday": ["08:00", "16:00"], "tuesday": ["08:00", "16:00"]}})
    may_day = london(2026, 5, 4, 10, 0)  # Monday, early May bank holiday
    assert not cal.office_open(may_day)
    assert cal.next_senco_time(may_day) == london(2026, 5, 5, 8, 0)


def test_christmas_and_boxing_day_substitute_holiday():
    cal = SchoolCalendar.from_dict({"office_hours": {d: ["09:00", "15:00"] for d in ("monday", "tuesday", "wednesday", "thursday", "friday")}})
    assert not cal.is_school_day(dt.date(2026, 12, 28))  # Boxing Day (observed)
    assert cal.next_senco_time(london(2026, 12, 24, 16, 0)) == london(2026, 12, 29, 9, 0)


def test_school_holiday_points_to_the_first_day_back():
    now = london(2026, 10, 27, 10, 0)  # half term
    assert not EXAMPLE.senco_available(now)
    nxt = EXAMPLE.next_senco_time(now)
    assert nxt == london(2026, 11, 2, 8, 30)
    assert describe(nxt, now) == "Monday at 8:30am"
    assert describe(EXAMPLE.next_senco_time(london(2026, 12, 18, 16, 0)), london(2026, 12, 18, 16, 0)) == "Tuesday 5 January at 8:30am"


def test_last_minute_before_and_first_minute_after_opening():
    assert not EXAMPLE.senco_available(london(2026, 11, 30, 8, 29))
    assert EXAMPLE.senco_available(london(2026, 11, 30, 8, 30))
    assert EXAMPLE.senco_available(london(2026, 11, 30, 15, 29))
    assert not EXAMPLE.senco_available(london(2026, 11, 30, 15, 30))


def test_spring_clock_change():
    cal = SchoolCalendar.from_dict({"senco_hours": {"monday": ["08:30", "15:30"]}, "office_hours": {"monday": ["08:00", "16:00"]}})
    # Clocks went forward on Sunday 29 March 2026: 8:30am on Monday is 07:30 UTC.
    assert not cal.senco_available(dt.datetime(2026, 3, 30, 7, 29, tzinfo=UTC))
    assert cal.senco_available(dt.datetime(2026, 3, 30, 7, 30, tzinfo=UTC))
    nxt = cal.next_senco_time(dt.datetime(2026, 3, 28, 12, 0, tzinfo=UTC))
    assert nxt.astimezone(UTC) == dt.datetime(2026, 3, 30, 7, 30, tzinfo=UTC)
    assert clock_time(nxt) == "8:30am"


def test_autumn_clock_change():
    cal = SchoolCalendar.from_dict({"senco_hours": {"monday": ["08:30", "15:30"]}, "office_hours": {"monday": ["08:00", "16:00"]}})
    # Clocks went back on Sunday 25 October 2026: 8:30am on Monday is 08:30 UTC.
    assert not cal.senco_available(dt.datetime(2026, 10, 26, 8, 29, tzinfo=UTC))
    assert cal.senco_available(dt.datetime(2026, 10, 26, 8, 30, tzinfo=UTC))
    nxt = cal.next_senco_time(dt.datetime(2026, 10, 24, 12, 0, tzinfo=UTC))
    assert nxt.astimezone(UTC) == dt.datetime(2026, 10, 26, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "data, problem",
    [
        ({"office_hours": {"funday": ["08:00", "16:00"]}}, "not a day of the week"),
        ({"office_hours": {"monday": ["8am", "16:00"]}}, "08:30"),
        ({"office_hours": {"monday": ["16:00", "08:00"]}}, "after opening"),
        ({"office_hours": {"monday": ["08:00"]}}, "opening and a closing"),
        ({"terms": [{"start": "2026-09-10", "end": "2026-09-01"}]}, "end is before"),
        ({"closures": ["next tuesday"]}, "2026-09-03"),
        ("not a mapping", "mapping"),
    ],
)
def test_bad_calendars_are_refused_with_a_clear_reason(data, problem):
    with pytest.raises(CalendarError, match=problem):
        SchoolCalendar.from_dict(data)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        EXAMPLE.office_open(dt.datetime(2026, 11, 24, 10, 0))
