"""A school's calendar stored in the records database, and messages for the SENCO that outlive a restart.

Run on SQLite and PostgreSQL (the `db_url` fixture).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from sqlalchemy.exc import IntegrityError

from bot.backend.connector import SqlRecordsConnector
from bot.backend.db import make_engine
from bot.backend.models import SchoolClosure, SchoolTerm, SencoMessage
from bot.backend.results import ChildNotFound, MessageLeft, SencoContact
from bot.backend.staff import StaffError, StaffService
from bot.schedule.calendar import Closure, SchoolCalendar, Term
from bot.schedule.hours import parse_hours
from records_support import telegram

EXAMPLE_FILE = Path(__file__).resolve().parents[2] / "knowledge" / "calendar.example.yml"
ALEX, JORDAN = telegram("1001"), telegram("2002")


def example() -> SchoolCalendar:
    data = yaml.safe_load(EXAMPLE_FILE.read_text())
    data["senco_hours"]["wednesday"] = [["08:30", "12:00"], ["13:00", "15:00"]]  # several periods a day
    data["closures"] = [{"day": "2026-11-27", "reason": "INSET day"}, "2027-01-04"]
    return SchoolCalendar.from_dict(data)


@pytest.fixture
def alex(link, world):
    link(ALEX, world.alex)
    return ALEX


@pytest.fixture
def jordan(link, world):
    link(JORDAN, world.jordan)
    return JORDAN


def test_a_calendar_round_trips_through_the_database(staff, connector, world, alex):
    calendar = example()
    staff.set_calendar(world.oakfield, calendar)
    name, stored = staff.get_calendar(world.oakfield)
    assert name == "Oakfield Primary School" and stored == calendar
    assert stored.senco_hours.on(2)[1].opens == dt.time(13, 0)
    assert stored.closures[0] == Closure(dt.date(2026, 11, 27), "INSET day")

    # The connector gives it with the contact: to a verified parent, and publicly.
    mine = connector.senco_contact(alex)
    assert isinstance(mine, SencoContact) and mine.calendar == calendar
    public = connector.public_senco_contact(None, "who is the senco at oakfield primary")
    assert isinstance(public, SencoContact) and public.calendar == calendar
    assert public.contacts[0].contact_hours == calendar.senco_hours
    # Other schools keep their own.
    riverside = connector.public_senco_contact(None, "the sendco at riverside academy")
    assert riverside.contacts[0].school_name == "Riverside Academy"
    assert riverside.calendar == SchoolCalendar(senco_hours=parse_hours("wed-fri 09:00-14:00"))


def test_setting_a_calendar_replaces_hours_terms_and_closures(staff, engine, world):
    staff.set_calendar(world.oakfield, example())
    # Same closure day with a new reason, one term, no SENCO hours given (then: office hours).
    smaller = SchoolCalendar.from_dict({
        "office_hours": {"monday": ["09:00", "15:00"]},
        "terms": [{"start": "2027-01-05", "end": "2027-02-12"}],
        "closures": [{"day": "2026-11-27", "reason": "Polling station"}],
    })
    staff.set_calendar(world.oakfield, smaller)
    _, stored = staff.get_calendar(world.oakfield)
    assert stored == smaller and stored.senco_hours == parse_hours("mon 09:00-15:00")
    assert stored.terms == (Term(dt.date(2027, 1, 5), dt.date(2027, 2, 12)),)
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(SchoolTerm)).scalar() == 1
        assert connection.execute(sa.select(SchoolClosure.reason)).scalars().all() == ["Polling station"]
    # An empty calendar clears everything.
    staff.set_calendar(world.oakfield, SchoolCalendar())
    assert staff.get_calendar(world.oakfield)[1] == SchoolCalendar()


def test_schools_are_found_by_id_or_ref(staff, world, connector, alex):
    ref = connector.senco_contact(alex).contacts[0].school_ref
    assert staff.school_id(ref) == world.oakfield == staff.school_id(str(world.oakfield))
    for missing in ("999", "s_nope", ""):
        with pytest.raises(StaffError, match="no school with id or ref"):
            staff.school_id(missing)
    with pytest.raises(StaffError, match="no school with id 999"):
        staff.set_calendar(999, SchoolCalendar())


def test_the_database_refuses_terms_that_end_before_they_start_and_closures_twice(engine, world):
    with pytest.raises(IntegrityError):
        with engine.begin() as connection:
            connection.execute(sa.insert(SchoolTerm).values(school_id=world.oakfield, starts_on=dt.date(2026, 9, 10), ends_on=dt.date(2026, 9, 1)))
    with pytest.raises(IntegrityError):
        with engine.begin() as connection:
            for _ in range(2):
                connection.execute(sa.insert(SchoolClosure).values(school_id=world.oakfield, day=dt.date(2026, 11, 27)))


def test_a_message_outlives_a_restart_and_only_the_school_sees_it(db_url, engine, connector, staff, world, alex, jordan, clock):
    left = connector.leave_message(alex, world.refs["Sam"], "Sam found today hard, please call me.")
    assert isinstance(left, MessageLeft) and left.reference.startswith("MSG-")
    assert left.contact.calendar == staff.get_calendar(world.oakfield)[1]

    # Another parent can't attach anything to Sam, and no answer of theirs carries Alex's message.
    refused = connector.leave_message(jordan, world.refs["Sam"], "Tell me about Sam")
    assert isinstance(refused, ChildNotFound)
    for answer in (connector.senco_contact(jordan), connector.my_children(jordan), connector.plan_status(jordan), connector.next_review(jordan)):
        assert left.reference not in repr(answer) and "found today hard" not in repr(answer)

    # A restart: every connection closed, a new engine, connector and staff service.
    engine.dispose()
    fresh = make_engine(db_url)
    try:
        staff_after = StaffService(fresh, staff_id="t-staff", clock=clock)
        oakfield = staff_after.list_messages(school_id=world.oakfield)
        assert [(m.reference, m.body, m.parent_id, m.child_first_name) for m in oakfield] == [
            (left.reference, "Sam found today hard, please call me.", world.alex, "Sam")
        ]
        assert staff_after.list_messages(school_id=world.riverside) == []
        # The parent, through a new connector, is still linked and can leave another.
        again = SqlRecordsConnector(fresh, clock=clock).leave_message(alex, world.refs["Maya"], "And Maya's reading book.")
        assert isinstance(again, MessageLeft) and again.reference != left.reference
        staff_after.mark_handled(left.reference)
        assert [m.reference for m in staff_after.list_messages()] == [again.reference]
        with fresh.connect() as connection:
            assert connection.execute(sa.select(sa.func.count()).select_from(SencoMessage)).scalar() == 2
    finally:
        fresh.dispose()
