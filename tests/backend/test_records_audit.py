"""Every lookup and every refusal leaves exactly one audit row, holding ids only."""

from __future__ import annotations

import sqlalchemy as sa

from bot.backend.models import AuditEntry
from bot.security.identity import Identity
from records_support import parent_audit_rows, telegram

NAMES = ("Alex", "Taylor", "Jordan", "Casey", "Sam", "Maya", "Zoe", "Leo", "Priya", "Shah", "Oakfield", "Riverside")


def test_one_audit_row_per_call_with_ids_only(connector, staff, world, engine):
    alex, stranger = telegram("user-one"), telegram("user-two")
    code = staff.issue_code(world.alex).code
    message = "Please call me back about the reading group"
    calls = [
        (lambda: connector.plan_status(None, world.refs["Sam"]), "plan_status", "refused_unproven_identity"),
        (lambda: connector.plan_status(stranger, world.refs["Sam"]), "plan_status", "refused_not_verified"),
        (lambda: connector.next_review(stranger), "next_review", "refused_not_verified"),
        (lambda: connector.senco_contact(stranger), "senco_contact", "refused_not_verified"),
        (lambda: connector.leave_message(stranger, world.refs["Sam"], message), "leave_message", "refused_not_verified"),
        (lambda: connector.my_children(stranger), "list_children", "refused_not_verified"),
        (lambda: connector.public_senco_contact(stranger, "senco at oakfield"), "senco_contact_public", "ok"),
        (lambda: connector.redeem_code(alex, "ABCDE-23456"), "verify", "refused_unknown_code"),
        (lambda: connector.redeem_code(alex, "hello"), "verify", "refused_malformed_code"),
        (lambda: connector.redeem_code(alex, code), "verify", "ok"),
        (lambda: connector.redeem_code(stranger, code), "verify", "refused_used_code"),
        (lambda: connector.my_children(alex), "list_children", "ok"),
        (lambda: connector.plan_status(alex), "plan_status", "asked_which_child"),
        (lambda: connector.plan_status(alex, world.refs["Sam"]), "plan_status", "ok"),
        (lambda: connector.plan_status(alex, world.refs["Zoe"]), "plan_status", "refused_not_linked"),
        (lambda: connector.next_review(alex, world.refs["Sam"]), "next_review", "ok"),
        (lambda: connector.next_review(alex, world.refs["Maya"]), "next_review", "ok_none_booked"),
        (lambda: connector.next_review(alex, world.refs["Leo"]), "next_review", "refused_not_linked"),
        (lambda: connector.senco_contact(alex), "senco_contact", "ok"),
        (lambda: connector.senco_contact(alex, world.refs["Zoe"]), "senco_contact", "refused_not_linked"),
        (lambda: connector.leave_message(alex, world.refs["Sam"], message), "leave_message", "ok"),
        (lambda: connector.leave_message(alex, world.refs["Sam"], ""), "leave_message", "refused_empty"),
        (lambda: connector.leave_message(alex, world.refs["Zoe"], message), "leave_message", "refused_not_linked"),
        (lambda: connector.forget_me(alex), "forget_me", "ok"),
        (lambda: connector.plan_status(alex, world.refs["Sam"]), "plan_status", "refused_not_verified"),
        (lambda: connector.forget_me(stranger), "forget_me", "nothing_to_forget"),
    ]
    seen = 0
    for call, action, outcome in calls:
        call()
        rows = parent_audit_rows(engine)
        assert len(rows) == seen + 1, (action, outcome)
        assert (rows[-1]["action"], rows[-1]["outcome"]) == (action, outcome)
        seen += 1

    rows = parent_audit_rows(engine)
    # Who: a keyed hash of (channel, user id) and the binding id; never the user id itself.
    verified = [r for r in rows if r["actor_kind"] == "parent"]
    assert verified and all(r["parent_id"] == world.alex and r["binding_id"] for r in verified)
    # What: ids only. Nothing that names anyone, and no code or message text anywhere.
    everything = repr(rows)
    for forbidden in (*NAMES, code, code.replace("-", ""), message, "user-one", "user-two"):
        assert forbidden not in everything
    refused_not_linked = [r for r in rows if r["outcome"] == "refused_not_linked"]
    assert {r["child_id"] for r in refused_not_linked} == {world.zoe, world.leo}


def test_audit_columns_can_hold_no_free_text():
    """The audit table has no column a name or a message could go into."""
    columns = {c.name: c.type for c in AuditEntry.__table__.columns}
    text_columns = {name for name, kind in columns.items() if isinstance(kind, sa.String)}
    assert text_columns == {"action", "outcome", "actor_kind", "channel", "actor_key"}
    assert all(columns[name].length <= 64 for name in text_columns)


def test_staff_changes_are_audited_with_the_staff_id(staff, world, engine):
    from records_support import audit_rows

    staff.issue_code(world.alex)
    rows = [r for r in audit_rows(engine) if r["actor_kind"] == "staff"]
    assert rows[-1]["action"] == "staff.issue_code" and rows[-1]["actor_key"] == "t-staff"
    assert rows[-1]["parent_id"] == world.alex and rows[-1]["link_code_id"]
    assert {r["action"] for r in rows} >= {"staff.add_school", "staff.add_child", "staff.add_parent", "staff.link", "staff.set_plan", "staff.set_review"}


def test_the_same_person_has_the_same_actor_key_and_channels_differ(connector, world, engine):
    connector.plan_status(Identity("telegram", "77"))
    connector.plan_status(Identity("telegram", "77"))
    connector.plan_status(Identity("rest", "77"))
    keys = [r["actor_key"] for r in parent_audit_rows(engine)]
    assert keys[0] == keys[1] != keys[2]
    assert all(len(k) == 64 for k in keys)
