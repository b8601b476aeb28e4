"""What must hold across workers holds: the cluster mode, 2 workers behind one port sharing
Redis and PostgreSQL (`make test-cluster`).

Each test holds a socket on each worker (tests/support/workers.py finds them through Reflex's
token manager in Redis, which records the worker that holds every tab's socket), acts through
one worker and checks the other at once:

- a session opened through one worker is the same session on every worker;
- a sign-out through one worker ends the session on every worker at the next event;
- a deactivation through one worker ends the person's sessions on every worker;
- a step reassigned through one worker is out of its former assignee's reach on every worker;
- the sign-in throttle counts the tries made through every worker together;
- the event rate limit is one window for the session, whichever worker counts the events.

The single-worker run (`make test`) skips this file: it has only one worker to ask.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import httpx
import pytest
from sqlmodel import Session

from models import User
from portal import browser
from portal.db import engine_for
from portal.demo import ADMIN_PASSWORD, STAFF_PASSWORD
from portal.ratelimit import TOO_FAST_MESSAGE
from portal.services import signin
from state.bookkeepers import BookkeepersState
from state.filing import FilingState
from state.session import SessionState
from state.signin import SignInState
from state.task import TaskState
from state.tasks import TasksState
from tests.factories import PASSWORD
from tests.support.app_handlers import event_name
from tests.support.live import sign_in_cookie
from tests.support.records import SAM, make_work, scalar, tag
from tests.support.reflex_socket import ReflexSocket, Update, run_async
from tests.support.workers import (
    new_login,
    socket_on_each_worker,
    socket_on_worker,
    worker_of,
)

pytestmark = pytest.mark.live

SIGN_IN = event_name(SignInState, "sign_in")
SIGN_IN_STATE = SignInState.get_full_name()
SIGN_OUT = event_name(SessionState, "sign_out")
SESSION_STATE = SessionState.get_full_name()
TASKS_LOAD = event_name(TasksState, "load")
SET_ACTIVE = event_name(BookkeepersState, "set_active")
TASK_LOAD = event_name(TaskState, "load")
TASK_STATE = TaskState.get_full_name()
ASSIGN_STEP = event_name(FilingState, "assign_step")
FILING_STATE = FilingState.get_full_name()
# A bookkeeper's sorting click: changes no record, and always answers with the new order.
SORT_BY = event_name(TasksState, "sort_by")
TASKS_STATE = TasksState.get_full_name()
# The default event limit's burst window per session (PORTAL_RATE_LIMIT_EVENTS_SESSION).
BURST, BURST_SECONDS = 120, 10


@pytest.fixture
def cluster(cluster_app):
    return cluster_app


@pytest.fixture
def person(cluster):
    return new_login(cluster, "bookkeeper")


async def sign_in_over(sock: ReflexSocket, email: str, password: str) -> str:
    """Send the sign-in form's event; return the handoff code, or the error shown."""
    start = len(sock.updates)
    form = {"email": email, "password": password, "_token": uuid.uuid4().hex}
    await sock.send(SIGN_IN, {"form_data": form}, path="/login")
    for _ in range(1200):
        for update in sock.updates[start:]:
            error = update.delta.get(SIGN_IN_STATE, {}).get("error_rx_state_")
            if error:
                return error
            for event in update.events:
                if (asked := browser.asked(event)) and asked["name"] == "handoff":
                    return asked["args"]["code"]
        await sock.settle(quiet=0.05, timeout=0.1)
    raise AssertionError("no answer to a sign-in")


async def tasks_answer(sock: ReflexSocket) -> str:
    """Send one event of the tasks page; return where the server sent the browser ("" when
    the event was allowed to run)."""
    for update in await sock.call(TASKS_LOAD, {}, path="/tasks"):
        for event in update.events:
            if event.get("name") == "_redirect":
                return event["payload"]["path"]
    return ""


def shown_name(sock: ReflexSocket) -> str:
    return sock.merged_delta().get(SESSION_STATE, {}).get("user_name_rx_state_", "")


async def close_all(*socks: ReflexSocket) -> None:
    for sock in socks:
        await sock.close()


def test_a_session_opened_through_one_worker_is_the_session_on_every_worker(cluster, person):
    async def scenario():
        first, _ = await socket_on_each_worker(cluster, path="/login")
        code = await sign_in_over(first, person.email, PASSWORD)
        assert len(code) == 43, code
        response = httpx.post(f"{cluster.base_url}/auth/session", data={"code": code})
        assert response.status_code == 200
        cookie = f"bp_session={response.cookies['bp_session']}"
        tabs = await socket_on_each_worker(cluster, cookie=cookie, path="/tasks")
        answers = [await tasks_answer(tab) for tab in tabs]
        names = [shown_name(tab) for tab in tabs]
        signed_in_on = worker_of(cluster, first.token)
        workers = {worker_of(cluster, tab.token) for tab in tabs}
        await close_all(first, *tabs)
        return answers, names, signed_in_on, workers

    answers, names, signed_in_on, workers = run_async(scenario)
    assert len(workers) == 2 and signed_in_on in workers
    assert answers == ["", ""]
    assert names == [person.name, person.name]


def test_a_sign_out_through_one_worker_ends_the_session_on_every_worker(cluster, person):
    cookie = sign_in_cookie(cluster, person.email, PASSWORD)

    async def scenario():
        here, there = await socket_on_each_worker(cluster, cookie=cookie, path="/tasks")
        before = [await tasks_answer(here), await tasks_answer(there)]
        await here.call(SIGN_OUT, {}, path="/tasks")
        after = [await tasks_answer(there), await tasks_answer(here)]
        await close_all(here, there)
        return before, after

    before, after = run_async(scenario)
    assert before == ["", ""]
    assert after == ["/login?reason=signed_out", "/login?reason=signed_out"]


def test_a_deactivation_through_one_worker_ends_the_sessions_on_every_worker(cluster, person):
    cookie = sign_in_cookie(cluster, person.email, PASSWORD)
    admin = sign_in_cookie(cluster, "admin@demo-practice.example", ADMIN_PASSWORD)

    async def scenario():
        tabs = await socket_on_each_worker(cluster, cookie=cookie, path="/tasks")
        before = [await tasks_answer(tab) for tab in tabs]
        # The admin acts through the worker of the first tab; the second is elsewhere.
        acting = await socket_on_worker(
            cluster,
            worker_of(cluster, tabs[0].token),
            cookie=admin,
            path="/admin/bookkeepers",
        )
        await acting.call(
            SET_ACTIVE,
            {"token": uuid.uuid4().hex, "user_id": person.id, "active": False},
            path="/admin/bookkeepers",
        )
        after = [await tasks_answer(tab) for tab in reversed(tabs)]
        await close_all(acting, *tabs)
        return before, after

    before, after = run_async(scenario)
    with Session(engine_for(cluster.database_url)) as session:
        assert session.get(User, person.id).is_active is False
    assert before == ["", ""]
    assert after == ["/login?reason=deactivated", "/login?reason=deactivated"]


def test_the_sign_in_throttle_counts_the_tries_of_every_worker_together(cluster):
    target = new_login(cluster, "bookkeeper", "throttle")

    async def scenario():
        socks = await socket_on_each_worker(cluster, path="/login")
        answers = []
        # The tries alternate between the workers: each worker sees only half of them.
        for i in range(signin.PER_ADDRESS_LIMIT):
            answers.append(await sign_in_over(socks[i % 2], target.email, "wrong password!"))
        blocked = [
            await sign_in_over(socks[0], target.email, "wrong password!"),
            # Even the right password, through the other worker.
            await sign_in_over(socks[1], target.email, PASSWORD),
        ]
        await close_all(*socks)
        return answers, blocked

    answers, blocked = run_async(scenario)
    assert answers == [signin.WRONG_CREDENTIALS] * signin.PER_ADDRESS_LIMIT
    assert all("Too many failed sign-in attempts" in b for b in blocked), blocked


def test_a_step_reassigned_through_one_worker_is_out_of_reach_on_the_other(cluster, person):
    title = f"Reconcile the bank feed {tag()}"
    work = make_work(cluster, steps={title: person.email})
    step_id = work.steps[title]
    sam_id = scalar(cluster, "SELECT id FROM user_account WHERE email = :e", e=SAM)
    cookie = sign_in_cookie(cluster, person.email, PASSWORD)
    staff = sign_in_cookie(cluster, SAM, STAFF_PASSWORD)
    task = {"path": f"/tasks/{step_id}", "query": {"step_id": step_id}}
    filing = {"path": f"/filings/{work.filing_id}", "query": {"filing_id": work.filing_id}}

    async def scenario():
        tab = ReflexSocket(cluster.base_url, cookie=cookie)
        await tab.connect(task["path"], task["query"])
        shown = tab.merged_delta().get(TASK_STATE, {})
        bookkeepers = worker_of(cluster, tab.token)
        # Sam works on the filing through the other worker.
        staff_tabs = await socket_on_each_worker(cluster, cookie=staff, **filing)
        [sam] = [t for t in staff_tabs if worker_of(cluster, t.token) != bookkeepers]
        assigned = await sam.call(
            ASSIGN_STEP,
            {"step_id": step_id, "expected": str(person.id), "user_id": str(sam_id)},
            **filing,
        )
        # The bookkeeper's tab asks again, through its own worker.
        again = await tab.call(TASK_LOAD, {}, **task)
        workers = (bookkeepers, worker_of(cluster, sam.token), worker_of(cluster, tab.token))
        await close_all(tab, *staff_tabs)
        return shown, assigned, again, workers

    shown, assigned, again, (bookkeepers, sams, still) = run_async(scenario)
    assert bookkeepers != sams and still == bookkeepers
    assert shown["step_rx_state_"]["title"] == title
    assert _merged(assigned, FILING_STATE).get("notice_rx_state_") == "Step assigned."
    # The page's status lives on the session state, shared by every page.
    assert _merged(again, SESSION_STATE)["page_status_rx_state_"] == "not_found"
    assert _merged(again, TASK_STATE)["step_rx_state_"]["title"] == ""
    assert title not in json.dumps([u.delta for u in again])
    assert work.client_name not in json.dumps([u.delta for u in again])


def test_the_event_rate_limit_is_one_window_across_workers(cluster, person):
    """A burst split over two workers meets one limit: what the first worker let through
    leaves only the rest of the burst to the second. With a window per worker, the second
    worker would let its whole share through."""
    cookie = sign_in_cookie(cluster, person.email, PASSWORD)
    first_share, second_share = 100, 50

    async def scenario():
        here, there = await socket_on_each_worker(cluster, cookie=cookie, path="/tasks")
        # Connecting spent a few events of the session's burst: let that window pass, so
        # the burst below starts from nothing.
        await asyncio.sleep(BURST_SECONDS + 0.5)
        began = time.monotonic()
        first = await burst(here, first_share)
        second = await burst(there, second_share)
        elapsed = time.monotonic() - began
        workers = {worker_of(cluster, here.token), worker_of(cluster, there.token)}
        await close_all(here, there)
        return first, second, elapsed, workers

    first, second, elapsed, workers = run_async(scenario)
    assert len(workers) == 2
    # The whole split burst fits in one window, so nothing of it has aged out yet.
    assert elapsed < BURST_SECONDS - 1, f"the burst took {elapsed:.1f} s"
    # (let through, refused as too fast) on each worker.
    assert first == (first_share, 0)
    assert second == (BURST - first_share, first_share + second_share - BURST)


async def burst(sock: ReflexSocket, count: int) -> tuple[int, int]:
    """Send `count` sorting clicks back to back and wait for every answer. Each is answered
    once: with the list sorted anew, or with the page's "going too fast" message. Returns
    (sorted, refused)."""
    start = len(sock.updates)
    for i in range(count):
        await sock.send(SORT_BY, {"value": ("client", "due")[i % 2]}, path="/tasks")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while len(sock.updates) - start < count and loop.time() < deadline:
        await sock.settle(quiet=0.05, timeout=0.5)
    answers = sock.updates[start:]
    refused = sum(1 for update in answers if _too_fast(update))
    sorted_ = sum(1 for update in answers if "sort_rx_state_" in update.delta.get(TASKS_STATE, {}))
    assert len(answers) == count == sorted_ + refused, (len(answers), sorted_, refused)
    return sorted_, refused


def _too_fast(update: Update) -> bool:
    return any(
        event.get("name") == "_set_value"
        and TOO_FAST_MESSAGE in json.dumps(event, ensure_ascii=False)
        for event in update.events
    )


# How long a worker holds a tab's state after an event (rxconfig.py: Reflex's opportunistic
# lock, half the 10 s lock expiry). A reconnect that had to wait the hold out would take this.
HOLD_SECONDS = 5.0


def test_a_tab_that_reconnects_through_the_other_worker_is_served_at_once(cluster, person):
    """After an event, the worker that ran it keeps the tab's state for a few seconds. A tab
    whose socket drops and comes back through the other worker within that time must not
    wait it out: it is answered at once, as the same signed-in tab. (What breaks a hold for
    a tab still connected elsewhere, a push from another worker, is tested with the pushes.)"""
    cookie = sign_in_cookie(cluster, person.email, PASSWORD)

    async def scenario():
        sock = ReflexSocket(cluster.base_url, cookie=cookie)
        await sock.connect("/tasks")
        token = sock.token
        for _ in range(40):
            # An event starts (or renews) the hold on the worker holding the socket.
            await sock.call(SORT_BY, {"value": "client"}, path="/tasks")
            holder = worker_of(cluster, token)
            await sock.close()
            sock = ReflexSocket(cluster.base_url, cookie=cookie)
            sock.token = token
            began = time.monotonic()
            await sock.connect("/tasks")
            took = time.monotonic() - began
            if worker_of(cluster, token) not in (None, holder):
                break
        else:
            raise AssertionError("40 reconnects never reached the other worker")
        answer = await tasks_answer(sock)
        name = shown_name(sock)
        await sock.close()
        return took, answer, name

    took, answer, name = run_async(scenario)
    # connect() itself waits 0.4 s for the server to fall quiet.
    assert took < HOLD_SECONDS / 2, f"the reconnect waited {took:.1f} s for the other worker"
    assert answer == "" and name == person.name


def _merged(updates: list[Update], state: str) -> dict:
    merged: dict = {}
    for update in updates:
        merged.update(update.delta.get(state, {}))
    return merged
