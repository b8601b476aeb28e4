"""Server-side sessions: start, redeem, resolve on every event, and end.

The browser holds a random token in an HttpOnly cookie; the database holds only its SHA-256.
`resolve` is what the boundary calls before every event and every download, so a revoked,
expired or deactivated session stops working at the very next request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import bindparam, update
from sqlmodel import Session, select

from models import Firm, LoginSession, User, UserRole, utcnow
from portal.auth import Actor, digest, looks_like_secret, new_secret
from portal.services import live
from portal.services.second_factor import has_factor_clause, policy_requires
from portal.settings import get_settings

HANDOFF_SECONDS = 60
# last_seen_at is written at most this often, not on every event.
TOUCH_EVERY = timedelta(seconds=60)


class SessionProblem(StrEnum):
    MISSING = "missing"  # no cookie at all: simply signed out
    INVALID = "invalid"  # malformed or unknown token (tampered, or from another deployment)
    EXPIRED = "expired"  # idle or absolute expiry passed
    ENDED = "ended"  # signed out elsewhere, deactivated, password reset
    PORTAL_OFF = "portal_off"  # a bookkeeper whose firm turned the add-on off


# Why a session ended (its row's revoked_reason), as the code the sign-in page turns into
# words for the person (state/signin.py). Only the browser whose session it was is sent
# there with it, so it tells nobody anything about another account. Reasons not listed
# (a second factor reset, an invitation accepted) read as the generic "ended".
END_CODES = {
    "expired": "expired",
    "deactivated": "deactivated",
    "portal off": "portal_off",
    "ended by its owner": "elsewhere",
    "ended by an admin": "admin_ended",
    "password changed": "password",
    "password reset": "password",
    "signed out": "signed_out",
}


@dataclass(frozen=True)
class Resolution:
    actor: Actor | None
    problem: SessionProblem | None = None
    # For an ended session: why it ended, as an END_CODES value (or "ended").
    ended: str = ""


def portal_open_for(firm: Firm) -> bool:
    """Bookkeepers may work only while the firm has Filing Steps and the portal add-on."""
    return bool(firm.filing_steps_enabled and firm.portal_enabled)


def start(*, session: Session, user: User, ip: str, user_agent: str, now: datetime) -> str:
    """Open a session for a verified user; returns the one-time code the browser redeems."""
    settings = get_settings()
    code = new_secret()
    session.add(
        LoginSession(
            user_id=user.id,
            handoff_hash=digest(code),
            handoff_expires_at=now + timedelta(seconds=HANDOFF_SECONDS),
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=settings.session_max_hours),
            ip=ip[:64],
            user_agent=user_agent[:300],
        )
    )
    return code


def redeem_handoff(*, session: Session, code: str, now: datetime | None = None) -> str | None:
    """Swap a fresh handoff code for the session token; each code works once, briefly."""
    now = now or utcnow()
    if not looks_like_secret(code):
        return None
    row = session.exec(
        select(LoginSession).where(LoginSession.handoff_hash == digest(code))
    ).first()
    if row is None:
        return None
    row.handoff_hash = None
    expired = row.handoff_expires_at is None or row.handoff_expires_at < now
    if expired or row.revoked_at is not None:
        session.add(row)
        return None
    token = new_secret()
    row.token_hash = digest(token)
    row.handoff_expires_at = None
    row.last_seen_at = now
    session.add(row)
    return token


# Run before every event and request: built once, so each run only executes it, and reading
# only the columns it decides on (no ORM rows to build, and never the password hash).
_RESOLVE = (
    select(
        LoginSession.id.label("session_id"),
        LoginSession.revoked_at,
        LoginSession.revoked_reason,
        LoginSession.expires_at,
        LoginSession.last_seen_at,
        User.id.label("user_id"),
        User.firm_id,
        User.role,
        User.name,
        User.email,
        User.is_active,
        User.must_change_password,
        Firm.name.label("firm_name"),
        Firm.filing_steps_enabled,
        Firm.portal_enabled,
        Firm.mfa_admins,
        Firm.mfa_staff,
        Firm.mfa_bookkeepers,
        has_factor_clause().label("has_factor"),
    )
    .join(User, User.id == LoginSession.user_id)
    .join(Firm, Firm.id == User.firm_id)
    .where(LoginSession.token_hash == bindparam("token_hash"))
)
_TOUCH = (
    update(LoginSession)
    .where(LoginSession.id == bindparam("sid"))
    .values(last_seen_at=bindparam("seen"))
)
_REVOKE = (
    update(LoginSession)
    .where(LoginSession.id == bindparam("sid"), LoginSession.revoked_at.is_(None))
    .values(revoked_at=bindparam("at"), revoked_reason=bindparam("why"))
)


def resolve(
    *, session: Session, token: str | None, ip: str = "", now: datetime | None = None
) -> Resolution:
    """Who stands behind this cookie right now, read fresh from the database."""
    if not token:
        return Resolution(None, SessionProblem.MISSING)
    if not looks_like_secret(token):
        return Resolution(None, SessionProblem.INVALID)
    now = now or utcnow()
    row = session.execute(_RESOLVE, {"token_hash": digest(token)}).first()
    if row is None:
        return Resolution(None, SessionProblem.INVALID)
    if row.revoked_at is not None:
        # An expiry noticed by an earlier request still reads as an expiry, not a sign-out.
        code = END_CODES.get(row.revoked_reason or "", "ended")
        expired = code == "expired"
        return Resolution(
            None, SessionProblem.EXPIRED if expired else SessionProblem.ENDED, ended=code
        )
    idle = timedelta(minutes=get_settings().session_idle_minutes)
    if now >= row.expires_at or now >= row.last_seen_at + idle:
        session.execute(_REVOKE, {"sid": row.session_id, "at": now, "why": "expired"})
        return Resolution(None, SessionProblem.EXPIRED, ended="expired")
    if not row.is_active:
        session.execute(_REVOKE, {"sid": row.session_id, "at": now, "why": "deactivated"})
        return Resolution(None, SessionProblem.ENDED, ended="deactivated")
    if row.role == UserRole.BOOKKEEPER and not portal_open_for(row):
        return Resolution(None, SessionProblem.PORTAL_OFF)
    if now - row.last_seen_at >= TOUCH_EVERY:
        session.execute(_TOUCH, {"sid": row.session_id, "seen": now})
    return Resolution(
        Actor(
            user_id=row.user_id,
            firm_id=row.firm_id,
            role=row.role,
            name=row.name,
            email=row.email,
            session_id=row.session_id,
            must_change_password=row.must_change_password,
            firm_name=row.firm_name,
            ip=ip,
            must_enrol=policy_requires(row, row.role) and not row.has_factor,
        )
    )


def _revoke(session: Session, login: LoginSession, reason: str, now: datetime) -> None:
    login.revoked_at = now
    login.revoked_reason = reason
    session.add(login)


def end(*, session: Session, session_id: int, reason: str, now: datetime | None = None) -> None:
    login = session.get(LoginSession, session_id)
    if login is not None and login.revoked_at is None:
        _revoke(session, login, reason, now or utcnow())
        # The person's open pages check their sessions again: this one's go to sign-in.
        live.changed(session, users=[login.user_id])


def end_all_for_user(
    *, session: Session, user_id: int, reason: str, now: datetime | None = None
) -> int:
    """End every live session of one person at once (deactivation, password reset)."""
    result = session.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None))
        .values(revoked_at=now or utcnow(), revoked_reason=reason[:40])
    )
    if result.rowcount:
        live.changed(session, users=[user_id])
    return result.rowcount or 0
