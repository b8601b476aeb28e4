"""Writing to and reading the audit log."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from models import AuditEvent, Client, User, utcnow
from portal import text
from portal.auth import Actor
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
            )
            for e in events
        ],
        total=total,
        page=page,
        pages=pages,
        people=[
            FilterOption(id=u.id, label=f"{u.name} ({display.ROLE_LABELS.get(u.role, u.role)})")
            for u in people
        ],
        clients=[FilterOption(id=cid, label=name) for cid, name in client_rows],
    )
