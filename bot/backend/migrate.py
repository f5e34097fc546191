"""Bring the records database to the newest schema (Alembic, bot/backend/migrations).

Used at start-up (`upgrade_to_head()`), by `sen-admin migrate` and by the tests. Safe to
run more than once, and from two processes at once on PostgreSQL (an advisory lock
serialises them).
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from bot.backend.db import make_engine

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_ADVISORY_LOCK_ID = 4_471_202_604  # any constant shared by every process of this project


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def is_at_head(engine: Engine) -> bool:
    return current_revision(engine) == head_revision()


def upgrade_to_head(engine: Engine | str | None = None) -> None:
    """Create or upgrade the schema. `engine`: an Engine, a URL, or None for DATABASE_URL/SQLite."""
    own_engine = not isinstance(engine, Engine)
    bind = make_engine(engine) if own_engine else engine
    try:
        with bind.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _ADVISORY_LOCK_ID})
            command.upgrade(alembic_config(connection), "head")
        logger.info("records database schema is up to date")
    finally:
        if own_engine:
            bind.dispose()


def downgrade_to_base(engine: Engine) -> None:
    """Tests only: remove every table the migrations made."""
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")


if __name__ == "__main__":  # python -m bot.backend.migrate
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    upgrade_to_head()
