"""What school staff do to the records: the service behind `sen-admin` (bot/admin.py).

Every change is written to the audit log with actor_kind "staff" and the staff id given
to the command line (never a child's or parent's name). Bad input raises `StaffError`
with one calm sentence; database failures are left to the caller.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.backend import codes
from bot.backend.db import session_factory, utcnow
from bot.backend.models import (
    CALENDAR_HOURS_KINDS,
    PLAN_STATUSES,
    REVIEW_STATUSES,
    AuditEntry,
    Child,
    LinkCode,
    Parent,
    ParentChildLink,
    Review,
    School,
    SchoolClosure,
    SchoolHours,
    SchoolTerm,
    SencoMessage,
    SupportPlan,
)
from bot.schedule.calendar import LONDON, SchoolCalendar
from bot.schedule.hours import WeeklyHours

DEFAULT_CODE_DAYS = 14
MAX_CODE_DAYS = 90
AUDIT_FIELDS = (
    "id", "at", "action", "outcome", "actor_kind", "channel", "actor_key", "binding_id",
    "parent_id", "child_id", "school_id", "link_code_id", "message_id",
)


class StaffError(ValueError):
    """Bad input from staff. The message is one calm sentence, safe to show."""


@dataclass(frozen=True)
class IssuedCode:
    code: str  # shown once, never stored
    code_id: int
    parent_id: int
    expires_at: dt.datetime


@dataclass(frozen=True)
class MessageView:
    reference: str
    created_at: dt.datetime
    handled_at: dt.datetime | None
    urgent: bool
    school_id: int
    child_id: int | None
    parent_id: int
    parent_name: str
    parent_phone: str
    parent_email: str
    child_first_name: str
    body: str


def parse_local_datetime(text: str) -> dt.datetime:
    """'2026-03-12 15:30' (UK time) -> aware UTC datetime."""
    value = (text or "").strip().replace("T", " ")
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"):
        try:
            local = dt.datetime.strptime(value, fmt)
            break
        except ValueError:
            continue
    else:
        raise StaffError(f"'{text}' is not a date and time like 2026-03-12 15:30 (UK time).")
    return local.replace(tzinfo=LONDON).astimezone(dt.timezone.utc)


def default_code_days() -> int:
    import os

    try:
        days = int(os.environ.get("SEN_LINK_CODE_DAYS") or DEFAULT_CODE_DAYS)
    except ValueError:
        return DEFAULT_CODE_DAYS
    return min(max(days, 1), MAX_CODE_DAYS)


class StaffService:
    def __init__(self, engine: Engine, *, staff_id: str = "cli", clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.engine = engine
        self._sessions = session_factory(engine)
        self.staff_id = (staff_id or "cli")[:64]
        self._clock = clock

    # --- helpers ----------------------------------------------------------------------

    def _session(self) -> Iterator[Session]:
        return self._sessions.begin()

    def _audit(self, session: Session, action: str, outcome: str = "ok", **ids: Any) -> None:
        session.add(AuditEntry(at=self._clock(), action=f"staff.{action}", outcome=outcome, actor_kind="staff", actor_key=self.staff_id, **ids))

    @staticmethod
    def _get(session: Session, model, row_id: int, what: str):
        row = session.get(model, row_id)
        if row is None:
            raise StaffError(f"There is no {what} with id {row_id}.")
        return row

    @staticmethod
    def _text(value: str | None, what: str, limit: int, required: bool = True) -> str | None:
        value = (value or "").strip()
        if not value:
            if required:
                raise StaffError(f"Please give the {what}.")
            return None
        if len(value) > limit:
            raise StaffError(f"The {what} is too long (at most {limit} characters).")
        return value

    @staticmethod
    def _set_hours(school: School, kind: str, hours: WeeklyHours) -> None:
        school.hours[:] = [h for h in school.hours if h.kind != kind] + [
            SchoolHours(kind=kind, weekday=p.weekday, opens=p.opens, closes=p.closes) for p in hours.periods
        ]

    # --- schools, children, parents, links ---------------------------------------------

    def add_school(
        self,
        name: str,
        contact_name: str,
        *,
        contact_role: str = "SENCO",
        email: str | None = None,
        phone: str | None = None,
        school_hours: WeeklyHours | None = None,
        contact_hours: WeeklyHours | None = None,
        ref: str | None = None,
    ) -> tuple[int, str]:
        now = self._clock()
        with self._session() as session:
            school = School(
                ref=ref or codes.new_ref("s"),
                name=self._text(name, "school name", 200),
                contact_name=self._text(contact_name, "SENCO or named person's name", 200),
                contact_role=self._text(contact_role, "role", 100) or "SENCO",
                contact_email=self._text(email, "email", 254, required=False),
                contact_phone=self._text(phone, "phone number", 40, required=False),
                created_at=now,
                updated_at=now,
            )
            if school.contact_email and "@" not in school.contact_email:
                raise StaffError(f"'{school.contact_email}' is not an email address.")
            self._set_hours(school, "school", school_hours or WeeklyHours())
            self._set_hours(school, "contact", contact_hours or WeeklyHours())
            session.add(school)
            session.flush()
            self._audit(session, "add_school", school_id=school.id)
            return school.id, school.ref

    def update_school(self, school_id: int, *, school_hours: WeeklyHours | None = None, contact_hours: WeeklyHours | None = None, **fields: str | None) -> None:
        with self._session() as session:
            school = self._get(session, School, school_id, "school")
            for field, value in fields.items():
                if value is not None:
                    setattr(school, field, value.strip())
            if school_hours is not None:
                self._set_hours(school, "school", school_hours)
            if contact_hours is not None:
                self._set_hours(school, "contact", contact_hours)
            school.updated_at = self._clock()
            self._audit(session, "update_school", school_id=school.id)

    def school_id(self, ref_or_id: str | int) -> int:
        """The id of the school with this id (digits) or ref (s_...)."""
        value = str(ref_or_id or "").strip()
        with self._session() as session:
            if value.isdigit():
                school = session.get(School, int(value))
            else:
                school = session.execute(select(School).where(School.ref == value[:32])).scalar_one_or_none()
            if school is None:
                raise StaffError(f"There is no school with id or ref '{value[:40]}' (see: sen-admin list-schools).")
            return school.id

    def set_calendar(self, school_id: int, calendar: SchoolCalendar) -> None:
        """Replace the school's office and SENCO hours, terms and closure days with `calendar`."""
        with self._session() as session:
            school = self._get(session, School, school_id, "school")
            self._set_hours(school, CALENDAR_HOURS_KINDS["office_hours"], calendar.office_hours)
            self._set_hours(school, CALENDAR_HOURS_KINDS["senco_hours"], calendar.senco_hours)
            # Old terms and closures are deleted before the new ones are added, so a day
            # listed again (perhaps with a new reason) doesn't meet itself in the unique index.
            school.terms.clear()
            school.closures.clear()
            session.flush()
            school.terms.extend(SchoolTerm(starts_on=t.starts_on, ends_on=t.ends_on) for t in calendar.terms)
            school.closures.extend(SchoolClosure(day=c.day, reason=c.reason or None) for c in calendar.closures)
            school.updated_at = self._clock()
            self._audit(session, "set_calendar", school_id=school.id)

    def get_calendar(self, school_id: int) -> tuple[str, SchoolCalendar]:
        """(school name, its calendar) as the assistant sees it."""
        from bot.backend.connector import calendar_of

        with self._session() as session:
            school = self._get(session, School, school_id, "school")
            return school.name, calendar_of(school)

    def list_schools(self) -> list[tuple[int, str, str, str]]:
        """(id, name, contact role, contact name) of every school."""
        with self._session() as session:
            rows = session.execute(select(School.id, School.name, School.contact_role, School.contact_name).order_by(School.id)).all()
            return [tuple(row) for row in rows]

    def add_child(self, school_id: int, first_name: str, last_name: str | None = None) -> tuple[int, str]:
        with self._session() as session:
            self._get(session, School, school_id, "school")
            child = Child(
                ref=codes.new_ref("c"),
                school_id=school_id,
                first_name=self._text(first_name, "child's first name", 100),
                last_name=self._text(last_name, "child's last name", 100, required=False),
                created_at=self._clock(),
            )
            session.add(child)
            session.flush()
            self._audit(session, "add_child", child_id=child.id, school_id=school_id)
            return child.id, child.ref

    def add_parent(self, full_name: str, email: str | None = None, phone: str | None = None) -> int:
        with self._session() as session:
            parent = Parent(
                full_name=self._text(full_name, "parent's name", 200),
                email=self._text(email, "email", 254, required=False),
                phone=self._text(phone, "phone number", 40, required=False),
                created_at=self._clock(),
            )
            if parent.email and "@" not in parent.email:
                raise StaffError(f"'{parent.email}' is not an email address.")
            session.add(parent)
            session.flush()
            self._audit(session, "add_parent", parent_id=parent.id)
            return parent.id

    def link(self, parent_id: int, child_id: int, relationship: str = "parent") -> None:
        with self._session() as session:
            self._get(session, Parent, parent_id, "parent")
            child = self._get(session, Child, child_id, "child")
            existing = session.execute(
                select(ParentChildLink).where(ParentChildLink.parent_id == parent_id, ParentChildLink.child_id == child_id)
            ).scalar_one_or_none()
            if existing is None:
                session.add(ParentChildLink(parent_id=parent_id, child_id=child_id, relationship_to_child=relationship or "parent", created_at=self._clock()))
            else:
                existing.ended_at = None
                existing.relationship_to_child = relationship or existing.relationship_to_child
            self._audit(session, "link", parent_id=parent_id, child_id=child_id, school_id=child.school_id)

    def unlink(self, parent_id: int, child_id: int) -> None:
        with self._session() as session:
            link = session.execute(
                select(ParentChildLink).where(
                    ParentChildLink.parent_id == parent_id, ParentChildLink.child_id == child_id, ParentChildLink.ended_at.is_(None)
                )
            ).scalar_one_or_none()
            if link is None:
                raise StaffError(f"Parent {parent_id} is not linked to child {child_id}.")
            link.ended_at = self._clock()
            self._audit(session, "unlink", parent_id=parent_id, child_id=child_id)

    # --- plans and reviews -------------------------------------------------------------

    def set_plan(self, child_id: int, status: str, outcomes: str | None = None) -> None:
        status = (status or "").strip().lower().replace(" ", "_").replace("-", "_")
        if status not in PLAN_STATUSES:
            raise StaffError(f"The plan status must be one of: {', '.join(PLAN_STATUSES)}.")
        if outcomes is not None and len(outcomes) > 4000:
            raise StaffError("The outcomes are too long (at most 4000 characters).")
        now = self._clock()
        with self._session() as session:
            child = self._get(session, Child, child_id, "child")
            plan = session.execute(
                select(SupportPlan).where(SupportPlan.child_id == child_id).order_by(SupportPlan.last_updated.desc(), SupportPlan.id.desc()).limit(1)
            ).scalar_one_or_none()
            if plan is None:
                plan = SupportPlan(child_id=child_id, status=status, outcomes=(outcomes or "").strip(), last_updated=now, created_at=now)
                session.add(plan)
            else:
                plan.status, plan.last_updated = status, now
                if outcomes is not None:
                    plan.outcomes = outcomes.strip()
            self._audit(session, "set_plan", child_id=child_id, school_id=child.school_id)

    def set_review(self, child_id: int, when: dt.datetime | None, status: str = "scheduled") -> int:
        """Book (or move) the child's next review; or mark it held or cancelled."""
        status = (status or "scheduled").strip().lower()
        if status not in REVIEW_STATUSES:
            raise StaffError(f"The review status must be one of: {', '.join(REVIEW_STATUSES)}.")
        now = self._clock()
        with self._session() as session:
            child = self._get(session, Child, child_id, "child")
            upcoming = session.execute(
                select(Review)
                .where(Review.child_id == child_id, Review.status == "scheduled", Review.scheduled_at >= now)
                .order_by(Review.scheduled_at)
                .limit(1)
            ).scalar_one_or_none()
            if status == "scheduled":
                if when is None:
                    raise StaffError("Please give the date and time of the review.")
                if upcoming is None:
                    upcoming = Review(child_id=child_id, scheduled_at=when, status="scheduled", created_at=now, updated_at=now)
                    session.add(upcoming)
                else:
                    upcoming.scheduled_at, upcoming.updated_at = when, now
            else:
                if upcoming is None:
                    raise StaffError(f"Child {child_id} has no upcoming review to mark as {status}.")
                upcoming.status, upcoming.updated_at = status, now
            session.flush()
            self._audit(session, "set_review", outcome=status, child_id=child_id, school_id=child.school_id)
            return upcoming.id

    # --- link codes --------------------------------------------------------------------

    def issue_code(self, parent_id: int, days: int | None = None) -> IssuedCode:
        days = default_code_days() if days is None else days
        if not 1 <= days <= MAX_CODE_DAYS:
            raise StaffError(f"A code can last from 1 to {MAX_CODE_DAYS} days.")
        now = self._clock()
        with self._session() as session:
            self._get(session, Parent, parent_id, "parent")
            while True:
                code = codes.new_link_code()
                digest = codes.hash_link_code(code)
                if session.execute(select(LinkCode.id).where(LinkCode.code_hash == digest)).first() is None:
                    break
            row = LinkCode(code_hash=digest, parent_id=parent_id, created_at=now, expires_at=now + dt.timedelta(days=days))
            session.add(row)
            session.flush()
            self._audit(session, "issue_code", parent_id=parent_id, link_code_id=row.id)
            return IssuedCode(code=codes.display_code(code), code_id=row.id, parent_id=parent_id, expires_at=row.expires_at)

    def revoke_codes(self, *, parent_id: int | None = None, code_id: int | None = None) -> int:
        """Revoke one code, or every unused code of a parent. Returns how many were revoked."""
        if (parent_id is None) == (code_id is None):
            raise StaffError("Give either a parent id or a code id.")
        now = self._clock()
        with self._session() as session:
            query = update(LinkCode).where(LinkCode.used_at.is_(None), LinkCode.revoked_at.is_(None))
            if code_id is not None:
                self._get(session, LinkCode, code_id, "link code")
                query = query.where(LinkCode.id == code_id)
            else:
                self._get(session, Parent, parent_id, "parent")
                query = query.where(LinkCode.parent_id == parent_id)
            count = session.execute(query.values(revoked_at=now).execution_options(synchronize_session=False)).rowcount
            self._audit(session, "revoke_code", outcome=f"revoked_{count}", parent_id=parent_id, link_code_id=code_id)
            return count

    # --- messages and audit ------------------------------------------------------------

    def list_messages(self, *, school_id: int | None = None, include_handled: bool = False) -> list[MessageView]:
        with self._session() as session:
            query = (
                select(SencoMessage, Parent, Child)
                .join(Parent, Parent.id == SencoMessage.parent_id)
                .outerjoin(Child, Child.id == SencoMessage.child_id)
                .order_by(SencoMessage.urgent_flag.desc(), SencoMessage.created_at)
            )
            if school_id is not None:
                query = query.where(SencoMessage.school_id == school_id)
            if not include_handled:
                query = query.where(SencoMessage.handled_at.is_(None))
            rows = session.execute(query).all()
            self._audit(session, "list_messages", outcome=f"listed_{len(rows)}", school_id=school_id)
            return [
                MessageView(
                    reference=m.reference, created_at=m.created_at, handled_at=m.handled_at, urgent=bool(m.urgent_flag),
                    school_id=m.school_id, child_id=m.child_id, parent_id=m.parent_id, parent_name=p.full_name,
                    parent_phone=p.phone or "", parent_email=p.email or "", child_first_name=c.first_name if c else "", body=m.body,
                )
                for m, p, c in rows
            ]

    def mark_handled(self, reference: str) -> None:
        reference = (reference or "").strip().upper()
        if reference and not reference.startswith(codes.REFERENCE_PREFIX):
            reference = codes.REFERENCE_PREFIX + reference
        with self._session() as session:
            message = session.execute(select(SencoMessage).where(SencoMessage.reference == reference)).scalar_one_or_none()
            if message is None:
                raise StaffError(f"There is no message with reference {reference or '(none)'}.")
            if message.handled_at is None:
                message.handled_at = self._clock()
            self._audit(session, "mark_handled", parent_id=message.parent_id, child_id=message.child_id, school_id=message.school_id, message_id=message.id)

    def export_audit(self, since: dt.datetime | None = None, until: dt.datetime | None = None) -> list[dict[str, Any]]:
        with self._session() as session:
            query = select(AuditEntry).order_by(AuditEntry.id)
            if since is not None:
                query = query.where(AuditEntry.at >= since)
            if until is not None:
                query = query.where(AuditEntry.at < until)
            rows = session.execute(query).scalars().all()
            result = [{name: getattr(row, name) for name in AUDIT_FIELDS} for row in rows]
            self._audit(session, "export_audit", outcome=f"exported_{len(result)}")
            return result
