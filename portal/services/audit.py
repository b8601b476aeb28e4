"""Writing to and reading the audit log."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from models import AuditEvent, Client, User, utcnow
from portal import text
from portal.auth import Actor
from portal.db import reads_only
from portal.services import display, scope


def record(
    *,
    session: Session,
    action: str,
    actor: Actor | None = None,
    firm_id: int | None = None,
    actor_id: int | None = None,
    actor_label: str = "",
    outcome: str = "ok",
    target_type: str = "",
    target_id: int | None = None,
    client_id: int | None = None,
    detail: str = "",
    ip: str = "",
    at: datetime | None = None,
) -> AuditEvent:
    """Add one audit row to the caller's transaction, so it commits or rolls back with it."""
    if actor is not None:
        firm_id = firm_id if firm_id is not None else actor.firm_id
        actor_id = actor.user_id
        actor_label = actor_label or actor.email
        ip = ip or actor.ip
    event = AuditEvent(
        firm_id=firm_id,
        actor_id=actor_id,
        actor_label=text.escaped(actor_label)[:254],
        action=action[:60],
        outcome=outcome,
        target_type=target_type,
        target_id=target_id,
        client_id=client_id,
        # Refusals quote what a request named (an event, a path): an attacker's text, which
        # must still be written, or a forged request could keep itself out of the log.
        detail=text.escaped(detail)[:1000],
        ip=text.escaped(ip)[:64],
        at=at or utcnow(),
    )
    session.add(event)
    return event


def record_refusal(*, session: Session, **fields: Any) -> None:
    """Record a refusal, folded: the same refusal of the same actor (signed out: the same
    address) within the same minute adds one to a single row's count instead of adding a row.
    `fields` are `refusal_row`'s.

    What folds together is the action, the kind of target and `fold_on` (the detail unless
    told otherwise); the row keeps the first occurrence's detail and target. The write is one
    INSERT .. ON CONFLICT DO UPDATE on the row's fold key, atomic on SQLite and PostgreSQL,
    so concurrent workers and threads add up without losing a count or doubling a row.
    """
    write_refusal(session, refusal_row(**fields))


def refusal_row(
    *,
    actor: Actor | None,
    detail: str,
    action: str = "refused",
    target_type: str = "",
    target_id: int | None = None,
    ip: str = "",
    fold_on: str | None = None,
    at: datetime | None = None,
) -> dict:
    """The row a refusal is recorded as, with the fold key it shares with its repeats."""
    at = at or utcnow()
    firm_id = actor.firm_id if actor is not None else None
    ip = text.escaped(ip or (actor.ip if actor is not None else ""))[:64]
    detail = text.escaped(detail)[:1000]
    who = f"user {actor.user_id}" if actor is not None else f"address {ip}"
    fold_key = hashlib.sha256(
        "\x1f".join(
            (
                action,
                str(firm_id),
                who,
                target_type,
                detail if fold_on is None else text.escaped(fold_on)[:1000],
                at.strftime("%Y-%m-%dT%H:%M"),
            )
        ).encode()
    ).hexdigest()
    return {
        "firm_id": firm_id,
        "at": at,
        "actor_id": actor.user_id if actor is not None else None,
        "actor_label": text.escaped(actor.email if actor is not None else "signed out")[:254],
        "action": action[:60],
        "outcome": "refused",
        "target_type": target_type[:30],
        "target_id": target_id,
        "client_id": None,
        "detail": detail,
        "ip": ip,
        "count": 1,
        "fold_key": fold_key,
    }


def write_refusal(session: Session, values: dict) -> None:
    statement = _fold_statement(session.get_bind().dialect.name)
    if statement is None:  # pragma: no cover - only SQLite and PostgreSQL are supported
        session.add(AuditEvent(**values))
        return
    session.exec(statement, params=values)


def add_repeats(session: Session, repeats: dict[str, int]) -> None:
    """Add counted repeats to the rows they fold into, in one executemany."""
    session.exec(_ADD_REPEATS, params=[{"key": key, "n": n} for key, n in repeats.items()])


_FOLD_STATEMENTS: dict[str, object] = {}


def _fold_statement(dialect: str):
    """INSERT .. ON CONFLICT (fold_key) DO UPDATE SET count = count + 1, built once."""
    if dialect not in _FOLD_STATEMENTS:
        insert = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}.get(dialect)
        if insert is None:
            return None
        table = AuditEvent.__table__
        columns = [c.name for c in table.columns if c.name != "id"]
        _FOLD_STATEMENTS[dialect] = (
            insert(table)
            .values({name: bindparam(name) for name in columns})
            .on_conflict_do_update(
                index_elements=[table.c.fold_key], set_={"count": table.c["count"] + 1}
            )
        )
    return _FOLD_STATEMENTS[dialect]


_ADD_REPEATS = (
    AuditEvent.__table__.update()
    .where(AuditEvent.__table__.c.fold_key == bindparam("key"))
    .values(count=AuditEvent.__table__.c["count"] + bindparam("n"))
)

PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditRow:
    id: int = 0
    at_label: str = ""
    who: str = ""
    action: str = ""
    outcome: str = ""
    target: str = ""
    client_name: str = ""
    detail: str = ""
    ip: str = ""
    # How many times it happened: above 1 for repeated refusals folded into one row.
    count: int = 1
    # "Refused", "Refused ×37" or "OK", as the page shows it.  # noqa: RUF003
    outcome_label: str = ""


@dataclass(frozen=True)
class FilterOption:
    id: int = 0
    label: str = ""


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow] = field(default_factory=list)
    total: int = 0
    page: int = 1
    pages: int = 1
    people: list[FilterOption] = field(default_factory=list)
    clients: list[FilterOption] = field(default_factory=list)


def outcome_label(outcome: str, count: int) -> str:
    label = "Refused" if outcome == "refused" else "OK"
    return f"{label} \u00d7{count}" if count > 1 else label


@reads_only
def list_events(
    *,
    session: Session,
    actor: Actor,
    person_id: int | None = None,
    client_id: int | None = None,
    page: int = 1,
) -> AuditPage:
    """The firm's audit log, newest first, filtered by person and by client. Admins only."""
    scope.require_admin(actor)
    conditions = [AuditEvent.firm_id == actor.firm_id]
    if person_id:
        conditions.append(AuditEvent.actor_id == person_id)
    if client_id:
        conditions.append(AuditEvent.client_id == client_id)
    total = session.exec(select(func.count()).select_from(AuditEvent).where(*conditions)).one()
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(max(1, page), pages)
    events = session.exec(
        select(AuditEvent)
        .where(*conditions)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    people = session.exec(
        select(User).where(User.firm_id == actor.firm_id).order_by(User.name)
    ).all()
    names = {u.id: u.name for u in people}
    client_rows = session.exec(
        select(Client.id, Client.name).where(Client.firm_id == actor.firm_id).order_by(Client.name)
    ).all()
    client_names = dict(client_rows)
    return AuditPage(
        rows=[
            AuditRow(
                id=e.id,
                at_label=display.moment(e.at),
                who=names.get(e.actor_id, e.actor_label or "signed out"),
                action=e.action.replace("_", " "),
                outcome=e.outcome,
                target=f"{e.target_type} {e.target_id}" if e.target_id else e.target_type,
                client_name=client_names.get(e.client_id, ""),
                detail=e.detail,
                ip=e.ip,
                count=e.count,
                outcome_label=outcome_label(e.outcome, e.count),
            )
            for e in events
        ],
        total=total,
        page=page,
        pages=pages,
        people=[
            # Archived logins stay: the log keeps what they did, and their names resolve.
            FilterOption(
                id=u.id,
                label=f"{u.name} ({display.ROLE_LABELS.get(u.role, u.role)}"
                + (", archived)" if u.archived_at is not None else ")"),
            )
            for u in people
        ],
        clients=[FilterOption(id=cid, label=name) for cid, name in client_rows],
    )
