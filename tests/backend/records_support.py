"""Helpers shared by the records tests (fixtures are in conftest.py)."""

from __future__ import annotations

import datetime as dt
import os
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bot.security.identity import Identity

IN_CI = os.environ.get("CI", "").lower() == "true"
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone.utc)  # a Monday, GMT


def postgres_admin_url() -> str:
    url = os.environ.get("TEST_POSTGRES_URL", "")
    if not url:
        message = "PostgreSQL records tests skipped: set TEST_POSTGRES_URL (e.g. postgresql://postgres@127.0.0.1:5432/test)"
        if IN_CI:
            pytest.fail(message.replace("skipped", "cannot run in CI"), pytrace=False)
        pytest.skip(message)
    return url


def create_postgres_database(prefix: str = "sen_records_test") -> str:
    admin_url = postgres_admin_url()
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, future=True, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    name = make_url(url).database
    admin = sa.create_engine(postgres_admin_url(), future=True, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


class FakeClock:
    """An injected clock: `clock()` is now; `clock.advance(minutes=61)` moves it on."""

    def __init__(self, start: dt.datetime = START) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


def telegram(user_id: str = "1001") -> Identity:
    return Identity("telegram", user_id)


def audit_rows(engine, **where) -> list[dict]:
    from bot.backend.models import AuditEntry

    with engine.connect() as connection:
        query = sa.select(AuditEntry.__table__).order_by(AuditEntry.id)
        for column, value in where.items():
            query = query.where(getattr(AuditEntry, column) == value)
        return [dict(row._mapping) for row in connection.execute(query)]


def parent_audit_rows(engine) -> list[dict]:
    """Audit rows written by parents' chats (not by staff)."""
    return [row for row in audit_rows(engine) if row["actor_kind"] != "staff"]


def empty_tables(url: str) -> None:
    from bot.backend.models import metadata

    engine = sa.create_engine(url, future=True)
    try:
        with engine.begin() as connection:
            # DELETE is much quicker than TRUNCATE on tables this small.
            connection.execute(sa.text("SET LOCAL synchronous_commit = off"))
            for table in reversed(metadata.sorted_tables):
                connection.execute(table.delete())
    finally:
        engine.dispose()


class TcpProxy:
    """A TCP forwarder we can stop and start, to take "the database" away and bring it back.

    mode "forward" passes bytes both ways; "blackhole" accepts connections and never answers
    (a server that hangs). `stop()` closes the listener and every open connection.
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        import socket

        self.target = (target_host, target_port)
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.mode = "forward"
        self._listener = None
        self._sockets: list = []
        self._lock = __import__("threading").Lock()

    def start(self, mode: str = "forward") -> "TcpProxy":
        import socket
        import threading

        self.mode = mode
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def _accept(self, listener) -> None:
        import socket
        import threading

        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            with self._lock:
                self._sockets.append(client)
            if self.mode == "blackhole":
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets.append(upstream)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source, sink) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.close()
                except OSError:
                    pass

    def stop(self) -> None:
        import socket

        if self._listener is not None:
            try:
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
            except OSError:
                pass
            self._listener.close()
            self._listener = None
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
