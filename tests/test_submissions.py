"""Every submit happens once: a repeat of a handled submission creates nothing and hands back
what the first one made, from this worker or another, while a refused one leaves no trace."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlmodel import Session, func, select

from models import Client, Submission, User, utcnow
from portal.db import get_engine
from portal.services import clients, runner, submissions, team
from portal.services.errors import Invalid
from tests.factories import actor_for, make_firm, make_user


@pytest.fixture
def staff(session):
    firm = make_firm(session, "Alpha", staff_seats=2)
    admin = make_user(session, firm, "admin", name="Ada Admin")
    user = make_user(session, firm, "staff", name="Sam Staff")
    session.commit()
    return {"firm": firm, "admin": actor_for(admin), "staff": actor_for(user)}


def count(model) -> int:
    with Session(get_engine()) as fresh:
        return fresh.exec(select(func.count()).select_from(model)).one()


def create(actor, token, name="Golden Crust Bakery"):
    return runner.perform_once(clients.create_client, actor=actor, token=token, form={"name": name})


def test_a_repeat_of_a_create_returns_the_first_record_and_creates_nothing(staff):
    first = create(staff["staff"], "t-1")
    again = create(staff["staff"], "t-1")
    assert first.repeat is False and again.repeat is True
    assert again.result == first.result
    assert count(Client) == 1


def test_a_new_token_or_different_values_are_a_new_submission(staff):
    create(staff["staff"], "t-1", "Golden Crust Bakery")
    create(staff["staff"], "t-1", "Harbour Lights Marina")  # another form sent on the same page
    create(staff["staff"], "t-2", "Birch Lane Dental")  # the page renewed its token
    assert count(Client) == 3


def test_the_same_token_from_someone_else_is_their_own_submission(staff):
    create(staff["staff"], "t-1", "Golden Crust Bakery")
    second = runner.perform_once(
        clients.create_client,
        actor=staff["admin"],
        token="t-1",
        form={"name": "Golden Crust Bakery"},
        allow_duplicate=True,
    )
    assert second.repeat is False
    assert count(Client) == 2


def test_without_a_token_nothing_is_remembered(staff):
    runner.perform_once(
        clients.create_client, actor=staff["staff"], token="", form={"name": "One Co."}
    )
    assert count(Submission) == 0


def test_two_workers_racing_with_one_submission_create_one_record(staff, monkeypatch):
    """The claim is an INSERT under a unique index: the second waits for the first, then
    finds it handled. The operation is slowed so the two really overlap."""
    real = clients.create_client

    def slow_create(**kwargs):
        time.sleep(0.3)
        return real(**kwargs)

    slow_create.__module__, slow_create.__qualname__ = real.__module__, real.__qualname__
    outcomes = []

    def submit():
        outcomes.append(
            runner.perform_once(
                slow_create, actor=staff["staff"], token="t-race", form={"name": "Race Co."}
            )
        )

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(o.repeat for o in outcomes) == [False, True]
    assert outcomes[0].result == outcomes[1].result
    assert count(Client) == 1


def test_a_refused_submission_leaves_no_claim_so_the_same_one_can_succeed_later(staff, session):
    """Both seats are taken, the admin is refused; once a seat frees up, the same submission
    (same token, same values) goes through: the refusal had rolled its claim back."""
    fields = {"name": "New Person", "email": "new@alpha.example", "role": "staff"}
    with pytest.raises(Invalid, match="staff seats are all in use"):
        runner.perform_once(team.create_login, actor=staff["admin"], token="t-1", **fields)
    assert count(Submission) == 0
    session.exec(select(User).where(User.role == "staff")).first().is_active = False
    session.commit()
    created = runner.perform_once(team.create_login, actor=staff["admin"], token="t-1", **fields)
    assert created.repeat is False and created.result.link_expires


def test_passwords_never_enter_the_key(staff):
    base = {"name": "New Person", "email": "new@alpha.example", "role": "staff"}
    one = submissions.key(staff["admin"], "t", team.create_login, {**base, "password": "a" * 12})
    two = submissions.key(staff["admin"], "t", team.create_login, {**base, "password": "b" * 12})
    assert one == two


def test_keys_older_than_a_day_are_dropped_as_new_ones_come(staff, session):
    create(staff["staff"], "t-old", "Old Co.")
    old = session.exec(select(Submission)).one()
    old.created_at = utcnow() - timedelta(days=2)
    session.add(old)
    session.commit()
    create(staff["staff"], "t-new", "New Co.")
    with Session(get_engine()) as fresh:
        keys = fresh.exec(select(Submission.created_at)).all()
    assert len(keys) == 1 and keys[0] > utcnow() - timedelta(minutes=1)
