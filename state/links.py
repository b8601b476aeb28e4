"""The signed-out pages of emailed links: accept an invitation, use a reset link, and ask for
one ("Forgot your password?"). Each calls one service (portal/services/links.py) in its own
unit of work, off the event loop: no acting user stands behind these events.

The link's token is read from the page's address once, kept only in an underscore var (never
sent back to the browser) and removed from the address bar, so it is not left in the history
or shown over someone's shoulder.
"""

from __future__ import annotations

import asyncio
import time
from typing import ClassVar

import reflex as rx

from models import LinkKind
from portal import access, browser
from portal.db import unit_of_work
from portal.services import links
from state.calls import unexpected
from state.session import SessionState, new_token

ANSWER_KEPT_SECONDS = 120


def _describe(kind: str, token: str, ip: str) -> tuple[links.LinkView | None, str]:
    """The link's view, or None and the message of an unexpected failure."""
    try:
        with unit_of_work() as session:
            return links.describe(session=session, kind=kind, token=token, ip=ip), ""
    except Exception as exc:
        return None, unexpected(links.describe, exc).message


def _use(
    kind: str, token: str, password: str, confirm: str, ip: str, user_agent: str
) -> links.LinkResult:
    try:
        with unit_of_work() as session:
            return links.use_link(
                session=session,
                kind=kind,
                token=token,
                password=password,
                confirm=confirm,
                ip=ip,
                user_agent=user_agent,
            )
    except Exception as exc:
        return links.LinkResult(False, unexpected(links.use_link, exc).message)


def request_reset(email: str, ip: str) -> links.RequestAnswer:
    """One "forgot password" request in its own unit of work: what the event runs."""
    try:
        with unit_of_work() as session:
            return links.request_reset(session=session, email=email, ip=ip)
    except Exception as exc:
        return links.RequestAnswer(False, unexpected(links.request_reset, exc).message)


class _LinkPage(rx.State, mixin=True):
    """A page opened from an emailed link, where the person chooses their password."""

    error: str = ""
    # Loading, then "ok" (the form), "dead" (the link cannot be used; `problem` says why), or
    # "done" (password set; sign in with it and the second factor; `problem` says so).
    link_status: str = "loading"
    problem: str = ""
    view: links.LinkView = links.LinkView()
    busy: bool = False
    _token: str = ""
    _handled: str = ""
    # Which kind of link the page takes (models/links.py).
    link_kind: ClassVar[str] = ""

    def _load_link(self):
        token = self.router.url.query_parameters.get("token", "")
        if token:
            self._token = str(token)[:100]
        # A reconnect re-runs this without the token (it was removed from the address bar):
        # the one already read stays; a page that never had one says so.
        found, failed = _describe(self.link_kind, self._token, self.router.session.client_ip)
        self.error = failed
        self.view = found or links.LinkView()
        self.link_status = "ok" if found and found.ok else "dead"
        self.problem = found.problem if found else failed
        self.busy = False
        self.submit_token = new_token()
        return browser.clean_address() if token else None

    async def _choose(self, form: dict):
        token = str(form.get("_token") or "")[:64]
        if self.busy or (token and token == self._handled):
            return
        self._handled = token
        self.busy = True
        self.error = ""
        yield
        result = await asyncio.to_thread(
            _use,
            self.link_kind,
            self._token,
            str(form.get("password") or "")[:1024],
            str(form.get("confirm") or "")[:1024],
            self.router.session.client_ip,
            self.router.headers.user_agent,
        )
        if not result.ok:
            self.busy = False
            self.submit_token = new_token()
            if result.link_dead:
                self.link_status = "dead"
                self.problem = result.message
            else:
                self.error = result.message
            return
        self._token = ""
        if not result.handoff_code:
            # Set, but a second factor is needed to sign in: they go through sign-in.
            self.busy = False
            self.link_status = "done"
            self.problem = result.message
            return
        landing = access.LANDING[access.Role(result.role)]
        yield browser.handoff(result.handoff_code, landing)


class InvitationState(_LinkPage, SessionState):
    link_kind: ClassVar[str] = LinkKind.INVITE.value

    @rx.event
    def load(self):
        return self._load_link()

    @rx.event
    async def accept(self, form: dict):
        async for update in self._choose(form):
            yield update


class ResetPasswordState(_LinkPage, SessionState):
    link_kind: ClassVar[str] = LinkKind.RESET.value

    @rx.event
    def load(self):
        return self._load_link()

    @rx.event
    async def set_new_password(self, form: dict):
        async for update in self._choose(form):
            yield update


class ForgotPasswordState(SessionState):
    error: str = ""
    notice: str = ""
    busy: bool = False
    _handled: str = ""
    # When the last answer was given: a reconnect (or a load that arrives after a quick
    # submit) re-runs `load`, and must not wipe an answer just given.
    _answered_at: float = 0.0

    @rx.event
    def load(self):
        if time.time() - self._answered_at > ANSWER_KEPT_SECONDS:
            self.error = ""
            self.notice = ""
        if not self.busy:
            self.submit_token = new_token()

    @rx.event
    async def request_link(self, form: dict):
        token = str(form.get("_token") or "")[:64]
        if self.busy or (token and token == self._handled):
            return
        self._handled = token
        self.busy = True
        yield
        answer = await asyncio.to_thread(
            request_reset, str(form.get("email") or "")[:320], self.router.session.client_ip
        )
        self.busy = False
        self._answered_at = time.time()
        self.submit_token = new_token()
        if answer.ok:
            self.error = ""
            self.notice = answer.message
        else:
            self.notice = ""
            self.error = answer.message
