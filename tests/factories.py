"""Rows for tests, built straight on the models so each test states only what it needs."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from functools import lru_cache

from sqlmodel import Session

from models import (
    ChecklistItem,
    Client,
    Filing,
    FilingStatus,
    Firm,
    LoginSession,
    Step,
    StepStatus,
    User,
    UserRole,
    utcnow,
)
from portal.auth import Actor, hash_password

PASSWORD = "correct horse battery"
_serial = itertools.count(1)


@lru_cache(maxsize=8)
def password_hash(password: str = PASSWORD) -> str:
    """bcrypt at cost 12 is slow on purpose; each test password is hashed once per run."""
    return hash_password(password)


def make_firm(session: Session, name: str | None = None, **fields) -> Firm:
    fields.setdefault("filing_steps_enabled", True)
    fields.setdefault("portal_enabled", True)
    # New firms require a second factor of admins and staff; tests of the policy turn it on.
    for switch in ("mfa_admins", "mfa_staff", "mfa_bookkeepers"):
        fields.setdefault(switch, False)
    firm = Firm(name=name or f"Firm {next(_serial)}", **fields)
    session.add(firm)
    session.flush()
    return firm


def make_user(
    session: Session,
    firm: Firm,
    role: UserRole | str = UserRole.STAFF,
    *,
    email: str | None = None,
    name: str | None = None,
    password: str = PASSWORD,
    **fields,
) -> User:
    n = next(_serial)
    user = User(
        firm_id=firm.id,
        email=email or f"{role}{n}@firm{firm.id}.example",
        name=name or f"{str(role).title()} {n}",
        role=str(role),
        password_hash=password_hash(password),
        **fields,
    )
    session.add(user)
    session.flush()
    return user


def make_client(session: Session, firm: Firm, name: str | None = None, **fields) -> Client:
    client = Client(firm_id=firm.id, name=name or f"Client {next(_serial)}", **fields)
    session.add(client)
    session.flush()
    return client


def make_filing(
    session: Session,
    client: Client,
    *,
    status: FilingStatus | str = FilingStatus.OPEN,
    kind: str = "GST/HST",
    period: str = "Q1 2026",
    due_in: int = 10,
    **fields,
) -> Filing:
    filing = Filing(
        firm_id=client.firm_id,
        client_id=client.id,
        kind=kind,
        period=period,
        due_date=date.today() + timedelta(days=due_in),
        status=str(status),
        **fields,
    )
    session.add(filing)
    session.flush()
    return filing


def make_step(
    session: Session,
    filing: Filing,
    assignee: User | None = None,
    *,
    title: str | None = None,
    due_in: int | None = 5,
    status: StepStatus | str = StepStatus.TODO,
    checklist: tuple[str, ...] = (),
    **fields,
) -> Step:
    step = Step(
        firm_id=filing.firm_id,
        filing_id=filing.id,
        title=title or f"Step {next(_serial)}",
        assignee_id=assignee.id if assignee else None,
        due_date=None if due_in is None else date.today() + timedelta(days=due_in),
        status=str(status),
        **fields,
    )
    session.add(step)
    session.flush()
    for position, label in enumerate(checklist):
        session.add(
            ChecklistItem(firm_id=step.firm_id, step_id=step.id, label=label, position=position)
        )
    session.flush()
    return step


def make_login(session: Session, user: User) -> LoginSession:
    now = utcnow()
    login = LoginSession(
        user_id=user.id,
        token_hash=f"{next(_serial):064d}",
        last_seen_at=now,
        expires_at=now + timedelta(hours=12),
    )
    session.add(login)
    session.flush()
    return login


def actor_for(user: User, login: LoginSession | None = None, *, firm: Firm | None = None) -> Actor:
    return Actor(
        user_id=user.id,
        firm_id=user.firm_id,
        role=user.role,
        name=user.name,
        email=user.email,
        session_id=login.id if login else 0,
        must_change_password=user.must_change_password,
        firm_name=firm.name if firm else "",
    )


def open_session(session: Session, user: User, *, now=None) -> str:
    """Sign in for real and redeem the handoff code, as the browser does: the cookie token."""
    from portal.services import sessions, signin

    now = now or utcnow()
    result = signin.sign_in(
        session=session, email=user.email, password=PASSWORD, ip="127.0.0.1", now=now
    )
    assert result.ok, result.message
    token = sessions.redeem_handoff(session=session, code=result.handoff_code, now=now)
    session.commit()
    assert token
    return token
