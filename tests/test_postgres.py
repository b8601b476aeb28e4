"""The same schema and rules on PostgreSQL, through psycopg, on a throwaway local cluster."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func
from sqlmodel import Session, SQLModel, select

import models  # noqa: F401
from models import SignInAttempt
from portal.db import engine_for
from portal.migrations import upgrade
from portal.services import sessions, signin
from tests.factories import PASSWORD, make_firm, make_user
from tests.support import postgres
from tests.support.burst import burst


@pytest.fixture(scope="module")
def cluster():
    pg = postgres.start()
    yield pg
    pg.stop()


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
