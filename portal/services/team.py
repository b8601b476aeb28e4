"""The firm's people and plan: staff logins within the seat limit, and the modules.

Paid seats cover active admins and staff. Bookkeepers never take one. Seat allocation is
serialised per firm (the firm row is written before the count), so two admins adding staff
at once cannot overshoot the plan.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, update
from sqlmodel import Session, select

from models import (
    ACTIVE_FILING_STATUSES,
    SEAT_ROLES,
    AccountLink,
    Filing,
    Firm,
    LinkKind,
    Step,
    StepStatus,
    User,
    UserRole,
    utcnow,
)
from portal.auth import Actor, dummy_hash
from portal.db import reads_only, serialize_on
from portal.services import (
    access_changes,
    audit,
    display,
    inputs,
    links,
    live,
    scope,
    sessions,
    versioned,
)
from portal.services.errors import Conflict, Invalid, NotFound
from portal.settings import get_settings


@dataclass(frozen=True)
class PersonRow:
    id: int = 0
    name: str = ""
    email: str = ""
    role: str = ""
    role_label: str = ""
    is_active: bool = True
    # "invited" (has not accepted yet), "active" or "deactivated", and the words for it.
    status: str = "active"
    status_label: str = "Active"
    last_sign_in: str = ""
    is_me: bool = False


@dataclass(frozen=True)
class BookkeeperRow:
    id: int = 0
    name: str = ""
    email: str = ""
    is_active: bool = True
    status: str = "active"
    status_label: str = "Active"
    last_sign_in: str = ""
    open_steps: int = 0
    archived: bool = False


@dataclass(frozen=True)
class PlanView:
    firm_name: str = ""
    staff_seats: int = 0
    seats_used: int = 0
    filing_steps_enabled: bool = False
    portal_enabled: bool = False
    # Where invitations and reset links go: a mail server, or the outbox folder on the server.
    mail_note: str = ""


@dataclass(frozen=True)
class NewLogin:
    user_id: int
    email: str
    # Until when the emailed link works, in the firm's words.
    link_expires: str = ""


def invited(user: User) -> bool:
    """Invited and not yet accepted: the login has no password anyone knows."""
    return user.invited_at is not None and user.activated_at is None


def _status(user: User, invitation: AccountLink | None, now) -> tuple[str, str]:
    if user.archived_at is not None:
        return "archived", f"Archived {display.moment(user.archived_at)}"
    if not user.is_active:
        return "deactivated", "Deactivated"
    if not invited(user):
        return "active", "Active"
    if invitation is None or invitation.revoked_at is not None:
        return "invited", "Invited · no valid link (revoked): resend to invite again"
    if invitation.expires_at <= now:
        return "invited", "Invited · link expired: resend to invite again"
    return "invited", f"Invited · link valid until {display.moment(invitation.expires_at)}"


def _invitations(session: Session, users: list[User]) -> dict[int, AccountLink]:
    """The newest invitation of each invited login in the list."""
    ids = [u.id for u in users if invited(u)]
    if not ids:
        return {}
    newest = (
        select(func.max(AccountLink.id))
        .where(AccountLink.user_id.in_(ids), AccountLink.kind == LinkKind.INVITE.value)
        .group_by(AccountLink.user_id)
    )
    rows = session.exec(select(AccountLink).where(AccountLink.id.in_(newest))).all()
    return {link.user_id: link for link in rows}


def mail_note() -> str:
    """Where the portal's mail goes, for the admin who just sent an invitation."""
    settings = get_settings()
    if settings.smtp_host:
        return f"Emails go out through the mail server {settings.smtp_host}:{settings.smtp_port}."
    return (
        "No mail server is set up (PORTAL_SMTP_HOST), so emails are written as .eml files to "
        f"the outbox folder on the server, {settings.outbox_dir}: open the newest file there "
        "and pass the email on to the person, or set up a mail server."
    )


def _row(user: User, actor: Actor, invitation: AccountLink | None, now) -> PersonRow:
    status, label = _status(user, invitation, now)
    return PersonRow(
        id=user.id,
        name=user.name,
        email=user.email,
        role=user.role,
        role_label=display.ROLE_LABELS.get(user.role, user.role),
        is_active=user.is_active,
        status=status,
        status_label=label,
        last_sign_in=display.moment(user.last_sign_in_at) or "Never",
        is_me=user.id == actor.user_id,
    )


def _archived(archived: bool):
    """Archived logins are listed only when asked for ("Show archived"), and then alone."""
    return User.archived_at.is_not(None) if archived else User.archived_at.is_(None)


@reads_only
def list_staff(*, session: Session, actor: Actor, archived: bool = False) -> list[PersonRow]:
    """Admins and staff only: bookkeepers are never listed here. Archived logins only with
    `archived` (admins), and then only those."""
    if archived:
        scope.require_admin(actor)
    else:
        scope.require_staff(actor)
    users = session.exec(
        select(User)
        .where(
            User.firm_id == actor.firm_id,
            User.role.in_(scope.STAFF_ROLES),
            _archived(archived),
        )
        .order_by(User.is_active.desc(), User.name)
    ).all()
    invitations = _invitations(session, users)
    now = utcnow()
    return [_row(u, actor, invitations.get(u.id), now) for u in users]


@reads_only
def list_bookkeepers(
    *, session: Session, actor: Actor, archived: bool = False
) -> list[BookkeeperRow]:
    """The firm's bookkeeper logins, each with the open steps on active filings they hold;
    the archived ones only with `archived`, and then only those."""
    scope.require_admin(actor)
    open_steps = (
        select(Step.assignee_id, func.count().label("n"))
        .join(Filing, Filing.id == Step.filing_id)
        .where(
            Step.firm_id == actor.firm_id,
            Step.status != StepStatus.DONE.value,
            Filing.status.in_(ACTIVE_FILING_STATUSES),
        )
        .group_by(Step.assignee_id)
        .subquery()
    )
    rows = session.exec(
        select(User, func.coalesce(open_steps.c.n, 0))
        .outerjoin(open_steps, open_steps.c.assignee_id == User.id)
        .where(
            User.firm_id == actor.firm_id,
            User.role == UserRole.BOOKKEEPER.value,
            _archived(archived),
        )
        .order_by(User.is_active.desc(), User.name)
    ).all()
    invitations = _invitations(session, [user for user, _ in rows])
    now = utcnow()
    out = []
    for user, n in rows:
        status, label = _status(user, invitations.get(user.id), now)
        out.append(
            BookkeeperRow(
                id=user.id,
                name=user.name,
                email=user.email,
                is_active=user.is_active,
                status=status,
                status_label=label,
                last_sign_in=display.moment(user.last_sign_in_at) or "Never",
                open_steps=n,
                archived=user.archived_at is not None,
            )
        )
    return out


def seats_used(session: Session, firm_id: int) -> int:
    return session.exec(
        select(func.count()).where(
            User.firm_id == firm_id,
            User.is_active.is_(True),
            User.role.in_([r.value for r in SEAT_ROLES]),
        )
    ).one()


@reads_only
def plan(*, session: Session, actor: Actor) -> PlanView:
    scope.require_admin(actor)
    firm = session.get(Firm, actor.firm_id)
    return PlanView(
        firm_name=firm.name,
        staff_seats=firm.staff_seats,
        seats_used=seats_used(session, firm.id),
        filing_steps_enabled=firm.filing_steps_enabled,
        portal_enabled=firm.portal_enabled,
        mail_note=mail_note(),
    )


def _lock_firm(session: Session, firm_id: int) -> Firm:
    """Serialise seat and plan changes for one firm: an advisory lock on PostgreSQL, and on
    SQLite the write itself takes the database's write lock before anything is counted."""
    serialize_on(session, f"firm:{firm_id}")
    session.execute(update(Firm).where(Firm.id == firm_id).values(version=Firm.version + 1))
    firm = session.get(Firm, firm_id)
    session.refresh(firm)
    return firm


def _check_seat(session: Session, firm: Firm) -> None:
    used = seats_used(session, firm.id)
    if used >= firm.staff_seats:
        raise Invalid(
            f"Your plan's {firm.staff_seats} staff seats are all in use ({used} active staff "
            "and admins). Deactivate someone or add seats to your plan first. Bookkeeper "
            "logins never need a seat."
        )


def _modules_cause(was: tuple[bool, bool], now: tuple[bool, bool]) -> str:
    """The ledger's cause for a module switch: the portal's, when it changed, for it is what
    bookkeepers sign in through; else Filing Steps'."""
    if was[1] != now[1]:
        return "firm.portal_on" if now[1] else "firm.portal_off"
    return "firm.filing_steps_on" if now[0] else "firm.filing_steps_off"


def set_modules(
    *,
    session: Session,
    actor: Actor,
    filing_steps: bool,
    portal: bool,
    expected: tuple[bool, bool] | None = None,
) -> PlanView:
    """Filing Steps and the Bookkeeper Portal add-on, which needs Filing Steps. Switched from
    the settings the admin saw (`expected`: Filing Steps, portal): switching the portal off
    ends every bookkeeper's access, so a stale page must never do it by accident."""
    scope.require_admin(actor)
    if portal and not filing_steps:
        raise Invalid("The Bookkeeper Portal needs Filing Steps. Turn Filing Steps on first.")
    firm = _lock_firm(session, actor.firm_id)
    now_set = (firm.filing_steps_enabled, firm.portal_enabled)
    if expected is not None and tuple(expected) != now_set and now_set != (filing_steps, portal):
        raise Conflict(
            f"{versioned.changed_by(session, firm)} changed the modules "
            f"{versioned.changed_when(firm)}: Filing Steps is now "
            f"{'on' if now_set[0] else 'off'} and the Bookkeeper Portal is "
            f"{'on' if now_set[1] else 'off'}. Nothing was changed; check the settings "
            "below and save again if you still want yours.",
            fields=("modules",),
        )
    if now_set == (bool(filing_steps), bool(portal)):
        return plan(session=session, actor=actor)
    portal_was_open = sessions.portal_open_for(firm)
    with access_changes.tracking(
        session,
        actor=actor,
        cause=_modules_cause(now_set, (bool(filing_steps), bool(portal))),
        firm_id=firm.id,
    ):
        firm.filing_steps_enabled = bool(filing_steps)
        firm.portal_enabled = bool(portal)
        firm.updated_at = utcnow()
        firm.updated_by_id = actor.user_id
        session.add(firm)
    live.changed(session, firm_id=firm.id)
    if portal_was_open and not sessions.portal_open_for(firm):
        bookkeepers = session.exec(
            select(User.id).where(User.firm_id == firm.id, User.role == UserRole.BOOKKEEPER.value)
        ).all()
        for user_id in bookkeepers:
            sessions.end_all_for_user(session=session, user_id=user_id, reason="portal off")
    audit.record(
        session=session,
        actor=actor,
        action="modules_changed",
        target_type="firm",
        target_id=firm.id,
        detail=f"filing steps {'on' if filing_steps else 'off'}, "
        f"bookkeeper portal {'on' if portal else 'off'}",
    )
    return plan(session=session, actor=actor)


def create_login(
    *,
    session: Session,
    actor: Actor,
    name: object,
    email: object,
    role: str,
) -> NewLogin:
    """A new login, invited by email: the person chooses their own password from a link that
    works once, for 72 hours. Until then the login is "Invited" and its password hash is
    that of a random secret nobody keeps, so no password opens it. Staff and admins take a
    seat from the invitation on (an invited colleague is expected); bookkeepers never do."""
    scope.require_admin(actor)
    if role not in (UserRole.ADMIN, UserRole.STAFF, UserRole.BOOKKEEPER):
        raise Invalid("Choose a role from the list.")
    clean_name = inputs.line(name, label="Name", max_length=200, required=True)
    address = inputs.email(email)
    if session.exec(select(User.id).where(User.email == address)).first() is not None:
        raise Invalid("That email address already has a login.")
    firm = _lock_firm(session, actor.firm_id)
    if role in SEAT_ROLES:
        _check_seat(session, firm)
    elif not sessions.portal_open_for(firm):
        raise Invalid("Turn on the Bookkeeper Portal in Settings before adding bookkeepers.")
    now = utcnow()
    user = User(
        firm_id=firm.id,
        email=address,
        name=clean_name,
        role=role,
        # A bcrypt hash of random bytes nobody kept: no password opens an invited login, and
        # trying one costs what it costs on any login (no way to tell invited ones apart).
        password_hash=dummy_hash(),
        must_change_password=False,
        invited_at=now,
    )
    session.add(user)
    session.flush()
    link = links.open_link(
        session, user=user, kind=LinkKind.INVITE, created_by_id=actor.user_id, now=now
    )
    audit.record(
        session=session,
        actor=actor,
        action="login_created",
        target_type="user",
        target_id=user.id,
        detail=f"{role} {address}, invited by email",
    )
    return NewLogin(user_id=user.id, email=address, link_expires=display.moment(link.expires_at))


def resend_invitation(*, session: Session, actor: Actor, user_id: int) -> NewLogin:
    """A fresh invitation link for a login that has not accepted yet; every earlier link of
    theirs stops working."""
    scope.require_admin(actor)
    user = _member(session, actor, user_id)
    if not invited(user):
        raise Invalid(f"{user.name} has already accepted their invitation.")
    if not user.is_active:
        raise Invalid(f"{user.name}'s login is deactivated. Reactivate it first.")
    link = links.open_link(
        session, user=user, kind=LinkKind.INVITE, created_by_id=actor.user_id, now=utcnow()
    )
    audit.record(
        session=session,
        actor=actor,
        action="invitation_resent",
        target_type="user",
        target_id=user.id,
        detail=user.email,
    )
    return NewLogin(user_id=user.id, email=user.email, link_expires=display.moment(link.expires_at))


def revoke_invitation(*, session: Session, actor: Actor, user_id: int) -> None:
    """End a pending invitation: its link stops working at once. The login stays in the list
    as "Invited" with no valid link (and keeps its seat, if it takes one) until the admin
    resends the invitation or deactivates the login."""
    scope.require_admin(actor)
    user = _member(session, actor, user_id)
    if not invited(user):
        raise Invalid(f"{user.name} has already accepted their invitation.")
    ended = links.revoke_open(
        session, user_id=user.id, kinds=(LinkKind.INVITE.value,), now=utcnow()
    )
    if not ended:
        raise Invalid(f"{user.name} has no invitation that still works. Resend one if needed.")
    audit.record(
        session=session,
        actor=actor,
        action="invitation_revoked",
        target_type="user",
        target_id=user.id,
        detail=user.email,
    )


def _member(session: Session, actor: Actor, user_id: int) -> User:
    user = session.exec(
        select(User).where(User.id == user_id, User.firm_id == actor.firm_id)
    ).first()
    if user is None:
        raise NotFound
    return user


def set_active(*, session: Session, actor: Actor, user_id: int, active: bool) -> None:
    """Deactivate (every session ends at once) or reactivate (a seat is needed again)."""
    scope.require_admin(actor)
    firm = _lock_firm(session, actor.firm_id)
    user = _member(session, actor, user_id)
    if user.is_active == active:
        return
    if user.archived_at is not None:
        raise Invalid("This login is archived: restore it first (Show archived, then Restore).")
    if not active:
        if user.id == actor.user_id:
            raise Invalid("You cannot deactivate your own login.")
        if user.role == UserRole.ADMIN:
            admins = session.exec(
                select(func.count()).where(
                    User.firm_id == firm.id,
                    User.role == UserRole.ADMIN.value,
                    User.is_active.is_(True),
                )
            ).one()
            if admins <= 1:
                raise Invalid("The firm needs at least one active admin.")
    elif user.role in SEAT_ROLES:
        _check_seat(session, firm)
    with access_changes.tracking(
        session,
        actor=actor,
        cause="login.reactivated" if active else "login.deactivated",
        firm_id=firm.id,
        user_ids=[user.id],
    ):
        user.is_active = active
        user.version += 1
        session.add(user)
    if not active:
        sessions.end_all_for_user(session=session, user_id=user.id, reason="deactivated")
        # Any invitation or reset link of theirs stops working with the login.
        links.revoke_open(
            session,
            user_id=user.id,
            kinds=(LinkKind.INVITE.value, LinkKind.RESET.value),
            now=utcnow(),
        )
    audit.record(
        session=session,
        actor=actor,
        action="login_reactivated" if active else "login_deactivated",
        target_type="user",
        target_id=user.id,
        detail=user.email,
    )


def set_archived(*, session: Session, actor: Actor, user_id: int, archived: bool) -> None:
    """Archive a deactivated login (hidden from the lists and every picker), or restore an
    archived one, which comes back deactivated. Its name stays in the audit log and the
    access history either way. An active login is refused: deactivate it first."""
    scope.require_admin(actor)
    user = _member(session, actor, user_id)
    if (user.archived_at is not None) == archived:
        return
    if archived and user.is_active:
        raise Invalid("Deactivate this login first: only a deactivated login can be archived.")
    now = utcnow()
    user.archived_at = now if archived else None
    user.version += 1
    session.add(user)
    # The lists and pickers of the firm's open pages show it, or stop showing it, at once.
    live.changed(session, firm_id=actor.firm_id)
    audit.record(
        session=session,
        actor=actor,
        action="login_archived" if archived else "login_restored",
        target_type="user",
        target_id=user.id,
        detail=user.email,
        at=now,
    )


def reset_password(*, session: Session, actor: Actor, user_id: int) -> NewLogin:
    """Email the person a link to choose a new password (it works once, for 30 minutes), and
    lift any sign-in throttle on the account now. Their password and sessions stay as they
    are until the link is used: then every session of theirs ends. Nobody but the person
    ever sees a password."""
    scope.require_admin(actor)
    user = _member(session, actor, user_id)
    if not user.is_active:
        raise Invalid(f"{user.name}'s login is deactivated. Reactivate it first.")
    if invited(user):
        raise Invalid(
            f"{user.name} has not accepted their invitation yet: resend the invitation instead."
        )
    if user.role == UserRole.BOOKKEEPER and not sessions.portal_open_for(
        session.get(Firm, actor.firm_id)
    ):
        raise Invalid(
            "Turn on the Bookkeeper Portal in Settings first: bookkeepers cannot sign in."
        )
    now = utcnow()
    link = links.open_link(
        session, user=user, kind=LinkKind.RESET, created_by_id=actor.user_id, now=now
    )
    user.throttle_reset_at = now
    user.version += 1
    session.add(user)
    audit.record(
        session=session,
        actor=actor,
        action="password_reset",
        target_type="user",
        target_id=user.id,
        detail=f"reset link emailed to {user.email}",
    )
    return NewLogin(user_id=user.id, email=user.email, link_expires=display.moment(link.expires_at))
