"""The same schema and rules on PostgreSQL, through psycopg, on a throwaway local cluster."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, SQLModel, select

import models  # noqa: F401
from models import Firm, SignInAttempt
from portal import db
from portal.db import engine_for
from portal.migrations import upgrade
from portal.services import sessions, signin
from portal.settings import get_settings
from tests.factories import PASSWORD, make_firm, make_user
from tests.support.burst import burst, refusal_burst


@pytest.fixture(scope="module")
def cluster(postgres_server):
    """The run's PostgreSQL server (conftest.py): a throwaway cluster on loopback."""
    return postgres_server


@pytest.fixture
def pg_url(cluster):
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = cluster.url.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = cluster.url.rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    yield url
    engine_for(url).dispose()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_migrations_build_the_models_schema_on_postgresql(pg_url):
    with engine_for(pg_url).connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata
        )
    assert diff == []


def test_sign_in_and_session_round_trip_on_postgresql(pg_url):
    with Session(engine_for(pg_url), expire_on_commit=False) as session:
        firm = make_firm(session, "PG firm")
        user = make_user(session, firm, "bookkeeper", email="bk@pg.example")
        session.commit()
        result = signin.sign_in(session=session, email=user.email, password=PASSWORD, ip="::1")
        assert result.ok
        token = sessions.redeem_handoff(session=session, code=result.handoff_code)
        session.commit()
        actor = sessions.resolve(session=session, token=token).actor
        assert actor is not None and actor.user_id == user.id and actor.role == "bookkeeper"


def test_a_burst_of_parallel_attempts_cannot_slip_past_the_throttle(pg_url):
    with Session(engine_for(pg_url)) as session:
        firm = make_firm(session, "PG burst")
        make_user(session, firm, email="target@pg.example")
        session.commit()
    results = burst(pg_url, "target@pg.example", "wrong password!", 200)
    assert sum("Too many" in r.message for r in results) == 200 - signin.PER_ADDRESS_LIMIT
    with Session(engine_for(pg_url)) as session:
        checked = session.exec(select(func.count()).where(SignInAttempt.outcome == "failed")).one()
    assert checked == signin.PER_ADDRESS_LIMIT


def test_one_submission_racing_on_two_connections_creates_one_record(pg_url, monkeypatch):
    """Two workers handle the same double click at the same moment: PostgreSQL holds the
    second claim on the unique key until the first commits, then it reads the first result."""
    import threading
    import time

    from models import Client
    from portal.services import clients, runner
    from portal.settings import get_settings
    from tests.factories import actor_for

    monkeypatch.setenv("PORTAL_DATABASE_URL", pg_url)
    get_settings.cache_clear()
    with Session(engine_for(pg_url), expire_on_commit=False) as session:
        firm = make_firm(session, "PG race")
        staff = actor_for(make_user(session, firm, "staff", email="race@pg.example"))
        session.commit()
    real = clients.create_client

    def slow_create(**kwargs):
        time.sleep(0.3)
        return real(**kwargs)

    slow_create.__module__, slow_create.__qualname__ = real.__module__, real.__qualname__
    outcomes = []

    def submit():
        outcomes.append(
            runner.perform_once(slow_create, actor=staff, token="t", form={"name": "PG Race Co."})
        )

    threads = [threading.Thread(target=submit) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    get_settings.cache_clear()
    assert sorted(o.repeat for o in outcomes) == [False, True, True]
    assert len({o.result for o in outcomes}) == 1
    with Session(engine_for(pg_url)) as session:
        assert session.exec(select(func.count()).select_from(Client)).one() == 1


def test_concurrent_refusals_fold_into_one_row_on_postgresql(pg_url):
    """The fold is INSERT .. ON CONFLICT DO UPDATE: eight connections racing on one key make
    one row and lose no count."""
    from models import AuditEvent
    from tests.factories import actor_for

    with Session(engine_for(pg_url), expire_on_commit=False) as session:
        firm = make_firm(session, "PG fold")
        actor = actor_for(make_user(session, firm, "bookkeeper", email="fold@pg.example"))
        session.commit()
    refusal_burst(pg_url, actor, threads=8, each=25)
    with Session(engine_for(pg_url)) as session:
        rows = session.exec(select(AuditEvent).where(AuditEvent.outcome == "refused")).all()
    assert [(r.actor_id, r.count) for r in rows] == [(actor.user_id, 200)]


def test_generate_writes_a_firm_with_copy_on_postgresql(pg_url, tmp_path, monkeypatch):
    """`portal generate` on PostgreSQL: COPY in key order, sequences moved past the new ids,
    statistics gathered; the scope rule answers for a generated bookkeeper."""
    from sqlalchemy import text

    from models import Firm, User
    from portal import generate
    from portal.services import clients
    from portal.services.errors import NotFound
    from portal.settings import get_settings
    from tests.factories import actor_for

    monkeypatch.setenv("PORTAL_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    result = generate.generate(engine_for(pg_url), "small", seed=5, progress=False)
    get_settings.cache_clear()
    assert result.counts["step"] == 1000
    busiest = max(result.bookkeeper_steps, key=result.bookkeeper_steps.get)
    with Session(engine_for(pg_url)) as session:
        # A row added the ordinary way takes the next id after the generated ones.
        extra = make_user(session, session.get(Firm, result.firm_id), "staff")
        session.commit()
        assert extra.id > busiest
        allowed = session.execute(
            text(
                "SELECT f.client_id FROM step s JOIN filing f ON f.id = s.filing_id "
                "WHERE s.assignee_id = :u AND f.status IN ('open', 'in_review') LIMIT 1"
            ),
            {"u": busiest},
        ).scalar_one()
        refused = session.execute(
            text(
                "SELECT c.id FROM client c WHERE c.firm_id = :f AND NOT EXISTS (SELECT 1 FROM "
                "step s JOIN filing f ON f.id = s.filing_id WHERE s.assignee_id = :u AND "
                "f.client_id = c.id AND f.status IN ('open', 'in_review')) LIMIT 1"
            ),
            {"u": busiest, "f": result.firm_id},
        ).scalar_one()
        actor = actor_for(session.get(User, busiest))
        assert clients.get_client(session=session, actor=actor, client_id=allowed).id == allowed
        with pytest.raises(NotFound):
            clients.get_client(session=session, actor=actor, client_id=refused)
        # Every foreign key of every table holds (COPY may have skipped the checks).
        for table in SQLModel.metadata.sorted_tables:
            for fk in table.foreign_keys:
                orphans = session.execute(
                    text(
                        f"SELECT count(*) FROM {table.name} c WHERE c.{fk.parent.name} IS NOT "  # noqa: S608
                        f"NULL AND NOT EXISTS (SELECT 1 FROM {fk.column.table.name} p WHERE "
                        f"p.{fk.column.name} = c.{fk.parent.name})"
                    )
                ).scalar_one()
                assert orphans == 0, (table.name, fk.parent.name)
        analyzed = session.execute(
            text("SELECT count(*) FROM pg_stats WHERE tablename = 'step'")
        ).scalar_one()
        assert analyzed > 0


def _backend_pid(engine) -> int:
    with engine.connect() as conn:
        return conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()


def _kill(cluster, pid: int) -> None:
    admin = cluster.url.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(%s)", (pid,))


@pytest.mark.parametrize("idle_enough", [True, False])
def test_a_pooled_connection_that_died_while_idle_is_replaced_before_use(
    cluster, pg_url, monkeypatch, idle_enough
):
    """A PostgreSQL restart overnight must not fail the morning's first click. Connections
    are tested only once they have sat idle (not before every use), so the control case, a
    connection killed the moment it was returned, shows what the test would catch."""
    engine = engine_for(pg_url)
    monkeypatch.setattr(db, "IDLE_BEFORE_PING_SECONDS", 0.0 if idle_enough else 3600.0)
    _kill(cluster, _backend_pid(engine))
    if idle_enough:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT 1").scalar_one() == 1
    else:
        with pytest.raises(OperationalError), engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")


def test_reads_run_without_a_transaction_and_changes_still_roll_back(pg_url, monkeypatch):
    """`reading()` spares a page read BEGIN and COMMIT; the pooled connection it used must
    go back to transactions, or a failed change would leave half its writes behind."""
    monkeypatch.setenv("PORTAL_DATABASE_URL", pg_url)
    get_settings.cache_clear()
    try:
        with db.reading() as session:
            assert session.connection().connection.dbapi_connection.autocommit is True
            first = session.execute(text("SELECT statement_timestamp()")).scalar_one()
            second = session.execute(text("SELECT now()")).scalar_one()
            assert second >= first  # each statement is its own transaction
        with pytest.raises(RuntimeError), db.unit_of_work() as session:
            assert session.connection().connection.dbapi_connection.autocommit is False
            make_firm(session, "Half-written firm")
            session.flush()
            raise RuntimeError("the change failed after its first write")
        with db.unit_of_work() as session:
            assert session.exec(select(func.count()).select_from(Firm)).one() == 0
    finally:
        get_settings.cache_clear()
