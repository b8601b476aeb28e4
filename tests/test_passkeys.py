"""Passkeys: registration, naming and removal, passwordless sign-in and the second-factor
check, answered by a software authenticator so the real WebAuthn verification runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select as sa_select
from sqlmodel import select

from models import AuditEvent, LoginSession, Passkey, User, WebAuthnChallenge, utcnow
from portal.services import passkeys, sessions, signin
from portal.services.errors import Invalid, NotFound
from portal.settings import get_settings
from tests.factories import actor_for, make_firm, make_login, make_user
from tests.support import authenticator as soft

IP = "203.0.113.9"


@pytest.fixture
def firm(session):
    firm = make_firm(session, "Alpha")
    session.commit()
    return firm


@pytest.fixture
def ana(session, firm):
    user = make_user(session, firm, email="ana@alpha.example")
    login = make_login(session, user)
    session.commit()
    return user, actor_for(user, login, firm=firm)


def origin() -> str:
    return get_settings().origin


def enrol(session, actor, name="Laptop", passkey=None):
    """Register a software passkey for the actor, as the page does; returns it and its id."""
    ceremony = passkeys.registration_options(session=session, actor=actor, name=name)
    session.commit()
    key, response = soft.register(ceremony.options, origin=origin(), passkey=passkey)
    passkey_id = passkeys.register(
        session=session,
        actor=actor,
        challenge=ceremony.challenge,
        user_handle=ceremony.user_handle,
        name=name,
        credential=response,
    )
    session.commit()
    return key, passkey_id


def passwordless(session, key, **answer):
    ceremony = passkeys.sign_in_options(session=session)
    session.commit()
    response = soft.authenticate(key, ceremony.options, **{"origin": origin(), **answer})
    return passkeys.sign_in(
        session=session, challenge=ceremony.challenge, credential=response, ip=IP
    )


def refusals(session):
    return [
        e.detail
        for e in session.exec(
            select(AuditEvent).where(AuditEvent.outcome == "refused").order_by(AuditEvent.id)
        ).all()
    ]


def test_registration_options_ask_for_a_discoverable_verified_passkey(session, ana):
    import json

    _, actor = ana
    ceremony = passkeys.registration_options(session=session, actor=actor, name="Laptop")
    options = json.loads(ceremony.options)
    assert options["rp"]["id"] == get_settings().rp_id
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["challenge"] == ceremony.challenge
    # The user handle is random: neither the person's id nor their email.
    assert options["user"]["id"] == ceremony.user_handle and len(ceremony.user_handle) >= 40
    assert options["user"]["name"] == "ana@alpha.example"
    # Only the challenge's digest is stored, for two minutes.
    row = session.exec(select(WebAuthnChallenge)).one()
    assert row.challenge_hash != ceremony.challenge and row.purpose == "register"
    assert timedelta(seconds=110) < row.expires_at - row.created_at <= timedelta(minutes=2)


def test_a_registered_passkey_signs_in_without_a_password(session, ana):
    user, actor = ana
    key, passkey_id = enrol(session, actor, name="  Work   laptop ")
    assert [(p.id, p.name) for p in passkeys.list_own(session=session, actor=actor)] == [
        (passkey_id, "Work laptop")
    ]
    result = passwordless(session, key)
    assert result.ok and result.role == "staff" and result.handoff_code
    token = sessions.redeem_handoff(session=session, code=result.handoff_code)
    session.commit()
    assert sessions.resolve(session=session, token=token).actor.user_id == user.id
    stored = session.get(Passkey, passkey_id)
    session.refresh(stored)
    assert stored.sign_count == 1 and stored.last_used_at is not None
    actions = session.exec(
        select(AuditEvent.action, AuditEvent.detail).where(AuditEvent.outcome == "ok")
    ).all()
    assert ("passkey_added", "Work laptop") in actions
    assert ("sign_in", f"passkey #{passkey_id}") in actions


def test_every_passkey_of_a_person_shares_one_handle_and_existing_ones_are_excluded(session, ana):
    import json

    _, actor = ana
    first, _ = enrol(session, actor, name="Laptop")
    ceremony = passkeys.registration_options(session=session, actor=actor, name="Phone")
    options = json.loads(ceremony.options)
    assert [c["id"] for c in options["excludeCredentials"]] == [soft.b64(first.credential_id)]
    assert options["user"]["id"] == soft.b64(first.user_handle)
    session.commit()
    # The same authenticator registered twice is refused, and nothing is added.
    _, again = soft.register(ceremony.options, origin=origin(), passkey=first)
    with pytest.raises(Invalid, match="already registered"):
        passkeys.register(
            session=session,
            actor=actor,
            challenge=ceremony.challenge,
            user_handle=ceremony.user_handle,
            name="Phone",
            credential=again,
        )
    session.rollback()
    second, _ = enrol(session, actor, name="Phone")
    assert second.user_handle == first.user_handle
    assert len(passkeys.list_own(session=session, actor=actor)) == 2


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "cannot be empty"), ("\u202e\u200b ", "cannot be empty"), ("x" * 101, "at most 100")],
)
def test_a_bad_name_is_refused_before_the_browser_is_asked(session, ana, name, message):
    _, actor = ana
    with pytest.raises(Invalid, match=message):
        passkeys.registration_options(session=session, actor=actor, name=name)
    assert session.exec(select(WebAuthnChallenge)).all() == []


def _register_answer(session, actor, **soft_kwargs):
    ceremony = passkeys.registration_options(session=session, actor=actor, name="Laptop")
    session.commit()
    _, response = soft.register(ceremony.options, **{"origin": origin(), **soft_kwargs})
    return ceremony, response


@pytest.mark.parametrize(
    "answer",
    [
        {"origin": "http://evil.example:3000"},
        {"rp_id": "evil.example"},
        {"verified": False},
    ],
    ids=["wrong origin", "wrong relying party", "person not verified"],
)
def test_a_registration_answer_that_does_not_verify_adds_nothing(session, ana, answer):
    _, actor = ana
    ceremony, response = _register_answer(session, actor, **answer)
    with pytest.raises(Invalid, match="could not be verified"):
        passkeys.register(
            session=session,
            actor=actor,
            challenge=ceremony.challenge,
            user_handle=ceremony.user_handle,
            name="Laptop",
            credential=response,
        )
    session.rollback()
    assert session.exec(select(Passkey)).all() == []
    assert any(d.startswith("not verified") for d in refusals(session))
    # The challenge was spent by the refused answer: a good answer to it is refused too.
    _, good = soft.register(ceremony.options, origin=origin())
    with pytest.raises(Invalid, match="expired or was already used"):
        passkeys.register(
            session=session,
            actor=actor,
            challenge=ceremony.challenge,
            user_handle=ceremony.user_handle,
            name="Laptop",
            credential=good,
        )


def test_a_registration_challenge_is_single_use_and_belongs_to_its_person(session, firm, ana):
    _, actor = ana
    other = make_user(session, firm)
    other_actor = actor_for(other, make_login(session, other), firm=firm)
    session.commit()
    ceremony, response = _register_answer(session, actor)
    finish = {
        "challenge": ceremony.challenge,
        "user_handle": ceremony.user_handle,
        "name": "Laptop",
        "credential": response,
    }
    with pytest.raises(Invalid, match="expired or was already used"):
        passkeys.register(session=session, actor=other_actor, **finish)
    session.rollback()
    passkeys.register(session=session, actor=actor, **finish)
    session.commit()
    with pytest.raises(Invalid, match="expired or was already used"):
        passkeys.register(session=session, actor=actor, **finish)
    session.rollback()
    assert len(session.exec(select(Passkey)).all()) == 1


def test_an_expired_challenge_is_refused(session, ana):
    _, actor = ana
    key, _ = enrol(session, actor)
    ceremony = passkeys.sign_in_options(session=session)
    session.commit()
    response = soft.authenticate(key, ceremony.options, origin=origin())
    later = utcnow() + passkeys.CHALLENGE_LIFETIME + timedelta(seconds=1)
    result = passkeys.sign_in(
        session=session, challenge=ceremony.challenge, credential=response, ip=IP, now=later
    )
    assert not result.ok and result.message == passkeys.EXPIRED
    assert (
        session.exec(select(LoginSession).where(LoginSession.handoff_hash.is_not(None))).all() == []
    )


def test_a_sign_in_answer_works_once(session, ana):
    _, actor = ana
    key, _ = enrol(session, actor)
    ceremony = passkeys.sign_in_options(session=session)
    session.commit()
    response = soft.authenticate(key, ceremony.options, origin=origin())
    first = passkeys.sign_in(
        session=session, challenge=ceremony.challenge, credential=response, ip=IP
    )
    replay = passkeys.sign_in(
        session=session, challenge=ceremony.challenge, credential=response, ip=IP
    )
    assert first.ok and not replay.ok and replay.message == passkeys.EXPIRED


def test_a_challenge_the_server_never_issued_is_refused(session, ana):
    _, actor = ana
    key, _ = enrol(session, actor)
    ceremony = passkeys.sign_in_options(session=session)
    session.commit()
    forged = soft.b64(b"\x01" * 32)
    response = soft.authenticate(key, ceremony.options, origin=origin())
    # Answered to the issued challenge, but checked against one the page never asked for.
    result = passkeys.sign_in(session=session, challenge=forged, credential=response, ip=IP)
    assert not result.ok and result.message == passkeys.EXPIRED


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ({"origin": "http://localhost:9999"}, "origin"),
        ({"rp_id": "evil.example"}, "RP ID"),
        ({"verified": False}, "User verification is required"),
        ({"user_handle": b"\x02" * 32}, "user handle does not match"),
        ({"sign_count": 0}, "sign count went backwards"),
    ],
    ids=["wrong origin", "wrong relying party", "not verified", "wrong owner", "cloned"],
)
def test_a_sign_in_answer_that_does_not_verify_opens_nothing(session, ana, answer, problem):
    _, actor = ana
    key, passkey_id = enrol(session, actor)
    assert passwordless(session, key).ok  # the counter is at 1 now
    opened = len(session.exec(select(LoginSession)).all())
    result = passwordless(session, key, **answer)
    assert not result.ok and result.message == passkeys.SIGN_IN_REFUSED
    assert len(session.exec(select(LoginSession)).all()) == opened
    assert problem in refusals(session)[-1]
    session.refresh(stored := session.get(Passkey, passkey_id))
    assert stored.sign_count == 1


def test_an_unknown_passkey_opens_nothing(session, ana):
    _, actor = ana
    enrol(session, actor)
    stranger = soft.SoftPasskey(user_handle=b"\x03" * 32, rp_id=get_settings().rp_id)
    result = passwordless(session, stranger)
    assert not result.ok and result.message == passkeys.SIGN_IN_REFUSED
    assert refusals(session)[-1] == "passkey: unknown passkey"


def test_garbage_answers_are_refused_without_failing(session, ana):
    _, actor = ana
    enrol(session, actor)
    for garbage in ("not json", "[1]", {"rawId": 5}, "x" * 40_000, None):
        ceremony = passkeys.sign_in_options(session=session)
        session.commit()
        result = passkeys.sign_in(
            session=session, challenge=ceremony.challenge, credential=garbage, ip=IP
        )
        assert not result.ok and result.message == passkeys.SIGN_IN_REFUSED


def test_a_deactivated_person_is_refused_like_after_a_password(session, ana):
    user, actor = ana
    key, _ = enrol(session, actor)
    user.is_active = False
    session.add(user)
    session.commit()
    result = passwordless(session, key)
    assert not result.ok and result.message == signin.DEACTIVATED
    assert refusals(session)[-1] == "passkey: deactivated"
    assert (
        session.exec(select(LoginSession).where(LoginSession.handoff_hash.is_not(None))).all() == []
    )


def test_a_bookkeeper_is_refused_while_the_portal_is_off(session, firm):
    bookkeeper = make_user(session, firm, "bookkeeper")
    actor = actor_for(bookkeeper, make_login(session, bookkeeper), firm=firm)
    session.commit()
    key, _ = enrol(session, actor)
    firm.portal_enabled = False
    session.add(firm)
    session.commit()
    result = passwordless(session, key)
    assert not result.ok and result.message == signin.PORTAL_OFF


def test_rename_and_remove_touch_only_ones_own_passkeys(session, firm, ana):
    _, actor = ana
    other = make_user(session, firm)
    other_actor = actor_for(other, make_login(session, other), firm=firm)
    session.commit()
    key, passkey_id = enrol(session, actor)
    with pytest.raises(NotFound):
        passkeys.rename(session=session, actor=other_actor, passkey_id=passkey_id, name="Mine")
    with pytest.raises(NotFound):
        passkeys.remove(session=session, actor=other_actor, passkey_id=passkey_id)
    with pytest.raises(Invalid, match="cannot be empty"):
        passkeys.rename(session=session, actor=actor, passkey_id=passkey_id, name=" ")
    passkeys.rename(session=session, actor=actor, passkey_id=passkey_id, name="Old laptop")
    session.commit()
    assert passkeys.list_own(session=session, actor=actor)[0].name == "Old laptop"
    passkeys.remove(session=session, actor=actor, passkey_id=passkey_id)
    session.commit()
    assert passkeys.list_own(session=session, actor=actor) == []
    actions = session.exec(select(AuditEvent.action).where(AuditEvent.outcome == "ok")).all()
    assert {"passkey_renamed", "passkey_removed"} <= set(actions)
    # A removed passkey signs nobody in.
    result = passwordless(session, key)
    assert not result.ok and refusals(session)[-1] == "passkey: unknown passkey"


def test_second_factor_accepts_only_the_persons_own_passkey_once(session, firm, ana):
    import json

    user, actor = ana
    key, _ = enrol(session, actor)
    other = make_user(session, firm)
    other_key, _ = enrol(session, actor_for(other, make_login(session, other), firm=firm))

    ceremony = passkeys.second_factor_options(session=session, user_id=user.id)
    session.commit()
    allowed = [c["id"] for c in json.loads(ceremony.options)["allowCredentials"]]
    assert allowed == [soft.b64(key.credential_id)]
    # Someone else's passkey does not stand in for this person's.
    wrong = soft.authenticate(other_key, ceremony.options, origin=origin())
    assert not passkeys.verify_for_user(
        session=session, user_id=user.id, challenge=ceremony.challenge, credential=wrong
    )
    session.commit()

    ceremony = passkeys.second_factor_options(session=session, user_id=user.id)
    session.commit()
    good = soft.authenticate(key, ceremony.options, origin=origin())
    # A challenge issued for this person does not serve another.
    assert not passkeys.verify_for_user(
        session=session, user_id=other.id, challenge=ceremony.challenge, credential=good
    )
    session.commit()
    ceremony = passkeys.second_factor_options(session=session, user_id=user.id)
    session.commit()
    good = soft.authenticate(key, ceremony.options, origin=origin())
    assert passkeys.verify_for_user(
        session=session, user_id=user.id, challenge=ceremony.challenge, credential=good
    )
    session.commit()
    assert not passkeys.verify_for_user(
        session=session, user_id=user.id, challenge=ceremony.challenge, credential=good
    )


def test_exists_clause_says_who_has_a_passkey(session, firm, ana):
    user, actor = ana
    other = make_user(session, firm)
    session.commit()
    enrol(session, actor)
    having = session.execute(
        sa_select(User.id).where(passkeys.exists_clause()).order_by(User.id)
    ).scalars()
    assert list(having) == [user.id] and other.id != user.id


def test_spent_and_expired_challenges_are_cleared_away(session):
    passkeys.sign_in_options(session=session, now=utcnow() - timedelta(minutes=5))
    session.commit()
    passkeys.sign_in_options(session=session)
    session.commit()
    assert len(session.exec(select(WebAuthnChallenge)).all()) == 1


def test_the_browsers_answers_without_a_passkey_read_as_sentences():
    from portal import browser
    from state.passkeys import BROWSER_REASONS, browser_problem

    assert browser_problem({"ok": True, "credential": "{}"}) == ""
    assert "cancelled" in browser_problem({"ok": False, "reason": "cancelled"})
    assert browser_problem({"ok": False, "reason": "exists"}) == BROWSER_REASONS["exists"]
    # Anything else, forged or garbled, is the plain failure: never echoed back.
    for odd in ({"ok": "true"}, {"ok": False, "reason": "<b>hi</b>"}, None, "ok", [1]):
        assert browser_problem(odd) == BROWSER_REASONS["failed"]
    # The options reach the browser as data of portal.js's passkey action, never as code.
    options = '{"challenge": "abc\\u2028</script>"}'
    assert browser.asked(browser.passkey("get", options)) == {
        "name": "passkey_get",
        "args": {"options": options},
    }


# With the second factor (portal/services/second_factor.py and the sign-in code step).


def password_step(session, user):
    from tests.factories import PASSWORD

    return signin.sign_in(
        session=session, email=user.email, password=PASSWORD, ip=IP, user_agent="pytest"
    )


def test_a_passkey_is_the_second_factor_after_the_password(session, firm, ana):
    user, actor = ana
    key, _ = enrol(session, actor)
    first = password_step(session, user)
    assert not first.ok and first.needs_second_factor and first.pending
    assert first.with_passkey and not first.with_code
    # No session yet: the password alone opened nothing.
    assert (
        session.exec(select(LoginSession).where(LoginSession.handoff_hash.is_not(None))).all() == []
    )

    ceremony = signin.passkey_options(session=session, pending=first.pending)
    session.commit()
    answer = soft.authenticate(key, ceremony.options, origin=origin())
    done = signin.finish_with_passkey(
        session=session,
        pending=first.pending,
        challenge=ceremony.challenge,
        credential=answer,
        ip=IP,
    )
    assert done.ok and done.handoff_code and not done.must_enrol
    details = session.exec(
        select(AuditEvent.detail).where(AuditEvent.action == "sign_in", AuditEvent.outcome == "ok")
    ).all()
    assert "with a passkey" in details
    # The pending sign-in is spent: neither a passkey nor options work on it again.
    assert signin.passkey_options(session=session, pending=first.pending) is None


def test_someone_elses_passkey_is_no_second_factor(session, firm, ana):
    user, actor = ana
    enrol(session, actor)
    other = make_user(session, firm)
    other_key, _ = enrol(session, actor_for(other, make_login(session, other), firm=firm))
    first = password_step(session, user)
    ceremony = signin.passkey_options(session=session, pending=first.pending)
    session.commit()
    answer = soft.authenticate(other_key, ceremony.options, origin=origin())
    refused = signin.finish_with_passkey(
        session=session,
        pending=first.pending,
        challenge=ceremony.challenge,
        credential=answer,
        ip=IP,
    )
    assert not refused.ok and refused.message == passkeys.NOT_VERIFIED and not refused.restart
    assert (
        session.exec(select(LoginSession).where(LoginSession.handoff_hash.is_not(None))).all() == []
    )
    # Options come only from a live password step, never from a made-up one.
    assert signin.passkey_options(session=session, pending="x" * 43) is None


def test_a_passkey_counts_as_a_factor_for_the_firms_policy(session, firm, ana):
    from portal.services import second_factor
    from tests.factories import open_session

    user, actor = ana
    firm.mfa_staff = True
    session.add(firm)
    session.commit()
    token = open_session(session, user)
    assert sessions.resolve(session=session, token=token).actor.must_enrol
    key, passkey_id = enrol(session, actor)
    assert not sessions.resolve(session=session, token=token).actor.must_enrol
    # Under the policy, the last factor cannot be removed.
    with pytest.raises(Invalid, match="last one"):
        passkeys.remove(session=session, actor=actor, passkey_id=passkey_id)
    session.rollback()
    assert len(passkeys.list_own(session=session, actor=actor)) == 1
    # A passwordless sign-in opens a session that needs no enrolment.
    result = passwordless(session, key)
    assert result.ok and not result.must_enrol
    # An admin's reset of the person's factors removes their passkeys too.
    second_factor.clear_factors(session, session.get(User, user.id))
    session.commit()
    assert passkeys.list_own(session=session, actor=actor) == []
    assert not second_factor.user_has_factor(session, user.id)
