"""The staff command line (`sen-admin`), against SQLite (default file) and PostgreSQL (DATABASE_URL)."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from pathlib import Path

import pytest
import yaml

from bot import admin
from bot.backend import get_connector, reset_connectors
from bot.backend.results import NextReview, PlanStatus, Verified
from bot.security.sealed_codes import find_code
from records_support import empty_tables, telegram

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def cli(request, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SEN_DATA_DIR", str(tmp_path / "data"))
    if request.param == "sqlite":
        monkeypatch.delenv("DATABASE_URL", raising=False)
    else:
        monkeypatch.setenv("DATABASE_URL", request.getfixturevalue("postgres_database"))
    reset_connectors()

    def run(*argv: str) -> tuple[int, str, str]:
        code = admin.main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    run.backend = request.param
    yield run
    reset_connectors()
    if request.param == "postgresql":
        empty_tables(request.getfixturevalue("postgres_database"))


def _id(output: str) -> str:
    return re.search(r"(\d+)\.$", output.strip()).group(1)


def test_a_school_family_and_code_set_up_from_the_command_line(cli, caplog):
    code, out, err = cli("migrate")
    assert code == 0 and "up to date" in out
    code, out, _ = cli(
        "add-school", "--name", "Oakfield Primary School", "--contact-name", "Ms Priya Shah",
        "--email", "senco@oakfield.example", "--phone", "01632 960123",
        "--hours", "mon-fri 08:30-15:30", "--contact-hours", "mon,tue,thu 08:30-15:00",
    )
    assert code == 0
    school = _id(out)
    child = _id(cli("add-child", "--school", school, "--first-name", "Sam", "--last-name", "Taylor")[1])
    parent = _id(cli("add-parent", "--name", "Alex Taylor", "--phone", "07700 900123")[1])
    assert cli("link", "--parent", parent, "--child", child)[0] == 0
    assert cli("set-plan", "--child", child, "--status", "under review", "--outcomes", "Read aloud three times a week.")[0] == 0
    assert cli("set-review", "--child", child, "--at", "2099-07-01 15:30")[0] == 0
    assert cli("list-schools")[1].startswith(f"{school}\tOakfield Primary School")

    with caplog.at_level(logging.DEBUG):
        code, out, err = cli("issue-code", "--parent", parent, "--days", "7")
    assert code == 0 and not err
    link_code = find_code(out)
    assert link_code and out.count(out.split(": ")[1].split()[0]) == 1  # printed once
    assert link_code not in caplog.text and link_code[:5] not in caplog.text  # never logged

    connector = get_connector()
    assert isinstance(connector.redeem_code(telegram(), link_code), Verified)
    plan = connector.plan_status(telegram())
    assert isinstance(plan, PlanStatus) and (plan.status, plan.outcomes) == ("under_review", "Read aloud three times a week.")
    review = connector.next_review(telegram())
    assert isinstance(review, NextReview) and review.scheduled_at.isoformat() == "2099-07-01T14:30:00+00:00"  # BST
    assert review.contact.contact_hours.describe() == "Monday, Tuesday and Thursday, 8:30am to 3pm"

    # A message, listed for staff and marked handled.
    left = connector.leave_message(telegram(), None, "Please call me after 3pm.")
    code, out, _ = cli("list-messages")
    assert code == 0 and left.reference in out and "Please call me after 3pm." in out and "Alex Taylor" in out
    code, out, _ = cli("list-messages", "--format", "json")
    assert json.loads(out)[0]["reference"] == left.reference
    assert cli("mark-handled", left.reference.lower())[0] == 0
    assert "No messages waiting" in cli("list-messages")[1]
    assert left.reference in cli("list-messages", "--all")[1]

    # Revoking: a new code, revoked before use, doesn't work.
    second = find_code(cli("issue-code", "--parent", parent)[1])
    assert cli("revoke-code", "--parent", parent)[1].strip() == "Revoked 1 code."
    assert not connector.redeem_code(telegram("2002"), second).ok

    # The audit log, as CSV and JSON: ids only.
    code, out, _ = cli("export-audit", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and {"staff.issue_code", "verify", "plan_status", "leave_message", "staff.mark_handled"} <= {r["action"] for r in rows}
    for secret in ("Alex", "Sam", "Priya", "Please call me", link_code, second):
        assert secret not in out
    code, out, _ = cli("--staff-id", "t42", "export-audit", "--format", "json", "--since", "2000-01-01")
    exported = json.loads(out)
    assert len(exported) >= len(rows)
    assert cli("export-audit", "--format", "json", "--until", "2000-01-01")[1].strip() == "[]"


@pytest.mark.parametrize(
    "argv, says",
    [
        (["set-plan", "--child", "1", "--status", "finished"], "plan status must be one of"),
        (["set-plan", "--child", "abc", "--status", "active"], "is not a number"),
        (["set-review", "--child", "1", "--at", "next tuesday"], "is not a date and time"),
        (["add-school", "--name", "X", "--contact-name", "Y", "--hours", "weekdays 9-5"], "should look like"),
        (["add-school", "--name", "X", "--contact-name", "Y", "--email", "not-an-email"], "is not an email address"),
        (["add-child", "--school", "999", "--first-name", "Sam"], "no school with id 999"),
        (["link", "--parent", "999", "--child", "1"], "no parent with id 999"),
        (["issue-code", "--parent", "999"], "no parent with id 999"),
        (["issue-code", "--parent", "1", "--days", "0"], "must be 1 or more"),
        (["revoke-code"], "one of the arguments --parent --code-id is required"),
        (["mark-handled", "MSG-ZZZZ"], "no message with reference MSG-ZZZZ"),
        (["export-audit", "--since", "yesterday"], "is not a date"),
        (["no-such-command"], "invalid choice"),
        ([], "required"),
    ],
)
def test_bad_input_is_one_calm_line_and_exit_code_2(cli, argv, says):
    code, out, err = cli(*argv)
    assert code == 2
    assert says in err
    assert err.count("\n") == 1 and err.startswith("sen-admin: ")
    assert "Traceback" not in err


def test_demo_loads_a_family_and_prints_a_code_that_works(cli, monkeypatch):
    if cli.backend == "postgresql":
        code, out, err = cli("demo")
        assert code == 2 and "DATABASE_URL is set" in err and not out
        code, out, err = cli("demo", "--force")
    else:
        code, out, err = cli("demo")
    assert code == 0, err
    demo_code = find_code(out)
    assert demo_code
    result = get_connector().redeem_code(telegram(), demo_code)
    assert isinstance(result, Verified)
    children = {c.first_name: c.ref for c in result.children}
    assert set(children) == {"Sam", "Maya"}
    sam, maya = (get_connector().plan_status(telegram(), children[n]) for n in ("Sam", "Maya"))
    assert sam.status != maya.status
    sam_review, maya_review = (get_connector().next_review(telegram(), children[n]).scheduled_at for n in ("Sam", "Maya"))
    assert sam_review and maya_review and sam_review != maya_review
    # Loading again reuses the family and gives a new code.
    code, again, _ = cli("demo", "--force")
    assert code == 0 and find_code(again) != demo_code
    assert len(get_connector().my_children(telegram()).children) == 2


def test_an_unreachable_database_is_exit_code_1(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("SEN_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    monkeypatch.setenv("SEN_DB_CONNECT_TIMEOUT", "2")
    assert admin.main(["list-messages"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("sen-admin: could not use the records database") and err.count("\n") == 1


def test_production_without_a_secret_refuses_to_issue_codes(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("SEN_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("SEN_ENV", "production")
    monkeypatch.delenv("SEN_SECRET_KEY")
    assert admin.main(["issue-code", "--parent", "1"]) == 2
    assert "SEN_SECRET_KEY must be set" in capsys.readouterr().err
    assert not (tmp_path / "secret.key").exists()


# --- a school's calendar from a file ---------------------------------------------------------

EXAMPLE_CALENDAR = ROOT / "knowledge" / "calendar.example.yml"


def test_set_calendar_from_a_file_and_show_it_back(cli, tmp_path):
    from bot.schedule.calendar import SchoolCalendar

    school = _id(cli("add-school", "--name", "Oakfield Primary School", "--contact-name", "Ms Priya Shah", "--hours", "mon-fri 08:30-15:30")[1])
    code, out, err = cli("set-calendar", "--school", school, "--file", str(EXAMPLE_CALENDAR))
    assert code == 0, err
    assert out.startswith(f"Calendar of school {school} set: office Monday to Thursday, 8am to 4:30pm; Friday, 8am to 3:30pm; SENCO ")
    assert "6 terms (2026-09-03 to 2027-07-21); 2 closure days." in out

    code, shown, _ = cli("show-calendar", "--school", school)
    assert code == 0 and shown.startswith("# Calendar of Oakfield Primary School")
    assert '  wednesday: ["08:30", "12:00"]' in shown and "  - {start: 2026-09-03, end: 2026-10-23}" in shown
    example = SchoolCalendar.from_dict(yaml.safe_load(EXAMPLE_CALENDAR.read_text()))
    assert SchoolCalendar.from_dict(yaml.safe_load(shown)) == example

    # Edit the printed file (a lunch break, an INSET day with its reason) and load it back, by ref.
    edited = shown.replace('  monday: ["08:30", "15:30"]', '  monday: [["08:30", "12:00"], ["13:00", "15:30"]]')
    edited = edited.replace("  - 2026-11-27", '  - {day: 2026-11-27, reason: "INSET day: staff training"}')
    path = tmp_path / "edited.yml"
    path.write_text(edited)
    ref = get_connector().public_senco_contact(None, "oakfield").contacts[0].school_ref
    assert cli("set-calendar", "--school", ref, "--file", str(path))[0] == 0
    code, again, _ = cli("show-calendar", "--school", ref)
    assert '  monday: [["08:30", "12:00"], ["13:00", "15:30"]]' in again
    assert '  - {day: 2026-11-27, reason: "INSET day: staff training"}' in again
    assert SchoolCalendar.from_dict(yaml.safe_load(again)) == SchoolCalendar.from_dict(yaml.safe_load(edited))
    # The assistant sees the same calendar.
    assert get_connector().public_senco_contact(None, "oakfield").calendar == SchoolCalendar.from_dict(yaml.safe_load(edited))


@pytest.mark.parametrize(
    "content, says",
    [
        ('office_hours:\n  monday: ["08:00", 16:30]\n', "bad.yml: office_hours.monday: put times in quotes"),
        ('office_hours:\n  funday: ["08:00", "16:30"]\n', "bad.yml: office_hours: 'funday' is not a day of the week"),
        ('senco_hours:\n  monday: [["08:00", "12:00"], ["11:00", "13:00"]]\n', "overlap"),
        ("terms:\n  - {start: 2026-09-10, end: 2026-09-01}\n", "bad.yml: terms[0]: the end is before the start"),
        ("closures:\n  - next tuesday\n", "dates must look like 2026-09-03"),
        ("office_hours: [\n", "bad.yml: this is not a calendar file we can read (line 2)"),
        ("just some words\n", "the calendar must be a mapping"),
        ("holidays: []\n", "'holidays' is not part of a calendar"),
    ],
)
def test_a_bad_calendar_file_is_one_calm_line_and_exit_code_2(cli, tmp_path, content, says):
    school = _id(cli("add-school", "--name", "Oakfield Primary School", "--contact-name", "Ms Priya Shah")[1])
    path = tmp_path / "bad.yml"
    path.write_text(content)
    code, out, err = cli("set-calendar", "--school", school, "--file", str(path))
    assert code == 2 and not out
    assert says in err and err.startswith("sen-admin: ") and err.count("\n") == 1
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "argv, says",
    [
        (["set-calendar", "--school", "1", "--file", "/no/such/calendar.yml"], "calendar.yml: there is no such file"),
        (["set-calendar", "--school", "999", "--file", str(EXAMPLE_CALENDAR)], "no school with id or ref '999'"),
        (["show-calendar", "--school", "s_nope"], "no school with id or ref 's_nope'"),
        (["set-calendar", "--file", str(EXAMPLE_CALENDAR)], "the following arguments are required: --school"),
    ],
)
def test_set_and_show_calendar_refuse_what_they_cannot_find(cli, argv, says):
    code, out, err = cli(*argv)
    assert code == 2 and says in err and err.count("\n") == 1


def test_the_demo_school_has_a_calendar_covering_today(cli):
    import datetime as dt

    from bot.schedule.calendar import LONDON

    assert cli("demo", "--force")[0] == 0
    code, shown, _ = cli("show-calendar", "--school", "s_demo_oakfield")
    assert code == 0 and "senco_hours:" in shown and "INSET day" in shown
    calendar = get_connector().public_senco_contact(None, "oakfield").calendar
    today = dt.datetime.now(LONDON).date()
    assert any(t.starts_on <= today + dt.timedelta(days=d) <= t.ends_on for t in calendar.terms for d in range(-60, 60))
    assert calendar.terms[0].starts_on < today - dt.timedelta(days=365) < today + dt.timedelta(days=365) < calendar.terms[-1].ends_on


def test_list_messages_shows_a_message_left_out_of_hours(cli, monkeypatch):
    """The reference a parent was given reaches the staff command line (and mark-handled)."""
    code = find_code(cli("demo", "--force")[1])
    monkeypatch.setenv("SEN_CLOCK_OVERRIDE", "2026-11-28T22:00:00+00:00")  # Saturday night
    connector = get_connector()
    assert isinstance(connector.redeem_code(telegram("7007"), code), Verified)
    sam = next(c.ref for c in connector.my_children(telegram("7007")).children if c.first_name == "Sam")
    left = connector.leave_message(telegram("7007"), sam, "Out of hours: Sam lost his reading book.")
    monkeypatch.delenv("SEN_CLOCK_OVERRIDE")
    code, out, _ = cli("list-messages")
    assert code == 0 and left.reference in out and "2026-11-28 22:00" in out and "Sam lost his reading book" in out
    assert cli("mark-handled", left.reference)[0] == 0
    assert left.reference not in cli("list-messages")[1]
