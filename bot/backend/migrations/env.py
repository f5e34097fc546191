"""Alembic environment for the records database.

The connection comes from `config.attributes["connection"]` (bot.backend.migrate), or else
from DATABASE_URL / the default SQLite file. Batch mode keeps ALTERs working on SQLite.
"""

from __future__ import annotations

from alembic import context

from bot.backend.db import make_engine
from bot.backend.models import metadata

config = context.config


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine()
    try:
        with engine.begin() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; run against a database.")
run_migrations_online()
