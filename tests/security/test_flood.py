"""Flooding the running app: events over a raw websocket, and downloads over HTTP.

With the default limits (events: 600 a minute and 120 in any 10 seconds per session; HTTP: 300
a minute and 60 in any 10 seconds per session), a script sending events back to back is cut
off after its burst: each excess event runs nothing, changes nothing in the state or the
database, and comes back with "You are going too fast". The refusals fold into one audit row
per actor, handler and minute, whose count is exactly the number refused. A person working at
normal speed on the same address, meanwhile, is never limited. An HTTP flood on the download
route gets 429 with Retry-After.

Every flood here runs on a session of its own (a fresh sign-in), so the limits it reaches
never hold back the rest of the suite.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import httpx
import pytest

from portal.demo import BOOKKEEPER_PASSWORD
from portal.ratelimit import TOO_FAST_MESSAGE
from tests.support.live import sign_in_cookie
from tests.support.oracle import Oracle
from tests.support.reflex_socket import ReflexSocket, run_async
from tests.support.snapshot import audit_added, audit_tally, snapshot

pytestmark = pytest.mark.live

BEA = "bea@demo-practice.example"
DEV = "dev@demo-practice.example"
SESSION = "reflex___state____state.state___session____session_state"
TASKS = f"{SESSION}.state___tasks____tasks_state"
TASK = f"{SESSION}.state___task____task_state"
HOME = f"{SESSION}.state___home____home_state"
# Allowed to a bookkeeper, touches no record and changes nothing: the flood's filler.
NOOP = f"{SESSION}.dismiss_unsent"

# The defaults: the burst window is the one a flood meets first.
BURST, BURST_SECONDS = 120, 10
HTTP_BURST = 60
# At most this many events are spent by connecting to a page (hydrate_and_load, and the
# on_load_internal, enter_page, load and set_is_hydrated it chains).
PAGE_LOAD = 10

PER_ENTRY = ("rx_router", "submit_token")


def visible_state(sock: ReflexSocket) -> dict:
    return {
        state: {k: v for k, v in values.items() if not k.startswith(PER_ENTRY)}
        for state, values in sock.merged_delta().items()
    }


def too_fast(update) -> int:
    return sum(
        1 for e in update.events if e.get("name") == "_set_value" and "going too fast" in str(e)
    )


def not_available(update) -> int:
    return sum(1 for e in update.events if "available to you" in str(e))


def key(name: str) -> str:
    """The handler key the audit log names for an event name."""
    module = {
        "tasks": "state.tasks.TasksState",
        "task": "state.task.TaskState",
        "home": "state.home.HomeState",
        "session": "state.session.SessionState",
    }
    state, _, handler = name.rpartition(".")
    short = state.rsplit(".", 1)[-1].split("____")[-1].removesuffix("_state")
    return f"{module[short]}.{handler}"


def folded(database_url: str, before: dict[int, int], user_id: int, action: str, total: int):
    """The audit rows this actor's refusals of one kind added to: {handler: [added per row]},
    once they add up to `total` (repeats reach the log within the flush interval)."""

    def mine(rows):
        return [r for r in rows if r["actor_id"] == user_id and r["action"] == action]

    added = audit_added(
        database_url, before, until=lambda rows: sum(r["added"] for r in mine(rows)) >= total
    )
    rows: dict[str, list[int]] = {}
    for row in mine(added):
        rows.setdefault(row["detail"], []).append(row["added"])
    return rows


def bea_work(oracle: Oracle) -> tuple[int, int, bool]:
    """One of Bea's own steps, with a checklist item on it and whether it is ticked."""
    bea = oracle.user_by_email(BEA)["id"]
    for step_id in sorted(oracle.own_steps(bea)):
        for item_id, item in sorted(oracle.items.items()):
            if item["step_id"] == step_id:
                return step_id, item_id, bool(item["is_done"])
    raise AssertionError("Bea has no checklist item to tick")


async def _flood_then_change(base_url: str, cookie: str, step_id: int, item_id: int, done: bool):
    sock = ReflexSocket(base_url, cookie=cookie)
    await sock.connect("/tasks")
    before_state = visible_state(sock)
    start = len(sock.updates)
    changes = [
        (f"{TASK}.tick", {"item_id": item_id, "done": not done}),
        (f"{TASK}.add_comment", {"form": {"step_id": str(step_id), "body": "flooded"}}),
        (f"{TASKS}.filter_status", {"value": "done"}),
    ]
    sent = [(NOOP, {})] * 200 + changes + [(NOOP, {})] * 20
    began = time.monotonic()
    for name, payload in sent:
        await sock.send(name, payload, path="/tasks")
    await sock.settle(quiet=1.0, timeout=120)
    elapsed = time.monotonic() - began
    updates = sock.updates[start:]
    # What the tab holds after the flood: the filter it was sent was never applied.
    flooded_state = visible_state(sock)
    await sock.close()
    # Once the burst window has moved on, the tab works again and holds what it held.
    await asyncio.sleep(max(0.0, BURST_SECONDS + 0.5 - (time.monotonic() - began)))
    again = ReflexSocket(base_url, cookie=cookie)
    again.token = sock.token
    await again.connect("/tasks")
    answer = await again.call(NOOP, path="/tasks")
    await again.close()
    return sent, updates, elapsed, before_state, flooded_state, answer


def test_an_event_flood_is_cut_off_with_the_message_and_changes_nothing(live_app, cast):
    oracle = Oracle.load(live_app.database_url)
    bea = oracle.user_by_email(BEA)["id"]
    step_id, item_id, done = bea_work(oracle)
    cookie = sign_in_cookie(live_app, BEA, BOOKKEEPER_PASSWORD)
    before_db = snapshot(live_app.database_url)
    audit_before = audit_tally(live_app.database_url)

    sent, updates, elapsed, before_state, flooded_state, answer = run_async(
        _flood_then_change, live_app.base_url, cookie, step_id, item_id, done
    )

    refused = sum(too_fast(u) for u in updates)
    let_through = len(sent) - refused
    # Let through: the burst, less what the page load spent (the hydration and the load
    # events it chains on the server); more only if the window moved on meanwhile.
    assert BURST - PAGE_LOAD <= let_through <= BURST * (1 + int(elapsed // BURST_SECONDS))
    if elapsed < BURST_SECONDS - 1:
        assert let_through < BURST
    assert not any(not_available(u) for u in updates)
    # Refused events run nothing: no state delta came with any refusal ...
    assert all(not u.delta for u in updates if too_fast(u))
    # ... the database is as it was (no tick, no comment) ...
    assert snapshot(live_app.database_url) == before_db
    # ... and so is the tab's state (the filter was never applied).
    assert flooded_state == before_state
    assert flooded_state[TASKS]["status_filter_rx_state_"] != "done"
    assert not any(too_fast(u) for u in answer), "the tab must work again after a moment"

    # The audit log: the refusals, counted exactly, in one row per handler and minute.
    rows = folded(live_app.database_url, audit_before, bea, "rate_limited", refused)
    assert sum(sum(r) for r in rows.values()) == refused
    assert {handler: sum(r) for handler, r in rows.items()} == {
        key(NOOP): refused - 3,
        "state.task.TaskState.tick": 1,
        "state.task.TaskState.add_comment": 1,
        "state.tasks.TasksState.filter_status": 1,
    }
    assert all(len(r) <= 2 for r in rows.values()), "at most one row per handler and minute"


async def _forbidden_flood(base_url: str, cookie: str, other_step: int):
    sock = ReflexSocket(base_url, cookie=cookie)
    await sock.connect("/tasks")
    start = len(sock.updates)
    for _ in range(60):
        await sock.send(f"{HOME}.load", {}, path="/tasks")
    for _ in range(50):
        await sock.send(
            f"{TASK}.load", {}, path=f"/tasks/{other_step}", query={"step_id": other_step}
        )
    await sock.settle(quiet=1.0, timeout=120)
    updates = sock.updates[start:]
    await sock.close()
    return updates


def test_a_flood_of_refused_events_is_one_audit_row_per_handler_and_minute(live_app, cast):
    """Layer one (off the list) and layer two (out of scope) refusals, sent back to back and
    within the burst: each is refused as before, and each kind is one row with its count."""
    oracle = Oracle.load(live_app.database_url)
    bea = oracle.user_by_email(BEA)["id"]
    dev = oracle.user_by_email(DEV)["id"]
    devs_step = min(s for s, st in oracle.steps.items() if st["assignee_id"] == dev)
    assert not oracle.can_open_step(bea, devs_step)
    cookie = sign_in_cookie(live_app, BEA, BOOKKEEPER_PASSWORD)
    before_db = snapshot(live_app.database_url)
    audit_before = audit_tally(live_app.database_url)

    updates = run_async(_forbidden_flood, live_app.base_url, cookie, devs_step)

    assert sum(not_available(u) for u in updates) == 60
    assert not any(too_fast(u) for u in updates)
    assert snapshot(live_app.database_url) == before_db
    refused = folded(live_app.database_url, audit_before, bea, "refused", 60 + 50)
    assert {h: sum(r) for h, r in refused.items() if h.startswith("state.")} == {
        "state.home.HomeState.load": 60
    }
    scope = {h: r for h, r in refused.items() if not h.startswith("state.")}
    assert len(scope) == 1, scope  # the step service's "not found"
    [(detail, counts)] = scope.items()
    assert detail.endswith(": not found") and sum(counts) == 50
    assert all(len(r) <= 2 for r in refused.values()), "at most one row per handler and minute"


async def _normal_speed(base_url: str, cookie: str) -> tuple[int, int, int]:
    """A person: several tabs (re)connecting at once, then clicking briskly for a while.
    Returns (events sent, events answered, refusals among the answers)."""
    tabs = [ReflexSocket(base_url, cookie=cookie) for _ in range(4)]
    await asyncio.gather(*(t.connect("/tasks") for t in tabs))
    sent = answered = refusals = 0
    tab = tabs[0]
    for i in range(30):
        name, payload = [
            (f"{TASKS}.load", {}),
            (f"{TASKS}.sort_by", {"value": "client"}),
            (f"{TASKS}.sort_by", {"value": "due"}),
            (f"{TASKS}.filter_status", {"value": ""}),
        ][i % 4]
        answer = await tab.call(name, payload, path="/tasks")
        sent += 1
        answered += bool(answer)
        refusals += sum(too_fast(u) + not_available(u) for u in answer)
        await asyncio.sleep(0.1)
    # A reconnect, as after a network blip.
    await tab.close()
    back = ReflexSocket(base_url, cookie=cookie)
    back.token = tab.token
    await back.connect("/tasks")
    tabs[0] = back
    await asyncio.gather(*(t.close() for t in tabs))
    refusals += sum(too_fast(u) + not_available(u) for t in tabs for u in t.updates)
    return sent, answered, refusals


async def _flood_beside_a_person(base_url: str, flooder: str, person: str):
    sock = ReflexSocket(base_url, cookie=flooder)
    await sock.connect("/tasks")

    async def flood():
        for _ in range(4):
            for _ in range(150):
                await sock.send(NOOP, {}, path="/tasks")
            await asyncio.sleep(1)
        await sock.settle(quiet=1.0, timeout=120)

    _, person = await asyncio.gather(flood(), _normal_speed(base_url, person))
    flooded = sum(too_fast(u) for u in sock.updates)
    await sock.close()
    return flooded, person


def test_a_person_at_normal_speed_is_never_limited_beside_a_flood(live_app, cast):
    flooder = sign_in_cookie(live_app, BEA, BOOKKEEPER_PASSWORD)
    person = sign_in_cookie(live_app, DEV, BOOKKEEPER_PASSWORD)
    flooded, (sent, answered, refusals) = run_async(
        _flood_beside_a_person, live_app.base_url, flooder, person
    )
    assert flooded > 0, "the flood beside them was limited"
    # Every event answered, none refused: the flood next door holds back only itself.
    assert (sent, answered, refusals) == (30, 30, 0)


def test_an_http_flood_on_the_download_route_gets_429(live_app, cast):
    oracle = Oracle.load(live_app.database_url)
    bea = oracle.user_by_email(BEA)["id"]
    document = min(d for d in oracle.documents if oracle.can_download(bea, d))
    cookie = sign_in_cookie(live_app, BEA, BOOKKEEPER_PASSWORD)
    audit_before = audit_tally(live_app.database_url)
    url = f"/documents/{document}/download"
    began = time.monotonic()
    with httpx.Client(base_url=live_app.base_url, headers={"cookie": cookie}, timeout=30) as http:
        answers = [http.get(url) for _ in range(100)]
        # Someone else on the same address downloads as usual meanwhile.
        others = httpx.get(f"{live_app.base_url}{url}", headers={"cookie": cast.sam}, timeout=30)
        assert others.status_code == 200
    elapsed = time.monotonic() - began

    codes = Counter(a.status_code for a in answers)
    assert set(codes) == {200, 429}, codes
    assert HTTP_BURST <= codes[200] <= HTTP_BURST * (1 + int(elapsed // 10)), (codes, elapsed)
    if elapsed < 9:
        assert codes[200] == HTTP_BURST
        # The first refusal comes right after the burst, and they all come after it.
        assert [a.status_code for a in answers[:HTTP_BURST]] == [200] * HTTP_BURST
    for refused in (a for a in answers if a.status_code == 429):
        assert 1 <= int(refused.headers["retry-after"]) <= 10
        assert refused.text == TOO_FAST_MESSAGE + "\n"
        assert refused.headers["cache-control"] == "no-store"
        assert "content-disposition" not in refused.headers
    rows = folded(live_app.database_url, audit_before, bea, "rate_limited", codes[429])
    assert {h: sum(r) for h, r in rows.items()} == {"document download": codes[429]}
    assert all(len(r) <= 2 for r in rows.values())
