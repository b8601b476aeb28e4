"""Signing in: messages, refusals and throttling."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from models import AuditEvent, LoginSession, SignInAttempt, utcnow
from portal.services import signin
from tests.factories import PASSWORD, make_firm, make_user
from tests.support.burst import burst

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


def test_ten_failures_from_one_address_block_that_address_for_fifteen_minutes(session, firm):
    make_user(session, firm, email="ana@alpha.example")
    session.commit()
    start = utcnow()
    for i in range(signin.PER_ADDRESS_LIMIT):
        result = attempt(
            session, "ana@alpha.example", "wrong password!", now=start + timedelta(seconds=i)
        )
        assert result.message == signin.WRONG_CREDENTIALS
    blocked = attempt(session, "ana@alpha.example", now=start + timedelta(seconds=30))
    assert not blocked.ok and "Too many failed sign-in attempts" in blocked.message
    assert "15 minutes" in blocked.message
    # Even the right password is refused from that address while blocked...
    assert not attempt(session, "ana@alpha.example", now=start + timedelta(minutes=10)).ok
    # ...but another address is not blocked,
    assert attempt(
        session, "ana@alpha.example", ip="198.51.100.7", now=start + timedelta(minutes=1)
    ).ok
    # and the block lifts by itself once the failures age out of the window.
    assert attempt(session, "ana@alpha.example", now=start + timedelta(minutes=15, seconds=10)).ok


def test_blocked_tries_do_not_extend_the_block(session, firm):
    make_user(session, firm, email="ana@alpha.example")
    session.commit()
    start = utcnow()
    for i in range(signin.PER_ADDRESS_LIMIT):
        attempt(session, "ana@alpha.example", "wrong password!", now=start + timedelta(seconds=i))
    for minute in range(1, 15):
        assert not attempt(session, "ana@alpha.example", now=start + timedelta(minutes=minute)).ok
    assert attempt(session, "ana@alpha.example", now=start + timedelta(minutes=15, seconds=30)).ok


def test_unknown_emails_are_throttled_exactly_like_known_ones(session, firm):
    start = utcnow()
    for i in range(signin.PER_ADDRESS_LIMIT):
        attempt(session, "ghost@alpha.example", "wrong password!", now=start + timedelta(seconds=i))
    assert (
        "Too many"
        in attempt(session, "ghost@alpha.example", now=start + timedelta(seconds=20)).message
    )


def test_account_wide_cap_stops_a_spread_out_attack_but_not_the_real_user(session, firm):
    make_user(session, firm, email="ana@alpha.example")
    session.commit()
    start = utcnow()
    home = "192.0.2.10"
    assert attempt(session, "ana@alpha.example", ip=home, now=start).ok  # a known address
    for i in range(signin.ACCOUNT_LIMIT):
        attempt(
            session,
            "ana@alpha.example",
            "wrong password!",
            ip=f"10.0.{i // 200}.{i % 200}",
            now=start + timedelta(seconds=i),
        )
    later = start + timedelta(minutes=2)
    fresh = attempt(session, "ana@alpha.example", ip="10.9.9.9", now=later)
    assert not fresh.ok and "Too many" in fresh.message
    assert attempt(session, "ana@alpha.example", ip=home, now=later).ok


def test_an_admin_reset_lifts_the_block(session, firm):
    user = make_user(session, firm, email="ana@alpha.example")
    session.commit()
    start = utcnow()
    for i in range(signin.PER_ADDRESS_LIMIT):
        attempt(session, "ana@alpha.example", "wrong password!", now=start + timedelta(seconds=i))
    assert not attempt(session, "ana@alpha.example", now=start + timedelta(minutes=1)).ok
    user.throttle_reset_at = start + timedelta(minutes=2)
    session.add(user)
    session.commit()
    assert attempt(session, "ana@alpha.example", now=start + timedelta(minutes=3)).ok


def test_every_try_is_recorded_with_its_outcome(session, firm):
    make_user(session, firm, email="ana@alpha.example")
    session.commit()
    attempt(session, "ana@alpha.example", "wrong password!")
    attempt(session, "ana@alpha.example")
    outcomes = session.exec(select(SignInAttempt.outcome).order_by(SignInAttempt.id)).all()
    assert outcomes == ["failed", "succeeded"]


def test_a_burst_of_parallel_attempts_cannot_slip_past_the_throttle(session, firm, db_url):
    make_user(session, firm, email="target@alpha.example")
    session.commit()
    results = burst(db_url, "target@alpha.example", "wrong password!", 40)
    assert sum("Too many" in r.message for r in results) == 40 - signin.PER_ADDRESS_LIMIT
    failed = session.exec(select(SignInAttempt).where(SignInAttempt.outcome == "failed")).all()
    assert len(failed) == signin.PER_ADDRESS_LIMIT
