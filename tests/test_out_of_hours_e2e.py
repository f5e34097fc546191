"""The same question, in and out of school hours, through the real running stack.

Two stacks (REST channel -> Rasa server -> action server -> records connector on the
session's SQLite records database), each with its action server's clock set by
SEN_CLOCK_OVERRIDE: one at 2am on a Sunday in the school holidays, one in the SENCO's
hours. The school is the demo school (bot.backend.demo) with its calendar; the times are
picked from that calendar, in the past, so the link code (issued now) is still valid then.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Iterator

import pytest

from tests.conftest import (
    ROOT,
    ActionServer,
    RasaServer,
    assert_reply_contract,
    post_json,
    start_action_server,
    start_rasa_server,
    stop_process,
    text_of,
    topic_of,
)

pytestmark = pytest.mark.server


@dataclass
class Stack:
    at: dt.datetime  # the action server's clock (Europe/London)
    action: ActionServer
    rasa: RasaServer


@dataclass
class School:
    school_id: int
    parent_id: int
    calendar: object  # bot.schedule.calendar.SchoolCalendar


@pytest.fixture(scope="module")
def demo_school() -> School:
    """The demo school and family in the session's records database ($SEN_DATA_DIR/records.db)."""
    from bot.backend.db import make_engine
    from bot.backend.demo import load_demo
    from bot.backend.migrate import upgrade_to_head
    from bot.backend.staff import StaffService

    engine = make_engine()
    try:
        upgrade_to_head(engine)
        staff = StaffService(engine)
        demo = load_demo(staff)
        return School(demo.school_id, demo.parent_id, staff.get_calendar(demo.school_id)[1])
    finally:
        engine.dispose()


def sunday_2am_in_the_holidays(calendar, today: dt.date) -> dt.datetime:
    from bot.schedule.calendar import LONDON

    day = today - dt.timedelta(days=(today.weekday() + 1) % 7 or 7)  # the last Sunday before today
    for _ in range(60):
        if not any(t.starts_on <= day <= t.ends_on for t in calendar.terms):
            return dt.datetime.combine(day, dt.time(2, 0), tzinfo=LONDON)
        day -= dt.timedelta(days=7)
    raise AssertionError("the demo calendar has no holidays in the last year")


def in_the_senco_hours(calendar, today: dt.date) -> dt.datetime:
    from bot.schedule.calendar import LONDON

    for back in range(1, 400):
        day = today - dt.timedelta(days=back)
        for period in calendar.senco_hours.on(day.weekday()):
            moment = dt.datetime.combine(day, period.opens, tzinfo=LONDON) + dt.timedelta(minutes=30)
            if calendar.senco_available(moment):
                return moment
    raise AssertionError("the demo calendar has no SENCO hours in the last year")


@pytest.fixture(scope="module")
def stacks(trained_model, demo_school) -> Iterator[dict[str, Stack]]:
    """Both stacks, started side by side (a Rasa server takes a while to load its model)."""
    from bot.schedule.calendar import LONDON

    today = dt.datetime.now(LONDON).date()
    times = {
        "closed": sunday_2am_in_the_holidays(demo_school.calendar, today),
        "open": in_the_senco_hours(demo_school.calendar, today),
    }

    def start(name: str) -> Stack:
        action = start_action_server(env={"SEN_CLOCK_OVERRIDE": times[name].isoformat()})
        try:
            return Stack(times[name], action, start_rasa_server(trained_model, action.url, name=f"ooh-{name}"))
        except BaseException:
            stop_process(action.process)
            raise

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(start, name) for name in times}
        started: dict[str, Stack] = {}
        try:
            for name, future in futures.items():
                started[name] = future.result()
            yield started
        finally:
            for future in futures.values():
                if future.done() and future.exception() is None:
                    stack = future.result()
                    stop_process(stack.rasa.process)
                    stop_process(stack.action.process)


@pytest.fixture(scope="module")
def parent(stacks, demo_school) -> str:
    """A REST conversation linked to the demo parent: a code from the staff service, typed as the message."""
    from bot.backend.db import make_engine
    from bot.backend.staff import StaffService

    engine = make_engine()
    try:
        code = StaffService(engine).issue_code(demo_school.parent_id).code
    finally:
        engine.dispose()
    sender = "parent-ooh-e2e"
    linked = say(stacks["closed"], sender, f"hi, my code from school is {code}")
    assert topic_of(linked) == "verify" and "linked" in text_of(linked), linked
    return sender


def say(stack: Stack, sender: str, message: str) -> list[dict]:
    status, reply = post_json(stack.rasa.webhook, {"sender": sender, "message": message})
    assert status == 200, reply
    assert_reply_contract(reply)
    return reply


def buttons(reply: list[dict]) -> dict[str, str]:
    return {button["title"]: button["payload"] for message in reply for button in message.get("buttons") or []}


def custom_with(reply: list[dict], key: str) -> dict:
    return next(message["custom"] for message in reply if key in (message.get("custom") or {}))


def test_out_of_hours_the_parent_hears_when_and_can_leave_a_message(stacks, parent):
    closed = stacks["closed"]
    reply = say(closed, parent, "how do I contact the senco")
    text, custom = text_of(reply), custom_with(reply, "out_of_hours")
    assert topic_of(reply) == "senco_contact"
    assert custom["out_of_hours"] is True and custom["office_open"] is False
    nxt = dt.datetime.fromisoformat(custom["next_available"])
    assert nxt > closed.at
    assert "The school is closed right now." in text and "The next time you can reach Ms Priya Shah, the SENCO at Oakfield Primary School, is " in text
    assert "Phone:" not in text
    assert {source["ref"] for source in custom["sources"]} == {"SEN support toolkit", "SEND Code of Practice 2015", "SENDIASS"}
    choices = buttons(reply)
    assert set(choices) == {"Leave a message", "No thanks"}
    assert choices["Leave a message"].startswith("/leave_message") and choices["No thanks"] == "/deny"

    # Leave a message: choose the child, type it, get a reference and when it will be read.
    which = say(closed, parent, choices["Leave a message"])
    sam = buttons(which)["Sam"]
    asked = say(closed, parent, sam)
    assert topic_of(asked) == "leave_message" and "What would you like to say to the SENCO?" in text_of(asked)
    body = "Please could you ring me about Sam's new reading book next week?"
    done = say(closed, parent, body)
    reference = custom_with(done, "reference")["reference"]
    assert f"Your reference is {reference}." in text_of(done)
    assert "The school is closed right now. They can read your message when they are next in: " in text_of(done)
    assert custom_with(done, "reference")["next_available"] == custom["next_available"]

    # It reaches the staff command line, with its reference.
    listed = subprocess.run(
        [sys.executable, "-m", "bot.admin", "list-messages"], cwd=ROOT, env=dict(os.environ), capture_output=True, text=True, timeout=60
    )
    assert listed.returncode == 0, listed.stderr
    assert reference in listed.stdout and "Sam's new reading book" in listed.stdout
    assert closed.at.strftime("%Y-%m-%d %H:%M") in listed.stdout  # left at the action server's (overridden) time


def test_in_hours_the_same_question_gets_the_contact(stacks, parent):
    reply = say(stacks["open"], parent, "how do I contact the senco")
    text, custom = text_of(reply), custom_with(reply, "out_of_hours")
    assert topic_of(reply) == "senco_contact" and custom["out_of_hours"] is False
    assert dt.datetime.fromisoformat(custom["next_available"]) == stacks["open"].at
    assert "The SENCO at Oakfield Primary School is Ms Priya Shah." in text
    assert "Email: senco@oakfield-primary.example" in text and "Phone: 01632 960123" in text
    assert "closed" not in text and "sources" not in custom
    assert set(buttons(reply)) == {"Leave a message"}


def test_crisis_is_never_out_of_hours(stacks):
    """At 2am on a Sunday in the holidays, a crisis message still gets the urgent reply first."""
    closed = stacks["closed"]
    assert closed.at.weekday() == 6 and closed.at.hour == 2
    reply = say(closed, "worried-ooh-e2e", "my son keeps talking about not being here anymore")
    assert topic_of(reply) == "crisis" and custom_with(reply, "topic")["urgent"] is True
    first = reply[0]["text"]  # the urgent help comes first, whatever the time
    assert "999" in first and "0800 1111" in first and "116 123" in first
    assert "closed" not in text_of(reply) and "next time" not in text_of(reply)
