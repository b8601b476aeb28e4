"""The mail queue: what the portal emails people about their work, sent after the fact.

An action that should cause a mail (an assignment) only adds a row here, in its own
transaction (a transactional outbox). Nothing is composed or sent inside that transaction, so
a mail server that is slow or down never holds up or undoes the action, and a mail is never
sent for an action that rolled back. A sender (portal/mail_sender.py: a thread in every
worker, woken after the commit and passing every half minute anyway) then, for each row:

1. claims it with one conditional UPDATE, so two senders (two workers, two machines) never
   both send it: on PostgreSQL the second UPDATE waits for the first's row lock and then
   finds the row no longer pending; SQLite has one writer at a time;
2. composes the message from what the person may open *at that moment*
   (portal/services/mail_content.py, through the My Tasks query and so the access rule): a
   step reassigned or a filing closed in the meantime means no mail at all, marked skipped
   with the reason, never a mail naming a client its reader can no longer open;
3. sends it outside any transaction, and records the outcome: sent; or failed with the
   server's words and tried again after 1 minute, 5, 30 and 2 hours, then left failed for an
   admin to retry (their settings page lists what waits or failed).

A sender that dies between claiming and finishing leaves its row "sending"; after LEASE it
is claimed again. That one case can send a mail twice; losing it would be worse.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, exists, literal, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from models import (
    Firm,
    MailKind,
    MailStatus,
    QueuedMail,
    Step,
    StepStatus,
    User,
    utcnow,
)
from portal.auth import Actor
from portal.db import after_commit, reading, reads_only, unit_of_work
from portal.mail import Mailer, MailError, get_mailer
from portal.services import audit, display, firm_time, links, scope
from portal.services.errors import Invalid, NotFound
from portal.services.mail_content import DIGEST_DAYS, DIGEST_HOUR, compose

log = logging.getLogger("portal.mail_queue")

# After the first failed try, the next waits this long; after the last, the mail is failed.
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# A claim older than this belongs to a sender that died mid-send: the row is claimed again.
LEASE = timedelta(minutes=10)

# Mails that carry an invitation or reset link (portal/services/links.py).
LINK_KINDS = frozenset({MailKind.INVITE.value, MailKind.RESET.value})

_WAKE = threading.Event()


def wake() -> None:
    """Ask this worker's sender to pass now (after a commit that queued a mail)."""
    _WAKE.set()


def wait_for_wake(timeout: float) -> None:
    """The sender's pause between passes: until woken, or `timeout` seconds."""
    _WAKE.wait(timeout)
    _WAKE.clear()


def queue_assignment(session: Session, *, firm_id: int, user_id: int, step_id: int) -> None:
    """In the assignment's transaction: one row, and a wake-up once it has committed. A step
    handed away and back before its first mail went out still makes one mail, not two."""
    waiting = session.exec(
        select(QueuedMail.id).where(
            QueuedMail.user_id == user_id,
            QueuedMail.step_id == step_id,
            QueuedMail.kind == MailKind.ASSIGNMENT.value,
            QueuedMail.status == MailStatus.PENDING.value,
            QueuedMail.attempts == 0,
        )
    ).first()
    if waiting is not None:
        return
    session.add(
        QueuedMail(
            firm_id=firm_id,
            user_id=user_id,
            kind=MailKind.ASSIGNMENT.value,
            step_id=step_id,
            status=MailStatus.PENDING.value,
        )
    )
    after_commit(session, wake)


# --- the morning digest ---------------------------------------------------------------------


def _insert(session: Session):
    return (postgresql if session.get_bind().dialect.name == "postgresql" else sqlite).insert


def queue_digests(*, now: datetime | None = None) -> int:
    """Queue today's digest for everyone whose firm's morning has begun and who has an open
    step due within DIGEST_DAYS (what exactly they may see is decided when it is sent). At
    most one per person and local date, however often and by however many senders this runs:
    the unique (user, date) key turns a second insert into nothing."""
    now = now or utcnow()
    queued = 0
    with unit_of_work() as session:
        firms = session.execute(
            select(Firm.id, Firm.time_zone).where(Firm.filing_steps_enabled.is_(True))
        ).all()
        by_date: dict[date, list[int]] = {}
        for firm_id, zone_name in firms:
            local = now.astimezone(firm_time.zone(zone_name))
            if local.hour >= DIGEST_HOUR:
                by_date.setdefault(local.date(), []).append(firm_id)
        for day, firm_ids in by_date.items():
            queued += _queue_digests_for(session, day, firm_ids, now)
    return queued


def _queue_digests_for(session: Session, day: date, firm_ids: list[int], now: datetime) -> int:
    something_due = exists(
        select(Step.id).where(
            Step.assignee_id == User.id,
            Step.status != StepStatus.DONE.value,
            Step.due_date <= day + timedelta(days=DIGEST_DAYS),
        )
    )
    already = exists(
        select(QueuedMail.id).where(QueuedMail.user_id == User.id, QueuedMail.digest_date == day)
    )
    people = select(
        User.firm_id,
        User.id,
        literal(MailKind.DIGEST.value),
        literal(day),
        literal(MailStatus.PENDING.value),
        literal(0),
        literal(now, QueuedMail.__table__.c.next_attempt_at.type),
        literal(""),
        literal(""),
        literal(""),
        literal(now, QueuedMail.__table__.c.created_at.type),
    ).where(
        User.firm_id.in_(firm_ids),
        User.is_active.is_(True),
        User.email_digest.is_(True),
        something_due,
        ~already,
    )
    columns = [
        "firm_id",
        "user_id",
        "kind",
        "digest_date",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "reason",
        "message_id",
        "created_at",
    ]
    statement = (
        _insert(session)(QueuedMail)
        .from_select(columns, people)
        .on_conflict_do_nothing(index_elements=["user_id", "digest_date"])
    )
    return session.execute(statement).rowcount or 0


# --- sending ----------------------------------------------------------------------------------


def _due(now: datetime):
    return or_(
        and_(QueuedMail.status == MailStatus.PENDING.value, QueuedMail.next_attempt_at <= now),
        and_(QueuedMail.status == MailStatus.SENDING.value, QueuedMail.claimed_at < now - LEASE),
    )


def deliver_due(
    *, now: datetime | None = None, mailer: Mailer | None = None, limit: int = 100
) -> int:
    """One pass: claim, compose and send every mail that is due. Returns how many went out."""
    now = now or utcnow()
    with reading() as session:
        ids = session.exec(
            select(QueuedMail.id)
            .where(_due(now))
            .order_by(QueuedMail.next_attempt_at, QueuedMail.id)
            .limit(limit)
        ).all()
    return sum(deliver(mail_id, now=now, mailer=mailer) for mail_id in ids)


def claim(mail_id: int, *, now: datetime) -> bool:
    """Take one mail for this sender, or learn that another sender has it (or it is done)."""
    with unit_of_work() as session:
        claimed = session.execute(
            update(QueuedMail)
            .where(QueuedMail.id == mail_id, _due(now))
            .values(
                status=MailStatus.SENDING.value,
                claimed_at=now,
                attempts=QueuedMail.attempts + 1,
            )
        ).rowcount
    return claimed == 1


def deliver(mail_id: int, *, now: datetime | None = None, mailer: Mailer | None = None) -> bool:
    """Claim, compose and send one mail, and record how it went. True when it went out."""
    now = now or utcnow()
    if not claim(mail_id, now=now):
        return False
    try:
        with reading() as session:
            mail = session.get(QueuedMail, mail_id)
            attempts = mail.attempts
            carries_link = mail.kind in LINK_KINDS
            if not carries_link:
                message, reason = compose(session, mail, now=now)
        if carries_link:
            # Its token is made now and only its hash kept: it exists only in this mail.
            message, reason = links.issue_token(mail_id, now=now)
    except Exception:
        # A bug or an outage while composing is a failed try like any other, retried later,
        # never a row left claimed until its lease runs out.
        log.exception("composing queued mail %s failed unexpectedly", mail_id)
        _failed(mail_id, _attempts(mail_id), "the message could not be put together.", now)
        return False
    if message is None:
        _finish(mail_id, status=MailStatus.SKIPPED, reason=reason)
        return False
    try:
        result = (mailer or get_mailer()).send(message)
    except MailError as exc:
        _failed(mail_id, attempts, str(exc), now)
        return False
    except Exception:
        log.exception("sending queued mail %s failed unexpectedly", mail_id)
        _failed(mail_id, attempts, "an unexpected error occurred while sending.", now)
        return False
    refused = ""
    if result.refused:
        refused = f"The mail server did not accept: {', '.join(result.refused)}"
    _finish(
        mail_id,
        status=MailStatus.SENT,
        sent_at=utcnow(),
        message_id=result.message_id[:300],
        last_error=refused[:500],
    )
    if carries_link:
        links.record_sent(mail_id, outbox=result.status == "outbox")
    return True


def _attempts(mail_id: int) -> int:
    with reading() as session:
        return session.get(QueuedMail, mail_id).attempts


def _finish(mail_id: int, *, status: MailStatus, **values) -> None:
    """Record the outcome, unless an admin's "retry now" already took the row back."""
    with unit_of_work() as session:
        session.execute(
            update(QueuedMail)
            .where(QueuedMail.id == mail_id, QueuedMail.status == MailStatus.SENDING.value)
            .values(status=status.value, claimed_at=None, **values)
        )


def _failed(mail_id: int, attempts: int, error: str, now: datetime) -> None:
    error = f"Not sent: {error}"[:500]
    if attempts < MAX_ATTEMPTS:
        _finish(
            mail_id,
            status=MailStatus.PENDING,
            last_error=error,
            next_attempt_at=now + RETRY_DELAYS[attempts - 1],
        )
        return
    _finish(mail_id, status=MailStatus.FAILED, last_error=error)
    with unit_of_work() as session:
        mail = session.get(QueuedMail, mail_id)
        audit.record(
            session=session,
            action="mail_failed",
            firm_id=mail.firm_id,
            outcome="failed",
            target_type="mail",
            target_id=mail.id,
            detail=f"{KIND_LABELS.get(mail.kind, mail.kind)} to user {mail.user_id} "
            f"after {attempts} tries: {error}",
        )


# --- what admins see -------------------------------------------------------------------------

KIND_LABELS = {
    MailKind.ASSIGNMENT.value: "Task assigned",
    MailKind.DIGEST.value: "Morning digest",
    MailKind.INVITE.value: "Invitation",
    MailKind.RESET.value: "Password reset link",
}
STATUS_LABELS = {
    MailStatus.PENDING.value: "Waiting",
    MailStatus.SENDING.value: "Sending",
    MailStatus.FAILED.value: "Failed",
}
OUTGOING_SHOWN = 50


@dataclass(frozen=True)
class OutgoingRow:
    id: int = 0
    recipient: str = ""
    kind_label: str = ""
    status: str = ""
    status_label: str = ""
    attempts: int = 0
    last_error: str = ""
    next_try: str = ""


@reads_only
def outgoing(*, session: Session, actor: Actor) -> list[OutgoingRow]:
    """Mail that has not gone out yet or failed for good, failed first: what an admin must
    know about. It names the person and the kind of mail, never what the mail would say."""
    scope.require_admin(actor)
    rows = session.execute(
        select(QueuedMail, User.name, User.email)
        .join(User, User.id == QueuedMail.user_id)
        .where(
            QueuedMail.firm_id == actor.firm_id,
            QueuedMail.status.in_(
                (MailStatus.FAILED.value, MailStatus.PENDING.value, MailStatus.SENDING.value)
            ),
        )
        .order_by(
            QueuedMail.status != MailStatus.FAILED.value,
            QueuedMail.next_attempt_at,
            QueuedMail.id,
        )
        .limit(OUTGOING_SHOWN)
    ).all()
    return [
        OutgoingRow(
            id=mail.id,
            recipient=f"{name} <{email}>",
            kind_label=KIND_LABELS.get(mail.kind, mail.kind),
            status=mail.status,
            status_label=STATUS_LABELS.get(mail.status, mail.status),
            attempts=mail.attempts,
            last_error=mail.last_error,
            next_try=display.moment(mail.next_attempt_at)
            if mail.status == MailStatus.PENDING.value
            else "",
        )
        for mail, name, email in rows
    ]


def retry_now(*, session: Session, actor: Actor, mail_id: int) -> None:
    """An admin's "try again now" for a failed or waiting mail: one more try at once. It is
    composed afresh, so a mail about work its reader lost meanwhile is still not sent."""
    scope.require_admin(actor)
    mail = session.exec(
        select(QueuedMail).where(QueuedMail.id == mail_id, QueuedMail.firm_id == actor.firm_id)
    ).first()
    if mail is None:
        raise NotFound
    if mail.status not in (MailStatus.FAILED.value, MailStatus.PENDING.value):
        raise Invalid("That email is no longer waiting: it was sent or is being sent now.")
    changed = session.execute(
        update(QueuedMail)
        .where(QueuedMail.id == mail.id, QueuedMail.status == mail.status)
        .values(
            status=MailStatus.PENDING.value,
            next_attempt_at=utcnow(),
            # A mail that had used its tries gets exactly one more.
            attempts=min(mail.attempts, MAX_ATTEMPTS - 1),
        )
    ).rowcount
    if not changed:
        raise Invalid("That email is no longer waiting: it was sent or is being sent now.")
    audit.record(
        session=session,
        actor=actor,
        action="mail_retried",
        target_type="mail",
        target_id=mail.id,
        detail=f"{KIND_LABELS.get(mail.kind, mail.kind)} to user {mail.user_id}",
    )
    after_commit(session, wake)
