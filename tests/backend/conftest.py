"""Fixtures for the records connector tests, run against SQLite and PostgreSQL.

`db_url` is parametrised: a fresh SQLite file per test, and a PostgreSQL database created
for the session (from TEST_POSTGRES_URL, dropped at the end) and emptied after each test.
Without TEST_POSTGRES_URL the PostgreSQL half is skipped with a reason, except in CI
(CI=true), where it fails: CI must prove the PostgreSQL path.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest
import sqlalchemy as sa

# tests/conftest.py (the lead's) sets these for the session; keep this folder runnable alone.
os.environ.setdefault("SEN_SECRET_KEY", "records-tests-secret-key-0123456789-abcdefghij")
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

from bot.backend.connector import SqlRecordsConnector  # noqa: E402
from bot.backend.db import make_engine  # noqa: E402
from bot.schedule.hours import parse_hours  # noqa: E402
from bot.backend.migrate import upgrade_to_head  # noqa: E402
from bot.backend.staff import StaffService  # noqa: E402
from bot.security.identity import Identity  # noqa: E402
from records_support import FakeClock, create_postgres_database, drop_postgres_database, empty_tables  # noqa: E402


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """One PostgreSQL database for the session, migrated to head once."""
    url = create_postgres_database()
    try:
        upgrade_to_head(url)
        yield url
    finally:
        drop_postgres_database(url)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A migrated SQLite file, copied for each test (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("records-template") / "records.db"
    upgrade_to_head(f"sqlite:///{path}")
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> Iterator[str]:
    """A migrated, empty records database: SQLite, then PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "records.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("postgres_database")
    try:
        yield url
    finally:
        empty_tables(url)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_db_url(request, tmp_path) -> Iterator[str]:
    """A database with nothing in it at all (for migration tests)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    url = create_postgres_database("sen_records_empty")
    try:
        yield url
    finally:
        drop_postgres_database(url)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def fast_test_engine(url: str):
    """make_engine(url), without waiting for the disk on each commit (test data is thrown away)."""
    if url.startswith("postgresql"):
        # Also exercises make_engine's merging of URL options with its own timeouts.
        return make_engine(url + ("&" if "?" in url else "?") + "options=-c%20synchronous_commit%3Doff")
    engine = make_engine(url)
    sa.event.listen(engine, "connect", lambda dbapi_connection, _record: dbapi_connection.execute("PRAGMA synchronous=OFF"))
    return engine


@pytest.fixture
def engine(db_url):
    engine = fast_test_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def connector(engine, clock) -> SqlRecordsConnector:
    return SqlRecordsConnector(engine, clock=clock)


@pytest.fixture
def staff(engine, clock) -> StaffService:
    return StaffService(engine, staff_id="t-staff", clock=clock)


@dataclass
class World:
    """Two schools, three families. Refs are the opaque ids a button would carry."""

    oakfield: int
    riverside: int
    alex: int  # parent of Sam and Maya (both at Oakfield)
    jordan: int  # parent of Zoe (at Riverside)
    casey: int  # parent of Leo (at Oakfield, another family)
    sam: int
    maya: int
    zoe: int
    leo: int
    refs: dict[str, str]


@pytest.fixture
def world(staff: StaffService, clock: FakeClock) -> World:
    oakfield, _ = staff.add_school(
        "Oakfield Primary School", "Ms Priya Shah", email="senco@oakfield.example", phone="01632 960123",
        school_hours=parse_hours("mon-fri 08:30-15:30"), contact_hours=parse_hours("mon,tue,thu 08:30-15:00"),
    )
    riverside, _ = staff.add_school(
        "Riverside Academy", "Mr Tom Okafor", contact_role="SENDCo", email="sendco@riverside.example",
        phone="01632 960456", contact_hours=parse_hours("wed-fri 09:00-14:00"),
    )
    alex = staff.add_parent("Alex Taylor", phone="07700 900123")
    jordan = staff.add_parent("Jordan Reed")
    casey = staff.add_parent("Casey Lane")
    ids = {}
    for name, school in (("Sam", oakfield), ("Maya", oakfield), ("Zoe", riverside), ("Leo", oakfield)):
        ids[name] = staff.add_child(school, name, "Example")
    staff.link(alex, ids["Sam"][0])
    staff.link(alex, ids["Maya"][0])
    staff.link(jordan, ids["Zoe"][0])
    staff.link(casey, ids["Leo"][0])
    staff.set_plan(ids["Sam"][0], "active", "Sam will read aloud three times a week.")
    staff.set_plan(ids["Maya"][0], "under_review", "Maya will use a word bank.")
    staff.set_plan(ids["Zoe"][0], "draft", "Zoe will join a social skills group.")
    staff.set_plan(ids["Leo"][0], "ended", "Leo met his outcomes.")
    staff.set_review(ids["Sam"][0], clock.now + dt.timedelta(days=20, hours=6))
    staff.set_review(ids["Zoe"][0], clock.now + dt.timedelta(days=10))
    return World(
        oakfield=oakfield, riverside=riverside, alex=alex, jordan=jordan, casey=casey,
        sam=ids["Sam"][0], maya=ids["Maya"][0], zoe=ids["Zoe"][0], leo=ids["Leo"][0],
        refs={name: ref for name, (_, ref) in ids.items()},
    )


@pytest.fixture
def link(connector: SqlRecordsConnector, staff: StaffService):
    """link(identity, parent_id): issue a code for the parent and redeem it as that identity."""

    def _link(identity: Identity, parent_id: int):
        issued = staff.issue_code(parent_id)
        result = connector.redeem_code(identity, issued.code)
        assert result.ok, result
        return result

    return _link
