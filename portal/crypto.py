"""Secrets at rest (the authenticator apps' TOTP secrets): AES-256-GCM with one key.

The key is PORTAL_SECRET_KEY (32 random bytes in base64), or, for the embedded default, a
key generated once into the data folder (`secret.key`, permissions 0600). Every machine of a
cluster must be given the same PORTAL_SECRET_KEY. A malformed key stops the app at start-up
with a message that says how to make a good one; it never falls back to another key.

Each value is sealed with a fresh 96-bit nonce and, as associated data, what it is for (the
`context`, such as "totp:17"): a ciphertext copied onto another person's row does not open.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import secrets
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from portal.settings import get_settings

KEY_ENV = "PORTAL_SECRET_KEY"
KEY_FILE = "secret.key"
KEY_BYTES = 32
_NONCE_BYTES = 12
_VERSION = "v1"
HOW_TO_MAKE_ONE = (
    'make one with: python -c "import base64, os; print(base64.b64encode(os.urandom(32)).decode())"'
)


class KeyProblem(RuntimeError):
    """The configured key cannot be used: said at start-up, in words that say what to do."""


class CannotDecrypt(ValueError):
    """The value was sealed with another key, for another purpose, or has been altered."""


def parse_key(raw: str, *, where: str = KEY_ENV) -> bytes:
    """32 bytes from their base64 (standard or URL-safe alphabet, padding optional)."""
    text = (raw or "").strip()
    padded = text + "=" * (-len(text) % 4)
    try:
        key = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        raise KeyProblem(
            f"{where} is not base64. It must be {KEY_BYTES} random bytes in "
            f"base64; {HOW_TO_MAKE_ONE}"
        ) from None
    if len(key) != KEY_BYTES:
        raise KeyProblem(
            f"{where} decodes to {len(key)} bytes; it must be exactly {KEY_BYTES} random bytes "
            f"in base64; {HOW_TO_MAKE_ONE}"
        )
    return key


def _read_or_make(path: Path) -> bytes:
    """The data folder's key, made once. Written under another name and linked into place,
    so two workers starting together agree on one key and nobody reads half a file."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as out:
                out.write(base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode() + "\n")
            with contextlib.suppress(FileExistsError):
                os.link(staging, path)
        finally:
            staging.unlink(missing_ok=True)
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)
    return parse_key(path.read_text(), where=str(path))


@lru_cache(maxsize=4)
def _key_for(raw: str, data_dir: Path) -> bytes:
    if raw:
        return parse_key(raw)
    return _read_or_make(data_dir / KEY_FILE)


def key_for(data_dir: Path, raw: str = "") -> bytes:
    """The key a deployment with this data folder and PORTAL_SECRET_KEY uses."""
    return _key_for(raw.strip(), Path(data_dir))


def current_key() -> bytes:
    settings = get_settings()
    return key_for(settings.data_dir, settings.secret_key)


def check_configuration() -> None:
    """At start-up: a malformed PORTAL_SECRET_KEY (or key file) stops the app here, with a
    clear message, instead of at the first sign-in. A key file not made yet is made at first
    use, so building the app writes nothing into the data folder."""
    settings = get_settings()
    if settings.secret_key:
        parse_key(settings.secret_key)
    elif (settings.data_dir / KEY_FILE).exists():
        current_key()


def encrypt(data: bytes, *, context: str = "", key: bytes | None = None) -> str:
    nonce = secrets.token_bytes(_NONCE_BYTES)
    sealed = AESGCM(key or current_key()).encrypt(nonce, data, context.encode() or None)
    return f"{_VERSION}:" + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def decrypt(token: str, *, context: str = "", key: bytes | None = None) -> bytes:
    version, _, body = (token or "").partition(":")
    if version != _VERSION:
        raise CannotDecrypt("not a sealed value")
    try:
        raw = base64.urlsafe_b64decode(body.encode("ascii"))
        return AESGCM(key or current_key()).decrypt(
            raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context.encode() or None
        )
    except (InvalidTag, ValueError, binascii.Error):
        raise CannotDecrypt("the value does not open with this key") from None
