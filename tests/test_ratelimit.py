"""The rate limiter: per session and per address, moving windows, memory or Redis."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from portal import ratelimit
from portal.settings import get_settings
from tests.support import redis_server
from tests.support.aio import run_sync

RATES = (
    "PORTAL_RATE_LIMIT_EVENTS_SESSION",
    "PORTAL_RATE_LIMIT_EVENTS_ADDRESS",
    "PORTAL_RATE_LIMIT_PROGRESS_SESSION",
    "PORTAL_RATE_LIMIT_HTTP_SESSION",
    "PORTAL_RATE_LIMIT_HTTP_ADDRESS",
)


@pytest.fixture
def rates(monkeypatch):
    """Set rate-limit variables; a fresh limiter (empty counters) comes with the settings."""

    def apply(**values: str) -> ratelimit.Limiter:
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        return ratelimit.get_limiter()

    monkeypatch.delenv("REFLEX_REDIS_URL", raising=False)
    monkeypatch.delenv("PORTAL_RATE_LIMIT_STORAGE", raising=False)
    for name in RATES:
        monkeypatch.delenv(name, raising=False)
    yield apply
    get_settings.cache_clear()


def run(coro):
    return run_sync(coro)


async def _many(call, n: int) -> list[ratelimit.Verdict]:
    return [await call() for _ in range(n)]


def test_the_defaults_leave_people_alone_and_stop_a_flood(rates):
    limiter = rates()
    settings = get_settings()
    assert settings.rate_limit_storage == "memory://"
    assert settings.rate_events_session == "600/minute;120/10 seconds"
    # A page load fires about five events, a reconnect of five tabs about twenty-five: a
    # person working flat out for ten seconds stays far below the burst window.
    answers = run(_many(lambda: limiter.event("bea", "203.0.113.9"), 120))
    assert all(a.allowed for a in answers)
    # A script does not.
    refused = run(limiter.event("bea", "203.0.113.9"))
    assert not refused.allowed and 1 <= refused.retry_after <= 10
    # Someone else behind the same address is not held back by it.
    assert run(limiter.event("dev", "203.0.113.9")).allowed


def test_a_session_window_refuses_past_its_limit_and_says_when_to_retry(rates):
    limiter = rates(PORTAL_RATE_LIMIT_EVENTS_SESSION="5/minute")
    answers = run(_many(lambda: limiter.event("s1", "198.51.100.1"), 7))
    assert [a.allowed for a in answers] == [True] * 5 + [False] * 2
    assert 55 <= answers[-1].retry_after <= 60
    assert run(limiter.event("s2", "198.51.100.1")).allowed


def test_an_address_window_counts_every_session_and_tab_from_it(rates):
    limiter = rates(PORTAL_RATE_LIMIT_EVENTS_ADDRESS="8/minute")

    async def rotate():
        return [await limiter.event(f"tab {i}", "198.51.100.2") for i in range(10)]

    assert [a.allowed for a in run(rotate())] == [True] * 8 + [False] * 2
    assert run(limiter.event("tab x", "198.51.100.3")).allowed


def test_sessions_seen_signed_in_count_only_in_their_own_windows(rates):
    limiter = rates(
        PORTAL_RATE_LIMIT_EVENTS_ADDRESS="8/minute",
        PORTAL_RATE_LIMIT_HTTP_ADDRESS="8/minute",
        PORTAL_RATE_LIMIT_EVENTS_SESSION="5/minute",
    )
    office = [f"person {i}" for i in range(4)]
    for key in office:
        limiter.signed_in(key)

    async def busy_office():
        events = [await limiter.event(key, "198.51.100.2") for key in office for _ in range(5)]
        pages = [await limiter.http(key, "198.51.100.2") for key in office for _ in range(5)]
        over = await limiter.event(office[0], "198.51.100.2")
        forged = [await limiter.event(f"made up {i}", "198.51.100.2") for i in range(10)]
        return events, pages, over, forged

    events, pages, over, forged = run(busy_office())
    # 20 events and 20 page loads from one address, over its 8: each person has their own.
    assert all(v.allowed for v in events + pages)
    assert not over.allowed  # each session's own window still holds
    # Made-up cookies have no session to count against: the address window catches them.
    assert [v.allowed for v in forged] == [True] * 8 + [False] * 2


def test_a_burst_window_refusal_does_not_use_up_the_longer_window(rates):
    limiter = rates(PORTAL_RATE_LIMIT_EVENTS_SESSION="5/minute;2/1 second")

    async def scenario():
        first = [(await limiter.event("s", "192.0.2.1")).allowed for _ in range(6)]
        await asyncio.sleep(1.1)
        second = [(await limiter.event("s", "192.0.2.1")).allowed for _ in range(6)]
        await asyncio.sleep(1.1)
        third = [(await limiter.event("s", "192.0.2.1")).allowed for _ in range(3)]
        return first, second, third

    first, second, third = run(scenario())
    # Only the events let through count against the minute: 2 + 2 + 1 = 5.
    assert first == [True, True, False, False, False, False]
    assert second == [True, True, False, False, False, False]
    assert third == [True, False, False]


def test_a_moving_window_frees_up_as_it_moves(rates):
    limiter = rates(PORTAL_RATE_LIMIT_HTTP_SESSION="3/1 second")

    async def scenario():
        burst = [(await limiter.http("s", "192.0.2.2")).allowed for _ in range(4)]
        await asyncio.sleep(1.1)
        return burst, (await limiter.http("s", "192.0.2.2")).allowed

    burst, later = run(scenario())
    assert burst == [True, True, True, False]
    assert later


def test_progress_reports_have_their_own_window(rates):
    limiter = rates(
        PORTAL_RATE_LIMIT_EVENTS_SESSION="3/minute", PORTAL_RATE_LIMIT_PROGRESS_SESSION="20/minute"
    )
    # An upload reports its progress many times a second; clicks still get their own room.
    assert all(a.allowed for a in run(_many(lambda: limiter.progress("staff"), 20)))
    assert not run(limiter.progress("staff")).allowed
    assert all(a.allowed for a in run(_many(lambda: limiter.event("staff", "192.0.2.3"), 3)))


def test_http_without_a_session_counts_only_the_address(rates):
    limiter = rates(
        PORTAL_RATE_LIMIT_HTTP_SESSION="2/minute", PORTAL_RATE_LIMIT_HTTP_ADDRESS="4/minute"
    )
    assert [run(limiter.http(None, "192.0.2.4")).allowed for _ in range(5)] == [True] * 4 + [False]
    assert run(limiter.http("s", "192.0.2.5")).allowed
    assert run(limiter.http("s", "192.0.2.5")).allowed
    assert not run(limiter.http("s", "192.0.2.5")).allowed


def test_events_and_http_are_counted_apart(rates):
    limiter = rates(
        PORTAL_RATE_LIMIT_EVENTS_SESSION="2/minute", PORTAL_RATE_LIMIT_HTTP_SESSION="2/minute"
    )
    assert all(a.allowed for a in run(_many(lambda: limiter.event("s", "192.0.2.6"), 2)))
    assert run(limiter.http("s", "192.0.2.6")).allowed


def test_a_limit_set_to_off_is_off(rates):
    limiter = rates(PORTAL_RATE_LIMIT_EVENTS_SESSION="off", PORTAL_RATE_LIMIT_EVENTS_ADDRESS="off")
    assert all(a.allowed for a in run(_many(lambda: limiter.event("s", "192.0.2.7"), 700)))


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PORTAL_RATE_LIMIT_EVENTS_SESSION", "lots"),
        ("PORTAL_RATE_LIMIT_HTTP_ADDRESS", "10/fortnight"),
        ("PORTAL_RATE_LIMIT_STORAGE", "memcached://localhost:11211"),
    ],
)
def test_a_bad_setting_is_refused_at_start(rates, monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    with pytest.raises(ValueError, match=name):
        get_settings()


def test_redis_is_used_when_reflex_uses_it(rates, monkeypatch):
    monkeypatch.setenv("REFLEX_REDIS_URL", "redis://localhost:6379")
    get_settings.cache_clear()
    assert get_settings().rate_limit_storage == "redis://localhost:6379"
    monkeypatch.setenv("PORTAL_RATE_LIMIT_STORAGE", "memory://")
    get_settings.cache_clear()
    assert get_settings().rate_limit_storage == "memory://"


def test_a_failing_counter_store_lets_requests_through_and_says_so(rates, monkeypatch, caplog):
    limiter = rates(PORTAL_RATE_LIMIT_EVENTS_SESSION="1/minute")

    def broken(*args, **kwargs):
        raise ConnectionError("the counter store is down")

    monkeypatch.setattr(limiter._sync, "hit", broken)
    with caplog.at_level(logging.ERROR, logger="portal.ratelimit"):
        answers = run(_many(lambda: limiter.event("s", "192.0.2.8"), 3))
    assert all(a.allowed for a in answers)
    assert sum("rate-limit store failed" in r.getMessage() for r in caplog.records) == 1


def test_the_session_key_is_stable_and_never_the_token():
    token = "k" * 43
    key = ratelimit.session_key(token)
    assert key == ratelimit.session_key(token)
    assert key != ratelimit.session_key("j" * 43)
    assert token not in key and len(key) == 32
    assert ratelimit.session_key(None) is None and ratelimit.session_key("") is None


@pytest.mark.parametrize(
    ("ip", "key"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("fe80::1%eth0", "fe80::/64"),
        ("", ""),
        ("not:an:address", "not:an:address"),
    ],
)
def test_addresses_are_counted_per_host_or_ipv6_slash_64(ip, key):
    assert ratelimit.address_key(ip) == key


# -- Redis: one set of counters for every worker ---------------------------------------------


@pytest.fixture(scope="module")
def redis_url():
    """A throwaway Redis from Debian's redis-server package (`make test` installs it)."""
    server = redis_server.start()
    yield server.url
    server.stop()


def test_workers_sharing_redis_share_one_window(rates, monkeypatch, redis_url):
    monkeypatch.setenv("REFLEX_REDIS_URL", redis_url)
    monkeypatch.setenv("PORTAL_RATE_LIMIT_EVENTS_SESSION", "5/minute")
    get_settings.cache_clear()
    settings = get_settings()
    assert settings.rate_limit_storage == redis_url
    # Two workers: two limiters, one store.
    first, second = ratelimit.Limiter(settings), ratelimit.Limiter(settings)
    session = f"redis-{time.time_ns()}"

    async def alternate():
        answers = []
        for i in range(7):
            answers.append(await (first if i % 2 else second).event(session, "192.0.2.10"))
        return answers

    answers = run(alternate())
    assert [a.allowed for a in answers] == [True] * 5 + [False] * 2
    assert 55 <= answers[-1].retry_after <= 60
