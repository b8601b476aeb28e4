"""The person's sign-in security page: the authenticator app and its recovery codes.

The secret being enrolled lives sealed in the database (portal/services/second_factor.py);
this page holds only what is shown while enrolling (the QR code and the key as text), and
clears both the moment the factor is on. Recovery codes are shown once, right after they are
made, and cleared when the person says they have saved them or leaves the page.
"""

from __future__ import annotations

import reflex as rx

from portal import access
from portal.auth import acting
from portal.services import second_factor
from portal.services.second_factor import FactorStatus
from state.calls import call
from state.page import PageMixin
from state.session import SessionState


class SecurityState(PageMixin, SessionState):
    status: FactorStatus = FactorStatus()
    # Shown while enrolling only: the QR code (inline SVG made on the server) and the key
    # as text for typing into an app by hand.
    enrolling: bool = False
    qr_svg: str = ""
    manual_key: str = ""
    # Shown once, right after they are made.
    recovery_codes: list[str] = []
    # The firm's policy sent this person here before anything else.
    must_enrol: bool = False
    # Where to go once done: the person's landing page.
    continue_href: str = ""

    @rx.event
    def load(self):
        self._refresh_after(None)

    def _refresh(self) -> None:
        self.status = call(second_factor.status)
        actor = acting()
        # The role was read before this event ran: once the factor is on, the way is open.
        required = access.role_for(actor) is access.Role.MUST_ENROL
        self.must_enrol = required and not self.status.totp_on
        role = access.Role(actor.role) if actor is not None else access.Role.SIGNED_OUT
        self.continue_href = access.LANDING[role]

    def _forget_enrolment(self) -> None:
        self.enrolling = False
        self.qr_svg = ""
        self.manual_key = ""

    @rx.event
    def start_enrolment(self, token: str):
        done = self._act(second_factor.start_enrolment, token=token, shown=self._show_enrolment)
        if done is not None and done.repeat:
            self.notice = ""

    def _show_enrolment(self, enrolment: second_factor.Enrolment) -> None:
        self.enrolling = True
        self.qr_svg = enrolment.qr_svg
        self.manual_key = enrolment.manual_key
        self.recovery_codes = []

    @rx.event
    def confirm_enrolment(self, form: dict):
        """On: the secret leaves the page for good, and the recovery codes appear once."""
        self._act(
            second_factor.confirm_enrolment,
            token=str(form.get("_token") or ""),
            code=form.get("code"),
            shown=self._after_confirm,
        )

    def _after_confirm(self, codes) -> None:
        self._forget_enrolment()
        self.recovery_codes = list(codes or ())
        self.notice = "Your authenticator app is set up. From now on, signing in asks for its code."
        self._refresh_after(None)

    @rx.event
    def cancel_enrolment(self, token: str):
        self._forget_enrolment()
        self._act(second_factor.cancel_enrolment, token=token, success="Set-up cancelled.")

    @rx.event
    def disable(self, form: dict):
        self._act(
            second_factor.disable,
            token=str(form.get("_token") or ""),
            code=form.get("code"),
            shown=self._show_change,
        )

    @rx.event
    def regenerate_codes(self, form: dict):
        self._act(
            second_factor.regenerate_recovery_codes,
            token=str(form.get("_token") or ""),
            code=form.get("code"),
            shown=self._show_change,
        )

    def _show_change(self, change: second_factor.FactorChange) -> None:
        if change.ok:
            self.error = ""
            self.notice = change.message
            self.recovery_codes = list(change.recovery_codes)
            self._refresh_after(None)
        else:
            self.notice = ""
            self.error = change.message

    @rx.event
    def dismiss_codes(self):
        self.recovery_codes = []
