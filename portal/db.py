"""The database engine and the unit of work every service call runs inside."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import event, text
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
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=20,
        connect_args={"options": options} if options else {},
    )


def get_engine() -> Engine:
    return engine_for(get_settings().database_url)


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """A session that commits when the block succeeds and rolls back when it raises."""
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


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
