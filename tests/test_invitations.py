"""Invitations, admin reset links and "Forgot your password?": links that work once, expire,
stop working when revoked or replaced, exist only as a hash at rest; the same answer for any
email; throttles per address and per email; a reset that ends the person's other sessions."""

from __future__ import annotations

import re
from datetime import timedelta
from email.message import EmailMessage

import pytest
from sqlalchemy import func, inspect, text
from sqlmodel import Session, select

from models import AccountLink, AuditEvent, LoginSession, QueuedMail, ResetRequest, User, utcnow
from portal import routes
from portal.auth import digest, verify_password
from portal.mail import MailResult
from portal.services import links, mail_queue, runner, sessions, signin, team
from portal.services.errors import Invalid
from tests.factories import PASSWORD, actor_for, enrol_totp, make_login, open_session

NEW_PASSWORD = "gravel orchid lantern seventy"
PUBLIC_URL = "https://portal.alpha.example"


class Catcher:
    """A mailer that keeps what it is given."""

    def __init__(self):
        self.sent: list[EmailMessage] = []

    def send(self, message: EmailMessage) -> MailResult:
        self.sent.append(message)
        return MailResult("sent", f"<{len(self.sent)}@test>")

    def to(self, email: str) -> list[EmailMessage]:
        return [m for m in self.sent if m["To"].addresses[0].addr_spec == email]


@pytest.fixture
def mailer(db_url, monkeypatch):
    from portal.settings import get_settings

    monkeypatch.setenv("PORTAL_PUBLIC_URL", PUBLIC_URL)
    get_settings.cache_clear()
    return Catcher()


def send_all(session: Session, mailer: Catcher, now=None) -> None:
    """What the mail sender does after the commit: requests into links, then the mail."""
    session.commit()
    links.process_reset_requests(now=now)
    mail_queue.deliver_due(now=now, mailer=mailer)
    session.expire_all()


def token_in(message: EmailMessage, path: str) -> str:
    body = message.get_body(("plain",)).get_content()
    [token] = re.findall(rf"{re.escape(PUBLIC_URL + path)}\?token=([A-Za-z0-9_-]{{43}})", body)
    return token


def admin_of(session: Session, world):
    return actor_for(world.admin, make_login(session, world.admin))


def invite(session: Session, world, mailer: Catcher, email="nina@alpha.example", role="bookkeeper"):
    created = team.create_login(
        session=session,
        actor=admin_of(session, world),
        name="Nina Newcomer",
        email=email,
        role=role,
    )
    send_all(session, mailer)
    [message] = mailer.to(email)
    return created, token_in(message, routes.INVITATION)


def use(session: Session, kind: str, token: str, password=NEW_PASSWORD, now=None, **kw):
    result = links.use_link(
        session=session,
        kind=kind,
        token=token,
        password=password,
        confirm=kw.pop("confirm", password),
        ip="10.0.0.9",
        now=now,
    )
    session.commit()
    return result


def actions(session: Session) -> list[str]:
    session.expire_all()
    return [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.id))]


# --- invitations -----------------------------------------------------------------------------


def test_an_invitation_is_emailed_and_accepted_once(session, world, mailer):
    created, token = invite(session, world, mailer)
    [message] = mailer.to("nina@alpha.example")
    body = message.get_body(("plain",)).get_content()
    assert "Ada Admin invited you to Alpha Accounting" in body
    assert message["Subject"] == "Ada Admin invited you to Alpha Accounting"

    view = links.describe(session=session, kind="invite", token=token)
    assert view.ok and (view.firm_name, view.inviter, view.email) == (
        "Alpha Accounting",
        "Ada Admin",
        "nina@alpha.example",
    )
    result = use(session, "invite", token)
    assert result.ok and result.role == "bookkeeper" and result.handoff_code
    user = session.get(User, created.user_id)
    assert user.activated_at is not None and verify_password(NEW_PASSWORD, user.password_hash)
    # The handoff code opens a session, as a sign-in's does.
    assert sessions.redeem_handoff(session=session, code=result.handoff_code)
    assert signin.sign_in(
        session=session, email="nina@alpha.example", password=NEW_PASSWORD, ip="::1"
    ).ok

    again = use(session, "invite", token, password="another quite long passphrase")
    assert not again.ok and again.link_dead
    assert again.message.startswith("This invitation has already been used.")
    session.refresh(user)
    assert verify_password(NEW_PASSWORD, user.password_hash)
    assert {"login_created", "invitation_sent", "invitation_accepted", "invitation_refused"} <= set(
        actions(session)
    )


def test_the_token_is_stored_only_as_its_hash(session, world, mailer):
    created, token = invite(session, world, mailer)
    [link] = session.exec(select(AccountLink).where(AccountLink.user_id == created.user_id))
    assert link.token_hash == digest(token)
    # Nowhere in the database: every text column of every table, searched.
    for table in inspect(session.get_bind()).get_table_names():
        for row in session.execute(text(f'SELECT * FROM "{table}"')):  # noqa: S608
            assert not any(token in str(value) for value in row), table


def test_an_expired_invitation_says_so_and_changes_nothing(session, world, mailer):
    created, token = invite(session, world, mailer)
    later = utcnow() + links.INVITE_LIFETIME + timedelta(seconds=1)
    result = use(session, "invite", token, now=later)
    assert not result.ok and result.link_dead
    assert result.message == (
        "This invitation has expired. Ask Ada Admin at Alpha Accounting to send a new one."
    )
    view = links.describe(session=session, kind="invite", token=token, now=later)
    assert not view.ok and view.problem == result.message
    user = session.get(User, created.user_id)
    assert user.activated_at is None
    assert not verify_password(NEW_PASSWORD, user.password_hash)
    # Just before the end it still works.
    just_before = later - timedelta(seconds=2)
    assert use(session, "invite", token, now=just_before).ok


def test_a_revoked_invitation_is_refused_and_the_login_stays_invited(session, world, mailer):
    created, token = invite(session, world, mailer)
    team.revoke_invitation(session=session, actor=admin_of(session, world), user_id=created.user_id)
    session.commit()
    result = use(session, "invite", token)
    assert not result.ok and "withdrawn or replaced" in result.message
    [row] = [
        b
        for b in team.list_bookkeepers(session=session, actor=admin_of(session, world))
        if b.id == created.user_id
    ]
    assert row.status == "invited" and "no valid link" in row.status_label
    with pytest.raises(Invalid, match="no invitation that still works"):
        team.revoke_invitation(
            session=session, actor=admin_of(session, world), user_id=created.user_id
        )


def test_resending_makes_the_old_link_stop_working(session, world, mailer):
    created, old = invite(session, world, mailer)
    team.resend_invitation(session=session, actor=admin_of(session, world), user_id=created.user_id)
    send_all(session, mailer)
    first, second = mailer.to("nina@alpha.example")
    assert token_in(first, routes.INVITATION) == old
    new = token_in(second, routes.INVITATION)
    assert new != old
    refused = use(session, "invite", old)
    assert not refused.ok and "replaced by a newer one" in refused.message
    assert use(session, "invite", new).ok


def test_a_weak_or_mismatched_password_is_refused_and_the_link_still_works(session, world, mailer):
    _, token = invite(session, world, mailer)
    weak = use(session, "invite", token, password="Nina Newcomer 2026!")
    assert not weak.ok and not weak.link_dead and "cannot contain your name" in weak.message
    differ = use(session, "invite", token, confirm=NEW_PASSWORD + "x")
    assert not differ.ok and "differ" in differ.message
    assert use(session, "invite", token).ok


def test_an_invited_staff_login_takes_a_seat(session, world, mailer):
    admin = admin_of(session, world)
    before = team.plan(session=session, actor=admin).seats_used
    invite(session, world, mailer, email="sid@alpha.example", role="staff")
    assert team.plan(session=session, actor=admin).seats_used == before + 1


def test_deactivating_an_invited_login_ends_its_link(session, world, mailer):
    created, token = invite(session, world, mailer)
    team.set_active(
        session=session, actor=admin_of(session, world), user_id=created.user_id, active=False
    )
    session.commit()
    result = use(session, "invite", token)
    assert not result.ok and "deactivated" in result.message


def test_an_invited_login_cannot_sign_in_with_any_password(session, world, mailer):
    invite(session, world, mailer)
    for guess in (PASSWORD, NEW_PASSWORD, "nina@alpha.example"):
        assert not signin.sign_in(
            session=session, email="nina@alpha.example", password=guess, ip="::1"
        ).ok


# --- the admin's reset -----------------------------------------------------------------------


def test_the_admins_reset_emails_a_link_and_ends_sessions_only_when_used(session, world, mailer):
    old_session = open_session(session, world.bk1)
    created = team.reset_password(
        session=session, actor=admin_of(session, world), user_id=world.bk1.id
    )
    send_all(session, mailer)
    user = session.get(User, world.bk1.id)
    assert user.throttle_reset_at is not None
    # Nothing ended and nothing changed yet.
    assert sessions.resolve(session=session, token=old_session).actor is not None
    assert verify_password(PASSWORD, user.password_hash)
    assert not hasattr(created, "generated_password")
    [message] = mailer.to(world.bk1.email)
    assert "Ada Admin, an admin at Alpha Accounting, sent you" in message.get_content()
    token = token_in(message, routes.RESET_PASSWORD)
    result = use(session, "reset", token)
    assert result.ok
    session.expire_all()
    assert sessions.resolve(session=session, token=old_session).actor is None
    assert verify_password(NEW_PASSWORD, session.get(User, world.bk1.id).password_hash)


def test_a_reset_link_expires_after_30_minutes(session, world, mailer):
    team.reset_password(session=session, actor=admin_of(session, world), user_id=world.bk1.id)
    send_all(session, mailer)
    token = token_in(mailer.to(world.bk1.email)[0], routes.RESET_PASSWORD)
    late = utcnow() + timedelta(minutes=30, seconds=1)
    result = use(session, "reset", token, now=late)
    assert not result.ok and result.message.startswith("This password-reset link has expired.")
    assert verify_password(PASSWORD, session.get(User, world.bk1.id).password_hash)


def test_an_invitation_token_is_no_reset_token_and_the_reverse(session, world, mailer):
    _, token = invite(session, world, mailer)
    assert use(session, "reset", token).message == links.INVALID_LINK
    assert use(session, "invite", "x" * 43).message == links.INVALID_LINK
    assert use(session, "invite", "not a token").message == links.INVALID_LINK


# --- forgot password -------------------------------------------------------------------------


def ask(session: Session, email: str, ip: str = "10.1.1.1", now=None) -> links.RequestAnswer:
    answer = links.request_reset(session=session, email=email, ip=ip, now=now)
    session.commit()
    return answer


def test_the_answer_is_the_same_for_known_unknown_and_deactivated_emails(session, world, mailer):
    world.bk2.is_active = False
    session.add(world.bk2)
    session.commit()
    answers = {
        email: ask(session, email, ip=f"10.0.0.{i}")
        for i, email in enumerate(
            (world.bk1.email, "nobody-here@alpha.example", world.bk2.email), start=1
        )
    }
    assert {(a.ok, a.message) for a in answers.values()} == {(True, links.REQUEST_ANSWER)}
    # The same rows written for each, and nothing queued yet for any.
    requests = session.exec(select(ResetRequest)).all()
    assert [r.outcome for r in requests] == ["pending"] * 3
    assert session.exec(select(QueuedMail)).all() == []
    send_all(session, mailer)
    assert len(mailer.to(world.bk1.email)) == 1
    assert mailer.to(world.bk2.email) == [] and mailer.to("nobody-here@alpha.example") == []
    audit = session.exec(select(AuditEvent).where(AuditEvent.action.like("password_reset%"))).all()
    requested = [e for e in audit if e.action == "password_reset_requested"]
    assert sorted(e.actor_label for e in requested) == sorted(answers)
    not_sent = {e.actor_label: e.detail for e in audit if e.action == "password_reset_not_sent"}
    assert not_sent == {
        "nobody-here@alpha.example": "no login with this email",
        world.bk2.email: "login deactivated",
    }
    assert [e.action for e in audit if e.target_id == world.bk1.id] == [
        "password_reset_link",
        "password_reset_sent",
    ]


def test_bookkeepers_of_a_firm_with_the_portal_off_get_nothing(session, world, mailer):
    team.set_modules(
        session=session, actor=admin_of(session, world), filing_steps=True, portal=False
    )
    session.commit()
    assert ask(session, world.bk1.email).message == links.REQUEST_ANSWER
    send_all(session, mailer)
    assert mailer.sent == []


def test_forgot_password_is_throttled_per_email_with_the_same_words(session, world, mailer):
    for email in (world.bk1.email, "ghost@alpha.example"):
        answers = [ask(session, email, ip=f"10.2.0.{i}") for i in range(links.PER_EMAIL_LIMIT + 1)]
        assert all(a.ok for a in answers[:-1])
        assert (answers[-1].ok, answers[-1].message) == (False, links.REQUEST_THROTTLED)
    # Another email from the same addresses is not affected.
    assert ask(session, world.staff.email, ip="10.2.0.0").ok
    # After the window, the email may ask again.
    later = utcnow() + links.REQUEST_WINDOW + timedelta(seconds=1)
    assert ask(session, world.bk1.email, now=later).ok


def test_forgot_password_is_throttled_per_address(session, world, mailer):
    emails = [f"person{i}@alpha.example" for i in range(links.PER_ADDRESS_LIMIT + 1)]
    answers = [ask(session, email, ip="10.3.3.3") for email in emails]
    assert all(a.ok for a in answers[:-1])
    assert answers[-1].message == links.REQUEST_THROTTLED
    assert ask(session, world.bk1.email, ip="10.3.3.3").message == links.REQUEST_THROTTLED
    assert ask(session, world.bk1.email, ip="10.4.4.4").ok
    throttled = session.exec(select(ResetRequest).where(ResetRequest.outcome == "throttled")).all()
    assert len(throttled) == 2
    send_all(session, mailer)
    # A throttled request sends nothing.
    assert len(mailer.to(world.bk1.email)) == 1


def test_using_a_forgot_password_link_ends_every_other_session_and_works_once(
    session, world, mailer
):
    phone = open_session(session, world.bk1)
    laptop = open_session(session, world.bk1)
    ask(session, world.bk1.email)
    send_all(session, mailer)
    token = token_in(mailer.to(world.bk1.email)[0], routes.RESET_PASSWORD)
    result = use(session, "reset", token)
    assert result.ok and result.role == "bookkeeper"
    session.expire_all()
    for old in (phone, laptop):
        assert sessions.resolve(session=session, token=old).actor is None
    fresh = sessions.redeem_handoff(session=session, code=result.handoff_code)
    session.commit()
    assert sessions.resolve(session=session, token=fresh).actor.user_id == world.bk1.id
    live = session.exec(
        select(LoginSession).where(
            LoginSession.user_id == world.bk1.id, LoginSession.revoked_at.is_(None)
        )
    ).all()
    assert len(live) == 1
    second = use(session, "reset", token, password="yet another fine passphrase")
    assert not second.ok and "already been used" in second.message
    assert "password_reset_used" in actions(session)


def test_a_newer_reset_link_replaces_the_older_one(session, world, mailer):
    ask(session, world.bk1.email, ip="10.5.0.1")
    send_all(session, mailer)
    ask(session, world.bk1.email, ip="10.5.0.2")
    send_all(session, mailer)
    first, second = (token_in(m, routes.RESET_PASSWORD) for m in mailer.to(world.bk1.email))
    assert "replaced by a newer one" in use(session, "reset", first).message
    assert use(session, "reset", second).ok


def test_the_signed_out_pages_and_events_are_on_the_allowlist_and_nothing_else(session):
    from portal import access

    signed_out = access.ROUTES[access.Role.SIGNED_OUT]
    assert {routes.INVITATION, routes.RESET_PASSWORD, routes.FORGOT_PASSWORD} <= signed_out
    for role in (access.Role.BOOKKEEPER, access.Role.ADMIN):
        decision = access.route_decision(role, routes.INVITATION)
        assert (decision.allowed, decision.redirect) == (False, access.LANDING[role])
        assert not access.event_allowed(role, "state.links.InvitationState.accept")
    for handler in ("accept", "load"):
        key = f"state.links.InvitationState.{handler}"
        assert access.event_allowed(access.Role.SIGNED_OUT, key)
    assert not access.event_allowed(
        access.Role.SIGNED_OUT, "state.settings.SettingsState.resend_invitation"
    )


def test_a_submission_repeated_runs_once(session, world, mailer):
    admin = admin_of(session, world)
    session.commit()
    fields = {"name": "Rita Repeat", "email": "rita@alpha.example", "role": "bookkeeper"}
    one = runner.perform_once(team.create_login, actor=admin, token="t-inv", **fields)
    two = runner.perform_once(team.create_login, actor=admin, token="t-inv", **fields)
    assert (one.repeat, two.repeat) == (False, True)
    session.expire_all()
    assert len(session.exec(select(QueuedMail)).all()) == 1


LINK_QUERIES = {
    "the throttle's count per email": lambda: select(func.count()).where(
        ResetRequest.email == "a@b.example",
        ResetRequest.at >= utcnow(),
        ResetRequest.outcome != "throttled",
    ),
    "the throttle's count per address": lambda: select(func.count()).where(
        ResetRequest.ip == "10.0.0.1",
        ResetRequest.at >= utcnow(),
        ResetRequest.outcome != "throttled",
    ),
    "pending requests for the sender": lambda: (
        select(ResetRequest.id)
        .where(ResetRequest.outcome == "pending")
        .order_by(ResetRequest.id)
        .limit(100)
    ),
    "a link by its token": lambda: select(AccountLink).where(
        AccountLink.token_hash == digest("x" * 43)
    ),
    "a person's open links": lambda: select(AccountLink.id).where(
        AccountLink.user_id == 3,
        AccountLink.kind == "invite",
        AccountLink.used_at.is_(None),
        AccountLink.revoked_at.is_(None),
    ),
}


@pytest.mark.parametrize("name", sorted(LINK_QUERIES))
def test_link_and_request_queries_read_indexes(db_url, name):
    from tests.test_query_plans import plan

    steps = plan(db_url, LINK_QUERIES[name]())
    assert not [s for s in steps if re.match(r"SCAN (reset_request|account_link)\b", s)], steps
    assert any("USING" in s for s in steps), steps


def test_with_a_second_factor_a_reset_link_sets_the_password_but_signs_nobody_in(
    session, world, mailer
):
    """An inbox alone is one factor: the link changes the password and ends every session,
    and the person then signs in with the new password and their second factor."""
    old = open_session(session, world.bk1)
    enrol_totp(session, world.bk1)
    ask(session, world.bk1.email)
    send_all(session, mailer)
    token = token_in(mailer.to(world.bk1.email)[0], routes.RESET_PASSWORD)
    result = use(session, "reset", token)
    assert result.ok and result.handoff_code == "" and result.message == links.SIGN_IN_WITH_FACTOR
    session.expire_all()
    assert sessions.resolve(session=session, token=old).actor is None
    assert verify_password(NEW_PASSWORD, session.get(User, world.bk1.id).password_hash)
    opened = session.exec(
        select(LoginSession).where(
            LoginSession.user_id == world.bk1.id, LoginSession.revoked_at.is_(None)
        )
    ).all()
    assert opened == []
