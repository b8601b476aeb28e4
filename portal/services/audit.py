"""Writing to and reading the audit log."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from models import AuditEvent, utcnow
from portal.auth import Actor


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
        actor_label=actor_label[:254],
        action=action[:60],
        outcome=outcome,
        target_type=target_type,
        target_id=target_id,
        client_id=client_id,
        detail=detail[:1000],
        ip=ip[:64],
        at=at or utcnow(),
    )
    session.add(event)
    return event
