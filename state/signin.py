"""The sign-in form."""

from __future__ import annotations

import asyncio
import time

import reflex as rx

from portal import access, browser
from portal.db import unit_of_work
from portal.services import signin
from state import passkeys as passkey_state
from state.calls import unexpected
from state.session import SessionState, new_token

# Why the visitor is on the sign-in page, from the boundary's redirect.
# How long a refused sign-in's message outlives a reload of the page (a reconnect).
ERROR_KEPT_SECONDS = 120

# The codes are portal.services.sessions.END_CODES' values and the other session problems;
# any other code (an old link, or one typed into the address) gets the generic words.
GENERIC_REASON = "Your session has ended. Please sign in again."
REASONS = {
    "expired": (
        "You were signed out because your session expired: after a while without activity, "
        "or at the longest time a session may last. Please sign in again."
    ),
    "ended": GENERIC_REASON,
    "invalid": "Your sign-in could not be verified. Please sign in again.",
    "portal_off": signin.PORTAL_OFF,
    "signed_out": "You have signed out.",
    "deactivated": (
        "Your login was deactivated by your firm's admin. Ask them if you need access again."
    ),
    "elsewhere": (
        "You were signed out from another browser or device (Your sessions). Please sign in again."
    ),
    "admin_ended": (
        "Your firm's admin ended your sessions. Please sign in again, or ask them why."
    ),
    "password": (
        "Your password was changed, so this session ended. Sign in with the new password."
    ),
}


def reason_words(reason: str) -> str:
    """The words for why the visitor is on the sign-in page: none without a reason, the
    generic ones for a code the page does not know."""
    reason = reason[:40]
    if not reason:
        return ""
    return REASONS.get(reason, GENERIC_REASON)


def _finish(pending: str, code: str, ip: str, user_agent: str) -> signin.SignInResult:
    try:
        with unit_of_work() as session:
            return signin.finish_with_code(
                session=session, pending=pending, code=code, ip=ip, user_agent=user_agent
            )
    except Exception as exc:
        return signin.SignInResult(False, unexpected(signin.finish_with_code, exc).message)


def _passkey_options(pending: str):
    with unit_of_work() as session:
        return signin.passkey_options(session=session, pending=pending)


def _finish_passkey(
    pending: str, challenge: str, credential: str, ip: str, user_agent: str
) -> signin.SignInResult:
    try:
        with unit_of_work() as session:
            return signin.finish_with_passkey(
                session=session,
                pending=pending,
                challenge=challenge,
                credential=credential,
                ip=ip,
                user_agent=user_agent,
            )
    except Exception as exc:
        return signin.SignInResult(False, unexpected(signin.finish_with_passkey, exc).message)


def landing_role(result: signin.SignInResult) -> access.Role:
    """Where a new session starts: a forced password change first, then a required factor."""
    if result.must_change_password:
        return access.Role.PASSWORD_CHANGE
    if result.must_enrol:
        return access.Role.MUST_ENROL
    return access.Role(result.role)


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
    # "password", or "code" once the password matched and a second factor is asked.
    step: str = "password"
    # The code step asks for a recovery code instead of the app's code.
    use_recovery: bool = False
    # The email typed, shown again if the person starts again.
    typed_email: str = ""
    # Names the sign-in challenge the password opened. Server side only (underscore): the
    # browser never holds it, so a second step cannot be forged from another tab or device.
    _pending: str = ""
    # Which second factors the person has: the code step offers those.
    with_code: bool = True
    with_passkey: bool = False
    # The passkey challenge of a second step under way (server side only).
    _passkey_challenge: str = ""

    @rx.event
    def load(self):
        reason = str(self.router.url.query_parameters.get("reason", "") or "")
        self.notice = reason_words(reason)
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
        if result.needs_second_factor:
            self.busy = False
            self.typed_email = email
            self._pending = result.pending
            self.step = "code"
            self.use_recovery = False
            self.with_code = result.with_code
            self.with_passkey = result.with_passkey
            self.submit_token = new_token()
            yield rx.set_value("password", "")
            return
        if not result.ok:
            self.busy = False
            self.error = result.message
            self._error_at = time.time()
            self.submit_token = new_token()
            yield rx.set_value("password", "")
            return
        yield self._hand_off(result)

    def _hand_off(self, result: signin.SignInResult):
        next_path = access.safe_next(
            self.router.url.query_parameters.get("next"), landing_role(result)
        )
        return browser.handoff(result.handoff_code, next_path)

    @rx.event
    async def verify_code(self, form_data: dict):
        """The second step. A refusal keeps the code typed, to correct it; a challenge that
        is over sends the person back to the password."""
        token = str(form_data.get("_token") or "")[:64]
        if self.busy or self.step != "code" or (token and token == self._handled_token):
            return
        self._handled_token = token
        code = str(form_data.get("code") or "")[:64]
        self.busy = True
        self.error = ""
        yield
        result = await asyncio.to_thread(
            _finish,
            self._pending,
            code,
            self.router.session.client_ip,
            self.router.headers.user_agent,
        )
        if not result.ok:
            self.busy = False
            self.error = result.message
            self._error_at = time.time()
            self.submit_token = new_token()
            if result.restart:
                self._pending = ""
                self.step = "password"
            return
        self._pending = ""
        yield self._hand_off(result)

    @rx.event
    def toggle_recovery(self):
        self.use_recovery = not self.use_recovery
        self.error = ""

    @rx.event
    def start_again(self):
        """Back to the email and password; the challenge is simply left to expire."""
        self._pending = ""
        self.step = "password"
        self.use_recovery = False
        self.error = ""
        self.busy = False
        self.submit_token = new_token()

    @rx.event
    def use_passkey(self):
        """The second step with a passkey: the ceremony is for the person whose password
        opened this sign-in, read from the challenge on the server."""
        if self.busy or self.step != "code":
            return None
        try:
            ceremony = _passkey_options(self._pending)
        except Exception as exc:
            self.error = unexpected(signin.passkey_options, exc).message
            return None
        if ceremony is None:
            self._pending = ""
            self.step = "password"
            self.error = signin.CHALLENGE_ENDED
            self.submit_token = new_token()
            return None
        self.busy = True
        self.error = ""
        self._passkey_challenge = ceremony.challenge
        return browser.ask_and_expect(
            self, "passkey_get", SignInState, "_finish_passkey", options=ceremony.options
        )

    async def _finish_passkey(self, result: object):
        """The browser's answer to use_passkey (through SessionState.answer)."""
        challenge = self._passkey_challenge
        self._passkey_challenge = ""
        if not challenge or self.step != "code":
            return
        problem = passkey_state.browser_problem(result)
        if problem:
            self.busy = False
            self.error = problem
            return
        outcome = await asyncio.to_thread(
            _finish_passkey,
            self._pending,
            challenge,
            passkey_state.credential_text(result),
            self.router.session.client_ip,
            self.router.headers.user_agent,
        )
        if not outcome.ok:
            self.busy = False
            self.error = outcome.message
            self._error_at = time.time()
            self.submit_token = new_token()
            if outcome.restart:
                self._pending = ""
                self.step = "password"
            return
        self._pending = ""
        yield self._hand_off(outcome)
