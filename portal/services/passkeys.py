"""Passkeys (WebAuthn): registering them, naming and removing them, and signing in with one,
either without a password (a discoverable passkey names its owner) or as the second factor
of a person whose password was just checked.

Every ceremony signs a fresh random challenge. Only its SHA-256 is kept, in the database so
every worker honours the same ones, for two minutes, and it is spent by the first response
that names it, whether that response turns out good or not. The page state keeps the
challenge it asked for in a server-side variable and hands it back here: the browser never
chooses which challenge its answer is checked against. The origin and the relying party ID
come from the settings (PORTAL_ORIGIN, PORTAL_RP_ID), never from the request.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, exists, update
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, select
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from models import Firm, Passkey, User, WebAuthnChallenge, utcnow
from portal.auth import Actor
from portal.db import reads_only
from portal.services import audit, inputs
from portal.services.errors import Invalid, NotFound
from portal.settings import get_settings

if TYPE_CHECKING:
    from portal.services.signin import SignInResult

REGISTER = "register"
AUTHENTICATE = "authenticate"
CHALLENGE_LIFETIME = timedelta(minutes=2)
CHALLENGE_BYTES = 32
RP_NAME = "Bookkeeper Portal"
NAME_LABEL = "Passkey name"
NAME_MAX = 100
# A person with this many passkeys removes one before adding another.
MAX_PER_PERSON = 20
# A browser's answer is a few kilobytes at most; anything far longer is not one.
MAX_RESPONSE_CHARS = 32_000
_TRANSPORTS = frozenset(t.value for t in AuthenticatorTransport)

EXPIRED = "The passkey request expired or was already used. Try again."
NOT_VERIFIED = "The passkey could not be verified. Try again, or use another passkey."
ALREADY_REGISTERED = "That passkey is already registered."
TOO_MANY = (
    f"You have {MAX_PER_PERSON} passkeys, the most one person can have. Remove one you no "
    "longer use first."
)
SIGN_IN_REFUSED = (
    "That passkey could not sign you in. Try again, or sign in with your email and password."
)


@dataclass(frozen=True)
class Ceremony:
    """What the browser needs (`options`, JSON for navigator.credentials.create/get) and what
    the page state keeps to itself until the answer comes back."""

    options: str
    challenge: str
    # Registration only: the WebAuthn user handle the new passkey is made for.
    user_handle: str = ""


@dataclass(frozen=True)
class PasskeyView:
    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None


def exists_clause(user_id: ColumnElement | None = None) -> ColumnElement[bool]:
    """SQL for "this person has a passkey", correlated to `user_id` (User.id by default):
    one of the factors in second_factor.has_factor_clause()."""
    column = User.id if user_id is None else user_id
    return exists().where(Passkey.user_id == column)


def _hash(challenge: bytes) -> str:
    return hashlib.sha256(challenge).hexdigest()


def _issue(session: Session, *, purpose: str, user_id: int | None, now: datetime) -> bytes:
    # Spent and expired challenges are worth nothing: each new one clears them away.
    session.execute(delete(WebAuthnChallenge).where(WebAuthnChallenge.expires_at < now))
    challenge = secrets.token_bytes(CHALLENGE_BYTES)
    session.add(
        WebAuthnChallenge(
            challenge_hash=_hash(challenge),
            purpose=purpose,
            user_id=user_id,
            created_at=now,
            expires_at=now + CHALLENGE_LIFETIME,
        )
    )
    return challenge


def _spend(
    session: Session, *, challenge: str, purpose: str, user_id: int | None, now: datetime
) -> bytes | None:
    """The challenge's bytes if it was issued for this purpose and person, is unexpired and
    unused; it is used from now on. One UPDATE decides, so two answers racing with the same
    challenge cannot both win, on any worker."""
    try:
        raw = base64url_to_bytes(challenge or "")
    except (ValueError, TypeError):
        return None
    if len(raw) != CHALLENGE_BYTES:
        return None
    owner = (
        WebAuthnChallenge.user_id.is_(None)
        if user_id is None
        else WebAuthnChallenge.user_id == user_id
    )
    spent = session.execute(
        update(WebAuthnChallenge)
        .where(
            WebAuthnChallenge.challenge_hash == _hash(raw),
            WebAuthnChallenge.purpose == purpose,
            owner,
            WebAuthnChallenge.used_at.is_(None),
            WebAuthnChallenge.expires_at > now,
        )
        .values(used_at=now)
    )
    return raw if spent.rowcount == 1 else None


def _response(credential: object) -> dict | None:
    """The browser's answer as a JSON object, or None when it cannot be one."""
    if isinstance(credential, dict):
        try:
            credential = json.dumps(credential)
        except (TypeError, ValueError):
            return None
    if not isinstance(credential, str) or len(credential) > MAX_RESPONSE_CHARS:
        return None
    try:
        parsed = json.loads(credential)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _descriptor(passkey: Passkey) -> PublicKeyCredentialDescriptor:
    transports = []
    for name in passkey.transports.split(","):
        if name in _TRANSPORTS:
            transports.append(AuthenticatorTransport(name))
    return PublicKeyCredentialDescriptor(
        id=base64url_to_bytes(passkey.credential_id), transports=transports or None
    )


def _own(session: Session, user_id: int) -> list[Passkey]:
    return list(
        session.exec(select(Passkey).where(Passkey.user_id == user_id).order_by(Passkey.id)).all()
    )


def has_passkey(session: Session, user_id: int) -> bool:
    return session.exec(select(Passkey.id).where(Passkey.user_id == user_id)).first() is not None


def _active_user(session: Session, actor: Actor) -> User:
    user = session.get(User, actor.user_id)
    if user is None or not user.is_active:
        raise NotFound
    return user


def _name(value: object) -> str:
    return inputs.line(value, label=NAME_LABEL, max_length=NAME_MAX, required=True)


# Registering and managing one's own passkeys.


def registration_options(
    *, session: Session, actor: Actor, name: str, now: datetime | None = None
) -> Ceremony:
    """Start registering a passkey for the acting person. The name is checked first, so a bad
    one is refused before the browser asks for anything."""
    now = now or utcnow()
    _name(name)
    user = _active_user(session, actor)
    existing = _own(session, user.id)
    if len(existing) >= MAX_PER_PERSON:
        raise Invalid(TOO_MANY)
    handle = existing[0].user_handle if existing else bytes_to_base64url(secrets.token_bytes(32))
    settings = get_settings()
    challenge = _issue(session, purpose=REGISTER, user_id=user.id, now=now)
    options = generate_registration_options(
        rp_id=settings.rp_id,
        rp_name=RP_NAME,
        user_name=user.email,
        user_id=base64url_to_bytes(handle),
        user_display_name=user.name,
        challenge=challenge,
        timeout=int(CHALLENGE_LIFETIME.total_seconds() * 1000),
        attestation=AttestationConveyancePreference.NONE,
        # Discoverable and user-verifying: such a passkey signs in on its own, no password.
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[_descriptor(p) for p in existing],
    )
    return Ceremony(options_to_json(options), bytes_to_base64url(challenge), handle)


def register(
    *,
    session: Session,
    actor: Actor,
    challenge: str,
    user_handle: str,
    name: str,
    credential: object,
    now: datetime | None = None,
) -> int:
    """Finish registering: verify the browser's answer against the challenge this person was
    given, and keep the passkey. The challenge is spent (and committed) before anything else,
    so even an answer that is refused cannot be tried again."""
    now = now or utcnow()
    label = _name(name)
    user = _active_user(session, actor)
    spent = _spend(session, challenge=challenge, purpose=REGISTER, user_id=user.id, now=now)
    session.commit()
    if spent is None:
        raise Invalid(EXPIRED)
    response = _response(credential)
    settings = get_settings()
    try:
        if response is None:
            raise WebAuthnException("not a JSON object")
        verified = verify_registration_response(
            credential=response,
            expected_challenge=spent,
            expected_rp_id=settings.rp_id,
            expected_origin=settings.origin,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
        audit.record(
            session=session,
            actor=actor,
            action="passkey_added",
            outcome="refused",
            target_type="user",
            target_id=user.id,
            detail=f"not verified: {exc}"[:300],
            at=now,
        )
        session.commit()
        raise Invalid(NOT_VERIFIED) from None
    credential_id = bytes_to_base64url(verified.credential_id)
    if session.exec(select(Passkey.id).where(Passkey.credential_id == credential_id)).first():
        raise Invalid(ALREADY_REGISTERED)
    existing = _own(session, user.id)
    if len(existing) >= MAX_PER_PERSON:
        raise Invalid(TOO_MANY)
    answer = response.get("response") if response else None
    reported = answer.get("transports") if isinstance(answer, dict) else None
    transports = [t for t in reported if t in _TRANSPORTS] if isinstance(reported, list) else []
    passkey = Passkey(
        user_id=user.id,
        credential_id=credential_id,
        public_key=bytes_to_base64url(verified.credential_public_key),
        # Every passkey of a person shares one handle; the first one's comes from the options.
        user_handle=existing[0].user_handle if existing else (user_handle or "")[:100],
        sign_count=verified.sign_count,
        transports=",".join(dict.fromkeys(transports))[:200],
        name=label,
        created_at=now,
    )
    session.add(passkey)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="passkey_added",
        target_type="passkey",
        target_id=passkey.id,
        detail=label,
        at=now,
    )
    return passkey.id


@reads_only
def list_own(*, session: Session, actor: Actor) -> list[PasskeyView]:
    return [
        PasskeyView(p.id, p.name, p.created_at, p.last_used_at)
        for p in _own(session, actor.user_id)
    ]


def _owned(session: Session, actor: Actor, passkey_id: int) -> Passkey:
    """The acting person's own passkey; anyone else's reads exactly like a missing one."""
    passkey = session.get(Passkey, passkey_id)
    if passkey is None or passkey.user_id != actor.user_id:
        raise NotFound
    return passkey


def rename(*, session: Session, actor: Actor, passkey_id: int, name: str) -> None:
    label = _name(name)
    passkey = _owned(session, actor, passkey_id)
    if passkey.name == label:
        return
    before = passkey.name
    passkey.name = label
    session.add(passkey)
    audit.record(
        session=session,
        actor=actor,
        action="passkey_renamed",
        target_type="passkey",
        target_id=passkey.id,
        detail=f"{before} -> {label}",
    )


LAST_FACTOR = (
    "Your firm requires a second factor for your role, and this passkey is your last one. Add "
    "another passkey or set up an authenticator app first, then remove it."
)


def remove(*, session: Session, actor: Actor, passkey_id: int) -> None:
    from portal.services import second_factor

    passkey = _owned(session, actor, passkey_id)
    session.delete(passkey)
    session.flush()
    user = session.get(User, actor.user_id)
    firm = session.get(Firm, user.firm_id) if user else None
    if (
        firm is not None
        and second_factor.policy_requires(firm, user.role)
        and not second_factor.user_has_factor(session, user.id)
    ):
        raise Invalid(LAST_FACTOR)
    audit.record(
        session=session,
        actor=actor,
        action="passkey_removed",
        target_type="passkey",
        target_id=passkey_id,
        detail=passkey.name,
    )


def remove_all_for_user(*, session: Session, user_id: int) -> int:
    """Every passkey of one person gone (an admin resetting their second factor audits it)."""
    result = session.execute(delete(Passkey).where(Passkey.user_id == user_id))
    return result.rowcount or 0


# Signing in with a passkey.


def _authentication_options(
    session: Session,
    *,
    user_id: int | None,
    allow: list[Passkey],
    verification: UserVerificationRequirement,
    now: datetime,
) -> Ceremony:
    challenge = _issue(session, purpose=AUTHENTICATE, user_id=user_id, now=now)
    options = generate_authentication_options(
        rp_id=get_settings().rp_id,
        challenge=challenge,
        timeout=int(CHALLENGE_LIFETIME.total_seconds() * 1000),
        allow_credentials=[_descriptor(p) for p in allow],
        user_verification=verification,
    )
    return Ceremony(options_to_json(options), bytes_to_base64url(challenge))


def sign_in_options(*, session: Session, now: datetime | None = None) -> Ceremony:
    """A passwordless sign-in: no name asked, the passkey the person picks says who they are."""
    return _authentication_options(
        session,
        user_id=None,
        allow=[],
        verification=UserVerificationRequirement.REQUIRED,
        now=now or utcnow(),
    )


def second_factor_options(
    *, session: Session, user_id: int, now: datetime | None = None
) -> Ceremony:
    """A passkey as the second factor of a person whose password was just checked."""
    return _authentication_options(
        session,
        user_id=user_id,
        allow=_own(session, user_id),
        verification=UserVerificationRequirement.PREFERRED,
        now=now or utcnow(),
    )


@dataclass(frozen=True)
class _Checked:
    passkey: Passkey | None
    problem: str = ""


def _check_assertion(
    session: Session,
    *,
    spent: bytes,
    response: dict | None,
    user_id: int | None,
    require_verification: bool,
    now: datetime,
) -> _Checked:
    """Verify an answer to navigator.credentials.get(); on success the passkey's counter and
    last use are updated. `problem` says why not, for the audit log only."""
    if response is None:
        return _Checked(None, "not a passkey response")
    raw_id = response.get("rawId") or response.get("id")
    if not isinstance(raw_id, str) or len(raw_id) > 1400:
        return _Checked(None, "not a passkey response")
    query = select(Passkey).where(Passkey.credential_id == raw_id)
    if user_id is not None:
        query = query.where(Passkey.user_id == user_id)
    passkey = session.exec(query).first()
    if passkey is None:
        return _Checked(None, "unknown passkey")
    answer = response.get("response")
    handle = answer.get("userHandle") if isinstance(answer, dict) else None
    if user_id is None and not handle:
        # A passwordless answer must say whose passkey it is, and say it right.
        return _Checked(passkey, "no user handle in a passwordless answer")
    if handle and handle != passkey.user_handle:
        return _Checked(passkey, "user handle does not match the passkey")
    settings = get_settings()
    try:
        verified = verify_authentication_response(
            credential=response,
            expected_challenge=spent,
            expected_rp_id=settings.rp_id,
            expected_origin=settings.origin,
            credential_public_key=base64url_to_bytes(passkey.public_key),
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=require_verification,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
        reason = str(exc)
        if "sign count" in reason:
            # The authenticator's counter went backwards: a copy of the key may be in use.
            reason = f"sign count went backwards (possible cloned passkey): {reason}"
        return _Checked(passkey, f"not verified: {reason}"[:300])
    passkey.sign_count = verified.new_sign_count
    passkey.last_used_at = now
    session.add(passkey)
    return _Checked(passkey)


def sign_in(
    *,
    session: Session,
    challenge: str,
    credential: object,
    ip: str,
    user_agent: str = "",
    now: datetime | None = None,
) -> SignInResult:
    """Finish a passwordless sign-in: the passkey must verify the person (PIN or biometric),
    and the account must be allowed in exactly as after a password. Commits as it goes."""
    from portal.services import signin  # signin asks this module about second factors

    now = now or utcnow()
    spent = _spend(session, challenge=challenge, purpose=AUTHENTICATE, user_id=None, now=now)
    session.commit()
    if spent is None:
        audit.record(
            session=session,
            action="sign_in",
            outcome="refused",
            detail="passkey: challenge expired, used or unknown",
            ip=ip,
            at=now,
        )
        session.commit()
        return signin.SignInResult(False, EXPIRED)
    response = _response(credential)
    checked = _check_assertion(
        session,
        spent=spent,
        response=response,
        user_id=None,
        require_verification=True,
        now=now,
    )
    user = session.get(User, checked.passkey.user_id) if checked.passkey else None
    if checked.problem or user is None:
        audit.record(
            session=session,
            action="sign_in",
            outcome="refused",
            firm_id=user.firm_id if user else None,
            actor_id=user.id if user else None,
            actor_label=user.email if user else "",
            detail=f"passkey: {checked.problem or 'owner missing'}",
            ip=ip,
            at=now,
        )
        session.commit()
        return signin.SignInResult(False, SIGN_IN_REFUSED)
    refusal = signin._account_refusal(session, user)  # the same refusals as after a password
    if refusal:
        audit.record(
            session=session,
            action="sign_in",
            outcome="refused",
            firm_id=user.firm_id,
            actor_id=user.id,
            actor_label=user.email,
            detail=f"passkey: {refusal[0]}",
            ip=ip,
            at=now,
        )
        session.commit()
        return signin.SignInResult(False, refusal[1])
    # A verified passkey is two factors in itself: no code is asked after it.
    return signin._open_session(
        session,
        user,
        ip=ip,
        user_agent=user_agent,
        now=now,
        detail=f"passkey #{checked.passkey.id}",
    )


def verify_for_user(
    *,
    session: Session,
    user_id: int,
    challenge: str,
    credential: object,
    ip: str = "",
    now: datetime | None = None,
) -> bool:
    """A passkey as the second factor of `user_id` (whose password the caller checked): true
    when one of that person's own passkeys answered the challenge issued for them. Never
    raises on a bad answer, so the caller's transaction keeps the spent challenge, the
    passkey's new counter and the audit row: the caller commits."""
    now = now or utcnow()
    spent = _spend(session, challenge=challenge, purpose=AUTHENTICATE, user_id=user_id, now=now)
    if spent is None:
        problem = "challenge expired, used or unknown"
    else:
        problem = _check_assertion(
            session,
            spent=spent,
            response=_response(credential),
            user_id=user_id,
            require_verification=False,
            now=now,
        ).problem
    if problem:
        user = session.get(User, user_id)
        audit.record(
            session=session,
            action="second_factor",
            outcome="refused",
            firm_id=user.firm_id if user else None,
            actor_id=user_id,
            actor_label=user.email if user else "",
            detail=f"passkey: {problem}",
            ip=ip,
            at=now,
        )
        return False
    return True
