"""What each change tells open pages, and when: after its commit, never for a change that was
refused, naming records by id only (the page then loads what its viewer may see).

The browser tests (tests/browser/test_live_pages.py) show the pages following; these show
which pages each action reaches, one cause at a time, and the registry of open tabs."""

from __future__ import annotations

import asyncio
import re

import pytest

from portal.db import unit_of_work
from portal.services import (
    accounts,
    discussion,
    filings,
    live,
    runner,
    steps,
    team,
)
from portal.services.errors import NotFound
from state.live import LocalRegistry, RedisRegistry
from tests.factories import make_step

TOPIC = re.compile(r"^(user|firm|filing|client|step):\d+$")


@pytest.fixture
def published():
    """Every publication, as (topics, origin tab), while the test runs."""
    seen: list[tuple[frozenset[str], str | None]] = []
    remove = live.subscribe(lambda topics, origin: seen.append((topics, origin)))
    yield seen
    remove()


def run(world, session, user, fn, /, **kwargs):
    """The service through the runner, as a page calls it: its own unit of work."""
    actor = world.actor(session, user)
    session.commit()
    return runner.perform(fn, actor=actor, **kwargs)


def only(published) -> frozenset[str]:
    assert len(published) == 1, f"expected one publication, got {published}"
    topics, _ = published[0]
    assert all(TOPIC.match(t) for t in topics), topics
    return topics


def test_reassigning_reaches_both_people_the_filing_and_the_step(world, session, published):
    run(
        world,
        session,
        world.staff,
        steps.assign_step,
        step_id=world.step.id,
        assignee_id=world.bk2.id,
    )
    topics = only(published)
    assert {
        f"user:{world.bk1.id}",
        f"user:{world.bk2.id}",
        f"filing:{world.filing.id}",
        f"step:{world.step.id}",
    } <= topics


def test_filing_it_reaches_the_people_who_lose_access_and_the_client(world, session, published):
    run(
        world, session, world.staff, filings.change_status, filing_id=world.filing.id, action="file"
    )
    topics = only(published)
    assert {
        f"user:{world.bk1.id}",
        f"filing:{world.filing.id}",
        f"client:{world.client.id}",
    } <= topics


def test_a_bookkeepers_tick_time_and_comment_reach_the_filing(world, session, published):
    item = make_step(session, world.filing, world.bk1, title="Ticks", checklist=("One",))
    session.commit()
    item_id = (
        steps.get_step(session=session, actor=world.actor(session, world.bk1), step_id=item.id)
        .checklist[0]
        .id
    )
    run(world, session, world.bk1, steps.set_checklist_item, item_id=item_id, done=True)
    run(
        world,
        session,
        world.bk1,
        steps.log_time,
        step_id=item.id,
        minutes="30",
        work_date="2026-01-05",
    )
    run(world, session, world.bk1, steps.add_comment, step_id=item.id, body="Done to the 14th")
    run(world, session, world.bk1, steps.set_status, step_id=item.id, status="in_progress")
    assert len(published) == 4
    for topics, _ in published:
        assert {f"filing:{world.filing.id}", f"step:{item.id}", f"user:{world.bk1.id}"} <= topics


def test_a_post_reaches_the_filing(world, session, published):
    run(world, session, world.staff, discussion.add_post, filing_id=world.filing.id, body="Hello")
    assert f"filing:{world.filing.id}" in only(published)


def test_deactivating_reaches_the_person_and_switching_the_add_on_the_firm(
    world, session, published
):
    run(world, session, world.admin, team.set_active, user_id=world.bk1.id, active=False)
    assert f"user:{world.bk1.id}" in only(published)
    published.clear()
    run(world, session, world.admin, team.set_modules, filing_steps=True, portal=False)
    assert f"firm:{world.firm.id}" in only(published)


def test_signing_out_reaches_the_persons_other_tabs(world, session, published):
    run(world, session, world.bk1, accounts.sign_out)
    assert only(published) == {f"user:{world.bk1.id}"}


def test_nothing_is_published_for_a_refused_change_or_before_the_commit(world, session, published):
    with pytest.raises(NotFound):
        run(
            world,
            session,
            world.staff,
            steps.assign_step,
            step_id=world.outsider_step.id,
            assignee_id=world.bk2.id,
        )
    assert published == []

    actor, step_id = world.actor(session, world.staff), world.step.id
    session.commit()  # the test's own session holds no lock while the change is made
    with unit_of_work() as uow:
        steps.assign_step(session=uow, actor=actor, step_id=step_id, assignee_id=None)
        assert published == [], "published before the commit"
    assert f"user:{world.bk1.id}" in only(published)


def test_the_tab_that_acted_is_named_as_the_origin(world, session, published):
    token = live.origin.set("tab-that-clicked")
    try:
        run(world, session, world.staff, steps.assign_step, step_id=world.step.id, assignee_id=None)
    finally:
        live.origin.reset(token)
    assert published[0][1] == "tab-that-clicked"


# --- the registry of open tabs ---------------------------------------------------------------


async def exercise(registry) -> None:
    await registry.enter("tab-a", ["user:1", "filing:7"])
    await registry.enter("tab-b", ["user:2", "filing:7"])
    assert await registry.tabs(["filing:7"]) == {"tab-a", "tab-b"}
    assert await registry.tabs(["user:1", "client:3"]) == {"tab-a"}
    # Tab a moved to another page: only the topic it left is dropped.
    await registry.forget("tab-a", ["filing:7"])
    assert await registry.tabs(["filing:7"]) == {"tab-b"}
    assert await registry.tabs(["user:1"]) == {"tab-a"}
    # Tab b's session ended: it is dropped from everything.
    await registry.forget("tab-b")
    assert await registry.tabs(["user:2", "filing:7"]) == set()
    assert await registry.tabs([]) == set()


def test_the_registry_in_the_process():
    asyncio.run(exercise(LocalRegistry()))


def test_the_registry_in_redis_is_shared_and_expires():
    from redis.asyncio import Redis

    from tests.support import redis_server

    server = redis_server.start()

    async def scenario():
        client = Redis.from_url(server.url)
        try:
            await exercise(RedisRegistry(client, 60))
            first, second = RedisRegistry(client, 60), RedisRegistry(client, 60)
            await first.enter("tab-c", ["user:9"])
            # Another worker's registry sees the tab the first one entered.
            assert await second.tabs(["user:9"]) == {"tab-c"}
            ttl = await client.ttl(f"{RedisRegistry.PREFIX}topic:user:9")
            assert 0 < ttl <= 60
            await second.forget("tab-c")
            assert await first.tabs(["user:9"]) == set()
        finally:
            await client.aclose()

    try:
        asyncio.run(scenario())
    finally:
        server.stop()
