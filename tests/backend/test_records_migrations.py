"""The schema comes only from the Alembic migrations, and they match the models."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from bot.backend.db import make_engine
from bot.backend.migrate import current_revision, downgrade_to_base, head_revision, is_at_head, upgrade_to_head
from bot.backend.models import metadata

TABLES = {
    "schools", "school_hours", "school_terms", "school_closures", "children", "parents", "parent_child_links", "support_plans", "reviews",
    "link_codes", "channel_identities", "verification_attempts", "audit_log", "senco_messages",
}


def _tables(engine) -> set[str]:
    with engine.connect() as connection:
        return set(sa.inspect(connection).get_table_names()) - {"alembic_version"}


def test_upgrade_from_empty_creates_the_whole_schema(empty_db_url):
    engine = make_engine(empty_db_url)
    try:
        assert _tables(engine) == set() and current_revision(engine) is None
        upgrade_to_head(engine)
        assert _tables(engine) == TABLES
        assert is_at_head(engine) and current_revision(engine) == head_revision()
        upgrade_to_head(engine)  # running it again changes nothing
        assert is_at_head(engine)
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), metadata)
        assert diff == [], "the models and the migrations disagree: write a migration"
        downgrade_to_base(engine)
        assert _tables(engine) == set()
        upgrade_to_head(empty_db_url)  # also by URL
        assert _tables(engine) == TABLES
    finally:
        engine.dispose()


def test_database_rules_hold_even_without_the_application(engine):
    """Check constraints catch bad values that skip the staff service."""
    import pytest
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        with engine.begin() as connection:
            connection.execute(sa.text(
                "INSERT INTO schools (ref, name, contact_name, contact_role, timezone, created_at, updated_at) "
                "VALUES ('s_x', 'X', 'Y', 'SENCO', 'Europe/London', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
            ))
            connection.execute(sa.text(
                "INSERT INTO school_hours (school_id, kind, weekday, opens, closes) "
                "SELECT id, 'school', 7, '09:00:00', '15:00:00' FROM schools WHERE ref = 's_x'"
            ))
