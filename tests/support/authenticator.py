"""A software passkey authenticator for service tests: it answers registration and sign-in
options exactly as a browser with a platform authenticator would (attestation "none",
ES256), so the real `webauthn` verification runs on what it makes."""

from __future__ import annotations

import hashlib
import json
import secrets
import struct
from dataclasses import dataclass, field

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

UP, UV, AT = 0x01, 0x04, 0x40


def b64(data: bytes) -> str:
    return bytes_to_base64url(data)


@dataclass
class SoftPasskey:
    """One credential: its key pair, id, counter and the user handle it was made for."""

    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    credential_id: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    sign_count: int = 0
    user_handle: bytes = b""
    rp_id: str = ""

    def cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,
                3: -7,
                -1: 1,
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )


def _client_data(kind: str, challenge: str, origin: str) -> bytes:
    return json.dumps(
        {"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False}
    ).encode()


def register(
    options_json: str,
    *,
    origin: str = "http://localhost:3000",
    rp_id: str | None = None,
    verified: bool = True,
    passkey: SoftPasskey | None = None,
) -> tuple[SoftPasskey, dict]:
    """Answer navigator.credentials.create(options): the new passkey and the JSON response."""
    options = json.loads(options_json)
    rp_id = rp_id or options["rp"]["id"]
    passkey = passkey or SoftPasskey()
    passkey.user_handle = base64url_to_bytes(options["user"]["id"])
    passkey.rp_id = rp_id
    flags = UP | AT | (UV if verified else 0)
    attested = (
        bytes(16) + struct.pack(">H", len(passkey.credential_id)) + passkey.credential_id
    ) + passkey.cose_key()
    auth_data = (
        hashlib.sha256(rp_id.encode()).digest()
        + bytes([flags])
        + struct.pack(">I", passkey.sign_count)
        + attested
    )
    attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
    client_data = _client_data("webauthn.create", options["challenge"], origin)
    response = {
        "id": b64(passkey.credential_id),
        "rawId": b64(passkey.credential_id),
        "type": "public-key",
        "response": {
            "clientDataJSON": b64(client_data),
            "attestationObject": b64(attestation),
            "transports": ["internal", "hybrid"],
        },
        "clientExtensionResults": {},
        "authenticatorAttachment": "platform",
    }
    return passkey, response


def authenticate(
    passkey: SoftPasskey,
    options_json: str,
    *,
    origin: str = "http://localhost:3000",
    rp_id: str | None = None,
    verified: bool = True,
    sign_count: int | None = None,
    user_handle: bytes | None = None,
) -> dict:
    """Answer navigator.credentials.get(options) with this passkey."""
    options = json.loads(options_json)
    rp_id = rp_id or passkey.rp_id or options["rpId"]
    passkey.sign_count = passkey.sign_count + 1 if sign_count is None else sign_count
    flags = UP | (UV if verified else 0)
    auth_data = (
        hashlib.sha256(rp_id.encode()).digest()
        + bytes([flags])
        + struct.pack(">I", passkey.sign_count)
    )
    client_data = _client_data("webauthn.get", options["challenge"], origin)
    signature = passkey.key.sign(
        auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
    )
    handle = passkey.user_handle if user_handle is None else user_handle
    return {
        "id": b64(passkey.credential_id),
        "rawId": b64(passkey.credential_id),
        "type": "public-key",
        "response": {
            "clientDataJSON": b64(client_data),
            "authenticatorData": b64(auth_data),
            "signature": b64(signature),
            "userHandle": b64(handle) if handle else None,
        },
        "clientExtensionResults": {},
        "authenticatorAttachment": "platform",
    }
