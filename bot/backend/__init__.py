"""The secure records connector (issue 4): the only code that touches a child's records.

Actions call `get_connector()` and the `RecordsConnector` methods; they never see SQL.
The database is DATABASE_URL (PostgreSQL) or the SQLite file $SEN_DATA_DIR/records.db.
Start-up runs `upgrade_to_head()` (bot.backend.migrate); see docs/records.md.
"""

from __future__ import annotations

import threading

from bot.backend.connector import RecordsConnector, SqlRecordsConnector
from bot.backend.db import database_url, make_engine, uses_external_database
from bot.backend.migrate import upgrade_to_head

__all__ = ["RecordsConnector", "SqlRecordsConnector", "get_connector", "reset_connectors", "upgrade_to_head"]

_lock = threading.Lock()
_connectors: dict[str, SqlRecordsConnector] = {}


def get_connector() -> RecordsConnector:
    """The process's connector for the configured database (one per URL, made on first use).

    With the default SQLite file the schema is created on first use, so a developer's
    assistant works without a separate step; a DATABASE_URL database is only ever
    migrated explicitly (start-up or `sen-admin migrate`).
    """
    url = database_url()
    with _lock:
        connector = _connectors.get(url)
        if connector is None:
            connector = SqlRecordsConnector(make_engine(url), auto_migrate=not uses_external_database())
            _connectors[url] = connector
        return connector


def reset_connectors() -> None:
    """Forget every cached connector and close its connections (tests, or after a fork)."""
    with _lock:
        for connector in _connectors.values():
            connector.engine.dispose()
        _connectors.clear()
