"""What each queued mail says, composed when it is sent (portal/services/mail_queue.py), as
its reader may see it at that moment.

Every line about a task comes from the My Tasks query (portal/services/tasks.py), run as the
recipient, and so through the access rule of portal/services/scope.py: a task that is not on
their My Tasks now (reassigned, its filing filed or cancelled, their login or the portal
switched off) is not named at all. An assignment mail about such a task is not sent.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from sqlmodel import Session

from models import Firm, MailKind, QueuedMail, User, utcnow
from portal import routes
from portal.auth import Actor
from portal.mail import ensure_message_id
from portal.services import display, firm_time, tasks
from portal.services.tasks import TaskRow
from portal.settings import get_settings

# The digest goes out from this hour of the firm's morning, for steps due within DIGEST_DAYS.
DIGEST_HOUR = 7
DIGEST_DAYS = 3
DIGEST_MAX_LINES = 40


def _as_actor(user: User) -> Actor:
    """The recipient as the rule sees them: what they could open if they signed in now."""
    return Actor(user.id, user.firm_id, user.role, user.name, user.email, 0, False)


def compose(
    session: Session, mail: QueuedMail, *, now: datetime
) -> tuple[EmailMessage | None, str]:
    """The message as its recipient may read it now, or None and why it is not sent."""
    user = session.get(User, mail.user_id)
    if user is None or not user.is_active:
        return None, "Their login is deactivated."
    firm = session.get(Firm, user.firm_id)
    today = firm_time.local_date(firm.time_zone, now)
    actor = _as_actor(user)
    if mail.kind == MailKind.ASSIGNMENT.value:
        if not user.email_assignments:
            return None, "They switched assignment emails off."
        row = tasks.these_tasks(session, actor, [mail.step_id or 0], today=today).get(mail.step_id)
        if row is None:
            reason = tasks.ended_reason(session=session, actor=actor, step_id=mail.step_id or 0)
            return None, reason or "The task is no longer theirs to open."
        return _assignment(user, row), ""
    if mail.kind == MailKind.DIGEST.value:
        if not user.email_digest:
            return None, "They switched the morning digest off."
        if mail.digest_date != today:
            return None, "Too late for its morning: the next morning's digest replaces it."
        rows = tasks.due_by(
            session,
            actor,
            today=today,
            until=today + timedelta(days=DIGEST_DAYS),
            limit=DIGEST_MAX_LINES + 1,
        )
        if not rows:
            return None, "Nothing overdue or due in the next 3 days."
        return _digest(user, rows, today), ""
    return None, f"Unknown kind of mail ({mail.kind})."


def link(path: str) -> str:
    return get_settings().public_url + path


def _one_line(value: str) -> str:
    return " ".join(value.split())


def _message(user: User, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = get_settings().mail_from
    message["To"] = Address(display_name=_one_line(user.name), addr_spec=user.email)
    message["Subject"] = _one_line(subject)
    message["Date"] = format_datetime(utcnow())
    # RFC 3834: a machine wrote this, so out-of-office replies stay away.
    message["Auto-Submitted"] = "auto-generated"
    ensure_message_id(message)
    message.set_content(body)
    return message


def _footer(what: str) -> str:
    return (
        f"\n--\nYou get this email because {what} are switched on for you. You can switch "
        f"them off under Notifications on your account page: {link(routes.ACCOUNT)}\n"
    )


def _assignment(user: User, row: TaskRow) -> EmailMessage:
    body = (
        f"Hello {_one_line(user.name)},\n\n"
        "A task has been assigned to you.\n\n"
        f"Task:    {row.title}\n"
        f"Client:  {row.client_name}\n"
        f"Filing:  {row.filing_title}\n"
        f"Due:     {row.due_day or 'No due date'}\n\n"
        f"Open the task: {link(row.url)}\n" + _footer("assignment emails")
    )
    return _message(user, f"Task assigned to you: {row.title}", body)


def _digest(user: User, rows: list[TaskRow], today: date) -> EmailMessage:
    shown = rows[:DIGEST_MAX_LINES]
    overdue = [r for r in shown if r.due_state == "overdue"]
    coming = [r for r in shown if r.due_state != "overdue"]
    parts = [f"Good morning {_one_line(user.name)},\n", f"Your tasks on {display.day(today)}:"]
    for heading, group in (("Overdue", overdue), (f"Due in the next {DIGEST_DAYS} days", coming)):
        if group:
            parts.append(f"\n{heading}")
            for r in group:
                parts.append(f"- {r.title}\n  {r.client_name} · {r.filing_title} · {r.due_label}")
                parts.append(f"  {link(r.url)}")
    if len(rows) > DIGEST_MAX_LINES:
        parts.append(f"\n…and more: the first {DIGEST_MAX_LINES} are shown here.")
    parts.append(f"\nAll your tasks: {link(routes.TASKS)}\n")
    counts = [f"{len(overdue)} overdue"] if overdue else []
    if coming:
        counts.append(f"{len(coming)} due soon")
    subject = f"Your tasks for {display.short_day(today, today)}: {', '.join(counts)}"
    return _message(user, subject, "\n".join(parts) + _footer("morning digests"))
