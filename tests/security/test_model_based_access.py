"""Model-based test of the access rule: random histories of real service calls, checked
against a plain-Python model of DESIGN.md after every step.

Two firms, each with an admin, a staff member and three bookkeepers. Hypothesis drives staff
and admins through the real services (clients, filings, steps, assignments, filing status,
bookkeeper (de)activation, the firm's modules) and keeps its own dict model of every record
as it goes. After every step, for every bookkeeper of both firms, what the services let that
bookkeeper open and list must be exactly what the rule says:

    B may open client C iff B is active, B's firm has Filing Steps and the Bookkeeper Portal
    on, and a step assigned to B sits on a filing of C (same firm) that is open or in review.

Each example starts from a fresh copy of a migrated template database (SQLite, or PostgreSQL
in `make test-cluster`): two clients with an open
filing in each firm, then a random starting point reached through the services (steps handed
out, filings closed, bookkeepers deactivated, modules changed), then random rules.

The default profile (200 examples, short histories) runs with the normal suite in about 70
seconds. The nightly run goes much further (5000 examples, histories of 30 steps; about two
hours on two cores):

    HYPOTHESIS_PROFILE=nightly .venv/bin/pytest tests/security/test_model_based_access.py

The profiles are registered under this module's own names ("model-access-default",
"model-access-nightly") and picked from HYPOTHESIS_PROFILE=default|nightly (anything else
means default), so that they never change the settings of other Hypothesis tests in the run.
"""

from __future__ import annotations

import itertools
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import update
from sqlmodel import Session, select

from models import Client, Filing, Firm, Step, User
from portal.auth import Actor
from portal.db import engine_for
from portal.services import access_changes, clients, filings, steps, tasks, team
from portal.services.errors import Invalid, NotFound, Refused
from tests.factories import actor_for, make_firm, make_user
from tests.support.databases import Databases
from tests.support.ledger import replayed

_COMMON = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    "print_blob": True,
}
# The step count includes the two @initialize steps that build the starting point.
settings.register_profile(
    "model-access-default", max_examples=200, stateful_step_count=4, **_COMMON
)
settings.register_profile(
    "model-access-nightly", max_examples=5000, stateful_step_count=30, **_COMMON
)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "default")
if PROFILE not in ("default", "nightly"):
    PROFILE = "default"

ACTIVE = frozenset({"open", "in_review"})
STAFF_ROLES = frozenset({"admin", "staff"})
_serial = itertools.count(1)

# Every check asks about every client, so the client list is kept short: access is about the
# filings and steps under the clients, not about how many clients there are.
MAX_CLIENTS = 6

# Who in a firm a rule picks: by position in the firm's cast.
ADMIN, STAFF, BK1, BK2, BK3 = range(5)
BOOKKEEPERS = (BK1, BK2, BK3)


# ---------------------------------------------------------------------------------------------
# The oracle: plain dicts, updated by the rules from what they asked for, never read back from
# the services or the database.


@dataclass
class Model:
    firms: dict[int, dict] = field(default_factory=dict)  # id -> filing_steps, portal
    users: dict[int, dict] = field(default_factory=dict)  # id -> firm, role, active
    clients: dict[int, int] = field(default_factory=dict)  # id -> firm
    filings: dict[int, dict] = field(default_factory=dict)  # id -> firm, client, status
    steps: dict[int, dict] = field(default_factory=dict)  # id -> firm, filing, assignee

    def portal_open(self, firm_id: int) -> bool:
        firm = self.firms[firm_id]
        return firm["filing_steps"] and firm["portal"]

    def in_good_standing(self, user_id: int) -> bool:
        user = self.users[user_id]
        return user["role"] == "bookkeeper" and user["active"] and self.portal_open(user["firm"])

    def my_steps(self, user_id: int) -> set[int]:
        """A bookkeeper's own steps on active filings of their firm; none at all when they
        are not in good standing."""
        if not self.in_good_standing(user_id):
            return set()
        firm = self.users[user_id]["firm"]
        return {
            step_id
            for step_id, step in self.steps.items()
            if step["assignee"] == user_id
            and self.filings[step["filing"]]["firm"] == firm
            and self.filings[step["filing"]]["status"] in ACTIVE
        }

    def openable_clients(self, user_id: int) -> set[int]:
        user = self.users[user_id]
        if user["role"] in STAFF_ROLES:
            return {c for c, firm in self.clients.items() if firm == user["firm"]}
        return {self.filings[self.steps[s]["filing"]]["client"] for s in self.my_steps(user_id)}

    def paths(self, firm_id: int) -> set[tuple[int, int, int, int]]:
        """Every (bookkeeper, client, step, filing) the rule grants in one firm."""
        return {
            (user_id, self.filings[self.steps[s]["filing"]]["client"], s, self.steps[s]["filing"])
            for user_id, user in self.users.items()
            if user["firm"] == firm_id
            for s in self.my_steps(user_id)
        }

    def rule_rows(self) -> tuple[frozenset, ...]:
        """The rows the rule reads, in the shape `_rule_rows` reads them from the database."""
        return (
            frozenset((i, f["filing_steps"], f["portal"]) for i, f in self.firms.items()),
            frozenset((i, u["firm"], u["role"], u["active"]) for i, u in self.users.items()),
            frozenset(self.clients.items()),
            frozenset((i, f["firm"], f["client"], f["status"]) for i, f in self.filings.items()),
            frozenset((i, s["firm"], s["filing"], s["assignee"]) for i, s in self.steps.items()),
        )

    def assign_problem(self, firm_id: int, assignee_id: int | None) -> bool:
        """Whether a step of this firm may not go to this person: someone of another firm,
        someone deactivated, or a bookkeeper while the firm's portal is shut."""
        if assignee_id is None:
            return False
        person = self.users[assignee_id]
        if person["firm"] != firm_id or not person["active"]:
            return True
        return person["role"] == "bookkeeper" and not self.portal_open(firm_id)


# ---------------------------------------------------------------------------------------------

FIRMS = st.sampled_from([0, 1])
# An assignee choice: None (unassigned), or (whose firm, position in that firm's cast). Mostly
# a bookkeeper of the step's firm, since those are the assignments that grant access; now and
# then staff, nobody, or someone of the other firm (which must be refused).
ASSIGNEES = st.sampled_from(
    [None]
    + [("same", who) for who in (ADMIN, STAFF)]
    + [("same", who) for who in BOOKKEEPERS] * 3
    + [("other", who) for who in (STAFF, BK1)]
)
# What staff do to a filing, and whether the admin (True) or the staff member does it.
FILING_CHANGES = st.tuples(st.sampled_from(["file", "cancel", "reopen", "review"]), st.booleans())
# Filing Steps, portal, and how: through the admin's settings, or written to the firm row.
MODULES = st.sampled_from(
    [
        (False, False, "admin"),
        (True, False, "admin"),
        (True, True, "admin"),
        (False, True, "admin"),
        (False, True, "row"),
    ]
)
ATTEMPTS = st.sampled_from(
    [
        "other firm creates a filing",
        "other firm adds a step",
        "other firm assigns a step",
        "other firm changes a filing",
        "other firm deactivates a bookkeeper",
        "bookkeeper creates a client",
        "bookkeeper adds a step",
        "bookkeeper assigns a step",
        "bookkeeper changes a filing",
    ]
)


class AccessMachine(RuleBasedStateMachine):
    # Set by the test function before the run.
    databases: Databases
    workdir: Path

    clients_b = Bundle("clients")
    filings_b = Bundle("filings")
    steps_b = Bundle("steps")

    def __init__(self) -> None:
        super().__init__()
        self.dir = self.workdir / f"example-{next(_serial)}"
        self.dir.mkdir()
        self.url = self.databases.create(self.dir)
        self.engine = engine_for(self.url)
        self.model = Model()
        self.cast: dict[int, list[int]] = {}  # firm id -> [admin, staff, bk1, bk2, bk3]
        with Session(self.engine, expire_on_commit=False) as session:
            for n in (1, 2):
                firm = make_firm(
                    session, f"Firm {n}", filing_steps_enabled=True, portal_enabled=True
                )
                people = [
                    make_user(session, firm, "admin"),
                    make_user(session, firm, "staff"),
                    *(make_user(session, firm, "bookkeeper") for _ in BOOKKEEPERS),
                ]
                self.model.firms[firm.id] = {"filing_steps": True, "portal": True}
                self.cast[firm.id] = [u.id for u in people]
                for user in people:
                    self.model.users[user.id] = {"firm": firm.id, "role": user.role, "active": True}
            session.commit()
        self.firm_ids = sorted(self.cast)
        self.verified_rows: tuple[frozenset, ...] | None = None
        # Two clients with an open filing each in both firms, made through the services.
        self.seed_filings: list[int] = []
        for firm_id in self.firm_ids:
            for _ in range(2):
                client_id = self._new_client(firm_id, as_admin=False)
                self.seed_filings.append(self._new_filing(client_id, as_admin=False))

    def teardown(self) -> None:
        self.databases.drop(self.url)
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- helpers ---------------------------------------------------------------------------

    def actor(self, session: Session, user_id: int) -> Actor:
        """The acting user as the boundary would produce it: read from the user row."""
        return actor_for(session.get(User, user_id))

    def other_firm(self, firm_id: int) -> int:
        return next(f for f in self.firm_ids if f != firm_id)

    def call(self, fn, acting_id: int, /, **kwargs):
        """One service call in its own unit of work, as the app runs it."""
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                result = fn(session=session, actor=self.actor(session, acting_id), **kwargs)
                session.commit()
            except BaseException:
                session.rollback()
                raise
        return result

    def staff_of(self, firm_id: int, as_admin: bool) -> int:
        return self.cast[firm_id][ADMIN if as_admin else STAFF]

    def pick_assignee(self, firm_id: int, choice) -> int | None:
        if choice is None:
            return None
        whose, position = choice
        firm = firm_id if whose == "same" else self.other_firm(firm_id)
        return self.cast[firm][position]

    # -- the starting point ----------------------------------------------------------------

    @initialize(target=filings_b)
    def seeded_filings(self):
        return multiple(*self.seed_filings)

    @initialize(
        target=steps_b,
        work=st.lists(st.tuples(st.integers(0, 3), ASSIGNEES, st.booleans()), max_size=6),
        closings=st.lists(st.tuples(st.integers(0, 3), FILING_CHANGES), max_size=2),
        leavers=st.lists(st.tuples(FIRMS, st.sampled_from(BOOKKEEPERS)), max_size=2),
        plan=st.lists(st.tuples(FIRMS, MODULES), max_size=1),
    )
    def seed_work(self, work, closings, leavers, plan):
        """A random starting point, reached through the same service calls as the rules:
        steps on the seeded filings, some filings closed, some bookkeepers deactivated, and
        now and then a firm's modules changed. The invariant checks where this ends up; the
        rules move on from there."""
        created = [
            self._new_step(self.seed_filings[index], assignee, as_admin)
            for index, assignee, as_admin in work
        ]
        for index, (action, as_admin) in closings:
            self._change_status(self.seed_filings[index], action, as_admin)
        for firm, who in leavers:
            self._set_active(firm, who, active=False)
        for firm, modules in plan:
            self._set_modules(firm, modules)
        return multiple(*(step_id for step_id in created if step_id is not None))

    # -- rules: staff and admins at work ---------------------------------------------------

    @precondition(lambda self: len(self.model.clients) < MAX_CLIENTS)
    @rule(target=clients_b, firm=FIRMS, as_admin=st.booleans())
    def create_client(self, firm, as_admin):
        return self._new_client(self.firm_ids[firm], as_admin)

    def _new_client(self, firm_id: int, as_admin: bool) -> int:
        client_id = self.call(
            clients.create_client,
            self.staff_of(firm_id, as_admin),
            form={"name": f"Client {next(_serial)}"},
        )
        assert client_id not in self.model.clients
        self.model.clients[client_id] = firm_id
        return client_id

    @rule(target=filings_b, client_id=clients_b, as_admin=st.booleans())
    def create_filing(self, client_id, as_admin):
        return self._new_filing(client_id, as_admin)

    def _new_filing(self, client_id: int, as_admin: bool) -> int:
        firm_id = self.model.clients[client_id]
        filing_id = self.call(
            filings.create_filing,
            self.staff_of(firm_id, as_admin),
            client_id=client_id,
            kind="GST/HST",
            period="Q1 2026",
            due_date="",
        )
        assert filing_id not in self.model.filings
        self.model.filings[filing_id] = {"firm": firm_id, "client": client_id, "status": "open"}
        return filing_id

    @rule(target=steps_b, filing_id=filings_b, how=st.tuples(ASSIGNEES, st.booleans()))
    def create_step(self, filing_id, how):
        step_id = self._new_step(filing_id, *how)
        return multiple() if step_id is None else step_id

    def _new_step(self, filing_id: int, assignee, as_admin: bool) -> int | None:
        """Add a step, optionally assigned; None when the service rightly refused it (a
        closed filing, Filing Steps turned off, or an assignee the step may not go to)."""
        filing = self.model.filings[filing_id]
        assignee_id = self.pick_assignee(filing["firm"], assignee)
        kwargs = {"filing_id": filing_id, "title": "Enter bank transactions"}
        if assignee_id is not None:
            kwargs["assignee_id"] = assignee_id
        actor_id = self.staff_of(filing["firm"], as_admin)
        refused = (
            filing["status"] not in ACTIVE
            or not self.model.firms[filing["firm"]]["filing_steps"]
            or self.model.assign_problem(filing["firm"], assignee_id)
        )
        if refused:
            with pytest.raises(Invalid):
                self.call(steps.add_step, actor_id, **kwargs)
            return None
        step_id = self.call(steps.add_step, actor_id, **kwargs)
        assert step_id not in self.model.steps
        self.model.steps[step_id] = {
            "firm": filing["firm"],
            "filing": filing_id,
            "assignee": assignee_id,
        }
        return step_id

    @rule(step_id=steps_b, how=st.tuples(ASSIGNEES, st.booleans()))
    def assign_step(self, step_id, how):
        """Assign, reassign or unassign: to a bookkeeper or staff of the firm (and now and
        then to someone of the other firm, which must be refused)."""
        assignee, as_admin = how
        step = self.model.steps[step_id]
        assignee_id = self.pick_assignee(step["firm"], assignee)
        actor_id = self.staff_of(step["firm"], as_admin)
        if self.model.assign_problem(step["firm"], assignee_id):
            with pytest.raises(Invalid):
                self.call(steps.assign_step, actor_id, step_id=step_id, assignee_id=assignee_id)
            return
        self.call(steps.assign_step, actor_id, step_id=step_id, assignee_id=assignee_id)
        step["assignee"] = assignee_id

    @rule(filing_id=filings_b, how=FILING_CHANGES)
    def change_filing_status(self, filing_id, how):
        self._change_status(filing_id, *how)

    def _change_status(self, filing_id: int, action: str, as_admin: bool) -> None:
        """File, cancel or reopen through the service, which refuses (Invalid) from the
        wrong status; or move an open filing into review."""
        filing = self.model.filings[filing_id]
        if action == "review":
            self._put_in_review(filing_id)
            return
        actor_id = self.staff_of(filing["firm"], as_admin)
        if (filing["status"] in ACTIVE) == (action == "reopen"):
            with pytest.raises(Invalid):
                self.call(filings.change_status, actor_id, filing_id=filing_id, action=action)
            return
        header = self.call(filings.change_status, actor_id, filing_id=filing_id, action=action)
        filing["status"] = {"file": "filed", "cancel": "cancelled", "reopen": "open"}[action]
        assert header.status == filing["status"]

    def _put_in_review(self, filing_id: int) -> None:
        """No service moves a filing into review yet. The status is part of the rule, so an
        open filing's row is moved here as a review feature would move it."""
        if self.model.filings[filing_id]["status"] != "open":
            return
        with Session(self.engine) as session:
            session.execute(update(Filing).where(Filing.id == filing_id).values(status="in_review"))
            session.commit()
        self.model.filings[filing_id]["status"] = "in_review"

    @rule(who=st.tuples(FIRMS, st.sampled_from(BOOKKEEPERS)), active=st.booleans())
    def set_bookkeeper_active(self, who, active):
        self._set_active(*who, active=active)

    def _set_active(self, firm: int, who: int, *, active: bool) -> None:
        firm_id = self.firm_ids[firm]
        user_id = self.cast[firm_id][who]
        self.call(team.set_active, self.cast[firm_id][ADMIN], user_id=user_id, active=active)
        self.model.users[user_id]["active"] = active

    @rule(firm=FIRMS, modules=MODULES)
    def set_modules(self, firm, modules):
        self._set_modules(firm, modules)

    def _set_modules(self, firm: int, modules) -> None:
        """The admin turns Filing Steps and the portal on and off. The service refuses the
        portal without Filing Steps; a firm row can still hold that pair (older data, a hand
        edit), so it is sometimes written straight to the row: the portal must stay shut."""
        firm_id = self.firm_ids[firm]
        filing_steps, portal, how = modules
        admin = self.cast[firm_id][ADMIN]
        if how == "row":
            # A hand edit still goes through the one place that records access changes: a
            # repair made behind the services' back would leave the ledger wrong.
            with Session(self.engine) as session:
                with access_changes.tracking(
                    session, actor=None, cause="firm.row_edit", firm_id=firm_id
                ):
                    session.execute(
                        update(Firm)
                        .where(Firm.id == firm_id)
                        .values(filing_steps_enabled=filing_steps, portal_enabled=portal)
                    )
                session.commit()
        elif portal and not filing_steps:
            with pytest.raises(Invalid):
                self.call(team.set_modules, admin, filing_steps=filing_steps, portal=portal)
            return
        else:
            view = self.call(team.set_modules, admin, filing_steps=filing_steps, portal=portal)
            assert (view.filing_steps_enabled, view.portal_enabled) == (filing_steps, portal)
        self.model.firms[firm_id] = {"filing_steps": filing_steps, "portal": portal}

    # -- a rule for attempts that must change nothing --------------------------------------

    @rule(data=st.data(), attempt=ATTEMPTS)
    def refused_attempt(self, data, attempt):
        """Staff and admins of the other firm reach nothing of this firm (NotFound), and a
        bookkeeper may never create, assign, file, cancel or reopen, even on their own work
        (Refused). The invariant then checks that nothing changed."""
        firm_id = self.firm_ids[data.draw(FIRMS, label="victim firm")]
        other = self.other_firm(firm_id)
        who, _, what = attempt.partition(" ")
        if who == "other":
            actor_id = self.staff_of(other, data.draw(st.booleans(), label="as admin"))
            expected = NotFound
            gift = self.cast[other][BK1]  # the attacker's own bookkeeper
        else:
            actor_id = self.cast[firm_id][data.draw(st.sampled_from(BOOKKEEPERS))]
            expected = Refused
            gift = actor_id

        def pick(ids) -> int:
            pool = sorted(ids)
            # With nothing to aim at, a made-up id: the refusal must come all the same.
            return data.draw(st.sampled_from(pool), label="target") if pool else 10_000

        own = {
            "clients": [c for c, f in self.model.clients.items() if f == firm_id],
            "filings": [f for f, row in self.model.filings.items() if row["firm"] == firm_id],
            "steps": [s for s, row in self.model.steps.items() if row["firm"] == firm_id],
        }
        with pytest.raises(expected):
            if what.endswith("creates a filing"):
                self.call(
                    filings.create_filing,
                    actor_id,
                    client_id=pick(own["clients"]),
                    kind="GST/HST",
                    period="Q2 2026",
                    due_date="",
                )
            elif what.endswith("creates a client"):
                self.call(clients.create_client, actor_id, form={"name": "Mine now"})
            elif what.endswith("adds a step"):
                self.call(
                    steps.add_step,
                    actor_id,
                    filing_id=pick(own["filings"]),
                    title="Mine now",
                    assignee_id=gift,
                )
            elif what.endswith("assigns a step"):
                self.call(steps.assign_step, actor_id, step_id=pick(own["steps"]), assignee_id=gift)
            elif what.endswith("changes a filing"):
                self.call(
                    filings.change_status,
                    actor_id,
                    filing_id=pick(own["filings"]),
                    action=data.draw(st.sampled_from(["file", "cancel", "reopen"])),
                )
            else:
                # Only an admin may deactivate anyone, so the attacker is the other admin.
                target = self.cast[firm_id][data.draw(st.sampled_from(BOOKKEEPERS))]
                admin = self.cast[other][ADMIN]
                self.call(team.set_active, admin, user_id=target, active=False)

    # -- the invariant ---------------------------------------------------------------------

    @invariant()
    def services_match_the_rule(self):
        with Session(self.engine, expire_on_commit=False) as session:
            # Every row the rule reads is what the model says: a refused or invalid call
            # wrote nothing, and an accepted one wrote exactly what was asked.
            rows = _rule_rows(session)
            assert rows == self.model.rule_rows(), "the database and the model disagree"
            # The services answer from those rows alone, so when they are identical to the
            # rows last checked in full, the answers are already known to be right.
            if rows == self.verified_rows:
                return
            for firm_id in self.firm_ids:
                for who in BOOKKEEPERS:
                    self._check_bookkeeper(session, self.cast[firm_id][who])
                for who in (ADMIN, STAFF):
                    self._check_staff(session, self.cast[firm_id][who])
            session.rollback()
        self.verified_rows = rows

    @invariant()
    def the_ledger_replays_to_the_rule(self):
        """The access ledger's current state is the rule's answer, path by path, in both
        firms: every action that changed access recorded it, in its own transaction."""
        with Session(self.engine, expire_on_commit=False) as session:
            for firm_id in self.firm_ids:
                assert replayed(session, firm_id) == self.model.paths(firm_id), (
                    "the access ledger disagrees with the rule"
                )

    def _check_bookkeeper(self, session: Session, user_id: int) -> None:
        actor = self.actor(session, user_id)
        assert actor.role == "bookkeeper"
        expected_clients = self.model.openable_clients(user_id)
        expected_steps = self.model.my_steps(user_id)

        # (a) every client of both firms opens exactly when the rule says so.
        opened = {c for c in self.model.clients if _opens(session, actor, c)}
        assert opened == expected_clients, f"bookkeeper {user_id} opens the wrong clients"

        # (b) My Tasks lists exactly their steps on active filings, over every page, and
        # (c) its client filter offers exactly the clients they can open.
        listed_steps: list[int] = []
        offered: list[set[int]] = []
        page, pages = 1, 1
        while page <= pages:
            result = tasks.my_tasks(session=session, actor=actor, page=page)
            assert result.page == page
            assert result.total == result.assigned == len(expected_steps)
            pages = result.pages
            listed_steps.extend(row.step_id for row in result.rows)
            offered.append({c.id for c in result.clients})
            page += 1
        assert len(listed_steps) == len(set(listed_steps)), "a step is listed twice"
        assert set(listed_steps) == expected_steps, f"bookkeeper {user_id} lists wrong steps"
        for listed_clients in offered:
            assert listed_clients == expected_clients, f"bookkeeper {user_id} offered wrong clients"

        # (d) every listed client opens (it is among those get_client opened above), every
        # listed step opens, and no other step of either firm does.
        assert set().union(*offered) <= opened
        for step_id in self.model.steps:
            assert _step_opens(session, actor, step_id) == (step_id in expected_steps), (
                f"bookkeeper {user_id} and step {step_id}"
            )

    def _check_staff(self, session: Session, user_id: int) -> None:
        """Staff and admins open every client of their own firm and none of the other's."""
        actor = self.actor(session, user_id)
        opened = {c for c in self.model.clients if _opens(session, actor, c)}
        assert opened == self.model.openable_clients(user_id)
        assert all(self.model.clients[c] == actor.firm_id for c in opened)


def _rule_rows(session: Session) -> tuple[frozenset, ...]:
    """Every column the access rule depends on, read straight from the tables."""

    def rows(*columns) -> frozenset:
        return frozenset(tuple(r) for r in session.exec(select(*columns)).all())

    return (
        rows(Firm.id, Firm.filing_steps_enabled, Firm.portal_enabled),
        rows(User.id, User.firm_id, User.role, User.is_active),
        rows(Client.id, Client.firm_id),
        rows(Filing.id, Filing.firm_id, Filing.client_id, Filing.status),
        rows(Step.id, Step.firm_id, Step.filing_id, Step.assignee_id),
    )


def _opens(session: Session, actor: Actor, client_id: int) -> bool:
    try:
        info = clients.get_client(session=session, actor=actor, client_id=client_id)
    except NotFound:
        return False
    assert info.id == client_id
    return True


def _step_opens(session: Session, actor: Actor, step_id: int) -> bool:
    try:
        view = steps.get_step(session=session, actor=actor, step_id=step_id)
    except NotFound:
        return False
    assert view.id == step_id
    return True


def test_access_follows_the_work(databases, tmp_path):
    AccessMachine.databases = databases
    AccessMachine.workdir = tmp_path
    run_state_machine_as_test(
        AccessMachine, settings=settings.get_profile(f"model-access-{PROFILE}")
    )


def test_the_oracle_states_the_rule():
    """The model itself, on a hand-built state: each clause of the rule can close access."""
    model = Model(
        firms={
            1: {"filing_steps": True, "portal": True},
            2: {"filing_steps": True, "portal": True},
        },
        users={
            10: {"firm": 1, "role": "bookkeeper", "active": True},
            11: {"firm": 1, "role": "staff", "active": True},
            20: {"firm": 2, "role": "bookkeeper", "active": True},
        },
        clients={100: 1, 101: 1, 200: 2},
        filings={
            1000: {"firm": 1, "client": 100, "status": "open"},
            1001: {"firm": 1, "client": 101, "status": "filed"},
        },
        steps={
            5000: {"firm": 1, "filing": 1000, "assignee": 10},
            5001: {"firm": 1, "filing": 1001, "assignee": 10},
        },
    )
    assert model.openable_clients(10) == {100} and model.my_steps(10) == {5000}
    assert model.openable_clients(11) == {100, 101}
    assert model.openable_clients(20) == set()
    model.filings[1000]["status"] = "in_review"
    assert model.openable_clients(10) == {100}
    model.filings[1001]["status"] = "open"
    assert model.openable_clients(10) == {100, 101}
    model.users[10]["active"] = False
    assert model.openable_clients(10) == set() and model.my_steps(10) == set()
    model.users[10]["active"] = True
    model.firms[1]["portal"] = False
    assert model.openable_clients(10) == set()
    model.firms[1] = {"filing_steps": False, "portal": True}
    assert model.openable_clients(10) == set()
    model.firms[1] = {"filing_steps": True, "portal": True}
    model.steps[5000]["assignee"] = 11
    model.filings[1001]["status"] = "cancelled"
    assert model.openable_clients(10) == set()
    assert model.assign_problem(1, 20) and not model.assign_problem(1, 10)
    model.firms[1]["portal"] = False
    assert model.assign_problem(1, 10) and not model.assign_problem(1, 11)
