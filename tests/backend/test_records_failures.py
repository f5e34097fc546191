"""The database down, slow or missing: a calm `Unavailable`, never an exception; then recovery."""

from __future__ import annotations

import logging
import shutil
import sqlite3
import time

import pytest
from sqlalchemy.engine import make_url

from bot.backend.connector import SqlRecordsConnector
from bot.backend.db import make_engine
from bot.backend.results import PlanStatus, Unavailable, Verified
from records_support import FakeClock, TcpProxy, telegram

ALEX = telegram("1001")


@pytest.fixture
def short_timeouts(monkeypatch):
    monkeypatch.setenv("SEN_DB_STATEMENT_TIMEOUT_MS", "400")
    monkeypatch.setenv("SEN_DB_CONNECT_TIMEOUT", "2")


def test_sqlite_gone_then_back(tmp_path, sqlite_template, clock, caplog):
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copyfile(sqlite_template, folder / "records.db")
    engine = make_engine(f"sqlite:///{folder / 'records.db'}")
    connector = SqlRecordsConnector(engine, clock=clock)
    assert connector.forget_me(ALEX).ok

    moved = tmp_path / "moved"
    folder.rename(moved)  # the disk went away
    with caplog.at_level(logging.DEBUG):
        assert isinstance(connector.plan_status(ALEX), Unavailable)
        assert isinstance(connector.redeem_code(ALEX, "ABCDE-23456"), Unavailable)
        assert isinstance(connector.leave_message(ALEX, None, "private words"), Unavailable)
    assert "private words" not in caplog.text and "ABCDE" not in caplog.text

    moved.rename(folder)  # and came back: the same connector works again
    assert connector.forget_me(ALEX).ok
    engine.dispose()


def test_sqlite_locked_by_another_process_is_slow_not_stuck(tmp_path, sqlite_template, clock, short_timeouts):
    path = tmp_path / "records.db"
    shutil.copyfile(sqlite_template, path)
    connector = SqlRecordsConnector(make_engine(f"sqlite:///{path}"), clock=clock)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        started = time.monotonic()
        assert isinstance(connector.plan_status(ALEX), Unavailable)
        assert time.monotonic() - started < 3
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert connector.forget_me(ALEX).ok


def test_missing_schema_is_unavailable_not_an_error(tmp_path, clock):
    connector = SqlRecordsConnector(make_engine(f"sqlite:///{tmp_path / 'blank.db'}"), clock=clock)
    assert isinstance(connector.plan_status(ALEX), Unavailable)


def test_default_sqlite_is_created_on_first_use(tmp_path, monkeypatch):
    from bot.backend import get_connector, reset_connectors

    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("SEN_DATA_DIR", str(tmp_path / "fresh"))
    reset_connectors()
    try:
        connector = get_connector()
        assert connector is get_connector()  # cached per process
        assert connector.forget_me(ALEX).ok
        assert (tmp_path / "fresh" / "records.db").exists()
        assert oct((tmp_path / "fresh" / "records.db").stat().st_mode & 0o777) == "0o600"
    finally:
        reset_connectors()


def test_an_unreachable_external_database_is_unavailable(monkeypatch, short_timeouts):
    from bot.backend import get_connector, reset_connectors

    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    reset_connectors()
    try:
        started = time.monotonic()
        assert isinstance(get_connector().plan_status(ALEX), Unavailable)
        assert time.monotonic() - started < 5
    finally:
        reset_connectors()


@pytest.mark.postgres
def test_postgres_down_then_back_and_hanging(postgres_database, staff_for, short_timeouts, caplog):
    url = make_url(postgres_database)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432).start()
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    engine = make_engine(proxied)
    clock = FakeClock()
    connector = SqlRecordsConnector(engine, clock=clock)
    try:
        staff = staff_for(engine, clock)
        parent = staff.add_parent("Alex Taylor")
        school, _ = staff.add_school("Oakfield Primary School", "Ms Priya Shah")
        child, _ = staff.add_child(school, "Sam")
        staff.link(parent, child)
        assert isinstance(connector.redeem_code(ALEX, staff.issue_code(parent).code), Verified)
        assert isinstance(connector.plan_status(ALEX), PlanStatus)  # the pool now holds a live connection

        proxy.stop()  # the server goes away, killing pooled connections
        with caplog.at_level(logging.DEBUG):
            started = time.monotonic()
            assert isinstance(connector.plan_status(ALEX), Unavailable)
            assert isinstance(connector.leave_message(ALEX, None, "private words"), Unavailable)
            assert time.monotonic() - started < 5
        assert "private words" not in caplog.text

        proxy.start("blackhole")  # a server that accepts and never answers
        started = time.monotonic()
        assert isinstance(connector.plan_status(ALEX), Unavailable)
        assert time.monotonic() - started < 6
        proxy.stop()

        proxy.start("forward")  # back: the same connector recovers on the next call
        assert isinstance(connector.plan_status(ALEX), PlanStatus)
    finally:
        proxy.stop()
        engine.dispose()


@pytest.mark.postgres
def test_postgres_slow_query_hits_the_statement_timeout(postgres_database, staff_for, short_timeouts):
    import sqlalchemy as sa

    engine = make_engine(postgres_database)
    clock = FakeClock()
    connector = SqlRecordsConnector(engine, clock=clock)
    staff = staff_for(engine, clock)
    parent = staff.add_parent("Alex Taylor")
    school, _ = staff.add_school("Oakfield Primary School", "Ms Priya Shah")
    child, _ = staff.add_child(school, "Sam")
    staff.link(parent, child)
    connector.redeem_code(ALEX, staff.issue_code(parent).code)
    blocker = sa.create_engine(postgres_database, future=True)
    try:
        with blocker.connect() as connection:
            transaction = connection.begin()
            connection.execute(sa.text("LOCK TABLE children IN ACCESS EXCLUSIVE MODE"))
            started = time.monotonic()
            assert isinstance(connector.plan_status(ALEX), Unavailable)
            assert time.monotonic() - started < 3
            transaction.rollback()
        assert isinstance(connector.plan_status(ALEX), PlanStatus)
    finally:
        blocker.dispose()
        engine.dispose()


@pytest.fixture
def staff_for(postgres_database):
    from bot.backend.staff import StaffService

    from records_support import empty_tables

    yield lambda engine, clock: StaffService(engine, clock=clock)
    empty_tables(postgres_database)
