"""Onboarding a practice: a new firm with its plan, and an invitation to its first admin.

Run from the command line (`portal create-firm`) by whoever operates the deployment; there is
no acting user yet, so the audit names the command. The first admin is invited exactly as an
admin invites a colleague (portal/services/links.py): a link that works once, for 72 hours,
mailed after the commit through the mail queue (to the SMTP server, or to the outbox).
Nobody ever sees a password or the link's token here.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from models import Firm, LinkKind, MailKind, QueuedMail, User, UserRole, utcnow
from portal.auth import dummy_hash
from portal.services import audit, display, firm_time, inputs, links
from portal.services.errors import Invalid

# What a new firm gets unless told otherwise.
DEFAULT_SEATS = 5
MAX_SEATS = 10_000
DEFAULT_TIME_ZONE = "UTC"
# Whose name stands in the audit log for what the command did.
CLI_ACTOR = "portal create-firm"


@dataclass(frozen=True)
class NewFirm:
    firm_id: int
    firm_name: str
    admin_id: int
    admin_email: str
    admin_name: str
    staff_seats: int
    filing_steps: bool
    bookkeeper_addon: bool
    time_zone: str
    # The queued mail carrying the invitation, and until when its link works.
    mail_id: int
    link_expires: str


def _seats(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid("Seats must be a whole number.")
    if not 1 <= value <= MAX_SEATS:
        raise Invalid(f"Seats must be between 1 and {MAX_SEATS}: the first admin takes one seat.")
    return value


def create_firm(
    *,
    session: Session,
    name: object,
    admin_email: object,
    admin_name: object,
    seats: object = DEFAULT_SEATS,
    filing_steps: bool = True,
    bookkeeper_addon: bool = True,
    time_zone: object = DEFAULT_TIME_ZONE,
) -> NewFirm:
    """A firm with its plan and its first admin, invited by email. Every value is checked
    before anything is written, so a refusal leaves the database as it was."""
    firm_name = inputs.line(name, label="Firm name", max_length=200, required=True)
    person = inputs.line(admin_name, label="Admin name", max_length=200, required=True)
    address = inputs.email(admin_email, label="Admin email")
    staff_seats = _seats(seats)
    zone = firm_time.checked(time_zone)
    if bookkeeper_addon and not filing_steps:
        raise Invalid("The Bookkeeper Portal add-on needs Filing Steps: leave Filing Steps on.")
    if session.exec(select(User.id).where(User.email == address)).first() is not None:
        raise Invalid(f"{address} already has a login, in this or another firm.")
    if session.exec(select(Firm.id).where(Firm.name == firm_name)).first() is not None:
        raise Invalid(f"A firm named “{firm_name}” already exists. Choose another name.")

    now = utcnow()
    firm = Firm(
        name=firm_name,
        staff_seats=staff_seats,
        filing_steps_enabled=bool(filing_steps),
        portal_enabled=bool(bookkeeper_addon),
        time_zone=zone,
        # As every new firm: a second factor for admins and staff, not (yet) for bookkeepers.
        mfa_admins=True,
        mfa_staff=True,
        mfa_bookkeepers=False,
        created_at=now,
        updated_at=now,
    )
    session.add(firm)
    session.flush()
    admin = User(
        firm_id=firm.id,
        email=address,
        name=person,
        role=UserRole.ADMIN.value,
        # As for any invited login: a hash of random bytes nobody kept opens nothing.
        password_hash=dummy_hash(),
        must_change_password=False,
        invited_at=now,
    )
    session.add(admin)
    session.flush()
    link = links.open_link(session, user=admin, kind=LinkKind.INVITE, created_by_id=None, now=now)
    mail_id = session.exec(
        select(QueuedMail.id).where(
            QueuedMail.link_id == link.id, QueuedMail.kind == MailKind.INVITE.value
        )
    ).one()
    audit.record(
        session=session,
        action="firm_created",
        firm_id=firm.id,
        actor_label=CLI_ACTOR,
        target_type="firm",
        target_id=firm.id,
        detail=(
            f"{firm_name}: {staff_seats} staff seat{'s' if staff_seats != 1 else ''}, "
            f"filing steps {'on' if filing_steps else 'off'}, "
            f"bookkeeper portal {'on' if bookkeeper_addon else 'off'}, time zone {zone}, "
            "second factor required of admins and staff"
        ),
        at=now,
    )
    audit.record(
        session=session,
        action="login_created",
        firm_id=firm.id,
        actor_label=CLI_ACTOR,
        target_type="user",
        target_id=admin.id,
        detail=f"admin {address}, invited by email",
        at=now,
    )
    return NewFirm(
        firm_id=firm.id,
        firm_name=firm_name,
        admin_id=admin.id,
        admin_email=address,
        admin_name=person,
        staff_seats=staff_seats,
        filing_steps=bool(filing_steps),
        bookkeeper_addon=bool(bookkeeper_addon),
        time_zone=zone,
        mail_id=mail_id,
        link_expires=display.moment(link.expires_at),
    )
