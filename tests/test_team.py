"""Staff seats, the modules, and logins: what an admin manages on the settings page."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import Session, select

from models import Firm, User
from portal.auth import verify_password
from portal.db import engine_for
from portal.services import sessions, signin, team
from portal.services.errors import Conflict, Invalid, NotFound, Refused
from tests.factories import PASSWORD, actor_for, make_firm, make_login, make_user


@pytest.fixture
def small_firm(session):
    """Two seats, both taken by an admin and one staff member."""
    firm = make_firm(session, "Small Firm", staff_seats=2)
    admin = make_user(session, firm, "admin", email="boss@small.example")
    make_user(session, firm, "staff", email="one@small.example")
    session.commit()
    return firm, actor_for(admin, make_login(session, admin))


def test_the_plan_counts_active_admins_and_staff_only(session, small_firm):
    firm, admin = small_firm
    make_user(session, firm, "bookkeeper")
    make_user(session, firm, "staff", is_active=False)
    session.commit()
    view = team.plan(session=session, actor=admin)
    assert (view.staff_seats, view.seats_used) == (2, 2)


def test_a_full_plan_refuses_another_staff_login_with_a_clear_message(session, small_firm):
    _, admin = small_firm
    with pytest.raises(Invalid, match="2 staff seats are all in use"):
        team.create_login(
            session=session, actor=admin, name="Three", email="three@small.example", role="staff"
        )
    session.rollback()
    assert session.exec(select(User).where(User.email == "three@small.example")).first() is None


def test_bookkeeper_logins_are_unlimited_and_take_no_seat(session, small_firm):
    _, admin = small_firm
    for i in range(12):
        team.create_login(
            session=session,
            actor=admin,
            name=f"Books {i}",
            email=f"b{i}@small.example",
            role="bookkeeper",
        )
    session.commit()
    assert team.plan(session=session, actor=admin).seats_used == 2


def test_deactivating_frees_a_seat_and_reactivating_needs_one(session, small_firm):
    _, admin = small_firm
    one = session.exec(select(User).where(User.email == "one@small.example")).one()
    team.set_active(session=session, actor=admin, user_id=one.id, active=False)
    created = team.create_login(
        session=session, actor=admin, name="New", email="new@small.example", role="staff"
    )
    session.commit()
    with pytest.raises(Invalid, match="seats are all in use"):
        team.set_active(session=session, actor=admin, user_id=one.id, active=True)
    session.rollback()
    team.set_active(session=session, actor=admin, user_id=created.user_id, active=False)
    team.set_active(session=session, actor=admin, user_id=one.id, active=True)
    session.commit()
    assert session.get(User, one.id).is_active


def test_parallel_admins_cannot_overshoot_the_plan(session, db_url):
    firm = make_firm(session, "Race Firm", staff_seats=3)
    admin = make_user(session, firm, "admin", email="race@firm.example")
    login = make_login(session, admin)
    session.commit()
    actor = actor_for(admin, login)

    def add(i):
        with Session(engine_for(db_url), expire_on_commit=False) as s:
            try:
                team.create_login(
                    session=s,
                    actor=actor,
                    name=f"P{i}",
                    email=f"p{i}@race.example",
                    role="staff",
                )
                s.commit()
                return True
            except Invalid:
                s.rollback()
                return False

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(add, range(8)))
    assert sum(results) == 2
    assert team.plan(session=session, actor=actor).seats_used == 3


def test_a_new_login_is_invited_and_nobody_knows_a_password_for_it(session, small_firm):
    _, admin = small_firm
    created = team.create_login(
        session=session, actor=admin, name="Books", email="Books@Small.example", role="bookkeeper"
    )
    session.commit()
    user = session.get(User, created.user_id)
    assert created.email == "books@small.example"
    assert user.invited_at is not None and user.activated_at is None
    assert not user.must_change_password
    assert not hasattr(created, "generated_password")
    # No password the admin could have typed or seen opens it.
    for guess in ("", PASSWORD, "books@small.example", created.link_expires):
        assert not verify_password(guess, user.password_hash)
    [row] = [b for b in team.list_bookkeepers(session=session, actor=admin) if b.id == user.id]
    assert row.status == "invited" and row.status_label.startswith("Invited · link valid until")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "", "email": "x@small.example"}, "Name cannot be empty"),
        ({"name": "X", "email": "nope"}, "valid email"),
        ({"name": "X", "email": "boss@small.example"}, "already has a login"),
        ({"name": "X", "email": "x@small.example", "role": "owner"}, "Choose a role"),
    ],
)
def test_bad_login_input_changes_nothing(session, small_firm, fields, message):
    _, admin = small_firm
    values = {"role": "bookkeeper"} | fields
    with pytest.raises(Invalid, match=message):
        team.create_login(session=session, actor=admin, **values)


def test_staff_list_never_includes_bookkeepers(session, world):
    names = [
        p.name for p in team.list_staff(session=session, actor=world.actor(session, world.staff))
    ]
    assert names == ["Ada Admin", "Sam Staff"]


def test_only_admins_manage_the_firm(session, world):
    staff = world.actor(session, world.staff)
    with pytest.raises(Refused):
        team.plan(session=session, actor=staff)
    with pytest.raises(Refused):
        team.set_modules(session=session, actor=staff, filing_steps=True, portal=False)
    with pytest.raises(Refused):
        team.create_login(session=session, actor=staff, name="x", email="x@x.example", role="staff")
    with pytest.raises(Refused):
        team.set_active(session=session, actor=staff, user_id=world.bk1.id, active=False)


def test_portal_needs_filing_steps(session, world):
    admin = world.actor(session, world.admin)
    with pytest.raises(Invalid, match="needs Filing Steps"):
        team.set_modules(session=session, actor=admin, filing_steps=False, portal=True)


def test_turning_the_portal_off_ends_bookkeeper_sessions_at_once(session, world):
    admin = world.actor(session, world.admin)
    result = signin.sign_in(session=session, email=world.bk1.email, password=PASSWORD, ip="::1")
    token = sessions.redeem_handoff(session=session, code=result.handoff_code)
    session.commit()
    view = team.set_modules(session=session, actor=admin, filing_steps=True, portal=False)
    session.commit()
    assert not view.portal_enabled
    assert sessions.resolve(session=session, token=token).actor is None
    again = signin.sign_in(session=session, email=world.bk1.email, password=PASSWORD, ip="::1")
    assert not again.ok and "add-on" in again.message


def test_admins_cannot_lock_themselves_or_the_firm_out(session, world):
    admin = world.actor(session, world.admin)
    with pytest.raises(Invalid, match="your own login"):
        team.set_active(session=session, actor=admin, user_id=world.admin.id, active=False)
    second = make_user(session, world.firm, "admin", email="second@alpha.example")
    session.commit()
    team.set_active(session=session, actor=admin, user_id=second.id, active=False)
    with pytest.raises(NotFound):
        team.set_active(session=session, actor=admin, user_id=world.outsider.id, active=False)


def test_modules_switched_from_a_stale_page_are_refused_naming_who(session, world):
    ada = world.actor(session, world.admin)
    other_admin = make_user(session, world.firm, "admin", name="Otto Other")
    session.commit()
    otto = world.actor(session, other_admin)
    team.set_modules(
        session=session, actor=otto, filing_steps=True, portal=False, expected=(True, True)
    )
    session.commit()
    with pytest.raises(Conflict, match="Otto Other changed the modules"):
        team.set_modules(
            session=session, actor=ada, filing_steps=False, portal=False, expected=(True, True)
        )
    session.rollback()
    firm = session.get(Firm, world.firm.id)
    session.refresh(firm)
    assert (firm.filing_steps_enabled, firm.portal_enabled) == (True, False)
    # Asking for what already holds is no conflict.
    team.set_modules(
        session=session, actor=ada, filing_steps=True, portal=False, expected=(True, True)
    )
