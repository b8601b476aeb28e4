"""Your own sessions (listed, ended one by one or all but this one) and an admin ending every
session of a person: who may end what, and what the audit log keeps."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from models import AuditEvent, LoginSession, utcnow
from portal.services import login_sessions, sessions
from portal.services.errors import Invalid, NotFound, Refused
from portal.services.login_sessions import browser_label
from portal.services.sessions import SessionProblem
from tests.factories import make_firm, make_user

CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"
EDGE_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51"
)


@pytest.mark.parametrize(
    ("agent", "label"),
    [
        (CHROME_WINDOWS, "Chrome on Windows"),
        (SAFARI_IPHONE, "Safari on iOS"),
        (FIREFOX_LINUX, "Firefox on Linux"),
        (EDGE_MAC, "Edge on macOS"),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/124.0.0.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "HeadlessChrome/131.0.0.0 Safari/537.36",
            "Chrome on Linux",
        ),
        ("curl/8.5.0", "Unknown browser"),
        ("", "Unknown browser"),
    ],
)
def test_the_browser_is_named_from_its_user_agent(agent, label):
    assert browser_label(agent) == label


def _sign_in(session, user, agent: str, ip: str = "203.0.113.7", now=None):
    """A redeemed session, as the browser gets it: (its cookie token, the actor it resolves to)."""
    now = now or utcnow()
    code = sessions.start(session=session, user=user, ip=ip, user_agent=agent, now=now)
    token = sessions.redeem_handoff(session=session, code=code, now=now)
    session.commit()
    return token, sessions.resolve(session=session, token=token, now=now).actor


def _audit(session, action):
    return session.exec(select(AuditEvent).where(AuditEvent.action == action)).all()


@pytest.fixture
def firm_people(session):
    firm = make_firm(session, "Alpha")
    admin = make_user(session, firm, "admin", email="admin@alpha.example")
    bea = make_user(session, firm, "bookkeeper", email="bea@alpha.example")
    sam = make_user(session, firm, "staff", email="sam@alpha.example")
    session.commit()
    return firm, admin, bea, sam


def test_the_list_shows_only_your_own_live_sessions_this_one_marked_first(session, firm_people):
    _, _, bea, sam = firm_people
    _, phone = _sign_in(session, bea, SAFARI_IPHONE, ip="198.51.100.4")
    _, desk = _sign_in(session, bea, CHROME_WINDOWS)
    _sign_in(session, sam, FIREFOX_LINUX)  # somebody else's
    _, ended = _sign_in(session, bea, EDGE_MAC)
    sessions.end(session=session, session_id=ended.session_id, reason="signed out")
    # One never redeemed, and one idle too long: neither opens anything, neither is listed.
    sessions.start(session=session, user=bea, ip="1.2.3.4", user_agent=EDGE_MAC, now=utcnow())
    _sign_in(session, bea, FIREFOX_LINUX, now=utcnow() - timedelta(hours=2))
    session.commit()

    rows = login_sessions.list_own(session=session, actor=desk)
    assert [(r.id, r.browser, r.ip, r.is_current) for r in rows] == [
        (desk.session_id, "Chrome on Windows", "203.0.113.7", True),
        (phone.session_id, "Safari on iOS", "198.51.100.4", False),
    ]
    assert all(r.started and r.last_seen for r in rows)


def test_you_can_end_one_of_your_own_sessions_and_it_is_audited(session, firm_people):
    _, _, bea, _ = firm_people
    phone_token, phone = _sign_in(session, bea, SAFARI_IPHONE)
    desk_token, desk = _sign_in(session, bea, CHROME_WINDOWS)

    login_sessions.end_own(session=session, actor=desk, session_id=phone.session_id)
    session.commit()

    assert sessions.resolve(session=session, token=phone_token).problem is SessionProblem.ENDED
    assert sessions.resolve(session=session, token=desk_token).actor is not None
    [row] = _audit(session, "session_ended")
    assert (row.actor_id, row.target_type, row.target_id) == (
        bea.id,
        "login_session",
        phone.session_id,
    )
    # Ended is ended: the same id again is not found.
    with pytest.raises(NotFound):
        login_sessions.end_own(session=session, actor=desk, session_id=phone.session_id)


def test_another_persons_session_id_is_not_found_and_stays_live(session, firm_people):
    _, admin, bea, sam = firm_people
    sam_token, sam_actor = _sign_in(session, sam, FIREFOX_LINUX)
    _, bea_actor = _sign_in(session, bea, CHROME_WINDOWS)
    _, admin_actor = _sign_in(session, admin, CHROME_WINDOWS)

    for actor in (bea_actor, admin_actor):  # not even an admin, through the own-session path
        with pytest.raises(NotFound):
            login_sessions.end_own(session=session, actor=actor, session_id=sam_actor.session_id)
    # ... exactly as an id that never existed.
    with pytest.raises(NotFound):
        login_sessions.end_own(session=session, actor=bea_actor, session_id=999_999)
    session.commit()
    assert sessions.resolve(session=session, token=sam_token).actor is not None
    assert _audit(session, "session_ended") == []


def test_the_session_in_use_is_not_ended_from_the_list(session, firm_people):
    _, _, bea, _ = firm_people
    token, desk = _sign_in(session, bea, CHROME_WINDOWS)
    with pytest.raises(Invalid, match="sign out"):
        login_sessions.end_own(session=session, actor=desk, session_id=desk.session_id)
    session.commit()
    assert sessions.resolve(session=session, token=token).actor is not None


def test_end_all_other_sessions_keeps_this_one_and_nobody_elses(session, firm_people):
    _, _, bea, sam = firm_people
    others = [_sign_in(session, bea, agent)[0] for agent in (SAFARI_IPHONE, FIREFOX_LINUX)]
    this_token, this = _sign_in(session, bea, CHROME_WINDOWS)
    sam_token, _ = _sign_in(session, sam, EDGE_MAC)

    assert login_sessions.end_others(session=session, actor=this) == 2
    session.commit()

    assert all(
        sessions.resolve(session=session, token=t).problem is SessionProblem.ENDED for t in others
    )
    assert sessions.resolve(session=session, token=this_token).actor is not None
    assert sessions.resolve(session=session, token=sam_token).actor is not None
    assert [r.id for r in login_sessions.list_own(session=session, actor=this)] == [this.session_id]
    [row] = _audit(session, "other_sessions_ended")
    assert (row.actor_id, row.detail) == (bea.id, "2 ended")


def test_an_admin_ends_every_session_of_a_person_audited(session, firm_people):
    _, admin, bea, sam = firm_people
    bea_tokens = [_sign_in(session, bea, agent)[0] for agent in (SAFARI_IPHONE, CHROME_WINDOWS)]
    sam_token, _ = _sign_in(session, sam, EDGE_MAC)
    admin_token, admin_actor = _sign_in(session, admin, CHROME_WINDOWS)

    ended = login_sessions.end_all_of_person(session=session, actor=admin_actor, user_id=bea.id)
    session.commit()

    assert ended == 2
    assert all(
        sessions.resolve(session=session, token=t).problem is SessionProblem.ENDED
        for t in bea_tokens
    )
    for token in (sam_token, admin_token):
        assert sessions.resolve(session=session, token=token).actor is not None
    reasons = session.exec(
        select(LoginSession.revoked_reason).where(LoginSession.user_id == bea.id)
    ).all()
    assert set(reasons) == {login_sessions.ENDED_BY_ADMIN}
    [row] = _audit(session, "sessions_ended")
    assert (row.actor_id, row.target_type, row.target_id, row.detail) == (
        admin.id,
        "user",
        bea.id,
        "bea@alpha.example: 2 ended",
    )


def test_only_an_admin_of_the_same_firm_ends_someone_elses_sessions(session, firm_people):
    _, admin, bea, sam = firm_people
    other_firm = make_firm(session, "Beta")
    outsider = make_user(session, other_firm, "staff", email="out@beta.example")
    session.commit()
    outsider_token, _ = _sign_in(session, outsider, EDGE_MAC)
    bea_token, _ = _sign_in(session, bea, SAFARI_IPHONE)
    _, sam_actor = _sign_in(session, sam, FIREFOX_LINUX)
    _, admin_actor = _sign_in(session, admin, CHROME_WINDOWS)

    with pytest.raises(Refused):
        login_sessions.end_all_of_person(session=session, actor=sam_actor, user_id=bea.id)
    with pytest.raises(NotFound):
        login_sessions.end_all_of_person(session=session, actor=admin_actor, user_id=outsider.id)
    with pytest.raises(Invalid):
        login_sessions.end_all_of_person(session=session, actor=admin_actor, user_id=admin.id)
    session.commit()
    for token in (outsider_token, bea_token):
        assert sessions.resolve(session=session, token=token).actor is not None
    assert _audit(session, "sessions_ended") == []
