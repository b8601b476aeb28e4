"""Filings and their lifecycle: active, then filed or cancelled, and reopened again.

Filing or cancelling ends every bookkeeper's access that came through the filing's steps;
reopening brings it back. Nothing has to be granted or revoked: the scope rule reads the
filing's status. Each change is audited as one that grants or ends access.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import update
from sqlmodel import Session, select

from models import ACTIVE_FILING_STATUSES, Client, Filing, FilingStatus, User, utcnow
from portal import routes
from portal.auth import Actor
from portal.services import audit, clients, display, inputs, people, scope
from portal.services.errors import Invalid, NotFound

FILING_KINDS = (
    "GST/HST",
    "Payroll",
    "Bookkeeping",
    "T1",
    "T2",
    "T3",
    "T4/T4A",
    "T5",
    "Year-end",
    "Other",
)


@dataclass(frozen=True)
class FilingHeader:
    id: int = 0
    client_id: int = 0
    client_name: str = ""
    client_url: str = ""
    kind: str = ""
    period: str = ""
    title: str = ""
    heading: str = ""
    due_iso: str = ""
    due_label: str = ""
    status: str = ""
    status_label: str = ""
    is_active: bool = False
    reviewer_id: int = 0
    reviewer_name: str = ""
    approver_id: int = 0
    approver_name: str = ""


def visible(actor: Actor):
    return scope.client_id_visible(actor, Filing.client_id, Filing.firm_id)


def load(session: Session, actor: Actor, filing_id: int) -> Filing:
    filing = session.exec(select(Filing).where(Filing.id == filing_id, visible(actor))).first()
    if filing is None:
        raise NotFound
    return filing


def header(
    session: Session, filing: Filing, actor: Actor, today: date | None = None
) -> FilingHeader:
    """The filing as a page shows it. Reviewer and approver are staff matters: a bookkeeper's
    copy leaves them out."""
    today = today or date.today()
    client = session.get(Client, filing.client_id)
    names = {}
    if scope.is_staff(actor):
        names = {
            u.id: u.name
            for u in session.exec(
                select(User).where(User.id.in_([filing.reviewer_id or 0, filing.approver_id or 0]))
            )
        }
    title = display.filing_title(filing.kind, filing.period)
    return FilingHeader(
        id=filing.id,
        client_id=client.id,
        client_name=client.name,
        client_url=routes.client(client.id),
        kind=filing.kind,
        period=filing.period,
        title=title,
        heading=f"{client.name} · {title}",
        due_iso=filing.due_date.isoformat() if filing.due_date else "",
        due_label=display.day(filing.due_date),
        status=filing.status,
        status_label=display.FILING_STATUS_LABELS.get(filing.status, filing.status),
        is_active=filing.status in ACTIVE_FILING_STATUSES,
        reviewer_id=(filing.reviewer_id or 0) if names else 0,
        reviewer_name=names.get(filing.reviewer_id, ""),
        approver_id=(filing.approver_id or 0) if names else 0,
        approver_name=names.get(filing.approver_id, ""),
    )


def get_filing(*, session: Session, actor: Actor, filing_id: int) -> FilingHeader:
    return header(session, load(session, actor, filing_id), actor)


def parse_kind(value: object) -> str:
    kind = inputs.line(value, label="Kind", max_length=40, required=True)
    if kind not in FILING_KINDS:
        raise Invalid(f"Choose the kind of filing from the list ({', '.join(FILING_KINDS)}).")
    return kind


def create_filing(
    *,
    session: Session,
    actor: Actor,
    client_id: int,
    kind: object,
    period: object,
    due_date: object,
) -> int:
    scope.require_staff(actor)
    client = clients.load(session, actor, client_id)
    filing = Filing(
        firm_id=client.firm_id,
        client_id=client.id,
        kind=parse_kind(kind),
        period=inputs.line(period, label="Period", max_length=60, required=True),
        due_date=inputs.optional_date(due_date),
        status=FilingStatus.OPEN,
    )
    session.add(filing)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="filing_created",
        target_type="filing",
        target_id=filing.id,
        client_id=client.id,
        detail=display.filing_title(filing.kind, filing.period),
    )
    return filing.id


def update_filing(
    *,
    session: Session,
    actor: Actor,
    filing_id: int,
    kind: object,
    period: object,
    due_date: object,
) -> None:
    scope.require_staff(actor)
    filing = load(session, actor, filing_id)
    filing.kind = parse_kind(kind)
    filing.period = inputs.line(period, label="Period", max_length=60, required=True)
    filing.due_date = inputs.optional_date(due_date)
    filing.updated_at = utcnow()
    filing.version += 1
    session.add(filing)
    audit.record(
        session=session,
        actor=actor,
        action="filing_updated",
        target_type="filing",
        target_id=filing.id,
        client_id=filing.client_id,
    )


_TRANSITIONS = {
    "file": (ACTIVE_FILING_STATUSES, FilingStatus.FILED, "filing_filed"),
    "cancel": (ACTIVE_FILING_STATUSES, FilingStatus.CANCELLED, "filing_cancelled"),
    "reopen": (
        (FilingStatus.FILED.value, FilingStatus.CANCELLED.value),
        FilingStatus.OPEN,
        "filing_reopened",
    ),
}
_REFUSALS = {
    "file": "Only an active filing can be filed; this one is {status}.",
    "cancel": "Only an active filing can be cancelled; this one is {status}.",
    "reopen": "This filing is already active; only a filed or cancelled filing can be reopened.",
}


def change_status(*, session: Session, actor: Actor, filing_id: int, action: str) -> FilingHeader:
    """File, cancel or reopen. The status check and the change are one UPDATE, so two people
    acting at once cannot both succeed from a stale page."""
    scope.require_staff(actor)
    if action not in _TRANSITIONS:
        raise Invalid("Unknown filing action.")
    filing = load(session, actor, filing_id)
    allowed_from, target, audit_action = _TRANSITIONS[action]
    now = utcnow()
    result = session.execute(
        update(Filing)
        .where(Filing.id == filing.id, Filing.status.in_(allowed_from))
        .values(
            status=target.value,
            closed_at=None if target == FilingStatus.OPEN else now,
            updated_at=now,
            version=Filing.version + 1,
        )
    )
    session.refresh(filing)
    if result.rowcount != 1:
        label = display.FILING_STATUS_LABELS.get(filing.status, filing.status).lower()
        raise Invalid(_REFUSALS[action].format(status=label))
    audit.record(
        session=session,
        actor=actor,
        action=audit_action,
        target_type="filing",
        target_id=filing.id,
        client_id=filing.client_id,
        detail=display.filing_title(filing.kind, filing.period),
    )
    return header(session, filing, actor)


def set_reviewer(
    *, session: Session, actor: Actor, filing_id: int, user_id: int | None, role: str
) -> None:
    """Reviewer or approver: staff only, never a bookkeeper, whatever the request says."""
    scope.require_staff(actor)
    if role not in ("reviewer", "approver"):
        raise Invalid("Unknown role on a filing.")
    filing = load(session, actor, filing_id)
    person = people.reviewer(session, actor, user_id) if user_id else None
    setattr(filing, f"{role}_id", person.id if person else None)
    filing.updated_at = utcnow()
    filing.version += 1
    session.add(filing)
    audit.record(
        session=session,
        actor=actor,
        action=f"{role}_set",
        target_type="filing",
        target_id=filing.id,
        client_id=filing.client_id,
        detail=person.name if person else "none",
    )
