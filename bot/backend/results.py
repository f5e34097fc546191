"""What the connector returns. It never raises into the dialogue: every outcome is a value.

Success values carry the data; refusals say why in terms the action can turn into a calm
reply, and nothing more (no ids, no hints about other families).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from bot.schedule.calendar import SchoolCalendar
from bot.schedule.hours import WeeklyHours


@dataclass(frozen=True)
class ChildSummary:
    ref: str  # opaque; safe for a button payload
    first_name: str
    school_name: str


@dataclass(frozen=True)
class Contact:
    school_ref: str
    school_name: str
    name: str
    role: str
    email: str
    phone: str
    calendar: SchoolCalendar = field(default_factory=SchoolCalendar)  # hours, terms, closures

    @property
    def contact_hours(self) -> WeeklyHours:
        """When the SENCO can usually be reached (the office hours if the school gave none)."""
        return self.calendar.senco_hours

    @property
    def school_hours(self) -> WeeklyHours:
        return self.calendar.office_hours


# --- refusals and failures (shared by every call) -------------------------------------


@dataclass(frozen=True)
class Unavailable:
    """The records can't be reached just now (database down, slow or not set up)."""

    ok = False


@dataclass(frozen=True)
class NotVerified:
    """This chat isn't linked to a parent (or the identity couldn't be proved)."""

    ok = False
    identity_proven: bool = True


@dataclass(frozen=True)
class NoChildren:
    """Linked, but the school hasn't linked any children to this parent (any more)."""

    ok = False


@dataclass(frozen=True)
class ChildNotFound:
    """The child asked about isn't one of this parent's children (or doesn't exist)."""

    ok = False
    children: tuple[ChildSummary, ...] = ()


@dataclass(frozen=True)
class ChooseChild:
    """More than one child: the parent must say which one."""

    ok = False
    children: tuple[ChildSummary, ...] = ()


# --- verification ---------------------------------------------------------------------


@dataclass(frozen=True)
class Verified:
    ok = True
    children: tuple[ChildSummary, ...] = ()
    already_linked: bool = False


@dataclass(frozen=True)
class CodeRefused:
    """The code did not link this chat. reason: wrong, no_longer_valid, other_account, malformed."""

    ok = False
    reason: str = "wrong"
    tries_left: int | None = None


@dataclass(frozen=True)
class LockedOut:
    ok = False
    until: dt.datetime | None = None


# --- answers --------------------------------------------------------------------------


@dataclass(frozen=True)
class Children:
    ok = True
    children: tuple[ChildSummary, ...] = ()


@dataclass(frozen=True)
class PlanStatus:
    ok = True
    child: ChildSummary | None = None
    status: str | None = None  # None: no plan recorded yet
    outcomes: str = ""
    last_updated: dt.datetime | None = None


@dataclass(frozen=True)
class NextReview:
    ok = True
    child: ChildSummary | None = None
    scheduled_at: dt.datetime | None = None  # UTC; None: no review booked
    contact: Contact | None = None


@dataclass(frozen=True)
class SencoContact:
    ok = True
    contacts: tuple[Contact, ...] = ()
    child: ChildSummary | None = None

    @property
    def calendar(self) -> SchoolCalendar | None:
        """The school's calendar (of the first contact: there is one school per answer)."""
        return self.contacts[0].calendar if self.contacts else None


@dataclass(frozen=True)
class SchoolNotFound:
    """No school matched; `schools` lists (ref, name) to choose from when there are only a few."""

    ok = False
    schools: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class MessageLeft:
    ok = True
    reference: str = ""
    child: ChildSummary | None = None
    contact: Contact | None = None


@dataclass(frozen=True)
class MessageRefused:
    """Empty or too long. `limit` is the longest allowed."""

    ok = False
    reason: str = "empty"
    limit: int = 0


@dataclass(frozen=True)
class Forgotten:
    ok = True
    was_linked: bool = True
