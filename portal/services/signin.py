"""Signing in: input checks, throttling, the password check and the session it opens.

Throttling is kept in the database so every worker shares it. An attempt is recorded as
*pending* before the password is checked, inside a transaction that serialises attempts on the
same account, so a burst of parallel tries cannot slip past the count.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, update
from sqlmodel import Session, select

from models import Firm, SignInAttempt, SignInChallenge, User, UserRole, utcnow
from portal.auth import (
    burn_password_check,
    digest,
    looks_like_secret,
    new_secret,
    normalize_email,
    sign_in_password_problem,
    verify_password,
)
from portal.db import serialize_on
from portal.services import audit, passkeys, second_factor, sessions

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
# After the password, the code must follow within this time and these many tries.
CHALLENGE_TTL = timedelta(minutes=5)
CHALLENGE_TRIES = 5
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

WRONG_CREDENTIALS = "The email or password is incorrect."
BAD_EMAIL = "Enter a valid email address, like name@example.com."
DEACTIVATED = "This login has been deactivated. Ask your firm's admin if you need access again."
PORTAL_OFF = (
    "Bookkeeper sign-in is turned off for your firm: the Bookkeeper Portal add-on (which "
    "needs Filing Steps) is not enabled. Ask your firm's admin to turn it on in Settings."
)
CHALLENGE_ENDED = (
    "This sign-in has expired or was already used. Start again with your email and password."
)
CHALLENGE_SPENT = "Too many wrong codes for this sign-in. Start again with your email and password."


@dataclass(frozen=True)
class SignInResult:
    ok: bool
    message: str = ""
    handoff_code: str = ""
    role: str = ""
    must_change_password: bool = False
    # The firm's policy requires a second factor this person has not set up yet.
    must_enrol: bool = False
    # The password matched and a second factor is needed: `pending` names the challenge
    # (keep it server side); finish_with_code takes it with the code.
    needs_second_factor: bool = False
    pending: str = ""
    # The challenge is over (expired, used, too many wrong codes): back to the password.
    restart: bool = False
    # Which second factors the person can answer with: an app's code, a passkey, or both.
    with_code: bool = False
    with_passkey: bool = False


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

    session.execute(
        delete(SignInAttempt).where(
            SignInAttempt.email == normalized, SignInAttempt.at < now - KEEP_ATTEMPTS
        )
    )
    if second_factor.user_has_factor(session, user.id):
        return _challenge(session, user, ip=ip, now=now)
    return _open_session(session, user, ip=ip, user_agent=user_agent, now=now)


def _challenge(session: Session, user: User, *, ip: str, now: datetime) -> SignInResult:
    """The password matched; the second factor is still to come. No session yet."""
    pending = new_secret()
    session.execute(
        delete(SignInChallenge).where(
            SignInChallenge.user_id == user.id, SignInChallenge.created_at < now - timedelta(days=1)
        )
    )
    session.add(
        SignInChallenge(
            user_id=user.id,
            secret_hash=digest(pending),
            created_at=now,
            expires_at=now + CHALLENGE_TTL,
            ip=ip[:64],
        )
    )
    audit.record(
        session=session,
        action="sign_in_password",
        firm_id=user.firm_id,
        actor_id=user.id,
        actor_label=user.email,
        target_type="user",
        target_id=user.id,
        detail="password accepted; second factor asked",
        ip=ip,
        at=now,
    )
    session.commit()
    return SignInResult(
        False,
        needs_second_factor=True,
        pending=pending,
        with_code=user.totp_enabled_at is not None,
        with_passkey=passkeys.has_passkey(session, user.id),
    )


def _open_session(
    session: Session, user: User, *, ip: str, user_agent: str, now: datetime, detail: str = ""
) -> SignInResult:
    code = sessions.start(session=session, user=user, ip=ip, user_agent=user_agent, now=now)
    user.last_sign_in_at = now
    session.add(user)
    audit.record(
        session=session,
        action="sign_in",
        firm_id=user.firm_id,
        actor_id=user.id,
        actor_label=user.email,
        target_type="user",
        target_id=user.id,
        detail=detail,
        ip=ip,
        at=now,
    )
    firm = session.get(Firm, user.firm_id)
    must_enrol = bool(
        firm
        and second_factor.policy_requires(firm, user.role)
        and not second_factor.user_has_factor(session, user.id)
    )
    session.commit()
    return SignInResult(
        True,
        handoff_code=code,
        role=user.role,
        must_change_password=user.must_change_password,
        must_enrol=must_enrol,
    )


def finish_with_code(
    *,
    session: Session,
    pending: str,
    code: str,
    ip: str,
    user_agent: str = "",
    now: datetime | None = None,
) -> SignInResult:
    """The second step: an authenticator code or a recovery code for the challenge the
    password opened. Each challenge takes one good code, within 5 minutes and 5 tries."""
    now = now or utcnow()
    return _second_step(
        session,
        pending,
        lambda user: second_factor.check_code(session, user, code, ip=ip, now=now),
        ip=ip,
        user_agent=user_agent,
        now=now,
    )


def _alive_challenge(session: Session, pending: str, now: datetime) -> SignInChallenge | None:
    if not looks_like_secret(pending):
        return None
    return session.exec(
        select(SignInChallenge).where(
            SignInChallenge.secret_hash == digest(pending),
            SignInChallenge.used_at.is_(None),
            SignInChallenge.expires_at > now,
            SignInChallenge.failures < CHALLENGE_TRIES,
        )
    ).first()


def passkey_options(
    *, session: Session, pending: str, now: datetime | None = None
) -> passkeys.Ceremony | None:
    """A passkey ceremony for the person whose password opened this challenge, or None when
    the challenge is over or they have no passkey. The person is read from the challenge,
    never from the browser."""
    now = now or utcnow()
    challenge = _alive_challenge(session, pending, now)
    if challenge is None or not passkeys.has_passkey(session, challenge.user_id):
        return None
    return passkeys.second_factor_options(session=session, user_id=challenge.user_id, now=now)


def finish_with_passkey(
    *,
    session: Session,
    pending: str,
    challenge: str,
    credential: object,
    ip: str,
    user_agent: str = "",
    now: datetime | None = None,
) -> SignInResult:
    """The second step answered with one of the person's own passkeys, under the same rules
    as a code: within 5 minutes and 5 tries of the password, once."""
    now = now or utcnow()

    def check(user: User) -> second_factor.CodeCheck:
        ok = passkeys.verify_for_user(
            session=session,
            user_id=user.id,
            challenge=challenge,
            credential=credential,
            ip=ip,
            now=now,
        )
        return second_factor.CodeCheck(ok, "" if ok else passkeys.NOT_VERIFIED, kind="passkey")

    return _second_step(session, pending, check, ip=ip, user_agent=user_agent, now=now)


_SECOND_STEP_DETAIL = {
    "recovery": "with a recovery code",
    "totp": "with an authenticator app",
    "passkey": "with a passkey",
}


def _second_step(
    session: Session,
    pending: str,
    check: Callable[[User], second_factor.CodeCheck],
    *,
    ip: str,
    user_agent: str,
    now: datetime,
) -> SignInResult:
    if not looks_like_secret(pending):
        return SignInResult(False, CHALLENGE_ENDED, restart=True)
    challenge = session.exec(
        select(SignInChallenge).where(SignInChallenge.secret_hash == digest(pending))
    ).first()
    if challenge is None:
        return SignInResult(False, CHALLENGE_ENDED, restart=True)
    # Counted as a failure before the check (and given back on success): the UPDATE only
    # passes while the challenge is alive, and serialises tries on it, across workers.
    alive = session.execute(
        update(SignInChallenge)
        .where(
            SignInChallenge.id == challenge.id,
            SignInChallenge.used_at.is_(None),
            SignInChallenge.expires_at > now,
            SignInChallenge.failures < CHALLENGE_TRIES,
        )
        .values(failures=SignInChallenge.failures + 1)
    ).rowcount
    if not alive:
        session.rollback()
        return SignInResult(False, CHALLENGE_ENDED, restart=True)
    session.refresh(challenge)
    user = session.get(User, challenge.user_id)
    refusal = _account_refusal(session, user) if user is not None else ("gone", CHALLENGE_ENDED)
    if refusal:
        challenge.used_at = now
        session.add(challenge)
        session.commit()
        return SignInResult(False, refusal[1], restart=True)
    checked = check(user)
    if not checked.ok:
        spent = challenge.failures >= CHALLENGE_TRIES
        audit.record(
            session=session,
            action="sign_in",
            outcome="refused",
            firm_id=user.firm_id,
            actor_id=user.id,
            actor_label=user.email,
            detail=(
                "throttled"
                if checked.message.startswith("Too many")
                else ("passkey not verified" if checked.kind == "passkey" else "wrong code")
            ),
            ip=ip,
            at=now,
        )
        session.commit()
        if spent and not checked.message.startswith("Too many"):
            return SignInResult(False, CHALLENGE_SPENT, restart=True)
        return SignInResult(False, checked.message)
    challenge.failures -= 1
    challenge.used_at = now
    session.add(challenge)
    second_factor.forget_old_failures(session, user.id, now)
    detail = _SECOND_STEP_DETAIL.get(checked.kind, "with an authenticator app")
    return _open_session(session, user, ip=ip, user_agent=user_agent, now=now, detail=detail)


def _account_refusal(session: Session, user: User) -> tuple[str, str] | None:
    """Reasons a correct password still opens nothing. Only said after the password matched."""
    if not user.is_active:
        return "deactivated", DEACTIVATED
    if user.role == UserRole.BOOKKEEPER:
        firm = session.get(Firm, user.firm_id)
        if firm is None or not sessions.portal_open_for(firm):
            return "portal add-on off", PORTAL_OFF
    return None
