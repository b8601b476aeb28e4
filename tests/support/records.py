"""Records of the demo firm made for one browser test, straight in the live app's database.

Browser tests share one live app per session, so each test makes its own client, filing and
steps here, named with a fragment of a uuid, and never leans on another test's records.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, select

from models import Firm, User
from portal.db import engine_for
from portal.demo import DEMO_FIRM
from tests.factories import actor_for, make_client, make_filing, make_step
from tests.support.live import LiveApp, live_settings

SAM = "sam@demo-practice.example"
ALEX = "alex@demo-practice.example"
OLIVIA = "admin@demo-practice.example"
BEA = "bea@demo-practice.example"
KIM = "kim@demo-practice.example"


def tag() -> str:
    """A fragment that makes this test's names its own."""
    return uuid.uuid4().hex[:8]


@dataclass(frozen=True)
class Work:
    client_id: int
    client_name: str
    filing_id: int
    period: str
    steps: dict[str, int] = field(default_factory=dict)  # title -> id


@contextmanager
def live_session(app: LiveApp) -> Iterator[Session]:
    """A session on the live app's database (documents land in its data directory)."""
    with live_settings(app), Session(engine_for(app.database_url)) as session:
        yield session


def user(session: Session, email: str) -> User:
    return session.exec(select(User).where(User.email == email)).one()


def make_work(
    app: LiveApp,
    *,
    steps: dict[str, str | None] | None = None,
    kind: str = "GST/HST",
    period: str | None = None,
    client_name: str | None = None,
    checklist: dict[str, tuple[str, ...]] | None = None,
) -> Work:
    """A client of the demo firm with one active filing and its steps (title -> assignee
    email or None), committed before any browser opens it."""
    mark = tag()
    with live_session(app) as session:
        firm = session.exec(select(Firm).where(Firm.name == DEMO_FIRM)).one()
        client = make_client(session, firm, client_name or f"Race Client {mark}")
        filing = make_filing(session, client, kind=kind, period=period or f"Q1 {mark}")
        made = {}
        for title, email in (steps or {}).items():
            made[title] = make_step(
                session,
                filing,
                user(session, email) if email else None,
                title=title,
                checklist=(checklist or {}).get(title, ()),
            ).id
        session.commit()
        return Work(client.id, client.name, filing.id, filing.period, made)


def act(app: LiveApp, email: str, fn: Callable[..., Any], /, **kwargs: Any) -> Any:
    """Run one service call as a demo person, committed, as a page of theirs would."""
    with live_session(app) as session:
        result = fn(session=session, actor=actor_for(user(session, email)), **kwargs)
        session.commit()
        return result


def scalar(app: LiveApp, sql: str, **params: Any) -> Any:
    """One value read with plain SQL: an oracle independent of the services."""
    with engine_for(app.database_url).connect() as conn:
        return conn.execute(text(sql), params).scalar()


def name_of(app: LiveApp, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    return scalar(app, "SELECT name FROM user_account WHERE id = :id", id=user_id)
