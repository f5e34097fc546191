"""Linking a chat with a one-time code: every way it must fail, and the lockout."""

from __future__ import annotations

import datetime as dt
import threading

import sqlalchemy as sa

from bot.backend.connector import SqlRecordsConnector
from bot.backend.models import ChannelIdentity, LinkCode
from bot.backend.results import CodeRefused, Forgotten, LockedOut, NotVerified, PlanStatus, Verified
from bot.security.identity import Identity, sign, verified_identity
from records_support import parent_audit_rows, telegram


def _outcomes(engine, action="verify"):
    return [row["outcome"] for row in parent_audit_rows(engine) if row["action"] == action]


def test_a_good_code_links_the_chat_to_its_parent(connector, staff, world, engine):
    issued = staff.issue_code(world.alex)
    result = connector.redeem_code(telegram(), issued.code)
    assert isinstance(result, Verified) and not result.already_linked
    assert sorted(c.first_name for c in result.children) == ["Maya", "Sam"]
    with engine.connect() as connection:
        binding = connection.execute(sa.select(ChannelIdentity.__table__)).one()._mapping
        code_row = connection.execute(sa.select(LinkCode.__table__)).one()._mapping
    assert binding["parent_id"] == world.alex and binding["channel"] == "telegram"
    assert "1001" not in binding["identity_key"]  # the raw user id is never stored
    assert code_row["used_at"] is not None and code_row["used_by_binding_id"] == binding["id"]
    assert issued.code.replace("-", "") not in str(dict(code_row))
    assert _outcomes(engine) == ["ok"]


def test_the_code_can_be_typed_in_lower_case_without_the_dash(connector, staff, world):
    issued = staff.issue_code(world.alex)
    assert isinstance(connector.redeem_code(telegram(), issued.code.replace("-", "").lower()), Verified)


def test_a_replayed_code_is_refused_for_anyone_else(connector, staff, world, engine):
    issued = staff.issue_code(world.alex)
    assert isinstance(connector.redeem_code(telegram("1001"), issued.code), Verified)
    replay = connector.redeem_code(telegram("2002"), issued.code)
    assert isinstance(replay, CodeRefused) and replay.reason == "no_longer_valid"
    assert isinstance(connector.plan_status(telegram("2002")), NotVerified)
    # The same chat typing its own code again is told it is already linked.
    again = connector.redeem_code(telegram("1001"), issued.code)
    assert isinstance(again, Verified) and again.already_linked
    assert _outcomes(engine) == ["ok", "refused_used_code", "ok_already_linked"]


def test_an_expired_code_is_refused(connector, staff, world, clock, engine):
    issued = staff.issue_code(world.alex, days=14)
    clock.advance(days=14, seconds=1)
    result = connector.redeem_code(telegram(), issued.code)
    assert isinstance(result, CodeRefused) and result.reason == "no_longer_valid"
    assert isinstance(connector.plan_status(telegram()), NotVerified)
    assert _outcomes(engine) == ["refused_expired_code"]


def test_a_code_works_until_just_before_it_expires(connector, staff, world, clock):
    issued = staff.issue_code(world.alex, days=14)
    clock.advance(days=13, hours=23, minutes=59)
    assert isinstance(connector.redeem_code(telegram(), issued.code), Verified)


def test_the_default_lifetime_is_fourteen_days_and_configurable(staff, world, clock, monkeypatch):
    assert staff.issue_code(world.alex).expires_at == clock.now + dt.timedelta(days=14)
    monkeypatch.setenv("SEN_LINK_CODE_DAYS", "3")
    assert staff.issue_code(world.alex).expires_at == clock.now + dt.timedelta(days=3)


def test_a_revoked_code_is_refused(connector, staff, world, engine):
    first = staff.issue_code(world.alex)
    second = staff.issue_code(world.alex)
    assert staff.revoke_codes(parent_id=world.alex) == 2
    for issued in (first, second):
        result = connector.redeem_code(telegram(), issued.code)
        assert isinstance(result, CodeRefused) and result.reason == "no_longer_valid"
    single = staff.issue_code(world.alex)
    assert staff.revoke_codes(code_id=single.code_id) == 1
    assert isinstance(connector.redeem_code(telegram(), single.code), CodeRefused)
    assert _outcomes(engine) == ["refused_revoked_code"] * 3


def test_a_code_for_another_parent_gives_only_that_parents_children(connector, staff, world):
    # Jordan's code, redeemed in a chat: the chat speaks for Jordan, and only for Jordan.
    result = connector.redeem_code(telegram("3003"), staff.issue_code(world.jordan).code)
    assert [c.first_name for c in result.children] == ["Zoe"]
    for name in ("Sam", "Maya", "Leo"):
        assert not connector.plan_status(telegram("3003"), world.refs[name]).ok


def test_a_chat_linked_to_one_parent_is_not_switched_by_another_parents_code(connector, staff, world, link, engine):
    link(telegram(), world.alex)
    other = staff.issue_code(world.jordan)
    result = connector.redeem_code(telegram(), other.code)
    assert isinstance(result, CodeRefused) and result.reason == "other_account"
    assert isinstance(connector.plan_status(telegram(), world.refs["Sam"]), PlanStatus)  # still Alex
    assert not connector.plan_status(telegram(), world.refs["Zoe"]).ok
    # Jordan's code was not used up: Jordan can still link his own chat with it.
    assert isinstance(connector.redeem_code(telegram("3003"), other.code), Verified)
    assert "refused_bound_to_other_parent" in _outcomes(engine)


def test_five_wrong_tries_in_an_hour_lock_the_identity_for_an_hour(connector, staff, world, clock, engine):
    good = staff.issue_code(world.alex)
    results = []
    for minute in range(5):
        results.append(connector.redeem_code(telegram(), "ABCDE-23456" if minute % 2 else "not a code"))
        clock.advance(minutes=5)
    assert all(isinstance(r, CodeRefused) for r in results[:4])
    assert [r.tries_left for r in results[:4]] == [4, 3, 2, 1]
    assert isinstance(results[4], LockedOut)

    # Locked: even the right code is not checked, and another identity is not affected.
    locked = connector.redeem_code(telegram(), good.code)
    assert isinstance(locked, LockedOut) and locked.until == dt.datetime(2026, 3, 2, 10, 20, tzinfo=dt.timezone.utc)
    clock.advance(minutes=49)  # 10:14, still inside the hour after the fifth wrong try (09:20)
    assert isinstance(connector.redeem_code(telegram(), good.code), LockedOut)
    assert isinstance(connector.redeem_code(telegram("2002"), "ABCDE-23456"), CodeRefused)

    clock.advance(minutes=7)  # 10:21: the hour is over
    assert isinstance(connector.redeem_code(telegram(), good.code), Verified)
    outcomes = _outcomes(engine)
    assert outcomes.count("refused_locked") == 2
    assert outcomes[-1] == "ok"


def test_wrong_tries_spread_over_more_than_an_hour_do_not_lock(connector, staff, world, clock):
    for _ in range(8):
        result = connector.redeem_code(telegram(), "ABCDE-23456")
        assert isinstance(result, CodeRefused)
        clock.advance(minutes=16)  # at most four in any hour
    assert isinstance(connector.redeem_code(telegram(), staff.issue_code(world.alex).code), Verified)


def test_replayed_expired_and_revoked_codes_count_towards_the_lockout(connector, staff, world, clock):
    used = staff.issue_code(world.jordan)
    connector.redeem_code(telegram("3003"), used.code)
    revoked = staff.issue_code(world.alex)
    staff.revoke_codes(code_id=revoked.code_id)
    for code in (used.code, revoked.code, used.code, revoked.code):
        assert isinstance(connector.redeem_code(telegram(), code), CodeRefused)
    assert isinstance(connector.redeem_code(telegram(), used.code), LockedOut)


def test_an_unproven_identity_gets_nothing_and_is_audited(connector, staff, world, engine):
    issued = staff.issue_code(world.alex)
    result = connector.redeem_code(None, issued.code)
    assert isinstance(result, NotVerified) and not result.identity_proven
    rows = parent_audit_rows(engine)
    assert [(r["action"], r["outcome"], r["actor_kind"], r["actor_key"]) for r in rows] == [
        ("verify", "refused_unproven_identity", "unproven", None)
    ]
    # The code was not used up.
    assert isinstance(connector.redeem_code(telegram(), issued.code), Verified)


def test_forged_identities_are_not_verified_so_get_nothing(connector, link, world):
    """What the actions pass to the connector for each forgery: verified_identity() is None."""
    link(telegram("1001"), world.alex)
    real = Identity("telegram", "1001")
    text = "/plan_status"
    good = {"text": text, "metadata": {"sen_identity": sign(real, text)}}
    assert verified_identity(real.sender_id, good) == real

    wrong_signature = {"text": text, "metadata": {"sen_identity": {**sign(real, text), "sig": "0" * 64}}}
    other_text = {"text": "/next_review_date", "metadata": {"sen_identity": sign(real, text)}}
    stale = {"text": text, "metadata": {"sen_identity": sign(real, text, now=1_000_000)}}
    # Signed for the REST conversation "rest:telegram:1001", replayed into Telegram's.
    rest_as_telegram = {"text": text, "metadata": {"sen_identity": sign(Identity("rest", "telegram:1001"), text)}}
    slot_only = {"text": text, "metadata": {}}
    for forged, sender in (
        (wrong_signature, real.sender_id),
        (other_text, real.sender_id),
        (stale, real.sender_id),
        (rest_as_telegram, real.sender_id),
        (good, "telegram:2002"),  # sender id not matching the signed identity
        (slot_only, real.sender_id),
    ):
        identity = verified_identity(sender, forged)
        assert identity is None
        result = connector.plan_status(identity, world.refs["Sam"])
        assert isinstance(result, NotVerified) and not result.identity_proven


def test_rest_identity_cannot_read_a_telegram_binding(connector, link, world, engine):
    link(telegram("1001"), world.alex)
    for impostor in (Identity("rest", "1001"), Identity("rest", "telegram:1001"), Identity("whatsapp", "1001")):
        assert isinstance(connector.plan_status(impostor, world.refs["Sam"]), NotVerified)
        assert isinstance(connector.next_review(impostor), NotVerified)
        assert isinstance(connector.senco_contact(impostor), NotVerified)
    refusals = [r for r in parent_audit_rows(engine) if r["outcome"] == "refused_not_verified"]
    assert len(refusals) == 9 and all(r["channel"] in {"rest", "whatsapp"} and r["parent_id"] is None for r in refusals)


def test_forget_me_unbinds_and_a_new_code_is_needed(connector, staff, world, link, engine):
    link(telegram(), world.alex)
    assert connector.forget_me(telegram()) == Forgotten(was_linked=True)
    assert isinstance(connector.plan_status(telegram(), world.refs["Sam"]), NotVerified)
    assert connector.forget_me(telegram()) == Forgotten(was_linked=False)
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(ChannelIdentity)).scalar() == 0
    assert _outcomes(engine, "forget_me") == ["ok", "nothing_to_forget"]
    assert isinstance(connector.redeem_code(telegram(), staff.issue_code(world.alex).code), Verified)


def test_a_code_is_single_use_even_when_redeemed_at_the_same_moment(engine, staff, world, clock):
    issued = staff.issue_code(world.alex)
    results = []
    barrier = threading.Barrier(4)

    def redeem(user_id: str) -> None:
        connector = SqlRecordsConnector(engine, clock=clock)
        barrier.wait()
        results.append(connector.redeem_code(telegram(user_id), issued.code))

    threads = [threading.Thread(target=redeem, args=(str(5000 + n),)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(isinstance(r, Verified) for r in results) == 1
    assert all(isinstance(r, (Verified, CodeRefused)) or not r.ok for r in results)
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(ChannelIdentity)).scalar() == 1
