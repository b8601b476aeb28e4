"""Live pages: an open page loads again, as its own viewer, when something it shows changes.

The services name what a committed change concerns as topics (portal/services/live.py). Here
those topics reach the open tabs:

- Each tab, as a page loads, lists the topics it shows (its person, its firm, and the
  filing, client or step on screen) in a registry: in the process for one worker, in Redis
  for several, so a change made through one worker reaches a tab connected to another.
- A publication looks up the tabs of its topics and, for each, takes the tab's state with
  Reflex's own `app.modify_state` (with Redis: the tab's lock, taken from whichever worker
  holds it, and the update delivered to the worker holding the socket by the token
  manager's cross-worker channel). In there it re-reads the viewer from the server-side
  session named by the tab's own cookie, exactly as the portal boundary does for an event,
  applies the route allowlist, and runs the page's normal scoped loader as that viewer.

So a push never carries data: it carries nothing but "load again", and what the tab then
shows is what its loader lets that person see. A record now out of scope clears the page and
says the access ended; a session that has ended sends the tab to sign-in and drops the tab
from the registry.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import reflex as rx
from reflex.istate.manager.token import BaseStateToken
from reflex.state import BaseState, StateUpdate
from reflex_base.constants import RouteVar
from reflex_base.event import Event

from portal import access, auth, browser
from portal.boundary import problem_reason, resolve_cookie
from portal.services import live as topics_of
from portal.settings import get_settings

log = logging.getLogger("portal.live")


class Registry(Protocol):
    """Which tabs show which topics."""

    async def enter(self, token: str, topics: Iterable[str]) -> None: ...

    async def tabs(self, topics: Iterable[str]) -> set[str]: ...

    async def forget(self, token: str, topics: Iterable[str] | None = None) -> None: ...


class LocalRegistry:
    """One worker: the tabs it serves are all there are."""

    def __init__(self) -> None:
        self._tabs: dict[str, set[str]] = {}
        self._topics: dict[str, set[str]] = {}

    async def enter(self, token: str, topics: Iterable[str]) -> None:
        for topic in topics:
            self._tabs.setdefault(topic, set()).add(token)
            self._topics.setdefault(token, set()).add(topic)

    async def tabs(self, topics: Iterable[str]) -> set[str]:
        return set().union(*(self._tabs.get(topic, ()) for topic in topics))

    async def forget(self, token: str, topics: Iterable[str] | None = None) -> None:
        held = self._topics.get(token, set())
        for topic in set(held if topics is None else topics):
            tabs = self._tabs.get(topic)
            if tabs is not None:
                tabs.discard(token)
                if not tabs:
                    del self._tabs[topic]
            held.discard(topic)
        if not held:
            self._topics.pop(token, None)


class RedisRegistry:
    """Several workers: one set of tab tokens per topic, and one set of topics per tab, in
    the Redis the workers share. Each lives as long as an idle session may, from the last
    page that named it, so a tab that simply went away costs nothing for long."""

    PREFIX = "portal:live:"

    def __init__(self, redis: Any, ttl_seconds: int) -> None:
        self.redis = redis
        self.ttl = ttl_seconds

    def _topic(self, topic: str) -> str:
        return f"{self.PREFIX}topic:{topic}"

    def _tab(self, token: str) -> str:
        return f"{self.PREFIX}tab:{token}"

    async def enter(self, token: str, topics: Iterable[str]) -> None:
        topics = sorted(set(topics))
        if not topics:
            return
        pipe = self.redis.pipeline(transaction=False)
        for topic in topics:
            pipe.sadd(self._topic(topic), token)
            pipe.expire(self._topic(topic), self.ttl)
        pipe.sadd(self._tab(token), *topics)
        pipe.expire(self._tab(token), self.ttl)
        await pipe.execute()

    async def tabs(self, topics: Iterable[str]) -> set[str]:
        keys = [self._topic(topic) for topic in sorted(set(topics))]
        if not keys:
            return set()
        return {m.decode() if isinstance(m, bytes) else m for m in await self.redis.sunion(keys)}

    async def forget(self, token: str, topics: Iterable[str] | None = None) -> None:
        if topics is None:
            held = await self.redis.smembers(self._tab(token))
            topics = [t.decode() if isinstance(t, bytes) else t for t in held]
            drop_tab = True
        else:
            topics = list(topics)
            drop_tab = False
        pipe = self.redis.pipeline(transaction=False)
        for topic in topics:
            pipe.srem(self._topic(topic), token)
        if drop_tab:
            pipe.delete(self._tab(token))
        elif topics:
            pipe.srem(self._tab(token), *topics)
        await pipe.execute()


def registry_for_app() -> Registry:
    """Redis when the app keeps its state there (several workers), else the process."""
    from reflex.utils import prerequisites

    if prerequisites.check_redis_used():
        redis = prerequisites.get_redis()
        if redis is not None:
            return RedisRegistry(redis, get_settings().session_idle_minutes * 60)
    return LocalRegistry()


class LivePage(Protocol):
    """What a page state offers to live updates (state.page.PageMixin implements it)."""

    def _live_topics(self) -> Iterable[str]: ...

    def _live_reload(self) -> None: ...


@dataclass
class Outcome:
    """What a push did to one tab, for what must happen outside its state lock."""

    redirect: str | None = None
    # The tab is gone for good (its session ended): drop it from the registry.
    forget: bool = False
    # Topics the tab no longer shows (it moved to another page): drop just those.
    stale: set[str] = field(default_factory=set)
    reloaded: bool = False
    # The reload found the page's record out of reach: the page now says the access ended.
    ended: bool = False


def route_of(root: BaseState) -> str:
    return access.normalize_route(root.router.route_id or root.router.page.path or "")


def reload_tab(page_root: BaseState, page: LivePage | None, topics: frozenset[str]) -> Outcome:
    """Load a tab's page again as the person its own cookie names now (never anyone the
    publisher chose), or clear it when that person may no longer be there."""
    root = page_root.parent_state or page_root
    router_data = root.router_data or {}
    ip = str(router_data.get(RouteVar.CLIENT_IP, ""))
    cookie = (router_data.get(RouteVar.HEADERS) or {}).get("cookie", "")
    resolution = resolve_cookie(cookie, ip)
    actor = resolution.actor
    if actor is None:
        _clear(page_root, "access_ended")
        return Outcome(redirect=access.login_url(reason=problem_reason(resolution)), forget=True)
    route = route_of(root)
    decision = access.route_decision(access.role_for(actor), route, raw_path=root.router.url.path)
    if not decision.allowed:
        _clear(page_root, "not_found")
        return Outcome(redirect=decision.redirect)
    mine = {topics_of.user(actor.user_id), topics_of.firm(actor.firm_id)}
    live_page = page if page is not None and hasattr(page, "_live_reload") else None
    shown = mine | set(live_page._live_topics() if live_page is not None else ())
    if not shown & topics:
        return Outcome(stale=set(topics))
    was = page_root.page_status
    auth.set_acting(actor)
    reloading = topics_of.reloading.set(True)
    try:
        if live_page is not None:
            live_page._live_reload()
        if mine & topics:
            # Something of the person's own: a notification may have arrived with it.
            page_root._reload_notifications()
    finally:
        topics_of.reloading.reset(reloading)
        auth.set_acting(None)
    return Outcome(reloaded=True, ended=was == "ok" and page_root.page_status == "access_ended")


def _clear(page_root: BaseState, status: str) -> None:
    """Nothing of the page the person may no longer see stays in their browser."""
    for sub in page_root.substates.values():
        sub.reset()
    page_root.page_status = status


class LivePages:
    """The app's publisher: from committed topics to reloaded tabs."""

    def __init__(
        self,
        app: rx.App,
        *,
        page_root: type[BaseState],
        page_states: Mapping[str, type[BaseState]],
        keep_typed: str = "",
        registry: Registry | None = None,
    ) -> None:
        self.app = app
        self.page_root = page_root
        # The page root's private method that shows typed text back once a push has cleared
        # the page ("" for none).
        self.keep_typed = keep_typed
        self.page_states = {access.normalize_route(r): cls for r, cls in page_states.items()}
        self.registry = registry
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task] = set()

    # Wiring.

    async def run(self) -> None:
        """A lifespan task: take publications for as long as the app runs."""
        global _current
        self._loop = asyncio.get_running_loop()
        if self.registry is None:
            self.registry = registry_for_app()
        _current = self
        unsubscribe = topics_of.subscribe(self.publish)
        try:
            await asyncio.Event().wait()
        finally:
            unsubscribe()
            _current = None

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("a live page update failed", exc_info=task.exception())

    def listen(self, token: str, topics: Iterable[str]) -> None:
        """A tab shows these topics now (called from an event handler, on the loop)."""
        if self.registry is None or not token:
            return
        self._spawn(self.registry.enter(token, list(topics)))

    def publish(self, topics: frozenset[str], origin: str | None = None) -> None:
        """From any thread, after a commit: reload the tabs showing these topics, except the
        tab whose own event made the change (it has already shown the result)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        loop.call_soon_threadsafe(self._spawn, self.push(topics, origin))

    # Pushing.

    async def push(self, topics: frozenset[str], origin: str | None = None) -> list[Outcome]:
        if self.registry is None:
            return []
        tabs = await self.registry.tabs(topics)
        tabs.discard(origin or "")
        results = await asyncio.gather(
            *(self._push_tab(token, topics) for token in sorted(tabs)), return_exceptions=True
        )
        outcomes = []
        for token, result in zip(sorted(tabs), results, strict=True):
            if isinstance(result, BaseException):
                log.error("reloading tab %s failed", token[:8], exc_info=result)
            else:
                outcomes.append(result)
        return outcomes

    async def _emit(self, token: str, event) -> None:
        update = StateUpdate(events=Event.from_event_type([event]))
        await self.app.event_namespace.emit_update(update=update, token=token)

    async def _connected(self, token: str) -> bool:
        manager = getattr(self.app.event_namespace, "_token_manager", None)
        if manager is None:
            return True
        return await manager.is_token_connected(token)

    async def _push_tab(self, token: str, topics: frozenset[str]) -> Outcome:
        if not await self._connected(token):
            await self.registry.forget(token)
            return Outcome(forget=True)
        async with self.app.modify_state(BaseStateToken(ident=token, cls=self.page_root)) as state:
            page_root = await state.get_state(self.page_root)
            cls = self.page_states.get(route_of(page_root.parent_state or page_root))
            page = await page_root.get_state(cls) if cls is not None else None
            outcome = reload_tab(page_root, page, topics)
            if outcome.ended and self.keep_typed:
                # Sent before the cleared page: the browser reads what its forms hold while
                # they are still there, and hands it back to be shown (the page root's
                # `keep_typed` method, through SessionState.answer).
                browser.expect(page_root, "typed_now", type(page_root), self.keep_typed)
                await self._emit(token, browser.typed_now())
        if outcome.redirect:
            await self._emit(token, rx.redirect(outcome.redirect, replace=True))
        if outcome.forget:
            await self.registry.forget(token)
        elif outcome.stale:
            await self.registry.forget(token, outcome.stale)
        return outcome


_current: LivePages | None = None


def listen(token: str, topics: Iterable[str]) -> None:
    """Record that a tab shows these topics; nothing when the app runs no live pages."""
    if _current is not None:
        _current.listen(token, topics)


def forget(token: str) -> None:
    """The tab's session ended here (signed out): it follows nothing any more."""
    if _current is not None and _current.registry is not None and token:
        _current._spawn(_current.registry.forget(token))
