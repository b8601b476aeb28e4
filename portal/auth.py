"""Passwords, session tokens and the acting user of the event being handled.

Nothing here touches Reflex or the database: it is the small, sharp core that the sign-in
service, the boundary and the download route all share.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import unicodedata
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache

import bcrypt
from zxcvbn import matching as zxcvbn_matching
from zxcvbn import zxcvbn

from portal import text
from portal.settings import get_settings

PASSWORD_MIN_CHARS = 12
# bcrypt only reads 72 bytes; bcrypt 5 raises beyond that. We refuse instead of truncating.
PASSWORD_MAX_BYTES = 72
# zxcvbn's score, 0 to 4: 3 is "safely unguessable" against an offline attack on a slow hash.
PASSWORD_MIN_SCORE = 3
SESSION_COOKIE = "bp_session"
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_EMAIL_RE = re.compile(rf"^[^@\s\x00-\x1f]{{1,64}}@{_LABEL}(?:\.{_LABEL})+$")


@dataclass(frozen=True)
class PersonWords:
    """Who a new password is for: the words it must not contain, and zxcvbn's user inputs."""

    name: str = ""
    email: str = ""
    firm_name: str = ""


def password_problem(password: str, *, person: PersonWords | None = None) -> str | None:
    """Why a new password is not acceptable, in words for the person choosing it.

    Without ``person`` only the cheap structural rules run (what bcrypt and sign-in need).
    With it, as wherever a person chooses or is given a password, the password must also
    not contain their name, email or firm name, and zxcvbn must score it 3 or more.
    """
    if not isinstance(password, str) or not password:
        return "Enter a password."
    if "\x00" in password:
        return "Passwords cannot contain the NUL character."
    if text.has_surrogate(password):
        return "That password contains a broken character (half of an emoji). Type it again."
    # Twelve spaces pass a length rule, but nobody can tell what they typed when signing in.
    if not text.has_visible(password):
        return (
            "A password cannot be only spaces or invisible characters. "
            "Use letters, digits or symbols."
        )
    if len(password.encode("utf-8")) > PASSWORD_MAX_BYTES:
        return (
            f"That password is longer than {PASSWORD_MAX_BYTES} bytes. Choose a shorter one "
            "(accented letters and symbols take more than one byte each)."
        )
    if len(password) < PASSWORD_MIN_CHARS:
        return f"Passwords need at least {PASSWORD_MIN_CHARS} characters."
    if person is None:
        return None
    return _personal_problem(password, person) or _strength_problem(password, person)


def _folded(value: str) -> str:
    """Compatibility-folded, accents dropped, case-folded, letters and digits only."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", value or ""))
    return "".join(
        ch for ch in decomposed.casefold() if ch.isalnum() and not unicodedata.combining(ch)
    )


def _parts(value: str) -> list[str]:
    return [part for part in re.split(r"[\W_]+", value or "") if part]


def _forbidden(person: PersonWords) -> set[str]:
    local = (person.email or "").rpartition("@")[0] if "@" in (person.email or "") else ""
    words = {_folded(person.name), _folded(local), _folded(person.firm_name)}
    words.update(_folded(part) for part in _parts(person.name) + _parts(local))
    # A two-letter name ("Jo") or initial would refuse far too much.
    return {word for word in words if len(word) >= 3}


def _personal_problem(password: str, person: PersonWords) -> str | None:
    folded = _folded(password)
    if any(word in folded for word in _forbidden(person)):
        return "A password cannot contain your name, your email address or your firm's name."
    return None


def _user_inputs(person: PersonWords) -> list[str]:
    local, _, domain = (person.email or "").partition("@")
    inputs = [person.name, *_parts(person.name), local, *_parts(local), person.firm_name]
    inputs += _parts(person.firm_name)
    if domain:
        inputs.append(domain.split(".")[0])
    return [value for value in inputs if value]


# zxcvbn keeps the user inputs in a module-level dictionary while it scores: one at a time.
_ZXCVBN_LOCK = threading.Lock()


# zxcvbn's l33t matcher tries every combination of the substitutions a password's symbols
# allow: with 11 distinct l33t symbols a 72-character password takes 65 ms, with 19 a whole
# second of the worker's CPU. Beyond this many it is left out; the other matchers (sequences,
# keyboard runs, repeats, dictionary words) still judge the password, and a password with that
# many different symbols and digits is not a l33t-spelt dictionary word.
L33T_SYMBOLS_MAX = 10


def _l33t_symbols(password: str) -> int:
    table = zxcvbn_matching.relevant_l33t_subtable(password, zxcvbn_matching.L33T_TABLE)
    return len({symbol for subs in table.values() for symbol in subs})


def _no_l33t(*_args, **_kwargs) -> list:
    return []


def _strength_problem(password: str, person: PersonWords) -> str | None:
    inputs = _user_inputs(person)
    with _ZXCVBN_LOCK:
        if _l33t_symbols(password) <= L33T_SYMBOLS_MAX:
            result = zxcvbn(password, user_inputs=inputs, max_length=PASSWORD_MAX_BYTES)
        else:
            l33t_match = zxcvbn_matching.l33t_match
            zxcvbn_matching.l33t_match = _no_l33t
            try:
                result = zxcvbn(password, user_inputs=inputs, max_length=PASSWORD_MAX_BYTES)
            finally:
                zxcvbn_matching.l33t_match = l33t_match
    if result["score"] >= PASSWORD_MIN_SCORE:
        return None
    warning = (result.get("feedback") or {}).get("warning") or ""
    reason = f": {warning[:1].lower()}{warning[1:].rstrip('.')}" if warning else ""
    return (
        f"That password is too easy to guess{reason}. Add a few unrelated words, or make it longer."
    )


def generate_password(person: PersonWords) -> str:
    """A random temporary password that passes the whole policy for this person."""
    while True:
        candidate = secrets.token_urlsafe(12)
        if password_problem(candidate, person=person) is None:
            return candidate


def sign_in_password_problem(password: str) -> str | None:
    """Input that can never be a valid password, refused before anyone is looked up."""
    if not isinstance(password, str) or not password.strip():
        return "Enter your password."
    if "\x00" in password:
        return "Passwords cannot contain the NUL character. Check what you typed."
    if text.has_surrogate(password):
        return "That password contains a broken character. Check what you typed."
    if len(password.encode("utf-8")) > PASSWORD_MAX_BYTES:
        return (
            f"Passwords here are at most {PASSWORD_MAX_BYTES} bytes long, so this one cannot be "
            "right. Check what you typed."
        )
    return None


def hash_password(password: str) -> str:
    problem = password_problem(password)
    if problem:
        raise ValueError(problem)
    rounds = get_settings().bcrypt_rounds
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds)).decode("ascii")


def verify_password(password: str, password_hash: str) -> bool:
    """Check a password; input bcrypt would refuse simply does not match."""
    if sign_in_password_problem(password):
        return False
    try:
        return bcrypt.checkpw(password.encode("utf-8"), password_hash.encode("ascii"))
    except ValueError:
        return False


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    """A hash checked when the email is unknown, so both answers cost the same bcrypt work."""
    rounds = get_settings().bcrypt_rounds
    return bcrypt.hashpw(secrets.token_bytes(16), bcrypt.gensalt(rounds)).decode("ascii")


def burn_password_check(password: str) -> None:
    verify_password(password, dummy_hash())


def normalize_email(raw: str) -> str | None:
    """Lower-cased address, or None when it cannot be an email address at all.

    Whatever is passed in, the answer is an address or None, never an exception: this is
    the first thing the sign-in form's text meets.
    """
    if not isinstance(raw, str):
        return None
    # NFC, as every other stored text: "é" typed two ways must reach the same login.
    email = unicodedata.normalize("NFC", raw.strip().lower())
    # isprintable() turns away controls, lone surrogates and invisible format characters:
    # an address shown with a direction override or a zero-width space is not the one sent to.
    if len(email) > 254 or not _EMAIL_RE.match(email) or not email.isprintable():
        return None
    return email


def new_secret() -> str:
    """256 random bits, URL-safe: used for session tokens and handoff codes."""
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def looks_like_secret(value: str) -> bool:
    return bool(_TOKEN_RE.match(value or ""))


def read_cookie(cookie_header: str, name: str = SESSION_COOKIE) -> str | None:
    """The named cookie's value from a Cookie header; tolerant of other cookies' syntax."""
    for part in (cookie_header or "").split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key == name:
            return value.strip().strip('"')
    return None


def same_secret(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


@dataclass(frozen=True)
class Actor:
    """The signed-in person behind the current event, as re-read from the server session."""

    user_id: int
    firm_id: int
    role: str
    name: str
    email: str
    session_id: int
    must_change_password: bool
    firm_name: str = ""
    ip: str = ""
    # The firm's policy asks a second factor of this person and they have none yet: until
    # they set one up, they may only do that (portal/access.py, Role.MUST_ENROL).
    must_enrol: bool = False


# Set by the portal boundary before any handler runs; each event runs in its own task.
_acting: ContextVar[Actor | None] = ContextVar("portal_acting_user", default=None)


class NotSignedIn(Exception):
    """No verified session stands behind this event."""


def set_acting(actor: Actor | None) -> None:
    _acting.set(actor)


def acting() -> Actor | None:
    return _acting.get()


def require_acting() -> Actor:
    actor = _acting.get()
    if actor is None:
        raise NotSignedIn
    return actor
