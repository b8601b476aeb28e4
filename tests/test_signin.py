"""Signing in: messages, refusals and throttling."""

from __future__ import annotations

import pytest
from sqlmodel import select

from models import AuditEvent, LoginSession, SignInAttempt
from portal.services import signin
from tests.factories import PASSWORD, make_firm, make_user

IP = "203.0.113.5"


@pytest.fixture
def firm(session):
    firm = make_firm(session, "Alpha")
    session.commit()
    return firm


def attempt(session, email, password=PASSWORD, ip=IP, now=None):
    return signin.sign_in(
        session=session, email=email, password=password, ip=ip, user_agent="pytest", now=now
    )


def test_correct_credentials_open_a_session_through_a_handoff_code(session, firm):
    user = make_user(session, firm, email="ana@alpha.example")
    session.commit()
    result = attempt(session, "  ANA@alpha.example ")
    assert result.ok and result.role == "staff" and result.handoff_code
    login = session.exec(select(LoginSession).where(LoginSession.user_id == user.id)).one()
    # Nothing usable is stored: no token yet, and only the digest of the handoff code.
    assert login.token_hash is None and login.handoff_hash != result.handoff_code
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "sign_in")).all()
    assert [(e.outcome, e.actor_id) for e in events] == [("ok", user.id)]


def test_unknown_email_and_wrong_password_read_the_same(session, firm):
    make_user(session, firm, email="ana@alpha.example")
    session.commit()
    wrong = attempt(session, "ana@alpha.example", "not the password")
    unknown = attempt(session, "nobody@alpha.example", "not the password")
    assert not wrong.ok and not unknown.ok
    assert wrong.message == unknown.message == signin.WRONG_CREDENTIALS
    assert session.exec(select(LoginSession)).all() == []


@pytest.mark.parametrize(
    ("email", "password", "expected"),
    [
        ("not-an-email", PASSWORD, "valid email address"),
        ("", PASSWORD, "valid email address"),
        ("ana@alpha.example", "", "Enter your password"),
        ("ana@alpha.example", "x" * 73, "at most 72 bytes"),
        ("ana@alpha.example", "ü" * 40, "at most 72 bytes"),
        ("ana@alpha.example", "abc\x00def", "NUL"),
    ],
)
def test_bad_input_gets_a_clear_message_and_signs_nobody_in(
    session, firm, email, password, expected
):
    make_user(session, firm, email="ana@alpha.example")
    session.commit()
    result = attempt(session, email, password)
    assert not result.ok and expected in result.message
    assert session.exec(select(LoginSession)).all() == []


def test_deactivated_user_is_told_so_only_with_the_right_password(session, firm):
    make_user(session, firm, email="gone@alpha.example", is_active=False)
    session.commit()
    assert attempt(session, "gone@alpha.example", "wrong password!").message == (
        signin.WRONG_CREDENTIALS
    )
    result = attempt(session, "gone@alpha.example")
    assert not result.ok and result.message == signin.DEACTIVATED
    assert session.exec(select(LoginSession)).all() == []


def test_bookkeeper_cannot_sign_in_while_the_portal_add_on_is_off(session):
    firm = make_firm(session, "No portal", portal_enabled=False)
    make_user(session, firm, "bookkeeper", email="bk@noportal.example")
    make_user(session, firm, "staff", email="st@noportal.example")
    session.commit()
    result = attempt(session, "bk@noportal.example")
    assert not result.ok and "Bookkeeper Portal add-on" in result.message
    assert attempt(session, "st@noportal.example").ok


def test_bookkeeper_cannot_sign_in_without_filing_steps(session):
    firm = make_firm(session, "No steps", filing_steps_enabled=False, portal_enabled=True)
    make_user(session, firm, "bookkeeper", email="bk@nosteps.example")
    session.commit()
    assert attempt(session, "bk@nosteps.example").message == signin.PORTAL_OFF


def test_every_try_is_recorded_with_its_outcome(session, firm):
    make_user(session, firm, email="ana@alpha.example")
    session.commit()
    attempt(session, "ana@alpha.example", "wrong password!")
    attempt(session, "ana@alpha.example")
    outcomes = session.exec(select(SignInAttempt.outcome).order_by(SignInAttempt.id)).all()
    assert outcomes == ["failed", "succeeded"]
