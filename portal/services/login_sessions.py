"""A person's own sessions (listed, ended one by one or all but this one), and an admin ending
every session of someone in their firm.

Only live sessions are listed: redeemed, not revoked, and neither idle nor past their
absolute expiry. A person reaches only their own: any other id, another person's included,
is "not found", exactly like an id that never existed. Ending goes through
`sessions.end` / `sessions.end_all_for_user`, whose push sends the ended tabs to sign-in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, select

from models import LoginSession, User, utcnow
from portal.auth import Actor
from portal.db import reads_only
from portal.services import audit, display, live, scope, sessions
from portal.services.errors import Invalid, NotFound
from portal.settings import get_settings

ENDED_BY_OWNER = "ended by its owner"
ENDED_BY_ADMIN = "ended by an admin"


@dataclass(frozen=True)
class SessionRow:
    id: int = 0
    browser: str = ""
    ip: str = ""
    started: str = ""
    last_seen: str = ""
    is_current: bool = False


# Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari".
_BROWSERS = (
    (re.compile(r"\bEdg(?:e|A|iOS)?/"), "Edge"),
    (re.compile(r"\b(?:OPR|Opera)/"), "Opera"),
    (re.compile(r"\bSamsungBrowser/"), "Samsung Internet"),
    (re.compile(r"\b(?:Firefox|FxiOS)/"), "Firefox"),
    (re.compile(r"\b(?:HeadlessChrome|Chrome|Chromium|CriOS)/"), "Chrome"),
    (re.compile(r"\bVersion/[\d.]+.*\bSafari/"), "Safari"),
)
_SYSTEMS = (
    (re.compile(r"\b(?:iPhone|iPad|iPod)\b"), "iOS"),
    (re.compile(r"\bAndroid\b"), "Android"),
    (re.compile(r"\bCrOS\b"), "ChromeOS"),
    (re.compile(r"\bWindows\b"), "Windows"),
    (re.compile(r"\bMac OS X\b|\bMacintosh\b"), "macOS"),
    (re.compile(r"\bLinux\b"), "Linux"),
)


def browser_label(user_agent: str) -> str:
    """A readable summary of a User-Agent header: "Chrome on Windows", "Safari on iOS"."""
    agent = user_agent or ""
    browser = next((name for pattern, name in _BROWSERS if pattern.search(agent)), "")
    system = next((name for pattern, name in _SYSTEMS if pattern.search(agent)), "")
    if browser and system:
        return f"{browser} on {system}"
    if browser or system:
        return browser or f"A browser on {system}"
    return "Unknown browser"


def _live(now: datetime):
    """The conditions of a session that still opens something."""
    idle = timedelta(minutes=get_settings().session_idle_minutes)
    return (
        LoginSession.revoked_at.is_(None),
        LoginSession.token_hash.is_not(None),
        LoginSession.expires_at > now,
        LoginSession.last_seen_at > now - idle,
    )


@reads_only
def list_own(*, session: Session, actor: Actor, now: datetime | None = None) -> list[SessionRow]:
    """The person's live sessions, the one they are using first, then the latest seen."""
    now = now or utcnow()
    rows = session.exec(
        select(LoginSession)
        .where(LoginSession.user_id == actor.user_id, *_live(now))
        .order_by(LoginSession.last_seen_at.desc(), LoginSession.id.desc())
    ).all()
    listed = [
        SessionRow(
            id=row.id,
            browser=browser_label(row.user_agent),
            ip=row.ip or "Unknown",
            started=display.moment(row.created_at),
            last_seen=display.moment(row.last_seen_at),
            is_current=row.id == actor.session_id,
        )
        for row in rows
    ]
    return sorted(listed, key=lambda r: not r.is_current)


def end_own(
    *, session: Session, actor: Actor, session_id: int, now: datetime | None = None
) -> None:
    """End one of the person's own sessions. Anyone else's, or one already over, is not
    found; the one in use is ended by signing out."""
    now = now or utcnow()
    login = session.exec(
        select(LoginSession).where(
            LoginSession.id == session_id, LoginSession.user_id == actor.user_id, *_live(now)
        )
    ).first()
    if login is None:
        raise NotFound
    if login.id == actor.session_id:
        raise Invalid("This is the session you are using: sign out to end it.")
    sessions.end(session=session, session_id=login.id, reason=ENDED_BY_OWNER, now=now)
    audit.record(
        session=session,
        actor=actor,
        action="session_ended",
        target_type="login_session",
        target_id=login.id,
        detail=browser_label(login.user_agent),
        at=now,
    )


def end_others(*, session: Session, actor: Actor, now: datetime | None = None) -> int:
    """End every session of the person but the one in use; how many were ended."""
    now = now or utcnow()
    result = session.execute(
        update(LoginSession)
        .where(
            LoginSession.user_id == actor.user_id,
            LoginSession.id != actor.session_id,
            LoginSession.revoked_at.is_(None),
        )
        .values(revoked_at=now, revoked_reason=ENDED_BY_OWNER)
    )
    ended = result.rowcount or 0
    if ended:
        live.changed(session, users=[actor.user_id])
    audit.record(
        session=session,
        actor=actor,
        action="other_sessions_ended",
        target_type="user",
        target_id=actor.user_id,
        detail=f"{ended} ended",
        at=now,
    )
    return ended


def end_all_of_person(
    *, session: Session, actor: Actor, user_id: int, now: datetime | None = None
) -> int:
    """Admins: end every session of a person of their own firm (anyone else's id is not
    found). Their own sessions they end from their account page."""
    scope.require_admin(actor)
    user = session.exec(
        select(User).where(User.id == user_id, User.firm_id == actor.firm_id)
    ).first()
    if user is None:
        raise NotFound
    if user.id == actor.user_id:
        raise Invalid("End your own sessions from your account page.")
    now = now or utcnow()
    ended = sessions.end_all_for_user(
        session=session, user_id=user.id, reason=ENDED_BY_ADMIN, now=now
    )
    audit.record(
        session=session,
        actor=actor,
        action="sessions_ended",
        target_type="user",
        target_id=user.id,
        detail=f"{user.email}: {ended} ended",
        at=now,
    )
    return ended
