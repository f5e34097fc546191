"""The records connector: the only way the assistant reads or writes a family's records.

Every call that touches a child's data takes the verified `Identity` (from
bot.security.identity.verified_identity, never from a slot), finds the parent bound to
that (channel, user id), checks the child is linked to that parent, and only then
answers. Every lookup and every refusal is written to the audit log in the same
transaction as the read, so nothing is returned that was not audited. Nothing is raised:
a database that is down, slow or not set up gives `Unavailable`, and the next call tries
again (pool_pre_ping drops dead connections).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Callable, Iterable, Protocol, Sequence, TypeVar, runtime_checkable

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.backend import codes
from bot.backend.db import session_factory
from bot.backend.models import (
    AuditEntry,
    ChannelIdentity,
    Child,
    LinkCode,
    ParentChildLink,
    Review,
    School,
    SchoolHours,
    SencoMessage,
    SupportPlan,
    VerificationAttempt,
)
from bot.backend.results import (
    ChildNotFound,
    Children,
    ChildSummary,
    ChooseChild,
    CodeRefused,
    Contact,
    Forgotten,
    LockedOut,
    MessageLeft,
    MessageRefused,
    NextReview,
    NoChildren,
    NotVerified,
    PlanStatus,
    SchoolNotFound,
    SencoContact,
    Unavailable,
    Verified,
)
from bot.safety.crisis import mentions_risk
from bot.schedule import clock as schedule_clock
from bot.schedule.calendar import Closure, SchoolCalendar, Term
from bot.schedule.hours import Period, WeeklyHours
from bot.security.identity import Identity

logger = logging.getLogger(__name__)

MAX_WRONG_TRIES = 5
LOCK_WINDOW = dt.timedelta(hours=1)
LOCK_DURATION = dt.timedelta(hours=1)
ATTEMPT_RETENTION = dt.timedelta(days=7)
MAX_MESSAGE_CHARS = 2000
MAX_SCHOOL_CHOICES = 8

T = TypeVar("T")
Clock = Callable[[], dt.datetime]


@runtime_checkable
class RecordsConnector(Protocol):
    """What the actions may ask. Implementations never raise; they return result values."""

    def redeem_code(self, identity: Identity | None, code: str | None) -> Verified | CodeRefused | LockedOut | NotVerified | Unavailable: ...

    def my_children(self, identity: Identity | None) -> Children | NoChildren | NotVerified | Unavailable: ...

    def plan_status(self, identity: Identity | None, child_ref: str | None = None) -> PlanStatus | ChooseChild | ChildNotFound | NoChildren | NotVerified | Unavailable: ...

    def next_review(self, identity: Identity | None, child_ref: str | None = None) -> NextReview | ChooseChild | ChildNotFound | NoChildren | NotVerified | Unavailable: ...

    def senco_contact(self, identity: Identity | None, child_ref: str | None = None) -> SencoContact | ChooseChild | ChildNotFound | NoChildren | NotVerified | Unavailable: ...

    def public_senco_contact(self, identity: Identity | None, text: str | None = None, school_ref: str | None = None) -> SencoContact | SchoolNotFound | Unavailable: ...

    def leave_message(self, identity: Identity | None, child_ref: str | None, text: str) -> MessageLeft | MessageRefused | ChooseChild | ChildNotFound | NoChildren | NotVerified | Unavailable: ...

    def forget_me(self, identity: Identity | None) -> Forgotten | NotVerified | Unavailable: ...


class _Refusal(Exception):
    """Internal: carries a refusal result out of a transaction that must still commit."""

    def __init__(self, result: object) -> None:
        super().__init__("refused")
        self.result = result


def weekly_hours(rows: Iterable[SchoolHours], kind: str) -> WeeklyHours:
    periods = [Period(row.weekday, row.opens, row.closes) for row in rows if row.kind == kind]
    return WeeklyHours(tuple(sorted(periods, key=lambda p: (p.weekday, p.opens, p.closes))))


def calendar_of(school: School) -> SchoolCalendar:
    """The school's calendar from its rows (hours, terms, closures). Read inside a session.

    As in a calendar file, a school that gave office hours but no SENCO hours has its SENCO
    reachable when the office is open.
    """
    office = weekly_hours(school.hours, "school")
    senco = weekly_hours(school.hours, "contact") or office
    return SchoolCalendar(
        office_hours=office,
        senco_hours=senco,
        terms=tuple(Term(t.starts_on, t.ends_on) for t in school.terms),
        closures=tuple(Closure(c.day, c.reason or "") for c in school.closures),
    )


def contact_of(school: School) -> Contact:
    return Contact(
        school_ref=school.ref,
        school_name=school.name,
        name=school.contact_name,
        role=school.contact_role or "SENCO",
        email=school.contact_email or "",
        phone=school.contact_phone or "",
        calendar=calendar_of(school),
    )


# Words that many school names share; a school is recognised in a message by the rest.
_GENERIC_WORDS = set(
    """the of and school schools primary secondary academy academies infant infants junior juniors nursery
    college sixth form high middle first upper lower community foundation free trust church england ce
    cofe c e rc catholic methodist voluntary aided controlled special studio studios uta pre preschool
    prep preparatory centre center federation""".split()
)
_WORD = re.compile(r"[a-z0-9]+")


def _words(text: str) -> list[str]:
    return _WORD.findall((text or "").lower().replace("'", ""))


class SqlRecordsConnector:
    """RecordsConnector over SQLAlchemy (SQLite or PostgreSQL)."""

    def __init__(
        self,
        engine: Engine,
        *,
        clock: Clock | None = None,
        auto_migrate: bool = False,
        max_message_chars: int = MAX_MESSAGE_CHARS,
    ) -> None:
        self.engine = engine
        self._sessions = session_factory(engine)
        # The assistant's one clock (bot.schedule.clock.now: honours SEN_CLOCK_OVERRIDE outside production).
        self._clock = clock or (lambda: schedule_clock.now())
        self._auto_migrate = auto_migrate
        self._schema_ready = not auto_migrate
        self.max_message_chars = max_message_chars

    # --- plumbing -----------------------------------------------------------------

    def _now(self) -> dt.datetime:
        now = self._clock()
        return now if now.tzinfo else now.replace(tzinfo=dt.timezone.utc)

    def _transaction(self, action: str, work: Callable[[Session, dt.datetime], T]) -> T | Unavailable:
        try:
            if not self._schema_ready:
                from bot.backend.migrate import upgrade_to_head

                upgrade_to_head(self.engine)
                self._schema_ready = True
            with self._sessions() as session:
                with session.begin():
                    try:
                        return work(session, self._now())
                    except _Refusal as refusal:
                        # A refusal is an answer: its audit row (and any lockout attempt)
                        # must be committed. Leaving the `with` block normally commits.
                        result = refusal.result
                return result
        except Exception as error:  # noqa: BLE001 - never raise into the dialogue
            # The type only: messages of database errors can carry details we don't log.
            logger.warning("records connector: %s failed (%s); answering 'unavailable'", action, type(error).__name__)
            return Unavailable()

    def _audit(
        self,
        session: Session,
        now: dt.datetime,
        action: str,
        outcome: str,
        identity: Identity | None,
        binding: ChannelIdentity | None = None,
        *,
        parent_id: int | None = None,
        child_id: int | None = None,
        school_id: int | None = None,
        link_code_id: int | None = None,
        message_id: int | None = None,
    ) -> None:
        if identity is None:
            kind, channel, key = "unproven", None, None
        else:
            kind = "parent" if binding is not None else "anonymous"
            channel, key = identity.channel, codes.identity_key(identity)
        session.add(
            AuditEntry(
                at=now,
                action=action,
                outcome=outcome,
                actor_kind=kind,
                channel=channel,
                actor_key=key,
                binding_id=binding.id if binding is not None else None,
                parent_id=parent_id if parent_id is not None else (binding.parent_id if binding is not None else None),
                child_id=child_id,
                school_id=school_id,
                link_code_id=link_code_id,
                message_id=message_id,
            )
        )

    def _binding(self, session: Session, identity: Identity) -> ChannelIdentity | None:
        return session.execute(
            select(ChannelIdentity).where(ChannelIdentity.identity_key == codes.identity_key(identity))
        ).scalar_one_or_none()

    def _require_binding(self, session: Session, now: dt.datetime, action: str, identity: Identity | None) -> ChannelIdentity:
        if identity is None:
            self._audit(session, now, action, "refused_unproven_identity", None)
            raise _Refusal(NotVerified(identity_proven=False))
        binding = self._binding(session, identity)
        if binding is None:
            self._audit(session, now, action, "refused_not_verified", identity)
            raise _Refusal(NotVerified())
        return binding

    def _children(self, session: Session, parent_id: int) -> list[tuple[Child, School]]:
        rows = session.execute(
            select(Child, School)
            .join(ParentChildLink, ParentChildLink.child_id == Child.id)
            .join(School, School.id == Child.school_id)
            .where(ParentChildLink.parent_id == parent_id, ParentChildLink.ended_at.is_(None))
            .order_by(Child.first_name, Child.id)
        ).all()
        return [(row[0], row[1]) for row in rows]

    @staticmethod
    def _summary(child: Child, school: School) -> ChildSummary:
        return ChildSummary(ref=child.ref, first_name=child.first_name, school_name=school.name)

    def _pick_child(
        self,
        session: Session,
        now: dt.datetime,
        action: str,
        identity: Identity,
        binding: ChannelIdentity,
        child_ref: str | None,
        *,
        allow_none_if_one_school: bool = False,
    ) -> tuple[Child, School] | None:
        """The linked child `child_ref` names, the only child, or a refusal."""
        children = self._children(session, binding.parent_id)
        summaries = tuple(self._summary(c, s) for c, s in children)
        if not children:
            self._audit(session, now, action, "refused_no_children", identity, binding)
            raise _Refusal(NoChildren())
        if child_ref:
            for child, school in children:
                if child.ref == child_ref:
                    return child, school
            # Not theirs. Note which child was asked for (id only), if it exists at all.
            other = session.execute(select(Child.id).where(Child.ref == str(child_ref)[:64])).scalar_one_or_none()
            self._audit(session, now, action, "refused_not_linked", identity, binding, child_id=other)
            raise _Refusal(ChildNotFound(children=summaries))
        if len(children) == 1:
            return children[0]
        if allow_none_if_one_school and len({school.id for _, school in children}) == 1:
            return None
        self._audit(session, now, action, "asked_which_child", identity, binding)
        raise _Refusal(ChooseChild(children=summaries))

    # --- verification -------------------------------------------------------------

    def _locked_until(self, session: Session, key: str, now: dt.datetime) -> dt.datetime | None:
        """When the lock on this identity ends, if it is locked now."""
        failures = session.execute(
            select(VerificationAttempt.attempted_at)
            .where(
                VerificationAttempt.identity_key == key,
                VerificationAttempt.outcome == "wrong",
                VerificationAttempt.attempted_at > now - LOCK_WINDOW - LOCK_DURATION,
            )
            .order_by(VerificationAttempt.attempted_at)
        ).scalars().all()
        until = None
        for index, at in enumerate(failures):
            in_window = [t for t in failures[: index + 1] if t > at - LOCK_WINDOW]
            if len(in_window) >= MAX_WRONG_TRIES:
                until = at + LOCK_DURATION
        return until if until is not None and until > now else None

    def _wrong_tries_in_window(self, session: Session, key: str, now: dt.datetime) -> int:
        return len(
            session.execute(
                select(VerificationAttempt.id).where(
                    VerificationAttempt.identity_key == key,
                    VerificationAttempt.outcome == "wrong",
                    VerificationAttempt.attempted_at > now - LOCK_WINDOW,
                )
            ).all()
        )

    def _attempt(self, session: Session, identity: Identity, key: str, now: dt.datetime, outcome: str) -> None:
        session.execute(
            delete(VerificationAttempt).where(
                VerificationAttempt.identity_key == key, VerificationAttempt.attempted_at < now - ATTEMPT_RETENTION
            )
        )
        session.add(VerificationAttempt(identity_key=key, channel=identity.channel, attempted_at=now, outcome=outcome))

    def redeem_code(self, identity: Identity | None, code: str | None):
        def work(session: Session, now: dt.datetime):
            if identity is None:
                self._audit(session, now, "verify", "refused_unproven_identity", None)
                raise _Refusal(NotVerified(identity_proven=False))
            key = codes.identity_key(identity)
            binding = self._binding(session, identity)

            until = self._locked_until(session, key, now)
            if until is not None:
                self._attempt(session, identity, key, now, "locked")
                self._audit(session, now, "verify", "refused_locked", identity, binding)
                raise _Refusal(LockedOut(until=until))

            def wrong(outcome: str, reason: str, link_code_id: int | None = None):
                self._attempt(session, identity, key, now, "wrong")
                session.flush()
                self._audit(session, now, "verify", outcome, identity, binding, link_code_id=link_code_id)
                left = MAX_WRONG_TRIES - self._wrong_tries_in_window(session, key, now)
                if left <= 0:
                    return LockedOut(until=now + LOCK_DURATION)
                return CodeRefused(reason=reason, tries_left=left)

            if not code or not codes.well_formed(code):
                raise _Refusal(wrong("refused_malformed_code", "wrong"))
            row = session.execute(select(LinkCode).where(LinkCode.code_hash == codes.hash_link_code(code))).scalar_one_or_none()
            if row is None or not codes.codes_match(row.code_hash, code):
                raise _Refusal(wrong("refused_unknown_code", "wrong"))
            if row.used_at is not None:
                if binding is not None and row.used_by_binding_id == binding.id and binding.parent_id == row.parent_id:
                    self._audit(session, now, "verify", "ok_already_linked", identity, binding, link_code_id=row.id)
                    children = self._children(session, binding.parent_id)
                    return Verified(children=tuple(self._summary(c, s) for c, s in children), already_linked=True)
                raise _Refusal(wrong("refused_used_code", "no_longer_valid", row.id))
            if row.revoked_at is not None:
                raise _Refusal(wrong("refused_revoked_code", "no_longer_valid", row.id))
            if row.expires_at <= now:
                raise _Refusal(wrong("refused_expired_code", "no_longer_valid", row.id))
            if binding is not None and binding.parent_id != row.parent_id:
                # A good code, but this chat speaks for someone else: don't switch silently.
                # The code is not used up, so its owner can still redeem it.
                self._audit(session, now, "verify", "refused_bound_to_other_parent", identity, binding, link_code_id=row.id)
                raise _Refusal(CodeRefused(reason="other_account"))

            # Single use, even against a concurrent redemption of the same code.
            claimed = session.execute(
                update(LinkCode)
                .where(LinkCode.id == row.id, LinkCode.used_at.is_(None), LinkCode.revoked_at.is_(None))
                .values(used_at=now)
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount != 1:
                raise _Refusal(wrong("refused_used_code", "no_longer_valid", row.id))
            already = binding is not None
            if binding is None:
                binding = ChannelIdentity(channel=identity.channel, identity_key=key, parent_id=row.parent_id, link_code_id=row.id, bound_at=now)
                session.add(binding)
            else:
                binding.link_code_id, binding.bound_at = row.id, now
            session.flush()
            session.execute(
                update(LinkCode).where(LinkCode.id == row.id).values(used_by_binding_id=binding.id).execution_options(synchronize_session=False)
            )
            self._attempt(session, identity, key, now, "success")
            self._audit(session, now, "verify", "ok", identity, binding, link_code_id=row.id)
            children = self._children(session, binding.parent_id)
            return Verified(children=tuple(self._summary(c, s) for c, s in children), already_linked=already)

        return self._transaction("verify", work)

    def forget_me(self, identity: Identity | None):
        def work(session: Session, now: dt.datetime):
            if identity is None:
                self._audit(session, now, "forget_me", "refused_unproven_identity", None)
                raise _Refusal(NotVerified(identity_proven=False))
            binding = self._binding(session, identity)
            if binding is None:
                self._audit(session, now, "forget_me", "nothing_to_forget", identity)
                return Forgotten(was_linked=False)
            self._audit(session, now, "forget_me", "ok", identity, binding)
            session.delete(binding)
            return Forgotten(was_linked=True)

        return self._transaction("forget_me", work)

    # --- a family's records ---------------------------------------------------------

    def my_children(self, identity: Identity | None):
        def work(session: Session, now: dt.datetime):
            binding = self._require_binding(session, now, "list_children", identity)
            children = self._children(session, binding.parent_id)
            if not children:
                self._audit(session, now, "list_children", "refused_no_children", identity, binding)
                raise _Refusal(NoChildren())
            self._audit(session, now, "list_children", "ok", identity, binding)
            return Children(children=tuple(self._summary(c, s) for c, s in children))

        return self._transaction("list_children", work)

    def plan_status(self, identity: Identity | None, child_ref: str | None = None):
        def work(session: Session, now: dt.datetime):
            binding = self._require_binding(session, now, "plan_status", identity)
            child, school = self._pick_child(session, now, "plan_status", identity, binding, child_ref)
            plan = session.execute(
                select(SupportPlan)
                .where(SupportPlan.child_id == child.id)
                .order_by(SupportPlan.last_updated.desc(), SupportPlan.id.desc())
                .limit(1)
            ).scalar_one_or_none()
            self._audit(session, now, "plan_status", "ok" if plan else "ok_no_plan", identity, binding, child_id=child.id, school_id=school.id)
            summary = self._summary(child, school)
            if plan is None:
                return PlanStatus(child=summary)
            return PlanStatus(child=summary, status=plan.status, outcomes=plan.outcomes or "", last_updated=plan.last_updated)

        return self._transaction("plan_status", work)

    def next_review(self, identity: Identity | None, child_ref: str | None = None):
        def work(session: Session, now: dt.datetime):
            binding = self._require_binding(session, now, "next_review", identity)
            child, school = self._pick_child(session, now, "next_review", identity, binding, child_ref)
            review = session.execute(
                select(Review)
                .where(Review.child_id == child.id, Review.status == "scheduled", Review.scheduled_at >= now)
                .order_by(Review.scheduled_at)
                .limit(1)
            ).scalar_one_or_none()
            self._audit(session, now, "next_review", "ok" if review else "ok_none_booked", identity, binding, child_id=child.id, school_id=school.id)
            return NextReview(
                child=self._summary(child, school),
                scheduled_at=review.scheduled_at if review else None,
                contact=contact_of(school),
            )

        return self._transaction("next_review", work)

    def senco_contact(self, identity: Identity | None, child_ref: str | None = None):
        def work(session: Session, now: dt.datetime):
            binding = self._require_binding(session, now, "senco_contact", identity)
            picked = self._pick_child(session, now, "senco_contact", identity, binding, child_ref, allow_none_if_one_school=True)
            if picked is None:  # several children, one school: no need to ask which child
                school = self._children(session, binding.parent_id)[0][1]
                self._audit(session, now, "senco_contact", "ok", identity, binding, school_id=school.id)
                return SencoContact(contacts=(contact_of(school),))
            child, school = picked
            self._audit(session, now, "senco_contact", "ok", identity, binding, child_id=child.id, school_id=school.id)
            return SencoContact(contacts=(contact_of(school),), child=self._summary(child, school))

        return self._transaction("senco_contact", work)

    def public_senco_contact(self, identity: Identity | None, text: str | None = None, school_ref: str | None = None):
        """A school's published SEN contact. No verification needed; still audited."""

        def work(session: Session, now: dt.datetime):
            binding = self._binding(session, identity) if identity is not None else None
            schools = session.execute(select(School).order_by(School.name)).scalars().all()
            matches = self._match_schools(schools, text, school_ref)
            if len(matches) == 1:
                school = matches[0]
                self._audit(session, now, "senco_contact_public", "ok", identity, binding, school_id=school.id)
                return SencoContact(contacts=(contact_of(school),))
            self._audit(session, now, "senco_contact_public", "school_not_found", identity, binding)
            options = matches if len(matches) > 1 else schools
            listed = tuple((s.ref, s.name) for s in options) if len(options) <= MAX_SCHOOL_CHOICES else ()
            return SchoolNotFound(schools=listed)

        return self._transaction("senco_contact_public", work)

    @staticmethod
    def _match_schools(schools: Sequence[School], text: str | None, school_ref: str | None) -> list[School]:
        if school_ref:
            return [s for s in schools if s.ref == school_ref]
        words = set(_words(text or ""))
        scored: list[tuple[int, School]] = []
        for school in schools:
            name_words = _words(school.name)
            distinctive = [w for w in name_words if w not in _GENERIC_WORDS] or name_words
            if distinctive and all(w in words for w in distinctive):
                scored.append((sum(1 for w in name_words if w in words), school))
        if scored:
            best = max(score for score, _ in scored)
            return [school for score, school in scored if score == best]
        # One school only (a school running its own assistant): it needs no naming.
        return list(schools) if len(schools) == 1 else []

    def leave_message(self, identity: Identity | None, child_ref: str | None, text: str):
        body = (text or "").strip()

        def work(session: Session, now: dt.datetime):
            binding = self._require_binding(session, now, "leave_message", identity)
            if not body or len(body) > self.max_message_chars:
                self._audit(session, now, "leave_message", "refused_empty" if not body else "refused_too_long", identity, binding)
                raise _Refusal(MessageRefused(reason="empty" if not body else "too_long", limit=self.max_message_chars))
            child, school = self._pick_child(session, now, "leave_message", identity, binding, child_ref)
            reference = self._free_reference(session)
            message = SencoMessage(
                reference=reference,
                parent_id=binding.parent_id,
                child_id=child.id,
                school_id=school.id,
                body=body,
                created_at=now,
                urgent_flag=mentions_risk(body),
            )
            session.add(message)
            session.flush()
            self._audit(session, now, "leave_message", "ok", identity, binding, child_id=child.id, school_id=school.id, message_id=message.id)
            return MessageLeft(reference=reference, child=self._summary(child, school), contact=contact_of(school))

        return self._transaction("leave_message", work)

    @staticmethod
    def _free_reference(session: Session) -> str:
        for attempt in range(20):
            candidate = codes.new_reference(4 if attempt < 5 else 6)
            taken = session.execute(select(SencoMessage.id).where(SencoMessage.reference == candidate)).first()
            if taken is None:
                return candidate
        raise RuntimeError("no free message reference")
