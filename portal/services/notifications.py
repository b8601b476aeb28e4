"""Telling people about their work: the in-app list behind the header's counter, each
person's email switches, and what an assignment leaves for both.

An in-app notification stores who and which step, never words: its line is composed when it
is listed, through the My Tasks query (and so the access rule), so a task that has left the
person's reach is listed without its title or client, and without a link.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, func, update
from sqlmodel import Session, select

from models import Notification, NotificationKind, User, utcnow
from portal.auth import Actor
from portal.db import reads_only
from portal.services import audit, display, mail_queue, tasks

LATEST_SHOWN = 5
GONE = "A task assigned to you is no longer yours to open."


def step_assigned(session: Session, *, actor: Actor, step_id: int, assignee_id: int) -> None:
    """In the assignment's transaction: a line for the assignee's list and, if they want
    assignment emails, a queued mail (composed and sent after commit). Nobody is told about
    a step they assigned to themselves."""
    if assignee_id == actor.user_id:
        return
    person = session.get(User, assignee_id)
    session.add(
        Notification(
            firm_id=person.firm_id,
            user_id=person.id,
            kind=NotificationKind.ASSIGNED.value,
            step_id=step_id,
            actor_id=actor.user_id,
        )
    )
    if person.email_assignments:
        mail_queue.queue_assignment(
            session, firm_id=person.firm_id, user_id=person.id, step_id=step_id
        )


def step_returned(session: Session, *, actor: Actor, step_id: int, assignee_id: int) -> None:
    """In the return's transaction: a line for the assignee of a step a reviewer reopened
    (in the app only; the step is already theirs). Nobody is told about their own return."""
    if assignee_id == actor.user_id:
        return
    person = session.get(User, assignee_id)
    session.add(
        Notification(
            firm_id=person.firm_id,
            user_id=person.id,
            kind=NotificationKind.RETURNED.value,
            step_id=step_id,
            actor_id=actor.user_id,
        )
    )


# What each kind of line says before the task's title.
_SAYS = {
    NotificationKind.ASSIGNED.value: "Assigned to you: ",
    NotificationKind.RETURNED.value: "Reopened in review: ",
}

# Runs on every page the person opens: one range of ix_notification_user_read_at.
_UNREAD = (
    select(func.count())
    .select_from(Notification)
    .where(Notification.user_id == bindparam("me"), Notification.read_at.is_(None))
)
_LATEST = (
    select(
        Notification.id,
        Notification.step_id,
        Notification.kind,
        Notification.created_at,
        Notification.read_at,
    )
    .where(Notification.user_id == bindparam("me"))
    .order_by(Notification.created_at.desc(), Notification.id.desc())
    .limit(LATEST_SHOWN)
)


@reads_only
def unread_count(*, session: Session, actor: Actor) -> int:
    return session.execute(_UNREAD, {"me": actor.user_id}).scalar_one()


@dataclass(frozen=True)
class NotificationLine:
    id: int = 0
    text: str = ""
    detail: str = ""
    url: str = ""
    at_label: str = ""
    unread: bool = False


@reads_only
def latest(*, session: Session, actor: Actor, today: date | None = None) -> list[NotificationLine]:
    """The person's latest few, each named only if the task is on their My Tasks now."""
    rows = session.execute(_LATEST, {"me": actor.user_id}).all()
    open_now = tasks.these_tasks(
        session, actor, [r.step_id for r in rows], today=today or date.today()
    )
    lines = []
    for row in rows:
        task = open_now.get(row.step_id)
        lines.append(
            NotificationLine(
                id=row.id,
                text=f"{_SAYS.get(row.kind, _SAYS['step.assigned'])}{task.title}" if task else GONE,
                detail=f"{task.client_name} · {task.filing_title} · {task.due_label}"
                if task
                else "",
                url=task.url if task else "",
                at_label=display.moment(row.created_at),
                unread=row.read_at is None,
            )
        )
    return lines


def mark_all_read(*, session: Session, actor: Actor) -> int:
    return session.execute(
        update(Notification)
        .where(Notification.user_id == actor.user_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    ).rowcount


@dataclass(frozen=True)
class EmailChoices:
    assignments: bool = True
    digest: bool = True


@reads_only
def email_choices(*, session: Session, actor: Actor) -> EmailChoices:
    person = session.get(User, actor.user_id)
    return EmailChoices(assignments=person.email_assignments, digest=person.email_digest)


def set_email_choices(
    *, session: Session, actor: Actor, assignments: bool, digest: bool
) -> EmailChoices:
    """A person's own switches; mail already queued is checked against them when sent."""
    person = session.get(User, actor.user_id)
    wanted = (bool(assignments), bool(digest))
    if (person.email_assignments, person.email_digest) != wanted:
        person.email_assignments, person.email_digest = wanted
        session.add(person)
        audit.record(
            session=session,
            actor=actor,
            action="notification_settings_changed",
            target_type="user",
            target_id=person.id,
            detail=f"assignment emails {'on' if wanted[0] else 'off'}, "
            f"morning digest {'on' if wanted[1] else 'off'}",
        )
    return EmailChoices(*wanted)
