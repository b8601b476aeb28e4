"""Emailed links that let a person set their own password: invitations and password resets.

Nobody hands anyone a password. An admin who adds a login sends an invitation; an admin's
"reset password" and the sign-in page's "Forgot your password?" send a reset link. Each link:
- is a 256-bit random token of which only the SHA-256 is stored (models/links.py);
- is made when its mail is sent (`issue_token`, called by the mail sender), so the token
  exists only in the email, never in the database, a log, or any page an admin sees;
- works once, until it expires (invitations 72 hours, resets 30 minutes), and stops working
  when a newer link of the same kind is sent, when an admin revokes it, or when the login is
  deactivated.

"Forgot your password?" answers the same words in the same time whether or not the email has a
login: the request itself only writes one `reset_request` row and one audit row, the same on
every path, and the mail sender looks the address up afterwards (`process_reset_requests`).
Requests are throttled per client address and per email, in the database, so every worker
shares the count.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from sqlalchemy import delete, func, update
from sqlmodel import Session, select

from models import (
    AccountLink,
    Firm,
    LinkKind,
    MailKind,
    MailStatus,
    QueuedMail,
    ResetRequest,
    User,
    UserRole,
    utcnow,
)
from portal import routes
from portal.auth import (
    PersonWords,
    digest,
    hash_password,
    looks_like_secret,
    new_secret,
    normalize_email,
    password_problem,
)
from portal.db import after_commit, serialize_on, unit_of_work
from portal.mail import ensure_message_id
from portal.services import audit, display, second_factor, sessions
from portal.settings import get_settings

log = logging.getLogger("portal.links")

INVITE_LIFETIME = timedelta(hours=72)
RESET_LIFETIME = timedelta(minutes=30)
LIFETIMES = {LinkKind.INVITE.value: INVITE_LIFETIME, LinkKind.RESET.value: RESET_LIFETIME}

# "Forgot your password?" requests allowed within the window, per client address and per email.
REQUEST_WINDOW = timedelta(minutes=15)
PER_ADDRESS_LIMIT = 10
PER_EMAIL_LIMIT = 3
KEEP_REQUESTS = timedelta(days=1)

# The one answer to a forgot-password request, whatever the email.
REQUEST_ANSWER = (
    "If that email address has a login here, we have sent it a link to choose a new password. "
    "The link works once, within 30 minutes. Check your inbox (and the spam folder)."
)
REQUEST_THROTTLED = (
    "Too many password-reset requests from here or for that email address. Wait 15 minutes "
    "and try again, or ask your firm's admin to send you a reset link."
)
BAD_EMAIL = "Enter a valid email address, like name@example.com."
SIGN_IN_WITH_FACTOR = (
    "Your new password is set, and you are signed out everywhere. Sign in with it and your "
    "second factor."
)
INVALID_LINK = (
    "This link is not valid. Check that you opened the whole link from the email, or ask for "
    "a new one."
)


def _firm_admins(firm: Firm) -> str:
    return f"your admin at {firm.name}" if firm else "your firm's admin"


# --- opening links (admin actions and processed requests) -----------------------------------


def revoke_open(session: Session, *, user_id: int, kinds: tuple[str, ...], now: datetime) -> int:
    """End every link of these kinds that could still be used: a newer one replaces it, an
    admin revoked it, or the login was deactivated."""
    result = session.execute(
        update(AccountLink)
        .where(
            AccountLink.user_id == user_id,
            AccountLink.kind.in_(kinds),
            AccountLink.used_at.is_(None),
            AccountLink.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    return result.rowcount or 0


def open_link(
    session: Session,
    *,
    user: User,
    kind: LinkKind,
    created_by_id: int | None,
    now: datetime,
) -> AccountLink:
    """A new link for this person (older open ones of the same kind stop working) and the mail
    that carries it, sent by the mail sender once this transaction has committed."""
    revoke_open(session, user_id=user.id, kinds=(kind.value,), now=now)
    link = AccountLink(
        kind=kind.value,
        # Opens nothing until the sender swaps in the hash of the token it mails.
        token_hash=digest(new_secret()),
        user_id=user.id,
        created_by_id=created_by_id,
        created_at=now,
        expires_at=now + LIFETIMES[kind.value],
    )
    session.add(link)
    session.flush()
    session.add(
        QueuedMail(
            firm_id=user.firm_id,
            user_id=user.id,
            kind=MailKind.INVITE.value if kind == LinkKind.INVITE else MailKind.RESET.value,
            link_id=link.id,
            status=MailStatus.PENDING.value,
            next_attempt_at=now,
            created_at=now,
        )
    )
    from portal.services import mail_queue

    after_commit(session, mail_queue.wake)
    return link


def current_invitation(session: Session, user_id: int) -> AccountLink | None:
    """The newest invitation of a login (used, revoked or expired alike)."""
    return session.exec(
        select(AccountLink)
        .where(AccountLink.user_id == user_id, AccountLink.kind == LinkKind.INVITE.value)
        .order_by(AccountLink.id.desc())
        .limit(1)
    ).first()


# --- the mail that carries a link --------------------------------------------------------


def issue_token(mail_id: int, *, now: datetime) -> tuple[EmailMessage | None, str]:
    """For the mail sender: make the link's token, keep only its hash, and compose the mail.
    None and why, when the link must not be sent any more (replaced, revoked, expired, used,
    the login deactivated or already activated, the portal switched off)."""
    with unit_of_work() as session:
        mail = session.get(QueuedMail, mail_id)
        link = session.get(AccountLink, mail.link_id) if mail and mail.link_id else None
        if link is None:
            return None, "The link this email was for no longer exists."
        user = session.get(User, link.user_id)
        firm = session.get(Firm, user.firm_id)
        if not user.is_active:
            return None, "Their login is deactivated."
        if link.used_at is not None:
            return None, "The link was already used."
        if link.revoked_at is not None:
            return None, "The link was replaced by a newer one or revoked."
        if link.expires_at <= now:
            return None, "The link expired before it could be sent."
        if link.kind == LinkKind.INVITE.value and user.activated_at is not None:
            return None, "They already accepted an invitation."
        if user.role == UserRole.BOOKKEEPER and not sessions.portal_open_for(firm):
            return None, "The Bookkeeper Portal add-on is off, so bookkeepers cannot sign in."
        token = new_secret()
        link.token_hash = digest(token)
        session.add(link)
        inviter = session.get(User, link.created_by_id) if link.created_by_id else None
        if link.kind == LinkKind.INVITE.value:
            return _invitation_mail(user, firm, inviter, link, token), ""
        return _reset_mail(user, firm, inviter, link, token), ""


def record_sent(mail_id: int, *, outbox: bool) -> None:
    """The audit's "sent" step, once the mail went out (or into the outbox)."""
    with unit_of_work() as session:
        mail = session.get(QueuedMail, mail_id)
        link = session.get(AccountLink, mail.link_id)
        user = session.get(User, mail.user_id)
        action = "invitation_sent" if link.kind == LinkKind.INVITE.value else "password_reset_sent"
        audit.record(
            session=session,
            action=action,
            firm_id=user.firm_id,
            actor_label="mail sender",
            target_type="user",
            target_id=user.id,
            detail=f"to {user.email}" + (" (written to the outbox)" if outbox else ""),
        )


def _url(path: str, token: str) -> str:
    return f"{get_settings().public_url}{path}?token={token}"


def _one_line(value: str) -> str:
    return " ".join((value or "").split())


def _expiry(link: AccountLink) -> str:
    return f"{link.expires_at:%B %-d, %Y at %H:%M} UTC"


def _mail(user: User, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = get_settings().mail_from
    message["To"] = Address(display_name=_one_line(user.name), addr_spec=user.email)
    message["Subject"] = _one_line(subject)
    message["Date"] = format_datetime(utcnow())
    message["Auto-Submitted"] = "auto-generated"
    ensure_message_id(message)
    message.set_content(body)
    return message


def _invitation_mail(
    user: User, firm: Firm, inviter: User | None, link: AccountLink, token: str
) -> EmailMessage:
    who = _one_line(inviter.name) if inviter else "Your firm's admin"
    role = display.ROLE_LABELS.get(user.role, user.role).lower()
    body = (
        f"Hello {_one_line(user.name)},\n\n"
        f"{who} invited you to {_one_line(firm.name)} on the Bookkeeper Portal, "
        f"as {role}.\n\n"
        f"Choose your password and sign in here:\n{_url(routes.INVITATION, token)}\n\n"
        f"The link works once, until {_expiry(link)}. If it has expired, ask {who} to send "
        "a new one.\n\n"
        "If you did not expect this invitation, you can ignore this email.\n"
    )
    return _mail(user, f"{who} invited you to {_one_line(firm.name)}", body)


def _reset_mail(
    user: User, firm: Firm, admin: User | None, link: AccountLink, token: str
) -> EmailMessage:
    asked = (
        f"{_one_line(admin.name)}, an admin at {_one_line(firm.name)}, sent you"
        if admin
        else "Someone (we hope you) asked for"
    )
    body = (
        f"Hello {_one_line(user.name)},\n\n"
        f"{asked} a link to choose a new password for the Bookkeeper Portal.\n\n"
        f"Choose a new password here:\n{_url(routes.RESET_PASSWORD, token)}\n\n"
        f"The link works once, until {_expiry(link)} (30 minutes). Using it signs you out "
        "everywhere else.\n\n"
        "If you did not ask for this, ignore this email: your password stays as it is.\n"
    )
    return _mail(user, "Choose a new password for the Bookkeeper Portal", body)


# --- forgot password ---------------------------------------------------------------------


@dataclass(frozen=True)
class RequestAnswer:
    ok: bool
    message: str


def request_reset(
    *, session: Session, email: object, ip: str, now: datetime | None = None
) -> RequestAnswer:
    """ "Forgot your password?": the same writes, the same words, whether or not the address
    has a login. Who it belongs to is looked up by the mail sender after this has answered."""
    now = now or utcnow()
    normalized = normalize_email(email if isinstance(email, str) else "")
    if normalized is None:
        return RequestAnswer(False, BAD_EMAIL)
    ip = (ip or "")[:64]
    serialize_on(session, f"reset-request:{normalized}")
    request = ResetRequest(email=normalized, ip=ip, at=now, outcome="pending")
    session.add(request)
    # Written first: SQLite's write lock is held, so the counts below see every earlier one.
    session.flush()
    since = now - REQUEST_WINDOW
    counted = (ResetRequest.at >= since, ResetRequest.outcome != "throttled")
    per_email = session.exec(
        select(func.count()).where(ResetRequest.email == normalized, *counted)
    ).one()
    per_address = session.exec(select(func.count()).where(ResetRequest.ip == ip, *counted)).one()
    throttled = per_email > PER_EMAIL_LIMIT or per_address > PER_ADDRESS_LIMIT
    if throttled:
        request.outcome = "throttled"
        session.add(request)
    audit.record(
        session=session,
        action="password_reset_requested",
        outcome="refused" if throttled else "ok",
        actor_label=normalized,
        detail="throttled" if throttled else "forgot password",
        ip=ip,
        at=now,
    )
    if throttled:
        return RequestAnswer(False, REQUEST_THROTTLED)
    from portal.services import mail_queue

    after_commit(session, mail_queue.wake)
    return RequestAnswer(True, REQUEST_ANSWER)


def _reset_refusal(session: Session, user: User | None) -> str | None:
    """Why a requested reset link is not sent to this address (never told to the asker)."""
    if user is None:
        return "no login with this email"
    if not user.is_active:
        return "login deactivated"
    if user.invited_at is not None and user.activated_at is None:
        return "invitation not yet accepted"
    if user.role == UserRole.BOOKKEEPER:
        firm = session.get(Firm, user.firm_id)
        if firm is None or not sessions.portal_open_for(firm):
            return "portal add-on off"
    return None


def process_reset_requests(*, now: datetime | None = None, limit: int = 100) -> int:
    """For the mail sender: turn each pending forgot-password request into a reset link and
    its mail, or into a record of why not. Each request is claimed with one conditional
    UPDATE, so two workers never both handle it. Returns the links opened."""
    now = now or utcnow()
    with unit_of_work() as session:
        # Requests past any window are dropped: those of throttled-only emails here, the
        # others with their email's next request below.
        session.execute(
            delete(ResetRequest).where(
                ResetRequest.outcome == "throttled", ResetRequest.at < now - KEEP_REQUESTS
            )
        )
        ids = session.exec(
            select(ResetRequest.id)
            .where(ResetRequest.outcome == "pending")
            .order_by(ResetRequest.id)
            .limit(limit)
        ).all()
    opened = 0
    for request_id in ids:
        with unit_of_work() as session:
            request = session.get(ResetRequest, request_id)
            user = session.exec(select(User).where(User.email == request.email)).first()
            refusal = _reset_refusal(session, user)
            outcome = "refused" if refusal else "queued"
            claimed = session.execute(
                update(ResetRequest)
                .where(ResetRequest.id == request_id, ResetRequest.outcome == "pending")
                .values(outcome=outcome)
            ).rowcount
            if claimed != 1:
                continue
            if refusal is None:
                open_link(session, user=user, kind=LinkKind.RESET, created_by_id=None, now=now)
                opened += 1
            audit.record(
                session=session,
                action="password_reset_link" if refusal is None else "password_reset_not_sent",
                outcome="ok" if refusal is None else "refused",
                firm_id=user.firm_id if user else None,
                actor_label=request.email,
                target_type="user" if user else "",
                target_id=user.id if user else None,
                detail=refusal or "link made; the email follows",
                ip=request.ip,
                at=now,
            )
            session.execute(
                delete(ResetRequest).where(
                    ResetRequest.email == request.email, ResetRequest.at < now - KEEP_REQUESTS
                )
            )
    return opened


# --- following a link --------------------------------------------------------------------


@dataclass(frozen=True)
class LinkView:
    """What the invitation or reset page shows about a link, before any password is set."""

    ok: bool = False
    problem: str = ""
    name: str = ""
    email: str = ""
    firm_name: str = ""
    inviter: str = ""
    role_label: str = ""
    expires: str = ""


@dataclass(frozen=True)
class LinkResult:
    ok: bool
    message: str = ""
    # The password was fine but the link is not: the form goes, the message stays.
    link_dead: bool = False
    # Empty after success when the person has a second factor: they sign in with it.
    handoff_code: str = ""
    role: str = ""


def _problem(session: Session, kind: str, link: AccountLink | None, now: datetime) -> str | None:
    """Why this link cannot be used, in words that say what to do; None when it can."""
    if link is None or link.kind != kind:
        return INVALID_LINK
    user = session.get(User, link.user_id)
    firm = session.get(Firm, user.firm_id)
    inviter = session.get(User, link.created_by_id) if link.created_by_id else None
    ask = f"{inviter.name} at {firm.name}" if inviter else _firm_admins(firm)
    if kind == LinkKind.INVITE.value:
        if link.used_at is not None:
            return (
                "This invitation has already been used. Sign in with the password you chose, "
                "or use “Forgot your password?” on the sign-in page."
            )
        if not user.is_active:
            return f"This login has been deactivated. Ask {ask} if you need access."
        if link.revoked_at is not None:
            return (
                "This invitation was withdrawn or replaced by a newer one. Use the link in the "
                f"latest email, or ask {ask} to send a new one."
            )
        if link.expires_at <= now:
            return f"This invitation has expired. Ask {ask} to send a new one."
    else:
        again = "Ask for a new one with “Forgot your password?” on the sign-in page."
        if link.used_at is not None:
            return f"This password-reset link has already been used. {again}"
        if not user.is_active:
            return f"This login has been deactivated. Ask {ask} if you need access."
        if link.revoked_at is not None:
            return f"This password-reset link was replaced by a newer one. {again}"
        if link.expires_at <= now:
            return f"This password-reset link has expired. {again}"
    if user.role == UserRole.BOOKKEEPER and not sessions.portal_open_for(firm):
        from portal.services.signin import PORTAL_OFF

        return PORTAL_OFF
    return None


def _find(session: Session, token: object) -> AccountLink | None:
    if not isinstance(token, str) or not looks_like_secret(token):
        return None
    return session.exec(select(AccountLink).where(AccountLink.token_hash == digest(token))).first()


def _refused(
    session: Session, kind: str, link: AccountLink | None, problem: str, ip: str, now: datetime
) -> None:
    user = session.get(User, link.user_id) if link else None
    why = "unknown link"
    if link is not None:
        if link.used_at is not None:
            why = "already used"
        elif link.revoked_at is not None:
            why = "revoked or replaced"
        elif link.expires_at <= now:
            why = "expired"
        else:
            why = "login deactivated or portal off"
    audit.record(
        session=session,
        action="invitation_refused" if kind == LinkKind.INVITE.value else "password_reset_refused",
        outcome="refused",
        firm_id=user.firm_id if user else None,
        actor_id=user.id if user else None,
        actor_label=user.email if user else "link holder",
        target_type="user" if user else "",
        target_id=user.id if user else None,
        detail=why,
        ip=ip,
        at=now,
    )


def describe(
    *, session: Session, kind: str, token: object, ip: str = "", now: datetime | None = None
) -> LinkView:
    """What the page says about the link it was opened with; a dead link is audited."""
    now = now or utcnow()
    link = _find(session, token)
    problem = _problem(session, kind, link, now)
    if problem:
        _refused(session, kind, link, problem, ip, now)
        return LinkView(ok=False, problem=problem)
    user = session.get(User, link.user_id)
    firm = session.get(Firm, user.firm_id)
    inviter = session.get(User, link.created_by_id) if link.created_by_id else None
    return LinkView(
        ok=True,
        name=user.name,
        email=user.email,
        firm_name=firm.name,
        inviter=inviter.name if inviter else "",
        role_label=display.ROLE_LABELS.get(user.role, user.role),
        expires=display.moment(link.expires_at),
    )


def use_link(
    *,
    session: Session,
    kind: str,
    token: object,
    password: object,
    confirm: object,
    ip: str = "",
    user_agent: str = "",
    now: datetime | None = None,
) -> LinkResult:
    """Accept an invitation or use a reset link: set the person's own password (the strong
    rules), end every other session of theirs, and sign them in. The link works once: two
    submissions at the same moment set one password, the second is told it was used."""
    now = now or utcnow()
    link = _find(session, token)
    problem = _problem(session, kind, link, now)
    if problem:
        _refused(session, kind, link, problem, ip, now)
        return LinkResult(False, problem, link_dead=True)
    user = session.get(User, link.user_id)
    firm = session.get(Firm, user.firm_id)
    new = password if isinstance(password, str) else ""
    if new != (confirm if isinstance(confirm, str) else None):
        return LinkResult(False, "The two passwords differ. Type the same password twice.")
    person = PersonWords(name=user.name, email=user.email, firm_name=firm.name)
    weak = password_problem(new, person=person)
    if weak:
        return LinkResult(False, weak)
    password_hash = hash_password(new)
    claimed = session.execute(
        update(AccountLink)
        .where(
            AccountLink.id == link.id,
            AccountLink.used_at.is_(None),
            AccountLink.revoked_at.is_(None),
        )
        .values(used_at=now)
    ).rowcount
    if claimed != 1:
        session.refresh(link)
        problem = _problem(session, kind, link, now) or INVALID_LINK
        return LinkResult(False, problem, link_dead=True)
    # Whatever else was open for this person stops: the other kind of link included.
    revoke_open(
        session, user_id=user.id, kinds=(LinkKind.RESET.value, LinkKind.INVITE.value), now=now
    )
    ended = sessions.end_all_for_user(
        session=session,
        user_id=user.id,
        reason="invitation accepted" if kind == LinkKind.INVITE.value else "password reset",
        now=now,
    )
    user.password_hash = password_hash
    user.must_change_password = False
    user.throttle_reset_at = now
    if kind == LinkKind.INVITE.value:
        user.activated_at = now
    user.last_sign_in_at = now
    user.version += 1
    session.add(user)
    # With a second factor, a mailed link alone never signs anyone in (an inbox is one
    # factor): the password is set, and they sign in with it and their factor.
    code = (
        ""
        if _has_second_factor(session, user.id)
        else sessions.start(session=session, user=user, ip=ip, user_agent=user_agent, now=now)
    )
    audit.record(
        session=session,
        action="invitation_accepted" if kind == LinkKind.INVITE.value else "password_reset_used",
        firm_id=user.firm_id,
        actor_id=user.id,
        actor_label=user.email,
        target_type="user",
        target_id=user.id,
        detail=f"password chosen; {ended} other session(s) ended",
        ip=ip,
        at=now,
    )
    if not code:
        return LinkResult(True, SIGN_IN_WITH_FACTOR, role=user.role)
    return LinkResult(True, handoff_code=code, role=user.role)


def _has_second_factor(session: Session, user_id: int) -> bool:
    """Whether the person has an authenticator app or a passkey: the one definition of it
    lives in portal/services/second_factor.py."""
    found = session.exec(
        select(User.id).where(User.id == user_id, second_factor.has_factor_clause())
    ).first()
    return found is not None
