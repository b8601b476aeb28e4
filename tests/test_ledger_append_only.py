"""The access ledger is append-only in the database itself: no UPDATE, DELETE or TRUNCATE
gets through, whoever sends it (a bug, a console, a script); and each row keeps its step's
title, also for the rows written before the title was kept (the upgrade fills them in)."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from portal.db import engine_for
from portal.migrations import alembic_config, upgrade
from portal.services import steps
from tests import test_postgres
from tests.factories import make_filing, make_step

# test_postgres's migrated PostgreSQL database, whatever database the run is on.
cluster, pg_url = test_postgres.cluster, test_postgres.pg_url
REFUSAL = "access_change is append-only"
TAMPERING = [
    "UPDATE access_change SET cause = 'nothing.happened'",
    "UPDATE access_change SET step_title = NULL",
    "DELETE FROM access_change",
]


def ledger_with_rows(url: str) -> int:
    """A world whose ledger has rows: Dev given a step, then reassigned off it."""
    from tests.world import build_world

    with Session(engine_for(url), expire_on_commit=False) as session:
        world = build_world(session)
        sam = world.actor(session, world.staff)
        free = make_step(session, world.filing, None, title="Reconcile")
        session.commit()
        steps.assign_step(session=session, actor=sam, step_id=free.id, assignee_id=world.bk2.id)
        steps.assign_step(session=session, actor=sam, step_id=free.id, assignee_id=world.staff.id)
        session.commit()
    return count(url)


def count(url: str) -> int:
    with engine_for(url).connect() as conn:
        return conn.execute(text("SELECT count(*) FROM access_change")).scalar_one()


def refused(url: str, sql: str) -> str:
    with engine_for(url).connect() as conn, pytest.raises(DBAPIError) as error:
        conn.execute(text(sql))
        conn.commit()
    return str(error.value)


@pytest.mark.parametrize("sql", TAMPERING)
def test_the_database_refuses_to_change_or_delete_ledger_rows(db_url, sql):
    """On this run's database kind (SQLite, or PostgreSQL in `make test-cluster`)."""
    rows = ledger_with_rows(db_url)
    assert rows == 2
    assert REFUSAL in refused(db_url, sql)
    assert count(db_url) == rows
    with engine_for(db_url).connect() as conn:
        causes = conn.execute(text("SELECT cause, step_title FROM access_change ORDER BY id"))
        assert causes.all() == [("step.assigned", "Reconcile"), ("step.reassigned", "Reconcile")]


def test_postgresql_refuses_update_delete_and_truncate(pg_url):
    rows = ledger_with_rows(pg_url)
    for sql in (*TAMPERING, "TRUNCATE access_change"):
        assert REFUSAL in refused(pg_url, sql)
    assert count(pg_url) == rows


def test_the_upgrade_fills_in_titles_and_then_locks_the_ledger(tmp_path):
    """Rows from before 0007 get their step's title where the step still exists; a step
    removed before the upgrade leaves its rows without one, and the page says so."""
    from tests.world import build_world

    url = f"sqlite:///{tmp_path / 'old.db'}"
    # The rows are made with today's models, then taken back to the schema before the ledger.
    upgrade(url)
    engine = engine_for(url)
    with Session(engine, expire_on_commit=False) as session:
        world = build_world(session)
        gone = make_step(session, make_filing(session, world.other_client), world.bk2)
        session.commit()
        gone_id = gone.id
    command.downgrade(alembic_config(url), "0004")
    command.upgrade(alembic_config(url), "0005")  # opens the ledger: Bea's step, Dev's step
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM step WHERE id = :s"), {"s": gone_id})
    upgrade(url)
    with engine.connect() as conn:
        titles = dict(conn.execute(text("SELECT step_id, step_title FROM access_change")).all())
    assert titles == {world.step.id: "Enter Q1 bank transactions", gone_id: None}
    assert REFUSAL in refused(url, "UPDATE access_change SET step_title = 'made up'")
    command.downgrade(alembic_config(url), "0006")  # and back: the triggers go with it
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM access_change"))
    engine.dispose()
