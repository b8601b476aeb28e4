"""The sign-in form."""

from __future__ import annotations

import asyncio
import json
import time

import reflex as rx

from portal import access, routes
from portal.db import unit_of_work
from portal.services import signin
from state.calls import unexpected
from state.session import SessionState, new_token

# Why the visitor is on the sign-in page, from the boundary's redirect.
# How long a refused sign-in's message outlives a reload of the page (a reconnect).
ERROR_KEPT_SECONDS = 120

REASONS = {
    "expired": "Your session expired. Please sign in again.",
    "ended": "Your session has ended. Please sign in again.",
    "invalid": "Your sign-in could not be verified. Please sign in again.",
    "portal_off": signin.PORTAL_OFF,
    "signed_out": "You have signed out.",
}


def handoff_script(code: str, next_path: str) -> str:
    """Exchange the one-time code for the HttpOnly cookie, then load the landing page."""
    failed = routes.LOGIN + "?reason=invalid"
    return (
        f"fetch({json.dumps(routes.AUTH_SESSION)}, {{method: 'POST', credentials: 'same-origin',"
        " headers: {'Content-Type': 'application/x-www-form-urlencoded'},"
        f" body: new URLSearchParams({{code: {json.dumps(code)}}})}})"
        f".then(r => window.location.replace(r.ok ? {json.dumps(next_path)} : "
        f"{json.dumps(failed)}))"
        f".catch(() => window.location.replace({json.dumps(failed)}))"
    )


def _sign_in(email: str, password: str, ip: str, user_agent: str) -> signin.SignInResult:
    try:
        with unit_of_work() as session:
            return signin.sign_in(
                session=session, email=email, password=password, ip=ip, user_agent=user_agent
            )
    except Exception as exc:
        return signin.SignInResult(False, unexpected(signin.sign_in, exc).message)


class SignInState(SessionState):
    error: str = ""
    notice: str = ""
    # Set when a sign-in starts and left set once it succeeds: the page then hands off to
    # the landing page, and signs in nobody else before it has gone.
    busy: bool = False
    # The submission being signed in: the same click arriving again opens no second session.
    _handled_token: str = ""
    # When the error was shown: a reconnect re-runs `load`, and must not wipe it.
    _error_at: float = 0.0

    @rx.event
    def load(self):
        reason = self.router.url.query_parameters.get("reason", "")
        self.notice = REASONS.get(reason, "")
        # A socket that reconnects (a worker restarting, a network blip) rehydrates the page
        # and runs this again: the answer to the try just made stays; an old one goes.
        if time.time() - self._error_at > ERROR_KEPT_SECONDS:
            self.error = ""

    @rx.event
    async def sign_in(self, form_data: dict):
        token = str(form_data.get("_token") or "")[:64]
        # A repeat is dropped even when it carries no token (sent before the page had one)
        # or a newer one (sent after the page got one): one page opens one session.
        if self.busy or (token and token == self._handled_token):
            return
        self._handled_token = token
        email = str(form_data.get("email") or "")[:320]
        password = str(form_data.get("password") or "")[:1024]
        self.busy = True
        self.error = ""
        yield
        result = await asyncio.to_thread(
            _sign_in,
            email,
            password,
            self.router.session.client_ip,
            self.router.headers.user_agent,
        )
        if not result.ok:
            self.busy = False
            self.error = result.message
            self._error_at = time.time()
            self.submit_token = new_token()
            yield rx.set_value("password", "")
            return
        role = access.Role.PASSWORD_CHANGE if result.must_change_password else result.role
        next_path = access.safe_next(
            self.router.url.query_parameters.get("next"), access.Role(role)
        )
        yield rx.call_script(handoff_script(result.handoff_code, next_path))
