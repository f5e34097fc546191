"""School calendar with an injected clock: evenings, weekends, bank and school holidays, clock changes."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
import yaml

from bot.schedule import clock as schedule_clock
from bot.schedule.calendar import LONDON, CalendarError, Closure, SchoolCalendar, Term, describe
from bot.schedule.hours import HoursError, Period, WeeklyHours, clock, parse_hours
from calendar_scenarios import EXAMPLE_DATA, EXAMPLE_FILE, SCENARIOS, Scenario

UTC = dt.timezone.utc
EXAMPLE = SchoolCalendar.from_dict(yaml.safe_load(EXAMPLE_FILE.read_text()))


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
    assert clock(nxt) == "8:30am"


def test_autumn_clock_change():
    cal = SchoolCalendar.from_dict({"senco_hours": {"monday": ["08:30", "15:30"]}, "office_hours": {"monday": ["08:00", "16:00"]}})
    # Clocks went back on Sunday 25 October 2026: 8:30am on Monday is 08:30 UTC.
    assert not cal.senco_available(dt.datetime(2026, 10, 26, 8, 29, tzinfo=UTC))
    assert cal.senco_available(dt.datetime(2026, 10, 26, 8, 30, tzinfo=UTC))
    nxt = cal.next_senco_time(dt.datetime(2026, 10, 24, 12, 0, tzinfo=UTC))
    assert nxt.astimezone(UTC) == dt.datetime(2026, 10, 26, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_every_shared_scenario(scenario: Scenario):
    """The moments the action tests also run through (tests/calendar_scenarios.py)."""
    cal = SchoolCalendar.from_dict(scenario.calendar)
    seen = cal.availability(scenario.now)
    assert (seen.senco_in, seen.office_open, seen.out_of_hours) == (scenario.senco_in, scenario.office_open, not scenario.senco_in)
    assert seen.next_available == scenario.next_available
    assert seen.next_available.utcoffset() == scenario.next_available.utcoffset()  # London time, right side of the change
    assert seen.when_next() == scenario.said


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
        # Added with several periods a day and the set-calendar command:
        ({"office_hours": {"monday": [["08:00", "12:00"], ["11:00", "15:00"]]}}, "overlap"),
        ({"office_hours": {"monday": ["08:00", 930]}}, "quotes"),  # YAML reads an unquoted 15:30 as 930
        ({"office_hours": {"monday": ["08:00", "25:00"]}}, "not a time of day"),
        ({"ofice_hours": {}}, "'ofice_hours' is not part of a calendar"),
        ({"terms": ["2026-09-03 to 2026-10-23"]}, "start: 2026-09-03, end"),
        ({"terms": [{"start": "2026-09-03"}]}, "start: 2026-09-03, end"),
        ({"closures": ["2026-11-27", {"day": "2026-11-27", "reason": "INSET"}]}, "listed twice"),
        ({"closures": [{"reason": "INSET"}]}, "day: 2026-11-27"),
        ({"office_hours": ["monday 08:00-16:00"]}, "list the days of the week"),
    ],
)
def test_bad_calendars_are_refused_with_a_clear_reason(data, problem):
    with pytest.raises(CalendarError, match=problem) as caught:
        SchoolCalendar.from_dict(data)
    assert "\n" not in str(caught.value)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        EXAMPLE.office_open(dt.datetime(2026, 11, 24, 10, 0))


# --- one hours model for the calendar and the records ------------------------------------


def test_the_calendar_uses_the_records_weekly_hours():
    import importlib.util

    from bot.backend import connector, staff

    assert isinstance(EXAMPLE.office_hours, WeeklyHours) and isinstance(EXAMPLE.senco_hours, WeeklyHours)
    assert connector.WeeklyHours is WeeklyHours and staff.WeeklyHours is WeeklyHours  # one model, not a copy
    assert importlib.util.find_spec("bot.backend.hours") is None  # moved to bot.schedule.hours
    assert EXAMPLE.senco_hours.describe() == "Monday, Tuesday and Thursday, 8:30am to 3:30pm; Wednesday, 8:30am to 12 noon"
    assert SchoolCalendar(senco_hours=parse_hours("mon-fri 08:30-15:30")).senco_available(london(2026, 11, 24, 9, 0))


def test_several_periods_a_day_with_a_lunch_break():
    cal = SchoolCalendar.from_dict({"senco_hours": {"tuesday": [["08:30", "12:00"], ["13:00", "15:00"]]}})
    assert cal.senco_available(london(2026, 11, 24, 11, 59))
    assert not cal.senco_available(london(2026, 11, 24, 12, 30))
    assert cal.next_senco_time(london(2026, 11, 24, 12, 30)) == london(2026, 11, 24, 13, 0)
    assert describe(cal.next_senco_time(london(2026, 11, 24, 12, 30)), london(2026, 11, 24, 12, 30)) == "today at 1pm"
    assert cal.next_senco_time(london(2026, 11, 24, 15, 0)) == london(2026, 12, 1, 8, 30)
    assert cal.senco_hours.describe() == "Tuesday, 8:30am to 12 noon and 1pm to 3pm"


def test_senco_hours_default_to_the_office_hours():
    cal = SchoolCalendar.from_dict({"office_hours": {"monday": ["09:00", "15:00"]}})
    assert cal.senco_hours == cal.office_hours


def test_the_calendar_file_round_trips():
    data = EXAMPLE.to_dict()
    assert data["office_hours"]["friday"] == [["08:00", "15:30"]]
    assert data["terms"][0] == {"start": "2026-09-03", "end": "2026-10-23"}
    assert SchoolCalendar.from_dict(yaml.safe_load(yaml.safe_dump(data))) == EXAMPLE
    with_reasons = SchoolCalendar.from_dict({**EXAMPLE_DATA, "closures": [{"day": dt.date(2026, 11, 27), "reason": "INSET day"}, "2027-01-04"]})
    assert with_reasons.closures == (Closure(dt.date(2026, 11, 27), "INSET day"), Closure(dt.date(2027, 1, 4), ""))
    assert SchoolCalendar.from_dict(with_reasons.to_dict()) == with_reasons
    assert EXAMPLE.terms[0] == Term(dt.date(2026, 9, 3), dt.date(2026, 10, 23))


def test_no_terms_means_open_all_year_apart_from_closures_and_bank_holidays():
    cal = SchoolCalendar.from_dict({"office_hours": {"monday": ["09:00", "15:00"]}, "closures": ["2026-08-03"]})
    assert cal.is_school_day(dt.date(2026, 8, 10))  # August, no terms given
    assert not cal.is_school_day(dt.date(2026, 8, 3))
    assert not cal.is_school_day(dt.date(2026, 8, 31))  # summer bank holiday


def test_a_school_without_senco_hours_is_unknown_not_closed():
    seen = SchoolCalendar().availability(london(2026, 11, 24, 10, 0))
    assert not seen.known and not seen.out_of_hours and seen.next_available is None and seen.when_next() is None


def test_when_the_terms_run_out_there_is_no_next_time():
    cal = SchoolCalendar.from_dict({**EXAMPLE_DATA, "closures": []})
    assert cal.next_senco_time(london(2027, 7, 22, 10, 0)) is None


def test_weekly_hours_refuse_overlaps_from_the_command_line_too():
    with pytest.raises(HoursError, match="overlap"):
        parse_hours("mon 08:00-12:00; mon 11:00-13:00")
    assert WeeklyHours.of([Period(0, dt.time(13), dt.time(15)), Period(0, dt.time(8), dt.time(12))]).on(0)[0].opens == dt.time(8)


# --- the one clock ------------------------------------------------------------------------


def test_the_clock_override_is_used_outside_production(monkeypatch):
    monkeypatch.delenv("SEN_ENV", raising=False)
    monkeypatch.setenv("SEN_CLOCK_OVERRIDE", "2026-11-28T11:00:00+00:00")
    assert schedule_clock.now() == dt.datetime(2026, 11, 28, 11, 0, tzinfo=UTC)
    assert schedule_clock.now().tzinfo == UTC
    monkeypatch.setenv("SEN_CLOCK_OVERRIDE", "2026-07-01T09:00:00+01:00")  # BST
    assert schedule_clock.now() == dt.datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
    monkeypatch.setenv("SEN_CLOCK_OVERRIDE", "2026-07-01T08:00:00Z")
    assert schedule_clock.now() == dt.datetime(2026, 7, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "env, value",
    [
        ({"SEN_ENV": "production"}, "2026-11-28T11:00:00+00:00"),  # never in production
        ({}, "2026-11-28T11:00:00"),  # no offset: ambiguous
        ({}, "next tuesday"),
    ],
)
def test_the_clock_override_is_ignored_in_production_or_when_unclear(monkeypatch, caplog, env, value):
    monkeypatch.delenv("SEN_ENV", raising=False)
    for name, setting in env.items():
        monkeypatch.setenv(name, setting)
    monkeypatch.setenv("SEN_CLOCK_OVERRIDE", value)
    monkeypatch.setattr(schedule_clock, "_warned", set())
    with caplog.at_level(logging.WARNING):
        before = dt.datetime.now(UTC)
        now = schedule_clock.now()
    assert before <= now <= dt.datetime.now(UTC)
    assert "SEN_CLOCK_OVERRIDE" in caplog.text and "ignored" in caplog.text


def test_without_an_override_the_clock_is_real(monkeypatch):
    monkeypatch.delenv("SEN_CLOCK_OVERRIDE", raising=False)
    assert abs(schedule_clock.now() - dt.datetime.now(UTC)) < dt.timedelta(seconds=5)


# --- the demo school's calendar -------------------------------------------------------------


def test_demo_terms_match_the_example_file_and_cover_a_year_either_side_of_today():
    from bot.backend.demo import demo_calendar, english_school_year

    terms, closures = english_school_year(2026)
    generated = SchoolCalendar(EXAMPLE.office_hours, EXAMPLE.senco_hours, tuple(terms), tuple(closures))
    day = dt.date(2026, 8, 1)
    while day <= dt.date(2027, 8, 31):  # the same school days as the hand-written example
        assert generated.is_school_day(day) == EXAMPLE.is_school_day(day), day
        day += dt.timedelta(days=1)

    for today in (dt.date(2026, 11, 23), dt.date(2027, 8, 15), dt.date(2030, 1, 2)):
        cal = demo_calendar(today)
        assert cal.terms[0].starts_on <= today - dt.timedelta(days=365)
        assert cal.terms[-1].ends_on >= today + dt.timedelta(days=365)
        # Every date in that span has a next SENCO time, and holidays are at most seven weeks.
        for offset in range(-365, 366, 7):
            moment = dt.datetime.combine(today + dt.timedelta(days=offset), dt.time(19), tzinfo=LONDON)
            nxt = cal.next_senco_time(moment)
            assert nxt is not None and nxt - moment < dt.timedelta(days=50), moment
