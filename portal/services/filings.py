"""Filings and their lifecycle: active, then filed or cancelled, and reopened again.

Filing or cancelling ends every bookkeeper's access that came through the filing's steps;
reopening brings it back. Nothing has to be granted or revoked: the scope rule reads the
filing's status. Each change is audited as one that grants or ends access.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, update
from sqlmodel import Session, select

from models import ACTIVE_FILING_STATUSES, Client, Filing, FilingStatus, User, utcnow
from portal import routes
from portal.auth import Actor
from portal.services import (
    access_changes,
    audit,
    clients,
    display,
    inputs,
    live,
    people,
    scope,
    versioned,
)
from portal.services.errors import Conflict, Invalid, NotFound
from portal.services.statements import built

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


_LOAD = built(lambda rule: select(Filing).where(Filing.id == bindparam("filing_id"), rule))


def load(session: Session, actor: Actor, filing_id: int) -> Filing:
    filing = session.exec(_LOAD(visible(actor)), params={"filing_id": filing_id}).first()
    if filing is None:
        raise NotFound
    return filing


def _changing(session: Session, actor: Actor, filing_id: int) -> Filing:
    """A filing loaded to change it: the pages showing it, or its client, load again once
    the change has committed."""
    filing = load(session, actor, filing_id)
    live.changed(session, filing_id=filing.id, client_id=filing.client_id)
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
        updated_by_id=actor.user_id,
    )
    session.add(filing)
    session.flush()
    live.changed(session, client_id=client.id)
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


FIELD_LABELS = {"kind": "Kind", "period": "Period", "due_date": "Due date"}


def edit_values(header: FilingHeader) -> dict[str, str]:
    """What a filing editor shows: the "seen" side of a later save."""
    return {"kind": header.kind, "period": header.period, "due_date": header.due_iso}


def update_filing(
    *,
    session: Session,
    actor: Actor,
    filing_id: int,
    kind: object,
    period: object,
    due_date: object,
    seen: Mapping[str, object],
) -> None:
    """Save the details the person changed, over what they saw (see versioned)."""
    scope.require_staff(actor)
    filing = _changing(session, actor, filing_id)
    wanted = {
        "kind": parse_kind(kind),
        "period": inputs.line(period, label="Period", max_length=60, required=True),
        "due_date": inputs.optional_date(due_date),
    }
    changed = versioned.save_changes(
        session,
        Filing,
        filing.id,
        actor=actor,
        seen={
            "kind": str(seen.get("kind") or ""),
            "period": str(seen.get("period") or ""),
            "due_date": versioned.seen_date(seen.get("due_date")),
        },
        wanted=wanted,
        labels=FIELD_LABELS,
        what="this filing",
    )
    if changed:
        audit.record(
            session=session,
            actor=actor,
            action="filing_updated",
            target_type="filing",
            target_id=filing.id,
            client_id=filing.client_id,
            detail=", ".join(FIELD_LABELS[name] for name in changed),
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
# What the access ledger gives as the cause of the access a status change grants or ends.
_CAUSES = {"file": "filing.filed", "cancel": "filing.cancelled", "reopen": "filing.reopened"}
_REFUSALS = {
    "file": "Only an active filing can be filed; this one is {status}.",
    "cancel": "Only an active filing can be cancelled; this one is {status}.",
    "reopen": "This filing is already active; only a filed or cancelled filing can be reopened.",
}


_DONE = {
    FilingStatus.FILED.value: "marked this filing as filed",
    FilingStatus.CANCELLED.value: "cancelled this filing",
    FilingStatus.OPEN.value: "reopened this filing",
    FilingStatus.IN_REVIEW.value: "sent this filing for review",
}


def change_status(
    *,
    session: Session,
    actor: Actor,
    filing_id: int,
    action: str,
    expected: str | None = None,
) -> FilingHeader:
    """File, cancel or reopen, from the status the person saw (`expected`). The check and
    the change are one UPDATE, so two people acting at once cannot both succeed from a stale
    page, and the one who loses is told who got there first."""
    scope.require_staff(actor)
    if action not in _TRANSITIONS:
        raise Invalid("Unknown filing action.")
    from portal.services import review

    filing = _changing(session, actor, filing_id)
    allowed_from, target, audit_action = _TRANSITIONS[action]
    conditions = [Filing.id == filing.id, Filing.status.in_(allowed_from)]
    if expected is not None:
        conditions.append(Filing.status == str(expected))
    if action == "file":
        # Review first: a filing naming a reviewer or approver is filed only once signed
        # off (or approved, when no approver is named). Checked in the same UPDATE.
        conditions.append(review.fileable_condition())
    # A reopened filing starts review again: whatever was approved was before the reopening.
    restart = review.RESTART if target == FilingStatus.OPEN else {}
    now = utcnow()
    with access_changes.tracking(
        session,
        actor=actor,
        cause=_CAUSES[action],
        firm_id=filing.firm_id,
        client_ids=[filing.client_id],
    ):
        result = session.execute(
            update(Filing)
            .where(*conditions)
            .values(
                status=target.value,
                closed_at=None if target == FilingStatus.OPEN else now,
                updated_at=now,
                updated_by_id=actor.user_id,
                version=Filing.version + 1,
                **restart,
            )
        )
    session.refresh(filing)
    if result.rowcount != 1:
        if (
            action == "file"
            and filing.status in ACTIVE_FILING_STATUSES
            and (expected is None or filing.status == expected)
            and not review.fileable(filing)
        ):
            raise Invalid(review.why_not_fileable(session, filing))
        if expected is not None and filing.status != expected:
            raise Conflict(
                f"{versioned.changed_by(session, filing)} "
                f"{_DONE.get(filing.status, 'changed this filing')} "
                f"{versioned.changed_when(filing)}, so nothing was changed. The page now shows "
                "it as it is.",
                fields=("status",),
            )
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
    review.lifecycle_event(session, actor, filing, action)
    if action == "file":
        # A recurring filing's next one, when the firm makes it on filing (never twice).
        from portal.services import recurrence

        recurrence.after_filed(session=session, actor=actor, filing=filing)
    return header(session, filing, actor)


_UNCHECKED = object()


def set_reviewer(
    *,
    session: Session,
    actor: Actor,
    filing_id: int,
    user_id: int | None,
    role: str,
    expected: int | object | None = _UNCHECKED,
) -> str:
    """Reviewer or approver: staff only, never a bookkeeper, whatever the request says. Set
    over the person the page showed (`expected`), so two people picking at once cannot
    both believe they won. On a filing in review, the review starts again with the people
    named now (an approval is cleared); what that did, in words, is returned."""
    from portal.services import review

    scope.require_staff(actor)
    if role not in ("reviewer", "approver"):
        raise Invalid("Unknown role on a filing.")
    filing = _changing(session, actor, filing_id)
    person = people.reviewer(session, actor, user_id) if user_id else None
    column = f"{role}_id"
    seen = getattr(filing, column) if expected is _UNCHECKED else expected
    changed = versioned.save_changes(
        session,
        Filing,
        filing.id,
        actor=actor,
        seen={column: seen},
        wanted={column: person.id if person else None},
        labels={column: role.title()},
        what="this filing",
        show=lambda _name, value: people.name_of(session, actor, value),
        picked=True,
    )
    if changed:
        audit.record(
            session=session,
            actor=actor,
            action=f"{role}_set",
            target_type="filing",
            target_id=filing.id,
            client_id=filing.client_id,
            detail=person.name if person else "none",
        )
        return review.people_changed(session, actor, filing.id, role)
    return ""
