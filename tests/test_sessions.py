"""Server-side sessions: handoff, expiry, revocation, and what `resolve` reports."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from models import LoginSession, utcnow
from portal.auth import digest, new_secret
from portal.services import accounts, sessions, signin
from portal.services.errors import Invalid
from portal.services.sessions import SessionProblem
from portal.settings import get_settings
from tests.factories import PASSWORD, actor_for, make_firm, make_user, open_session


@pytest.fixture
def people(session):
    firm = make_firm(session, "Alpha")
    staff = make_user(session, firm, "staff", email="staff@alpha.example")
    bookkeeper = make_user(session, firm, "bookkeeper", email="bk@alpha.example")
    session.commit()
    return firm, staff, bookkeeper


def test_a_redeemed_token_resolves_to_the_user(session, people):
    firm, staff, _ = people
    token = open_session(session, staff)
    resolution = sessions.resolve(session=session, token=token, ip="127.0.0.1")
    assert resolution.problem is None
    actor = resolution.actor
    assert (actor.user_id, actor.firm_id, actor.role, actor.firm_name) == (
        staff.id,
        firm.id,
        "staff",
        "Alpha",
    )
    stored = session.exec(select(LoginSession.token_hash)).one()
    assert stored == digest(token) and stored != token


def test_every_sign_in_gets_a_new_token(session, people):
    _, staff, _ = people
    assert open_session(session, staff) != open_session(session, staff)


def test_a_handoff_code_works_once_and_only_briefly(session, people):
    _, staff, _ = people
    now = utcnow()
    result = signin.sign_in(
        session=session, email=staff.email, password=PASSWORD, ip="127.0.0.1", now=now
    )
    assert sessions.redeem_handoff(session=session, code=result.handoff_code, now=now)
    assert sessions.redeem_handoff(session=session, code=result.handoff_code, now=now) is None
    late = signin.sign_in(
        session=session, email=staff.email, password=PASSWORD, ip="127.0.0.1", now=now
    )
    too_late = now + timedelta(seconds=sessions.HANDOFF_SECONDS + 1)
    assert sessions.redeem_handoff(session=session, code=late.handoff_code, now=too_late) is None
    assert sessions.redeem_handoff(session=session, code="not a code") is None


def test_idle_expiry(session, people):
    _, staff, _ = people
    start = utcnow()
    token = open_session(session, staff, now=start)
    idle = timedelta(minutes=get_settings().session_idle_minutes)
    still = sessions.resolve(session=session, token=token, now=start + idle - timedelta(seconds=5))
    assert still.actor is not None
    session.commit()
    # Activity moved last_seen_at forward, so the idle clock restarted.
    later = start + idle + timedelta(minutes=1)
    assert sessions.resolve(session=session, token=token, now=later).actor is not None
    gone = sessions.resolve(session=session, token=token, now=later + idle + timedelta(seconds=1))
    assert gone.actor is None and gone.problem is SessionProblem.EXPIRED
    session.commit()
    # Every later request keeps saying "expired", not "ended".
    again = sessions.resolve(session=session, token=token, now=later + idle + idle)
    assert again.problem is SessionProblem.EXPIRED


def test_absolute_expiry_even_when_active(session, people):
    _, staff, _ = people
    start = utcnow()
    token = open_session(session, staff, now=start)
    now = start
    for _ in range(get_settings().session_max_hours * 3):
        now += timedelta(minutes=20)
        result = sessions.resolve(session=session, token=token, now=now)
        session.commit()
        if result.actor is None:
            break
    assert result.problem is SessionProblem.EXPIRED
    assert now <= start + timedelta(hours=get_settings().session_max_hours, minutes=20)


def test_sign_out_ends_the_session_on_the_server(session, people):
    _, staff, _ = people
    token = open_session(session, staff)
    actor = sessions.resolve(session=session, token=token).actor
    accounts.sign_out(session=session, actor=actor)
    session.commit()
    assert sessions.resolve(session=session, token=token).problem is SessionProblem.ENDED


def test_deactivation_ends_every_session_of_that_user(session, people):
    _, staff, _ = people
    tokens = [open_session(session, staff) for _ in range(3)]
    staff.is_active = False
    session.add(staff)
    session.commit()
    for token in tokens:
        assert sessions.resolve(session=session, token=token).problem is SessionProblem.ENDED


def test_end_all_for_user(session, people):
    _, staff, bookkeeper = people
    mine = [open_session(session, bookkeeper) for _ in range(2)]
    other = open_session(session, staff)
    assert sessions.end_all_for_user(session=session, user_id=bookkeeper.id, reason="reset") == 2
    session.commit()
    assert all(sessions.resolve(session=session, token=t).actor is None for t in mine)
    assert sessions.resolve(session=session, token=other).actor is not None


def test_turning_the_portal_off_stops_bookkeeper_sessions_but_not_staff(session, people):
    firm, staff, bookkeeper = people
    bk_token, staff_token = open_session(session, bookkeeper), open_session(session, staff)
    firm.portal_enabled = False
    session.add(firm)
    session.commit()
    refused = sessions.resolve(session=session, token=bk_token)
    assert refused.actor is None and refused.problem is SessionProblem.PORTAL_OFF
    assert sessions.resolve(session=session, token=staff_token).actor is not None


@pytest.mark.parametrize(
    "cookie",
    ["", "garbage", "../../etc/passwd", "A" * 43, new_secret(), new_secret()[:-1] + "!"],
)
def test_a_tampered_or_foreign_cookie_resolves_to_nobody(session, people, cookie):
    _, staff, _ = people
    open_session(session, staff)
    resolution = sessions.resolve(session=session, token=cookie)
    assert resolution.actor is None
    expected = SessionProblem.MISSING if not cookie else SessionProblem.INVALID
    assert resolution.problem is expected


def test_changing_your_password_ends_your_other_sessions(session, people):
    _, staff, _ = people
    here, elsewhere = open_session(session, staff), open_session(session, staff)
    actor = sessions.resolve(session=session, token=here).actor
    accounts.change_own_password(
        session=session,
        actor=actor,
        current=PASSWORD,
        new="a brand new passphrase",
        confirm="a brand new passphrase",
    )
    session.commit()
    assert sessions.resolve(session=session, token=here).actor is not None
    assert sessions.resolve(session=session, token=elsewhere).problem is SessionProblem.ENDED


@pytest.mark.parametrize(
    ("current", "new", "confirm", "expected"),
    [
        ("wrong password!", "a brand new passphrase", "a brand new passphrase", "not correct"),
        (PASSWORD, "short", "short", "at least 12"),
        (PASSWORD, "a brand new passphrase", "a different passphrase", "do not match"),
        (PASSWORD, PASSWORD, PASSWORD, "different from the current"),
        (PASSWORD, "é" * 40, "é" * 40, "longer than 72 bytes"),
    ],
)
def test_password_change_refusals_change_nothing(session, people, current, new, confirm, expected):
    _, staff, _ = people
    before = staff.password_hash
    actor = actor_for(staff)
    with pytest.raises(Invalid, match=expected):
        accounts.change_own_password(
            session=session, actor=actor, current=current, new=new, confirm=confirm
        )
    session.rollback()
    session.refresh(staff)
    assert staff.password_hash == before
