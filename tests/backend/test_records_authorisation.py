"""A verified parent reads their own children's records, and nobody else's."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.backend.results import (
    ChildNotFound,
    ChooseChild,
    MessageLeft,
    MessageRefused,
    NextReview,
    NoChildren,
    PlanStatus,
    SchoolNotFound,
    SencoContact,
)
from records_support import parent_audit_rows, telegram

ALEX = telegram("1001")


@pytest.fixture
def alex(link, world):
    link(ALEX, world.alex)
    return ALEX


def test_plan_status_of_own_child(connector, world, alex, clock):
    result = connector.plan_status(alex, world.refs["Sam"])
    assert isinstance(result, PlanStatus)
    assert (result.child.first_name, result.status, result.outcomes) == ("Sam", "active", "Sam will read aloud three times a week.")
    assert result.last_updated == clock.now
    maya = connector.plan_status(alex, world.refs["Maya"])
    assert (maya.child.first_name, maya.status) == ("Maya", "under_review")


def test_several_children_means_choose_one_first(connector, alex, world):
    for method in (connector.plan_status, connector.next_review):
        result = method(alex)
        assert isinstance(result, ChooseChild)
        assert sorted((c.first_name, c.ref) for c in result.children) == sorted([("Sam", world.refs["Sam"]), ("Maya", world.refs["Maya"])])


def test_an_only_child_needs_no_choice(connector, link, world):
    link(telegram("3003"), world.jordan)
    assert connector.plan_status(telegram("3003")).child.first_name == "Zoe"


@pytest.mark.parametrize("name", ["Zoe", "Leo"])
def test_another_familys_child_is_refused_at_this_or_another_school(connector, alex, world, engine, name):
    """Leo is at Alex's children's school; Zoe is at another school. Neither is Alex's."""
    child_id = getattr(world, name.lower())
    for method in (connector.plan_status, connector.next_review, connector.senco_contact):
        result = method(alex, world.refs[name])
        assert isinstance(result, ChildNotFound)
        assert {c.first_name for c in result.children} == {"Sam", "Maya"}  # only their own, to choose from
        assert name not in repr(result)
    left = connector.leave_message(alex, world.refs[name], "Please call me")
    assert isinstance(left, ChildNotFound)
    refusals = [r for r in parent_audit_rows(engine) if r["outcome"] == "refused_not_linked"]
    assert len(refusals) == 4
    assert all(r["child_id"] == child_id and r["parent_id"] == world.alex for r in refusals)


@pytest.mark.parametrize("ref", ["", "c_doesnotexist", "1", "' OR 1=1 --", "x" * 500, "Zoe"])
def test_made_up_child_refs_and_names_are_refused(connector, alex, ref):
    result = connector.plan_status(alex, ref or None)
    if ref:
        assert isinstance(result, ChildNotFound)
    else:
        assert isinstance(result, ChooseChild)


def test_a_link_the_school_ended_is_no_longer_honoured(connector, staff, alex, world):
    staff.unlink(world.alex, world.maya)
    assert isinstance(connector.plan_status(alex, world.refs["Maya"]), ChildNotFound)
    assert connector.plan_status(alex).child.first_name == "Sam"  # now an only child
    staff.unlink(world.alex, world.sam)
    assert isinstance(connector.plan_status(alex), NoChildren)
    assert isinstance(connector.my_children(alex), NoChildren)


def test_next_review_is_the_next_booked_one_in_the_future(connector, staff, alex, world, clock):
    result = connector.next_review(alex, world.refs["Sam"])
    assert isinstance(result, NextReview)
    assert result.scheduled_at == clock.now + dt.timedelta(days=20, hours=6)
    assert result.contact.name == "Ms Priya Shah"
    maya = connector.next_review(alex, world.refs["Maya"])
    assert maya.scheduled_at is None  # none booked
    clock.advance(days=21)  # Sam's review is now in the past
    assert connector.next_review(alex, world.refs["Sam"]).scheduled_at is None
    staff.set_review(world.sam, clock.now + dt.timedelta(days=7))
    assert connector.next_review(alex, world.refs["Sam"]).scheduled_at == clock.now + dt.timedelta(days=7)
    staff.set_review(world.sam, None, "cancelled")
    assert connector.next_review(alex, world.refs["Sam"]).scheduled_at is None


def test_moving_a_review_changes_the_date_rather_than_adding_one(connector, staff, alex, world, clock):
    staff.set_review(world.sam, clock.now + dt.timedelta(days=3))
    assert connector.next_review(alex, world.refs["Sam"]).scheduled_at == clock.now + dt.timedelta(days=3)


def test_senco_contact_for_own_childs_school_needs_no_choice_when_one_school(connector, alex):
    result = connector.senco_contact(alex)
    assert isinstance(result, SencoContact) and result.child is None
    (contact,) = result.contacts
    assert (contact.school_name, contact.name, contact.role, contact.email, contact.phone) == (
        "Oakfield Primary School", "Ms Priya Shah", "SENCO", "senco@oakfield.example", "01632 960123",
    )
    assert contact.contact_hours.describe() == "Monday, Tuesday and Thursday, 8:30am to 3pm"
    assert contact.school_hours.describe() == "Monday to Friday, 8:30am to 3:30pm"


def test_children_at_two_schools_means_choose_for_the_senco(connector, staff, alex, world):
    staff.link(world.alex, world.zoe)  # a blended family: Zoe is Alex's too now
    assert isinstance(connector.senco_contact(alex), ChooseChild)
    result = connector.senco_contact(alex, world.refs["Zoe"])
    assert result.contacts[0].name == "Mr Tom Okafor" and result.contacts[0].role == "SENDCo"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("who is the senco at oakfield primary?", "Ms Priya Shah"),
        ("SENCO at Oakfield", "Ms Priya Shah"),
        ("how do I contact the sendco at riverside academy", "Mr Tom Okafor"),
    ],
)
def test_public_senco_contact_for_a_named_school_without_verification(connector, world, text, expected):
    result = connector.public_senco_contact(telegram("9999"), text)
    assert isinstance(result, SencoContact) and result.contacts[0].name == expected


def test_public_contact_asks_which_school_when_none_is_named(connector, world, engine):
    result = connector.public_senco_contact(telegram("9999"), "who is the senco")
    assert isinstance(result, SchoolNotFound)
    assert [name for _, name in result.schools] == ["Oakfield Primary School", "Riverside Academy"]
    chosen = connector.public_senco_contact(telegram("9999"), None, result.schools[1][0])
    assert chosen.contacts[0].school_name == "Riverside Academy"
    assert [r["outcome"] for r in parent_audit_rows(engine)] == ["school_not_found", "ok"]


def test_leave_a_message_for_own_childs_senco(connector, alex, world, engine):
    result = connector.leave_message(alex, world.refs["Maya"], "  Please could you call me about Maya's word bank?  ")
    assert isinstance(result, MessageLeft)
    assert result.reference.startswith("MSG-") and result.child.first_name == "Maya"
    assert result.contact.name == "Ms Priya Shah"
    (row,) = [r for r in parent_audit_rows(engine) if r["action"] == "leave_message"]
    assert (row["outcome"], row["child_id"], row["school_id"], row["parent_id"]) == ("ok", world.maya, world.oakfield, world.alex)
    assert row["message_id"] is not None


def test_leave_message_refuses_empty_or_too_long_text(connector, alex, world):
    assert connector.leave_message(alex, world.refs["Sam"], "   ") == MessageRefused(reason="empty", limit=connector.max_message_chars)
    too_long = connector.leave_message(alex, world.refs["Sam"], "x" * (connector.max_message_chars + 1))
    assert isinstance(too_long, MessageRefused) and too_long.reason == "too_long"


def test_leave_message_needs_a_child_when_there_are_several(connector, alex):
    assert isinstance(connector.leave_message(alex, None, "Hello"), ChooseChild)


def test_message_references_are_unique(connector, alex, world):
    refs = {connector.leave_message(alex, world.refs["Sam"], f"Message {n}").reference for n in range(30)}
    assert len(refs) == 30
