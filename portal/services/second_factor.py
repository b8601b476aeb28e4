"""The second factor: authenticator apps (TOTP, RFC 6238), recovery codes, the firm's policy.

- Enrolment happens on the person's own security page. The secret is made here, sealed with
  portal/crypto.py and kept in the person's row as *pending* until a code from the app
  confirms it; only then is the factor on. The secret is shown (as a QR code and as text)
  during enrolment only, and never leaves the server again.
- A code is accepted within one time step either side of now, and only once: the last step
  accepted is stored, and a code of that step or an earlier one is refused, across workers
  (a conditional UPDATE decides).
- Ten recovery codes are made when the factor is switched on, shown once, and each works once.
  They carry 59 random bits each, under ASVS's 112, so each is stored as a salted scrypt hash
  (ASVS 5.0 6.5.2), never a fast one: a stolen table does not give them up.
- Wrong codes, at sign-in and here, are counted per account in the database (FactorFailure):
  the second factor's own throttle, shared by every worker.
- "Has a factor" is one SQL expression, `has_factor_clause()`, which the session lookup and
  sign-in both use; a new kind of factor (passkeys) adds itself there and in `clear_factors`.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
import segno
from sqlalchemy import ColumnElement, delete, func, or_, update
from sqlmodel import Session, select

from models import FactorFailure, Firm, RecoveryCode, User, UserRole, utcnow
from portal import crypto
from portal.auth import Actor
from portal.db import reads_only, serialize_on
from portal.services import audit, display, live, passkeys, scope
from portal.services.errors import Invalid, NotFound

ISSUER = "Bookkeeper Portal"
STEP_SECONDS = 30
DIGITS = 6
# Codes of the previous and the next step are accepted too: clocks drift, people are slow.
WINDOW_STEPS = 1
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper
_RECOVERY_GROUPS = 3
_RECOVERY_GROUP_CHARS = 4
# The second factor's throttle: wrong codes per account within the window.
FAILURE_WINDOW = timedelta(minutes=15)
FAILURE_LIMIT = 10
KEEP_FAILURES = timedelta(days=1)

WRONG_CODE = (
    "That code is not correct. Check your authenticator app and type the code it shows now."
)
REPLAYED_CODE = (
    "That code has already been used. Wait for your authenticator app to show a new code, "
    "then type that one."
)
USED_RECOVERY = "That recovery code is not valid or has already been used. Each one works once."
NO_CODE = "Enter the 6-digit code from your authenticator app, or one of your recovery codes."


def _throttled_message(minutes: int) -> str:
    unit = "minute" if minutes == 1 else "minutes"
    return (
        f"Too many wrong codes for this account. Try again in {minutes} {unit}, or ask your "
        "firm's admin to reset your second factor."
    )


# -- The one definition of "has a factor" ---------------------------------------------------


def has_factor_clause() -> ColumnElement[bool]:
    """True for a user_account row that has any second factor: an authenticator app or a
    passkey. Correlates on User: usable as a column of a select over User (the session
    lookup) or in its WHERE."""
    return or_(User.totp_enabled_at.is_not(None), passkeys.exists_clause())


def policy_requires(firm, role: str) -> bool:
    """Whether the firm's policy asks a second factor of this role (firm: a Firm or a row
    with its mfa_* columns)."""
    if role == UserRole.ADMIN:
        return bool(firm.mfa_admins)
    if role == UserRole.STAFF:
        return bool(firm.mfa_staff)
    if role == UserRole.BOOKKEEPER:
        return bool(firm.mfa_bookkeepers)
    return False


def user_has_factor(session: Session, user_id: int) -> bool:
    found = session.exec(select(User.id).where(User.id == user_id, has_factor_clause())).first()
    return found is not None


def clear_factors(session: Session, user: User) -> None:
    """Remove every second factor of one person: the hook a new kind of factor (passkeys)
    extends, so an admin's reset removes it too."""
    user.totp_secret = None
    user.totp_pending = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    user.version += 1
    session.add(user)
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    passkeys.remove_all_for_user(session=session, user_id=user.id)


# -- Secrets, codes and their checks ---------------------------------------------------------


def _context(user_id: int) -> str:
    return f"totp:{user_id}"


def _seal(user_id: int, secret: str) -> str:
    return crypto.encrypt(secret.encode("ascii"), context=_context(user_id))


def _open(user_id: int, sealed: str) -> str:
    return crypto.decrypt(sealed, context=_context(user_id)).decode("ascii")


def time_step(now: datetime) -> int:
    return math.floor(now.timestamp()) // STEP_SECONDS


def normalize_totp(code: object) -> str | None:
    """Six digits, spaces and dashes allowed between them; None when it cannot be one."""
    text = "".join(str(code or "").split()).replace("-", "")
    return text if len(text) == DIGITS and text.isascii() and text.isdigit() else None


def normalize_recovery(code: object) -> str | None:
    text = "".join(str(code or "").split()).replace("-", "").lower()
    want = _RECOVERY_GROUPS * _RECOVERY_GROUP_CHARS
    if len(text) != want or any(ch not in _RECOVERY_ALPHABET for ch in text):
        return None
    return text


# scrypt's cost: about 40 ms a code on this machine. A recovery code is tried only after the
# password matched, and wrong ones are throttled, so checking ten costs little where it counts.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


def _recovery_hash(normalized: str, salt: bytes | None = None) -> str:
    """ "scrypt$<salt hex>$<hash hex>" of a normalized recovery code, with a fresh salt unless
    one is given (to check a code against a stored hash)."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(normalized.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def _recovery_matches(normalized: str, stored: str) -> bool:
    kind, _, rest = stored.partition("$")
    salt_hex, _, _ = rest.partition("$")
    if kind != "scrypt" or not salt_hex:
        return False
    return hmac.compare_digest(_recovery_hash(normalized, bytes.fromhex(salt_hex)), stored)


def _new_recovery_code() -> str:
    groups = (
        "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_GROUP_CHARS))
        for _ in range(_RECOVERY_GROUPS)
    )
    return "-".join(groups)


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step within the window whose code this is, newest first; None if none."""
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    current = time_step(now)
    found = None
    for step in range(current - WINDOW_STEPS, current + WINDOW_STEPS + 1):
        # Every step is compared, so the time taken says nothing about which one matched.
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    return found


@dataclass(frozen=True)
class CodeCheck:
    ok: bool
    message: str = ""
    # "totp", "recovery" or "passkey": which kind of answer was checked.
    kind: str = ""


def _accept_step(session: Session, user_id: int, step: int) -> bool:
    """Claim the step: only a step later than the last accepted one passes, once."""
    result = session.execute(
        update(User)
        .where(
            User.id == user_id,
            or_(User.totp_last_step.is_(None), User.totp_last_step < step),
        )
        .values(totp_last_step=step)
    )
    return bool(result.rowcount)


def _use_recovery(session: Session, user_id: int, normalized: str, now: datetime) -> bool:
    """Find the unused code it matches (each is salted, so each is checked), then claim it
    with a conditional UPDATE: two requests with one code succeed once."""
    unused = session.exec(
        select(RecoveryCode.id, RecoveryCode.code_hash).where(
            RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None)
        )
    ).all()
    matched = None
    for code_id, stored in unused:
        # Every code is checked, so the time taken says nothing about which one matched.
        if _recovery_matches(normalized, stored):
            matched = code_id
    if matched is None:
        return False
    result = session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.id == matched, RecoveryCode.used_at.is_(None))
        .values(used_at=now)
    )
    return bool(result.rowcount)


def throttle_problem(session: Session, user: User, now: datetime) -> str | None:
    """Serialises code checks on the account and says when too many were wrong lately.
    Call before checking a code, in the transaction that records the outcome."""
    serialize_on(session, f"second-factor:{user.id}")
    since = max(now - FAILURE_WINDOW, user.throttle_reset_at or now - FAILURE_WINDOW)
    times = list(
        session.exec(
            select(FactorFailure.at).where(
                FactorFailure.user_id == user.id, FactorFailure.at >= since
            )
        ).all()
    )
    if len(times) < FAILURE_LIMIT:
        return None
    oldest = sorted(times, reverse=True)[FAILURE_LIMIT - 1]
    wait = max(1, math.ceil((oldest + FAILURE_WINDOW - now).total_seconds() / 60))
    return _throttled_message(wait)


def check_code(session: Session, user: User, code: object, *, ip: str, now: datetime) -> CodeCheck:
    """Check an authenticator code or a recovery code for an enrolled person, once; a wrong
    one is counted (the caller commits, whatever the answer)."""
    problem = throttle_problem(session, user, now)
    if problem:
        return CodeCheck(False, problem)
    totp = normalize_totp(code)
    recovery = None if totp else normalize_recovery(code)
    if totp is None and recovery is None:
        return CodeCheck(False, NO_CODE)
    if totp is not None and user.totp_secret:
        step = _matching_step(_open(user.id, user.totp_secret), totp, now)
        if step is not None:
            if _accept_step(session, user.id, step):
                return CodeCheck(True, kind="totp")
            _count_failure(session, user.id, ip, now)
            return CodeCheck(False, REPLAYED_CODE)
        _count_failure(session, user.id, ip, now)
        return CodeCheck(False, WRONG_CODE)
    if recovery is not None and _use_recovery(session, user.id, recovery, now):
        return CodeCheck(True, kind="recovery")
    _count_failure(session, user.id, ip, now)
    return CodeCheck(False, USED_RECOVERY if recovery is not None else WRONG_CODE)


def _count_failure(session: Session, user_id: int, ip: str, now: datetime) -> None:
    session.add(FactorFailure(user_id=user_id, at=now, ip=(ip or "")[:64]))


def forget_old_failures(session: Session, user_id: int, now: datetime) -> None:
    session.execute(
        delete(FactorFailure).where(
            FactorFailure.user_id == user_id, FactorFailure.at < now - KEEP_FAILURES
        )
    )


# -- The person's own security page -------------------------------------------------------------


@dataclass(frozen=True)
class FactorStatus:
    totp_on: bool = False
    enabled_on: str = ""
    recovery_left: int = 0
    # The firm's policy asks a second factor of this person.
    required: bool = False


@dataclass(frozen=True)
class Enrolment:
    """What the enrolment screen shows: the secret as a QR code and as text. Shown during
    enrolment only; once the factor is on, it is never sent again."""

    qr_svg: str = ""
    manual_key: str = ""


@dataclass(frozen=True)
class FactorChange:
    """The outcome of a change that needs a current code. A wrong code is an answer, not an
    error: its count must be committed, so the service returns instead of raising."""

    ok: bool
    message: str = ""
    recovery_codes: tuple[str, ...] = ()


def _me(session: Session, actor: Actor) -> User:
    user = session.get(User, actor.user_id)
    if user is None or not user.is_active or user.firm_id != actor.firm_id:
        raise NotFound
    return user


@reads_only
def status(*, session: Session, actor: Actor) -> FactorStatus:
    user = _me(session, actor)
    firm = session.get(Firm, user.firm_id)
    left = session.exec(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    ).one()
    return FactorStatus(
        totp_on=user.totp_enabled_at is not None,
        enabled_on=display.moment(user.totp_enabled_at) if user.totp_enabled_at else "",
        recovery_left=left,
        required=policy_requires(firm, user.role) if firm else False,
    )


def _qr_svg(uri: str) -> str:
    qr = segno.make(uri, error="m")
    svg = qr.svg_inline(scale=5, dark="#000", light="#fff", border=4, omitsize=False)
    return svg.replace(
        "<svg ",
        '<svg role="img" aria-label="QR code to scan with your authenticator app" ',
        1,
    )


def start_enrolment(*, session: Session, actor: Actor) -> Enrolment:
    """Make a new secret, kept sealed as pending until a code confirms it."""
    user = _me(session, actor)
    if user.totp_enabled_at is not None:
        raise Invalid(
            "An authenticator app is already set up. Turn it off first to set up another."
        )
    secret = pyotp.random_base32()  # 160 bits, as RFC 4226 recommends
    user.totp_pending = _seal(user.id, secret)
    session.add(user)
    uri = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=user.email, issuer_name=ISSUER
    )
    audit.record(
        session=session,
        actor=actor,
        action="totp_enrolment_started",
        target_type="user",
        target_id=user.id,
    )
    return Enrolment(
        qr_svg=_qr_svg(uri),
        manual_key=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
    )


def cancel_enrolment(*, session: Session, actor: Actor) -> None:
    user = _me(session, actor)
    if user.totp_pending is not None:
        user.totp_pending = None
        session.add(user)


def _replace_recovery_codes(session: Session, user_id: int, now: datetime) -> tuple[str, ...]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = tuple(_new_recovery_code() for _ in range(RECOVERY_CODES))
    for code in codes:
        session.add(
            RecoveryCode(
                user_id=user_id, code_hash=_recovery_hash(normalize_recovery(code)), created_at=now
            )
        )
    return codes


def confirm_enrolment(*, session: Session, actor: Actor, code: object) -> tuple[str, ...]:
    """Switch the pending secret on once a code from the app matches it; returns the new
    recovery codes, to be shown once."""
    now = utcnow()
    user = _me(session, actor)
    if user.totp_enabled_at is not None:
        raise Invalid("Your authenticator app is already set up.")
    if user.totp_pending is None:
        raise Invalid("This set-up has ended. Start again to get a new QR code.")
    totp = normalize_totp(code)
    if totp is None:
        raise Invalid("Enter the 6-digit code your authenticator app shows for this portal.")
    secret = _open(user.id, user.totp_pending)
    step = _matching_step(secret, totp, now)
    if step is None:
        raise Invalid(
            "That code does not match. Check that your app added this portal from the QR code "
            "above (or the key), then type the code it shows now."
        )
    user.totp_secret = user.totp_pending
    user.totp_pending = None
    user.totp_enabled_at = now
    # The code just used confirms the set-up and cannot also sign someone in.
    user.totp_last_step = step
    user.version += 1
    session.add(user)
    codes = _replace_recovery_codes(session, user.id, now)
    audit.record(
        session=session,
        actor=actor,
        action="totp_enabled",
        target_type="user",
        target_id=user.id,
        at=now,
    )
    return codes


def disable(*, session: Session, actor: Actor, code: object) -> FactorChange:
    """Turn the authenticator app off, with a current code (or a recovery code). Refused
    while the firm's policy requires a factor and this is the person's only one."""
    now = utcnow()
    user = _me(session, actor)
    if user.totp_enabled_at is None:
        raise Invalid("No authenticator app is set up.")
    checked = check_code(session, user, code, ip=actor.ip, now=now)
    if not checked.ok:
        _audit_wrong(session, actor, "totp_disable", checked)
        return FactorChange(False, checked.message)
    firm = session.get(Firm, user.firm_id)
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    user.version += 1
    session.add(user)
    session.flush()
    if (
        firm is not None
        and policy_requires(firm, user.role)
        and not user_has_factor(session, user.id)
    ):
        # Nothing above is kept: the unit of work rolls back.
        raise Invalid(
            "Your firm requires a second factor for your role, and this is your only one. "
            "Add another (such as a passkey) before turning this off."
        )
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    audit.record(
        session=session,
        actor=actor,
        action="totp_disabled",
        target_type="user",
        target_id=user.id,
        at=now,
    )
    return FactorChange(True, "Your authenticator app is turned off.")


def regenerate_recovery_codes(*, session: Session, actor: Actor, code: object) -> FactorChange:
    """New recovery codes for old ones (all of which stop working), with a current code."""
    now = utcnow()
    user = _me(session, actor)
    if user.totp_enabled_at is None:
        raise Invalid("Set up an authenticator app first: recovery codes come with it.")
    checked = check_code(session, user, code, ip=actor.ip, now=now)
    if not checked.ok:
        _audit_wrong(session, actor, "recovery_codes_regenerate", checked)
        return FactorChange(False, checked.message)
    codes = _replace_recovery_codes(session, user.id, now)
    audit.record(
        session=session,
        actor=actor,
        action="recovery_codes_regenerated",
        target_type="user",
        target_id=user.id,
        at=now,
    )
    return FactorChange(True, "New recovery codes are ready. The old ones no longer work.", codes)


def _audit_wrong(session: Session, actor: Actor, action: str, checked: CodeCheck) -> None:
    audit.record(
        session=session,
        actor=actor,
        action=action,
        outcome="refused",
        target_type="user",
        target_id=actor.user_id,
        detail="wrong or used code" if "Too many" not in checked.message else "throttled",
    )


# -- The firm's policy and an admin's reset -----------------------------------------------------


@dataclass(frozen=True)
class FactorPolicy:
    admins: bool = False
    staff: bool = False
    bookkeepers: bool = False


@reads_only
def policy(*, session: Session, actor: Actor) -> FactorPolicy:
    scope.require_admin(actor)
    firm = session.get(Firm, actor.firm_id)
    return FactorPolicy(firm.mfa_admins, firm.mfa_staff, firm.mfa_bookkeepers)


def set_policy(
    *, session: Session, actor: Actor, admins: bool, staff: bool, bookkeepers: bool
) -> None:
    """People now under a requirement without a factor are sent to set one up at their very
    next click (the session lookup derives it); nobody is signed out."""
    scope.require_admin(actor)
    firm = session.get(Firm, actor.firm_id)
    was = (firm.mfa_admins, firm.mfa_staff, firm.mfa_bookkeepers)
    now_ = (bool(admins), bool(staff), bool(bookkeepers))
    if was == now_:
        return
    firm.mfa_admins, firm.mfa_staff, firm.mfa_bookkeepers = now_
    firm.updated_at = utcnow()
    firm.updated_by_id = actor.user_id
    firm.version += 1
    session.add(firm)
    labels = ("admins", "staff", "bookkeepers")
    audit.record(
        session=session,
        actor=actor,
        action="second_factor_policy",
        target_type="firm",
        target_id=firm.id,
        detail="required for: "
        + (", ".join(n for n, on in zip(labels, now_, strict=True) if on) or "nobody"),
    )
    # Open pages load again: whoever is now under a requirement without a factor is sent to
    # set one up at once.
    live.changed(session, firm_id=firm.id)


def reset_for(*, session: Session, actor: Actor, user_id: int) -> str:
    """An admin removes a person's second factors (a lost phone): every factor goes, and
    every session of that person ends. Returns the person's email for the message."""
    scope.require_admin(actor)
    user = session.exec(
        select(User).where(User.id == user_id, User.firm_id == actor.firm_id)
    ).first()
    if user is None:
        raise NotFound
    # Imported here: the session lookup imports this module for has_factor_clause().
    from portal.services import sessions

    clear_factors(session, user)
    ended = sessions.end_all_for_user(
        session=session, user_id=user.id, reason="second factor reset"
    )
    audit.record(
        session=session,
        actor=actor,
        action="second_factor_reset",
        target_type="user",
        target_id=user.id,
        detail=f"{user.email}; {ended} session(s) ended",
    )
    return user.email
