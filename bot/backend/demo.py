"""Demo data: one school with its SENCO and hours, one parent with two children.

Everyone here is made up: names are invented, the email domain is reserved (.example)
and the phone number is from Ofcom's range kept for drama (01632 960xxx). Loading twice
reuses the same school and family, moves the review dates back into the future, and
issues a fresh link code.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from bot.backend.hours import parse_hours
from bot.backend.models import Child, ParentChildLink, School
from bot.backend.staff import LONDON, IssuedCode, StaffService

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
            school_hours=parse_hours("mon-fri 08:30-15:30"),
            contact_hours=parse_hours("mon,tue,thu 08:30-15:00"),
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
    service.set_review(sam, _at_local(_weekday_on_or_after(today + dt.timedelta(days=21), 1), 15, 30))  # a Tuesday
    service.set_review(maya, _at_local(_weekday_on_or_after(today + dt.timedelta(days=42), 3), 9, 0))  # a Thursday
    code = service.issue_code(parent_id)
    return DemoData(school_id=school_id, parent_id=parent_id, child_ids=(sam, maya), code=code)
