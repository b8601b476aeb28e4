"""Layer 1 enforced: the Reflex middleware that checks every event, and the page guard.

Before any handler runs, the middleware re-reads the acting user from the server-side session
named by the connection's cookie, derives the role, and refuses any event that is not on that
role's allowlist in `portal.access`. Before that, it counts the event against the session's
and the address's rate limits (`portal.ratelimit`): over the limit, the event does nothing and
the person is asked to slow down. On page loads it also applies the route allowlist. Every
refusal is written to the audit log, repeats folded into one row per actor, what and minute.
The acting user is then published for the handler through `portal.auth.set_acting`, so
handlers never trust anything the browser says about who is acting.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import reflex as rx
from reflex.middleware import Middleware
from reflex.state import BaseState, State, StateUpdate
from reflex_base.constants import RouteVar
from reflex_base.event import Event

from portal import access, auth, browser, ratelimit
from portal.db import reading
from portal.services import live, refusal_log, sessions
from portal.services.sessions import Resolution, SessionProblem

log = logging.getLogger("portal.boundary")

REFUSED_MESSAGE = "That action isn't available to you."
TOO_FAST_MESSAGE = ratelimit.TOO_FAST_MESSAGE
# What a refused event that names no handler is folded under in the audit log.
UNKNOWN_EVENT = "unknown event"


def handler_key(event_name: str) -> str | None:
    """ "module.StateClass.handler" for an event name, or None when it names no handler."""
    state_path, _, handler = (event_name or "").rpartition(".")
    if not state_path or not handler:
        return None
    try:
        cls = State.get_class_substate(state_path)
    except (ValueError, KeyError, AttributeError):
        return None
    if handler not in cls.event_handlers:
        return None
    return f"{cls.__module__}.{cls.__name__}.{handler}"


def problem_reason(resolution: Resolution) -> str | None:
    """What the sign-in page should explain; a plain missing cookie needs no explanation.
    An ended session says why it ended (sessions.END_CODES), which only its own browser
    is ever told."""
    problem = resolution.problem
    if problem in (None, SessionProblem.MISSING):
        return None
    return resolution.ended or problem.value


def resolve_cookie(cookie_header: str, ip: str) -> Resolution:
    """Re-read the session behind a Cookie header. Fails closed: any error means signed out."""
    token = auth.read_cookie(cookie_header)
    if token is None:
        return Resolution(None, SessionProblem.MISSING)
    try:
        with reading() as session:
            return sessions.resolve(session=session, token=token, ip=ip)
    except Exception:
        log.exception("session lookup failed; treating the request as signed out")
        return Resolution(None, SessionProblem.INVALID)


def record_refusal(
    *,
    actor: auth.Actor | None,
    what: str,
    ip: str,
    kind: str,
    action: str = "refused",
    fold_on: str | None = None,
) -> None:
    """Audit a refusal in its own unit of work; repeats within a minute fold into one row."""
    try:
        refusal_log.record(
            actor=actor, action=action, target_type=kind, detail=what, ip=ip, fold_on=fold_on
        )
    except Exception:
        log.exception("could not write the refusal of %s to the audit log", what)


def record_too_fast(
    *, cookie: str, ip: str, what: str, kind: str, fold_on: str | None = None
) -> None:
    """Audit a rate-limited request, under whoever its session names (signed out: its
    address). Folded, so a flood adds one row a minute, however fast it comes."""
    actor = resolve_cookie(cookie, ip).actor
    record_refusal(actor=actor, what=what, ip=ip, kind=kind, action="rate_limited", fold_on=fold_on)


def event_session_key(cookie_header: str, router_data: dict) -> str:
    """Whose event window an event counts in: the session the cookie names, or, with no
    cookie, the browser tab (the address's window catches a script that opens many)."""
    key = ratelimit.session_key(auth.read_cookie(cookie_header))
    if key is not None:
        return key
    return "tab " + str(router_data.get(RouteVar.CLIENT_TOKEN, ""))[:64]


@dataclass
class PortalBoundary(Middleware):
    """Deny by default: an event runs only when the session's role lists its handler."""

    # The state whose substates hold page data, reset so stale data never reaches a browser.
    page_root: type[BaseState]

    async def preprocess(self, app, state: BaseState, event: Event) -> StateUpdate | None:
        auth.set_acting(None)
        router_data = state.router_data or {}
        live.origin.set(str(router_data.get(RouteVar.CLIENT_TOKEN, "")) or None)
        ip = str(router_data.get(RouteVar.CLIENT_IP, ""))
        cookie = (router_data.get(RouteVar.HEADERS) or {}).get("cookie", "")
        handler = handler_key(event.name)
        limiter = ratelimit.get_limiter()
        rate_key = event_session_key(cookie, router_data)
        # Progress reports are counted once the role is known (below); everything else
        # before the session is even looked up.
        progress = handler in access.PROGRESS_EVENTS
        if not progress and not (await limiter.event(rate_key, ip)).allowed:
            return self._too_fast(cookie, ip, handler, event.name)
        resolution = resolve_cookie(cookie, ip)
        actor = resolution.actor
        if actor is not None:
            limiter.signed_in(rate_key)
        role = access.role_for(actor)
        allowed = access.event_allowed(role, handler)
        if progress:
            verdict = await (limiter.progress(rate_key) if allowed else limiter.event(rate_key, ip))
            if not verdict.allowed:
                # A lost progress report only makes the bar lag: no message for it.
                return self._too_fast(cookie, ip, handler, event.name, quiet=allowed)
        if not allowed:
            record_refusal(
                actor=actor,
                what=handler or event.name[:200],
                ip=ip,
                kind="event",
                fold_on=handler or UNKNOWN_EVENT,
            )
            if actor is None:
                target = access.login_url(reason=problem_reason(resolution))
                return StateUpdate(events=Event.from_event_type(rx.redirect(target)))
            if role is access.Role.MUST_ENROL:
                # A page opened before the policy applied: the one thing left to do is there.
                target = access.LANDING[role]
                return StateUpdate(events=Event.from_event_type(rx.redirect(target)))
            return StateUpdate(events=Event.from_event_type(browser.toast(REFUSED_MESSAGE)))

        auth.set_acting(actor)
        if handler == access.HYDRATE_AND_LOAD:
            # The snapshot sent on (re)connect must not carry data from an earlier page or
            # an earlier user of this tab; the page's own load fills it again.
            (await state.get_state(self.page_root)).reset()
        elif handler == access.ON_LOAD_INTERNAL:
            return await self._guard_page(state, role, resolution, ip)
        return None

    @staticmethod
    def _too_fast(
        cookie: str, ip: str, handler: str | None, name: str, *, quiet: bool = False
    ) -> StateUpdate:
        """Over the limit: no handler runs and nothing changes; the person is told to wait."""
        record_too_fast(
            cookie=cookie,
            ip=ip,
            what=handler or name[:200],
            kind="event",
            fold_on=handler or UNKNOWN_EVENT,
        )
        if quiet:
            return StateUpdate()
        return StateUpdate(events=Event.from_event_type(browser.toast(TOO_FAST_MESSAGE)))

    async def _guard_page(
        self, state: BaseState, role: access.Role, resolution: Resolution, ip: str
    ) -> StateUpdate | None:
        """The page guard: the route allowlist, applied as each page starts to load."""
        page_root = await state.get_state(self.page_root)
        # Leaving a page drops its data from the browser too.
        for sub in page_root.substates.values():
            sub.reset()
        page_root.page_status = "ok"
        route = state.router.route_id or state.rx_router_page.path
        decision = access.route_decision(
            role,
            route,
            raw_path=state.router.url.path,
            reason=problem_reason(resolution),
        )
        if decision.allowed:
            return None
        events = []
        if decision.redirect:
            events.append(rx.redirect(decision.redirect, replace=True))
        else:
            record_refusal(
                actor=resolution.actor, what=access.normalize_route(route), ip=ip, kind="route"
            )
            page_root.page_status = "not_found"
            # The refused page's own load never runs: the header (navigation, name, role,
            # bell) is filled here, so a page refused by route looks exactly like a record
            # that is missing or out of scope, whose page loaded the header first.
            fill_header = getattr(page_root, "_fill_header", None)
            if fill_header is not None:
                fill_header()
        root = state._get_root_state()
        root.is_hydrated = True
        delta = await root._get_resolved_delta()
        root._clean()
        return StateUpdate(delta=delta, events=Event.from_event_type(events))
