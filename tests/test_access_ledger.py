"""The access ledger: every action that can change access records what it granted and revoked,
and replaying the ledger always gives what the rule (scope.grants) says now."""

from __future__ import annotations

import random
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from alembic import command
from sqlalchemy import func
from sqlmodel import Session, select

from models import ACTIVE_FILING_STATUSES, AccessChange, Filing
from portal.db import engine_for
from portal.migrations import alembic_config, upgrade
from portal.services import access_changes, clients, filings, steps, team
from portal.services.errors import Conflict, Invalid, NotFound
from tests.factories import (
    actor_for,
    make_client,
    make_filing,
    make_firm,
    make_login,
    make_step,
    make_user,
)
from tests.support.ledger import replayed


def last_id(session: Session) -> int:
    return session.exec(select(func.max(AccessChange.id))).one() or 0


def changes_since(session: Session, after_id: int) -> set[tuple]:
    """(change, user, client, step, filing, cause, actor) of the rows written after an id."""
    rows = session.exec(select(AccessChange).where(AccessChange.id > after_id)).all()
    return {
        (r.change, r.user_id, r.client_id, r.step_id, r.filing_id, r.cause, r.actor_id)
        for r in rows
    }


def rule_now(session: Session, firm_id: int) -> set[tuple[int, int, int, int]]:
    return access_changes.current(session, firm_id=firm_id)


# --- the before/after difference, one cause at a time ---------------------------------------


def path(world, user=None, *, client=None, step=None, filing=None) -> tuple[int, int, int, int]:
    return (
        (user or world.bk1).id,
        (client or world.client).id,
        (step or world.step).id,
        (filing or world.filing).id,
    )


def test_assigning_a_step_grants_its_path(session, world):
    staff = world.actor(session, world.staff)
    free = make_step(session, world.filing, None, title="Unassigned")
    session.commit()
    start = last_id(session)
    steps.assign_step(session=session, actor=staff, step_id=free.id, assignee_id=world.bk2.id)
    assert changes_since(session, start) == {
        ("granted", *path(world, world.bk2, step=free), "step.assigned", world.staff.id)
    }


def test_reassigning_revokes_one_path_and_grants_the_other(session, world):
    staff = world.actor(session, world.staff)
    start = last_id(session)
    steps.assign_step(session=session, actor=staff, step_id=world.step.id, assignee_id=world.bk2.id)
    assert changes_since(session, start) == {
        ("revoked", *path(world), "step.reassigned", world.staff.id),
        ("granted", *path(world, world.bk2), "step.reassigned", world.staff.id),
    }


def test_unassigning_or_handing_to_staff_only_revokes(session, world):
    staff = world.actor(session, world.staff)
    start = last_id(session)
    steps.assign_step(
        session=session, actor=staff, step_id=world.step.id, assignee_id=world.staff.id
    )
    assert changes_since(session, start) == {
        ("revoked", *path(world), "step.reassigned", world.staff.id)
    }
    middle = last_id(session)
    steps.assign_step(session=session, actor=staff, step_id=world.step.id, assignee_id=None)
    assert changes_since(session, middle) == set()  # staff never held access through a step


def test_unassigning_a_bookkeeper(session, world):
    staff = world.actor(session, world.staff)
    start = last_id(session)
    steps.assign_step(session=session, actor=staff, step_id=world.step.id, assignee_id=None)
    assert changes_since(session, start) == {
        ("revoked", *path(world), "step.unassigned", world.staff.id)
    }


def test_a_second_step_on_the_same_client_is_a_path_of_its_own(session, world):
    """Access is per path: Bea already opens the client, yet her new step is recorded, and
    losing one of two steps revokes that one path while the other still holds."""
    staff = world.actor(session, world.staff)
    start = last_id(session)
    new_id = steps.add_step(
        session=session,
        actor=staff,
        filing_id=world.filing.id,
        title="Reconcile",
        assignee_id=world.bk1.id,
    )
    new = session.get(type(world.step), new_id)
    assert changes_since(session, start) == {
        ("granted", *path(world, step=new), "step.added", world.staff.id)
    }
    middle = last_id(session)
    steps.remove_step(session=session, actor=staff, step_id=new_id)
    assert changes_since(session, middle) == {
        ("revoked", *path(world, step=new), "step.removed", world.staff.id)
    }
    assert rule_now(session, world.firm.id) == {path(world)}


def test_adding_an_unassigned_step_changes_nothing(session, world):
    staff = world.actor(session, world.staff)
    start = last_id(session)
    steps.add_step(session=session, actor=staff, filing_id=world.filing.id, title="Later")
    assert changes_since(session, start) == set()


@pytest.mark.parametrize(
    ("action", "cause"), [("file", "filing.filed"), ("cancel", "filing.cancelled")]
)
def test_closing_a_filing_revokes_and_reopening_grants(session, world, action, cause):
    staff = world.actor(session, world.staff)
    start = last_id(session)
    filings.change_status(session=session, actor=staff, filing_id=world.filing.id, action=action)
    assert changes_since(session, start) == {("revoked", *path(world), cause, world.staff.id)}
    middle = last_id(session)
    filings.change_status(session=session, actor=staff, filing_id=world.filing.id, action="reopen")
    assert changes_since(session, middle) == {
        ("granted", *path(world), "filing.reopened", world.staff.id)
    }


def test_deactivating_a_bookkeeper_revokes_every_path_and_reactivating_grants_them(session, world):
    admin = world.actor(session, world.admin)
    other_filing = make_filing(session, world.other_client, kind="Payroll")
    other = make_step(session, other_filing, world.bk1)
    make_step(session, other_filing, world.bk2)  # Dev's access is not Bea's business
    session.commit()
    start = last_id(session)
    team.set_active(session=session, actor=admin, user_id=world.bk1.id, active=False)
    expected = {
        path(world),
        path(world, client=world.other_client, step=other, filing=other_filing),
    }
    assert changes_since(session, start) == {
        ("revoked", *p, "login.deactivated", world.admin.id) for p in expected
    }
    middle = last_id(session)
    team.set_active(session=session, actor=admin, user_id=world.bk1.id, active=True)
    assert changes_since(session, middle) == {
        ("granted", *p, "login.reactivated", world.admin.id) for p in expected
    }


def test_deactivating_staff_changes_no_access(session, world):
    admin = world.actor(session, world.admin)
    start = last_id(session)
    team.set_active(session=session, actor=admin, user_id=world.staff.id, active=False)
    assert changes_since(session, start) == set()


@pytest.mark.parametrize(
    ("off", "cause_off", "cause_on"),
    [
        ((True, False), "firm.portal_off", "firm.portal_on"),
        ((False, False), "firm.portal_off", "firm.portal_on"),
    ],
)
def test_module_switches_revoke_and_grant_firm_wide(session, world, off, cause_off, cause_on):
    admin = world.actor(session, world.admin)
    second = make_step(session, make_filing(session, world.other_client), world.bk2)
    session.commit()
    everyone = {path(world), (world.bk2.id, world.other_client.id, second.id, second.filing_id)}
    assert rule_now(session, world.firm.id) == everyone
    start = last_id(session)
    team.set_modules(session=session, actor=admin, filing_steps=off[0], portal=off[1])
    assert changes_since(session, start) == {
        ("revoked", *p, cause_off, world.admin.id) for p in everyone
    }
    middle = last_id(session)
    team.set_modules(session=session, actor=admin, filing_steps=True, portal=True)
    assert changes_since(session, middle) == {
        ("granted", *p, cause_on, world.admin.id) for p in everyone
    }
    # The other firm's access is not touched by this firm's switches.
    assert (
        session.exec(select(func.count()).where(AccessChange.firm_id == world.other_firm.id)).one()
        == 0
    )


def test_a_refused_change_writes_nothing(session, world):
    """A stale page's reassignment is refused (Conflict) and rolled back with the action."""
    staff = world.actor(session, world.staff)
    session.commit()
    start = last_id(session)
    with pytest.raises(Conflict):
        steps.assign_step(
            session=session,
            actor=staff,
            step_id=world.step.id,
            assignee_id=world.bk2.id,
            expected_assignee_id=None,
        )
    session.rollback()
    assert changes_since(session, start) == set()
    with pytest.raises(Invalid):
        filings.change_status(
            session=session, actor=staff, filing_id=world.filing.id, action="reopen"
        )
    session.rollback()
    assert changes_since(session, start) == set()


def test_existing_access_opens_the_ledger_on_upgrade(tmp_path):
    """A firm upgrading with bookkeepers at work: the ledger starts with what holds."""
    from tests.world import build_world

    url = f"sqlite:///{tmp_path / 'old.db'}"
    # The cast is written by today's models, so at today's schema, then taken back to the
    # revision before the ledger: later columns never stop this test from building it.
    upgrade(url)
    engine = engine_for(url)
    with Session(engine, expire_on_commit=False) as session:
        world = build_world(session)
        make_step(session, make_filing(session, world.client, status="filed"), world.bk2)
        session.commit()
        firm_id = world.firm.id
    engine.dispose()
    command.downgrade(alembic_config(url), "0004")
    upgrade(url)
    with Session(engine) as session:
        assert rule_now(session, firm_id) == {path(world)}
        assert replayed(session, firm_id) == rule_now(session, firm_id)
        causes = set(session.exec(select(AccessChange.cause)).all())
    engine.dispose()
    assert causes == {"ledger.opened"}


# --- the replay: a random history, the ledger checked against the rule after every action ---


def small_firm(session: Session, name: str) -> dict:
    """A firm with no access yet (no step assigned), so an empty ledger is the truth."""
    firm = make_firm(session, name)
    admin = make_user(session, firm, "admin")
    staff = make_user(session, firm, "staff")
    bookkeepers = [make_user(session, firm, "bookkeeper") for _ in range(3)]
    some_clients = [make_client(session, firm) for _ in range(3)]
    some_filings = [make_filing(session, c) for c in some_clients for _ in range(2)]
    session.commit()
    return {
        "firm": firm,
        "admin": actor_for(admin, make_login(session, admin)),
        "staff": actor_for(staff, make_login(session, staff)),
        "people": [staff.id, *(b.id for b in bookkeepers), None],
        "bookkeepers": bookkeepers,
        "clients": [c.id for c in some_clients],
        "filings": [f.id for f in some_filings],
        "steps": [],
    }


def random_action(rng: random.Random, session: Session, firm: dict):
    """One service call that may change access, chosen and parameterised by `rng`."""
    staff, admin = firm["staff"], firm["admin"]
    kind = rng.choice(["add", "add", "assign", "assign", "remove", "status", "active", "modules"])
    if kind == "add" or (kind in ("assign", "remove") and not firm["steps"]):
        new = steps.add_step(
            session=session,
            actor=staff,
            filing_id=rng.choice(firm["filings"]),
            title="Work",
            assignee_id=rng.choice(firm["people"]),
        )
        firm["steps"].append(new)
    elif kind == "assign":
        steps.assign_step(
            session=session,
            actor=staff,
            step_id=rng.choice(firm["steps"]),
            assignee_id=rng.choice(firm["people"]),
        )
    elif kind == "remove":
        gone = rng.choice(firm["steps"])
        steps.remove_step(session=session, actor=staff, step_id=gone)
        firm["steps"].remove(gone)
    elif kind == "status":
        filing = session.get(Filing, rng.choice(firm["filings"]))
        active = filing.status in ACTIVE_FILING_STATUSES
        filings.change_status(
            session=session,
            actor=staff,
            filing_id=filing.id,
            action=rng.choice(["file", "cancel"]) if active else "reopen",
        )
    elif kind == "active":
        team.set_active(
            session=session,
            actor=admin,
            user_id=rng.choice(firm["bookkeepers"]).id,
            active=rng.random() < 0.6,
        )
    else:
        filing_steps, portal = rng.choice(
            [(True, True), (True, True), (True, False), (False, False)]
        )
        team.set_modules(session=session, actor=admin, filing_steps=filing_steps, portal=portal)
    return kind


def check_ledger(session: Session, firm: dict) -> None:
    firm_id = firm["firm"].id
    now = rule_now(session, firm_id)
    assert replayed(session, firm_id) == now, "the ledger disagrees with the rule"
    # The rule's two forms agree: what grants() lists is what each bookkeeper may open.
    for bookkeeper in firm["bookkeepers"]:
        actor = actor_for(bookkeeper)
        for client_id in firm["clients"]:
            try:
                clients.get_client(session=session, actor=actor, client_id=client_id)
                opens = True
            except NotFound:
                opens = False
            through = any(p[0] == bookkeeper.id and p[1] == client_id for p in now)
            assert opens == through, (bookkeeper.id, client_id)


def run_history(session: Session, *, seed: int, length: int) -> list[str]:
    """Random actions in two firms, each committed (or rolled back when refused, as a unit of
    work would); after each, both firms' ledgers must replay to the rule's answer."""
    rng = random.Random(seed)
    firms = [small_firm(session, f"Replay A {seed}"), small_firm(session, f"Replay B {seed}")]
    done = []
    for _ in range(length):
        firm = rng.choice(firms)
        try:
            done.append(random_action(rng, session, firm))
            session.commit()
        except (Invalid, Conflict, NotFound):
            session.rollback()
        for each in firms:
            check_ledger(session, each)
    return done


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_replaying_the_ledger_gives_the_rule_after_every_action(session, seed):
    done = run_history(session, seed=seed, length=80)
    # The history exercised every kind of action, and the ledger saw both kinds of change.
    assert set(done) == {"add", "assign", "remove", "status", "active", "modules"}
    kinds = set(session.exec(select(AccessChange.change)).all())
    assert kinds == {"granted", "revoked"}


@contextmanager
def _not_tracked(*_args, **_kwargs):
    yield access_changes.Tracked()


@pytest.mark.parametrize("module", [filings, steps, team])
def test_the_replay_catches_an_action_that_skips_the_ledger(session, monkeypatch, module):
    """The replay can fail: with one service's ledger writes dropped, it does."""
    monkeypatch.setattr(module, "access_changes", SimpleNamespace(tracking=_not_tracked))
    with pytest.raises(AssertionError, match="the ledger disagrees with the rule"):
        run_history(session, seed=2, length=80)
