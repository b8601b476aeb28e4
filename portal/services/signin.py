"""Signing in: input checks, throttling, the password check and the session it opens.

Throttling is kept in the database so every worker shares it. An attempt is recorded as
*pending* before the password is checked, inside a transaction that serialises attempts on the
same account, so a burst of parallel tries cannot slip past the count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, select

from models import Firm, SignInAttempt, User, UserRole, utcnow
from portal.auth import (
    burn_password_check,
    normalize_email,
    sign_in_password_problem,
    verify_password,
)
from portal.db import serialize_on
from portal.services import audit, sessions

WINDOW = timedelta(minutes=15)
# Failed tries allowed on one account from one client address within the window.
PER_ADDRESS_LIMIT = 10
# Failed tries allowed on one account from all addresses together: stops a spread-out attack.
ACCOUNT_LIMIT = 50
# An address the account signed in from recently is exempt from the account-wide cap, so an
# attacker spraying from elsewhere cannot lock the real person out.
KNOWN_ADDRESS_DAYS = 30
KEEP_ATTEMPTS = timedelta(days=KNOWN_ADDRESS_DAYS)
_COUNTED = ("pending", "failed")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

WRONG_CREDENTIALS = "The email or password is incorrect."
BAD_EMAIL = "Enter a valid email address, like name@example.com."
DEACTIVATED = "This login has been deactivated. Ask your firm's admin if you need access again."
PORTAL_OFF = (
    "Bookkeeper sign-in is turned off for your firm: the Bookkeeper Portal add-on (which "
    "needs Filing Steps) is not enabled. Ask your firm's admin to turn it on in Settings."
)


@dataclass(frozen=True)
class SignInResult:
    ok: bool
    message: str = ""
    handoff_code: str = ""
    role: str = ""
    must_change_password: bool = False


def _throttle_message(minutes: int) -> str:
    unit = "minute" if minutes == 1 else "minutes"
    return (
        f"Too many failed sign-in attempts for this account. Try again in {minutes} {unit}, "
        "or ask your firm's admin to reset your password."
    )


def _wait_minutes(times: list[datetime], limit: int, now: datetime) -> int:
    """Minutes until enough of the counted tries age out of the window to allow another."""
    oldest_that_matters = sorted(times, reverse=True)[limit - 1]
    return max(1, math.ceil((oldest_that_matters + WINDOW - now).total_seconds() / 60))


def _reserve(
    session: Session, *, email: str, ip: str, now: datetime
) -> tuple[SignInAttempt, User | None, str | None]:
    """Record the try as pending, or as blocked with the reason it may not go ahead."""
    serialize_on(session, f"sign-in:{email}")
    attempt = SignInAttempt(email=email, ip=ip, at=now, outcome="pending")
    session.add(attempt)
    # Writing first takes SQLite's write lock, so the counts below see every earlier try.
    session.flush()
    user = session.exec(select(User).where(User.email == email)).first()
    since = max(now - WINDOW, (user.throttle_reset_at if user else None) or _EPOCH)
    counted = (
        SignInAttempt.email == email,
        SignInAttempt.at >= since,
        SignInAttempt.outcome.in_(_COUNTED),
    )
    from_here = list(
        session.exec(select(SignInAttempt.at).where(*counted, SignInAttempt.ip == ip)).all()
    )
    if len(from_here) > PER_ADDRESS_LIMIT:
        attempt.outcome = "blocked"
        wait = _wait_minutes(from_here, PER_ADDRESS_LIMIT + 1, now)
        return attempt, user, _throttle_message(wait)
    everywhere = session.exec(select(func.count()).select_from(SignInAttempt).where(*counted)).one()
    if everywhere > ACCOUNT_LIMIT:
        known = session.exec(
            select(SignInAttempt.id).where(
                SignInAttempt.email == email,
                SignInAttempt.ip == ip,
                SignInAttempt.outcome == "succeeded",
                SignInAttempt.at >= now - timedelta(days=KNOWN_ADDRESS_DAYS),
            )
        ).first()
        if known is None:
            times = list(session.exec(select(SignInAttempt.at).where(*counted)).all())
            attempt.outcome = "blocked"
            return attempt, user, _throttle_message(_wait_minutes(times, ACCOUNT_LIMIT + 1, now))
    return attempt, user, None


def sign_in(
    *,
    session: Session,
    email: str,
    password: str,
    ip: str,
    user_agent: str = "",
    now: datetime | None = None,
) -> SignInResult:
    """Check credentials and open a session. Commits as it goes: the pending try must be
    visible to parallel attempts before the slow password check starts."""
    now = now or utcnow()
    normalized = normalize_email(email)
    if normalized is None:
        return SignInResult(False, BAD_EMAIL)
    problem = sign_in_password_problem(password)
    if problem:
        return SignInResult(False, problem)

    attempt, user, blocked = _reserve(session, email=normalized, ip=ip, now=now)
    if blocked:
        audit.record(
            session=session,
            action="sign_in",
            outcome="refused",
            firm_id=user.firm_id if user else None,
            actor_id=user.id if user else None,
            actor_label=normalized,
            detail="throttled",
            ip=ip,
            at=now,
        )
        session.commit()
        return SignInResult(False, blocked)
    session.commit()

    if user is None:
        burn_password_check(password)
        verified = False
    else:
        verified = verify_password(password, user.password_hash)

    attempt.outcome = "succeeded" if verified else "failed"
    session.add(attempt)
    if not verified:
        audit.record(
            session=session,
            action="sign_in",
            outcome="refused",
            firm_id=user.firm_id if user else None,
            actor_id=user.id if user else None,
            actor_label=normalized,
            detail="wrong email or password",
            ip=ip,
            at=now,
        )
        session.commit()
        return SignInResult(False, WRONG_CREDENTIALS)

    refusal = _account_refusal(session, user)
    if refusal:
        audit.record(
            session=session,
            action="sign_in",
            outcome="refused",
            firm_id=user.firm_id,
            actor_id=user.id,
            actor_label=normalized,
            detail=refusal[0],
            ip=ip,
            at=now,
        )
        session.commit()
        return SignInResult(False, refusal[1])

    code = sessions.start(session=session, user=user, ip=ip, user_agent=user_agent, now=now)
    user.last_sign_in_at = now
    session.add(user)
    audit.record(
        session=session,
        action="sign_in",
        firm_id=user.firm_id,
        actor_id=user.id,
        actor_label=normalized,
        target_type="user",
        target_id=user.id,
        ip=ip,
        at=now,
    )
    session.execute(
        delete(SignInAttempt).where(
            SignInAttempt.email == normalized, SignInAttempt.at < now - KEEP_ATTEMPTS
        )
    )
    session.commit()
    return SignInResult(
        True, handoff_code=code, role=user.role, must_change_password=user.must_change_password
    )


def _account_refusal(session: Session, user: User) -> tuple[str, str] | None:
    """Reasons a correct password still opens nothing. Only said after the password matched."""
    if not user.is_active:
        return "deactivated", DEACTIVATED
    if user.role == UserRole.BOOKKEEPER:
        firm = session.get(Firm, user.firm_id)
        if firm is None or not sessions.portal_open_for(firm):
            return "portal add-on off", PORTAL_OFF
    return None
