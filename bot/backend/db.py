"""Where the records live and how to reach them: engine, sessions and time.

- `DATABASE_URL` (PostgreSQL, e.g. postgresql://user:password@host:5432/sen) or, by default,
  a SQLite file `$SEN_DATA_DIR/records.db`.
- Short timeouts everywhere, so a database that is down or slow gives a calm "not now"
  within seconds instead of a hung conversation: SEN_DB_CONNECT_TIMEOUT (seconds, default 3)
  and SEN_DB_STATEMENT_TIMEOUT_MS (default 3000).
- `pool_pre_ping` throws away connections that died while the database was away, so the
  next call after an outage works again.
- `hide_parameters=True`: SQL errors and SQL logging never contain bound values (message
  text, names, code hashes), so an error that reaches a log holds no personal data.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from bot.config import Settings

UTC = dt.timezone.utc


def utcnow() -> dt.datetime:
    return dt.datetime.now(UTC)


def _env_number(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name) or default)
    except ValueError:
        return default


def database_url(settings: Settings | None = None) -> str:
    """DATABASE_URL if set, else the SQLite file under SEN_DATA_DIR."""
    value = (os.environ.get("DATABASE_URL") or "").strip()
    if value:
        # Heroku-style URLs say postgres://, which SQLAlchemy 1.4 no longer accepts.
        return "postgresql://" + value[len("postgres://"):] if value.startswith("postgres://") else value
    settings = settings or Settings.from_env()
    return f"sqlite:///{settings.data_dir / 'records.db'}"


def uses_external_database() -> bool:
    return bool((os.environ.get("DATABASE_URL") or "").strip())


def connect_timeout_seconds() -> float:
    return max(1.0, _env_number("SEN_DB_CONNECT_TIMEOUT", 3))


def statement_timeout_ms() -> int:
    return max(100, int(_env_number("SEN_DB_STATEMENT_TIMEOUT_MS", 3000)))


def _private_file(path: str) -> None:
    """Create the SQLite file readable by its owner only (it holds children's records)."""
    folder = os.path.dirname(os.path.abspath(path)) or "."
    if not os.path.isdir(folder):
        os.makedirs(folder, mode=0o700, exist_ok=True)
    if not os.path.exists(path):
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def make_engine(url: str | None = None) -> Engine:
    url = url or database_url()
    parsed = make_url(url)
    connect_timeout = connect_timeout_seconds()
    statement_ms = statement_timeout_ms()
    options: dict[str, Any] = {"future": True, "pool_pre_ping": True, "hide_parameters": True}

    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            _private_file(database)
        # `timeout` is how long SQLite waits for a lock held by another process (the staff
        # command line, say) before giving up with "database is locked".
        options["connect_args"] = {"timeout": statement_ms / 1000, "check_same_thread": False}
        engine = create_engine(url, **options)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - trivial
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(statement_ms)}")
            cursor.close()

        return engine

    if parsed.get_backend_name() == "postgresql":
        # Merge our timeouts into any `options` already in the URL (e.g. a search_path).
        existing = str(parsed.query.get("options") or "")
        timeouts = (
            f"-c statement_timeout={statement_ms} -c lock_timeout={statement_ms} "
            f"-c idle_in_transaction_session_timeout={max(statement_ms * 10, 10000)}"
        )
        options["connect_args"] = {
            "connect_timeout": max(2, int(round(connect_timeout))),
            "options": f"{existing} {timeouts}".strip(),
            "application_name": "sen-records",
            # Notice a server or network that vanished without closing the connection.
            "keepalives": 1,
            "keepalives_idle": 30,
            "keepalives_interval": 10,
            "keepalives_count": 3,
        }
        if _libpq_version() >= 120000:  # unacknowledged writes give up after this long
            options["connect_args"]["tcp_user_timeout"] = int(max(connect_timeout * 1000, statement_ms) * 2)
        options.update(pool_size=5, max_overflow=5, pool_timeout=connect_timeout, pool_recycle=1800)
        return create_engine(url, **options)

    return create_engine(url, **options)


def _libpq_version() -> int:
    try:
        import psycopg2.extensions

        return int(psycopg2.extensions.libpq_version())
    except Exception:  # noqa: BLE001 - another driver, or none: skip the option
        return 0


def session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(bind=engine, future=True, expire_on_commit=False)
