"""Rate limits on Reflex events and HTTP requests, per session and per address.

The portal boundary (`portal.boundary`) asks before any handler runs, and the HTTP guard
(`portal.http`) before it serves a page, a document, the sign-in handoff, sign-out or an
upload. Each limit is a moving window in the `limits` package's notation, set in
`portal.settings`; several windows can apply at once ("600/minute;120/10 seconds": a steady
rate, and how much of it may come in one burst).

Counters live in this process's memory, or in Redis when workers share one
(`PORTAL_RATE_LIMIT_STORAGE`, by default `REFLEX_REDIS_URL`), so a limit holds across workers.
Rate limiting protects the server, it grants nothing: when the counter store fails, requests
are let through and the failure is logged, while the two layers of access control still apply.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from portal.settings import Settings, get_settings

log = logging.getLogger("portal.ratelimit")

TOO_FAST_MESSAGE = "You are going too fast: wait a moment and try again."

# How many signed-in sessions a worker remembers as such (about 50 bytes each).
KNOWN_SESSIONS = 20_000


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    # Whole seconds until the window that refused has room again (at least 1 when refused).
    retry_after: int = 0


ALLOWED = Verdict(True)


def session_key(cookie_token: str | None) -> str | None:
    """A stable, one-way name for the session behind a cookie: never the token itself, nor
    the hash the database keeps, so the counter store holds nothing that opens a session."""
    if not cookie_token:
        return None
    return hashlib.blake2b(
        cookie_token[:256].encode(), digest_size=16, person=b"portal-rate"
    ).hexdigest()


@lru_cache(maxsize=4096)
def address_key(ip: str) -> str:
    """The address counted: IPv4 as is, IPv6 by its /64 (one host's usual allocation, which
    it could otherwise walk through address by address)."""
    if ":" not in ip:
        return ip[:64]
    try:
        address = ipaddress.IPv6Address(ip.split("%", 1)[0])
    except ValueError:
        return ip[:64]
    if address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(ipaddress.IPv6Network((int(address) >> 64 << 64, 64)))


def _items(value: str) -> tuple[RateLimitItem, ...]:
    """The windows of one limit, shortest first: an event the burst window refuses then
    never counts against the longer window, so only what was let through is counted."""
    return tuple(sorted(parse_many(value), key=lambda item: item.get_expiry())) if value else ()


class Limiter:
    """One set of counters for the whole process (or, with Redis, the whole cluster)."""

    def __init__(self, settings: Settings):
        self.events_session = _items(settings.rate_events_session)
        self.events_address = _items(settings.rate_events_address)
        self.progress_session = _items(settings.rate_progress_session)
        self.http_session = _items(settings.rate_http_session)
        self.http_address = _items(settings.rate_http_address)
        uri = settings.rate_limit_storage
        self._sync: MovingWindowRateLimiter | None = None
        self._async = None
        if uri.startswith("memory"):
            self._sync = MovingWindowRateLimiter(MemoryStorage())
        else:
            # The async client, so a counter round trip never blocks the event loop.
            from limits.aio.storage import RedisStorage
            from limits.aio.strategies import MovingWindowRateLimiter as AsyncMovingWindow

            storage = RedisStorage(
                f"async+{uri}", implementation="redispy", key_prefix="portal-rate"
            )
            self._async = AsyncMovingWindow(storage)
        self._failing_since = 0.0
        # Session keys this process has seen belong to a signed-in person, most recent last.
        self._people: OrderedDict[str, None] = OrderedDict()

    def signed_in(self, session: str) -> None:
        """Note that this session key belongs to a signed-in person (the boundary resolved it).

        From then on its events and requests count in the session's own windows only, not in
        the address's: a firm's office of a hundred people behind one address must never share
        one window. A key never seen signed in (no cookie, a forged, expired or revoked one)
        still counts per address too, before any database work, so a script cannot escape the
        address window by making up cookies."""
        self._people[session] = None
        self._people.move_to_end(session)
        if len(self._people) > KNOWN_SESSIONS:
            self._people.popitem(last=False)

    def _per_address(self, session: str | None) -> bool:
        return session is None or session not in self._people

    async def event(self, session: str, address: str) -> Verdict:
        """A Reflex event: the session's (or signed out, the tab's) window, then, unless the
        session is known to be a person's, the address's."""
        verdict = await self._check(self.events_session, "event", "s", session)
        if verdict.allowed and self._per_address(session):
            verdict = await self._check(self.events_address, "event", "a", address_key(address))
        return verdict

    async def progress(self, session: str) -> Verdict:
        """An upload's progress report: a browser sends about twenty a second while a file
        goes up, so they have their own, wider window, and leave the others alone."""
        return await self._check(self.progress_session, "progress", "s", session)

    async def http(self, session: str | None, address: str) -> Verdict:
        """An HTTP request the guard limits; without a session cookie only the address counts,
        and a session known to be a person's counts in its own windows only."""
        verdict = ALLOWED
        if session is not None:
            verdict = await self._check(self.http_session, "http", "s", session)
        if verdict.allowed and self._per_address(session):
            verdict = await self._check(self.http_address, "http", "a", address_key(address))
        return verdict

    async def _check(self, items: tuple[RateLimitItem, ...], *key: str) -> Verdict:
        for item in items:
            try:
                if self._sync is not None:
                    allowed = self._sync.hit(item, *key)
                else:
                    allowed = await self._async.hit(item, *key)
                if allowed:
                    continue
                return Verdict(False, await self._retry_after(item, key))
            except Exception:
                self._storage_failed()
                return ALLOWED
        return ALLOWED

    async def _retry_after(self, item: RateLimitItem, key: tuple[str, ...]) -> int:
        if self._sync is not None:
            stats = self._sync.get_window_stats(item, *key)
        else:
            stats = await self._async.get_window_stats(item, *key)
        return max(1, math.ceil(stats.reset_time - time.time()))

    def _storage_failed(self) -> None:
        now = time.monotonic()
        if now - self._failing_since > 60:
            self._failing_since = now
            log.exception("the rate-limit store failed; letting requests through meanwhile")


_current: tuple[Settings, Limiter] | None = None


def get_limiter() -> Limiter:
    """The limiter for the current settings, made once (a test that changes the settings
    gets a fresh one, with empty counters)."""
    global _current
    settings = get_settings()
    if _current is None or _current[0] is not settings:
        _current = (settings, Limiter(settings))
    return _current[1]
