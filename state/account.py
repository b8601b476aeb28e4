"""A person's own account page: their email switches, their sessions (and the way to a new
password)."""

from __future__ import annotations

import reflex as rx

from portal.services import login_sessions, notifications
from portal.services.login_sessions import SessionRow
from portal.services.mail_content import DIGEST_DAYS, DIGEST_HOUR
from portal.services.notifications import EmailChoices
from state.calls import call
from state.page import PageMixin
from state.session import SessionState

ASSIGNMENTS_LABEL = "Email me when a task is assigned to me"
DIGEST_LABEL = (
    f"Email me each morning (from {DIGEST_HOUR:02d}:00 in the firm's time zone) a list of my "
    f"tasks that are overdue or due in the next {DIGEST_DAYS} days"
)


class AccountState(PageMixin, SessionState):
    choices: EmailChoices = EmailChoices()
    # The person's own live sessions (browser, address, times; never a token or its hash).
    my_sessions: list[SessionRow] = []

    @rx.event
    def load(self):
        self._refresh_after(None)

    def _refresh(self) -> None:
        self.choices = call(notifications.email_choices)
        self.my_sessions = call(login_sessions.list_own)

    @rx.event
    def save_notifications(self, form: dict):
        """Saved once however often the button is pressed (the form's token)."""
        self._submit(
            form,
            notifications.set_email_choices,
            assignments=form.get("assignments") == "on",
            digest=form.get("digest") == "on",
            success="Your notification settings are saved.",
        )

    @rx.event
    def end_session(self, token: str, session_id: int):
        """End one of the person's own sessions; that browser's tabs go to sign-in."""
        if (sid := self._id(session_id)) is not None:
            self._act(
                login_sessions.end_own,
                token=token,
                session_id=sid,
                success="That session has ended: the browser must sign in again.",
            )

    @rx.event
    def end_other_sessions(self, token: str):
        self._act(
            login_sessions.end_others,
            token=token,
            success="Every other session has ended; this one goes on.",
        )
