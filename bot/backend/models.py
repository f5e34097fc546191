"""The records data model (SQLAlchemy 1.4, 2.0 style). Changes go through an Alembic migration.

Personal data is kept to what the assistant needs: a child's first name (to tell children
apart in the chat), the plan status and outcomes, review dates, the school's public SEN
contact. Channel user ids (a WhatsApp user id is a phone number) are never stored: a
binding holds a keyed hash of (channel, user id) instead (see bot.backend.codes).
Link codes are stored only as keyed hashes. The audit log holds ids only.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import registry, relationship
from sqlalchemy.types import TypeDecorator

UTC = dt.timezone.utc

# Stable constraint names, so migrations can refer to them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

mapper_registry = registry(metadata=MetaData(naming_convention=NAMING_CONVENTION))
Base = mapper_registry.generate_base()
metadata = Base.metadata

PLAN_STATUSES = ("draft", "active", "under_review", "ended")
REVIEW_STATUSES = ("scheduled", "held", "cancelled")
HOURS_KINDS = ("school", "contact")  # when the school is open; when the SENCO can be reached
# The same two, as the calendar file (and bot.schedule.calendar.SchoolCalendar) names them.
CALENDAR_HOURS_KINDS = {"office_hours": "school", "senco_hours": "contact"}
ATTEMPT_OUTCOMES = ("success", "wrong", "locked")


class UTCDateTime(TypeDecorator):
    """A point in time, always timezone-aware UTC in Python, whatever the database keeps."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware one is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class School(Base):
    __tablename__ = "schools"

    id = Column(Integer, primary_key=True)
    ref = Column(String(32), nullable=False, unique=True)  # opaque, safe to put in a button
    name = Column(String(200), nullable=False)
    # The SENCO or, in a setting without one, the named person for SEN.
    contact_name = Column(String(200), nullable=False)
    contact_role = Column(String(100), nullable=False, default="SENCO")
    contact_email = Column(String(254), nullable=True)
    contact_phone = Column(String(40), nullable=True)
    timezone = Column(String(64), nullable=False, default="Europe/London")
    created_at = Column(UTCDateTime, nullable=False)
    updated_at = Column(UTCDateTime, nullable=False)

    hours = relationship("SchoolHours", back_populates="school", cascade="all, delete-orphan", order_by="SchoolHours.weekday, SchoolHours.opens")
    terms = relationship("SchoolTerm", back_populates="school", cascade="all, delete-orphan", order_by="SchoolTerm.starts_on")
    closures = relationship("SchoolClosure", back_populates="school", cascade="all, delete-orphan", order_by="SchoolClosure.day")
    children = relationship("Child", back_populates="school")


class SchoolHours(Base):
    """One opening period: `kind` school (the school is open) or contact (the SENCO can be reached).

    weekday: 0 Monday .. 6 Sunday. A day may have more than one period; a day with none is closed.
    """

    __tablename__ = "school_hours"
    __table_args__ = (
        CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday_range"),
        CheckConstraint("opens < closes", name="opens_before_closes"),
        CheckConstraint(_in("kind", HOURS_KINDS), name="kind"),
        Index("ix_school_hours_school_kind", "school_id", "kind"),
    )

    id = Column(Integer, primary_key=True)
    school_id = Column(Integer, ForeignKey("schools.id", ondelete="CASCADE"), nullable=False)
    kind = Column(String(16), nullable=False)
    weekday = Column(Integer, nullable=False)
    opens = Column(Time, nullable=False)
    closes = Column(Time, nullable=False)

    school = relationship("School", back_populates="hours")


class SchoolTerm(Base):
    """A term of the school's calendar (UK dates, both days included). No terms: open all year."""

    __tablename__ = "school_terms"
    __table_args__ = (CheckConstraint("starts_on <= ends_on", name="starts_before_ends"),)

    id = Column(Integer, primary_key=True)
    school_id = Column(Integer, ForeignKey("schools.id", ondelete="CASCADE"), nullable=False, index=True)
    starts_on = Column(Date, nullable=False)
    ends_on = Column(Date, nullable=False)

    school = relationship("School", back_populates="terms")


class SchoolClosure(Base):
    """A day the school is shut in term time (INSET day, polling station). Bank holidays are automatic."""

    __tablename__ = "school_closures"
    __table_args__ = (UniqueConstraint("school_id", "day", name="uq_school_closures_school_day"),)

    id = Column(Integer, primary_key=True)
    school_id = Column(Integer, ForeignKey("schools.id", ondelete="CASCADE"), nullable=False)
    day = Column(Date, nullable=False)
    reason = Column(String(200), nullable=True)

    school = relationship("School", back_populates="closures")


class Child(Base):
    __tablename__ = "children"

    id = Column(Integer, primary_key=True)
    ref = Column(String(32), nullable=False, unique=True)  # opaque: never the database id
    school_id = Column(Integer, ForeignKey("schools.id"), nullable=False, index=True)
    first_name = Column(String(100), nullable=False)
    last_name = Column(String(100), nullable=True)
    created_at = Column(UTCDateTime, nullable=False)

    school = relationship("School", back_populates="children")


class Parent(Base):
    """A parent or carer."""

    __tablename__ = "parents"

    id = Column(Integer, primary_key=True)
    full_name = Column(String(200), nullable=False)
    email = Column(String(254), nullable=True)
    phone = Column(String(40), nullable=True)
    created_at = Column(UTCDateTime, nullable=False)


class ParentChildLink(Base):
    __tablename__ = "parent_child_links"
    __table_args__ = (UniqueConstraint("parent_id", "child_id", name="uq_parent_child_links_parent_child"),)

    id = Column(Integer, primary_key=True)
    parent_id = Column(Integer, ForeignKey("parents.id"), nullable=False, index=True)
    child_id = Column(Integer, ForeignKey("children.id"), nullable=False, index=True)
    relationship_to_child = Column(String(50), nullable=False, default="parent")
    created_at = Column(UTCDateTime, nullable=False)
    ended_at = Column(UTCDateTime, nullable=True)  # set when the school ends the link


class SupportPlan(Base):
    """A child's SEN support plan. The current one is the most recently updated."""

    __tablename__ = "support_plans"
    __table_args__ = (CheckConstraint(_in("status", PLAN_STATUSES), name="status"),)

    id = Column(Integer, primary_key=True)
    child_id = Column(Integer, ForeignKey("children.id"), nullable=False, index=True)
    status = Column(String(20), nullable=False)
    outcomes = Column(Text, nullable=False, default="")
    last_updated = Column(UTCDateTime, nullable=False)
    created_at = Column(UTCDateTime, nullable=False)


class Review(Base):
    __tablename__ = "reviews"
    __table_args__ = (
        CheckConstraint(_in("status", REVIEW_STATUSES), name="status"),
        Index("ix_reviews_child_scheduled", "child_id", "scheduled_at"),
    )

    id = Column(Integer, primary_key=True)
    child_id = Column(Integer, ForeignKey("children.id"), nullable=False)
    scheduled_at = Column(UTCDateTime, nullable=False)
    status = Column(String(20), nullable=False, default="scheduled")
    created_at = Column(UTCDateTime, nullable=False)
    updated_at = Column(UTCDateTime, nullable=False)


class LinkCode(Base):
    """A one-time code a school gives a parent. Only its keyed hash is kept."""

    __tablename__ = "link_codes"

    id = Column(Integer, primary_key=True)
    code_hash = Column(String(64), nullable=False, unique=True)
    parent_id = Column(Integer, ForeignKey("parents.id"), nullable=False, index=True)
    created_at = Column(UTCDateTime, nullable=False)
    expires_at = Column(UTCDateTime, nullable=False)
    used_at = Column(UTCDateTime, nullable=True)
    revoked_at = Column(UTCDateTime, nullable=True)
    used_by_binding_id = Column(Integer, nullable=True)  # no FK: "forget me" deletes bindings


class ChannelIdentity(Base):
    """A verified binding: this (channel, user id) speaks for this parent.

    identity_key is HMAC(channel, user id): the raw user id is never stored.
    "Forget me" deletes the row.
    """

    __tablename__ = "channel_identities"

    id = Column(Integer, primary_key=True)
    channel = Column(String(32), nullable=False)
    identity_key = Column(String(64), nullable=False, unique=True)
    parent_id = Column(Integer, ForeignKey("parents.id"), nullable=False, index=True)
    link_code_id = Column(Integer, ForeignKey("link_codes.id"), nullable=True)
    bound_at = Column(UTCDateTime, nullable=False)


class VerificationAttempt(Base):
    """Every try at a link code, for the lockout (five wrong in an hour: locked for an hour)."""

    __tablename__ = "verification_attempts"
    __table_args__ = (
        CheckConstraint(_in("outcome", ATTEMPT_OUTCOMES), name="outcome"),
        Index("ix_verification_attempts_key_at", "identity_key", "attempted_at"),
    )

    id = Column(Integer, primary_key=True)
    identity_key = Column(String(64), nullable=False)
    channel = Column(String(32), nullable=False)
    attempted_at = Column(UTCDateTime, nullable=False)
    outcome = Column(String(16), nullable=False)


class AuditEntry(Base):
    """Who asked for what, when, and what happened. Ids only: never names, codes or text."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id = Column(Integer, primary_key=True)
    at = Column(UTCDateTime, nullable=False)
    action = Column(String(40), nullable=False)
    outcome = Column(String(40), nullable=False)
    actor_kind = Column(String(16), nullable=False)  # parent, anonymous, unproven, staff
    channel = Column(String(32), nullable=True)
    actor_key = Column(String(64), nullable=True)  # identity_key, or a staff id for the CLI
    binding_id = Column(Integer, nullable=True)
    parent_id = Column(Integer, nullable=True, index=True)
    child_id = Column(Integer, nullable=True, index=True)
    school_id = Column(Integer, nullable=True)
    link_code_id = Column(Integer, nullable=True)
    message_id = Column(Integer, nullable=True)


class SencoMessage(Base):
    """A message a verified parent left for the SENCO, with a reference they can quote."""

    __tablename__ = "senco_messages"

    id = Column(Integer, primary_key=True)
    reference = Column(String(16), nullable=False, unique=True)
    parent_id = Column(Integer, ForeignKey("parents.id"), nullable=False, index=True)
    child_id = Column(Integer, ForeignKey("children.id"), nullable=True)
    school_id = Column(Integer, ForeignKey("schools.id"), nullable=False, index=True)
    body = Column(Text, nullable=False)
    created_at = Column(UTCDateTime, nullable=False)
    handled_at = Column(UTCDateTime, nullable=True)
    urgent_flag = Column(Boolean, nullable=False, default=False)  # the text named a risk of harm
