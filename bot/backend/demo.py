"""Demo data: one school with its SENCO and calendar, one parent with two children.

Everyone here is made up: names are invented, the email domain is reserved (.example)
and the phone number is from Ofcom's range kept for drama (01632 960xxx). Loading twice
reuses the same school and family, moves the review dates back into the future, sets the
calendar again and issues a fresh link code.

The calendar has the office and SENCO hours of knowledge/calendar.example.yml and typical
English term dates generated around today (from two school years back to two ahead), so
the demo always has terms, half terms and holidays within a year either side of now.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import holidays
import yaml
from sqlalchemy import select

from bot.backend.models import Child, ParentChildLink, School
from bot.backend.staff import LONDON, IssuedCode, StaffService
from bot.config import PROJECT_ROOT
from bot.schedule.calendar import Closure, SchoolCalendar, Term

EXAMPLE_CALENDAR = PROJECT_ROOT / "knowledge" / "calendar.example.yml"

DEMO_SCHOOL_REF = "s_demo_oakfield"


@dataclass(frozen=True)
class DemoData:
    school_id: int
    parent_id: int
    child_ids: tuple[int, int]
    code: IssuedCode


def _at_local(day: dt.date, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON).astimezone(dt.timezone.utc)


def _weekday_on_or_after(day: dt.date, weekday: int) -> dt.date:
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)


def _weekday_on_or_before(day: dt.date, weekday: int) -> dt.date:
    return day - dt.timedelta(days=(day.weekday() - weekday) % 7)


def _school_day_on_or_after(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def _school_day_on_or_before(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


def _good_friday(year: int) -> dt.date:
    return next(day for day, name in holidays.country_holidays("GB", subdiv="ENG", years=[year]).items() if name == "Good Friday")


def english_school_year(start_year: int) -> tuple[list[Term], list[Closure]]:
    """Typical term dates for the school year from September `start_year` (six terms, half
    terms in the last week of October, mid-February and the late May bank holiday week, two
    weeks at Easter), with two INSET days. For start_year 2026 it gives the dates of
    knowledge/calendar.example.yml."""
    spring = start_year + 1
    autumn_half = _weekday_on_or_before(dt.date(start_year, 10, 31), 0)  # last Monday of October
    spring_half = _weekday_on_or_after(dt.date(spring, 2, 1), 0) + dt.timedelta(days=14)  # third Monday of February
    good_friday = _good_friday(spring)
    may_half = _weekday_on_or_before(dt.date(spring, 5, 31), 0)  # the late May bank holiday
    spring_start = _school_day_on_or_after(dt.date(spring, 1, 4))
    friday = dt.timedelta(days=3)
    terms = [
        Term(_school_day_on_or_after(dt.date(start_year, 9, 3)), autumn_half - friday),
        Term(autumn_half + dt.timedelta(days=7), _weekday_on_or_before(dt.date(start_year, 12, 20), 4)),
        Term(spring_start, spring_half - friday),
        Term(spring_half + dt.timedelta(days=7), good_friday),
        Term(good_friday + dt.timedelta(days=17), may_half - friday),
        Term(may_half + dt.timedelta(days=7), _school_day_on_or_before(dt.date(spring, 7, 21))),
    ]
    closures = [
        Closure(_weekday_on_or_before(dt.date(start_year, 11, 30), 4), "INSET day"),  # last Friday of November
        Closure(spring_start, "INSET day"),
    ]
    return terms, closures


def demo_calendar(today: dt.date) -> SchoolCalendar:
    """knowledge/calendar.example.yml's hours, with term dates from two school years before today's to two after."""
    example = SchoolCalendar.from_dict(yaml.safe_load(EXAMPLE_CALENDAR.read_text(encoding="utf-8")))
    current = today.year if today.month >= 9 else today.year - 1
    terms: list[Term] = []
    closures: list[Closure] = []
    for year in range(current - 2, current + 3):
        year_terms, year_closures = english_school_year(year)
        terms += year_terms
        closures += year_closures
    return SchoolCalendar(example.office_hours, example.senco_hours, tuple(terms), tuple(closures))


def load_demo(service: StaffService) -> DemoData:
    with service._sessions() as session:
        school = session.execute(select(School).where(School.ref == DEMO_SCHOOL_REF)).scalar_one_or_none()
        school_id = school.id if school else None
        children: list[tuple[int, int]] = []
        if school_id is not None:
            children = [
                (row.child_id, row.parent_id)
                for row in session.execute(
                    select(ParentChildLink.child_id, ParentChildLink.parent_id)
                    .join(Child, Child.id == ParentChildLink.child_id)
                    .where(Child.school_id == school_id)
                    .order_by(Child.id)
                ).all()
            ]

    if school_id is None or len(children) < 2:
        school_id, _ = service.add_school(
            "Oakfield Primary School",
            "Ms Priya Shah",
            contact_role="SENCO",
            email="senco@oakfield-primary.example",
            phone="01632 960123",
            ref=None if school_id is not None else DEMO_SCHOOL_REF,
        )
        parent_id = service.add_parent("Alex Taylor", email="alex.taylor@parent.example", phone="07700 900123")
        sam, _ = service.add_child(school_id, "Sam", "Taylor")
        maya, _ = service.add_child(school_id, "Maya", "Taylor")
        service.link(parent_id, sam, "parent")
        service.link(parent_id, maya, "parent")
    else:
        sam, maya = children[0][0], children[1][0]
        parent_id = children[0][1]

    service.set_plan(
        sam,
        "active",
        "1. Sam will read a short book aloud to an adult three times a week.\n"
        "2. Sam will use a visual timetable to move between lessons calmly.\n"
        "3. Sam will take part in a small social skills group once a week.",
    )
    service.set_plan(
        maya,
        "under_review",
        "1. Maya will use a word bank to write three sentences on her own.\n"
        "2. Maya will ask for help using her help card when she is stuck.",
    )
    today = service._clock().astimezone(LONDON).date()
    service.set_calendar(school_id, demo_calendar(today))
    service.set_review(sam, _at_local(_weekday_on_or_after(today + dt.timedelta(days=21), 1), 15, 30))  # a Tuesday
    service.set_review(maya, _at_local(_weekday_on_or_after(today + dt.timedelta(days=42), 3), 9, 0))  # a Thursday
    code = service.issue_code(parent_id)
    return DemoData(school_id=school_id, parent_id=parent_id, child_ids=(sam, maya), code=code)
