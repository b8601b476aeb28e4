"""Passkeys: the person's own list (add, rename, remove) and the passwordless sign-in.

Each ceremony is an event and an answer. The event asks the service for options, keeps the
challenge in an underscore variable (never sent to the browser) and asks the browser for
portal.js's passkey action (portal/browser.py), which runs assets/passkeys.js with the
options as data. Its answer comes back through SessionState.answer to the private method the
event named, which hands the kept challenge and the answer to the service. An answer nobody
asked for (forged, or late) reaches nothing; one without a kept challenge does nothing.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import reflex as rx

from portal import access, browser
from portal.db import unit_of_work
from portal.services import passkeys, signin
from portal.services.errors import ServiceError
from state import signin as signin_state
from state.calls import call, unexpected
from state.page import PageMixin, clear_form
from state.security import SecurityState
from state.session import SessionState

ADD_FORM = "add-passkey"
# A ceremony the browser never answered (a tab frozen mid-way) stops blocking a new one once
# its challenge has expired anyway.
WAIT_SECONDS = passkeys.CHALLENGE_LIFETIME.total_seconds() + 10
# What the browser's answer may say went wrong (assets/passkeys.js), in words for the person.
BROWSER_REASONS = {
    "cancelled": (
        "The passkey request was cancelled or timed out. Nothing was changed; try again "
        "when you are ready."
    ),
    "exists": (
        "This device already holds a passkey for your account. Use it, or add a passkey on "
        "another device."
    ),
    "insecure": (
        "Passkeys only work when the portal is opened at its own web address over HTTPS. "
        "Tell your firm's admin."
    ),
    "unsupported": (
        "This browser or device cannot use passkeys here. Try a current browser, or another device."
    ),
    "failed": "The passkey request did not work in this browser. Try again, or use another device.",
}


def browser_problem(result: object) -> str:
    """The sentence for a browser answer that carries no passkey; "" when it carries one."""
    if isinstance(result, dict) and result.get("ok") is True:
        return ""
    reason = result.get("reason") if isinstance(result, dict) else None
    return BROWSER_REASONS.get(str(reason), BROWSER_REASONS["failed"])


def credential_text(result: dict) -> str:
    return str(result.get("credential") or "")[: passkeys.MAX_RESPONSE_CHARS + 1]


@dataclass(frozen=True)
class PasskeyRow:
    id: int
    name: str
    added: str
    last_used: str


def _row(view: passkeys.PasskeyView) -> PasskeyRow:
    def day(value) -> str:
        return value.strftime("%b %-d, %Y") if value else "Never"

    return PasskeyRow(view.id, view.name, day(view.created_at), day(view.last_used_at))


class PasskeysState(PageMixin, SessionState):
    """The "Passkeys" section of the person's sign-in security page."""

    keys: list[PasskeyRow] = []
    # While the browser asks the authenticator: the add button shows it is busy.
    registering: bool = False
    renaming: int = 0
    confirm_remove: int = 0
    _challenge: str = ""
    _user_handle: str = ""
    _name: str = ""
    _started_at: float = 0.0

    @rx.event
    def load(self):
        self._refresh_after(None)

    def _refresh(self) -> None:
        self.keys = [_row(view) for view in call(passkeys.list_own)]

    @rx.event
    def start_registration(self, form: dict):
        """Check the name and ask the browser to make a passkey; a second click while the
        browser is asking starts nothing."""
        if self.registering and time.time() - self._started_at < WAIT_SECONDS:
            return None
        name = str(form.get("name") or "")[:500]
        self._rotate_token()
        try:
            ceremony = call(passkeys.registration_options, name=name)
        except ServiceError as exc:
            self.notice = ""
            self.error = exc.message
            return None
        self.error = ""
        self.notice = ""
        self.registering = True
        self._started_at = time.time()
        self._challenge = ceremony.challenge
        self._user_handle = ceremony.user_handle
        self._name = name
        return browser.ask_and_expect(
            self,
            "passkey_create",
            PasskeysState,
            "_finish_registration",
            options=ceremony.options,
        )

    def _finish_registration(self, result: object):
        """The browser's answer to start_registration (through SessionState.answer)."""
        challenge, handle, name = self._challenge, self._user_handle, self._name
        self._challenge = self._user_handle = self._name = ""
        self.registering = False
        if not challenge:
            return None
        problem = browser_problem(result)
        if problem:
            self._rotate_token()
            self.notice = ""
            self.error = problem
            return None
        done = self._act(
            passkeys.register,
            challenge=challenge,
            user_handle=handle,
            name=name,
            credential=credential_text(result),
            success="Your passkey is added. You can use it to sign in without a password.",
        )
        if not done:
            return None
        # The page's "second factor required" notice and its way on follow the new factor.
        return [clear_form({"_form": ADD_FORM}), SecurityState.load]

    @rx.event
    def start_rename(self, passkey_id: int):
        if (pid := self._id(passkey_id)) is not None:
            self.renaming = pid
            self.confirm_remove = 0

    @rx.event
    def cancel_rename(self):
        self.renaming = 0

    @rx.event
    def rename(self, form: dict):
        """The form names its passkey; the service renames it only if it is the person's."""
        if (pid := self._id(form.get("passkey_id"))) is not None and self._submit(
            form,
            passkeys.rename,
            passkey_id=pid,
            name=str(form.get("name") or "")[:500],
            success="The passkey is renamed.",
        ):
            self.renaming = 0

    @rx.event
    def ask_remove(self, passkey_id: int):
        if (pid := self._id(passkey_id)) is not None:
            self.confirm_remove = pid
            self.renaming = 0

    @rx.event
    def keep(self):
        self.confirm_remove = 0

    @rx.event
    def remove(self, token: str, passkey_id: int):
        if (pid := self._id(passkey_id)) is not None and self._act(
            passkeys.remove,
            token=token,
            passkey_id=pid,
            success="The passkey is removed. It no longer signs you in.",
        ):
            self.confirm_remove = 0


def _options() -> passkeys.Ceremony:
    with unit_of_work() as session:
        return passkeys.sign_in_options(session=session)


def _finish(challenge: str, credential: str, ip: str, user_agent: str) -> signin.SignInResult:
    try:
        with unit_of_work() as session:
            return passkeys.sign_in(
                session=session,
                challenge=challenge,
                credential=credential,
                ip=ip,
                user_agent=user_agent,
            )
    except Exception as exc:
        return signin.SignInResult(False, unexpected(passkeys.sign_in, exc).message)


class PasskeySignInState(SessionState):
    """ "Sign in with a passkey" on the sign-in page: no email, no password."""

    error: str = ""
    # Set from the first click until the browser leaves (or the try is refused).
    busy: bool = False
    _challenge: str = ""
    _started_at: float = 0.0

    @rx.event
    def start_sign_in(self):
        if self.busy and time.time() - self._started_at < WAIT_SECONDS:
            return None
        try:
            ceremony = _options()
        except Exception as exc:
            self.error = unexpected(passkeys.sign_in_options, exc).message
            return None
        self.error = ""
        self.busy = True
        self._started_at = time.time()
        self._challenge = ceremony.challenge
        return browser.ask_and_expect(
            self, "passkey_get", PasskeySignInState, "_finish_sign_in", options=ceremony.options
        )

    async def _finish_sign_in(self, result: object):
        """The browser's answer to start_sign_in (through SessionState.answer)."""
        challenge = self._challenge
        self._challenge = ""
        if not challenge:
            return
        problem = browser_problem(result)
        if problem:
            self.busy = False
            self.error = problem
            return
        outcome = await asyncio.to_thread(
            _finish,
            challenge,
            credential_text(result),
            self.router.session.client_ip,
            self.router.headers.user_agent,
        )
        if not outcome.ok:
            self.busy = False
            self.error = outcome.message
            return
        next_path = access.safe_next(
            self.router.url.query_parameters.get("next"), signin_state.landing_role(outcome)
        )
        yield browser.handoff(outcome.handoff_code, next_path)
