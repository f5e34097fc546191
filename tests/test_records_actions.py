"""The records actions over tracker fixtures (rasa_sdk Tracker), with a real SQLite records DB.

Messages are built the way a channel builds them (bot.channels.inbound.prepare: signed
identity, sealed code), so these tests see exactly what the action server would.
The connector's own attack tests run on SQLite and PostgreSQL in tests/backend.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

os.environ.setdefault("SEN_SECRET_KEY", "records-tests-secret-key-0123456789-abcdefghij")

from bot.actions import records_actions as ra  # noqa: E402
from bot.backend import reset_connectors  # noqa: E402
from bot.schedule.hours import parse_hours  # noqa: E402
from bot.backend.migrate import upgrade_to_head  # noqa: E402
from bot.backend.models import SencoMessage  # noqa: E402
from bot.backend.staff import StaffService  # noqa: E402
from bot.backend.db import make_engine  # noqa: E402
from bot.channels.inbound import prepare  # noqa: E402
from bot.schedule.calendar import SchoolCalendar  # noqa: E402
from bot.security.identity import Identity  # noqa: E402
from calendar_scenarios import EXAMPLE_DATA, SCENARIOS, Scenario, london  # noqa: E402

ALEX = Identity("telegram", "1001")
RECORDS_TOPICS = {"plan_status", "next_review_date", "senco_contact", "leave_message", "verify"}  # forget_me replies report `verify` (topics.yml)


@dataclass
class Family:
    staff: StaffService
    engine: sa.engine.Engine
    oakfield: int
    riverside: int
    alex: int
    jordan: int
    sam: int
    maya: int
    zoe: int
    refs: dict[str, str]

    def code_for(self, parent_id: int) -> str:
        return self.staff.issue_code(parent_id).code


@pytest.fixture(scope="session")
def family_template(tmp_path_factory) -> tuple[Path, dict]:
    """Two schools and two families in a SQLite file, built once and copied for each test."""
    path = tmp_path_factory.mktemp("records-actions") / "template.db"
    url = f"sqlite:///{path}"
    upgrade_to_head(url)
    engine = make_engine(url)
    staff = StaffService(engine)
    oakfield, _ = staff.add_school(
        "Oakfield Primary School", "Ms Priya Shah", email="senco@oakfield.example", phone="01632 960123",
        school_hours=parse_hours("mon-fri 08:30-15:30"), contact_hours=parse_hours("mon,tue,thu 08:30-15:00"),
    )
    riverside, _ = staff.add_school("Riverside Academy", "Mr Tom Okafor", contact_role="SENDCo", email="sendco@riverside.example")
    alex, jordan = staff.add_parent("Alex Taylor"), staff.add_parent("Jordan Reed")
    ids = {name: staff.add_child(school, name) for name, school in (("Sam", oakfield), ("Maya", oakfield), ("Zoe", riverside))}
    staff.link(alex, ids["Sam"][0])
    staff.link(alex, ids["Maya"][0])
    staff.link(jordan, ids["Zoe"][0])
    staff.set_plan(ids["Sam"][0], "active", "1. Sam will read aloud three times a week.")
    staff.set_plan(ids["Maya"][0], "draft", "")
    staff.set_plan(ids["Zoe"][0], "under_review", "Zoe's private outcomes.")
    staff.set_review(ids["Sam"][0], dt.datetime(2099, 7, 1, 14, 30, tzinfo=dt.timezone.utc))  # 3:30pm BST
    staff.set_review(ids["Zoe"][0], dt.datetime(2099, 1, 15, 9, 0, tzinfo=dt.timezone.utc))
    engine.dispose()
    return path, {"oakfield": oakfield, "riverside": riverside, "alex": alex, "jordan": jordan, **{n.lower(): i for n, (i, _) in ids.items()}, "refs": {n: r for n, (_, r) in ids.items()}}


IN_HOURS = "2026-11-24T10:00:00+00:00"  # a Tuesday morning in term


@pytest.fixture(autouse=True)
def clock_in_hours(monkeypatch):
    """Replies depend on the time now: pin the assistant's clock (bot.schedule.clock) in school hours."""
    monkeypatch.setenv("SEN_CLOCK_OVERRIDE", IN_HOURS)


def at(monkeypatch, moment: dt.datetime) -> None:
    monkeypatch.setenv("SEN_CLOCK_OVERRIDE", moment.isoformat())


@pytest.fixture
def family(family_template, tmp_path, monkeypatch) -> Family:
    template, ids = family_template
    path = tmp_path / "records.db"
    shutil.copyfile(template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("DATABASE_URL", url)
    reset_connectors()
    engine = make_engine(url)
    yield Family(StaffService(engine), engine, **ids)
    reset_connectors()
    engine.dispose()


def tracker(identity: Identity, text: str, intent: str, *, entities: dict | None = None, slots: dict | None = None,
            signed: bool = True, sender_id: str | None = None) -> Tracker:
    """A tracker whose latest message came through a channel (prepare) as `identity` typed `text`."""
    inbound = prepare(identity, text)
    metadata = dict(inbound.metadata)
    if not signed:
        metadata.pop("sen_identity", None)
    latest = {
        "text": inbound.text,
        "intent": {"name": intent, "confidence": 1.0},
        "entities": [{"entity": k, "value": v} for k, v in (entities or {}).items()],
        "metadata": metadata,
    }
    return Tracker(sender_id or identity.sender_id, slots or {}, latest, [], False, None, {}, "action_listen")


async def run(action, t: Tracker) -> tuple[list[dict], list[dict]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, t, {})
    for message in dispatcher.messages:
        assert (message.get("custom") or {}).get("topic"), f"reply without custom.topic: {message}"
    return dispatcher.messages, events


def text(messages: list[dict]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def topics(messages: list[dict]) -> list[str]:
    return [m["custom"]["topic"] for m in messages]


def payloads(messages: list[dict]) -> list[str]:
    return [b["payload"] for m in messages for b in m.get("buttons") or []]


async def verify(identity: Identity, code: str, typed: str = "my code is {code}") -> list[dict]:
    messages, events = await run(ra.ActionVerify(), tracker(identity, typed.format(code=code), "verify"))
    assert events == []
    return messages


# --- linking -------------------------------------------------------------------------------


async def test_verify_links_the_chat_and_the_code_never_appears_in_clear(family, caplog):
    code = family.code_for(family.alex)
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)
        try:
            t = tracker(ALEX, f"Hi, my code is {code.lower()} thanks", "verify")
            messages, events = await run(ra.ActionVerify(), t)
        finally:
            logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    assert "now linked" in text(messages) and "Maya and Sam" in text(messages)
    assert topics(messages) == ["verify"]
    assert t.latest_message["text"] == "/verify"  # what the tracker store keeps
    bare = code.replace("-", "")
    stored = json.dumps(t.latest_message) + json.dumps(events) + json.dumps(messages) + caplog.text
    for form in (code, bare, bare.lower(), code.lower()):
        assert form not in stored
    assert "SELECT" in caplog.text and "hidden due to hide_parameters" in caplog.text  # SQL was logged, values were not


async def test_wrong_then_replayed_then_locked_codes_get_calm_replies(family):
    code = family.code_for(family.alex)
    assert "didn't work" in text(await verify(ALEX, "ABCDE-23456"))
    assert "linked" in text(await verify(ALEX, code))
    replay = text(await verify(Identity("telegram", "2002"), code))
    assert "can't be used any more" in replay and "new one" in replay
    other = Identity("telegram", "3003")
    replies = [text(await verify(other, "ABCDE-2345" + d)) for d in "6789"]
    assert "2 more times" in replies[2] and "1 more time " in replies[3]
    locked = text(await verify(other, "ABCDE-23452"))
    assert "paused" in locked and "try again after" in locked
    assert "error" not in locked.lower()


async def test_a_sealed_code_replayed_into_another_conversation_does_not_open(family):
    code = family.code_for(family.alex)
    sealed = prepare(ALEX, code).metadata["sen_link_code"]
    mallory = Identity("telegram", "6666")
    t = tracker(mallory, "/verify", "verify")
    t.latest_message["metadata"]["sen_link_code"] = sealed  # lifted from Alex's message
    messages, _ = await run(ra.ActionVerify(), t)
    assert "didn't work" in text(messages)
    assert "linked" in text(await verify(ALEX, code))  # Alex's code still works for Alex


async def test_verify_without_a_code_explains_how_to_get_one(family):
    messages, _ = await run(ra.ActionVerify(), tracker(ALEX, "I have a code", "verify"))
    assert "ABCDE-12345" in text(messages) and "school office" in text(messages)


# --- before linking --------------------------------------------------------------------------


@pytest.mark.parametrize("action, topic", [(ra.ActionPlanStatus(), "plan_status"), (ra.ActionNextReviewDate(), "next_review_date")])
async def test_before_linking_the_parent_is_told_how_to_get_a_code(family, action, topic):
    messages, _ = await run(action, tracker(ALEX, "what stage is my son's plan at", topic))
    assert topics(messages) == [topic]
    assert "link code" in text(messages) and "type it here" in text(messages)
    assert "Sam" not in text(messages)


async def test_public_senco_contact_for_a_named_school_without_linking(family):
    messages, _ = await run(ra.ActionSencoContact(), tracker(ALEX, "who is the senco at oakfield primary", "senco_contact"))
    reply = text(messages)
    assert "The SENCO at Oakfield Primary School is Ms Priya Shah." in reply
    assert "senco@oakfield.example" in reply and "01632 960123" in reply
    assert "Monday, Tuesday and Thursday, 8:30am to 3pm" in reply
    assert topics(messages) == ["senco_contact"]


async def test_public_senco_contact_asks_which_school_then_answers(family):
    messages, _ = await run(ra.ActionSencoContact(), tracker(ALEX, "who is the senco", "senco_contact"))
    assert "Which school" in text(messages)
    school_payloads = payloads(messages)
    assert len(school_payloads) == 2 and all(p.startswith('/senco_contact{"school_ref": "s_') for p in school_payloads)
    ref = json.loads(school_payloads[1][len("/senco_contact"):])["school_ref"]
    messages, _ = await run(ra.ActionSencoContact(), tracker(ALEX, school_payloads[1], "senco_contact", entities={"school_ref": ref}))
    assert "The SENDCo at Riverside Academy is Mr Tom Okafor." in text(messages)


# --- after linking ---------------------------------------------------------------------------


async def test_several_children_get_buttons_with_opaque_refs_then_the_answer(family):
    await verify(ALEX, family.code_for(family.alex))
    messages, _ = await run(ra.ActionPlanStatus(), tracker(ALEX, "what stage is the plan at", "plan_status"))
    assert "Which child" in text(messages)
    assert sorted(payloads(messages)) == sorted(f'/plan_status{{"child_ref": "{family.refs[n]}"}}' for n in ("Sam", "Maya"))
    assert [b["title"] for b in messages[0]["buttons"]] == ["Maya", "Sam"]

    payload = f'/plan_status{{"child_ref": "{family.refs["Sam"]}"}}'
    messages, _ = await run(ra.ActionPlanStatus(), tracker(ALEX, payload, "plan_status", entities={"child_ref": family.refs["Sam"]}))
    reply = text(messages)
    assert "Sam's SEN support plan is active" in reply and "read aloud three times a week" in reply
    assert "last updated on" in reply and topics(messages) == ["plan_status"]

    messages, _ = await run(ra.ActionPlanStatus(), tracker(ALEX, "maya", "plan_status", entities={"child_ref": family.refs["Maya"]}))
    assert "Maya's SEN support plan is being written" in text(messages)


async def test_another_familys_child_ref_is_refused(family):
    await verify(ALEX, family.code_for(family.alex))
    for action, intent in ((ra.ActionPlanStatus(), "plan_status"), (ra.ActionNextReviewDate(), "next_review_date")):
        payload = f'/{intent}{{"child_ref": "{family.refs["Zoe"]}"}}'
        messages, _ = await run(action, tracker(ALEX, payload, intent, entities={"child_ref": family.refs["Zoe"]}))
        reply = text(messages)
        assert "can't find that child" in reply
        assert "Zoe" not in reply and "private" not in reply and "2099" not in reply
        assert family.refs["Zoe"] not in json.dumps(payloads(messages))


async def test_next_review_in_uk_time_with_how_to_move_and_prepare(family):
    await verify(ALEX, family.code_for(family.alex))
    t = tracker(ALEX, "when is his review", "next_review_date", entities={"child_ref": family.refs["Sam"]})
    messages, _ = await run(ra.ActionNextReviewDate(), t)
    reply = text(messages)
    assert "Sam's next review is on Wednesday 1 July 2099 at 3:30pm (UK time)." in reply  # 14:30 UTC in summer
    assert "move it" in reply and "Ms Priya Shah" in reply and "senco@oakfield.example" in reply
    assert "To get ready" in reply
    assert f'/leave_message{{"child_ref": "{family.refs["Sam"]}"}}' in payloads(messages)
    assert messages[0]["custom"] == {"topic": "next_review_date", "review_at": "2099-07-01T14:30:00+00:00"}

    messages, _ = await run(ra.ActionNextReviewDate(), tracker(ALEX, "maya", "next_review_date", entities={"child_ref": family.refs["Maya"]}))
    assert "can't see a review booked for Maya" in text(messages)


async def test_senco_contact_when_linked_offers_to_leave_a_message(family):
    await verify(ALEX, family.code_for(family.alex))
    messages, _ = await run(ra.ActionSencoContact(), tracker(ALEX, "senco email", "senco_contact"))
    assert "Ms Priya Shah" in text(messages) and "/leave_message" in payloads(messages)


# --- forged identities and slots ------------------------------------------------------------


async def test_an_unsigned_message_with_the_right_sender_id_gets_nothing(family):
    await verify(ALEX, family.code_for(family.alex))
    t = tracker(ALEX, "/plan_status", "plan_status", entities={"child_ref": family.refs["Sam"]}, signed=False)
    messages, _ = await run(ra.ActionPlanStatus(), t)
    assert "couldn't check which chat" in text(messages) and "Sam" not in text(messages)


async def test_the_rest_channel_cannot_use_a_telegram_users_link(family):
    await verify(ALEX, family.code_for(family.alex))
    for impostor in (Identity("rest", "1001"), Identity("rest", "telegram:1001")):
        t = tracker(impostor, "/plan_status", "plan_status", entities={"child_ref": family.refs["Sam"]})
        messages, _ = await run(ra.ActionPlanStatus(), t)
        assert "link code" in text(messages) and "active" not in text(messages)


async def test_a_message_signed_for_one_conversation_is_refused_in_another(family):
    await verify(ALEX, family.code_for(family.alex))
    t = tracker(Identity("telegram", "6666"), "/plan_status", "plan_status", sender_id=ALEX.sender_id)
    messages, _ = await run(ra.ActionPlanStatus(), t)
    assert "couldn't check" in text(messages)


async def test_a_forged_child_slot_cannot_send_a_message_about_another_child(family):
    await verify(ALEX, family.code_for(family.alex))
    t = tracker(ALEX, "Hello", "leave_message", slots={"child_ref": family.refs["Zoe"], "senco_message": "Hello"})
    messages, events = await run(ra.ActionLeaveMessage(), t)
    assert "can't find that child" in text(messages)
    with family.engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(SencoMessage)).scalar() == 0
    assert SlotSet("senco_message", None) in events and SlotSet("child_ref", None) in events


# --- leaving a message -----------------------------------------------------------------------


async def test_leave_a_message_in_two_steps(family):
    await verify(ALEX, family.code_for(family.alex))
    messages, events = await run(ra.ActionLeaveMessage(), tracker(ALEX, "can I leave a message for the senco", "leave_message"))
    assert "Which child" in text(messages)
    assert sorted(payloads(messages)) == sorted(f'/leave_message{{"child_ref": "{family.refs[n]}"}}' for n in ("Sam", "Maya"))

    t = tracker(ALEX, "/leave_message", "leave_message", entities={"child_ref": family.refs["Maya"]})
    messages, events = await run(ra.ActionLeaveMessage(), t)
    assert messages == []  # the form asks next (utter_ask_senco_message)
    assert events == [SlotSet("child_ref", family.refs["Maya"]), SlotSet("senco_message", None), FollowupAction("leave_message_form")]

    body = "Maya had a hard week, could you call me after 3pm?"
    t = tracker(ALEX, body, "leave_message", slots={"child_ref": family.refs["Maya"], "senco_message": body})
    messages, events = await run(ra.ActionLeaveMessage(), t)
    reply = text(messages)
    assert "passed your message to Ms Priya Shah, the SENCO at Oakfield Primary School" in reply
    reference = messages[0]["custom"]["reference"]
    assert f"Your reference is {reference}." in reply and reference.startswith("MSG-")
    with family.engine.connect() as connection:
        row = connection.execute(sa.select(SencoMessage.__table__)).one()._mapping
    assert (row["body"], row["child_id"], row["reference"], row["urgent_flag"]) == (body, family.maya, reference, False)
    assert events == [SlotSet("senco_message", None), SlotSet("child_ref", None)]


async def test_cancelling_a_message_sends_nothing(family):
    await verify(ALEX, family.code_for(family.alex))
    t = tracker(ALEX, "cancel", "deny", slots={"child_ref": family.refs["Sam"], "senco_message": "Cancel"})
    messages, _ = await run(ra.ActionLeaveMessage(), t)
    assert "haven't sent anything" in text(messages)
    with family.engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(SencoMessage)).scalar() == 0


async def test_a_message_naming_a_risk_gets_urgent_help_first_and_is_flagged(family):
    await verify(ALEX, family.code_for(family.alex))
    body = "Sam said he wants to die, please call me"
    t = tracker(ALEX, body, "crisis", slots={"child_ref": family.refs["Sam"], "senco_message": body})
    messages, _ = await run(ra.ActionLeaveMessage(), t)
    assert messages[0]["custom"].get("urgent") is True
    assert "Your reference is" in text(messages[1:])
    with family.engine.connect() as connection:
        assert connection.execute(sa.select(SencoMessage.urgent_flag)).scalar() is True


async def test_leaving_a_message_before_linking_explains_how(family):
    messages, events = await run(ra.ActionLeaveMessage(), tracker(ALEX, "leave a message", "leave_message"))
    assert "link this chat" in text(messages) and not any(isinstance(e, dict) and e.get("event") == "followup" for e in events)
    assert FollowupAction("leave_message_form") not in events


# --- forget me ------------------------------------------------------------------------------


async def test_forget_me_unlinks_the_chat(family):
    await verify(ALEX, family.code_for(family.alex))
    messages, _ = await run(ra.ActionForgetMe(), tracker(ALEX, "forget me", "forget_me"))
    assert "no longer linked" in text(messages) and topics(messages) == ["verify"]
    messages, _ = await run(ra.ActionPlanStatus(), tracker(ALEX, "plan", "plan_status", entities={"child_ref": family.refs["Sam"]}))
    assert "link code" in text(messages)
    messages, _ = await run(ra.ActionForgetMe(), tracker(ALEX, "forget me", "forget_me"))
    assert "nothing to unlink" in text(messages)


# --- the database away ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "action, intent",
    [
        (ra.ActionVerify(), "verify"),
        (ra.ActionPlanStatus(), "plan_status"),
        (ra.ActionNextReviewDate(), "next_review_date"),
        (ra.ActionSencoContact(), "senco_contact"),
        (ra.ActionLeaveMessage(), "leave_message"),
        (ra.ActionForgetMe(), "forget_me"),
    ],
)
@pytest.mark.parametrize("url", ["postgresql://nobody@127.0.0.1:1/none", "not a database url"])
async def test_database_down_gives_a_calm_reply_with_sendiass(monkeypatch, action, intent, url):
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SEN_DB_CONNECT_TIMEOUT", "2")
    reset_connectors()
    try:
        messages, _ = await run(action, tracker(ALEX, "ABCDE-23456" if intent == "verify" else "hello", intent))
    finally:
        reset_connectors()
    reply = text(messages)
    assert "can't reach the school records just now" in reply and "SENDIASS" in reply
    topic = "verify" if intent == "forget_me" else intent  # forget me replies report `verify` (topics.yml)
    assert messages[-1]["custom"] == {"topic": topic, "unavailable": True}
    assert "Traceback" not in reply and "Error" not in reply


async def test_every_records_topic_is_a_known_topic():
    assert {"plan_status", "next_review_date", "senco_contact", "leave_message", "verify"} <= RECORDS_TOPICS


# --- out of hours ----------------------------------------------------------------------------

OUT_OF_HOURS_REFS = {"SEN support toolkit", "SEND Code of Practice 2015", "SENDIASS"}


def set_calendar(family: Family, data: dict) -> None:
    family.staff.set_calendar(family.oakfield, SchoolCalendar.from_dict(data))


async def ask_senco(identity: Identity, typed: str = "how do I contact the senco at oakfield primary") -> list[dict]:
    messages, events = await run(ra.ActionSencoContact(), tracker(identity, typed, "senco_contact"))
    assert events == [] and topics(messages) == ["senco_contact"]
    return messages


@pytest.mark.parametrize("verified", [True, False], ids=["linked_parent", "public_contact"])
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
async def test_senco_contact_in_and_out_of_hours(family, monkeypatch, scenario: Scenario, verified: bool):
    set_calendar(family, scenario.calendar)
    if verified:
        await verify(ALEX, family.code_for(family.alex))
    at(monkeypatch, scenario.now)
    messages = await ask_senco(ALEX)
    reply, custom = text(messages), messages[0]["custom"]
    assert custom["out_of_hours"] is (not scenario.senco_in)
    assert custom["office_open"] is scenario.office_open
    assert custom["next_available"] == scenario.next_available.isoformat()
    assert "Ms Priya Shah" in reply
    if scenario.senco_in:
        # The contact as usual: name, role, email, phone, when they can be reached.
        assert "The SENCO at Oakfield Primary School is Ms Priya Shah." in reply
        assert "Email: senco@oakfield.example" in reply and "Phone: 01632 960123" in reply
        assert "They can usually be reached:" in reply
        assert "closed" not in reply and "sources" not in custom
        assert ("/leave_message" in payloads(messages)) is verified
        return
    # Out of hours: closed (or the SENCO away), when next, leave a message, and where to read meanwhile.
    if scenario.office_open:
        assert "Ms Priya Shah, the SENCO at Oakfield Primary School, is not available right now. The school office is open." in reply
        assert f"The next time you can reach them is {scenario.said}." in reply
    else:
        assert "The school is closed right now." in reply
        assert f"The next time you can reach Ms Priya Shah, the SENCO at Oakfield Primary School, is {scenario.said}." in reply
    assert payloads(messages) == ["/leave_message", "/deny"]
    assert [b["title"] for b in messages[0]["buttons"]] == ["Leave a message", "No thanks"]
    assert "Phone:" not in reply and "01632 960123" not in reply  # nobody would answer
    assert "SEN support toolkit" in reply and "SEND Code of Practice" in reply and "SENDIASS" in reply
    sources = custom["sources"]
    assert {s["ref"] for s in sources} == OUT_OF_HOURS_REFS and all(s["url"].startswith("https://") for s in sources)
    if verified:
        assert "You can leave a message for them here, or email senco@oakfield.example." in reply
    else:
        assert "link this chat with a code from school" in reply and "email them at senco@oakfield.example" in reply


async def test_out_of_hours_uses_the_local_signposting_file(family, monkeypatch, tmp_path):
    from bot.signposting import DEFAULT_FILE, load_signposting

    local = yaml.safe_load(DEFAULT_FILE.read_text())
    local["sendiass"].update(name="Oakshire SENDIASS", url="https://sendiass.oakshire.example", phone="01632 960999")
    local["toolkit"].update(name="the Oakshire SEN support toolkit", url="https://localoffer.oakshire.example/toolkit")
    path = tmp_path / "signposting.yml"
    path.write_text(yaml.safe_dump(local))
    monkeypatch.setenv("SIGNPOSTING_FILE", str(path))
    load_signposting.cache_clear()
    try:
        set_calendar(family, EXAMPLE_DATA)
        at(monkeypatch, london(2026, 11, 28, 11, 0))  # Saturday
        messages = await ask_senco(ALEX)
    finally:
        load_signposting.cache_clear()
    reply = text(messages)
    assert "Oakshire SENDIASS, phone 01632 960999, https://sendiass.oakshire.example: free, independent advice" in reply
    assert "The Oakshire SEN support toolkit, https://localoffer.oakshire.example/toolkit" in reply
    urls = {s["ref"]: s["url"] for s in messages[0]["custom"]["sources"]}
    assert urls == {
        "SEN support toolkit": "https://localoffer.oakshire.example/toolkit",
        "SEND Code of Practice 2015": "https://www.gov.uk/government/publications/send-code-of-practice-0-to-25",
        "SENDIASS": "https://sendiass.oakshire.example",
    }


async def test_a_school_without_hours_gets_the_contact_as_usual(family, monkeypatch):
    at(monkeypatch, london(2026, 11, 28, 23, 0))  # Saturday night, but Riverside never said when it is open
    messages = await ask_senco(ALEX, "who is the senco at riverside academy")
    assert "The SENDCo at Riverside Academy is Mr Tom Okafor." in text(messages)
    assert messages[0]["custom"] == {"topic": "senco_contact", "out_of_hours": False, "office_open": False, "next_available": None}


async def test_a_leave_message_button_out_of_hours_names_the_child_when_there_is_one(family, monkeypatch):
    set_calendar(family, EXAMPLE_DATA)
    await verify(ALEX, family.code_for(family.alex))
    at(monkeypatch, london(2026, 11, 24, 19, 0))
    t = tracker(ALEX, "/senco_contact", "senco_contact", entities={"child_ref": family.refs["Sam"]})
    messages, _ = await run(ra.ActionSencoContact(), t)
    assert payloads(messages) == [f'/leave_message{{"child_ref": "{family.refs["Sam"]}"}}', "/deny"]


async def test_a_message_left_out_of_hours_says_when_the_senco_will_read_it(family, monkeypatch, capsys):
    set_calendar(family, EXAMPLE_DATA)
    await verify(ALEX, family.code_for(family.alex))
    at(monkeypatch, london(2026, 11, 28, 21, 15))  # Saturday evening
    body = "Sam was upset after school on Friday, can we talk next week?"
    t = tracker(ALEX, body, "leave_message", slots={"child_ref": family.refs["Sam"], "senco_message": body})
    messages, _ = await run(ra.ActionLeaveMessage(), t)
    reply, custom = text(messages), messages[0]["custom"]
    reference = custom["reference"]
    assert f"Your reference is {reference}." in reply
    assert "The school is closed right now. They can read your message when they are next in: Monday at 8:30am." in reply
    assert "If it can't wait, phone the school office when it opens (Monday at 8am)." in reply
    assert custom["out_of_hours"] is True and custom["next_available"] == "2026-11-30T08:30:00+00:00"

    # The staff command line (on this DATABASE_URL) lists it with its reference, then marks it handled.
    from bot import admin

    capsys.readouterr()
    assert admin.main(["list-messages"]) == 0
    listed = capsys.readouterr().out
    assert reference in listed and "Sam was upset after school" in listed and "2026-11-28 21:15" in listed
    assert admin.main(["mark-handled", reference]) == 0
    capsys.readouterr()
    assert admin.main(["list-messages"]) == 0 and "No messages waiting" in capsys.readouterr().out


async def test_a_message_left_in_hours_keeps_the_usual_confirmation(family):
    await verify(ALEX, family.code_for(family.alex))
    body = "Please call me."
    t = tracker(ALEX, body, "leave_message", slots={"child_ref": family.refs["Maya"], "senco_message": body})
    messages, _ = await run(ra.ActionLeaveMessage(), t)
    assert "They can usually reply Monday, Tuesday and Thursday, 8:30am to 3pm." in text(messages)
    assert messages[0]["custom"]["out_of_hours"] is False


async def test_no_other_parent_ever_sees_a_message(family, monkeypatch):
    set_calendar(family, EXAMPLE_DATA)
    await verify(ALEX, family.code_for(family.alex))
    jordan = Identity("whatsapp", "447700900456")
    await verify(jordan, family.code_for(family.jordan))
    at(monkeypatch, london(2026, 11, 24, 19, 0))
    body = "Private: Sam's home situation has changed."
    t = tracker(ALEX, body, "leave_message", slots={"child_ref": family.refs["Sam"], "senco_message": body})
    reference = (await run(ra.ActionLeaveMessage(), t))[0][0]["custom"]["reference"]

    seen = []
    for action, intent, entities in (
        (ra.ActionSencoContact(), "senco_contact", {}),
        (ra.ActionLeaveMessage(), "leave_message", {}),
        (ra.ActionPlanStatus(), "plan_status", {"child_ref": family.refs["Sam"]}),
        (ra.ActionNextReviewDate(), "next_review_date", {"child_ref": family.refs["Sam"]}),
        (ra.ActionVerify(), "verify", {}),
    ):
        messages, events = await run(action, tracker(jordan, "messages for the senco", intent, entities=entities))
        seen.append(json.dumps(messages) + json.dumps([e if isinstance(e, dict) else repr(e) for e in events]))
    # Jordan, even with a forged slot naming Sam, can't add to or read Alex's message.
    forged = tracker(jordan, "hello", "leave_message", slots={"child_ref": family.refs["Sam"], "senco_message": "Show me Sam's messages"})
    messages, _ = await run(ra.ActionLeaveMessage(), forged)
    seen.append(json.dumps(messages))
    everything = "\n".join(seen)
    assert reference not in everything and "home situation" not in everything and "Sam" not in everything
    with family.engine.connect() as connection:
        rows = connection.execute(sa.select(SencoMessage.reference, SencoMessage.parent_id)).all()
    assert [tuple(r) for r in rows] == [(reference, family.alex)]


async def test_when_the_terms_have_run_out_the_parent_is_told_to_check_the_website(family, monkeypatch):
    set_calendar(family, {**EXAMPLE_DATA, "terms": [{"start": "2025-09-03", "end": "2026-07-22"}]})
    messages = await ask_senco(ALEX)  # Tuesday 24 November 2026: after the last term given
    assert "The school is closed right now." in text(messages)
    assert "I don't know when the school will be open again. Please check the school's website." in text(messages)
    assert messages[0]["custom"]["out_of_hours"] is True and messages[0]["custom"]["next_available"] is None


async def test_a_message_naming_a_risk_at_2am_on_a_sunday_in_the_holidays_gets_urgent_help_first(family, monkeypatch):
    set_calendar(family, EXAMPLE_DATA)
    await verify(ALEX, family.code_for(family.alex))
    at(monkeypatch, london(2026, 12, 27, 2, 0))
    body = "Sam said he wants to die, please call me"
    t = tracker(ALEX, body, "crisis", slots={"child_ref": family.refs["Sam"], "senco_message": body})
    messages, _ = await run(ra.ActionLeaveMessage(), t)
    assert messages[0]["custom"].get("urgent") is True and "999" in messages[0]["text"]
    assert "Your reference is" in text(messages[1:])
    assert "They can read your message when they are next in: Tuesday 5 January at 8:30am." in text(messages[1:])
