"""The database engine and the unit of work every service call runs inside."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from sqlalchemy import event, exc, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

from portal.settings import get_settings


def _prepare_sqlite(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """One engine per URL for the life of the process."""
    if url.startswith("sqlite"):
        _prepare_sqlite(url)
        eng = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(eng, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - runs on connect
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return eng
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    # PostgreSQL's default random_page_cost (4) prices index reads for spinning disks: with it,
    # My Tasks joined a person's 200 steps to their filings by reading all 16,000 active
    # filings (31 ms); at 1.1, right for SSDs and cached data, it uses the keys (4 ms).
    # PORTAL_PG_OPTIONS replaces these session settings.
    options = os.environ.get("PORTAL_PG_OPTIONS", "-c random_page_cost=1.1")
    eng = create_engine(
        url,
        pool_size=10,
        max_overflow=20,
        connect_args={"options": options} if options else {},
    )
    _ping_when_idle(eng)
    return eng


# A pooled connection unused for this long is tested before it is handed out.
IDLE_BEFORE_PING_SECONDS = 10.0


def _ping_when_idle(eng: Engine) -> None:
    """Test a pooled connection before use only when it has sat idle, instead of before
    every use (`pool_pre_ping`): a ping is a round trip, and an event ran two units of work,
    so it paid two of them. A busy pool's connections are seconds old; one that sat idle (a
    quiet night, a PostgreSQL restart) is tested and, if dead, replaced before anyone sees
    it. A server restarted within the last few seconds can still fail one request, with the
    usual message and reference; the pool then replaces every connection it had."""

    @event.listens_for(eng, "checkin")
    def _returned(_dbapi_conn, record):  # pragma: no cover - runs on checkin
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(eng, "checkout")
    def _test_if_idle(dbapi_conn, record, _proxy):
        returned = record.info.get("returned_at")
        if returned is None or time.monotonic() - returned < IDLE_BEFORE_PING_SECONDS:
            return
        try:
            alive = eng.dialect.do_ping(dbapi_conn)
        except Exception as error:
            raise exc.DisconnectionError("an idle pooled connection was dead") from error
        if not alive:
            raise exc.DisconnectionError("an idle pooled connection was dead")


def migration_engine(url: str) -> Engine:
    """The engine migrations run on. PostgreSQL's is the app's: its DDL is transactional.

    SQLite needs its own. It changes a table by building a new one and dropping the old, and
    with foreign keys on (as every app connection has them), dropping a table other rows
    point to fails: a database with data in it could not be upgraded. And its Python driver
    runs DDL outside any transaction, so a failed upgrade stopped half done. Here the keys
    are off for the upgrade (SQLite's own recipe for changing tables; alembic/env.py checks
    every reference before it commits) and the whole upgrade is one transaction."""
    if not url.startswith("sqlite"):
        return engine_for(url)
    from sqlalchemy.pool import NullPool

    _prepare_sqlite(url)
    eng = create_engine(url, poolclass=NullPool, connect_args={"timeout": 30})

    @event.listens_for(eng, "connect")
    def _no_driver_transactions(dbapi_conn, _record):  # pragma: no cover - runs on connect
        dbapi_conn.isolation_level = None
        dbapi_conn.execute("PRAGMA foreign_keys=OFF")

    @event.listens_for(eng, "begin")
    def _begin(conn):  # pragma: no cover - runs per transaction
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return eng


def get_engine() -> Engine:
    return engine_for(get_settings().database_url)


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """A session that commits when the block succeeds and rolls back when it raises. What
    the block asked to run `after_commit` runs once the commit has succeeded, never before
    and never after a rollback."""
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.info.pop(_AFTER_COMMIT, None)
            session.rollback()
            raise
        _run_after_commit(session)


_AFTER_COMMIT = "portal.after_commit"
log = logging.getLogger("portal.db")


def after_commit(session: Session, fn: Callable[[], None]) -> None:
    """Run `fn` once the unit of work this session belongs to has committed: for what must
    never happen for a change that did not stick (a page pushed, a mail woken), and must not
    hold the transaction open while it happens. A failure of `fn` is logged and never
    undoes the change; anything that must not be lost is written in the transaction itself
    (a queued mail row) and `fn` only hastens it."""
    session.info.setdefault(_AFTER_COMMIT, []).append(fn)


def _run_after_commit(session: Session) -> None:
    for fn in session.info.pop(_AFTER_COMMIT, ()):
        try:
            fn()
        except Exception:
            log.exception("an after-commit action failed; the change itself stands")


@lru_cache(maxsize=8)
def _autocommit(eng: Engine) -> Engine:
    return eng.execution_options(isolation_level="AUTOCOMMIT")


@contextmanager
def reading() -> Iterator[Session]:
    """A unit of work for reads. On PostgreSQL it runs without BEGIN and COMMIT, two of the
    few round trips a page read costs; each statement sees the database as of its own start,
    as it would inside a READ COMMITTED transaction. It allows at most one single-statement
    write (the session lookup's "last seen"), which is atomic by itself. On SQLite, in the
    process, a transaction costs nothing and a page read is cheaper inside one (one snapshot,
    not one per statement; and no isolation level to set and reset), so it is the usual
    unit of work."""
    engine = get_engine()
    if engine.dialect.name != "postgresql":
        with unit_of_work() as session:
            yield session
        return
    with Session(_autocommit(engine), expire_on_commit=False) as session:
        yield session
        _run_after_commit(session)


F = TypeVar("F", bound=Callable)


def reads_only(fn: F) -> F:
    """Mark a service call that only reads, so the runner gives it `reading()`."""
    fn.reads_only = True  # type: ignore[attr-defined]
    return fn


def serialize_on(session: Session, key: str) -> None:
    """Make concurrent transactions that name the same key run one after another.

    PostgreSQL takes a transaction-scoped advisory lock. SQLite already runs one writer at a
    time, and callers write before they read, so the write lock they hold does the same job.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": key})


def refresh_statistics(engine: Engine | None = None) -> None:
    """Give the query planner current statistics about the tables, so it picks the indexes
    the rule is written for (without them SQLite walks every step a bookkeeper holds). On
    SQLite a sampled ANALYZE (fast at any size); on PostgreSQL a plain ANALYZE, which
    autovacuum then keeps current."""
    engine = engine or get_engine()
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA analysis_limit=1000")
            conn.exec_driver_sql("ANALYZE")
        elif conn.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE")
        conn.commit()
