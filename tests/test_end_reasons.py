"""Sign-in says why the last session ended: each way a session ends gives its browser a
reason code (and only that browser, whose cookie it was), and the sign-in page turns the code
into words. An unknown or forged code gets the generic words."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal import access
from portal.boundary import problem_reason
from portal.services import accounts, login_sessions, sessions, team
from portal.settings import get_settings
from state.signin import GENERIC_REASON, REASONS, reason_words
from tests.factories import PASSWORD, actor_for, make_firm, make_user, open_session


@pytest.fixture
def people(session):
    firm = make_firm(session, "Endings")
    admin = make_user(session, firm, "admin", email="admin@endings.example")
    staff = make_user(session, firm, "staff", email="staff@endings.example")
    bookkeeper = make_user(session, firm, "bookkeeper", email="bk@endings.example")
    session.commit()
    return firm, admin, staff, bookkeeper


def _actor(session, user, token):
    return sessions.resolve(session=session, token=token).actor


def _reason(session, token, **kwargs) -> str | None:
    return problem_reason(sessions.resolve(session=session, token=token, **kwargs))


def test_deactivated(session, people):
    _, admin, _, bookkeeper = people
    token = open_session(session, bookkeeper)
    team.set_active(session=session, actor=actor_for(admin), user_id=bookkeeper.id, active=False)
    session.commit()
    assert _reason(session, token) == "deactivated"
    assert access.login_url(reason="deactivated") == "/login?reason=deactivated"
    assert reason_words("deactivated") == (
        "Your login was deactivated by your firm's admin. Ask them if you need access again."
    )


def test_deactivated_noticed_before_the_sessions_were_ended(session, people):
    """A login switched off behind the services' back still reads as deactivated."""
    _, _, staff, _ = people
    token = open_session(session, staff)
    staff.is_active = False
    session.add(staff)
    session.commit()
    assert _reason(session, token) == "deactivated"
    session.commit()
    assert _reason(session, token) == "deactivated"


def test_add_on_switched_off(session, people):
    _, admin, _, bookkeeper = people
    token = open_session(session, bookkeeper)
    team.set_modules(session=session, actor=actor_for(admin), filing_steps=True, portal=False)
    session.commit()
    assert _reason(session, token) == "portal_off"
    assert "add-on" in reason_words("portal_off")


def test_expired_idle_and_absolute(session, people):
    _, _, staff, _ = people
    start = sessions.utcnow()
    idle = open_session(session, staff, now=start)
    later = start + timedelta(minutes=get_settings().session_idle_minutes + 1)
    assert _reason(session, idle, now=later) == "expired"
    session.commit()
    assert _reason(session, idle, now=later) == "expired"
    assert "expired" in reason_words("expired")


def test_ended_from_your_sessions_on_another_browser(session, people):
    _, _, staff, _ = people
    phone = open_session(session, staff)
    laptop = open_session(session, staff)
    phone_id = _actor(session, staff, phone).session_id
    login_sessions.end_own(
        session=session, actor=_actor(session, staff, laptop), session_id=phone_id
    )
    session.commit()
    assert _reason(session, phone) == "elsewhere"
    assert _reason(session, laptop) is None
    assert "another browser" in reason_words("elsewhere")


def test_ended_by_an_admin(session, people):
    _, admin, staff, _ = people
    token = open_session(session, staff)
    login_sessions.end_all_of_person(session=session, actor=actor_for(admin), user_id=staff.id)
    session.commit()
    assert _reason(session, token) == "admin_ended"
    assert "admin ended your sessions" in reason_words("admin_ended")


def test_password_changed_in_another_browser(session, people):
    _, _, staff, _ = people
    other = open_session(session, staff)
    here = open_session(session, staff)
    new = "quiet harbour lantern ninety"
    accounts.change_own_password(
        session=session, actor=_actor(session, staff, here), current=PASSWORD, new=new, confirm=new
    )
    session.commit()
    assert _reason(session, other) == "password"
    assert "password was changed" in reason_words("password")


def test_signed_out(session, people):
    _, _, staff, _ = people
    token = open_session(session, staff)
    accounts.sign_out(session=session, actor=_actor(session, staff, token))
    session.commit()
    assert _reason(session, token) == "signed_out"


def test_an_unknown_reason_reads_as_ended(session, people):
    _, _, staff, _ = people
    token = open_session(session, staff)
    sessions.end_all_for_user(session=session, user_id=staff.id, reason="second factor reset")
    session.commit()
    assert _reason(session, token) == "ended"


def test_codes_the_page_does_not_know_get_the_generic_words():
    assert reason_words("") == ""
    for forged in ("nope", "<script>", "deactivated2", "x" * 500):
        assert reason_words(forged) == GENERIC_REASON
    # Every code a session can end with has its own words.
    assert set(sessions.END_CODES.values()) <= set(REASONS)
    # No words name another person or account.
    assert not any("@" in words for words in REASONS.values())
