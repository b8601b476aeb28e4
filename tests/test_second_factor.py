"""The second factor: sealed secrets, enrolment, the code step of sign-in, recovery codes,
the firm's policy and an admin's reset."""

from __future__ import annotations

import base64
import hashlib
import os
import stat
from datetime import timedelta

import pyotp
import pytest
from sqlmodel import select

from models import AuditEvent, Firm, LoginSession, RecoveryCode, User, utcnow
from portal import access, auth, crypto
from portal.services import second_factor, sessions, signin
from portal.services.errors import Invalid, NotFound, Refused
from portal.settings import get_settings
from tests.factories import (
    PASSWORD,
    actor_for,
    enrol_totp,
    make_firm,
    make_login,
    make_user,
    open_session,
)

IP = "203.0.113.9"


@pytest.fixture
def firm(session):
    firm = make_firm(session, "Alpha")
    session.commit()
    return firm


def password_step(session, user, now):
    result = signin.sign_in(
        session=session, email=user.email, password=PASSWORD, ip=IP, user_agent="pytest", now=now
    )
    assert result.needs_second_factor and result.pending and not result.ok
    return result.pending


def code_step(session, pending, code, now):
    return signin.finish_with_code(
        session=session, pending=pending, code=code, ip=IP, user_agent="pytest", now=now
    )


def sessions_of(session, user) -> list[LoginSession]:
    """The sessions sign-in opened (not the rows the test made to act as the person)."""
    session.expire_all()
    return list(
        session.exec(
            select(LoginSession).where(
                LoginSession.user_id == user.id, LoginSession.user_agent == "pytest"
            )
        ).all()
    )


# -- Secrets at rest ---------------------------------------------------------------------------


def test_a_sealed_secret_opens_with_its_key_and_context_only(db_url):
    sealed = crypto.encrypt(b"JBSWY3DPEHPK3PXP", context="totp:1")
    assert b"JBSWY3DPEHPK3PXP" not in sealed.encode() and sealed.startswith("v1:")
    assert crypto.decrypt(sealed, context="totp:1") == b"JBSWY3DPEHPK3PXP"
    # Two seals of one value differ (a fresh nonce each time).
    assert crypto.encrypt(b"same", context="x") != crypto.encrypt(b"same", context="x")
    with pytest.raises(crypto.CannotDecrypt):
        crypto.decrypt(sealed, context="totp:2")  # copied onto another person's row
    with pytest.raises(crypto.CannotDecrypt):
        crypto.decrypt(sealed, context="totp:1", key=os.urandom(32))  # another key
    # One bit of the sealed bytes flipped. (Changing the last base64 character instead can
    # touch only its padding bits, which decode to the same bytes: a flake, 3 runs in 64.)
    version, body = sealed.split(":", 1)
    raw = bytearray(base64.urlsafe_b64decode(body))
    raw[-1] ^= 0x01
    tampered = f"{version}:" + base64.urlsafe_b64encode(bytes(raw)).decode("ascii")
    with pytest.raises(crypto.CannotDecrypt):
        crypto.decrypt(tampered, context="totp:1")


def test_the_embedded_key_is_made_once_into_the_data_folder_readable_by_its_owner_only(db_url):
    settings = get_settings()
    first = crypto.current_key()
    path = settings.data_dir / crypto.KEY_FILE
    assert path.exists() and stat.S_IMODE(path.stat().st_mode) == 0o600
    crypto._key_for.cache_clear()
    assert crypto.current_key() == first  # read back, not made again


def test_the_environment_key_wins_and_a_malformed_one_stops_start_up_clearly(db_url, monkeypatch):
    good = base64.b64encode(os.urandom(32)).decode()
    monkeypatch.setenv("PORTAL_SECRET_KEY", good)
    get_settings.cache_clear()
    crypto.check_configuration()
    assert crypto.current_key() == base64.b64decode(good)
    for bad, said in (("not base64 at all!", "not base64"), ("c2hvcnQ=", "decodes to 5 bytes")):
        monkeypatch.setenv("PORTAL_SECRET_KEY", bad)
        get_settings.cache_clear()
        with pytest.raises(crypto.KeyProblem, match=said) as problem:
            crypto.check_configuration()
        assert "PORTAL_SECRET_KEY" in str(problem.value) and "urandom(32)" in str(problem.value)
    get_settings.cache_clear()


# -- Enrolment ---------------------------------------------------------------------------------


def test_enrolment_switches_on_only_after_a_valid_code(session, firm):
    user = make_user(session, firm)
    actor = actor_for(user, make_login(session, user))
    shown = second_factor.start_enrolment(session=session, actor=actor)
    session.commit()
    secret = shown.manual_key.replace(" ", "")
    assert shown.qr_svg.startswith("<svg") and secret not in shown.qr_svg
    with pytest.raises(Invalid, match="does not match"):
        second_factor.confirm_enrolment(session=session, actor=actor, code="000000")
    with pytest.raises(Invalid, match="6-digit"):
        second_factor.confirm_enrolment(session=session, actor=actor, code="abc")
    session.refresh(user)
    assert user.totp_enabled_at is None and user.totp_secret is None
    assert not second_factor.user_has_factor(session, user.id)
    # Kept sealed while pending: the row never holds the secret itself.
    assert user.totp_pending and secret not in user.totp_pending

    codes = second_factor.confirm_enrolment(
        session=session, actor=actor, code=pyotp.TOTP(secret).now()
    )
    session.commit()
    session.refresh(user)
    assert user.totp_enabled_at is not None and user.totp_pending is None
    assert secret not in user.totp_secret
    assert second_factor.user_has_factor(session, user.id)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(len(c) == 14 and c.count("-") == 2 for c in codes)
    stored = session.exec(select(RecoveryCode).where(RecoveryCode.user_id == user.id)).all()
    assert {r.code_hash for r in stored}.isdisjoint(codes) and len(stored) == 10
    # Under 112 bits each, so stored salted and slow (ASVS 5.0 6.5.2): no fast digest of any
    # code is kept, and no two rows share a salt.
    fast = {
        hashlib.sha256(v.encode()).hexdigest()
        for c in codes
        for v in (c, c.replace("-", ""), "recovery:" + c.replace("-", ""))
    }
    assert all(r.code_hash.startswith("scrypt$") for r in stored)
    assert not any(f in r.code_hash for r in stored for f in fast)
    assert len({r.code_hash.split("$")[1] for r in stored}) == 10
    actions = [e.action for e in session.exec(select(AuditEvent)).all()]
    assert "totp_enrolment_started" in actions and "totp_enabled" in actions


def test_the_code_that_confirmed_enrolment_cannot_also_sign_in(session, firm):
    user = make_user(session, firm)
    secret, _ = enrol_totp(session, user)
    now = utcnow()
    pending = password_step(session, user, now)
    result = code_step(session, pending, pyotp.TOTP(secret).at(now), now)
    assert not result.ok and result.message == second_factor.REPLAYED_CODE


# -- The code step of sign-in -------------------------------------------------------------------


def test_a_code_is_accepted_one_step_either_side_and_not_beyond(session, firm):
    user = make_user(session, firm)
    secret, _ = enrol_totp(session, user)
    totp = pyotp.TOTP(secret)
    now = utcnow() + timedelta(minutes=10)
    pending = password_step(session, user, now)
    too_old = code_step(session, pending, totp.at(now - timedelta(seconds=61)), now)
    assert not too_old.ok and too_old.message == second_factor.WRONG_CODE
    too_new = code_step(session, pending, totp.at(now + timedelta(seconds=61)), now)
    assert not too_new.ok
    late = code_step(session, pending, totp.at(now - timedelta(seconds=30)), now)
    assert late.ok and late.handoff_code
    later = now + timedelta(minutes=2)
    early = code_step(
        session, password_step(session, user, later), totp.at(later + timedelta(seconds=30)), later
    )
    assert early.ok


def test_a_replayed_code_is_refused_and_so_is_an_earlier_one(session, firm):
    user = make_user(session, firm)
    secret, _ = enrol_totp(session, user)
    totp = pyotp.TOTP(secret)
    now = utcnow() + timedelta(minutes=10)
    code = totp.at(now)
    assert code_step(session, password_step(session, user, now), code, now).ok
    again = code_step(session, password_step(session, user, now), code, now)
    assert not again.ok and again.message == second_factor.REPLAYED_CODE
    # The previous step's code is inside the window, but older than the one used: refused.
    earlier = code_step(
        session, password_step(session, user, now), totp.at(now - timedelta(seconds=30)), now
    )
    assert not earlier.ok and earlier.message == second_factor.REPLAYED_CODE
    assert len(sessions_of(session, user)) == 1


def test_one_code_sent_in_parallel_to_several_challenges_signs_in_once(session, firm, db_url):
    from concurrent.futures import ThreadPoolExecutor

    from sqlmodel import Session

    from portal.db import engine_for

    user = make_user(session, firm)
    secret, codes = enrol_totp(session, user)
    now = utcnow() + timedelta(minutes=10)
    pendings = [password_step(session, user, now) for _ in range(6)]
    code = pyotp.TOTP(secret).at(now)

    def finish(args):
        pending, typed = args
        with Session(engine_for(db_url), expire_on_commit=False) as s:
            return code_step(s, pending, typed, now).ok

    with ThreadPoolExecutor(max_workers=6) as pool:
        assert sum(pool.map(finish, [(p, code) for p in pendings])) == 1
    pendings = [password_step(session, user, now) for _ in range(6)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        assert sum(pool.map(finish, [(p, codes[0]) for p in pendings])) == 1
    assert len(sessions_of(session, user)) == 2


def test_each_recovery_code_signs_in_once(session, firm):
    user = make_user(session, firm)
    _, codes = enrol_totp(session, user)
    now = utcnow()
    typed = "  " + codes[0].upper().replace("-", " ") + " "  # as read off paper
    first = code_step(session, password_step(session, user, now), typed, now)
    assert first.ok
    again = code_step(session, password_step(session, user, now), codes[0], now)
    assert not again.ok and again.message == second_factor.USED_RECOVERY
    assert code_step(session, password_step(session, user, now), codes[1], now).ok
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "sign_in")).all()
    assert [e.detail for e in events if e.outcome == "ok"] == ["with a recovery code"] * 2


def test_wrong_codes_are_throttled_per_account_with_their_own_counter(session, firm):
    user = make_user(session, firm)
    secret, _ = enrol_totp(session, user)
    now = utcnow() + timedelta(minutes=10)
    for _ in range(second_factor.FAILURE_LIMIT // 4 + 1):
        pending = password_step(session, user, now)
        for _ in range(4):
            code_step(session, pending, "000000", now)
    # The right code now waits too: the counter is the account's, not the challenge's.
    pending = password_step(session, user, now)
    blocked = code_step(session, pending, pyotp.TOTP(secret).at(now), now)
    assert not blocked.ok and "Too many wrong codes for this account" in blocked.message
    assert sessions_of(session, user) == []
    # The window passes: the same kind of code goes through.
    later = now + second_factor.FAILURE_WINDOW + timedelta(minutes=1)
    assert code_step(
        session, password_step(session, user, later), pyotp.TOTP(secret).at(later), later
    ).ok
    # The password's own counter never saw these: the password still works at once.
    refused = session.exec(
        select(AuditEvent).where(AuditEvent.action == "sign_in", AuditEvent.outcome == "refused")
    ).all()
    assert refused and all(e.detail in ("wrong code", "throttled") for e in refused)


def test_a_challenge_dies_after_five_minutes_five_wrong_codes_or_one_use(session, firm):
    user = make_user(session, firm)
    secret, _ = enrol_totp(session, user)
    totp = pyotp.TOTP(secret)
    now = utcnow() + timedelta(minutes=10)

    pending = password_step(session, user, now)
    late = now + timedelta(minutes=5, seconds=1)
    expired = code_step(session, pending, totp.at(late), late)
    assert not expired.ok and expired.restart and expired.message == signin.CHALLENGE_ENDED

    pending = password_step(session, user, now)
    answers = [code_step(session, pending, "111111", now) for _ in range(signin.CHALLENGE_TRIES)]
    assert answers[-1].restart and answers[-1].message == signin.CHALLENGE_SPENT
    assert not any(a.restart for a in answers[:-1])
    assert code_step(session, pending, totp.at(now), now).restart  # even the right code

    pending = password_step(session, user, now)
    assert code_step(session, pending, totp.at(now), now).ok
    assert code_step(session, pending, totp.at(now + timedelta(seconds=30)), now).restart
    assert code_step(session, "x" * 43, totp.at(now), now).restart
    assert len(sessions_of(session, user)) == 1


def test_a_login_deactivated_between_password_and_code_opens_nothing(session, firm):
    user = make_user(session, firm)
    secret, _ = enrol_totp(session, user)
    now = utcnow() + timedelta(minutes=10)
    pending = password_step(session, user, now)
    user.is_active = False
    session.add(user)
    session.commit()
    result = code_step(session, pending, pyotp.TOTP(secret).at(now), now)
    assert not result.ok and result.message == signin.DEACTIVATED
    assert sessions_of(session, user) == []


def test_without_a_factor_the_password_alone_still_signs_in(session, firm):
    user = make_user(session, firm)
    session.commit()
    result = signin.sign_in(session=session, email=user.email, password=PASSWORD, ip=IP)
    assert result.ok and not result.needs_second_factor and not result.must_enrol


# -- Disabling and new recovery codes ------------------------------------------------------------


def test_turning_off_and_new_recovery_codes_need_a_current_code(session, firm):
    user = make_user(session, firm)
    secret, codes = enrol_totp(session, user)
    actor = actor_for(user, make_login(session, user))
    wrong = second_factor.regenerate_recovery_codes(session=session, actor=actor, code="123456")
    assert not wrong.ok and wrong.message == second_factor.WRONG_CODE
    fresh = second_factor.regenerate_recovery_codes(session=session, actor=actor, code=codes[3])
    assert fresh.ok and len(fresh.recovery_codes) == 10
    session.commit()
    now = utcnow()
    old = code_step(session, password_step(session, user, now), codes[4], now)
    assert not old.ok  # the old set stopped working
    off = second_factor.disable(
        session=session, actor=actor, code=pyotp.TOTP(secret).at(now + timedelta(seconds=30))
    )
    session.commit()
    assert off.ok and not second_factor.user_has_factor(session, user.id)
    assert session.exec(select(RecoveryCode).where(RecoveryCode.user_id == user.id)).all() == []


def test_the_only_factor_cannot_be_turned_off_while_the_policy_requires_one(session, firm):
    firm.mfa_staff = True
    session.add(firm)
    user = make_user(session, firm, "staff")
    secret, _ = enrol_totp(session, user)
    actor = actor_for(user, make_login(session, user))
    with pytest.raises(Invalid, match="requires a second factor"):
        second_factor.disable(
            session=session,
            actor=actor,
            code=pyotp.TOTP(secret).at(utcnow() + timedelta(seconds=30)),
        )
    session.rollback()  # as the unit of work does
    assert second_factor.user_has_factor(session, user.id)


# -- The firm's policy ----------------------------------------------------------------------------


def test_new_firms_require_a_factor_of_admins_and_staff(session):
    firm = Firm(name="Brand New")
    session.add(firm)
    session.commit()
    assert (firm.mfa_admins, firm.mfa_staff, firm.mfa_bookkeepers) == (True, True, False)


def test_the_policy_sends_a_person_without_a_factor_to_enrolment_through_resolve(session, firm):
    admin = make_user(session, firm, "admin")
    staff = make_user(session, firm, "staff")
    bea = make_user(session, firm, "bookkeeper")
    session.commit()
    tokens = {u.id: open_session(session, u) for u in (admin, staff, bea)}

    def roles():
        out = {}
        for user in (admin, staff, bea):
            actor = sessions.resolve(session=session, token=tokens[user.id]).actor
            out[user.role] = access.role_for(actor)
        return out

    assert roles() == {"admin": "admin", "staff": "staff", "bookkeeper": "bookkeeper"}
    admin_actor = actor_for(admin, make_login(session, admin))
    second_factor.set_policy(
        session=session, actor=admin_actor, admins=False, staff=True, bookkeepers=True
    )
    session.commit()
    assert roles() == {"admin": "admin", "staff": "must_enrol", "bookkeeper": "must_enrol"}
    enrol_totp(session, staff)
    assert roles()["staff"] == "staff"
    # A forced password change still comes first.
    bea.must_change_password = True
    session.add(bea)
    session.commit()
    assert roles()["bookkeeper"] == "password_change"
    # And sign-in says where the new session must start.
    fresh = make_user(session, firm, "bookkeeper")
    session.commit()
    result = signin.sign_in(session=session, email=fresh.email, password=PASSWORD, ip=IP)
    assert result.ok and result.must_enrol
    policy_events = session.exec(
        select(AuditEvent).where(AuditEvent.action == "second_factor_policy")
    ).all()
    assert [e.detail for e in policy_events] == ["required for: staff, bookkeepers"]


def test_only_admins_set_the_policy(session, firm):
    staff = make_user(session, firm, "staff")
    actor = actor_for(staff, make_login(session, staff))
    with pytest.raises(Refused):
        second_factor.set_policy(
            session=session, actor=actor, admins=False, staff=False, bookkeepers=False
        )


# -- An admin's reset ------------------------------------------------------------------------------


def test_an_admins_reset_removes_every_factor_ends_the_sessions_and_is_audited(session, firm):
    admin = make_user(session, firm, "admin")
    bea = make_user(session, firm, "bookkeeper")
    enrol_totp(session, bea)
    token = open_session_with_code(session, bea)
    assert sessions.resolve(session=session, token=token).actor is not None
    admin_actor = actor_for(admin, make_login(session, admin))
    assert second_factor.reset_for(session=session, actor=admin_actor, user_id=bea.id) == bea.email
    session.commit()
    assert sessions.resolve(session=session, token=token).actor is None
    session.refresh(bea)
    assert bea.totp_secret is None and not second_factor.user_has_factor(session, bea.id)
    assert session.exec(select(RecoveryCode).where(RecoveryCode.user_id == bea.id)).all() == []
    reset = session.exec(select(AuditEvent).where(AuditEvent.action == "second_factor_reset")).one()
    assert (reset.actor_id, reset.target_id) == (admin.id, bea.id)
    assert "2 session(s) ended" in reset.detail  # the enrolment's and the signed-in one
    # The password alone signs in again.
    assert signin.sign_in(session=session, email=bea.email, password=PASSWORD, ip=IP).ok


def test_a_reset_of_another_firms_person_reads_as_not_found(session, firm):
    admin = make_user(session, firm, "admin")
    other = make_user(session, make_firm(session, "Beta"), "staff")
    session.commit()
    actor = actor_for(admin, make_login(session, admin))
    with pytest.raises(NotFound):
        second_factor.reset_for(session=session, actor=actor, user_id=other.id)
    staff = actor_for(make_user(session, firm, "staff"), None)
    with pytest.raises(Refused):
        second_factor.reset_for(session=session, actor=staff, user_id=admin.id)


def open_session_with_code(session, user) -> str:
    now = utcnow() + timedelta(minutes=10)
    secret = second_factor._open(user.id, session.get(User, user.id).totp_secret)
    result = code_step(session, password_step(session, user, now), pyotp.TOTP(secret).at(now), now)
    assert result.ok
    token = sessions.redeem_handoff(session=session, code=result.handoff_code, now=now)
    session.commit()
    return token


# -- What the browser may hold --------------------------------------------------------------------


def public_values(state) -> str:
    """Every var of the state the browser receives (underscore vars never leave)."""
    return repr({name: getattr(state, name) for name in state.base_vars if name[:1] != "_"})


def test_the_secret_is_never_in_a_var_the_browser_receives_once_enrolment_is_confirmed(
    session, firm
):
    from state.security import SecurityState
    from tests.support.handlers import page_state, run_handler

    user = make_user(session, firm)
    actor = actor_for(user, make_login(session, user))
    session.commit()
    auth.set_acting(actor)
    state = page_state(SecurityState)
    state.submit_token = "t1"
    run_handler(state, "start_enrolment", token="t1")
    secret = state.manual_key.replace(" ", "")
    assert state.enrolling and len(secret) == 32
    run_handler(
        state,
        "confirm_enrolment",
        form={"_token": state.submit_token, "code": pyotp.TOTP(secret).now()},
    )
    assert state.error == "" and len(state.recovery_codes) == 10
    shown = public_values(state)
    assert secret not in shown and secret[:4] + " " + secret[4:8] not in shown
    assert state.qr_svg == "" and not state.enrolling
    # Reloading the page brings nothing of it back either.
    run_handler(state, "load")
    assert secret not in public_values(state) and state.status.totp_on
    first_codes = list(state.recovery_codes)
    run_handler(state, "dismiss_codes")
    assert state.recovery_codes == []

    # New recovery codes: a wrong code is refused with words, and counted.
    wrong = {"_token": state.submit_token, "_form": "regenerate-form", "code": "000000"}
    run_handler(state, "regenerate_codes", form=wrong)
    assert state.error == second_factor.WRONG_CODE and state.recovery_codes == []
    right = {"_token": state.submit_token, "_form": "regenerate-form", "code": first_codes[0]}
    run_handler(state, "regenerate_codes", form=right)
    assert state.error == "" and len(state.recovery_codes) == 10
    assert set(state.recovery_codes).isdisjoint(first_codes)
    assert state.status.recovery_left == 10
    assert secret not in public_values(state)


def test_the_sign_in_challenge_stays_on_the_server(session, firm):
    from state.signin import SignInState
    from tests.support.handlers import page_state, run_handler

    user = make_user(session, firm)
    enrol_totp(session, user)
    auth.set_acting(None)
    state = page_state(SignInState)
    state.router_data = {"query": {}}
    run_handler(
        state, "sign_in", form_data={"_token": "a", "email": user.email, "password": PASSWORD}
    )
    assert state.step == "code" and state._pending
    assert state._pending not in public_values(state)
    assert sessions_of(session, user) == []


def test_the_frame_audit_catches_a_secret_sent_after_its_factor_was_switched_on(session, firm):
    from tests.support.payload_audit import FrameLog, enrolled_secrets, secret_violations

    user = make_user(session, firm, email="audited@alpha.example")
    secret, _ = enrol_totp(session, user)
    settings = get_settings()
    found = enrolled_secrets(settings.database_url, settings.data_dir)
    assert [(s.email, s.secret) for s in found] == [(user.email, secret)]
    switched_on = found[0].enabled_at
    grouped = " ".join(secret[i : i + 4] for i in range(0, 32, 4))
    during = FrameLog(frames=[f'{{"manual_key":"{grouped}"}}'], times=[switched_on - 5])
    assert secret_violations(during, found) == []  # the enrolment screen itself
    for leaked in (secret, grouped, secret.lower()):
        after = FrameLog(
            frames=["{}", f'{{"x":"{leaked}"}}'], times=[switched_on - 5, switched_on + 1]
        )
        assert secret_violations(after, found) == [
            "frame 1: the authenticator secret of audited@alpha.example"
        ]
