"""Staff command line for the records: `python -m bot.admin ...` or `sen-admin ...`.

    sen-admin add-school --name "Oakfield Primary School" --contact-name "Ms P Shah" \\
        --email senco@oakfield.example --phone "01632 960123" \\
        --hours "mon-fri 08:30-15:30" --contact-hours "mon,tue,thu 08:30-15:00"
    sen-admin set-calendar --school 1 --file calendar.yml      (hours, terms, closures: docs/out-of-hours.md)
    sen-admin show-calendar --school 1 > calendar.yml
    sen-admin add-child --school 1 --first-name Sam --last-name Taylor
    sen-admin add-parent --name "Alex Taylor" --phone "07700 900123"
    sen-admin link --parent 1 --child 1
    sen-admin set-plan --child 1 --status active --outcomes "1. Read aloud three times a week"
    sen-admin set-review --child 1 --at "2026-03-12 15:30"      (UK time)
    sen-admin issue-code --parent 1                             (prints the code once)
    sen-admin revoke-code --parent 1    |   --code-id 7
    sen-admin list-messages [--school 1] [--all] [--format json]
    sen-admin mark-handled MSG-7K3P
    sen-admin export-audit --format csv [--since 2026-01-01] [--until 2026-02-01] > audit.csv
    sen-admin demo [--force]
    sen-admin migrate

Bad input: one calm line on stderr and exit code 2. Database unreachable: exit code 1.
Codes and names are printed to this terminal only, never written to a log.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import sys
from typing import Any, Sequence

from bot.backend.staff import LONDON, StaffError, StaffService, parse_local_datetime
from bot.schedule.calendar import CalendarError, SchoolCalendar
from bot.schedule.hours import HoursError, parse_hours
from bot.config import Settings
from bot.security.keys import ENV_NAME as SECRET_ENV, ensure_local_secret

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


class BadInput(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one calm line, not a usage dump
        raise BadInput(f"{message} (see: {self.prog} --help)")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"'{text}' must be 1 or more")
    return value


def _date(text: str) -> dt.datetime:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date like 2026-01-31") from None
    return dt.datetime(day.year, day.month, day.day, tzinfo=LONDON).astimezone(dt.timezone.utc)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="sen-admin", description="Manage the SEN assistant's records (staff only).")
    parser.add_argument("--staff-id", default=os.environ.get("SEN_STAFF_ID", "cli"), help="your staff id, written to the audit log (not your name)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    sub.add_parser("migrate", help="create or upgrade the records database")

    p = sub.add_parser("add-school", help="add a school and its SENCO or named person")
    p.add_argument("--name", required=True)
    p.add_argument("--contact-name", required=True, help="the SENCO or named person")
    p.add_argument("--contact-role", default="SENCO")
    p.add_argument("--email")
    p.add_argument("--phone")
    p.add_argument("--hours", default="", help="school opening hours, e.g. 'mon-fri 08:30-15:30'")
    p.add_argument("--contact-hours", default="", help="when the SENCO can be reached, e.g. 'mon,tue,thu 08:30-15:00'")

    sub.add_parser("list-schools", help="list schools with their ids")

    p = sub.add_parser("set-calendar", help="set a school's office and SENCO hours, terms and closure days from a file")
    p.add_argument("--school", required=True, help="school id or ref")
    p.add_argument("--file", required=True, help="calendar file (YAML), like knowledge/calendar.example.yml")

    p = sub.add_parser("show-calendar", help="print a school's calendar in the file format set-calendar reads")
    p.add_argument("--school", required=True, help="school id or ref")

    p = sub.add_parser("add-child", help="add a child at a school")
    p.add_argument("--school", type=_positive_int, required=True, help="school id")
    p.add_argument("--first-name", required=True)
    p.add_argument("--last-name")

    p = sub.add_parser("add-parent", help="add a parent or carer")
    p.add_argument("--name", required=True)
    p.add_argument("--email")
    p.add_argument("--phone")

    p = sub.add_parser("link", help="link a parent or carer to a child")
    p.add_argument("--parent", type=_positive_int, required=True)
    p.add_argument("--child", type=_positive_int, required=True)
    p.add_argument("--relationship", default="parent", help="parent, carer, ...")

    p = sub.add_parser("unlink", help="end a parent's link to a child")
    p.add_argument("--parent", type=_positive_int, required=True)
    p.add_argument("--child", type=_positive_int, required=True)

    p = sub.add_parser("set-plan", help="set a child's SEN support plan status and outcomes")
    p.add_argument("--child", type=_positive_int, required=True)
    p.add_argument("--status", required=True, help="draft, active, under_review or ended")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--outcomes")
    group.add_argument("--outcomes-file", type=argparse.FileType("r", encoding="utf-8"))

    p = sub.add_parser("set-review", help="book or move a child's next review (UK time)")
    p.add_argument("--child", type=_positive_int, required=True)
    p.add_argument("--at", help="date and time, e.g. '2026-03-12 15:30'")
    p.add_argument("--status", default="scheduled", help="scheduled (default), held or cancelled")

    p = sub.add_parser("issue-code", help="issue a one-time link code for a parent (shown once)")
    p.add_argument("--parent", type=_positive_int, required=True)
    p.add_argument("--days", type=_positive_int, help="days before it expires (default 14, or SEN_LINK_CODE_DAYS)")

    p = sub.add_parser("revoke-code", help="revoke a parent's unused codes, or one code")
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--parent", type=_positive_int)
    group.add_argument("--code-id", type=_positive_int)

    p = sub.add_parser("list-messages", help="messages parents left for the SENCO (not yet handled)")
    p.add_argument("--school", type=_positive_int)
    p.add_argument("--all", action="store_true", help="include handled messages")
    p.add_argument("--format", choices=("text", "json"), default="text")

    p = sub.add_parser("mark-handled", help="mark a message as handled")
    p.add_argument("reference", help="e.g. MSG-7K3P")

    p = sub.add_parser("export-audit", help="write the audit log to stdout")
    p.add_argument("--format", choices=("csv", "json"), default="csv")
    p.add_argument("--since", type=_date, help="from this date (UK), e.g. 2026-01-01")
    p.add_argument("--until", type=_date, help="before this date (UK)")

    p = sub.add_parser("demo", help="load demo data and print a demo link code")
    p.add_argument("--force", action="store_true", help="load even into the database DATABASE_URL names")
    return parser


def _local(value: dt.datetime | None) -> str:
    return value.astimezone(LONDON).strftime("%Y-%m-%d %H:%M") if value else ""


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _prepare_environment(settings: Settings) -> None:
    """Development: use the same local secret as `make run`. Production must set it."""
    if len(os.environ.get(SECRET_ENV, "")) >= 32:
        return
    if settings.is_production:
        raise BadInput(f"{SECRET_ENV} must be set (the same value the assistant uses).")
    os.environ[SECRET_ENV] = ensure_local_secret(settings.data_dir)


def _engine_ready(command: str):
    from bot.backend.db import make_engine, uses_external_database
    from bot.backend.migrate import is_at_head, upgrade_to_head

    engine = make_engine()
    if command == "migrate" or not uses_external_database():
        upgrade_to_head(engine)
    elif not is_at_head(engine):
        engine.dispose()
        raise BadInput("The records database is not up to date. Run: sen-admin migrate")
    return engine


def run(args: argparse.Namespace, out=None) -> int:
    from bot.backend.db import uses_external_database

    out = out or sys.stdout

    if args.command == "demo" and uses_external_database() and not args.force:
        raise BadInput("DATABASE_URL is set, so demo data was not loaded. Add --force to load it there anyway.")
    _prepare_environment(Settings.from_env())
    engine = _engine_ready(args.command)
    try:
        return _dispatch(args, StaffService(engine, staff_id=args.staff_id), out)
    finally:
        engine.dispose()


def _dispatch(args: argparse.Namespace, staff: StaffService, out) -> int:
    command = args.command
    if command == "migrate":
        print("The records database is up to date.", file=out)
    elif command == "add-school":
        school_id, ref = staff.add_school(
            args.name, args.contact_name, contact_role=args.contact_role, email=args.email, phone=args.phone,
            school_hours=parse_hours(args.hours), contact_hours=parse_hours(args.contact_hours),
        )
        print(f"Added school {school_id}.", file=out)
    elif command == "list-schools":
        for school_id, name, role, contact in staff.list_schools():
            print(f"{school_id}\t{name}\t{role}: {contact}", file=out)
    elif command == "set-calendar":
        calendar = read_calendar_file(args.file)
        school_id = staff.school_id(args.school)
        staff.set_calendar(school_id, calendar)
        print(f"Calendar of school {school_id} set: {calendar_summary(calendar)}.", file=out)
        note = calendar_note(calendar, dt.datetime.now(dt.timezone.utc).astimezone(LONDON).date())
        if note:
            print(note, file=out)
    elif command == "show-calendar":
        school_id = staff.school_id(args.school)
        name, calendar = staff.get_calendar(school_id)
        out.write(format_calendar(calendar, f"{name} (school {school_id})"))
    elif command == "add-child":
        child_id, _ = staff.add_child(args.school, args.first_name, args.last_name)
        print(f"Added child {child_id}.", file=out)
    elif command == "add-parent":
        print(f"Added parent {staff.add_parent(args.name, args.email, args.phone)}.", file=out)
    elif command == "link":
        staff.link(args.parent, args.child, args.relationship)
        print(f"Linked parent {args.parent} to child {args.child}.", file=out)
    elif command == "unlink":
        staff.unlink(args.parent, args.child)
        print(f"Parent {args.parent} is no longer linked to child {args.child}.", file=out)
    elif command == "set-plan":
        outcomes = args.outcomes_file.read() if args.outcomes_file else args.outcomes
        staff.set_plan(args.child, args.status, outcomes)
        print(f"Updated the plan of child {args.child}.", file=out)
    elif command == "set-review":
        when = parse_local_datetime(args.at) if args.at else None
        staff.set_review(args.child, when, args.status)
        print(f"Review for child {args.child}: {args.status}{' ' + _local(when) + ' (UK time)' if when else ''}.", file=out)
    elif command == "issue-code":
        issued = staff.issue_code(args.parent, args.days)
        # The only place the code ever appears: this terminal. It is not stored or logged.
        print(f"Link code for parent {issued.parent_id}: {issued.code}", file=out)
        print(f"Code id {issued.code_id}. It works once, until {_local(issued.expires_at)} (UK time). It can't be shown again.", file=out)
    elif command == "revoke-code":
        count = staff.revoke_codes(parent_id=args.parent, code_id=args.code_id)
        print(f"Revoked {count} code{'s' if count != 1 else ''}.", file=out)
    elif command == "list-messages":
        messages = staff.list_messages(school_id=args.school, include_handled=args.all)
        if args.format == "json":
            json.dump([m.__dict__ for m in messages], out, default=_json_default, indent=2)
            print(file=out)
        elif not messages:
            print("No messages waiting.", file=out)
        for m in messages if args.format == "text" else ():
            flag = "URGENT (mentions a risk of harm) " if m.urgent else ""
            handled = f", handled {_local(m.handled_at)}" if m.handled_at else ""
            contact = ", ".join(x for x in (m.parent_phone, m.parent_email) if x)
            print(f"{flag}{m.reference}  {_local(m.created_at)}{handled}  school {m.school_id}", file=out)
            print(f"  From {m.parent_name} (parent {m.parent_id}{', ' + contact if contact else ''}) about {m.child_first_name or '-'} (child {m.child_id})", file=out)
            for line in m.body.splitlines() or [""]:
                print(f"  | {line}", file=out)
    elif command == "mark-handled":
        staff.mark_handled(args.reference)
        print("Marked as handled.", file=out)
    elif command == "export-audit":
        rows = staff.export_audit(args.since, args.until)
        if args.format == "json":
            json.dump(rows, out, default=_json_default, indent=1)
            print(file=out)
        else:
            from bot.backend.staff import AUDIT_FIELDS

            writer = csv.DictWriter(out, fieldnames=list(AUDIT_FIELDS), lineterminator="\n")
            writer.writeheader()
            for row in rows:
                writer.writerow({k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in row.items()})
    elif command == "demo":
        from bot.backend.demo import load_demo

        demo = load_demo(staff)
        print(f"Demo data loaded: Oakfield Primary School (school {demo.school_id}), parent {demo.parent_id} with children {demo.child_ids[0]} (Sam) and {demo.child_ids[1]} (Maya).", file=out)
        print(f"Demo link code: {demo.code.code}  (type it in the chat; it works once, until {_local(demo.code.expires_at)})", file=out)
    return EXIT_OK


def read_calendar_file(path: str) -> SchoolCalendar:
    """A calendar file, read and checked. Problems: BadInput with one line naming the file."""
    import yaml

    name = os.path.basename(path) or path
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except FileNotFoundError:
        raise BadInput(f"{name}: there is no such file.") from None
    except (OSError, UnicodeDecodeError) as error:
        raise BadInput(f"{name}: could not read the file ({type(error).__name__}).") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise BadInput(f"{name}: this is not a calendar file we can read{where}. Compare it with knowledge/calendar.example.yml.") from None
    try:
        return SchoolCalendar.from_dict(data)
    except (CalendarError, HoursError) as error:
        raise BadInput(f"{name}: {error}") from None


def calendar_summary(calendar: SchoolCalendar) -> str:
    parts = [
        f"office {calendar.office_hours.describe() or 'hours not given'}",
        f"SENCO {calendar.senco_hours.describe() or 'hours not given'}",
    ]
    if calendar.terms:
        parts.append(f"{len(calendar.terms)} term{'s' if len(calendar.terms) != 1 else ''} "
                     f"({calendar.terms[0].starts_on.isoformat()} to {calendar.terms[-1].ends_on.isoformat()})")
    else:
        parts.append("no terms (open all year)")
    parts.append(f"{len(calendar.closures)} closure day{'s' if len(calendar.closures) != 1 else ''}")
    return "; ".join(parts)


def calendar_note(calendar: SchoolCalendar, today: dt.date) -> str:
    """A reminder when the terms run out soon (the assistant then says the SENCO can't be reached)."""
    if not calendar.terms:
        return ""
    last = max(t.ends_on for t in calendar.terms)
    if last < today:
        return f"Note: every term in this file has ended (the last on {last.isoformat()}). Add the coming terms."
    if (last - today).days < 60:
        return f"Note: the last term ends on {last.isoformat()}. Add the next terms before then."
    return ""


def format_calendar(calendar: SchoolCalendar, title: str) -> str:
    """The calendar as a file set-calendar reads back (the layout of knowledge/calendar.example.yml)."""
    data = calendar.to_dict()
    lines = [
        f"# Calendar of {title}. UK clock times (Europe/London); bank holidays in England are automatic.",
        "# Change it and load it with: sen-admin set-calendar --school <id or ref> --file <this file>",
    ]
    for key in ("office_hours", "senco_hours"):
        if not data[key]:
            lines.append(f"{key}: {{}}")
            continue
        lines.append(f"{key}:")
        for day, spans in data[key].items():
            quoted = [f'["{a}", "{b}"]' for a, b in spans]
            lines.append(f"  {day}: {quoted[0] if len(quoted) == 1 else '[' + ', '.join(quoted) + ']'}")
    lines.append("terms:" if data["terms"] else "terms: []")
    lines.extend(f"  - {{start: {t['start']}, end: {t['end']}}}" for t in data["terms"])
    lines.append("closures:" if data["closures"] else "closures: []")
    for item in data["closures"]:
        if isinstance(item, dict):
            lines.append(f"  - {{day: {item['day']}, reason: {json.dumps(item['reason'], ensure_ascii=False)}}}")
        else:
            lines.append(f"  - {item}")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from bot.security.keys import MissingSecretKey

    try:
        args = build_parser().parse_args(argv)
        return run(args)
    except (BadInput, StaffError, HoursError, CalendarError) as error:
        print(f"sen-admin: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except MissingSecretKey as error:
        print(f"sen-admin: {error}", file=sys.stderr)
        return EXIT_FAILED
    except (SQLAlchemyError, OSError) as error:
        print(f"sen-admin: could not use the records database ({type(error).__name__}). Check DATABASE_URL or SEN_DATA_DIR and try again.", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
