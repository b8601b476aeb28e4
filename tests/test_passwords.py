"""Password hashing and the password policy."""

from __future__ import annotations

import bcrypt
import pytest

from portal import auth


def test_hash_uses_bcrypt_at_cost_12_or_more():
    hashed = auth.hash_password("a sufficiently long one")
    assert hashed.startswith("$2b$")
    assert int(hashed.split("$")[2]) >= 12
    assert auth.verify_password("a sufficiently long one", hashed)
    assert not auth.verify_password("a sufficiently long onE", hashed)


def test_each_hash_is_salted():
    assert auth.hash_password("the same password") != auth.hash_password("the same password")


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("", "Enter a password."),
        ("short", "at least 12 characters"),
        ("x" * 73, "longer than 72 bytes"),
        ("é" * 37, "longer than 72 bytes"),  # 74 bytes in UTF-8, only 37 characters
        ("🔐" * 19, "longer than 72 bytes"),  # 76 bytes
        ("twelve chars\x00here", "NUL"),
    ],
)
def test_policy_refuses_with_a_clear_message(password, expected):
    problem = auth.password_problem(password)
    assert problem is not None and expected in problem
    with pytest.raises(ValueError, match=expected.split()[0]):
        auth.hash_password(password)


def test_exactly_72_bytes_of_multibyte_text_is_accepted_and_never_truncated():
    password = "é" * 36  # 72 bytes
    hashed = auth.hash_password(password)
    assert auth.verify_password(password, hashed)
    # bcrypt would have silently ignored anything past 72 bytes; we refuse to hash it at all,
    # so a longer password sharing the first 72 bytes cannot match.
    assert not auth.verify_password(password + "x", hashed)


def test_verify_never_raises_on_input_bcrypt_rejects():
    hashed = auth.hash_password("a sufficiently long one")
    for bad in ("x" * 200, "é" * 100, "with\x00nul byte", ""):
        assert auth.verify_password(bad, hashed) is False
    with pytest.raises(ValueError):
        bcrypt.checkpw(b"x" * 73, hashed.encode())  # what we are protecting against


def test_verify_with_a_corrupt_hash_is_false():
    assert auth.verify_password("a sufficiently long one", "not-a-hash") is False


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Bea@Demo-Practice.example ", "bea@demo-practice.example"),
        ("a@b", None),
        ("no at sign", None),
        ("two@@signs.example", None),
        ("space in@x.example", None),
        ("", None),
        ("x" * 250 + "@a.example", None),
    ],
)
def test_email_normalisation(raw, expected):
    assert auth.normalize_email(raw) == expected


def test_session_secrets_are_random_and_only_their_digest_is_kept():
    first, second = auth.new_secret(), auth.new_secret()
    assert first != second and auth.looks_like_secret(first)
    assert len(auth.digest(first)) == 64 and auth.digest(first) != first
    assert not auth.looks_like_secret("../../etc/passwd")


def test_read_cookie_ignores_other_cookies_and_junk():
    header = 'theme=dark; bp_session="abc"; other=1; broken'
    assert auth.read_cookie(header) == "abc"
    assert auth.read_cookie("bp_sessionx=1; x=bp_session") is None
    assert auth.read_cookie("") is None
