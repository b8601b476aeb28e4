"""Admin management of bookkeeper logins."""

from __future__ import annotations

import pytest
from sqlmodel import select

from models import QueuedMail, User
from portal.services import sessions, signin, team
from portal.services.errors import Invalid, Refused
from tests.factories import PASSWORD, open_session


def test_the_list_shows_status_last_sign_in_and_open_steps(session, world):
    open_session(session, world.bk1)
    rows = team.list_bookkeepers(session=session, actor=world.actor(session, world.admin))
    by_name = {r.name: r for r in rows}
    assert set(by_name) == {"Bea Books", "Dev Books"}
    assert by_name["Bea Books"].open_steps == 1 and by_name["Dev Books"].open_steps == 0
    assert (
        by_name["Bea Books"].last_sign_in != "Never"
        and by_name["Dev Books"].last_sign_in == "Never"
    )


def test_reset_emails_a_link_lifts_the_throttle_and_changes_nothing_else_yet(session, world):
    token = open_session(session, world.bk1)
    created = team.reset_password(
        session=session, actor=world.actor(session, world.admin), user_id=world.bk1.id
    )
    session.commit()
    user = session.get(User, world.bk1.id)
    assert user.throttle_reset_at is not None and not user.must_change_password
    assert created.email == world.bk1.email and created.link_expires
    # The password and the sessions stay until the person uses the emailed link.
    assert sessions.resolve(session=session, token=token).actor is not None
    assert signin.sign_in(session=session, email=world.bk1.email, password=PASSWORD, ip="::1").ok
    [mail] = session.exec(select(QueuedMail).where(QueuedMail.user_id == world.bk1.id)).all()
    assert mail.kind == "reset" and mail.link_id is not None


def test_deactivate_and_reactivate(session, world):
    token = open_session(session, world.bk1)
    admin = world.actor(session, world.admin)
    team.set_active(session=session, actor=admin, user_id=world.bk1.id, active=False)
    session.commit()
    assert sessions.resolve(session=session, token=token).actor is None
    assert (
        signin.sign_in(session=session, email=world.bk1.email, password=PASSWORD, ip="::1").message
        == signin.DEACTIVATED
    )
    team.set_active(session=session, actor=admin, user_id=world.bk1.id, active=True)
    session.commit()
    assert signin.sign_in(session=session, email=world.bk1.email, password=PASSWORD, ip="::1").ok


def test_no_bookkeeper_logins_while_the_portal_is_off(session, world):
    admin = world.actor(session, world.admin)
    team.set_modules(session=session, actor=admin, filing_steps=True, portal=False)
    with pytest.raises(Invalid, match="Turn on the Bookkeeper Portal"):
        team.create_login(
            session=session,
            actor=admin,
            name="Nope",
            email="nope@alpha.example",
            role="bookkeeper",
        )


def test_staff_and_bookkeepers_cannot_manage_logins(session, world):
    for user in (world.staff, world.bk1):
        actor = world.actor(session, user)
        with pytest.raises(Refused):
            team.list_bookkeepers(session=session, actor=actor)
        with pytest.raises(Refused):
            team.reset_password(session=session, actor=actor, user_id=world.bk2.id)
